"""Handing freed heap memory back to the OS, so a station's RSS says what it actually uses.

glibc's malloc keeps what a program frees inside its heaps, for reuse: it returns memory to the
OS only from a heap's top, above a threshold that rises as large blocks come and go. A
classifier moves megabytes per window through several threads (the GNU Radio scheduler, the
frontend, ONNX Runtime), so the pages of freed blocks in the middle of a heap stay resident and
are touched one after another: in a soak, RSS crept up and grew in steps of 5-12 MB while the
bytes in use stayed flat to 0.5 MB. ``malloc_trim(0)`` gives every free page of every heap back
(``MADV_DONTNEED``) in 0.5-1.3 ms; run every 10 s it keeps RSS to what is used.

The C library is the process's: one thread trims for every block that holds the trimmer, at the
shortest period any of them asked for. Without glibc (musl, macOS) there is nothing to call and
the trimmer says so once.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable

DEFAULT_PERIOD_S = 10.0


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library this process already runs on
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


class HeapTrimmer:
    """A thread that calls ``malloc_trim(0)`` every ``period`` seconds while anyone holds it."""

    def __init__(self, trim: Callable[[int], int] | None = None):
        self._trim = trim if trim is not None else _find_malloc_trim()
        self._lock = threading.Lock()
        self._periods: list[float] = []  # one entry per holder
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.trims = 0
        self.seconds = 0.0  # spent trimming, all calls together

    @property
    def available(self) -> bool:
        return self._trim is not None

    @property
    def period(self) -> float | None:
        with self._lock:
            return min(self._periods) if self._periods else None

    def hold(self, period_s: float = DEFAULT_PERIOD_S, log: logging.Logger | None = None) -> bool:
        """Trim at least every ``period_s`` seconds until :meth:`release`. False (nothing held)
        for a period of 0 or without glibc; the caller must then not release."""
        if not period_s > 0:
            return False
        if not self.available:
            if log is not None:
                log.info("this C library has no malloc_trim: freed heap memory stays resident")
            return False
        with self._lock:
            self._periods.append(float(period_s))
            if self._thread is None:
                self._wake = threading.Event()  # the new thread's own: an old one keeps its
                self._thread = threading.Thread(
                    target=self._run,
                    args=(self._wake,),
                    name="rfclassify-heap-trim",
                    daemon=True,
                )
                self._thread.start()
            else:
                self._wake.set()  # a shorter period takes effect now, not after the old one
        return True

    def release(self, period_s: float = DEFAULT_PERIOD_S) -> None:
        with self._lock:
            if float(period_s) in self._periods:
                self._periods.remove(float(period_s))
            thread = self._thread if not self._periods else None
            if thread is not None:
                self._thread = None
            self._wake.set()
        if thread is not None:
            thread.join(timeout=5.0)

    def trim_now(self) -> None:
        began = time.perf_counter()
        self._trim(0)
        self.seconds += time.perf_counter() - began
        self.trims += 1

    def _run(self, wake: threading.Event) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                period = min(self._periods) if self._thread is me and self._periods else None
            if period is None:
                return
            if wake.wait(period):
                wake.clear()
                continue  # held or released meanwhile: look at the period again
            self.trim_now()


TRIMMER = HeapTrimmer()  # the process's one
