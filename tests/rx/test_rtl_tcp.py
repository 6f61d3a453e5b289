"""``rfclassify-rx --source osmosdr`` against a fake rtl_tcp server: gr-osmosdr's real rtl_tcp
client, a real subprocess, a clear LTE signal looped in cu8 at 1.92 MS/s."""

import socket
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import pytest

pytest.importorskip("osmosdr", reason="gr-osmosdr is not installed")

# pytest puts tests/rx on sys.path (no __init__.py, the default "prepend" import mode)
from fake_rtl_tcp import (
    SET_AGC_MODE,
    SET_FREQUENCY,
    SET_GAIN,
    SET_GAIN_MODE,
    SET_SAMPLE_RATE,
    FakeRtlTcp,
    from_cu8,
    to_cu8,
)

from rfclassify.io.records import ResultRecord

RATE = 1.92e6  # a rate real RTL dongles run (gr-osmosdr lists it as "known to work")
FREQ = 806e6
WINDOW = 38400  # 20 ms at 1.92 MS/s, the model's window
RX = [sys.executable, "-m", "rfclassify.rx.app"]


def rx(*args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([*RX, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def lte() -> np.ndarray:
    """0.2 s of LTE 1.4 MHz at 25 dB SNR, scaled so I and Q peak at 0.8 (cu8 does not clip)."""
    from rfclassify.signals.scene import Scene, render

    scene = Scene(
        "lte", duration_s=0.2, capture_rate=RATE, snr_db=25.0, params={"bandwidth_mhz": 1.4}
    )
    x = render(scene, 11).samples
    return (x * (0.8 / max(np.abs(x.real).max(), np.abs(x.imag).max()))).astype(np.complex64)


def test_the_served_signal_is_lte_to_the_model(lte):
    """The premise: what the client decodes from the cu8 stream is LTE to the shipped model."""
    from rfclassify.inference import Classifier

    clf = Classifier("vim-lte-nr")
    seen = from_cu8(to_cu8(lte))
    assert np.abs(seen - lte).max() < 0.01
    probs, valid = clf.classify(seen[: len(seen) // WINDOW * WINDOW].reshape(-1, WINDOW), RATE)
    assert valid.all()
    labels = [clf.classes[i] for i in probs.argmax(axis=1)]
    assert labels.count("LTE") > len(labels) / 2, labels


@pytest.mark.timeout(90)
def test_osmosdr_rtl_tcp_receives_tunes_and_classifies(lte):
    with FakeRtlTcp(lte, sample_rate=RATE) as server:
        began = time.monotonic()
        proc = rx(
            "--source", "osmosdr", "--device-args", server.device_args,
            "--rate", f"{RATE:g}", "--freq", f"{FREQ:g}", "--gain", "20",
            "--duration", "6", "--json", "--status-every", "2",
            timeout=40,
        )  # fmt: skip
        took = time.monotonic() - began
    commands = server.describe_commands()
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert took < 30, f"the receiver took {took:.1f} s to run 6 s and stop"

    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    records = [ResultRecord.from_json(line) for line in lines]  # --json: records only on stdout
    assert len(records) >= 5, proc.stderr[-3000:]
    labels = Counter(r.label for r in records)
    assert labels.most_common(1)[0][0] == "LTE", labels
    assert labels["LTE"] > len(records) / 2, labels
    assert all(r.valid for r in records)
    assert {r.center_freq for r in records} == {FREQ}
    assert {r.sample_rate for r in records} == {RATE}
    assert "MS/s" in proc.stderr and "windows" in proc.stderr  # the status line works here too

    # What gr-osmosdr's rtl_tcp client told the "dongle" (one connection, one of each setting).
    assert server.clients == 1
    assert server.params(SET_FREQUENCY) == [int(FREQ)], commands
    assert server.params(SET_SAMPLE_RATE) == [int(RATE)], commands
    assert server.params(SET_GAIN_MODE)[-1] == 1, commands  # manual gain ...
    assert server.params(SET_AGC_MODE)[-1] == 0, commands  # ... and the RTL AGC off
    # --gain 20 goes out in tenths of a dB, snapped to the nearest R820T gain: 19.7 dB.
    assert server.params(SET_GAIN) == [197], commands


@pytest.mark.timeout(60)
def test_no_rtl_tcp_server_is_one_clear_error():
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = rx(
        "--source", "osmosdr", "--device-args", f"rtl_tcp=127.0.0.1:{port}",
        "--rate", f"{RATE:g}", "--freq", f"{FREQ:g}", "--duration", "2",
        timeout=30,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert f"error: osmosdr source 'rtl_tcp=127.0.0.1:{port}'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.timeout(90)
def test_a_server_that_goes_away_does_not_hang_the_receiver(lte, tmp_path):
    """gr-osmosdr keeps looping on a dead rtl_tcp link; the receiver still ends, with an error
    and a valid recording."""
    from rfclassify.io.recording import open_recording

    out = tmp_path / "cut.sigmf-meta"
    with FakeRtlTcp(lte, sample_rate=RATE) as server:
        proc = subprocess.Popen(
            [*RX, "--source", "osmosdr", "--device-args", server.device_args,
             "--rate", f"{RATE:g}", "--freq", f"{FREQ:g}", "--duration", "5",
             "--status-every", "0", "--record", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert server.wait_for_command(SET_FREQUENCY, int(FREQ), timeout=20)
        time.sleep(2)
    began = time.monotonic()
    try:
        _, stderr = proc.communicate(timeout=45)
    finally:
        proc.kill()
    assert time.monotonic() - began < 30
    assert proc.returncode in (0, 1), stderr[-2000:]
    if proc.returncode == 1:
        assert "did not stop" in stderr
    assert "Traceback" not in stderr
    assert open_recording(out, verify_checksum=True).num_samples > 0
