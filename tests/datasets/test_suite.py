"""The evaluation suite: built small, scored end to end with a shipped model through the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rfclassify.datasets.builder import SUITE_SEED, build_dataset
from rfclassify.datasets.suite import DEFAULT_REAL_CAPTURES, load_suite, suite_sets
from rfclassify.errors import RfclassifyError
from rfclassify.signals.emitters import EMITTERS

SETS = "held_out,other_gsm,nr_held_out_patterns,receiver_out_of_range,rate_20,noise_battery,real"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rfclassify.cli", *args], capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("suite") / "suite"
    done = cli("dataset", "suite", "--out", str(out), "--n", "24", "--only", SETS, "--quiet")
    assert done.returncode == 0, done.stderr
    return out


def test_the_sets_cover_every_other_kind_the_held_out_nr_and_the_new_rates():
    names = [s.name for s in suite_sets()]
    assert names[0] == "held_out" and names[-2:] == ["noise_battery", "real"]
    assert {f"other_{kind}" for kind in EMITTERS} <= set(names)
    assert {"rate_19.2", "rate_20", "rate_25", "rate_46.08", "rate_56"} <= set(names)
    assert {"lte_tdd", "nr_held_out_bandwidths", "nr_held_out_patterns"} <= set(names)


def test_a_built_suite_indexes_its_sets_with_the_models_frontend(suite):
    index = load_suite(suite)
    assert [s["name"] for s in index["sets"]] == SETS.split(",")
    assert index["seed"] == SUITE_SEED and index["frontend"]["window_ms"] == 20.0
    for entry in index["sets"]:
        if entry["kind"] == "dataset":
            meta = json.loads((suite / entry["path"] / "dataset.json").read_text())
            assert meta["complete"] and meta["seed"] == SUITE_SEED and meta["split"] == "suite"
            assert meta["count"] == entry["count"]
    rates = json.loads((suite / "rate_20" / "dataset.json").read_text())["recipe"]
    assert rates["capture_rates"] == [20e6]
    battery = json.loads((suite / "noise_battery" / "index.json").read_text())
    assert {e["format"] for e in battery} == {"cf32_le", "ci16_le", "ci8", "cu8"}


def test_eval_scores_a_shipped_model_on_every_set_and_judges_the_targets(suite, tmp_path):
    done = cli("eval", "vim-lte-nr", "--suite", str(suite), "--json", "--plots", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    rows = {r["name"]: r for r in result["sets"]}
    assert list(rows) == SETS.split(",")
    assert rows["held_out"]["count"] == 24 and 0 <= rows["held_out"]["accuracy"] <= 1
    assert set(rows["other_gsm"]["by_kind"]) == {"gsm"}
    # per-class recall: every class of the held-out set; a one-class set's equals its accuracy
    assert set(rows["held_out"]["recall"]) == {"LTE", "NR", "Noise", "Other"}
    assert rows["other_gsm"]["recall"]["Other"] == rows["other_gsm"]["accuracy"]
    assert rows["other_gsm"]["recall"]["LTE"] is None
    assert rows["noise_battery"]["recall"]["Noise"] == rows["noise_battery"]["accuracy"]
    assert rows["noise_battery"]["windows"] > 0 and rows["noise_battery"]["noise_fraction"] >= 0
    judged = [t for t in result["targets"] if t["met"] is not None]
    assert result["targets_judged"] == len(judged) >= 5
    assert {t["set"] for t in result["targets"]} >= {"held_out", "rate_20", "noise_battery"}
    assert (tmp_path / "suite.png").stat().st_size > 5000
    table = cli("eval", "vim-lte-nr", "--suite", str(suite), "--quiet")
    assert table.returncode == 0 and "targets:" in table.stdout and "held_out" in table.stdout
    if DEFAULT_REAL_CAPTURES.exists():  # the real captures are scored, short ones listed
        assert rows["real"]["recordings"] >= 1
        assert "shorter than one window" in table.stdout


def test_resume_keeps_complete_sets_and_a_second_build_is_refused(suite):
    marker = (suite / "held_out" / "dataset.json").stat().st_mtime_ns
    again = cli("dataset", "suite", "--out", str(suite), "--only", "held_out", "--quiet")
    assert again.returncode != 0 and "--resume" in again.stderr
    resumed = cli("dataset", "suite", "--out", str(suite), "--only", SETS, "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert (suite / "held_out" / "dataset.json").stat().st_mtime_ns == marker


def test_the_suites_seed_is_refused_for_training_data_and_bad_folders_are_clear(tmp_path):
    with pytest.raises(RfclassifyError, match="suite's"):
        build_dataset(tmp_path / "train", 4, SUITE_SEED, progress=False)
    with pytest.raises(RfclassifyError, match=r"no suite\.json"):
        load_suite(tmp_path)
    done = cli("eval", "vim-lte-nr", "--suite", str(tmp_path))
    assert done.returncode != 0 and "dataset suite" in done.stderr


def test_a_suite_made_with_another_frontend_is_refused(suite, tmp_path):
    index = load_suite(suite)
    index["frontend"]["nfft"] = 512
    copy = tmp_path / "other"
    copy.mkdir()
    (copy / "suite.json").write_text(json.dumps(index))
    done = cli("eval", "vim-lte-nr", "--suite", str(copy))
    assert done.returncode != 0 and "another frontend" in done.stderr
