"""The streaming classifier without GNU Radio: what the block does between its input and output.

Samples arrive in chunks at absolute offsets; windows are cut (``StreamWindower``), timestamped
(``SampleClock``) and queued for the inference thread (``InferenceWorker``); results come back as
records (``RecordMaker``). What makes a stream different from a batch is the *release*: a window's
result belongs on its first sample (a stream tag), so output may pass a window's start only once
its result exists or it has been given up. ``release_limit`` says how far output may go;
``take_released`` hands over the records whose first sample is now being released.

Two modes (DESIGN.md rule 3):

- ``realtime``: a window the worker has no room for is skipped (counted, reported in the next
  record's ``skipped``); a result later than ``max_latency_s`` after the window's last sample is
  given up the same way, so held-back output is bounded.
- ``offline``: every window is classified; the caller waits for room and for results.

A change of ``rx_freq`` or ``rx_rate`` restarts windowing at the tag's sample, so no window
straddles a retune or mixes two rates.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from ..errors import RfclassifyError
from ..io.records import ResultRecord
from .clock import SampleClock
from .engine import Classifier
from .results import RecordMaker
from .windowing import StreamWindower
from .worker import Arriving, Done, InferenceWorker, Job

MODES = ("realtime", "offline")
# Windows at least this long have their spectrogram begun while they arrive (1.7 ms at 3.2 MS/s
# with 20 ms windows: below that the whole frontend takes well under a millisecond).
EARLY_FRONTEND_MIN_SAMPLES = 1 << 16


@dataclass
class _Pending:
    job: Job
    deadline: float  # monotonic; realtime only
    skipped_before: int  # windows skipped since the previous pending one
    record: ResultRecord | None = None
    resolved: bool = False  # result in (recorded or filtered), or given up


class StreamClassifier:
    """Windows, classifies and releases one stream of complex64 samples."""

    def __init__(
        self,
        classifier: Classifier,
        sample_rate: float,
        hop_s: float | None = None,
        mode: str = "realtime",
        max_batch: int = 8,
        max_latency_s: float = 0.1,
        min_confidence: float = 0.0,
        stall_timeout_s: float = 0.2,
        logger: logging.Logger | None = None,
    ):
        if mode not in MODES:
            raise RfclassifyError(f"mode {mode!r}: use one of {', '.join(MODES)}")
        if int(max_batch) < 1:
            raise RfclassifyError(f"max batch must be >= 1, got {max_batch}")
        if not max_latency_s > 0:
            raise RfclassifyError(f"max latency must be positive, got {max_latency_s} s")
        if not 0.0 <= min_confidence <= 1.0:
            raise RfclassifyError(f"min confidence must be in 0..1, got {min_confidence}")
        if hop_s is not None and not hop_s > 0:
            raise RfclassifyError(f"hop must be positive, got {hop_s} s")
        self.classifier = classifier
        self.mode = mode
        self.max_batch = int(max_batch)
        self.max_latency_s = float(max_latency_s)
        self.min_confidence = float(min_confidence)
        self.stall_timeout_s = float(stall_timeout_s)
        self.hop_s = hop_s
        # A GNU Radio block logger takes one string: log with f-strings, not %-arguments.
        self.log = logger or logging.getLogger(__name__)
        self.sample_rate = float(sample_rate)
        self.window = classifier.window_length(self.sample_rate)  # refuses what it cannot serve
        self.warm_up()
        self.windower = StreamWindower(self.window, self._hop_samples(self.sample_rate))
        self.serving = True  # False while the stream's rate is one the model cannot serve
        self.clock = SampleClock(self.sample_rate)
        self.center_freq: float | None = None
        self.maker = RecordMaker(classifier.classes, classifier.name)
        self.worker: InferenceWorker | None = None
        self._pending: deque[_Pending] = deque()
        self._skips = 0  # skipped since the last pending window
        self._noticed = (-1, 0)  # (start, samples) of the last arriving-window notice
        self._stall_since: float | None = None
        self._worker_totals = {"errors": 0, "restarts": 0}  # of past worker runs
        self.latencies: deque[float] = deque(maxlen=1000)  # window complete -> record, seconds
        self.counts = dict.fromkeys(
            (
                "windows",  # cut from the stream
                "classified",  # answered in time (the record may be filtered by confidence)
                "invalid",  # answered in time, but NaN/Inf samples or a failed batch
                "skipped",  # refused by a full queue or answered too late
                "late",  # answers that came after their window was given up
                "below_confidence",
                "records",
                "partial",
                "retunes",
                "unfinished",  # cut, but still being classified when the stream stopped
            ),
            0,
        )

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self.worker is None:
            queue = max(2 * self.max_batch, 4)
            self.worker = InferenceWorker(self.classifier, self.max_batch, queue, self.log)

    def stop(self) -> None:
        """End the worker. Windows still waiting for a result cannot be tagged any more (the
        output has ended): they are counted as ``unfinished``, so that every window cut is
        accounted for (records + below confidence + skipped + unfinished = windows)."""
        if self.worker is not None:
            self.worker.stop(timeout=1.0)  # a stuck backend must not hold up the flowgraph
            for key in self._worker_totals:
                self._worker_totals[key] += self.worker.counters[key]
            self.worker = None
        unresolved = sum(not entry.resolved for entry in self._pending)
        self.counts["unfinished"] += unresolved
        self._pending.clear()

    def warm_up(self) -> None:
        """Throw-away inferences at every batch size up to ``max_batch`` (the largest twice).

        A backend's first run at a batch size (allocation, kernel choice) is many times slower
        than the next, and in realtime would cost windows; and its memory grows with each new
        size it meets (measured, vim-lte-nr at 30.72 MS/s: 145 MB at batch 2, 200 MB once batch
        8 has run twice, flat after). Met here, the footprint is reached at start: a station's
        RSS stays flat instead of stepping up whenever a hiccup first queues a larger batch.
        """
        # Weak noise, not zeros: an all-zero window is refused before the model would run.
        pairs = np.random.default_rng(0).normal(0.0, 1e-3, 2 * self.window).astype(np.float32)
        noise = pairs.view(np.complex64)
        for batch in [*range(1, self.max_batch + 1), self.max_batch]:
            self.classifier.classify([noise] * batch, self.sample_rate)

    def _hop_samples(self, rate: float) -> int | None:
        if self.hop_s is None:
            return None
        hop = max(1, round(self.hop_s * rate))
        return None if hop == self.classifier.window_length(rate) else hop

    def holding_span(self, sample_rate: float | None = None) -> int:
        """Most samples the caller may have to hold unreleased: a window, what arrives while its
        result is computed (max latency), and the larger of a hop gap; sizes the block's buffers."""
        rate = sample_rate or self.sample_rate
        return self.window + int(rate * self.max_latency_s) + 8192

    # -- stream events --------------------------------------------------------------------------

    def rx_time(self, offset: int, seconds: float) -> None:
        self.clock.rx_time(offset, seconds)

    def rx_freq(self, offset: int, freq: float) -> None:
        """A (re)tune: windows restart at ``offset`` unless the frequency did not change."""
        if self.center_freq is not None and freq != self.center_freq:
            self._restart(offset)
            self.counts["retunes"] += 1
        self.center_freq = float(freq)

    def rx_rate(self, offset: int, rate: float) -> None:
        """A new sample rate from ``offset`` on; a rate the model cannot serve pauses
        classification (logged once) until a servable one comes. The samples pass regardless."""
        rate = float(rate)
        if rate == self.sample_rate:
            return
        self.clock.set_rate(rate, offset)
        self.sample_rate = rate
        try:
            self.window = self.classifier.window_length(rate)
        except RfclassifyError as exc:
            self.log.error(f"{exc}; not classifying until the rate changes")
            self.serving = False
            return
        self.serving = True
        self.windower.restart(offset, self.window, self._hop_samples(rate))

    def _restart(self, offset: int) -> None:
        if self.windower.buffered:
            self.counts["partial"] += 1
        self.windower.restart(offset)

    def push(self, chunk, offset: int) -> None:
        """Samples ``chunk`` starting at absolute ``offset``; complete windows go to the worker."""
        assert self.worker is not None, "start() the stream classifier first"
        end = offset + len(chunk)
        self.clock.host(end)
        self._stall_since = None  # input came: no stall
        if not self.serving:
            self.windower.restart(end)
            return
        windows = self.windower.push(chunk, offset)
        for index, (start, samples) in enumerate(windows):
            self.counts["windows"] += 1
            context = {
                "center_freq": self.center_freq,
                "time": self.clock.seconds_at(start),
                "time_source": self.clock.source,
            }
            job = Job(start, samples, self.sample_rate, context)
            if self.mode == "offline":
                while not self.worker.submit_wait(job, timeout=1.0):
                    if self.worker.stopped:  # this window and the rest were cut, not classified
                        self.counts["unfinished"] += 1
                        self.counts["windows"] += len(windows) - index - 1
                        self.counts["unfinished"] += len(windows) - index - 1
                        return
                    self.log.debug("waiting for room in the inference queue")
            elif not self.worker.submit(job):
                self._skip()
                continue
            deadline = job.submitted + self.max_latency_s
            self._pending.append(_Pending(job, deadline, self._skips))
            self._skips = 0
        self._notice_arriving()

    def _notice_arriving(self) -> None:
        """Tell the worker about the filling window every eighth of it, so its spectrogram is
        mostly done when its last sample comes (long windows only: short ones are cheap)."""
        if self.window < EARLY_FRONTEND_MIN_SAMPLES:
            return
        arriving = self.windower.arriving()
        if arriving is None:
            return
        start, samples = arriving
        if start == self._noticed[0] and samples.size < self._noticed[1] + self.window // 8:
            return
        self._noticed = (start, samples.size)
        self.worker.notice(Arriving(start, samples, self.sample_rate))

    def _skip(self, carried: int = 0) -> None:
        """One window dropped (plus ``carried`` earlier ones it stood for)."""
        self.counts["skipped"] += 1
        self._skips += 1 + carried

    # -- results --------------------------------------------------------------------------------

    def collect(self) -> list[ResultRecord]:
        """New records, in stream order, for the message port and ZMQ (already past
        ``min_confidence``); their tags follow through ``take_released``."""
        assert self.worker is not None
        out = []
        self._expire()
        for done in self.worker.poll():
            entry = self._entry_for(done)
            if entry is None:  # given up on before its result came
                self.counts["late"] += 1
                continue
            self.counts["classified" if done.valid and done.probs is not None else "invalid"] += 1
            record = self._record(done, entry)
            entry.resolved = True
            if record is not None:
                entry.record = record
                out.append(record)
                self.latencies.append(time.monotonic() - done.job.submitted)
        return out

    def _entry_for(self, done: Done) -> _Pending | None:
        for entry in self._pending:
            if entry.job is done.job:
                return None if entry.resolved else entry
        return None

    def _record(self, done: Done, entry: _Pending) -> ResultRecord | None:
        confident = done.probs is not None and float(done.probs.max()) >= self.min_confidence
        if done.valid and not confident:
            self.counts["below_confidence"] += 1
            self._carry(entry, entry.skipped_before)
            return None
        self.maker.skipped(entry.skipped_before)
        self.counts["records"] += 1
        return self.maker.make(done)

    def _carry(self, entry: _Pending, count: int) -> None:
        """Hand ``count`` skips on to the window after ``entry`` (or the next one to come)."""
        if not count:
            return
        later = False
        for other in self._pending:
            if later and not other.resolved:
                other.skipped_before += count
                return
            later = later or other is entry
        self._skips += count

    def _expire(self) -> None:
        """Realtime: give up on windows whose result is later than ``max_latency_s``."""
        if self.mode != "realtime":
            return
        now = time.monotonic()
        for entry in self._pending:
            if entry.resolved:
                continue
            if entry.deadline > now:
                break  # deadlines grow along the stream
            entry.resolved = True
            self.counts["skipped"] += 1
            self._carry(entry, entry.skipped_before + 1)

    # -- release --------------------------------------------------------------------------------

    def release_limit(self, end: int) -> int:
        """How far (absolute, exclusive) output may go, given input pushed up to ``end``."""
        limit = end
        for entry in self._pending:
            if not entry.resolved:
                limit = min(limit, entry.job.start)
                break
        if self.serving and self.windower.buffered:
            limit = min(limit, self.windower.next_start)
        return limit

    def take_released(self, limit: int) -> list[ResultRecord]:
        """Records of windows starting before ``limit``, now that output reaches it (for tags)."""
        out = []
        while self._pending and self._pending[0].job.start < limit:
            entry = self._pending.popleft()
            assert entry.resolved, "released past an unresolved window"
            if entry.record is not None:
                out.append(entry.record)
        return out

    def wait(self, written: int, end: int, fresh_input: bool) -> None:
        """Nothing can be released at ``written``: wait for what blocks it, boundedly.

        Blocked on a window's result: wait for the worker (realtime: until that window's
        deadline). Blocked on an incomplete window: the caller must bring more input; if none has
        come for ``stall_timeout_s`` (end of a file, a stalled source), the partial window is
        dropped (counted) so the samples already here can pass.
        """
        assert self.worker is not None
        blocking = next((e for e in self._pending if not e.resolved), None)
        if blocking is not None and blocking.job.start <= written:
            # Wait in slices of an eighth of a window: input that arrives meanwhile is pushed at
            # the next call, so windows are not submitted late and in bursts, and the frontend
            # keeps working on the arriving one.
            slice_s = max(0.001, self.window / self.sample_rate / 8)
            if self.mode == "realtime":
                slice_s = min(slice_s, max(0.0, blocking.deadline - time.monotonic()) + 1e-4)
            self.worker.wait(slice_s)
            return
        now = time.monotonic()
        if fresh_input or self._stall_since is None:
            self._stall_since = now
        if now - self._stall_since >= self.stall_timeout_s:
            idle = now - self._stall_since
            self.log.debug(f"no input for {idle:.2f} s: dropping the partial window")
            self._restart(end)
            self._stall_since = None
        else:
            time.sleep(0.001)  # the scheduler calls again at once; don't spin

    def counters(self) -> dict[str, float]:
        """Counts since start: windows cut, classified, skipped, ... (for status lines)."""
        out: dict[str, float] = dict(self.counts)
        out.update(self._worker_totals)
        out["queue_depth"] = 0
        if self.worker is not None:
            for key in self._worker_totals:
                out[key] += self.worker.counters[key]
            out["queue_depth"] = self.worker.queue_depth
        out["rx_time_tags"] = self.clock.rx_time_tags
        if self.latencies:
            ordered = sorted(self.latencies)
            out["latency_p50_s"] = ordered[len(ordered) // 2]
            out["latency_p99_s"] = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        return out
