"""MobileViT v1: the paper's configurations, the seeds' table, patch unfold/fold, ONNX parity."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rfclassify.models import create_model, list_models, model_spec
from rfclassify.models.flops import count_macs, count_params
from rfclassify.models.mobilevit import MobileVitBlock, fold_patches, unfold_patches
from rfclassify.models.onnx_export import export_onnx

NAMES = ["mobilevit_xxs", "mobilevit_xs", "mobilevit_s"]
# timm / Apple ml-cvnets (the paper's architecture), at 1000 classes
PAPER_PARAMS_M = {"mobilevit_xxs": 1.272, "mobilevit_xs": 2.318, "mobilevit_s": 5.579}
# the seeds' table (THOP, 256x256): a copy of chinhsuanwu/mobilevit-pytorch
SEED_PARAMS_M = {"mobilevit_xxs": 1.33, "mobilevit_xs": 2.38, "mobilevit_s": 5.64}
SEED_GMACS = {"mobilevit_xxs": 0.35, "mobilevit_xs": 0.93, "mobilevit_s": 1.79}
# the paper's / timm's transformers (the default is the seeds': 4 heads of 8, MLP ratios 2/4/4)
PAPER_VARIANT = {"head_dim": None, "mlp_ratios": (2, 2, 2)}


def test_registered_with_native_size():
    for name in NAMES:
        assert name in list_models()
        spec = model_spec(name)
        assert (spec.family, spec.img_size, spec.in_chans) == ("mobilevit", 256, 3)


@pytest.mark.parametrize("name", NAMES)
def test_parameter_counts_match_seeds_by_default_and_paper_on_request(name: str):
    seeds = count_params(create_model(name, num_classes=1000)) / 1e6
    assert seeds == pytest.approx(SEED_PARAMS_M[name], rel=0.01)
    paper = count_params(create_model(name, num_classes=1000, **PAPER_VARIANT)) / 1e6
    assert paper == pytest.approx(PAPER_PARAMS_M[name], rel=1e-3)


@pytest.mark.parametrize("name", NAMES)
def test_macs_near_seed_table(name: str):
    macs = count_macs(create_model(name, num_classes=1000), (3, 256, 256)) / 1e9
    assert macs == pytest.approx(SEED_GMACS[name], rel=0.15)


@pytest.mark.parametrize("in_chans", [1, 3])
def test_forward_shapes_at_native_size(in_chans: int):
    model = create_model("mobilevit_xxs", num_classes=4, in_chans=in_chans).eval()
    with torch.no_grad():
        for batch in (1, 4):
            out = model(torch.randn(batch, in_chans, 256, 256))
            assert out.shape == (batch, 4)
            assert torch.isfinite(out).all()


@pytest.mark.parametrize("size", [128, 160])
def test_other_sizes(size: int):
    # 128: every map splits into 2x2 patches; 160: the last map is 5x5 and gets resampled
    model = create_model("mobilevit_xxs", num_classes=3, img_size=size, in_chans=1).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 1, size, size)).shape == (2, 3)


def test_rejects_size_not_multiple_of_32():
    with pytest.raises(ValueError, match="multiple of 32"):
        create_model("mobilevit_xxs", img_size=250)


def test_unfold_fold_exactly_invertible_and_interleaved():
    x = torch.randn(3, 5, 8, 12)
    patches = unfold_patches(x, 2)
    assert patches.shape == (3 * 4, 4 * 6, 5)
    assert torch.equal(fold_patches(patches, 3, 8, 12, 2), x)
    # row b*P + i*p + j is the sub-grid x[b, :, i::p, j::p], one token per patch
    for b, i, j in [(0, 0, 0), (1, 0, 1), (2, 1, 0), (2, 1, 1)]:
        expected = x[b, :, i::2, j::2].flatten(1).T
        assert torch.equal(patches[b * 4 + i * 2 + j], expected)


def test_mobilevit_block_mixes_globally():
    """A corner change reaches the far corner only through the transformer (convs are 3x3)."""
    torch.manual_seed(0)
    block = MobileVitBlock(chs=8, dim=16, depth=1).eval()
    x = torch.randn(1, 8, 16, 16)
    y = x.clone()
    y[0, :, 0, 0] += 1.0
    with torch.no_grad():
        far = (block(x) - block(y))[0, :, -1, -1].abs().max()
    assert far > 1e-4


def test_timm_state_dict_names_and_shapes_in_the_paper_configuration():
    state = create_model("mobilevit_xxs", **PAPER_VARIANT).state_dict()
    assert state["stages.2.1.transformer.0.attn.qkv.weight"].shape == (3 * 64, 64)  # as timm
    assert state["stages.2.1.transformer.0.mlp.fc1.weight"].shape == (2 * 64, 64)
    keys = set(state)
    for key in [
        "stem.conv.weight",
        "stem.bn.running_var",
        "stages.0.0.conv1_1x1.conv.weight",
        "stages.1.2.conv2_kxk.bn.weight",
        "stages.2.0.conv3_1x1.conv.weight",
        "stages.2.1.conv_kxk.conv.weight",
        "stages.2.1.conv_1x1.weight",
        "stages.3.1.transformer.3.attn.qkv.weight",
        "stages.4.1.transformer.2.mlp.fc2.bias",
        "stages.4.1.norm.weight",
        "stages.4.1.conv_proj.bn.bias",
        "stages.4.1.conv_fusion.conv.weight",
        "final_conv.conv.weight",
        "head.fc.weight",
    ]:
        assert key in keys, key
    assert not any(k.startswith("stages.5") for k in keys)


def test_seed_variant_attention_and_drop_path():
    model = create_model("mobilevit_xs", head_dim=8, mlp_ratios=[2, 4, 4], drop_path_rate=0.1)
    first = model.stages[2][1].transformer[0]
    last = model.stages[4][1].transformer[-1]
    assert first.attn.qkv.weight.shape == (3 * 32, 96)
    assert last.mlp.fc1.out_features == 4 * 144
    assert model.stages[2][1].transformer[0].mlp.fc1.out_features == 2 * 96
    assert last.drop_path1.drop_prob == pytest.approx(0.1)
    assert not hasattr(first.drop_path1, "drop_prob")  # rate 0: an Identity


def _export(name: str, tmp_path, batch: int, **overrides) -> float:
    model = create_model(name, num_classes=4, in_chans=1, **overrides)
    inputs = np.random.default_rng(1).standard_normal((batch, 1, 256, 256)).astype(np.float32)
    report = export_onnx(model, tmp_path / f"{name}.onnx", (1, 256, 256), parity_inputs=inputs)
    return report.max_abs_diff


def test_onnx_export_parity_xxs(tmp_path):
    assert _export("mobilevit_xxs", tmp_path, batch=3) <= 1e-4


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mobilevit_xs", "mobilevit_s"])
def test_onnx_export_parity_larger(name: str, tmp_path):
    assert _export(name, tmp_path, batch=1) <= 1e-4
