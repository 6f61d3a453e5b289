"""`rfclassify classify` on real recordings: SigMF and raw files, the shipped model, real exit
codes. The recording holds two 20 ms windows each of clear LTE, NR and noise at 7.68 MS/s (the
recipe the block's flowgraph test labels correctly)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rfclassify.cli import main
from rfclassify.io import ResultRecord, iso_from_epoch, write_recording
from rfclassify.signals.scene import Scene, render

RATE = 7.68e6
WINDOW = round(0.02 * RATE)
FREQ = 806e6
START = "2026-01-02T03:04:05.500000Z"
START_POSIX = 1767323045.5
TRUTH = ["LTE", "LTE", "NR", "NR", "Noise", "Noise"]


def _segments() -> np.ndarray:
    scenes = [
        Scene("lte", 0.04, RATE, snr_db=25.0, params={"bandwidth_mhz": 5.0}),
        Scene("nr", 0.04, RATE, snr_db=25.0, params={"bandwidth_mhz": 5, "scs_khz": 15}),
        Scene("noise", 0.04, RATE),
    ]
    parts = [render(s, seed).samples[: 2 * WINDOW] for seed, s in enumerate(scenes, 1)]
    return np.concatenate(parts).astype(np.complex64)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return _segments()


@pytest.fixture(scope="module")
def recording(tmp_path_factory, data) -> Path:
    folder = tmp_path_factory.mktemp("classify")
    return write_recording(folder / "segments.sigmf-meta", data, RATE, FREQ, start_time=START)


def classify(capsys, *args: object) -> tuple[int, str, str]:
    code = main(["classify", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def records(text: str) -> list[ResultRecord]:
    return [ResultRecord.from_json(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def json_records(recording) -> list[ResultRecord]:
    """The --json form, run once for the module (a model load per run is not free)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["classify", str(recording), "--json", "--quiet"])
    assert code == 0, err.getvalue()
    assert err.getvalue() == ""
    return records(out.getvalue())  # every stdout line is a record: nothing else is printed


def test_json_gives_the_right_label_at_every_window_start_with_recording_time_and_freq(
    json_records,
):
    got = json_records
    assert [r.label for r in got] == TRUTH
    assert [r.start for r in got] == [i * WINDOW for i in range(6)]
    assert [r.seq for r in got] == list(range(6))
    assert all(r.length == WINDOW and r.sample_rate == RATE and r.valid for r in got)
    assert all(r.center_freq == FREQ and r.model == "vim-lte-nr" for r in got)
    # core:datetime anchors the clock like an rx_time tag: time = start time + start / rate.
    assert all(r.time_source == "rx_time" for r in got)
    assert [r.time for r in got] == [iso_from_epoch(START_POSIX + r.start / RATE) for r in got]
    assert got[0].time == START


def test_the_table_shows_each_window_and_a_summary_per_label(capsys, recording):
    code, out, err = classify(capsys, recording, "--quiet", "--threads", "1")
    assert code == 0 and err == ""
    assert "806 MHz" in out and "starts 2026-01-02T03:04:05.500000Z" in out
    rows = [line.split() for line in out.splitlines() if line.split()[:1] == ["153600"]]
    assert rows and rows[0][1:4] == ["0.020", "03:04:05.520000", "LTE"]
    summary = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert summary["LTE"][:2] == ["2", "33.3%"] and summary["NR"][:2] == ["2", "33.3%"]
    assert summary["Noise"][:2] == ["2", "33.3%"] and summary["Other"][:2] == ["0", "0.0%"]
    assert "6 windows: 6 classified, 0 invalid" in out and "0 partial" in out
    assert "windows/s" in out and "MS/s" in out


def test_a_raw_file_gives_the_same_records_and_its_tail_is_a_partial_window(
    capsys, tmp_path, data, json_records
):
    raw = tmp_path / "capture.cfile"
    np.concatenate([data, data[:1000]]).tofile(raw)  # 1000 samples too few for a 7th window
    code, out, err = classify(
        capsys, raw, "--rate", RATE, "--dtype", "cf32_le", "--center-freq", FREQ, "--json"
    )
    assert code == 0, err
    got = records(out)
    fields = ("label", "start", "length", "seq", "center_freq", "sample_rate", "valid")
    for a, b in zip(got, json_records, strict=True):
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
        assert a.probs == pytest.approx(b.probs, abs=1e-5)
        assert a.time_source == "host"  # a raw file has no start time
    assert "6 windows, 0 invalid, 1 partial" in err


def test_a_new_capture_frequency_restarts_the_windows_like_a_retune(capsys, tmp_path, data):
    meta = write_recording(tmp_path / "retune.sigmf-meta", data, RATE, FREQ, start_time=START)
    doc = json.loads(meta.read_text())
    retune = 3 * WINDOW // 2
    second = {"core:sample_start": retune, "core:frequency": 1.8e9}
    doc["captures"].append({**second, "core:datetime": "2026-01-02T04:00:00Z"})
    meta.write_text(json.dumps(doc))
    code, out, err = classify(capsys, meta, "--json")
    assert code == 0, err
    got = records(out)
    assert [r.start for r in got] == [0] + [retune + i * WINDOW for i in range(4)]
    assert [r.center_freq for r in got] == [FREQ] + [1.8e9] * 4
    assert got[1].time == "2026-01-02T04:00:00.000000Z"
    assert "2 partial" in err  # the window cut by the retune, and the tail


def test_min_confidence_drops_records_and_counts_them(capsys, recording):
    code, out, err = classify(capsys, recording, "--min-confidence", "0.95", "--json")
    assert code == 0, err
    got = records(out)
    assert all(r.confidence >= 0.95 for r in got)
    assert [r.seq for r in got] == list(range(len(got)))
    code, out, _ = classify(capsys, recording, "--min-confidence", "0.95", "--quiet")
    dropped = 6 - len(got)
    assert f"{dropped} below --min-confidence" in out


def _one_line_error(err: str, *phrases: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("rfclassify classify: error:")
    assert "Traceback" not in err
    for phrase in phrases:
        assert phrase in lines[0]


def test_a_rate_the_model_cannot_serve_says_which_it_serves(capsys, tmp_path):
    rng = np.random.default_rng(0)
    slow = (rng.standard_normal(60_000) + 1j * rng.standard_normal(60_000)).astype(np.complex64)
    meta = write_recording(tmp_path / "slow.sigmf-meta", slow, 1e6)
    code, out, err = classify(capsys, meta)
    assert code == 1 and out == ""
    _one_line_error(err, "slow.sigmf-meta", "1 MS/s is not supported", "1.92 to 61.44 MS/s")


def test_a_recording_shorter_than_a_window_says_so(capsys, tmp_path, data):
    meta = write_recording(tmp_path / "short.sigmf-meta", data[: WINDOW // 2], RATE)
    code, _, err = classify(capsys, meta)
    assert code == 1
    _one_line_error(err, "fewer than one 20 ms window")


def _trained_over(tmp_path: Path, window_ms: list[float]) -> Path:
    """The shipped Vim with a card that says it was trained over ``window_ms`` lengths."""
    from rfclassify.models.card import load_checkpoint, save_checkpoint

    root = Path(__file__).resolve().parents[2] / "models"
    model, card = load_checkpoint(root / "vim-lte-nr.safetensors")
    card.data["train"]["recipe"]["window_ms"] = window_ms
    return save_checkpoint(model, card, tmp_path / "ranged")


def test_a_short_recording_takes_a_window_length_the_model_was_trained_on(capsys, tmp_path, data):
    ranged = _trained_over(tmp_path, [10.0, 40.0])
    lte = data[: round(0.0123 * RATE)]  # 12.3 ms of the clear LTE: one 12 ms window
    meta = write_recording(tmp_path / "burst.sigmf-meta", lte, RATE)
    code, out, err = classify(capsys, meta, "--model", ranged, "--backend", "torch", "--json")
    assert code == 0, err
    (record,) = records(out)
    assert record.length == round(0.012 * RATE) and record.label == "LTE"
    assert "shorter than the model's 20 ms window; classifying 12 ms windows" in err
    # shorter than anything it was trained on: refused, saying what it was trained on
    meta = write_recording(tmp_path / "blip.sigmf-meta", lte[: round(0.009 * RATE)], RATE)
    code, _, err = classify(capsys, meta, "--model", ranged, "--backend", "torch")
    assert code == 1
    _one_line_error(err, "fewer than one 20 ms window", "trained on 10-40 ms windows")


def test_missing_and_unreadable_files_give_one_line(capsys, tmp_path):
    code, _, err = classify(capsys, tmp_path / "nothere.cfile")
    assert code == 1
    _one_line_error(err, "nothere.cfile: file not found")
    code, _, err = classify(capsys, tmp_path / "nothere.sigmf-meta")
    assert code == 1
    _one_line_error(err, "SigMF metadata file not found")
    bad = tmp_path / "bad.sigmf-meta"
    bad.write_text("{not json")
    code, _, err = classify(capsys, bad)
    assert code == 1
    _one_line_error(err, "bad.sigmf-meta: not valid JSON")


@pytest.mark.parametrize("given", [[], ["--rate", "7.68e6"], ["--dtype", "cf32_le"]])
def test_a_raw_file_needs_its_rate_and_dtype(capsys, tmp_path, data, given):
    raw = tmp_path / "capture.iq"
    data[:WINDOW].tofile(raw)
    with pytest.raises(SystemExit) as exit_:
        main(["classify", str(raw), *given])
    assert exit_.value.code == 2  # a usage error, argparse's convention
    err = capsys.readouterr().err
    assert "give its --rate and --dtype" in err and "Traceback" not in err


def test_the_installed_entry_point_classifies_and_has_examples_in_its_help(recording, json_records):
    exe = shutil.which("rfclassify", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("the rfclassify entry point is not installed next to this Python")
    help_ = subprocess.run([exe, "classify", "--help"], capture_output=True, text=True, check=True)
    assert "examples:" in help_.stdout and "--dtype" in help_.stdout
    proc = subprocess.run(
        [exe, "classify", str(recording.with_suffix(".sigmf-data")), "--json", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert [(r.label, r.start) for r in records(proc.stdout)] == [
        (r.label, r.start) for r in json_records
    ]
