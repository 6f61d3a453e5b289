"""rfclassify.classifier: the streaming classifier as a GNU Radio block.

An adapter (gr-satellites style): the logic lives in ``inference.StreamClassifier``; this block
moves samples, reads the SDR's ``rx_time`` / ``rx_freq`` / ``rx_rate`` tags, writes one tag per
classified window at the window's first sample, and publishes each record on the
``classification`` message port and, optionally, ZMQ.

Output is the input, sample for sample. Because a window's tag sits on its first sample, the block
holds output back until that window's result exists: the added latency is one window plus the
inference time, bounded by ``max_latency_ms`` in realtime mode (a later result is given up and
the window counted as skipped). The upstream buffer is sized for that span through
``set_history`` (GNU Radio sizes a block's input buffer from its history), so a source never
stalls while a result is awaited. At the end of a finite stream, or when a source stops
delivering for ``stall_timeout`` seconds, the incomplete last window is dropped (counted as
``partial``) and its samples pass.

It is a 1:1 general block (``consume == produce``, relative rate 1, tags propagate unchanged)
rather than a ``gr.sync_block``: the Python gateway hands a sync block only as much input as it
has output space, cut by the scheduler's halving, so a held window's last samples could stay out
of sight; a general block sees every sample the upstream buffer holds.
"""

from __future__ import annotations

import sys

import numpy as np
import pmt
from gnuradio import gr

from ..errors import RfclassifyError
from ..inference.engine import Classifier
from ..inference.heap import DEFAULT_PERIOD_S, TRIMMER
from ..inference.resolve import DEFAULT_MODEL
from ..inference.stream import StreamClassifier
from ..io.publisher import FORMATS, ZmqPublisher
from .pmt_records import record_to_pmt

PORT = "classification"
_RX_KEYS = ("rx_rate", "rx_freq", "rx_time")
GIL_SWITCH_INTERVAL_S = 0.0005
_MAX_OUTPUT_BUFFER = 1 << 26  # items: 512 MiB of complex64, a sanity cap


def _rx_time_seconds(value) -> float:
    """UHD/Soapy ``rx_time``: a tuple (uint64 whole seconds, double fraction)."""
    return float(pmt.to_uint64(pmt.tuple_ref(value, 0))) + pmt.to_double(pmt.tuple_ref(value, 1))


class _BlockLog:
    """The block's GNU Radio logger behind the ``logging`` methods the core calls."""

    def __init__(self, logger):
        self.debug, self.info, self.error = logger.debug, logger.info, logger.error
        self.warning = logger.warn


class classifier(gr.basic_block):  # GNU Radio names blocks in lower case
    """Complex passthrough that classifies the stream window by window.

    Args:
        model: a shipped model name (``vim-lte-nr``) or a path to an ONNX file / checkpoint.
        backend: ``onnxruntime`` or ``torch``.
        device: ``cpu``, ``cuda``, ``cuda:N`` or ``auto`` (CUDA when present; the log says which
            one runs). CUDA asked for but absent runs on the CPU with a warning in the log.
        sample_rate: the stream's rate (an ``rx_rate`` tag overrides it mid-stream).
        window_ms: window duration; 0 takes the model card's.
        hop_ms: start-to-start distance of windows; 0 (or = window) for contiguous windows.
        max_batch: windows classified in one call when the worker is behind.
        min_confidence: records below it are neither tagged nor published (counted).
        zmq_address: PUB socket address, e.g. ``tcp://127.0.0.1:5557``; empty for none.
        zmq_format: ``json`` (``[b"rfclassify", record]``) or ``pmt`` (one serialized PMT dict).
        zmq_curve_keys: a key folder from ``rfclassify keys``: the feed is CURVE-encrypted and
            only the subscribers whose keys it authorises receive it; empty: plain ZMQ.
        tag_key: key of the stream tags.
        mode: ``realtime`` (skip windows when behind) or ``offline`` (classify every window).
        max_latency_ms: realtime bound on a result's delay after its window's last sample.
        threads: inference threads (ONNX Runtime intra-op / torch); keep low inside GNU Radio.
        stall_timeout: seconds without input after which an incomplete window is dropped.
        strict_device: with ``device`` cuda, fail at construction instead of falling back to
            the CPU when CUDA is absent.
        heap_trim_s: while running, hand freed heap memory back to the OS this often (glibc
            ``malloc_trim``, process-wide; see ``inference.heap``); 0: never.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        backend: str = "onnxruntime",
        device: str = "cpu",
        sample_rate: float = 30.72e6,
        window_ms: float = 0.0,
        hop_ms: float = 0.0,
        max_batch: int = 8,
        min_confidence: float = 0.0,
        zmq_address: str = "",
        zmq_format: str = "json",
        tag_key: str = "rf_class",
        mode: str = "realtime",
        max_latency_ms: float = 100.0,
        threads: int = 1,
        stall_timeout: float = 0.2,
        zmq_curve_keys: str = "",
        strict_device: bool = False,
        heap_trim_s: float = DEFAULT_PERIOD_S,
    ):
        gr.basic_block.__init__(
            self, name="rfclassify_classifier", in_sig=[np.complex64], out_sig=[np.complex64]
        )
        if zmq_format not in FORMATS:
            raise RfclassifyError(f"ZMQ format {zmq_format!r}: use one of {', '.join(FORMATS)}")
        if not tag_key:
            raise RfclassifyError("the tag key must not be empty")
        if window_ms < 0 or hop_ms < 0:
            raise RfclassifyError("window and hop durations must be >= 0 (0: the default)")
        if not heap_trim_s >= 0:
            raise RfclassifyError(f"heap trim period must be >= 0 s (0: never), got {heap_trim_s}")
        self.heap_trim_s = float(heap_trim_s)
        self._trimming = False
        log = _BlockLog(self.logger)
        self._log = log
        engine = Classifier(
            model, backend, device, threads, window_ms or None, bool(strict_device), log
        )
        self.stream = StreamClassifier(
            engine,
            sample_rate,
            hop_s=hop_ms * 1e-3 or None,
            mode=mode,
            max_batch=max_batch,
            max_latency_s=max_latency_ms * 1e-3,
            min_confidence=min_confidence,
            stall_timeout_s=stall_timeout,
            logger=log,
        )
        self.tag_key = pmt.intern(tag_key)
        self.zmq_format = zmq_format
        if zmq_curve_keys and not zmq_address:
            raise RfclassifyError("ZMQ curve keys given, but no ZMQ address to publish on")
        self.publisher = None
        if zmq_address:
            self.publisher = ZmqPublisher(zmq_address, curve_keys=zmq_curve_keys, logger=log)
        self.message_port_register_out(pmt.intern(PORT))
        self._port = pmt.intern(PORT)
        self._name = pmt.intern(self.alias() if hasattr(self, "alias") else "rfclassify")
        span = min(self.stream.holding_span(), _MAX_OUTPUT_BUFFER)
        self._history = span
        self.set_history(span)  # sizes the upstream buffer (see the module docstring)
        self.set_min_output_buffer(min(span, 1 << 20))  # big outputs: few (costly) Python calls
        self._values: dict[int, object] = {}  # seq -> PMT dict, published and not yet tagged
        self._pushed = 0  # absolute index of the next sample not yet given to the stream
        self.logger.info(
            f"{engine.describe()}: {self.stream.window} samples per window at "
            f"{sample_rate / 1e6:g} MS/s, {mode}, buffers of {span} samples"
        )

    # -- GNU Radio life cycle -------------------------------------------------------------------

    def start(self) -> bool:
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
            # Python hands the GIL over every 5 ms by default: the work, frontend and model
            # threads then wait for each other that long (measured: median latency 18 ms at
            # 61.44 MS/s, 8-10 ms with 0.5 ms). Process-wide, so said in the log.
            self.logger.info(
                f"Python GIL switch interval {sys.getswitchinterval() * 1e3:g} ms -> "
                f"{GIL_SWITCH_INTERVAL_S * 1e3:g} ms for low-latency hand-offs"
            )
            sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        if not self._trimming and self.heap_trim_s > 0:
            first = TRIMMER.period is None
            self._trimming = TRIMMER.hold(self.heap_trim_s, self._log)
            if self._trimming and first:  # process-wide, so said in the log
                self.logger.info(
                    f"freed heap memory goes back to the OS every {TRIMMER.period:g} s "
                    "(malloc_trim), so RSS stays what the flowgraph uses"
                )
        self.stream.start()
        return True

    def stop(self) -> bool:
        self.stream.stop()
        if self._trimming:
            TRIMMER.release(self.heap_trim_s)
            self._trimming = False
        return True

    def counters(self) -> dict[str, float]:
        """Windows cut / classified / skipped / late / ..., queue depth, latency (p50, p99)."""
        out = self.stream.counters()
        if self.publisher is not None:
            out["zmq_sent"] = self.publisher.sent
            out["zmq_dropped"] = self.publisher.dropped
        out["heap_trims"] = TRIMMER.trims  # the process's, every block's together
        return out

    def set_center_freq(self, freq: float) -> None:
        """The centre frequency for a source that sends no ``rx_freq`` tags (set before the
        flowgraph starts; ``rx_freq`` tags override it)."""
        self.stream.center_freq = float(freq)

    def set_min_confidence(self, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise RfclassifyError(f"min confidence must be in 0..1, got {value}")
        self.stream.min_confidence = float(value)

    # -- work -----------------------------------------------------------------------------------

    def forecast(self, noutput_items, ninputs):
        return [self._history]  # one new sample is enough to run (history items lead the array)

    def general_work(self, input_items, output_items):
        out = output_items[0]
        written = self.nitems_written(0)
        samples = input_items[0][self._history - 1 :]  # history items lead the array
        end = written + len(samples)
        fresh = end > self._pushed
        if fresh:
            self._push(samples, written, end)
        self._publish(self.stream.collect())
        limit = self.stream.release_limit(end)
        if limit <= written:
            self.stream.wait(written, end, fresh)
            self._publish(self.stream.collect())
            limit = self.stream.release_limit(end)
            if limit <= written:
                return 0
        limit = min(limit, written + len(out))
        for record in self.stream.take_released(limit):
            value = self._values.pop(record.seq)  # made once, when the record was published
            self.add_item_tag(0, record.start, self.tag_key, value, self._name)
        count = limit - written
        out[:count] = samples[:count]
        self.consume(0, count)
        return count

    def _push(self, samples: np.ndarray, written: int, end: int) -> None:
        """Give the stream the samples not seen yet, applying SDR tags at their offsets."""
        pos = self._pushed
        tags = self.get_tags_in_range(0, pos, end)
        tags = [t for t in tags if pmt.symbol_to_string(t.key) in _RX_KEYS]
        for tag in sorted(tags, key=lambda t: t.offset):
            offset = int(tag.offset)
            if offset > pos:
                self.stream.push(samples[pos - written : offset - written], pos)
                pos = offset
            self._apply(tag, offset)
        if end > pos:
            self.stream.push(samples[pos - written : end - written], pos)
        self._pushed = end

    def _apply(self, tag, offset: int) -> None:
        key = pmt.symbol_to_string(tag.key)
        try:
            if key == "rx_time":
                self.stream.rx_time(offset, _rx_time_seconds(tag.value))
            elif key == "rx_freq":
                self.stream.rx_freq(offset, pmt.to_double(tag.value))
            elif key == "rx_rate":
                self.stream.rx_rate(offset, pmt.to_double(tag.value))
        except (RuntimeError, ValueError, TypeError) as exc:  # a malformed tag: say so, go on
            self.logger.warn(f"ignoring malformed {key} tag at {offset}: {exc}")

    def _publish(self, records) -> None:
        for record in records:
            value = record_to_pmt(record)
            self._values[record.seq] = value  # the tag carries the same dict
            self.message_port_pub(self._port, value)
            if self.publisher is None:
                continue
            if self.zmq_format == "json":
                self.publisher.send_record(record)
            else:
                self.publisher.send_frame(pmt.serialize_str(value))
