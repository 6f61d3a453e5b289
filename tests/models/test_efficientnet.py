"""EfficientNet B0..B3: reference parameter counts, shapes, stochastic depth, ONNX parity."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rfclassify.models import create_model, list_models, model_spec
from rfclassify.models.efficientnet import round_filters, round_repeats
from rfclassify.models.flops import count_macs, count_params
from rfclassify.models.onnx_export import check_parity, export_onnx

NATIVE = {f"efficientnet_b{i}": s for i, s in enumerate((224, 240, 260, 300))}
# timm / torchvision at 1000 classes.
REFERENCE_PARAMS = {
    "efficientnet_b0": 5_288_548,
    "efficientnet_b1": 7_794_184,
    "efficientnet_b2": 9_109_994,
    "efficientnet_b3": 12_233_232,
}


def test_registered_with_native_sizes():
    assert {n for n in list_models() if n.startswith("efficientnet_")} >= set(NATIVE)
    for name, size in NATIVE.items():
        spec = model_spec(name)
        assert (spec.family, spec.img_size, spec.in_chans) == ("efficientnet", size, 3)


def test_rounding_matches_reference():
    assert [round_filters(c, 1.1) for c in (32, 16, 24, 40, 80, 112, 192, 320, 1280)] == [
        32, 16, 24, 48, 88, 120, 208, 352, 1408
    ]  # fmt: skip
    assert [round_filters(c, 1.2) for c in (32, 24, 40, 320, 1280)] == [40, 32, 48, 384, 1536]
    assert [round_repeats(r, 1.4) for r in (1, 2, 3, 4)] == [2, 3, 5, 6]


@pytest.mark.parametrize("name", sorted(REFERENCE_PARAMS))
def test_parameter_count_matches_reference(name):
    assert count_params(create_model(name, num_classes=1000)) == REFERENCE_PARAMS[name]


def test_b0_macs_and_timm_names():
    model = create_model("efficientnet_b0", num_classes=1000)
    assert 0.37e9 < count_macs(model, (3, 224, 224)) < 0.40e9  # reference 0.39 G
    keys = set(model.state_dict())
    for key in (
        "conv_stem.weight",
        "bn1.running_var",
        "blocks.0.0.conv_dw.weight",
        "blocks.0.0.se.conv_reduce.bias",
        "blocks.0.0.conv_pw.weight",
        "blocks.0.0.bn2.weight",
        "blocks.1.0.conv_pw.weight",
        "blocks.1.0.conv_dw.weight",
        "blocks.1.0.se.conv_expand.weight",
        "blocks.1.0.conv_pwl.weight",
        "blocks.6.0.bn3.bias",
        "conv_head.weight",
        "bn2.weight",
        "classifier.weight",
    ):
        assert key in keys, key
    assert model.blocks[1][0].se.conv_reduce.out_channels == 4  # 1/4 of the block input (16)


@pytest.mark.parametrize("name", sorted(NATIVE))
@pytest.mark.parametrize(("in_chans", "batch"), [(1, 4), (3, 1)])
def test_forward_shapes_at_native_size(name, in_chans, batch):
    # Each model sees both channel counts and both batch sizes; the full grid only adds time.
    size = NATIVE[name]
    model = create_model(name, num_classes=5, in_chans=in_chans).eval()
    with torch.no_grad():
        out = model(torch.randn(batch, in_chans, size, size))
    assert out.shape == (batch, 5)
    assert torch.isfinite(out).all()


def test_stochastic_depth_only_in_training():
    torch.manual_seed(0)
    model = create_model("efficientnet_b0", drop_rate=0.0, drop_path_rate=0.5)
    rates = [b.drop_path.drop_prob for stage in model.blocks for b in stage]
    assert rates[0] == 0.0 and rates == sorted(rates)
    assert np.allclose(np.diff(rates), 0.5 / len(rates))
    x = torch.randn(2, 3, 64, 64)
    model.train()
    with torch.no_grad():
        assert not torch.allclose(model(x), model(x))
        model.eval()
        assert torch.equal(model(x), model(x))
    plain = create_model("efficientnet_b0", drop_rate=0.0, drop_path_rate=0.0).train()
    with torch.no_grad():  # train-mode BatchNorm alone is deterministic
        assert torch.equal(plain(x), plain(x))


def _export_and_check(name, tmp_path, batches):
    size = NATIVE[name]
    model = create_model(name).eval()
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((max(batches), 3, size, size)).astype(np.float32)
    report = export_onnx(model, tmp_path / f"{name}.onnx", (3, size, size), parity_inputs=inputs)
    assert report.max_abs_diff <= 1e-4
    for batch in batches:  # the batch axis is dynamic
        assert check_parity(model, report.path, inputs[:batch]) <= 1e-4


def test_b0_onnx_parity(tmp_path):
    _export_and_check("efficientnet_b0", tmp_path, (1, 3))


@pytest.mark.slow
def test_b3_onnx_parity(tmp_path):
    _export_and_check("efficientnet_b3", tmp_path, (1, 2))
