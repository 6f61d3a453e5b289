"""Training for real: it learns, it resumes into the same run, it runs under DDP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rfclassify.datasets.builder import build_dataset
from rfclassify.datasets.recipe import load_recipe
from rfclassify.dsp import FrontendConfig
from rfclassify.errors import RfclassifyError
from rfclassify.training.augment import AugmentConfig, augment_batch
from rfclassify.training.config import resolve_config
from rfclassify.training.release import TARGETS
from rfclassify.training.trainer import train

TINY = {"patch_size": 4, "depth": 2}


@pytest.fixture(scope="module")
def easy(tmp_path_factory):
    """An easy set: high SNR, low rates, whole carriers, 32x32 images of 5 ms."""
    recipe = load_recipe()
    recipe.update(snr_db=[15.0, 30.0], capture_rates=[1.92e6, 3.84e6, 7.68e6])
    recipe.update(pair=0.0, partial_view=0.0)
    root = tmp_path_factory.mktemp("easy")
    frontend = FrontendConfig(window_ms=5.0, height=32, width=32)
    build_dataset(root / "train", 480, 1, recipe, frontend, progress=False)
    build_dataset(root / "val", 96, 2, recipe, frontend, progress=False)
    return root


def config(easy, out, **flags):
    values = {
        "data": str(easy / "train"),
        "val": str(easy / "val"),
        "out": str(out),
        "model_overrides": TINY,
        "lr": 2e-3,
        "batch_size": 32,
        **flags,
    }
    return resolve_config("vim_ultralight", flags=values)


@pytest.fixture(scope="module")
def trained(easy, tmp_path_factory):
    out = tmp_path_factory.mktemp("trained") / "run"
    return train(config(easy, out, epochs=6), progress=False)


def test_a_small_model_learns_well_above_chance(trained):
    out = trained.out
    assert trained.best_val_acc > 0.6  # chance is 0.25: a broken pipeline cannot get here
    history = json.loads((out / "history.json").read_text())
    assert len(history) == 6 and history[-1]["train_loss"] < history[0]["train_loss"]
    for name in ("config.json", "history.csv", "curves.png", "best.safetensors", "best.json"):
        assert (out / name).exists(), name
    card = json.loads((out / "best.json").read_text())
    assert card["data"]["train"]["seed"] == 1
    assert card["frontend"]["height"] == 32 and card["architecture"]["img_size"] == 32


def test_resume_continues_the_same_run_bit_for_bit(easy, tmp_path):
    def run(out, resume=False, stop=None):
        c = config(easy, out, epochs=3, max_steps_per_epoch=4, seed=3, warmup_epochs=1)
        return train(c, resume=resume, progress=False, stop_after_epochs=stop)

    run(tmp_path / "straight")
    run(tmp_path / "split", stop=2)  # interrupted after two epochs
    with pytest.raises(RfclassifyError, match="--resume"):
        run(tmp_path / "split")
    run(tmp_path / "split", resume=True)
    a = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    for key, value in a["model"].items():
        torch.testing.assert_close(b["model"][key], value, atol=0, rtol=0)
    history = json.loads(b["history"])
    assert [r["epoch"] for r in history] == [1, 2, 3]


_CUT_MID_EPOCH = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from rfclassify.training import trainer
from test_train import config
from pathlib import Path

real = trainer._save_state
def save_state(*args, **kwargs):  # killed right after the mid-epoch save at step 3 of epoch 2
    real(*args, **kwargs)
    cut = args[9] if len(args) > 9 else kwargs.get("partial")
    if cut and cut["epoch"] == 1 and cut["step"] == 3:
        os.kill(os.getpid(), signal.SIGKILL)
trainer._save_state = save_state
c = config(Path({easy!r}), Path({out!r}), epochs=3, max_steps_per_epoch=5, seed=3,
           warmup_epochs=1)
trainer.train(c, progress=False, checkpoint_s=0.0)
"""


def test_a_run_killed_mid_epoch_resumes_there_to_the_same_weights(easy, tmp_path):
    straight = config(easy, tmp_path / "straight", epochs=3, max_steps_per_epoch=5, seed=3,
                      warmup_epochs=1)  # fmt: skip
    train(straight, progress=False)
    out = tmp_path / "cut"
    script = _CUT_MID_EPOCH.format(tests=str(Path(__file__).parent), easy=str(easy), out=str(out))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=600)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]  # SIGKILL: nothing tidied up
    state = torch.load(out / "last.pt", weights_only=True)
    cut = json.loads(state["partial"])
    assert (cut["epoch"], cut["step"], int(state["epoch"])) == (1, 3, 0)
    assert len(json.loads(state["history"])) == 1
    resumed = config(easy, out, epochs=3, max_steps_per_epoch=5, seed=3, warmup_epochs=1)
    train(resumed, resume=True, progress=False, checkpoint_s=0.0)
    a = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)
    b = torch.load(out / "last.pt", weights_only=True)
    for key, value in a["model"].items():
        torch.testing.assert_close(b["model"][key], value, atol=0, rtol=0)
    assert "partial" not in b  # it ended on an epoch's end
    history = json.loads(b["history"])
    assert [r["epoch"] for r in history] == [1, 2, 3]
    # the cut epoch's figures count the batches before the cut too
    assert [r["train_examples"] for r in history] == [
        r["train_examples"] for r in json.loads(a["history"])
    ]
    assert history[1]["train_loss"] == pytest.approx(json.loads(a["history"])[1]["train_loss"])


def test_config_layers_and_bad_settings(easy, tmp_path):
    c = resolve_config("resnet50_rf", flags={"out": "x", "data": "y"})
    assert (c.optimizer, c.lr, c.batch_size) == ("adam", 1e-4, 75)  # the seeds' ResNet row
    c = resolve_config("vit_small_patch16", flags={"batch_size": 16})
    assert (c.optimizer, c.lr, c.batch_size) == ("adam", 1e-4, 16)
    v = resolve_config("vim_ultralight")
    assert (v.optimizer, v.lr, v.batch_size, v.epochs, v.scheduler) == (
        "adamw",
        5e-4,
        32,
        200,
        "cosine",
    )
    file = tmp_path / "c.toml"
    file.write_text("epochs = 3\nlr = 0.01\n")
    c = resolve_config("vim_ultralight", file, {"lr": 0.02})
    assert (c.epochs, c.lr) == (3, 0.02)
    with pytest.raises(RfclassifyError, match="unknown training setting 'learning_rate'"):
        resolve_config("vim_ultralight", flags={"learning_rate": 1})
    with pytest.raises(RfclassifyError, match="unknown model"):
        resolve_config("nope")
    with pytest.raises(RfclassifyError, match="same seed"):
        train(config(easy, tmp_path / "r", val=str(easy / "train")), progress=False)


def test_augmentations_keep_shape_and_do_what_they_say():
    torch.manual_seed(0)
    x = torch.randn(4, 1, 16, 32)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(augment_batch(x, AugmentConfig.off(), g), x)
    rolled = augment_batch(x, AugmentConfig(0.5, 0, 0, 0, 0, 0), g)
    for i in range(4):  # a circular time shift: some roll of the original
        assert any(torch.equal(rolled[i], x[i].roll(s, dims=-1)) for s in range(32))
    flipped = augment_batch(x, AugmentConfig(0, 0, 0, 0, 0, 1.0), g)
    assert torch.equal(flipped, x.flip(-1))
    masked = augment_batch(x, AugmentConfig(0, 0, 2, 2, 0.25, 0), g)
    assert masked.shape == x.shape and (masked == 0).sum() > 0
    shifted = augment_batch(x, AugmentConfig(0, 0.25, 0, 0, 0, 0), g)
    assert shifted.shape == x.shape
    with pytest.raises(RfclassifyError, match="unknown augment"):
        AugmentConfig.from_dict({"rotate": 1})


def test_ddp_on_cpu_with_two_processes(easy, tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    out = tmp_path / "ddp"
    cmd = [
        str(torchrun), "--nproc_per_node", "2", "--master_port", "29533", "-m", "rfclassify.cli",
        "train", "--model", "vim_ultralight", "--data", str(easy / "train"), "--val",
        str(easy / "val"), "--out", str(out), "--epochs", "1", "--batch-size", "16",
        "--model-args", json.dumps(TINY), "--quiet",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["epochs_run"] == 1
    assert (out / "best.safetensors").exists()
    card = json.loads((out / "best.json").read_text())
    assert card["data"]["command"].startswith("rfclassify train --model vim_ultralight")
    assert card["data"]["train"]["seed"] == 1 and card["data"]["validation"]["seed"] == 2
    assert card["data"]["validation"]["path"] == str(easy / "val")


def test_onnx_and_torch_forms_give_the_same_evaluation(easy, trained, tmp_path):
    from rfclassify.datasets.dataset import DatasetError, SpectrogramDataset
    from rfclassify.models.card import load_checkpoint
    from rfclassify.training.evaluate import Predictor, evaluate
    from rfclassify.training.export import export_model

    model, card = load_checkpoint(trained.out / "best.safetensors")
    export_model(model, card, tmp_path / "m.onnx", real=4)
    test = SpectrogramDataset(easy / "val")  # seed 2: not the training seed
    by_torch = evaluate(Predictor(trained.out / "best.safetensors"), test, progress=False)
    by_onnx = evaluate(Predictor(tmp_path / "m.onnx"), test, progress=False)
    assert by_torch["backend"] == "torch" and by_onnx["backend"] == "onnxruntime"
    assert by_torch["predictions"] == by_onnx["predictions"]
    for key in ("accuracy", "macro_f1", "confusion", "per_class", "by_snr", "slices"):
        assert by_torch[key] == by_onnx[key], key
    assert by_torch["accuracy"] > 0.6
    assert sum(map(sum, by_torch["confusion"])) == len(test)
    with pytest.raises((RfclassifyError, DatasetError), match="not held out"):
        evaluate(Predictor(trained.out / "best.safetensors"), SpectrogramDataset(easy / "train"))


def test_eval_command_prints_json_and_draws_plots(easy, trained, tmp_path):
    cmd = [
        sys.executable, "-m", "rfclassify.cli", "eval", str(trained.out / "best.safetensors"),
        "--data", str(easy / "val"), "--plots", str(tmp_path), "--json",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert set(result["per_class"]) == {"LTE", "NR", "Noise", "Other"}
    assert "capture_rate" in result["slices"] and "kind" in result["slices"]
    assert (tmp_path / "confusion.png").stat().st_size > 5000
    assert (tmp_path / "accuracy_vs_snr.png").stat().st_size > 5000


def test_export_with_a_test_set_writes_metrics_targets_and_how_to_remake_it(
    easy, trained, tmp_path
):
    from rfclassify.datasets.dataset import SpectrogramDataset
    from rfclassify.models.onnx_export import read_metadata
    from rfclassify.training.evaluate import Predictor, evaluate

    out = tmp_path / "shipped.onnx"
    cmd = [
        sys.executable, "-m", "rfclassify.cli", "export", str(trained.out / "best.safetensors"),
        "--out", str(out), "--test", str(easy / "val"), "--json",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["name"] == "shipped"
    test = card["metrics"]["test"]
    expected = evaluate(Predictor(trained.out / "best.safetensors"),
                        SpectrogramDataset(easy / "val"), progress=False)  # fmt: skip
    assert test["accuracy"] == expected["accuracy"] == report["test"]["accuracy"]
    assert test["data"]["seed"] == 2 and test["data"]["count"] == 96
    assert report["test"]["onnx_agreement"] >= 0.999
    assert report["test"]["onnx_accuracy"] == pytest.approx(test["accuracy"], abs=0.011)
    assert [t["key"] for t in test["targets"]] == [k for k, *_ in TARGETS]
    assert all(t["met"] in (True, False, None) for t in test["targets"])
    assert sum(row["count"] for row in test["accuracy_by_snr"]) > 0
    # every step from nothing: train data, validation data, test data, then this export
    steps = card["reproduce"]
    assert "--seed 1" in steps[0] and "--seed 2" in steps[1]
    assert steps[-1].startswith("rfclassify export ") and "--test" in steps[-1]
    embedded = json.loads(read_metadata(out)["rfclassify_card"])
    assert embedded["metrics"]["test"]["accuracy"] == test["accuracy"]
    fresh = subprocess.run(
        [*cmd[:4], "vim_ultralight", "--out", str(tmp_path / "x.onnx"), "--test", str(easy)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert fresh.returncode == 2 and "trained checkpoint" in fresh.stderr  # a usage error


def test_compare_puts_runs_side_by_side(easy, trained, tmp_path):
    cmd = [
        sys.executable, "-m", "rfclassify.cli", "compare", str(trained.out), "--data",
        str(easy / "val"), "--out", str(tmp_path),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "| run | model | params (M) | GMACs | accuracy | macro-F1" in proc.stdout
    assert "`vim_ultralight`" in proc.stdout and "RSS" in proc.stdout
    assert (tmp_path / "comparison.png").stat().st_size > 5000
    assert list(trained.out.glob("eval-val-seed2.json"))  # evaluated once, cached
    rows = json.loads(subprocess.run([*cmd, "--json"], capture_output=True, text=True).stdout)
    assert rows[0]["macro_f1"] is not None
    assert sum(acc is not None for _, acc in rows[0]["accuracy_by_snr"]) >= 2  # a curve
    proc = subprocess.run([*cmd[:4], str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "not a finished training run" in proc.stderr


def test_training_on_examples_generated_on_the_fly(easy, tmp_path):
    c = resolve_config(
        "vim_ultralight",
        flags={
            "generate": 64,
            "generate_seed": 5,
            "val": str(easy / "val"),
            "out": str(tmp_path / "gen"),
            "model_overrides": TINY,
            "epochs": 2,
            "batch_size": 16,
            "workers": 2,
        },
    )
    result = train(c, progress=False)
    history = json.loads((result.out / "history.json").read_text())
    assert len(history) == 2 and all(r["train_acc"] > 0 for r in history)
    card = json.loads((result.out / "best.json").read_text())
    assert card["data"]["train"]["generated"] is True and card["data"]["train"]["seed"] == 5
    assert card["frontend"]["height"] == 32  # the validation set's frontend
    with pytest.raises(RfclassifyError, match="validation set's"):
        train(resolve_config("vim_ultralight", flags={**c.to_dict(), "generate_seed": 2,
              "out": str(tmp_path / "g2")}), progress=False)  # fmt: skip
