"""The ZMQ feed: a PUB socket that never blocks the stream that feeds it.

``json``: two frames, ``[b"rfclassify", record JSON]``, so subscribers can filter by topic.
``pmt``: one frame holding ``pmt.serialize_str`` of the record's PMT dict, which is what a stock
GNU Radio ``ZMQ SUB Message Source`` reads (it subscribes to everything and deserialises every
frame). The PMT bytes are made by the block layer (GNU Radio's ``pmt``); this module only sends.

Sends never block. A subscriber that reads too slowly fills its high-water mark and, past it,
loses messages (ZMQ's PUB semantics: per subscriber, so a stuck reader never costs a reader that
keeps up a single message); it sees the loss as a gap in ``seq``. ``dropped`` counts the messages
ZMQ refused outright.

Binding defaults to loopback: a feed on another interface is a decision the user writes out in
the address, and one made without ``curve_keys`` is logged as a warning, since anyone who can
reach the port then reads every record. With ``curve_keys`` (a folder from ``rfclassify keys``,
see ``io.curve``) the feed is encrypted and only authorised subscribers get it.
"""

from __future__ import annotations

import logging

from ..errors import RfclassifyError
from .records import ResultRecord

DEFAULT_ADDRESS = "tcp://127.0.0.1:5557"
TOPIC = b"rfclassify"
FORMATS = ("json", "pmt")
_LOCAL_PREFIXES = ("tcp://127.", "tcp://localhost:", "tcp://[::1]:", "ipc://", "inproc://")


def normalise_address(address: str) -> str:
    """A bare port (``"5557"``) means loopback: ``tcp://127.0.0.1:5557``; anything else as is."""
    text = str(address).strip()
    return f"tcp://127.0.0.1:{text}" if text.isdigit() else text


def is_local(address: str) -> bool:
    """Whether binding ``address`` keeps the feed on this host."""
    return address.startswith(_LOCAL_PREFIXES)


class ZmqPublisher:
    """Bind a PUB socket at ``address``; ``send_record`` / ``send_frame`` never block."""

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        hwm: int = 1000,
        linger_ms: int = 200,
        curve_keys: str = "",
        logger=None,
    ):
        import zmq

        self._zmq = zmq
        address = normalise_address(address)
        self.address = address
        self.log = logger or logging.getLogger(__name__)
        self.curve = None
        if curve_keys:
            from .curve import CurveServer

            # Own context: a ZAP authenticator serves every socket of its context.
            self.context = zmq.Context()
            try:
                self.curve = CurveServer(curve_keys, self.context)
            except BaseException:
                self.context.term()
                raise
        else:
            self.context = zmq.Context.instance()
        self.socket = self.context.socket(zmq.PUB)
        self.socket.setsockopt(zmq.SNDHWM, int(hwm))
        self.socket.setsockopt(zmq.LINGER, int(linger_ms))
        if self.curve is not None:
            self.curve.apply(self.socket)
        try:
            self.socket.bind(address)
        except zmq.ZMQError as exc:
            self._release(linger=0)
            if exc.errno == zmq.EADDRINUSE:
                raise RfclassifyError(f"ZMQ address {address} is already in use") from None
            raise RfclassifyError(
                f"cannot bind ZMQ address {address!r}: {exc} (use e.g. {DEFAULT_ADDRESS})"
            ) from None
        self.endpoint = self.socket.getsockopt(zmq.LAST_ENDPOINT).decode()
        if self.curve is not None:
            self.log.info(
                f"ZMQ feed {self.endpoint}: CURVE, {self.curve.clients} authorised key(s)"
            )
        elif not is_local(address):
            self.log.warning(
                f"ZMQ feed {self.endpoint} is open to the network, unencrypted: anyone who can "
                "reach it reads every record (use curve keys: rfclassify keys DIR)"
            )
        self.sent = 0
        self.dropped = 0

    def _send(self, frames: list[bytes]) -> bool:
        try:
            self.socket.send_multipart(frames, flags=self._zmq.NOBLOCK)
        except self._zmq.Again:
            self.dropped += 1
            return False
        self.sent += 1
        return True

    def send_record(self, record: ResultRecord) -> bool:
        """The JSON form: topic frame + record. False (counted) if it had to be dropped."""
        return self._send([TOPIC, record.to_json().encode()])

    def send_frame(self, payload: bytes) -> bool:
        """One frame as is (the PMT form). False (counted) if it had to be dropped."""
        return self._send([payload])

    def close(self) -> None:
        self._release()

    def _release(self, linger: int | None = None) -> None:
        self.socket.close(linger)  # None: the LINGER set above, so the last records go out
        if self.curve is not None:
            self.curve.stop()
            self.context.term()
            self.curve = None
