"""The `rfclassify` command as a user runs it: a real subprocess, real files, real exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rfclassify.cli import main

RF = [sys.executable, "-m", "rfclassify.cli"]


def rf(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    proc = subprocess.run([*RF, *args], capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def pattern(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rec") / "pattern.sigmf-meta"
    rf("synth", "testpattern", "--seconds", "0.05", "--out", str(out), check=True)
    return out


def test_help_lists_every_verb():
    proc = rf("--help", check=True)
    for verb in ("synth", "dataset", "models", "train", "eval", "compare", "export", "bench"):
        assert verb in proc.stdout
    for verb in ("synth", "dataset build", "dataset info", "spectrogram", "bench frontend"):
        sub = rf(*verb.split(), "--help", check=True)
        assert "usage: rfclassify" in sub.stdout


def test_synth_writes_a_sigmf_recording_with_ground_truth(pattern):
    from rfclassify.io import open_recording

    rec = open_recording(pattern)
    assert rec.sample_rate == 15.36e6
    assert rec.center_freq == 2.6e9
    assert rec.num_samples == round(15.36e6 * 0.05)
    labels = {a["core:label"] for a in rec.annotations}
    assert labels == {"CW", "OFDM", "chirp"}


def test_spectrogram_renders_a_png_with_real_axes(pattern, tmp_path):
    out = tmp_path / "img.png"
    proc = rf(
        "spectrogram", str(pattern), "--out", str(out), "--windows", "2", "--json", check=True
    )
    summary = json.loads(proc.stdout)
    assert summary["windows"] == 2
    assert summary["window_samples"] == round(15.36e6 * 0.02)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    h, w = matplotlib.image.imread(out).shape[:2]
    assert w > h > 200


def test_spectrogram_asks_for_fewer_windows_than_exist_and_gets_what_fits(pattern, tmp_path):
    out = tmp_path / "img.png"
    proc = rf("spectrogram", str(pattern), "--out", str(out), "--windows", "50", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["windows"] == 2  # 50 ms holds two 20 ms windows


def test_spectrogram_of_a_raw_file_needs_and_uses_its_rate(tmp_path):
    raw = tmp_path / "capture.cfile"
    rng = np.random.default_rng(1)
    (rng.standard_normal(2 * 40_000).astype(np.float32)).tofile(raw)
    out = tmp_path / "raw.png"
    missing = rf("spectrogram", str(raw), "--out", str(out))
    assert missing.returncode == 2
    assert "--rate" in missing.stderr
    ok = rf("spectrogram", str(raw), "--rate", "1.92e6", "--out", str(out), "--json", check=True)
    assert json.loads(ok.stdout)["windows"] == 1


@pytest.mark.parametrize(
    "make,phrase",
    [
        (lambda d: d / "missing.sigmf-meta", "missing.sigmf-meta"),
        (lambda d: _write(d / "garbage.sigmf-meta", "{not json"), "garbage.sigmf-meta"),
    ],
)
def test_bad_recordings_give_one_line_and_no_traceback(tmp_path, make, phrase):
    path = make(tmp_path)
    proc = rf("spectrogram", str(path), "--out", str(tmp_path / "x.png"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("rfclassify spectrogram: error:")
    assert phrase in lines[0]


def test_a_recording_shorter_than_one_window_says_so(tmp_path):
    short = tmp_path / "short.sigmf-meta"
    rf("synth", "testpattern", "--seconds", "0.005", "--out", str(short), check=True)
    proc = rf("spectrogram", str(short), "--out", str(tmp_path / "x.png"))
    assert proc.returncode == 1
    assert "fewer than one 20 ms window" in proc.stderr
    ok = rf("spectrogram", str(short), "--out", str(tmp_path / "x.png"), "--window-ms", "5")
    assert ok.returncode == 0, ok.stderr


def test_a_rate_the_frontend_does_not_serve_is_refused(tmp_path):
    rec = tmp_path / "slow.sigmf-meta"
    rf("synth", "testpattern", "--rate", "1e6", "--seconds", "0.05", "--out", str(rec), check=True)
    proc = rf("spectrogram", str(rec), "--out", str(tmp_path / "x.png"))
    assert proc.returncode == 1
    assert "1 MS/s is not supported" in proc.stderr
    assert "1.92 to 61.44 MS/s" in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["spectrogram"],
        ["spectrogram", "x.sigmf-meta"],  # --out missing
        ["spectrogram", "x.sigmf-meta", "--out", "y.png", "--windows", "0"],
        ["spectrogram", "x.sigmf-meta", "--out", "y.png", "--size", "12xq"],
        ["spectrogram", "x.sigmf-meta", "--out", "y.png", "--nfft", "100"],
        ["bench", "frontend", "--rate", "-5"],
        ["synth", "nothing", "--out", "a.sigmf-meta"],
        ["no-such-verb"],
    ],
)
def test_bad_arguments_exit_2_with_usage(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "usage: rfclassify" in capsys.readouterr().err


def test_frontend_config_file_drives_the_spectrogram(pattern, tmp_path):
    from rfclassify.dsp import FrontendConfig

    cfg = tmp_path / "card.json"
    cfg.write_text(json.dumps({"frontend": FrontendConfig(height=64, width=32).to_dict()}))
    proc = rf(
        "spectrogram",
        str(pattern),
        "--out",
        str(tmp_path / "c.png"),
        "--frontend",
        str(cfg),
        "--json",
        check=True,
    )
    front = json.loads(proc.stdout)["frontend"]
    assert (front["height"], front["width"]) == (64, 32)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"nfft": 256, "fft_len": 3}))
    proc = rf("spectrogram", str(pattern), "--out", str(tmp_path / "d.png"), "--frontend", str(bad))
    assert proc.returncode == 1
    assert "unknown keys" in proc.stderr


def test_bench_frontend_json_reports_throughput_and_its_baseline():
    proc = rf("bench", "frontend", "--json", "--seconds", "0.3", "--batch", "2", check=True)
    result = json.loads(proc.stdout)
    assert result["bench"] == "frontend"
    assert result["msps"] > 0 and result["baseline_msps"] > 0
    assert result["msps_min"] <= result["msps"] <= result["msps_max"]
    assert result["speedup_vs_baseline"] == pytest.approx(
        result["msps"] / result["baseline_msps"], rel=0.05
    )
    assert result["cores"] == 1
    assert result["frontend"]["nfft"] == 256


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    path.with_suffix(".sigmf-data").write_bytes(b"\0" * 64)
    return path


@pytest.mark.parametrize("rate", ["nan", "inf", "0", "fast"])
def test_numbers_must_be_finite_and_in_range(rate, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "frontend", "--rate", rate])
    assert exc.value.code == 2
    assert f"'{rate}'" in capsys.readouterr().err


def test_synth_kinds_match_the_scene_kinds():
    from rfclassify.commands.synth import SCENE_KINDS
    from rfclassify.signals.scene import KIND_LABELS

    assert set(SCENE_KINDS) == set(KIND_LABELS)


@pytest.mark.parametrize(
    "kind,extra,label,rate",
    [
        ("lte", ["--bandwidth", "5", "--cell-id", "17", "--channel", "EPA"], "LTE", 7.68e6),
        ("nr", ["--bandwidth", "20", "--scs", "30", "--param", "duplex=DDDSU"], "NR", 30.72e6),
        ("wifi_ofdm", ["--rate", "30.72e6"], "Other", 30.72e6),
        ("noise", ["--rate", "1.92e6"], "Noise", 1.92e6),
    ],
)
def test_synth_writes_each_kind_with_its_ground_truth(tmp_path, kind, extra, label, rate):
    from rfclassify.io import open_recording

    out = tmp_path / f"{kind}.sigmf-meta"
    rf("synth", kind, "--seconds", "0.01", "--out", str(out), *extra, check=True)
    rec = open_recording(out)
    assert rec.sample_rate == rate
    (ann,) = rec.annotations
    assert ann["core:label"] == label
    params = json.loads(ann["core:comment"])
    assert params["kind"] == kind
    if kind == "lte":
        assert params["cell_id"] == 17 and params["propagation"]["profile"] == "EPA"
        assert ann["core:freq_upper_edge"] - ann["core:freq_lower_edge"] == pytest.approx(4.5e6)
    if kind == "nr":
        assert params["duplex"] == "DDDSU"


def test_synth_reaches_td_lte_through_a_drawn_8_bit_receiver(tmp_path):
    from rfclassify.io import open_recording

    out = tmp_path / "tdd.sigmf-meta"
    rf("synth", "lte", "--param", "duplex=TDD", "--param", "ul_dl_config=2",
       "--param", "special_subframe_config=7", "--rate", "15.36e6", "--seconds", "0.01",
       "--rx-param", "adc_bits=8", "--datatype", "ci8", "--out", str(out), check=True)  # fmt: skip
    rec = open_recording(out)
    params = json.loads(rec.annotations[0]["core:comment"])
    assert params["subframe_types"] == "DSUDDDSUDD" and params["dwpts_symbols"] == 10
    assert params["sdr"]["adc_bits"] == 8 and 0 < params["duty_cycle"] < 1
    x = rec.read(0, rec.num_samples)
    assert np.abs(x).max() > 0  # the level the receiver drew is above the 8-bit LSB


def test_synth_refuses_a_bad_generator_parameter_in_one_line(tmp_path):
    proc = rf("synth", "lte", "--bandwidth", "7", "--out", str(tmp_path / "x.sigmf-meta"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("rfclassify synth: error: lte:")
    assert len(proc.stderr.strip().splitlines()) == 1
