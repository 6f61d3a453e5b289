"""MAE pretraining end to end: the command, its files, and fine-tuning from its encoder."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.torch import load_file

from rfclassify.cli import main
from rfclassify.datasets.builder import build_dataset
from rfclassify.datasets.recipe import load_recipe
from rfclassify.dsp import FrontendConfig

VIT = "vit_tiny_patch4_32"  # ViT-Ti dims at 32x32, 4x4 patches: 64 patches


@pytest.fixture(scope="module")
def unlabeled(tmp_path_factory):
    recipe = load_recipe()
    recipe.update(snr_db=[10.0, 30.0], capture_rates=[1.92e6, 3.84e6])
    root = tmp_path_factory.mktemp("mae")
    frontend = FrontendConfig(window_ms=5.0, height=32, width=32)
    build_dataset(root / "data", 64, 7, recipe, frontend, progress=False)
    return root


@pytest.fixture(scope="module")
def pretrained(unlabeled):
    out = unlabeled / "mae"
    args = ["pretrain", "--model", VIT, "--data", str(unlabeled / "data"), "--out", str(out)]
    args += ["--epochs", "2", "--batch-size", "16", "--accumulate", "2", "--quiet", "--json"]
    assert main(args) == 0
    return out


def test_pretrain_writes_the_run_and_its_loss_is_finite(pretrained):
    history = json.loads((pretrained / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(0.0 < h["loss"] < 10.0 for h in history)
    config = json.loads((pretrained / "config.json").read_text())
    assert config["mask_ratio"] == 0.75 and config["accumulate"] == 2
    for name in ("curves.png", "reconstruction.png", "mae.safetensors", "summary.json"):
        assert (pretrained / name).stat().st_size > 0, name
    encoder = load_file(str(pretrained / "encoder.safetensors"))
    assert "pos_embed" in encoder and "blocks.0.attn.qkv.weight" in encoder
    assert not any(k.startswith(("head.", "decoder")) for k in encoder)
    card = json.loads((pretrained / "encoder.json").read_text())  # what to fine-tune it with
    assert card["architecture"] == {"name": VIT, "img_size": 32, "in_chans": 1, "overrides": {}}
    data = json.loads((pretrained.parent / "data" / "dataset.json").read_text())
    assert card["frontend"] == data["frontend"] and card["data"]["seed"] == 7
    assert card["parameters"] == sum(v.numel() for v in encoder.values())


def test_linear_probe_from_the_encoder_trains_the_head_only(pretrained, unlabeled):
    out = unlabeled / "probe"
    encoder = str(pretrained / "encoder.safetensors")
    args = ["train", "--model", VIT, "--data", str(unlabeled / "data"), "--out", str(out)]
    args += ["--init-from", encoder, "--linear-probe", "--epochs", "1", "--quiet"]
    assert main(args) == 0
    before, after = load_file(encoder), load_file(str(out / "best.safetensors"))
    for key, value in before.items():  # every encoder weight arrived, and stayed frozen
        assert (after[key] == value).all(), key
    assert json.loads((out / "config.json").read_text())["init_from"] == encoder


def test_an_encoder_that_does_not_fit_is_refused_with_the_reason(pretrained, unlabeled, capsys):
    args = ["train", "--model", "vit_base_patch16_32", "--data", str(unlabeled / "data")]
    args += ["--out", str(unlabeled / "wrong"), "--epochs", "1", "--quiet"]
    args += ["--init-from", str(pretrained / "encoder.safetensors")]
    assert main(args) != 0
    err = capsys.readouterr().err
    assert "does not fit this model" in err and "shapes differ" in err


def test_linear_probe_without_an_encoder_is_a_usage_error(unlabeled, capsys):
    args = ["train", "--model", VIT, "--data", str(unlabeled / "data"), "--linear-probe"]
    with pytest.raises(SystemExit) as stop:
        main([*args, "--out", str(unlabeled / "x"), "--quiet"])
    assert stop.value.code == 2
    assert "--linear-probe needs --init-from" in capsys.readouterr().err


def test_pretrain_reads_sigmf_recordings_as_unlabeled_data(tmp_path):
    from rfclassify.io.writer import write_recording
    from rfclassify.signals.scene import Scene, render

    rng = np.random.default_rng(3)
    rate = 1.92e6
    folder = tmp_path / "recordings"
    folder.mkdir()
    for name, scene in (
        ("lte", Scene("lte", 0.1, rate, snr_db=20.0, params={"bandwidth_mhz": 1.4})),
        ("noise", Scene("noise", 0.07, rate)),
    ):
        samples = render(scene, rng).samples.astype(np.complex64)
        write_recording(folder / f"{name}.sigmf-meta", samples, rate, center_freq=1.8e9)
    from rfclassify.training.unlabeled import RecordingImages

    images = RecordingImages(folder)
    assert len(images) == 5 + 3  # whole 20 ms windows only: 100 ms -> 5, 70 ms -> 3
    assert images[0][0].shape == (1, 128, 128) and images[0][1] == -1
    out = tmp_path / "mae"
    args = ["pretrain", "--model", "vit_tiny_patch16", "--data", str(folder), "--out", str(out)]
    assert main([*args, "--epochs", "1", "--batch-size", "4", "--accumulate", "1", "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["examples"] == 8 and (out / "reconstruction.png").exists()
    card = json.loads((out / "encoder.json").read_text())
    assert card["data"]["kind"] == "sigmf" and len(card["data"]["recordings"]) == 2


def test_a_path_that_is_neither_data_nor_recordings_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    args = ["pretrain", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]
    assert main([*args, "--quiet"]) != 0
    assert "neither a dataset" in capsys.readouterr().err
