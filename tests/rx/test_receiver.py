"""rfclassify_rx.py end to end: simulator, SigMF replay, recording, config, clean stops, errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zmq

from rfclassify.io.recording import open_recording
from rfclassify.io.records import ResultRecord
from rfclassify.io.writer import RecordingWriter
from rfclassify.rx.app import main
from rfclassify.signals.scene import Scene, render

ROOT = Path(__file__).resolve().parents[2]
RX = [sys.executable, str(ROOT / "apps" / "rfclassify_rx.py")]
RATE = 7.68e6
WINDOW = 153600  # 20 ms


def _records(text: str) -> list[ResultRecord]:
    return [ResultRecord.from_json(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> tuple[Path, np.ndarray, list[str]]:
    """A SigMF recording: two 20 ms windows each of clear LTE, NR and Noise at 7.68 MS/s."""
    scenes = {
        "LTE": Scene("lte", 0.04, RATE, snr_db=25.0, params={"bandwidth_mhz": 5.0}),
        "NR": Scene("nr", 0.04, RATE, snr_db=25.0, params={"bandwidth_mhz": 5, "scs_khz": 15}),
        "Noise": Scene("noise", 0.04, RATE),
    }
    parts, truth = [], []
    for seed, (label, scene) in enumerate(scenes.items(), 1):
        parts.append(render(scene, seed).samples[: 2 * WINDOW].astype(np.complex64))
        truth += [label, label]
    data = np.concatenate(parts)
    meta = tmp_path_factory.mktemp("rec") / "capture.sigmf-meta"
    with RecordingWriter(meta, RATE, center_freq=1.8425e9, start_time=1_700_000_000.0) as w:
        w.write(data)
    return meta, data, truth


def test_sigmf_replay_labels_every_window_and_ends_at_the_end_of_file(capture, capsys):
    meta, _, truth = capture
    began = time.monotonic()
    assert main(["--source", "sigmf", "--input", str(meta), "--json", "--status-every", "0"]) == 0
    assert time.monotonic() - began < 60
    records = _records(capsys.readouterr().out)
    assert [r.label for r in records] == truth
    assert [r.start for r in records] == [i * WINDOW for i in range(len(truth))]
    assert [r.seq for r in records] == list(range(len(truth)))
    assert all(r.center_freq == 1.8425e9 and r.time_source == "rx_time" for r in records)
    assert records[1].time == "2023-11-14T22:13:20.020000Z"  # the recording's clock + 20 ms


def test_record_writes_valid_sigmf_whose_annotations_are_the_printed_results(
    capture, tmp_path, capsys
):
    meta, data, truth = capture
    out = tmp_path / "again.sigmf-meta"
    code = main(
        [
            "--source",
            "sigmf",
            "--input",
            str(meta),
            "--json",
            "--record",
            str(out),
            "--status-every",
            "0",
        ]
    )
    assert code == 0
    printed = _records(capsys.readouterr().out)
    again = open_recording(out, verify_checksum=True)
    assert np.array_equal(again.read(), data)  # every sample, bit for bit
    assert again.sample_rate == RATE and again.center_freq == 1.8425e9
    stored = again.results()
    assert [r.label for r in stored] == truth
    assert [(r.start, r.length, r.label) for r in stored] == [
        (r.start, r.length, r.label) for r in printed
    ]
    assert [r.confidence for r in stored] == pytest.approx([r.confidence for r in printed])


def test_the_simulator_shows_every_class(capsys):
    code = main(
        [
            "--source",
            "sim",
            "--rate",
            "1.92e6",
            "--duration",
            "12",
            "--max-latency-ms",
            "1000",
            "--json",
            "--status-every",
            "3",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    records = _records(captured.out)
    labels = {r.label for r in records}
    # The simulator plays every class (its own tests check the tags); the shipped models, trained
    # on generator version 2, miss the receiver-shaped 1.4 MHz LTE of version 3 at 1.92 MS/s:
    # at least three classes until issue 20's retrained models restore all four.
    assert len(labels) >= 3 and labels <= {"LTE", "NR", "Noise", "Other"}, labels
    assert all(r.time_source == "rx_time" for r in records)
    assert "MS/s" in captured.err and "windows" in captured.err and "latency" in captured.err


def test_zmq_carries_the_same_records(capture, capsys):
    meta, _, truth = capture
    ctx = zmq.Context.instance()
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"rfclassify")
    sub.setsockopt(zmq.RECONNECT_IVL, 10)  # join soon after the receiver binds
    sub.connect(address)
    # Replayed in real time, so the subscriber has joined before (nearly) all records.
    argv = ["--source", "sigmf", "--input", str(meta), "--realtime", "--zmq", address, "--json"]
    assert main([*argv, "--status-every", "0", "--max-latency-ms", "1000"]) == 0
    printed = _records(capsys.readouterr().out)
    received = []
    while sub.poll(2000):
        received.append(ResultRecord.from_json(sub.recv_multipart()[1]))
    sub.close(0)
    # ZMQ's slow joiner may cost the first record; every one after it arrives, identical.
    assert len(printed) >= len(truth) - 1 and len(received) >= len(printed) - 1
    assert received == printed[len(printed) - len(received) :]


def test_sigterm_stops_cleanly_and_leaves_a_valid_recording(tmp_path):
    out = tmp_path / "station.sigmf-meta"
    proc = subprocess.Popen(
        [
            *RX,
            "--source",
            "sim",
            "--rate",
            "1.92e6",
            "--json",
            "--record",
            str(out),
            "--status-every",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        started = ""  # a cold start (a fresh machine's first import of everything) may take 6 s+
        for line in proc.stderr:
            started += line
            if "MS/s ->" in line:  # the flowgraph is built and its handlers are in place
                break
        time.sleep(4)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
        stderr = started + stderr
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "stopped after" in stderr
    printed = _records(stdout)
    recording = open_recording(out, verify_checksum=True)
    assert recording.num_samples > 1.92e6  # seconds of IQ, all of it on disk
    stored = recording.results()
    assert stored and [r.start for r in stored] == [r.start for r in printed][: len(stored)]
    assert all(r.end <= recording.num_samples for r in stored)


def test_print_config_round_trips_through_a_station_file(tmp_path, capsys):
    station = tmp_path / "station.toml"
    station.write_text(
        '[source]\nkind = "soapy"\ndriver = "rtlsdr"\nrate = 2400000\nfreq = 806e6\n'
        '[classifier]\nmodel = "mobilevit-xxs-lte-nr"\n[outputs]\nzmq = "tcp://127.0.0.1:5557"\n'
    )
    assert main(["--config", str(station), "--gain", "30", "--print-config"]) == 0
    text = capsys.readouterr().out
    assert 'kind = "soapy"' in text and "rate = 2400000.0" in text and "gain = 30.0" in text
    assert 'model = "mobilevit-xxs-lte-nr"' in text
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(text)
    assert main(["--config", str(resolved), "--print-config"]) == 0
    assert capsys.readouterr().out == text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--source", "sim", "--rate", "100e3"], "0.1 MS/s is not supported: this frontend serves"),
        (["--source", "sigmf", "--input", "/nonexistent/x.sigmf-meta"], "x.sigmf-meta"),
        (["--source", "file", "--input", "/tmp/x.cf32"], "needs --rate"),
        (["--source", "soapy", "--driver", "nosuchsdr"], "no SDR matches 'driver=nosuchsdr'"),
        (["--source", "sim", "--config", "/nonexistent.toml"], "cannot read config"),
        (
            ["--source", "uhd", "--device-args", "type=nosuchusrp"],
            "no USRP matches 'type=nosuchusrp'",
        ),
    ],
)
def test_user_errors_are_one_line_and_exit_1(argv, message, capsys):
    assert main([*argv, "--duration", "1"]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_a_zmq_port_in_use_is_one_clear_line(capsys):
    holder = zmq.Context.instance().socket(zmq.PUB)
    port = holder.bind_to_random_port("tcp://127.0.0.1")
    try:
        assert (
            main(
                [
                    "--source",
                    "sim",
                    "--rate",
                    "1.92e6",
                    "--zmq",
                    f"tcp://127.0.0.1:{port}",
                    "--duration",
                    "1",
                ]
            )
            == 1
        )
    finally:
        holder.close(0)
    assert f"tcp://127.0.0.1:{port} is already in use" in capsys.readouterr().err


def test_bad_arguments_are_usage_errors():
    proc = subprocess.run([*RX, "--source", "tv"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "invalid choice: 'tv'" in proc.stderr


@pytest.mark.parametrize(
    "flag,value,message",
    [
        ("--max-batch", "0", "must be >= 1"),  # once hung the receiver for good
        ("--seed", "-1", "must be >= 0"),
        ("--threads", "-3", "must be >= 0"),
        ("--hop", "-1", "must be >= 0"),
        ("--window", "nan", "must be a finite number"),
        ("--gain", "inf", "must be a finite number"),
        ("--rate", "-5", "must be >= 0"),
        ("--min-confidence", "2", "must be between 0 and 1"),
        ("--max-latency-ms", "0", "must be > 0"),
        ("--duration", "nan", "must be a finite number"),
    ],
)
def test_numbers_out_of_range_are_usage_errors_before_anything_starts(flag, value, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--source", "sim", flag, value, "--print-config"])
    assert exc.value.code == 2
    assert f"argument {flag}: {message}" in capsys.readouterr().err


def test_a_station_file_with_a_number_out_of_range_names_the_key(tmp_path, capsys):
    station = tmp_path / "station.toml"
    station.write_text("[classifier]\nmax_batch = 0\n")
    assert main(["--config", str(station), "--print-config"]) == 1
    assert "classifier.max_batch must be >= 1, got 0" in capsys.readouterr().err


def test_the_installed_entry_point_answers_help():
    exe = Path(sys.executable).with_name("rfclassify-rx")
    proc = subprocess.run(
        [str(exe), "--help"], capture_output=True, text=True, timeout=60, env={**os.environ}
    )
    assert proc.returncode == 0 and "--source" in proc.stdout and "--print-config" in proc.stdout


def test_make_run_is_the_receiver_on_the_simulator():
    proc = subprocess.run(
        [
            "bash",
            str(ROOT / "scripts" / "demo.sh"),
            "--rate",
            "1.92e6",
            "--duration",
            "4",
            "--status-every",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines and all(line.endswith(tuple("0123456789)")) for line in lines)
    assert any(label in proc.stdout for label in ("LTE", "NR", "Noise", "Other"))


def test_the_example_station_file_is_valid(capsys):
    assert main(["--config", str(ROOT / "examples" / "station.toml"), "--print-config"]) == 0
    text = capsys.readouterr().out
    assert 'driver = "rtlsdr"' in text and 'zmq = "tcp://127.0.0.1:5557"' in text
