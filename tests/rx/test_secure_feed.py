"""The receiver's network face end to end: a CURVE feed read by an authorised ``rfclassify
listen`` and by nobody else, and a flowgraph that still classifies when CUDA is asked for and
absent."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rfclassify.io.curve import create_keys
from rfclassify.io.records import ResultRecord

ROOT = Path(__file__).resolve().parents[2]
RX = [sys.executable, str(ROOT / "apps" / "rfclassify_rx.py")]
LISTEN = [sys.executable, "-m", "rfclassify.cli", "listen"]


def _free_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


def test_the_receivers_curve_feed_reaches_only_the_authorised_listener(tmp_path):
    keys = tmp_path / "keys"
    create_keys(keys, ["desk", "intruder"])
    (keys / "authorized" / "intruder.key").unlink()  # revoked
    address = _free_address()
    listen = [*LISTEN, "--address", address, "--json", "--timeout", "8"]
    readers = {
        "desk": [*listen, "--count", "3", "--zmq-curve-keys", str(keys), "--curve-client", "desk"],
        "intruder": [*listen, "--zmq-curve-keys", str(keys), "--curve-client", "intruder"],
        "plain": listen,
    }
    procs = {
        name: subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, argv in readers.items()
    }
    rx = subprocess.Popen(
        [*RX, "--source", "sim", "--rate", "1.92e6", "--zmq", address,
         "--zmq-curve-keys", str(keys), "--duration", "6", "--status-every", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    results = {name: proc.communicate(timeout=60) for name, proc in procs.items()}
    _, rx_err = rx.communicate(timeout=60)
    assert rx.returncode == 0, rx_err
    assert "CURVE, 1 authorised key(s)" in rx_err
    out, err = results["desk"]
    assert procs["desk"].returncode == 0, err
    records = [ResultRecord.from_json(line) for line in out.splitlines()]
    assert len(records) == 3 and all(r.sample_rate == 1.92e6 for r in records)
    for name in ("intruder", "plain"):
        out, err = results[name]
        assert procs[name].returncode == 1 and out == "", (name, err)
        assert "no message from" in err


def test_curve_keys_without_a_feed_and_a_missing_key_folder_are_one_line(tmp_path):
    run = subprocess.run(
        [*RX, "--source", "sim", "--zmq-curve-keys", str(tmp_path)], capture_output=True, text=True
    )
    assert run.returncode == 1 and "--zmq-curve-keys needs --zmq ADDRESS" in run.stderr
    run = subprocess.run(
        [*RX, "--source", "sim", "--zmq", _free_address(), "--zmq-curve-keys",
         str(tmp_path / "none"), "--duration", "1"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().count("\n") == 0 and "no CURVE secret key at" in run.stderr


def test_cuda_asked_for_and_absent_warns_and_classifies_on_the_cpu_unless_strict():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    base = [*RX, "--source", "sim", "--rate", "1.92e6", "--json", "--status-every", "0"]
    run = subprocess.run(
        [*base, "--device", "cuda", "--duration", "2"], capture_output=True, text=True, timeout=90
    )
    assert run.returncode == 0, run.stderr
    assert "device cuda asked for, but this ONNX Runtime has no CUDA provider" in run.stderr
    assert "running on the CPU" in run.stderr
    assert [ResultRecord.from_json(x) for x in run.stdout.splitlines()]  # it classified
    started = time.monotonic()
    run = subprocess.run(
        [*base, "--device", "cuda", "--strict-device", "--duration", "2"],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert run.returncode == 1 and run.stdout == ""
    assert "no CUDA provider" in run.stderr and "use device cpu" in run.stderr
    assert "Traceback" not in run.stderr
    assert time.monotonic() - started < 60
