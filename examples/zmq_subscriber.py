#!/usr/bin/env python3
"""A minimal subscriber to the rfclassify ZMQ feed: start here for your own logger or dashboard.

Needs only pyzmq (``pip install pyzmq``); rfclassify itself need not be installed. Run a
classifier that publishes JSON (the block's ``zmq_address``, e.g. ``examples/sim_classify.grc``),
then:

    python3 examples/zmq_subscriber.py                         # tcp://127.0.0.1:5557
    python3 examples/zmq_subscriber.py tcp://192.168.1.20:5557

Each message is two frames: the topic ``b"rfclassify"`` and one JSON record (``label``,
``confidence``, ``probs``, ``start``, ``length``, ``sample_rate``, ``center_freq``, ``time``,
``time_source``, ``model``, ``seq``, ``skipped``, ``valid``, ``reason``, ``clipped``, ``v``;
see docs/block.md).
``rfclassify listen`` does the same with more checks.
"""

import json
import sys

import zmq

address = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5557"

# The classifier binds a PUB socket; subscribers connect to it. Connecting succeeds even when
# nothing listens there yet: ZMQ reconnects in the background until a publisher appears.
socket = zmq.Context.instance().socket(zmq.SUB)
socket.connect(address)
# Subscribe by topic. Without a subscription a SUB socket receives nothing at all. (A PUB socket
# only sends what was published after the subscription reached it, so the first records after
# start-up may be missed: that is ZMQ's "slow joiner", and seq shows it.)
socket.setsockopt(zmq.SUBSCRIBE, b"rfclassify")

last_seq = None
try:
    while True:
        frames = socket.recv_multipart()
        if len(frames) != 2:
            continue  # not the [topic, JSON] form: skip it rather than crash
        try:
            record = json.loads(frames[1])
            seq, label = int(record["seq"]), record["label"]
        except (ValueError, KeyError, TypeError) as exc:
            print(f"skipping a malformed message: {exc}", file=sys.stderr)
            continue
        if record.get("v", 1) != 1:
            print("a newer record version: some fields may mean something else", file=sys.stderr)

        # A PUB socket drops messages for a subscriber that reads too slowly (it never blocks
        # the radio). seq counts every record the classifier sent, so a jump shows the loss.
        # A seq that goes back means the classifier restarted.
        if last_seq is not None and seq > last_seq + 1:
            print(f"lost {seq - last_seq - 1} messages before seq {seq}", file=sys.stderr)
        last_seq = seq
        # "skipped" is a different loss: windows the classifier itself could not classify in
        # time (inference behind the stream), reported with the next record it did send.
        if record.get("skipped"):
            print(f"classifier skipped {record['skipped']} windows", file=sys.stderr)

        freq = record.get("center_freq")  # None when the source does not say
        where = f"{freq / 1e6:.3f} MHz" if freq is not None else "? MHz"
        # time is ISO-8601 UTC of the window's first sample; start is that sample's index.
        print(f"{record['time']}  {where}  {label:<6} {record['confidence']:.2f}  seq {seq}")
except KeyboardInterrupt:
    pass
finally:
    socket.close(linger=0)
