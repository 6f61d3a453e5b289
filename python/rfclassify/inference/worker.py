"""Inference on its own threads behind a bounded queue (DESIGN.md rule 3).

The streaming side hands windows over with ``submit`` (never blocks: a full queue answers False
and the caller counts a skipped window) or ``submit_wait`` (offline replay, where every window
must be classified). Two threads then form a pipeline: the *frontend* thread takes up to
``max_batch`` queued windows of one sample rate and makes their spectrograms; the *model* thread
runs the network on them while the frontend already works on the next batch. On two cores the
chain then goes as fast as the slower stage, not the two added (at 61.44 MS/s each costs about
as much as the other). Results wait for ``poll``. A failing batch is logged, counted and reported
as failed results; both threads carry on.

Should a thread's loop itself die (an error outside the per-batch guard, or a ``BaseException``
from a backend), it is logged with its traceback, counted in ``restarts`` and started again; the
windows it held are reported as failed results, never lost, so a caller waiting for them (the
stream's release, ``drain``) is never left waiting for ever.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .screening import screen

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One window to classify and what its record needs besides the answer."""

    start: int  # absolute index of the window's first sample
    samples: np.ndarray  # complex64 (length,)
    sample_rate: float
    context: dict[str, Any] = field(default_factory=dict)  # center_freq, time, ...
    submitted: float = field(default_factory=time.monotonic)


@dataclass
class Done:
    job: Job
    probs: np.ndarray | None  # None: the batch failed (``error`` says why)
    valid: bool
    latency_s: float
    error: str = ""
    reason: str = ""  # why the window was not classified ("" when it was)
    clipped: float = 0.0  # share of its I/Q values pinned at full scale (``screening``)


@dataclass
class Arriving:
    """The first samples of a window still filling: the frontend may start on its columns."""

    start: int
    samples: np.ndarray  # complex64, a read-only view that stays valid
    sample_rate: float


class _Inbox:
    """Queued jobs (bounded, first in first out) and the latest ``Arriving`` notice, behind one
    condition, so the frontend thread wakes for either. Notices never take a job's place."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.jobs: deque[Job] = deque()
        self.notice: Arriving | None = None
        self.cond = threading.Condition()

    def put(self, job: Job, timeout: float = 0.0) -> bool:
        with self.cond:
            if len(self.jobs) >= self.capacity and not (
                timeout > 0 and self.cond.wait_for(lambda: len(self.jobs) < self.capacity, timeout)
            ):
                return False
            self.jobs.append(job)
            self.cond.notify_all()
            return True

    def put_notice(self, notice: Arriving) -> None:
        with self.cond:
            self.notice = notice
            self.cond.notify_all()

    def take(self, timeout: float) -> Job | Arriving | None:
        """The oldest job, else the notice; None after ``timeout`` s with neither."""
        with self.cond:
            if not self.cond.wait_for(lambda: self.jobs or self.notice, timeout):
                return None
            if self.jobs:
                job = self.jobs.popleft()
                self.cond.notify_all()  # room for a waiting submitter
                return job
            notice, self.notice = self.notice, None
            return notice

    def take_job(self) -> Job | None:
        with self.cond:
            if not self.jobs:
                return None
            job = self.jobs.popleft()
            self.cond.notify_all()
            return job

    def __len__(self) -> int:
        return len(self.jobs)


@dataclass
class _Features:
    batch: list[Job]
    images: np.ndarray | None  # None: the frontend failed (``error`` says why)
    valid: np.ndarray
    error: str = ""
    checks: list[tuple[str, float]] = field(default_factory=list)  # ``screen`` per window


class InferenceWorker:
    """Frontend and model threads running ``classifier.images`` then
    ``classifier.probabilities`` on batches of queued ``Job``s."""

    def __init__(self, classifier, max_batch: int = 8, max_queue: int = 32, logger=None):
        if max_batch < 1 or max_queue < 1:
            raise ValueError("max_batch and max_queue must be >= 1")
        self.classifier = classifier
        self.max_batch = int(max_batch)
        self._inbox = _Inbox(int(max_queue))
        self._partials: dict[tuple[int, float], object] = {}  # spectrograms begun early
        self._features: queue.Queue[_Features] = queue.Queue(maxsize=1)  # one batch in hand
        self._done: deque[Done] = deque()
        self._held: Job | None = None  # a job of another rate, first in the next batch
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._in_flight = 0
        self.log = logger or log
        self.counters = {"submitted": 0, "refused": 0, "classified": 0, "invalid": 0, "errors": 0}
        self.counters["begun_early"] = 0  # windows whose spectrogram started before they ended
        self.counters["restarts"] = 0  # thread loops that died and were started again
        self._frontend_batch: list[Job] = []  # taken from the inbox, not yet handed on
        self._model_batch: list[Job] = []  # taken by the model thread, results not yet out
        self._threads = [
            threading.Thread(
                target=self._supervised, args=(self._run_frontend, self._frontend_batch),
                name="rfclassify-frontend", daemon=True,
            ),
            threading.Thread(
                target=self._supervised, args=(self._run_model, self._model_batch),
                name="rfclassify-inference", daemon=True,
            ),
        ]  # fmt: skip
        for thread in self._threads:
            thread.start()

    # -- the streaming side ---------------------------------------------------------------------

    def submit(self, job: Job) -> bool:
        """Queue ``job`` if there is room; False (and counted) if the worker is behind."""
        if not self._inbox.put(job):
            self.counters["refused"] += 1
            return False
        self._accepted()
        return True

    def submit_wait(self, job: Job, timeout: float | None = None) -> bool:
        """Queue ``job``, waiting for room (offline mode); False only on timeout or stop."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stop.is_set():
            wait = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
            if wait <= 0:
                return False
            if self._inbox.put(job, wait):
                self._accepted()
                return True
        return False

    def notice(self, arriving: Arriving) -> None:
        """A window is filling: the frontend may begin its spectrogram while it waits for
        work (never blocks; a newer notice replaces an unread one)."""
        self._inbox.put_notice(arriving)

    def _accepted(self) -> None:
        with self._idle:
            self._in_flight += 1
        self.counters["submitted"] += 1

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def poll(self) -> list[Done]:
        """Results finished since the last call, in completion order."""
        out = []
        while self._done:
            out.append(self._done.popleft())
        return out

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until a result is ready to ``poll``; False if none came."""
        with self._idle:
            return self._idle.wait_for(lambda: bool(self._done), timeout)

    @property
    def queue_depth(self) -> int:
        """Windows waiting for the frontend, plus a batch waiting for the model."""
        waiting = self._features.queue[0].batch if self._features.qsize() else []
        return len(self._inbox) + len(waiting)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every accepted job has a result; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """End the threads; one stuck in the backend is left behind (a daemon) after
        ``timeout``."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                self.log.warning(f"{thread.name} thread still busy after {timeout:g} s; leaving it")

    # -- the threads ----------------------------------------------------------------------------

    def _supervised(self, loop, in_hand: list[Job]) -> None:
        """Run ``loop`` until stop; if it dies, fail the jobs it held and run it again (after a
        pause that grows with repeated deaths, so a broken backend does not spin a core)."""
        deaths = 0
        while not self._stop.is_set():
            try:
                loop()
                return
            except BaseException as exc:  # the worker must outlive any fault
                deaths += 1
                self.counters["restarts"] += 1
                name = threading.current_thread().name
                self.log.error(
                    f"{name} thread died ({_failure(exc)}); {len(in_hand)} window(s) it held "
                    f"reported failed; restarting it (restart {self.counters['restarts']})"
                )
                self.log.debug(traceback.format_exc())
                self._fail(list(in_hand), f"worker thread died: {_failure(exc)}")
                in_hand.clear()
                self._stop.wait(min(1.0, 0.01 * 2 ** min(deaths - 1, 7)))

    def _fail(self, batch: list[Job], error: str) -> None:
        """Failed results for ``batch`` (no probabilities, not valid, with the reason)."""
        if not batch:
            return
        self.counters["errors"] += 1
        now = time.monotonic()
        reason = f"inference failed: {error}"
        self._done.extend(
            Done(job, None, False, now - job.submitted, error, reason) for job in batch
        )
        with self._idle:
            self._in_flight -= len(batch)
            self._idle.notify_all()

    def _next_batch(self) -> list[Job]:
        """Up to ``max_batch`` jobs of one rate; an ``Arriving`` notice met first is acted on."""
        first = self._held
        self._held = None
        if first is None:
            item = self._inbox.take(0.1)
            if isinstance(item, Arriving):
                self._advance(item)
                return []
            if item is None:
                return []
            first = item
        batch = self._frontend_batch  # in hand from here: failed, not lost, if the loop dies
        batch[:] = [first]
        while len(batch) < self.max_batch:
            job = self._inbox.take_job()
            if job is None:
                break
            if job.sample_rate != first.sample_rate or job.samples.size != first.samples.size:
                self._held = job  # one rate per batch; it leads the next one
                break
            batch.append(job)
        return list(batch)

    def _advance(self, arriving: Arriving) -> None:
        """Compute the columns of a filling window that its samples so far complete."""
        begin = getattr(self.classifier, "begin_spectrogram", None)
        if begin is None:
            return
        key = (arriving.start, arriving.sample_rate)
        for other in [k for k in self._partials if k != key]:
            del self._partials[other]  # its window came (taken first) or never will (restart)
        try:
            partial = self._partials.get(key) or begin(arriving.sample_rate)
            if partial is not None:
                partial.advance(arriving.samples)
                self._partials[key] = partial
        except Exception as exc:  # the window's own job will compute it all; say why
            self._partials.pop(key, None)
            self.log.debug(f"no early spectrogram for the window at {arriving.start}: {exc}")

    def _run_frontend(self) -> None:
        while not self._stop.is_set():
            batch = self._next_batch()
            if not batch:
                continue
            started = [self._partials.pop((job.start, job.sample_rate), None) for job in batch]
            try:
                windows = [job.samples for job in batch]  # not stacked: 10 MB each at 61.44 MS/s
                rate = batch[0].sample_rate
                early = sum(p is not None for p in started)
                if early:
                    self.counters["begun_early"] += early
                    images, valid = self.classifier.images(windows, rate, started)
                else:
                    images, valid = self.classifier.images(windows, rate)
                checks = [screen(job.samples) for job in batch]
                valid = valid & np.array([not reason for reason, _ in checks])  # zeros: invalid
                features = _Features(batch, images, valid, checks=checks)
            except Exception as exc:  # a bad batch must not end the worker
                features = _Features(batch, None, np.zeros(len(batch), bool), _failure(exc))
            while not self._stop.is_set():
                try:
                    self._features.put(features, timeout=0.1)
                    self._frontend_batch.clear()  # the model thread holds them now
                    break
                except queue.Full:
                    continue

    def _run_model(self) -> None:
        while not self._stop.is_set():
            try:
                features = self._features.get(timeout=0.1)
            except queue.Empty:
                continue
            self._model_batch[:] = features.batch
            probs, valid, error = None, features.valid, features.error
            if features.images is not None:
                try:
                    probs = self.classifier.probabilities(features.images, valid)
                except Exception as exc:  # a bad batch must not end the worker
                    error = _failure(exc)
            batch = features.batch
            if probs is None:
                self.counters["errors"] += 1
                self.log.error(f"inference failed on {len(batch)} windows: {error}")
                valid = np.zeros(len(batch), bool)
            now = time.monotonic()
            results = []
            for i, job in enumerate(batch):
                row = None if probs is None else probs[i]
                reason, clipped = features.checks[i] if features.checks else ("", 0.0)
                if probs is None:
                    reason = f"inference failed: {error}"
                elif not valid[i] and not reason:  # finite, but its power overflowed
                    reason = "samples too large for a finite spectrogram"
                results.append(
                    Done(job, row, bool(valid[i]), now - job.submitted, error, reason, clipped)
                )
            if probs is not None:
                good = sum(d.valid for d in results)
                self.counters["classified"] += good
                self.counters["invalid"] += len(results) - good
            self._done.extend(results)  # all at once: a death before here fails them all
            self._model_batch.clear()
            with self._idle:
                self._in_flight -= len(batch)
                self._idle.notify_all()


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
