"""``rfclassify listen``: print the classifier's ZMQ feed, and say when messages went missing.

A ZMQ PUB socket drops messages for a subscriber that falls behind (the publisher never blocks
the flowgraph, DESIGN.md); records carry ``seq`` so the loss is visible here, counted, instead of
silent. Anything on the topic that is not a valid record is counted and reported, never fatal: a
monitoring console must survive a bad or newer publisher.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import RfclassifyError
from .common import positive_float, positive_int, record_line

ADDRESS = "tcp://127.0.0.1:5557"  # the block's and the receiver's default (io.publisher)


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "listen",
        help="print the result records a classifier publishes over ZMQ",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Connect a ZMQ SUB socket to a classifier's PUB feed (the block's zmq_address,\n"
            "rfclassify_rx) and print one line per result record: UTC time, centre frequency,\n"
            "label, confidence and seq. A jump in seq (messages the feed dropped because this\n"
            "reader was slow or connected late) and messages that are not records are reported\n"
            "on stderr and counted, never fatal.\n\n"
            "Only the JSON form (zmq_format json: a b'rfclassify' topic frame, then the record)\n"
            "is read; a feed in the PMT form is read with GNU Radio's 'ZMQ SUB Message Source'.\n\n"
            "Ends after --count records, after --timeout seconds without a message (exit 1 if\n"
            "nothing came at all), or on Ctrl-C (exit 0).\n\n"
            "examples:\n"
            "  rfclassify listen\n"
            "  rfclassify listen --address tcp://192.168.1.20:5557 --json | jq .label\n"
            "  rfclassify listen --count 1 --timeout 10   # is the receiver publishing?\n"
            "  rfclassify listen --address tcp://station:5557 --zmq-curve-keys keys "
            "--curve-client desk\n\n"
            "A feed published with CURVE keys (--zmq-curve-keys on the receiver or the block)\n"
            "is read with --zmq-curve-keys DIR holding the station's server.key and this\n"
            "reader's NAME.key_secret (from 'rfclassify keys DIR --client NAME'); a reader\n"
            "without an authorised key receives nothing (it times out)."
        ),
    )
    parser.add_argument(
        "--address",
        default=ADDRESS,
        help="the PUB socket to connect to; a bare port means 127.0.0.1 (default: %(default)s)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print each record's JSON line as received"
    )
    parser.add_argument(
        "--zmq-curve-keys",
        metavar="DIR",
        help="CURVE: DIR holds the publisher's server.key and this reader's NAME.key_secret",
    )
    parser.add_argument(
        "--curve-client",
        metavar="NAME",
        default="client",
        help="with --zmq-curve-keys: the key pair NAME.key_secret to use (default: %(default)s)",
    )
    parser.add_argument("--count", type=positive_int, metavar="N", help="stop after N records")
    parser.add_argument(
        "--timeout", type=positive_float, metavar="S", help="stop after S seconds without a message"
    )
    parser.set_defaults(run=run)


class _Feed:
    """Seq bookkeeping and counts for one listening session."""

    def __init__(self) -> None:
        self.records = 0
        self.lost = 0
        self.bad = 0
        self.last_seq: int | None = None

    def check_seq(self, seq: int) -> str | None:
        """A warning when ``seq`` does not follow the previous one, else None."""
        last, self.last_seq = self.last_seq, seq
        if last is None or seq == last + 1:
            return None
        if seq > last + 1:
            missing = seq - last - 1
            self.lost += missing
            noun = "message" if missing == 1 else "messages"
            return f"lost {missing} {noun} (seq {last} -> {seq}; {self.lost} lost in all)"
        return f"seq went back from {last} to {seq}: the publisher restarted?"


def _decode(frames: list[bytes]):
    """The record in a ``[topic, JSON]`` message; ValueError saying why not."""
    from ..io.publisher import TOPIC
    from ..io.records import ResultRecord

    if len(frames) != 2 or frames[0] != TOPIC:
        topic = frames[0][:20] if frames else b""
        raise ValueError(f"{len(frames)} frame(s) on topic {topic!r}, expected [{TOPIC!r}, JSON]")
    # UTF-8 only, as the publisher writes it (json.loads would also guess UTF-16/32 from bytes)
    return ResultRecord.from_json(frames[1].decode("utf-8"))


def _text(payload: bytes) -> str:
    """The JSON as received, on one line: a pretty-printed record is compacted, and one with
    characters beyond printable ASCII (C1 controls are legal raw in JSON strings) is re-escaped,
    so a terminal reading along is never driven by the feed."""
    text = payload.decode("utf-8")
    if not (text.isascii() and text.isprintable()):
        text = json.dumps(json.loads(text), separators=(",", ":"))
    return text


def run(args: argparse.Namespace) -> int:
    import zmq

    from ..io.publisher import TOPIC

    context = zmq.Context.instance()
    socket = context.socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    if args.zmq_curve_keys:
        from ..io.curve import apply_client

        try:
            apply_client(socket, args.zmq_curve_keys, args.curve_client)
        except RfclassifyError:
            socket.close()
            raise
    from ..io.publisher import normalise_address

    args.address = normalise_address(args.address)
    try:
        socket.connect(args.address)
    except zmq.ZMQError as exc:
        socket.close()
        raise RfclassifyError(
            f"cannot connect to {args.address!r} ({exc}); give an address like {ADDRESS}"
        ) from None
    socket.setsockopt(zmq.SUBSCRIBE, TOPIC)
    feed = _Feed()
    try:
        return _listen(socket, args, feed)
    except KeyboardInterrupt:  # the usual way to stop listening: not an error
        return 0
    finally:
        socket.close()


def _listen(socket, args: argparse.Namespace, feed: _Feed) -> int:
    timeout_ms = None if args.timeout is None else max(1, round(args.timeout * 1000))

    def warn(text: str) -> None:
        print(f"rfclassify listen: warning: {text}", file=sys.stderr, flush=True)

    while args.count is None or feed.records < args.count:
        if not socket.poll(timeout_ms):
            if feed.records == 0 and not feed.bad:
                raise RfclassifyError(
                    f"no message from {args.address} in {args.timeout:g} s (is a classifier "
                    "publishing JSON there?)"
                )
            if feed.records == 0:
                raise RfclassifyError(
                    f"{feed.bad} messages from {args.address} but no result record, then none "
                    f"for {args.timeout:g} s (is it a classifier's JSON feed?)"
                )
            warn(f"no message for {args.timeout:g} s; stopping after {feed.records} records")
            break
        frames = socket.recv_multipart()
        try:
            record = _decode(frames)
            line = _text(frames[1]) if args.json else record_line(record)
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            feed.bad += 1
            warn(f"ignoring a message that is not a result record ({feed.bad} so far): {exc}")
            continue
        gap = feed.check_seq(record.seq)
        if gap:
            warn(gap)
        feed.records += 1
        print(line, flush=True)  # a live feed: whoever reads the pipe gets each line at once
    return 0
