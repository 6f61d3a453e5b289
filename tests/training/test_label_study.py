"""Label-efficiency runs: stratified label subsets, a fixed budget per run, and the study grid."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rfclassify.cli import main
from rfclassify.datasets.builder import build_dataset
from rfclassify.datasets.recipe import load_recipe
from rfclassify.dsp import FrontendConfig
from rfclassify.training.data import label_subset
from rfclassify.training.label_study import markdown, summarise

VIT = "vit_tiny_patch4_32"
SMALL = '{"depth": 2}'


def test_a_label_subset_keeps_every_class_in_proportion_and_repeats_for_its_seed():
    labels = np.repeat(np.arange(4), [400, 300, 200, 100])
    subset = label_subset(labels, 0.1, seed=5)
    assert np.bincount(labels[subset]).tolist() == [40, 30, 20, 10]
    assert np.array_equal(subset, label_subset(labels, 0.1, seed=5))
    assert not np.array_equal(subset, label_subset(labels, 0.1, seed=6))
    assert len(np.unique(subset)) == len(subset) and np.all(np.diff(subset) > 0)
    tiny = label_subset(labels, 0.001, seed=0)  # under one per class: one each, none lost
    assert np.bincount(labels[tiny]).tolist() == [1, 1, 1, 1]
    assert np.array_equal(label_subset(labels, 1.0, seed=0), np.arange(len(labels)))
    with pytest.raises(ValueError):
        label_subset(labels, 0.0, seed=0)


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    recipe = load_recipe()
    recipe.update(snr_db=[10.0, 30.0], capture_rates=[1.92e6, 3.84e6], pair=0.0)
    root = tmp_path_factory.mktemp("study")
    frontend = FrontendConfig(window_ms=5.0, height=32, width=32)
    for name, n, seed in (("train", 80, 1), ("val", 24, 2), ("test", 24, 3)):
        build_dataset(root / name, n, seed, recipe, frontend, progress=False)
    mae = ["pretrain", "--model", VIT, "--model-args", SMALL, "--data", str(root / "train")]
    mae += ["--out", str(root / "mae"), "--epochs", "1", "--batch-size", "16", "--quiet"]
    assert main(mae) == 0
    return root


def _quarter(folder) -> int:
    """How many examples a stratified 25 % subset of the folder's labels holds."""
    labels = np.load(folder / "labels.npy")
    return len(label_subset(labels, 0.25, 0))


def test_a_fraction_of_the_labels_with_a_fixed_budget_per_epoch(sets):
    out = sets / "subset-run"
    args = ["train", "--model", VIT, "--model-args", SMALL, "--data", str(sets / "train")]
    args += ["--val", str(sets / "val"), "--out", str(out), "--label-fraction", "0.25"]
    args += ["--steps-per-epoch", "3", "--batch-size", "8", "--epochs", "2", "--quiet"]
    assert main(args) == 0
    history = json.loads((out / "history.json").read_text())
    # 20 labelled examples, yet every epoch is exactly 3 batches of 8: the subset repeats
    assert [h["train_examples"] for h in history] == [24, 24]
    train_info = json.loads((out / "best.json").read_text())["data"]["train"]
    expected = _quarter(sets / "train")  # round(n_c / 4) per class: ~20 of the 80
    assert train_info["label_fraction"] == 0.25 and train_info["labelled_count"] == expected


def test_a_label_fraction_outside_0_1_is_a_usage_error(sets, capsys):
    args = ["train", "--model", VIT, "--data", str(sets / "train"), "--out", str(sets / "x")]
    with pytest.raises(SystemExit) as stop:
        main([*args, "--label-fraction", "1.5"])
    assert stop.value.code == 2 and "must be in (0, 1]" in capsys.readouterr().err


def test_the_study_trains_every_cell_pairs_the_gains_and_continues_where_it_stopped(sets):
    out = sets / "grid"
    args = ["label-study", "--model", VIT, "--model-args", SMALL]
    args += ["--data", str(sets / "train"), "--val", str(sets / "val")]
    args += ["--test", str(sets / "test"), "--encoder", str(sets / "mae" / "encoder.safetensors")]
    args += ["--out", str(out), "--fractions", "0.25,1", "--seeds", "0,1"]
    args += ["--methods", "scratch,finetune,probe", "--epochs", "1", "--steps-per-epoch", "2"]
    args += ["--batch-size", "8", "--quiet"]
    assert main(args) == 0
    results = json.loads((out / "results.json").read_text())
    assert len(results["runs"]) == 2 * 2 * 3
    assert {r["labelled"] for r in results["runs"] if r["fraction"] == 0.25} == {
        _quarter(sets / "train")
    }
    cells = {(e["method"], e["fraction"]): e for e in results["summary"]}
    assert len(cells) == 6 and all(e["accuracy"]["n"] == 2 for e in cells.values())
    assert "gain_over_scratch" not in cells[("scratch", 1.0)]
    finetune = cells[("finetune", 0.25)]
    gains = [
        f["accuracy"] - s["accuracy"]
        for f in results["runs"]
        for s in results["runs"]
        if f["method"] == "finetune" and s["method"] == "scratch"
        and f["fraction"] == s["fraction"] == 0.25 and f["seed"] == s["seed"]
    ]  # fmt: skip
    assert finetune["gain_over_scratch"]["accuracy"]["mean"] == pytest.approx(np.mean(gains))
    assert (out / "label-efficiency.png").stat().st_size > 0
    assert "MAE + fine-tune" in (out / "table.md").read_text()
    probe = json.loads((out / "probe-25pct-seed0" / "config.json").read_text())
    assert probe["linear_probe"] and probe["init_from"].endswith("encoder.safetensors")
    assert probe["lr"] == 3e-3  # the probe's own step size
    stamp = (out / "scratch-25pct-seed0" / "summary.json").stat().st_mtime_ns
    assert main(args) == 0  # everything done already: nothing is trained again
    assert (out / "scratch-25pct-seed0" / "summary.json").stat().st_mtime_ns == stamp


def test_a_study_fraction_outside_0_1_is_a_usage_error(sets, capsys):
    args = ["label-study", "--model", VIT, "--data", str(sets / "train"), "--val", str(sets)]
    with pytest.raises(SystemExit) as stop:
        main([*args, "--test", str(sets), "--out", str(sets / "z"), "--fractions", "0.1,2"])
    assert stop.value.code == 2 and "must be in (0, 1]" in capsys.readouterr().err


def test_the_study_refuses_fine_tuning_without_an_encoder(sets, capsys):
    args = ["label-study", "--model", VIT, "--data", str(sets / "train")]
    args += ["--val", str(sets / "val"), "--test", str(sets / "test"), "--out", str(sets / "y")]
    with pytest.raises(SystemExit) as stop:  # a usage error
        main([*args, "--quiet"])
    assert stop.value.code == 2
    assert "need --encoder" in capsys.readouterr().err


def test_the_table_reports_mean_spread_and_paired_gain():
    runs = [
        {"method": m, "fraction": 0.1, "seed": s, "labelled": 10, "accuracy": a,
         "macro_f1": a, "measured_on": "test (seed 3, 100)"}
        for m, s, a in (("scratch", 0, 0.5), ("scratch", 1, 0.6),
                        ("finetune", 0, 0.7), ("finetune", 1, 0.7))
    ]  # fmt: skip
    summary = summarise(runs)
    finetune = next(e for e in summary if e["method"] == "finetune")
    assert finetune["gain_over_scratch"]["accuracy"]["mean"] == pytest.approx(0.15)
    assert finetune["gain_over_scratch"]["accuracy"]["std"] == pytest.approx(0.0707, abs=1e-4)
    table = markdown({"runs": runs, "summary": summary})
    assert "| 10 % | 10 | MAE + fine-tune | 70.00 +- 0.00 |" in table and "+15.00 +- 7.07" in table
