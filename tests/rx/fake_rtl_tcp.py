"""A small fake ``rtl_tcp`` server for tests: no dongle, no GNU Radio, just sockets and threads.

The rtl_tcp protocol (osmocom rtl-sdr, ``src/rtl_tcp.c``), as clients such as gr-osmosdr's
``rtl_tcp=HOST:PORT`` source expect it:

* On connect the server sends a 12-byte ``dongle_info_t``: the magic ``b"RTL0"``, then the tuner
  type and the number of tuner gains, each a big-endian uint32 (tuner 5 = R820T, which has 29
  gains). gr-osmosdr reads it with a single ``recv`` of 12 bytes.
* Then it streams unsigned 8-bit interleaved IQ (``cu8``: I, Q, I, Q, ... with 127.5 as zero) at
  the sample rate the client asked for, until the client goes away.
* The client sends 5-byte commands at any time: one command byte and a big-endian uint32
  parameter (``struct command`` is packed). The ones that matter here are in ``COMMANDS``:
  0x01 centre frequency (Hz), 0x02 sample rate (S/s), 0x03 gain mode (1: manual), 0x04 gain
  (tenths of a dB), 0x05 frequency correction (ppm), 0x06 IF gain (stage << 16 | tenths of dB),
  0x08 RTL AGC, 0x09 direct sampling, 0x0a offset tuning, 0x0d tuner gain by index, 0x0e bias tee.

``FakeRtlTcp`` serves one client at a time (as rtl_tcp does), loops a given complex signal,
paces it in ~10 ms chunks to the rate the client set (or sends as fast as the client reads with
``paced=False``), and records every command as ``(cmd, param)`` so a test can check what the
client configured::

    with FakeRtlTcp(samples, sample_rate=1.92e6) as server:
        ...  # point the client at rtl_tcp=127.0.0.1:{server.port}
        assert server.wait_for_command(SET_FREQUENCY, 806_000_000)
    # leaving the block closes the sockets and joins the threads
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time

import numpy as np

SET_FREQUENCY = 0x01
SET_SAMPLE_RATE = 0x02
SET_GAIN_MODE = 0x03
SET_GAIN = 0x04
SET_FREQ_CORRECTION = 0x05
SET_IF_GAIN = 0x06
SET_TEST_MODE = 0x07
SET_AGC_MODE = 0x08
SET_DIRECT_SAMPLING = 0x09
SET_OFFSET_TUNING = 0x0A
SET_RTL_XTAL = 0x0B
SET_TUNER_XTAL = 0x0C
SET_TUNER_GAIN_BY_INDEX = 0x0D
SET_BIAS_TEE = 0x0E

COMMANDS = {
    SET_FREQUENCY: "frequency",
    SET_SAMPLE_RATE: "sample rate",
    SET_GAIN_MODE: "gain mode",
    SET_GAIN: "gain",
    SET_FREQ_CORRECTION: "freq correction",
    SET_IF_GAIN: "IF gain",
    SET_TEST_MODE: "test mode",
    SET_AGC_MODE: "AGC mode",
    SET_DIRECT_SAMPLING: "direct sampling",
    SET_OFFSET_TUNING: "offset tuning",
    SET_RTL_XTAL: "RTL xtal",
    SET_TUNER_XTAL: "tuner xtal",
    SET_TUNER_GAIN_BY_INDEX: "tuner gain by index",
    SET_BIAS_TEE: "bias tee",
}

TUNER_R820T = 5
R820T_GAINS = 29

HEADER = struct.Struct(">4sII")  # dongle_info_t: magic, tuner type, tuner gain count
COMMAND = struct.Struct(">BI")  # struct command, packed: cmd, param

_POLL_S = 0.1  # how often blocked threads look at the stop flag


def to_cu8(samples: np.ndarray) -> bytes:
    """Complex samples in [-1, 1] as rtl_tcp's interleaved unsigned bytes (clipped)."""
    x = np.asarray(samples, dtype=np.complex64)
    iq = np.empty(2 * len(x), dtype=np.float32)
    iq[0::2], iq[1::2] = x.real, x.imag
    return np.clip(np.round(iq * 127.5 + 127.5), 0, 255).astype(np.uint8).tobytes()


def from_cu8(data: bytes) -> np.ndarray:
    """The inverse, as gr-osmosdr's rtl_tcp client maps bytes: ``(b - 127.4) / 128``."""
    iq = (np.frombuffer(data, dtype=np.uint8).astype(np.float32) - 127.4) / 128.0
    return (iq[0::2] + 1j * iq[1::2]).astype(np.complex64)


class FakeRtlTcp:
    """An rtl_tcp server on ``host`` and a free port, looping ``samples`` to its client.

    ``sample_rate`` is the pace before the client sets one (rtl_tcp's own default is 2.048 MS/s);
    afterwards the server follows the client's 0x02 commands. ``paced=False`` sends as fast as
    the client reads. ``commands`` lists every ``(cmd, param)`` received, in order.
    """

    def __init__(
        self,
        samples: np.ndarray,
        *,
        sample_rate: float = 2.048e6,
        paced: bool = True,
        tuner_type: int = TUNER_R820T,
        gain_count: int = R820T_GAINS,
        chunk_s: float = 0.01,
        host: str = "127.0.0.1",
    ):
        if len(samples) == 0:
            raise ValueError("the fake rtl_tcp server needs at least one sample to loop")
        self.data = to_cu8(samples)
        self.sample_rate = float(sample_rate)
        self.paced = paced
        self.header = HEADER.pack(b"RTL0", tuner_type, gain_count)
        self.chunk_s = chunk_s
        self.host = host
        self.commands: list[tuple[int, int]] = []
        self.clients = 0
        self.bytes_sent = 0
        self.errors: list[str] = []
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._rate_changed = False
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeRtlTcp:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, 0))
        listener.listen(1)
        listener.settimeout(_POLL_S)
        self._listener = listener
        self._spawn(self._serve, "fake-rtl_tcp-serve")
        return self

    @property
    def port(self) -> int:
        assert self._listener is not None, "start() the server first"
        return self._listener.getsockname()[1]

    @property
    def device_args(self) -> str:
        """The gr-osmosdr device string for this server."""
        return f"rtl_tcp={self.host}:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        """Stop streaming, close every socket, join the threads (idempotent)."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        alive = [t.name for t in self._threads if t.is_alive()]
        if self._listener is not None:
            self._listener.close()
        if alive:
            raise RuntimeError(f"fake rtl_tcp threads did not stop: {alive}")

    def __enter__(self) -> FakeRtlTcp:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what the client did ---------------------------------------------------------------------

    def params(self, cmd: int) -> list[int]:
        """Every parameter the client sent with command ``cmd``, in order."""
        with self._lock:
            return [p for c, p in self.commands if c == cmd]

    def wait_for_command(self, cmd: int, param: int | None = None, timeout: float = 5.0) -> bool:
        """Wait until the client sent ``cmd`` (with ``param``, if given); False on timeout."""

        def seen() -> bool:
            return any(c == cmd and (param is None or p == param) for c, p in self.commands)

        with self._lock:
            return self._lock.wait_for(seen, timeout)

    def describe_commands(self) -> list[str]:
        with self._lock:
            return [f"0x{c:02x} {COMMANDS.get(c, '?')}={p}" for c, p in self.commands]

    # -- threads ---------------------------------------------------------------------------------

    def _spawn(self, target, name: str, *args) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _serve(self) -> None:
        """Accept one client at a time; stream to it until it leaves or the server stops."""
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.clients += 1
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reader = self._spawn(self._read_commands, f"fake-rtl_tcp-commands-{self.clients}", conn)
            try:
                conn.sendall(self.header)
                self._stream(conn)
            except OSError:
                pass  # the client went away: wait for the next one
            finally:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                reader.join(5.0)
                conn.close()

    def _read_commands(self, conn: socket.socket) -> None:
        """Collect the client's 5-byte commands until it closes the connection."""
        buffer = b""
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([conn], [], [], _POLL_S)
                if not ready:
                    continue
                data = conn.recv(4096)
            except (OSError, ValueError):
                return
            if not data:
                return
            buffer += data
            complete = len(buffer) - len(buffer) % COMMAND.size
            with self._lock:
                for offset in range(0, complete, COMMAND.size):
                    cmd, param = COMMAND.unpack_from(buffer, offset)
                    self.commands.append((cmd, param))
                    if cmd == SET_SAMPLE_RATE and param > 0:
                        self.sample_rate = float(param)
                        self._rate_changed = True
                self._lock.notify_all()
            buffer = buffer[complete:]

    def _chunk(self, position: int, samples: int) -> tuple[bytes, int]:
        """``samples`` IQ pairs of the looped signal from sample ``position`` on."""
        total = len(self.data) // 2
        out = bytearray()
        while samples > 0:
            take = min(samples, total - position)
            out += self.data[2 * position : 2 * (position + take)]
            position = (position + take) % total
            samples -= take
        return bytes(out), position

    def _send(self, conn: socket.socket, data: bytes) -> bool:
        """Send all of ``data`` unless the server stops first (a stalled client must not hang
        ``stop()``); partial sends are resumed, so I/Q pairs stay aligned."""
        view = memoryview(data)
        while view and not self._stop.is_set():
            _, writable, _ = select.select([], [conn], [], _POLL_S)
            if writable:
                sent = conn.send(view)
                self.bytes_sent += sent
                view = view[sent:]
        return not view

    def _stream(self, conn: socket.socket) -> None:
        position = 0
        began, sent = time.monotonic(), 0  # the pacing clock, restarted on a rate change
        while not self._stop.is_set():
            with self._lock:
                rate = self.sample_rate
                if self._rate_changed:
                    self._rate_changed = False
                    began, sent = time.monotonic(), 0
            samples = max(1, round(rate * self.chunk_s))
            if self.paced:
                ahead = began + sent / rate - time.monotonic()
                if ahead > 0 and self._stop.wait(ahead):
                    return
            data, position = self._chunk(position, samples)
            if not self._send(conn, data):
                return
            sent += samples
