"""`rfclassify models` and `rfclassify export` as a user runs them."""

import json
import subprocess
import sys

import torch

from rfclassify.models import create_model
from rfclassify.models.card import card_for, save_checkpoint
from rfclassify.models.onnx_export import read_metadata

RF = [sys.executable, "-m", "rfclassify.cli"]


def rf(*args, check=False):
    proc = subprocess.run([*RF, *map(str, args)], capture_output=True, text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_models_lists_the_zoo_with_params_and_macs():
    rows = json.loads(rf("models", "--family", "vim", "--json", check=True).stdout)
    assert [r["name"] for r in rows] == ["vim_ultralight"]
    assert rows[0]["params"] == 324_100 and rows[0]["input"] == [3, 128, 128]
    assert 10e6 < rows[0]["macs"] < 40e6
    text = rf("models", "--no-macs", check=True).stdout
    for name in ("mobilevit_xxs", "resnet50_rf", "vit_base_patch16", "efficientnet_b3"):
        assert name in text
    assert "flop_counter" in rf("models", "--help", check=True).stdout


def test_export_a_checkpoint_with_its_card(tmp_path):
    torch.manual_seed(0)
    model = create_model("vim_ultralight", in_chans=1, depth=2)
    weights = save_checkpoint(model, card_for(model, name="vim-test"), tmp_path / "best")
    out = tmp_path / "vim-test.onnx"
    proc = rf("export", weights, "--out", out, check=True)
    assert "fp32 parity" in proc.stdout and "on 12 inputs" in proc.stdout
    meta = read_metadata(out)
    assert json.loads(meta["classes"]) == ["LTE", "NR", "Noise", "Other"]
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["name"] == "vim-test" and card["onnx"]["file"] == "vim-test.onnx"


def test_export_bad_arguments(tmp_path):
    proc = rf("export", "vim_ultralight", "--out", tmp_path / "x.txt")
    assert proc.returncode == 2 and ".onnx" in proc.stderr and "Traceback" not in proc.stderr
    proc = rf("export", "nope", "--out", tmp_path / "x.onnx")
    assert proc.returncode == 1 and "neither a registered model" in proc.stderr
    proc = rf("export", "vim_ultralight", "--fp16", "--int8", "--out", tmp_path / "x.onnx")
    assert proc.returncode == 2
    proc = rf("export", "vim_ultralight", "--test", tmp_path, "--out", tmp_path / "x.onnx")
    assert proc.returncode == 2 and "--test needs a trained checkpoint" in proc.stderr
    # a setting that would be ignored is refused, not dropped silently
    for precision in ([], ["--int8"], ["--int8", "dynamic"], ["--fp16"]):
        args = [*precision, "--calibration", "8", "--out", tmp_path / "x.onnx"]
        proc = rf("export", "vim_ultralight", *args)
        assert proc.returncode == 2, precision
        assert "--calibration sets the spectrograms of --int8 static" in proc.stderr
