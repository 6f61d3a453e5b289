"""CURVE on real sockets: authorised subscribers read the feed, everyone else reads nothing;
keys are made once, private files stay private, and a bad key folder is one clear error."""

from __future__ import annotations

import logging
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import zmq

from rfclassify.errors import RfclassifyError
from rfclassify.io.curve import apply_client, create_keys
from rfclassify.io.publisher import TOPIC, ZmqPublisher, is_local, normalise_address
from rfclassify.io.records import ResultRecord

RFCLASSIFY = [sys.executable, "-m", "rfclassify.cli"]


def _record(seq: int) -> ResultRecord:
    return ResultRecord(
        label="NR", confidence=0.8, probs={"LTE": 0.1, "NR": 0.8, "Noise": 0.05, "Other": 0.05},
        start=seq * 38400, length=38400, sample_rate=1.92e6, center_freq=3.5e9,
        time="2026-12-02T10:00:00.000000Z", model="vim-lte-nr", seq=seq,
    )  # fmt: skip


def _subscriber(endpoint: str, keys: Path | None = None, client: str = "client") -> zmq.Socket:
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    if keys is not None:
        apply_client(sub, keys, client)
    sub.setsockopt(zmq.SUBSCRIBE, TOPIC)
    sub.connect(endpoint)
    return sub


def _drain(sock: zmq.Socket, wait_ms: int = 300) -> list[int]:
    seqs = []
    while sock.poll(wait_ms):
        _, body = sock.recv_multipart()
        seqs.append(ResultRecord.from_json(body).seq)
    return seqs


@pytest.fixture
def keys(tmp_path) -> Path:
    folder = tmp_path / "keys"
    create_keys(folder, ["desk", "intruder"])
    # the intruder has a well-formed key pair and the server's public key, but is not authorised
    (folder / "authorized" / "intruder.key").unlink()
    return folder


def test_keys_are_made_once_and_the_secret_files_are_private(tmp_path):
    folder = tmp_path / "k"
    written = create_keys(folder, ["desk"])
    names = sorted(p.relative_to(folder).as_posix() for p in written)
    assert names == ["authorized/desk.key", "desk.key_secret", "server.key", "server.key_secret"]
    for secret in ("server.key_secret", "desk.key_secret"):
        assert stat.S_IMODE((folder / secret).stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    server = (folder / "server.key_secret").read_bytes()
    # adding a client keeps the station's identity; an existing client is not replaced silently
    assert [p.name for p in create_keys(folder, ["logger"])] == ["logger.key", "logger.key_secret"]
    assert (folder / "server.key_secret").read_bytes() == server
    with pytest.raises(RfclassifyError, match=r"desk.key_secret exists; .* --force"):
        create_keys(folder, ["desk"])
    old = (folder / "desk.key_secret").read_bytes()
    create_keys(folder, ["desk"], force=True)
    assert (folder / "desk.key_secret").read_bytes() != old
    assert (folder / "server.key_secret").read_bytes() == server
    for bad in ("server", "../x", ""):
        with pytest.raises(RfclassifyError, match=r"client name|publisher's own key"):
            create_keys(folder, [bad])


def test_only_an_authorised_subscriber_receives_the_feed(keys):
    pub = ZmqPublisher("tcp://127.0.0.1:*", curve_keys=str(keys))
    desk = _subscriber(pub.endpoint, keys, "desk")
    intruder = _subscriber(pub.endpoint, keys, "intruder")
    plain = _subscriber(pub.endpoint)  # no CURVE at all
    time.sleep(0.5)  # handshakes and subscriptions
    for seq in range(30):
        assert pub.send_record(_record(seq))
    assert _drain(desk) == list(range(30))
    assert _drain(intruder) == []
    assert _drain(plain) == []
    for sock in (desk, intruder, plain):
        sock.close()
    pub.close()


def test_a_plain_feed_off_loopback_is_a_warning_and_a_curve_one_is_not(keys, caplog):
    assert is_local("tcp://127.0.0.1:5557") and is_local("ipc:///tmp/feed")
    assert not is_local("tcp://0.0.0.0:5557") and not is_local("tcp://*:5557")
    assert normalise_address(" 5557") == "tcp://127.0.0.1:5557"  # a bare port is loopback
    assert normalise_address("tcp://*:5557") == "tcp://*:5557"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pub = ZmqPublisher(str(port))
    assert pub.endpoint == f"tcp://127.0.0.1:{port}"
    pub.close()
    with caplog.at_level(logging.WARNING, logger="rfclassify.io.publisher"):
        ZmqPublisher("tcp://127.0.0.1:*").close()
        assert not caplog.records
        ZmqPublisher("tcp://0.0.0.0:*").close()
        assert "open to the network, unencrypted" in caplog.text
        caplog.clear()
        ZmqPublisher("tcp://0.0.0.0:*", curve_keys=str(keys)).close()
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_bad_key_folder_is_one_clear_error(tmp_path, keys):
    with pytest.raises(RfclassifyError, match=r"no CURVE secret key at .*server.key_secret"):
        ZmqPublisher("tcp://127.0.0.1:*", curve_keys=str(tmp_path / "nowhere"))
    empty = tmp_path / "empty"
    create_keys(empty, [])
    with pytest.raises(RfclassifyError, match="holds no client key: nobody could subscribe"):
        ZmqPublisher("tcp://127.0.0.1:*", curve_keys=str(empty))
    (keys / "authorized" / "broken.key").write_text("not a certificate\n")
    with pytest.raises(RfclassifyError, match=r"broken\.key is not a ZMQ CURVE public key file"):
        ZmqPublisher("tcp://127.0.0.1:*", curve_keys=str(keys))
    sub = zmq.Context.instance().socket(zmq.SUB)
    with pytest.raises(RfclassifyError, match=r"nobody\.key_secret"):
        apply_client(sub, keys, "nobody")
    sub.close()


def test_listen_reads_a_curve_feed_with_its_key_and_nothing_without(keys):
    pub = ZmqPublisher("tcp://127.0.0.1:*", curve_keys=str(keys))
    common = [*RFCLASSIFY, "listen", "--address", pub.endpoint, "--timeout", "3", "--json"]
    with_key = subprocess.Popen(
        [*common, "--count", "5", "--zmq-curve-keys", str(keys), "--curve-client", "desk"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    without = subprocess.Popen(common, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    seq = 0
    while with_key.poll() is None and time.monotonic() < deadline:
        pub.send_record(_record(seq))  # until the reader has connected and read five
        seq += 1
        time.sleep(0.05)
    out, err = with_key.communicate(timeout=10)
    assert with_key.returncode == 0, err
    assert len(out.splitlines()) == 5
    out, err = without.communicate(timeout=20)
    pub.close()
    assert without.returncode == 1 and out == ""
    assert "no message from" in err and "Traceback" not in err


def test_the_keys_verb_writes_a_folder_the_publisher_serves(tmp_path):
    folder = tmp_path / "station-keys"
    run = subprocess.run(
        [*RFCLASSIFY, "keys", str(folder), "--client", "desk"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert f"{folder}/authorized/desk.key" in run.stdout
    again = subprocess.run(
        [*RFCLASSIFY, "keys", str(folder), "--client", "desk"], capture_output=True, text=True
    )
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1 and "--force" in again.stderr
    ZmqPublisher("tcp://127.0.0.1:*", curve_keys=str(folder)).close()
