"""The heap trimmer: freed heap memory really goes back to the OS, on time, from one thread."""

from __future__ import annotations

import os
import threading
import time

import pytest

from rfclassify.inference.heap import TRIMMER, HeapTrimmer


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _trim_threads() -> int:
    return sum(t.name == "rfclassify-heap-trim" for t in threading.enumerate())


def _wait(condition, seconds: float = 3.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.mark.skipif(not TRIMMER.available, reason="needs glibc's malloc_trim")
def test_a_trim_gives_freed_heap_pages_back():
    """What a soak saw, in small: blocks freed in the middle of the heap (a live one after each
    keeps the top from shrinking) stay resident until the trim."""
    blocks = [bytearray(b"x" * 4000) for _ in range(40_000)]  # 160 MB of written pages
    kept = blocks[::64]  # pins the heap: free() alone cannot give the rest back
    del blocks
    before = _rss_bytes()
    HeapTrimmer().trim_now()
    released = before - _rss_bytes()
    assert released > 100 * 2**20, f"only {released / 2**20:.0f} MB of 157 MB freed came back"
    assert len(kept) == 625


@pytest.mark.skipif(not TRIMMER.available, reason="needs glibc's malloc_trim")
def test_it_trims_every_period_while_held_and_stops_when_released():
    trimmer = HeapTrimmer()
    assert trimmer.hold(0.05)
    assert _wait(lambda: trimmer.trims >= 3)
    trimmer.release(0.05)
    assert _wait(lambda: _trim_threads() == 0)
    after = trimmer.trims
    time.sleep(0.2)
    assert trimmer.trims == after
    assert trimmer.seconds > 0


def test_one_thread_for_all_holders_at_the_shortest_period():
    calls = []
    trimmer = HeapTrimmer(trim=lambda pad: calls.append(pad) or 1)
    assert trimmer.hold(60.0) and trimmer.hold(0.05)
    assert _trim_threads() == 1
    assert trimmer.period == 0.05
    assert _wait(lambda: len(calls) >= 2)  # the shorter period took effect at once
    trimmer.release(0.05)
    assert trimmer.period == 60.0 and _trim_threads() == 1  # still held by the other
    count = len(calls)
    time.sleep(0.2)
    assert len(calls) == count
    trimmer.release(60.0)
    assert _wait(lambda: _trim_threads() == 0)
    assert calls and set(calls) == {0}  # malloc_trim(0): keep no pad at the top


def test_held_again_right_after_release_keeps_trimming():
    trimmer = HeapTrimmer(trim=lambda pad: 1)
    for _ in range(20):  # a flowgraph stopped and started again
        assert trimmer.hold(0.02)
        trimmer.release(0.02)
    assert trimmer.hold(0.02)
    assert _wait(lambda: trimmer.trims >= 2)
    trimmer.release(0.02)
    assert _wait(lambda: _trim_threads() == 0)


def test_nothing_is_held_for_a_period_of_zero_or_without_glibc(caplog):
    assert not HeapTrimmer(trim=lambda pad: 1).hold(0)
    import logging

    log = logging.getLogger("test-heap")
    bare = HeapTrimmer(trim=None)
    bare._trim = None  # a C library without malloc_trim
    with caplog.at_level(logging.INFO, "test-heap"):
        assert not bare.hold(30.0, log)
    assert "no malloc_trim" in caplog.text
    assert _trim_threads() == 0
