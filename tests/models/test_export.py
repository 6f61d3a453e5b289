"""Cards, safetensors checkpoints and the export pipeline (fp32 parity, fp16, int8)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rfclassify.errors import RfclassifyError
from rfclassify.models import create_model, list_models
from rfclassify.models.card import ModelCard, card_for, load_any, load_checkpoint, save_checkpoint
from rfclassify.models.flops import count_macs
from rfclassify.models.onnx_export import (
    ParityError,
    check_parity,
    export_onnx,
    onnx_outputs,
    read_metadata,
)
from rfclassify.training.export import export_model

REQUIRED = {
    "vim_ultralight",
    "mobilevit_xxs",
    "mobilevit_xs",
    "mobilevit_s",
    "resnet50",
    "resnet50_rf",
    "vit_tiny_patch16",
    "vit_small_patch16",
    "vit_base_patch16",
    "efficientnet_b0",
    "efficientnet_b1",
    "efficientnet_b2",
    "efficientnet_b3",
    "vit_hybrid_r50",
}


def test_the_registry_holds_every_architecture_the_issue_names():
    assert set(list_models()) >= REQUIRED
    assert any(name.endswith("_32") for name in list_models())  # a ViT for 32x32 inputs


def test_create_model_refuses_what_it_cannot_build():
    with pytest.raises(ValueError, match="unknown model 'vim_tiny'"):
        create_model("vim_tiny")
    with pytest.raises(ValueError, match="in_chans"):
        create_model("vim_ultralight", in_chans=9)
    with pytest.raises(ValueError, match="num_classes"):
        create_model("vim_ultralight", num_classes=0)


def test_checkpoint_round_trip_is_exact_and_needs_no_pickle(tmp_path):
    torch.manual_seed(0)
    model = create_model("vim_ultralight", num_classes=3, in_chans=1, depth=2).eval()
    card = card_for(model, classes=["LTE", "NR", "Noise"], data={"seed": 1})
    weights = save_checkpoint(model, card, tmp_path / "run" / "best")
    assert weights.suffix == ".safetensors" and weights.with_suffix(".json").exists()
    loaded, loaded_card = load_checkpoint(weights)
    x = torch.randn(2, 1, 128, 128)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x), atol=0, rtol=0)
    assert loaded_card.classes == ["LTE", "NR", "Noise"]
    assert loaded_card.architecture["overrides"] == {"depth": 2}
    assert loaded_card.data == {"seed": 1} and loaded_card.params == card.params


def test_bad_checkpoints_are_clear_errors(tmp_path):
    model = create_model("vim_ultralight", in_chans=1, depth=1)
    weights = save_checkpoint(model, card_for(model), tmp_path / "m")
    with pytest.raises(RfclassifyError, match="unpickling"):
        load_any(str(tmp_path / "m.pt"))
    card = json.loads(weights.with_suffix(".json").read_text())
    card["architecture"]["overrides"] = {"depth": 2}  # the weights no longer fit
    weights.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(RfclassifyError, match="does not fit vim_ultralight"):
        load_checkpoint(weights)
    card["classes"] = ["LTE"]
    weights.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(RfclassifyError, match="1 classes for a 4-output model"):
        load_checkpoint(weights)
    weights.write_bytes(b"not safetensors")
    card["classes"] = ["LTE", "NR", "Noise", "Other"]
    weights.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(RfclassifyError, match="cannot read weights"):
        load_checkpoint(weights)
    with pytest.raises(RfclassifyError, match="no model card"):
        load_checkpoint(tmp_path / "absent.safetensors")
    with pytest.raises(RfclassifyError, match="neither a registered model"):
        load_any("not-a-model")


class _Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.head = torch.nn.Linear(4, 4)

    def forward(self, x):
        return self.head(self.conv(x).mean((2, 3)))


def test_parity_check_fails_loudly_when_the_file_differs(tmp_path):
    model = _Tiny().eval()
    path = tmp_path / "t.onnx"
    export_onnx(model, path, (1, 16, 16), metadata={"classes": ["a", "b", "c", "d"]})
    assert json.loads(read_metadata(path)["classes"]) == ["a", "b", "c", "d"]
    assert read_metadata(path)["opset"] == "18"
    x = np.random.default_rng(0).standard_normal((5, 1, 16, 16)).astype(np.float32)
    assert onnx_outputs(path, x).shape == (5, 4)  # any batch: the axis is dynamic
    with torch.no_grad():
        model.head.bias += 1e-3  # the PyTorch model moves, the file does not
    with pytest.raises(ParityError, match="differs from PyTorch"):
        check_parity(model, path, x)


@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_export_model_writes_file_card_and_reports_parity(tmp_path, precision):
    torch.manual_seed(0)
    model = create_model("vim_ultralight", in_chans=1, depth=2).eval()
    card = card_for(model)
    out = tmp_path / f"vim-{precision}.onnx"
    report = export_model(model, card, out, precision=precision, real=4)
    assert report["fp32_max_abs_diff"] <= 1e-4
    assert report["real_inputs"] == 4 and report["parity_inputs"] == 8
    saved = ModelCard.from_dict(json.loads(out.with_suffix(".json").read_text()))
    assert saved.onnx["precision"] == precision and len(saved.onnx["sha256"]) == 64
    embedded = json.loads(read_metadata(out)["rfclassify_card"])
    assert embedded["architecture"] == saved.architecture
    assert embedded["frontend"] == saved.frontend
    assert saved.macs == embedded["macs"] == count_macs(model, card.input_shape) > 0
    if precision != "fp32":
        assert report["bytes"] < report["fp32_bytes"]
        assert report["top1_agreement"] >= 0.75
        assert np.isfinite(report["max_abs_diff"])
    assert not list(tmp_path.glob("*.fp32.onnx")) or precision != "fp32"


# Exported and parity-checked by their family's tests; the rest are checked here, so that every
# registered architecture has an ONNX parity test.
_FAMILY_TESTED = {
    "vim_ultralight",
    "mobilevit_xxs",
    "mobilevit_xs",
    "mobilevit_s",
    "resnet50",
    "resnet50_rf",
    "vit_tiny_patch16",
    "vit_tiny_patch4_32",
    "vit_base_patch16",
    "efficientnet_b0",
    "efficientnet_b3",
    "vit_hybrid_r50",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(list_models()) - _FAMILY_TESTED))
def test_every_other_architecture_exports_with_parity(name, tmp_path):
    from rfclassify.models import model_spec

    spec = model_spec(name)
    model = create_model(name, in_chans=1).eval()
    shape = (1, spec.img_size, spec.img_size)
    inputs = np.random.default_rng(0).standard_normal((2, *shape)).astype(np.float32)
    report = export_onnx(model, tmp_path / f"{name}.onnx", shape, parity_inputs=inputs)
    assert report.max_abs_diff <= 1e-4
