"""`rfclassify dataset ...` as a user runs it: real subprocesses, real folders."""

import json
import subprocess
import sys

import numpy as np
import pytest

RF = [sys.executable, "-m", "rfclassify.cli"]


def rf(*args, check=False):
    proc = subprocess.run([*RF, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-data")
    config = root / "recipe.toml"
    config.write_text("capture_rates = [1.92e6, 3.84e6, 7.68e6]\n")
    out = root / "train"
    proc = rf(
        "dataset", "build", "--out", out, "--n", 12, "--seed", 1, "--config", config,
        "--window-ms", 4, "--size", "32x48", "--split", "train", "--workers", 2,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "wrote 12 examples" in proc.stdout and "examples/s" in proc.stdout
    assert "building" in proc.stderr  # the progress bar
    return out


def test_build_writes_the_frontend_and_recipe_asked_for(dataset):
    meta = json.loads((dataset / "dataset.json").read_text())
    assert meta["split"] == "train"
    assert meta["image_shape"] == [1, 32, 48]
    assert meta["frontend"]["window_ms"] == 4.0
    assert meta["recipe"]["capture_rates"] == [1.92e6, 3.84e6, 7.68e6]
    # the command as typed, for model cards to cite
    assert meta["command"].startswith("rfclassify dataset build --out ")
    assert "--seed 1" in meta["command"] and "--size 32x48" in meta["command"]
    images = np.load(dataset / "images-00000.npy", mmap_mode="r")
    assert images.shape == (12, 1, 32, 48) and images.dtype == np.float16


def test_info_reads_back_counts_and_build_speed(dataset):
    text = rf("dataset", "info", dataset, check=True).stdout
    assert "12 examples, complete" in text and "seed 1 (train)" in text
    summary = json.loads(rf("dataset", "info", dataset, "--json", check=True).stdout)
    assert sum(summary["classes"].values()) == 12
    assert summary["build"]["workers"] == 2


def test_recipe_prints_json_that_build_accepts_back(tmp_path):
    proc = rf("dataset", "recipe", check=True)
    recipe = json.loads(proc.stdout)
    assert recipe["classes"] == {"LTE": 1.0, "NR": 1.0, "Noise": 1.0, "Other": 1.0}
    recipe["capture_rates"] = [1.92e6]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(recipe))
    again = json.loads(rf("dataset", "recipe", "--config", path, check=True).stdout)
    assert again["capture_rates"] == [1.92e6]


def test_recipe_leaves_out_other_kinds_for_a_leave_one_kind_out_model():
    recipe = json.loads(rf("dataset", "recipe", "--leave-out", "gsm", check=True).stdout)
    kinds = recipe["other"]["kinds"]
    assert kinds["gsm"] == 0 and all(w == 1 for k, w in kinds.items() if k != "gsm")
    bad = rf("dataset", "recipe", "--leave-out", "umts")
    assert bad.returncode != 0 and "not an Other kind" in bad.stderr


def test_preview_draws_a_png(dataset, tmp_path):
    from matplotlib.image import imread

    out = tmp_path / "preview.png"
    rf("dataset", "preview", dataset, "--out", out, "--per-class", 3, check=True)
    image = imread(out)
    assert image.shape[0] > 300 and image.shape[1] > 300
    assert image[..., :3].std() > 0.05


def test_bad_input_is_one_line_and_the_right_exit_code(dataset, tmp_path):
    proc = rf("dataset", "build", "--out", dataset, "--n", 2, "--seed", 1)
    assert proc.returncode == 1 and "--force" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = rf("dataset", "build", "--out", tmp_path / "x", "--n", 0, "--seed", 1)
    assert proc.returncode == 2 and "--n" in proc.stderr
    proc = rf("dataset", "build", "--out", tmp_path / "x", "--n", 2)
    assert proc.returncode == 2 and "--seed" in proc.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"snr": [0, 1]}')
    proc = rf("dataset", "build", "--out", tmp_path / "x", "--n", 2, "--seed", 1, "--config", bad)
    assert proc.returncode == 1 and "unknown recipe key 'snr'" in proc.stderr
    proc = rf("dataset", "info", tmp_path)
    assert proc.returncode == 1 and "not a dataset" in proc.stderr


def test_a_suite_is_built_for_and_scores_a_checkpoint(tmp_path):
    from pathlib import Path

    checkpoint = Path(__file__).resolve().parents[2] / "models" / "vim-lte-nr.safetensors"
    suite = tmp_path / "suite"
    rf("dataset", "suite", "--out", suite, "--model", checkpoint, "--only", "noise_battery",
       "--quiet", check=True)  # fmt: skip
    proc = rf("eval", checkpoint, "--suite", suite, "--max-windows", 1, "--json", "--quiet",
              check=True)  # fmt: skip
    result = json.loads(proc.stdout)
    (row,) = result["sets"]
    assert row["name"] == "noise_battery" and row["windows"] >= 40
    assert result["window_ms"] == 20.0
    proc = rf("dataset", "suite", "--out", tmp_path / "s10", "--model", checkpoint,
              "--window-ms", 10, "--only", "noise_battery")  # fmt: skip
    assert proc.returncode == 1 and "trained on 20 ms windows, not 10 ms" in proc.stderr
