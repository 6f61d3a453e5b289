"""The suite's recordings: a noise battery the project's own reader reads back at the levels and
formats it claims, the real captures indexed by their labels, and rows that add up."""

import json
from pathlib import Path

import numpy as np
import pytest

from rfclassify.datasets.suite_recordings import (
    build_noise_battery,
    index_real_captures,
    score_recordings,
    summarise_recordings,
)
from rfclassify.inference import Classifier
from rfclassify.io import numpy_dtype, open_recording, write_recording

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "real-captures"
RATE = 1.92e6  # the lowest rate the shipped models serve: small files, fast windows
PREFIX_LABEL = {"lte": "LTE", "nr": "NR", "noise": "Noise", "wifi": "Other"}


def _rms_dbfs(x: np.ndarray) -> float:
    power = np.vdot(x, x).real / x.size
    return 10 * np.log10(power) if power > 0 else -np.inf


@pytest.fixture(scope="module")
def battery(tmp_path_factory):
    out = tmp_path_factory.mktemp("battery")
    calls = []
    entries = build_noise_battery(
        out, 7, RATE, 0.01, levels_dbfs=(-80, -40, -20, 0), progress=lambda *a: calls.append(a)
    )
    return out, entries, calls


@pytest.fixture(scope="module")
def model():
    return Classifier("vim-lte-nr", threads=1)


def test_battery_covers_format_level_filter_and_indexes_itself(battery):
    out, entries, calls = battery
    assert len(entries) == 4 * 4 * 2
    assert calls[-1] == (32, 32) and len(calls) == 32
    assert json.loads((out / "index.json").read_text()) == entries
    keys = {(e["format"], e["level_dbfs"], e["filter"]) for e in entries}
    assert len(keys) == 32
    for e in entries:
        assert e["label"] == "Noise" and e["samples"] == round(0.01 * RATE)
        assert (e["receiver"] is None) == (e["filter"] == "white")
        rec = open_recording(out / e["file"], verify_checksum=True)
        assert rec.datatype == e["format"] and rec.num_samples == e["samples"]
        assert rec.sample_rate == RATE
        assert [a["core:label"] for a in rec.annotations] == ["Noise"]  # self-describing


def test_read_back_level_is_the_battery_level_where_nothing_clips_or_vanishes(battery):
    out, entries, _ = battery
    checked = set()
    for e in entries:
        lsb = e["lsb_rms"]
        if e["filter"] != "white" or e["clip_fraction"] > 0 or (lsb is not None and lsb < 10):
            continue
        samples = open_recording(out / e["file"]).read()
        assert samples.dtype == np.complex64
        assert _rms_dbfs(samples) == pytest.approx(e["level_dbfs"], abs=0.5), e["file"]
        checked.add(e["format"])
    assert checked == {"cf32_le", "ci16_le", "ci8", "cu8"}


def test_full_scale_clips_integer_formats_and_low_gain_leaves_8_bit_zero_codes(battery):
    out, entries, _ = battery
    by = {(e["format"], e["level_dbfs"], e["filter"]): e for e in entries}
    saturated = by["ci8", 0.0, "white"]
    raw = np.fromfile(out / saturated["file"].replace("-meta", "-data"), numpy_dtype("ci8"))
    assert raw.min() == -128 and raw.max() == 127
    pinned = np.mean((raw == -128) | (raw == 127))
    assert saturated["clip_fraction"] == pytest.approx(pinned) and pinned > 0.1
    assert _rms_dbfs(open_recording(out / saturated["file"]).read()) < -0.5  # clipping lost power
    assert by["cf32_le", 0.0, "white"]["clip_fraction"] == 0  # float does not clip
    quiet = by["ci8", -80.0, "white"]
    assert quiet["lsb_rms"] < 0.5
    assert not open_recording(out / quiet["file"]).read().any()  # all zero codes: kept
    # cu8 has no zero code (offset binary, centre 127.5): a too-low gain leaves +-1/2 LSB
    codes = np.fromfile(out / by["cu8", -80.0, "white"]["file"].replace("-meta", "-data"), np.uint8)
    assert set(np.unique(codes)) <= {127, 128}


def test_battery_is_reproducible_per_file(tmp_path):
    a = build_noise_battery(
        tmp_path / "a", 3, RATE, 0.002, levels_dbfs=(-20,), formats=("ci16_le",)
    )
    b = build_noise_battery(tmp_path / "b", 3, RATE, 0.002, levels_dbfs=(-20, -6))
    build_noise_battery(tmp_path / "c", 4, RATE, 0.002, levels_dbfs=(-20,), formats=("ci16_le",))
    name = a[1]["file"]
    data = name.replace("-meta", "-data")
    assert a[1]["receiver"] == next(e for e in b if e["file"] == name)["receiver"]
    assert (tmp_path / "a" / data).read_bytes() == (tmp_path / "b" / data).read_bytes()
    assert (tmp_path / "a" / data).read_bytes() != (tmp_path / "c" / data).read_bytes()


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-captures is absent")
def test_real_captures_all_labelled_and_1ms_files_short_against_a_20ms_window():
    entries = index_real_captures(REAL, lambda rate: round(0.020 * rate))
    assert len(entries) == len(list(REAL.glob("*.sigmf-meta"))) >= 10
    for e in entries:
        name = Path(e["file"]).name
        assert Path(e["file"]).is_absolute() and "skipped" not in e
        assert e["label"] == PREFIX_LABEL[name.split("_")[0]]
        assert e["short"] == (e["samples"] < 0.020 * e["sample_rate"])
        if "_1ms" in name:
            assert e["short"]
        if name.startswith("lte_"):
            assert not e["short"]
        assert e["source"].startswith("github.com/")
    # one number for all rates: the same file is short or not by that count alone
    fixed = {Path(e["file"]).name: e["short"] for e in index_real_captures(REAL, 100_000)}
    assert fixed["lte_fdd_b3_1815MHz_hackrf.sigmf-meta"] is False
    assert fixed["nr_fdd_n3_1842MHz_gnb_ssb_1ms.sigmf-meta"] is True


def test_unlabelled_and_unreadable_files_are_listed_skipped_not_fatal(tmp_path, iq_noise):
    write_recording(tmp_path / "bare", iq_noise(1000), RATE)
    write_recording(
        tmp_path / "mixed", iq_noise(1000), RATE,
        annotations=[{"sample_start": 0, "label": "LTE"}, {"sample_start": 500, "label": "NR"}],
    )  # fmt: skip
    write_recording(
        tmp_path / "odd", iq_noise(1000), RATE, annotations=[{"sample_start": 0, "label": "GSM"}]
    )
    write_recording(
        tmp_path / "good", iq_noise(1000), RATE, annotations=[{"sample_start": 0, "label": "NR"}]
    )
    (tmp_path / "broken.sigmf-meta").write_text("{not json")
    entries = {Path(e["file"]).stem: e for e in index_real_captures(tmp_path, 10)}
    assert entries["good"]["label"] == "NR" and entries["good"]["short"] is False
    for name in ("bare", "mixed", "odd", "broken"):
        assert entries[name]["label"] is None and entries[name]["skipped"], name
    assert "GSM" in entries["odd"]["skipped"] and "unreadable" in entries["broken"]["skipped"]
    assert index_real_captures(tmp_path / "absent", 10) == []


@pytest.fixture
def iq_noise():
    def make(n, seed=0):
        rng = np.random.default_rng(seed)
        return (0.1 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))).astype(np.complex64)

    return make


def test_scores_add_up_and_unscorable_recordings_are_listed(tmp_path, model, iq_noise):
    window = model.window_length(RATE)
    entries = build_noise_battery(
        tmp_path, 5, RATE, 2.5 * window / RATE, levels_dbfs=(-40, -20), formats=("ci8",)
    )
    entries += build_noise_battery(
        tmp_path / "dead", 5, RATE, 1.2 * window / RATE, levels_dbfs=(-80,), formats=("ci8",)
    )[:1]
    entries[-1]["file"] = "dead/" + entries[-1]["file"]
    write_recording(tmp_path / "tiny", iq_noise(window - 1), RATE)
    entries.append({"file": "tiny.sigmf-meta", "label": "Noise"})
    entries.append({"file": "gone.sigmf-meta", "label": None, "skipped": "no label"})
    entries.append({"file": "missing.sigmf-meta", "label": "LTE"})
    rows = score_recordings(model, entries, tmp_path)
    assert [r["file"] for r in rows] == [e["file"] for e in entries]
    for r in rows[:4]:
        assert r["windows"] == 2 and r["invalid"] == 0 and r["short"] is False
        assert sum(r["predicted"].values()) == r["windows"]
        assert r["correct"] == r["predicted"]["Noise"]
        assert r["accuracy"] == r["correct"] / 2
        assert r["predicted"][r["majority"]] == max(r["predicted"].values())
        assert r["pass"] == (r["majority"] == "Noise")
        # the windows classify rfclassify's way: contiguous from sample 0, the partial tail left
        samples = open_recording(tmp_path / r["file"]).read()
        probs, valid = model.classify(samples[: 2 * window].reshape(2, window), RATE)
        assert valid.all()
        labels = [model.classes[i] for i in probs.argmax(1)]
        assert r["predicted"] == {c: labels.count(c) for c in model.classes}
        tie_break = {c: (labels.count(c), probs[:, i].sum()) for i, c in enumerate(model.classes)}
        assert r["majority"] == max(tie_break, key=tie_break.get)
    dead, tiny, gone, missing = rows[4:]
    assert dead["windows"] == dead["invalid"] == 1 and dead["pass"] is None
    assert dead["majority"] is None and sum(dead["predicted"].values()) == 0
    assert tiny["windows"] == 0 and tiny["short"] is True and tiny["pass"] is None
    assert gone["pass"] is None and gone["windows"] == 0
    assert missing["pass"] is None and missing["windows"] == 0 and missing["error"]
    capped = score_recordings("vim-lte-nr", entries[:1], tmp_path, max_windows=1, threads=1)
    assert capped[0]["windows"] == 1
    first = open_recording(tmp_path / entries[0]["file"]).read(0, window)
    probs, _ = model.classify([first], RATE)  # the first window, classified on its own
    assert capped[0]["predicted"][model.classes[int(probs[0].argmax())]] == 1


def test_summary_counts_groups_noise_share_and_false_alarms():
    def row(label, fmt, windows, predicted, invalid=0, passed=True):
        full = dict.fromkeys(["LTE", "NR", "Noise", "Other"], 0) | predicted
        return {
            "label": label, "format": fmt, "windows": windows, "invalid": invalid,
            "correct": full[label] if label else 0, "predicted": full, "pass": passed,
        }  # fmt: skip

    rows = [
        row("Noise", "ci8", 10, {"Noise": 9, "LTE": 1}),
        row("Noise", "cu8", 10, {"Noise": 4, "NR": 3, "Other": 3}, passed=False),
        row("Noise", "ci8", 4, {}, invalid=4, passed=None),
        row("LTE", "cf32_le", 5, {"LTE": 5}),
        row("NR", "cf32_le", 0, {}, passed=None),
    ]
    s = summarise_recordings(rows)
    noise = s["Noise"]
    assert (noise["recordings"], noise["scored"], noise["passed"]) == (3, 2, 1)
    assert (noise["windows"], noise["invalid"], noise["noise_windows"]) == (24, 4, 20)
    assert noise["window_accuracy"] == noise["noise_fraction"] == pytest.approx(13 / 20)
    assert noise["false_alarm_fraction"] == pytest.approx(4 / 20)
    assert s["LTE"]["window_accuracy"] == 1 and "noise_fraction" not in s["LTE"]
    assert s["NR"]["window_accuracy"] is None and s["NR"]["scored"] == 0
    assert s["all"]["windows"] == 29 and s["all"]["window_accuracy"] == pytest.approx(18 / 25)
    by_format = summarise_recordings(rows, by="format")
    assert by_format["ci8"]["noise_fraction"] == pytest.approx(9 / 10)
    assert by_format["cu8"]["false_alarm_fraction"] == pytest.approx(3 / 10)
    assert by_format["all"] == s["all"]
