"""`rfclassify listen` against a real ZMQ PUB socket (the publisher the block uses): records in
order, seq gaps and junk reported on stderr without stopping, --count, --timeout, Ctrl-C."""

from __future__ import annotations

import selectors
import signal
import socket
import subprocess
import sys
import time

import pytest

from rfclassify.cli import main
from rfclassify.io.publisher import TOPIC, ZmqPublisher
from rfclassify.io.records import ResultRecord

JUNK = "not a result record"


def _record(seq: int, label: str = "LTE") -> ResultRecord:
    return ResultRecord(
        label=label, confidence=0.875,
        probs={"LTE": 0.875, "NR": 0.1, "Noise": 0.0, "Other": 0.025},
        start=seq * 38400, length=38400, sample_rate=1.92e6, center_freq=806e6,
        time=f"2026-11-21T10:00:{seq:02d}.250000Z", model="vim-lte-nr", seq=seq,
    )  # fmt: skip


def _default_sigint() -> None:
    # a shell's background job inherits SIGINT ignored, and Python then never turns it into
    # KeyboardInterrupt: give the listener the SIGINT a terminal's Ctrl-C would reach
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _listen(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rfclassify.cli", "listen", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_default_sigint,
    )  # fmt: skip


def _wait_until_subscribed(pub: ZmqPublisher, proc: subprocess.Popen) -> list[str]:
    """Publish junk until the listener complains about it: from then on it receives everything
    (a SUB socket misses what is published before its subscription arrives). Its warnings."""
    selector = selectors.DefaultSelector()
    selector.register(proc.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pub.socket.send_multipart([TOPIC, b"{not json"])
        if selector.select(0.1):
            line = proc.stderr.readline()
            assert JUNK in line, line
            return [line]
    proc.kill()
    pytest.fail("the listener never received a message")


@pytest.fixture
def pub():
    publisher = ZmqPublisher("tcp://127.0.0.1:*")
    yield publisher
    publisher.close()


def _publish_with_a_gap_and_junk(pub: ZmqPublisher) -> list[ResultRecord]:
    sent = [_record(0), _record(1, "NR"), _record(2), _record(5, "Noise"), _record(6)]
    for record in sent[:4]:
        pub.send_record(record)
    pub.socket.send_multipart([TOPIC, b'{"v": 1, "label": "LTE"}'])  # JSON, but not a record
    pub.socket.send_multipart([TOPIC, b"one", b"too many"])  # the wrong frames
    pub.send_record(sent[4])
    return sent


def test_json_prints_each_record_as_received_and_reports_gaps_and_junk(pub):
    proc = _listen("--address", pub.endpoint, "--json", "--count", "5", "--timeout", "20")
    warnings = _wait_until_subscribed(pub, proc)
    sent = _publish_with_a_gap_and_junk(pub)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.splitlines() == [r.to_json() for r in sent]
    err_lines = warnings + err.splitlines()
    assert "Traceback" not in err
    assert any("lost 2 messages (seq 2 -> 5" in line for line in err_lines), err
    assert any("missing required field 'confidence'" in line for line in err_lines), err
    assert any("3 frame(s)" in line for line in err_lines), err
    assert all(line.startswith("rfclassify listen: warning:") for line in err_lines)


def test_the_compact_form_and_a_timeout_after_the_feed_went_quiet(pub):
    proc = _listen("--address", pub.endpoint, "--timeout", "1")
    _wait_until_subscribed(pub, proc)
    for seq in range(3):
        pub.send_record(_record(seq))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.splitlines() == [
        f"2026-11-21 10:00:{seq:02d}.250000Z   806.000 MHz  LTE      0.875  seq {seq}"
        for seq in range(3)
    ]
    assert "no message for 1 s; stopping after 3 records" in err


def test_ctrl_c_ends_listening_quietly(pub):
    proc = _listen("--address", pub.endpoint)
    _wait_until_subscribed(pub, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "Traceback" not in err and "interrupted" not in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_nothing_at_all_within_the_timeout_is_an_error_of_one_line(capsys):
    address = f"tcp://127.0.0.1:{_free_port()}"
    began = time.monotonic()
    assert main(["listen", "--address", address, "--timeout", "0.3"]) == 1
    assert time.monotonic() - began < 5
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == (
        f"rfclassify listen: error: no message from {address} in 0.3 s (is a classifier "
        "publishing JSON there?)"
    )


def test_a_malformed_address_is_refused_in_one_line(capsys):
    assert main(["listen", "--address", "127.0.0.1:5557", "--timeout", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot connect to '127.0.0.1:5557'" in err[0]
    assert "tcp://127.0.0.1:5557" in err[0]


def test_json_mode_re_escapes_what_a_terminal_would_act_on():
    from rfclassify.commands.listen import _text

    raw = '{"label":"\u009b2J","seq":1}'.encode()  # a raw C1 CSI is legal inside JSON strings
    assert _text(raw) == '{"label":"\\u009b2J","seq":1}'
    assert _text(b'{"seq":1}') == '{"seq":1}'  # printable ASCII passes as received
