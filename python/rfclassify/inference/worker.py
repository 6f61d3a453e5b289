"""Inference on its own threads behind a bounded queue (DESIGN.md rule 3).

The streaming side hands windows over with ``submit`` (never blocks: a full queue answers False
and the caller counts a skipped window) or ``submit_wait`` (offline replay, where every window
must be classified). Two threads then form a pipeline: the *frontend* thread takes up to
``max_batch`` queued windows of one sample rate and makes their spectrograms; the *model* thread
runs the network on them while the frontend already works on the next batch. On two cores the
chain then goes as fast as the slower stage, not the two added (at 61.44 MS/s each costs about
as much as the other). Results wait for ``poll``. A failing batch is logged, counted and reported
as failed results; both threads carry on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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


@dataclass
class _Features:
    batch: list[Job]
    images: np.ndarray | None  # None: the frontend failed (``error`` says why)
    valid: np.ndarray
    error: str = ""


class InferenceWorker:
    """Frontend and model threads running ``classifier.images`` then
    ``classifier.probabilities`` on batches of queued ``Job``s."""

    def __init__(self, classifier, max_batch: int = 8, max_queue: int = 32, logger=None):
        if max_batch < 1 or max_queue < 1:
            raise ValueError("max_batch and max_queue must be >= 1")
        self.classifier = classifier
        self.max_batch = int(max_batch)
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=int(max_queue))
        self._features: queue.Queue[_Features] = queue.Queue(maxsize=1)  # one batch in hand
        self._done: deque[Done] = deque()
        self._held: Job | None = None  # a job of another rate, first in the next batch
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._in_flight = 0
        self.log = logger or log
        self.counters = {"submitted": 0, "refused": 0, "classified": 0, "invalid": 0, "errors": 0}
        self._threads = [
            threading.Thread(target=self._run_frontend, name="rfclassify-frontend", daemon=True),
            threading.Thread(target=self._run_model, name="rfclassify-inference", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # -- the streaming side ---------------------------------------------------------------------

    def submit(self, job: Job) -> bool:
        """Queue ``job`` if there is room; False (and counted) if the worker is behind."""
        try:
            self._queue.put_nowait(job)
        except queue.Full:
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
            try:
                self._queue.put(job, timeout=wait)
            except queue.Full:
                continue
            self._accepted()
            return True
        return False

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
        return self._queue.qsize() + len(waiting)

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

    def _next_batch(self) -> list[Job]:
        first = self._held
        self._held = None
        if first is None:
            try:
                first = self._queue.get(timeout=0.1)
            except queue.Empty:
                return []
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job.sample_rate != first.sample_rate or job.samples.size != first.samples.size:
                self._held = job  # one rate per batch; it leads the next one
                break
            batch.append(job)
        return batch

    def _run_frontend(self) -> None:
        while not self._stop.is_set():
            batch = self._next_batch()
            if not batch:
                continue
            try:
                windows = [job.samples for job in batch]  # not stacked: 10 MB each at 61.44 MS/s
                images, valid = self.classifier.images(windows, batch[0].sample_rate)
                features = _Features(batch, images, valid)
            except Exception as exc:  # a bad batch must not end the worker
                features = _Features(batch, None, np.zeros(len(batch), bool), _failure(exc))
            while not self._stop.is_set():
                try:
                    self._features.put(features, timeout=0.1)
                    break
                except queue.Full:
                    continue

    def _run_model(self) -> None:
        while not self._stop.is_set():
            try:
                features = self._features.get(timeout=0.1)
            except queue.Empty:
                continue
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
            for i, job in enumerate(batch):
                ok = bool(valid[i])
                if probs is not None:
                    self.counters["classified" if ok else "invalid"] += 1
                row = None if probs is None else probs[i]
                self._done.append(Done(job, row, ok, now - job.submitted, error))
            with self._idle:
                self._in_flight -= len(batch)
                self._idle.notify_all()


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
