"""The GRC side: block YAML that matches the Python constructors, and the example flowgraphs
compiled by grcc against a CMake install and run headless, publishing records on ZMQ."""

from __future__ import annotations

import ast
import inspect
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import rfclassify
from rfclassify.blocks.classifier import PORT
from rfclassify.io.publisher import TOPIC
from rfclassify.io.records import ResultRecord

ROOT = Path(__file__).resolve().parents[1]
BLOCK_FILES = sorted((ROOT / "grc").glob("*.block.yml"))
EXAMPLES = ("sim_classify", "soapy_classify")
# A keyword argument of the make template and the parameter it is given: name=${name}
# (or name='${name}' for an enum whose options are bare words).
_KWARG = re.compile(r"(\w+)=['\"]?\$\{\s*(\w+)\s*\}")


def _spec(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _block_class(block_id: str):
    return getattr(rfclassify, block_id.removeprefix("rfclassify_"))


@pytest.mark.parametrize("path", BLOCK_FILES, ids=[p.name for p in BLOCK_FILES])
def test_block_yaml_matches_the_python_constructor(path):
    """Parameter ids, make-template keywords and literal defaults are the constructor's own."""
    spec = _spec(path)
    assert spec["id"] == path.name.removesuffix(".block.yml")
    assert spec["label"] and spec["category"] == "[RF Classify]" and spec["file_format"] == 1
    assert spec["templates"]["imports"] == "from gnuradio import rfclassify"
    assert len(spec["documentation"]) > 200, "document the block for the GRC user"
    signature = inspect.signature(_block_class(spec["id"])).parameters
    params = {p["id"]: p for p in spec["parameters"]}
    assert all(p.get("dtype") and "default" in p and p.get("label") for p in params.values())
    assert sorted(params) == sorted(signature)

    make = spec["templates"]["make"]
    assert make.startswith(f"rfclassify.{spec['id'].removeprefix('rfclassify_')}(")
    kwargs = _KWARG.findall(make)
    assert sorted(name for name, _ in kwargs) == sorted(signature)
    assert all(name == value for name, value in kwargs), kwargs

    for name, param in params.items():
        expected, default = signature[name].default, str(param["default"])
        if param["dtype"] in ("string", "enum"):
            assert default == expected, name
        elif default.isidentifier() and default not in ("True", "False"):
            continue  # a flowgraph variable (samp_rate)
        else:
            assert ast.literal_eval(default) == expected, name


def test_classifier_yaml_declares_its_ports_and_callback():
    spec = _spec(ROOT / "grc" / "rfclassify_classifier.block.yml")
    assert [p["dtype"] for p in spec["inputs"]] == ["complex"]
    stream = [p for p in spec["outputs"] if p.get("domain", "stream") == "stream"]
    message = [p for p in spec["outputs"] if p.get("domain") == "message"]
    assert [p["dtype"] for p in stream] == ["complex"]
    assert [(p["id"], p["optional"]) for p in message] == [(PORT, True)]
    assert spec["templates"]["callbacks"] == ["set_min_confidence(${min_confidence})"]
    options = {p["id"]: p.get("options") for p in spec["parameters"]}
    assert options["backend"] == ["onnxruntime", "torch"]
    assert options["zmq_format"] == ["json", "pmt"]
    assert options["mode"] == ["realtime", "offline"]
    assert options["device"] == ["cpu", "cuda", "auto"]


# -- the examples, against a CMake install --------------------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A CMake install into a fresh prefix: (prefix, its Python site dir)."""
    if shutil.which("cmake") is None:
        pytest.skip("cmake not installed")
    tmp = tmp_path_factory.mktemp("cmake")
    build, prefix = tmp / "build", tmp / "prefix"
    for command in (
        ["cmake", "-S", str(ROOT), "-B", str(build), f"-DCMAKE_INSTALL_PREFIX={prefix}"],
        ["cmake", "--build", str(build)],
        ["cmake", "--install", str(build)],
    ):
        subprocess.run(command, check=True, capture_output=True)
    packages = list(prefix.glob("lib/python3*/*-packages/gnuradio/rfclassify/__init__.py"))
    assert len(packages) == 1, packages
    return prefix, packages[0].parents[2]


@pytest.fixture(scope="module")
def compiled(installed, tmp_path_factory):
    """grcc output for every example, compiled with the installed block YAML."""
    grcc = shutil.which("grcc")
    if grcc is None:
        pytest.skip("grcc (GNU Radio Companion compiler) not installed")
    prefix, _ = installed
    blocks = prefix / "share" / "gnuradio" / "grc" / "blocks"
    assert (blocks / "rfclassify_classifier.block.yml").exists()
    out = tmp_path_factory.mktemp("grcc")
    env = {**os.environ, "GRC_BLOCKS_PATH": str(blocks)}
    for name in EXAMPLES:
        proc = subprocess.run(
            [grcc, "-o", str(out), str(ROOT / "examples" / f"{name}.grc")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_compile_with_grcc(compiled, name):
    code = (compiled / f"{name}.py").read_text()
    assert "from gnuradio import rfclassify" in code
    assert "rfclassify.classifier(" in code
    assert '"--zmq-address"' in code  # the feed's address is a command-line option


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM (the QT app's handler stops the flowgraph), then SIGKILL the group if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


# Runs the compiled file as __main__ after saying which rfclassify answered the import.
_LAUNCH = (
    "import runpy, sys; from gnuradio import rfclassify; "
    "print('rfclassify from', rfclassify.__file__, flush=True); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


@pytest.mark.timeout(120)
def test_sim_example_runs_headless_and_publishes_records(installed, compiled, tmp_path):
    """sim_source -> classifier -> QT waterfall, offscreen: a ZMQ SUB gets consecutive records."""
    zmq = pytest.importorskip("zmq")
    _, site = installed
    address = f"tcp://127.0.0.1:{_free_port()}"
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, TOPIC)
    sub.connect(address)  # ZMQ connects once the flowgraph binds

    env = {**os.environ, "PYTHONPATH": str(site), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("RFCLASSIFY_MODELS", None)  # the installed models must be found on their own
    log = tmp_path / "flowgraph.log"
    script = compiled / "sim_classify.py"
    command = [sys.executable, "-c", _LAUNCH, str(script), "--zmq-address", address]
    records: list[ResultRecord] = []
    with log.open("w") as out:
        # cwd outside the checkout, own session so a hung app can be killed with its threads
        proc = subprocess.Popen(
            command,
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while len(records) < 3 and time.monotonic() < deadline and proc.poll() is None:
                if sub.poll(500):
                    topic, body = sub.recv_multipart()
                    assert topic == TOPIC
                    records.append(ResultRecord.from_json(body))
        finally:
            _stop(proc)
            sub.close()
            context.term()
    output = log.read_text()
    assert len(records) >= 2, f"got {len(records)} records; flowgraph said:\n{output[-3000:]}"
    assert f"rfclassify from {site}" in output, output[:2000]
    assert all(b.seq == a.seq + 1 for a, b in itertools.pairwise(records)), records
    for record in records:
        assert record.label in ("LTE", "NR", "Noise", "Other")
        assert record.model == "vim-lte-nr" and record.length == 38400  # the card's 20 ms
        assert record.sample_rate == 1.92e6 and record.center_freq == 806e6
        assert record.time_source == "rx_time"  # the simulated SDR's rx_time tag
    assert "MESSAGE DEBUG PRINT" in output  # the message port reaches Message Debug
