"""Model files are untrusted input: each way one can be wrong is one clear error, and none of
them runs code (no pickle is ever unpickled; resume state is read ``weights_only``)."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
import torch

from rfclassify.errors import RfclassifyError
from rfclassify.inference import Classifier, resolve_model
from rfclassify.models.card import load_any, load_checkpoint
from rfclassify.training.trainer import load_resume_state

SHIPPED = "vim-lte-nr"


class _Planted:
    """Unpickling this runs ``touch MARKER``: what a malicious checkpoint would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (subprocess.call, (["touch", str(self.marker)],))


def _planted_pickle(path: Path, marker: Path) -> None:
    with open(path, "wb") as fh:
        pickle.dump({"model": _Planted(marker)}, fh)


def _with_card(src: Path, dst: Path, change) -> Path:
    model = onnx.load(str(src))
    for prop in model.metadata_props:
        if prop.key == "rfclassify_card":
            card = json.loads(prop.value)
            change(card)
            prop.value = json.dumps(card)
    onnx.save(model, str(dst))
    return dst


def test_a_planted_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "owned"
    _planted_pickle(tmp_path / "last.pt", marker)
    with pytest.raises(RfclassifyError, match=r"not a resume checkpoint .* refused"):
        load_resume_state(tmp_path / "last.pt")
    # the same file offered as a model: refused by its name, never opened
    with pytest.raises(RfclassifyError, match=r"pickled .pt/.pth are not loaded"):
        load_any(str(tmp_path / "last.pt"))
    with pytest.raises(RfclassifyError, match=r"no model .*last\.pt.*a path to a \.onnx file"):
        Classifier(str(tmp_path / "last.pt"))
    assert not marker.exists()
    # a genuine resume state (tensors, numbers, strings) still loads
    torch.save({"model": {"w": torch.zeros(2)}, "epoch": 3, "history": "[]"}, tmp_path / "ok.pt")
    assert load_resume_state(tmp_path / "ok.pt")["epoch"] == 3
    with pytest.raises(RfclassifyError, match="no checkpoint to resume from"):
        load_resume_state(tmp_path / "absent.pt")


def test_train_resume_from_a_planted_pickle_is_one_line_and_runs_nothing(tmp_path):
    from rfclassify.datasets.builder import build_dataset
    from rfclassify.datasets.recipe import load_recipe
    from rfclassify.dsp import FrontendConfig

    recipe = load_recipe()
    recipe.update(capture_rates=[1.92e6])
    frontend = FrontendConfig(window_ms=5.0, height=32, width=32)
    build_dataset(tmp_path / "data", 8, 1, recipe, frontend, progress=False)
    build_dataset(tmp_path / "val", 4, 2, recipe, frontend, progress=False)
    marker = tmp_path / "owned"
    out = tmp_path / "run"
    out.mkdir()
    _planted_pickle(out / "last.pt", marker)
    data, val = str(tmp_path / "data"), str(tmp_path / "val")
    run = subprocess.run(
        [sys.executable, "-m", "rfclassify.cli", "train", "--model", "vim_ultralight",
         "--data", data, "--val", val, "--epochs", "1", "--out", str(out), "--resume"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "last.pt: not a resume checkpoint written by rfclassify train" in run.stderr
    assert not marker.exists()


def test_missing_truncated_and_cardless_model_files_are_one_clear_error(tmp_path):
    onnx_path = resolve_model(SHIPPED)
    with pytest.raises(RfclassifyError, match="does not exist"):
        Classifier(str(tmp_path / "nothing.onnx"))
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(RfclassifyError, match="not a readable ONNX file"):
        Classifier(str(tmp_path / "empty.onnx"))
    (tmp_path / "half.onnx").write_bytes(onnx_path.read_bytes()[: onnx_path.stat().st_size // 2])
    with pytest.raises(RfclassifyError, match=r"not a readable ONNX file|cannot load it"):
        Classifier(str(tmp_path / "half.onnx"))
    bare = onnx.load(str(onnx_path))
    del bare.metadata_props[:]
    onnx.save(bare, str(tmp_path / "bare.onnx"))
    with pytest.raises(RfclassifyError, match="carries no model card"):
        Classifier(str(tmp_path / "bare.onnx"))


def test_an_onnx_whose_card_lies_about_classes_or_input_is_refused(tmp_path):
    onnx_path = resolve_model(SHIPPED)

    def three_classes(card, consistent: bool):
        card["classes"] = card["classes"][:3]
        if consistent:  # a card that is right in itself, for another network
            card["architecture"]["num_classes"] = 3

    lying = _with_card(onnx_path, tmp_path / "a.onnx", lambda c: three_classes(c, False))
    with pytest.raises(RfclassifyError, match="3 classes for a 4-output model"):
        Classifier(str(lying))
    swapped = _with_card(onnx_path, tmp_path / "b.onnx", lambda c: three_classes(c, True))
    with pytest.raises(RfclassifyError, match="4 outputs but its card lists 3 classes"):
        Classifier(str(swapped))

    def bigger(card):
        card["input_shape"] = [card["input_shape"][0], 256, 256]
        card["architecture"]["img_size"] = 256

    with pytest.raises(RfclassifyError, match=r"the network takes .* but its card says"):
        Classifier(str(_with_card(onnx_path, tmp_path / "big.onnx", bigger)))
    with pytest.raises(RfclassifyError, match=r"unreadable model card|model card"):
        Classifier(str(_with_card(onnx_path, tmp_path / "junk.onnx", lambda c: c.clear())))


def test_a_damaged_safetensors_checkpoint_is_one_clear_error(tmp_path):
    weights = resolve_model(SHIPPED, "torch")
    for name in ("cut", "swapped"):
        shutil.copy(weights.with_suffix(".json"), tmp_path / f"{name}.json")
    (tmp_path / "cut.safetensors").write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(RfclassifyError, match="cannot read weights"):
        load_checkpoint(tmp_path / "cut.safetensors")
    card = json.loads(weights.with_suffix(".json").read_text())
    card["architecture"]["overrides"] = {**card["architecture"].get("overrides", {}), "depth": 1}
    (tmp_path / "swapped.json").write_text(json.dumps(card))
    shutil.copy(weights, tmp_path / "swapped.safetensors")
    with pytest.raises(RfclassifyError, match="does not fit"):
        load_checkpoint(tmp_path / "swapped.safetensors")
    (tmp_path / "nocard.safetensors").write_bytes(weights.read_bytes())
    with pytest.raises(RfclassifyError, match=r"no model card nocard.json"):
        load_checkpoint(tmp_path / "nocard.safetensors")
