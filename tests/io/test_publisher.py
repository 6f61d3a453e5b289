"""The ZMQ feed on real sockets: order, topic, a clear error for a taken port, and a subscriber
that never reads cannot block the publisher."""

from __future__ import annotations

import threading
import time

import pytest
import zmq

from rfclassify.errors import RfclassifyError
from rfclassify.io.publisher import TOPIC, ZmqPublisher
from rfclassify.io.records import ResultRecord


def _record(seq: int) -> ResultRecord:
    return ResultRecord(
        label="LTE", confidence=0.9, probs={"LTE": 0.9, "NR": 0.05, "Noise": 0.03, "Other": 0.02},
        start=seq * 38400, length=38400, sample_rate=1.92e6, center_freq=806e6,
        time="2026-11-21T10:00:00.000000Z", model="vim-lte-nr", seq=seq,
    )  # fmt: skip


def _subscriber(endpoint: str) -> zmq.Socket:
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, TOPIC)
    sub.setsockopt(zmq.RCVTIMEO, 5000)
    sub.connect(endpoint)
    return sub


def test_a_subscriber_receives_the_records_in_order():
    pub = ZmqPublisher("tcp://127.0.0.1:*")
    sub = _subscriber(pub.endpoint)
    time.sleep(0.3)  # PUB/SUB: the subscription must arrive before the first message
    for seq in range(20):
        assert pub.send_record(_record(seq))
    got = [sub.recv_multipart() for _ in range(20)]
    assert all(topic == TOPIC for topic, _ in got)
    assert [ResultRecord.from_json(body).seq for _, body in got] == list(range(20))
    assert pub.sent == 20 and pub.dropped == 0
    sub.close()
    pub.close()


def test_a_taken_port_is_one_clear_error_naming_the_address():
    first = ZmqPublisher("tcp://127.0.0.1:*")
    with pytest.raises(RfclassifyError, match=f"{first.endpoint} is already in use"):
        ZmqPublisher(first.endpoint)
    with pytest.raises(RfclassifyError, match="cannot bind ZMQ address 'nonsense'"):
        ZmqPublisher("nonsense")
    first.close()


def test_a_subscriber_that_never_reads_costs_the_others_nothing():
    """PUB semantics: a stuck reader loses messages (a gap in ``seq``), the sender never waits,
    and a reader that keeps up gets every message."""
    pub = ZmqPublisher("tcp://127.0.0.1:*", hwm=1000)
    stuck, reader = _subscriber(pub.endpoint), _subscriber(pub.endpoint)
    stuck.setsockopt(zmq.RCVHWM, 5)
    time.sleep(0.3)
    count, got = 40000, []
    thread = threading.Thread(
        target=lambda: got.extend(reader.recv_multipart()[1] for _ in range(count))
    )
    thread.start()
    began = time.monotonic()
    for seq in range(count):  # ~12 MB: more than the stuck reader's buffers hold
        pub.send_record(_record(seq))
        if seq % 1000 == 999:
            time.sleep(0.01)  # a stream's pace, not a burst beyond every buffer
    assert time.monotonic() - began < 20.0  # never waited on the stuck reader
    thread.join(30)
    assert [ResultRecord.from_json(body).seq for body in got] == list(range(count))
    stuck.setsockopt(zmq.RCVTIMEO, 200)
    late = []
    try:
        while True:
            late.append(ResultRecord.from_json(stuck.recv_multipart()[1]).seq)
    except zmq.Again:
        pass
    assert 0 < len(late) < count and late == sorted(late)  # lost some, never reordered
    pub.send_record(_record(count))  # once it reads again, the next record shows the gap
    stuck.setsockopt(zmq.RCVTIMEO, 5000)
    after = ResultRecord.from_json(stuck.recv_multipart()[1]).seq
    assert after == count and after - late[-1] > 1
    stuck.close()
    reader.close()
    pub.close()


def test_a_subscriber_that_restarts_picks_the_feed_up_again_and_sees_the_gap():
    """A dashboard restarting (or its host rebooting) needs nothing from the publisher: the new
    socket subscribes, records flow again, and ``seq`` shows what it missed while away."""
    pub = ZmqPublisher("tcp://127.0.0.1:*")
    first = _subscriber(pub.endpoint)
    time.sleep(0.3)
    for seq in range(10):
        pub.send_record(_record(seq))
    assert [ResultRecord.from_json(first.recv_multipart()[1]).seq for _ in range(10)] == list(
        range(10)
    )
    first.close(0)  # the subscriber goes away mid-stream
    for seq in range(10, 20):
        assert pub.send_record(_record(seq))  # nobody there: sends still never block or fail
    again = _subscriber(pub.endpoint)
    time.sleep(0.3)
    for seq in range(20, 30):
        pub.send_record(_record(seq))
    got = [ResultRecord.from_json(again.recv_multipart()[1]).seq for _ in range(10)]
    assert got == list(range(20, 30))  # what it missed while away shows as the jump from 9
    assert pub.sent == 30 and pub.dropped == 0
    again.close()
    pub.close()
