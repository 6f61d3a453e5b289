"""The windower: the same windows at the same offsets however the stream is chunked."""

from __future__ import annotations

import itertools
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfclassify.inference import StreamWindower


def _stream(n: int) -> np.ndarray:
    return (np.arange(n) + 1j * np.arange(n)).astype(np.complex64)


def _expected(stream: np.ndarray, start: int, length: int, hop: int):
    return [(s, stream[s : s + length]) for s in range(start, stream.size - length + 1, hop)]


@settings(max_examples=60, deadline=None)
@given(
    length=st.integers(1, 40),
    hop=st.integers(1, 60),
    cuts=st.lists(st.integers(0, 300), max_size=12),
)
def test_any_chunking_gives_the_windows_of_the_whole_stream(length, hop, cuts):
    stream = _stream(300)
    edges = [0, *sorted(cuts), 300]
    windower = StreamWindower(length, hop)
    got = []
    for a, b in itertools.pairwise(edges):
        got += windower.push(stream[a:b], a)
    want = _expected(stream, 0, length, hop)
    assert [s for s, _ in got] == [s for s, _ in want]
    for (_, w), (_, e) in zip(got, want, strict=True):
        np.testing.assert_array_equal(w, e)
    assert windower.buffered < length  # never more than one partial window held


def test_windows_survive_the_callers_buffer_being_reused():
    buffer = _stream(100)
    windower = StreamWindower(40)
    windows = windower.push(buffer, 0)
    buffer[:] = 0  # GNU Radio reuses its buffers after work() returns
    assert windows[0][1][5] == 5 + 5j and not windows[0][1].flags.writeable


def test_restart_begins_at_the_tag_with_no_window_straddling_it():
    stream = _stream(200)
    windower = StreamWindower(50)
    assert [s for s, _ in windower.push(stream[:70], 0)] == [0]
    windower.restart(70, length=30)  # e.g. an rx_rate tag at 70
    starts = [s for s, _ in windower.push(stream[70:200], 70)]
    assert starts == [70, 100, 130, 160]
    with pytest.raises(ValueError, match="does not follow"):
        windower.push(stream[:10], 500)  # a gap is a caller's bug


def test_the_arriving_window_is_shown_as_it_fills_and_stays_valid():
    stream = _stream(100)
    windower = StreamWindower(40, 30)
    assert windower.arriving() is None
    windower.push(stream[:25], 0)
    start, part = windower.arriving()
    assert start == 0 and part.size == 25 and not part.flags.writeable
    windows = windower.push(stream[25:75], 25)  # windows at 0 and 30; the one at 60 fills
    assert [s for s, _ in windows] == [0, 30]
    np.testing.assert_array_equal(part, stream[:25])  # the earlier view is untouched
    start, part = windower.arriving()
    assert start == 60
    np.testing.assert_array_equal(part, stream[60:75])


def test_buffers_are_reused_only_once_no_window_holds_them():
    stream = _stream(20_000)
    windower = StreamWindower(1000)
    kept, dropped, reused = [], [], 0
    for i, start in enumerate(range(0, stream.size, 700)):
        for s, window in windower.push(stream[start : start + 700], start):
            reused += any(ref() is window.base for ref in dropped)
            if i % 3 == 0:
                kept.append((s, window))  # a queued window: its buffer must not be reused
            else:
                dropped.append(weakref.ref(window.base))  # no reference: free to reuse
    for s, window in kept:
        np.testing.assert_array_equal(window, stream[s : s + 1000])
    assert reused > 5


@pytest.mark.parametrize("hop", [None, 6000, 30_000])
def test_every_buffer_has_one_size_whatever_the_chunks(hop):
    """Memory must not depend on how the stream arrived: GNU Radio hands a block one packet or,
    after a stall, its whole input buffer; buffers sized to those chunks grew a soak in steps."""
    length = 20_000
    stream = _stream(400_000)
    windower = StreamWindower(length, hop)
    sizes, got, at = set(), [], 0
    for size in itertools.cycle([1, 333, 4096, 150_000, 7, 20_000, 99_999]):
        if at >= stream.size:
            break
        for s, window in windower.push(stream[at : at + size], at):
            sizes.add(window.base.size)
            got.append((s, window.copy()))
        at += size
    assert sizes == {windower.capacity}
    assert windower.capacity < length + length // 2  # not a window and a whole big chunk
    expected = _expected(stream, 0, length, hop or length)
    assert [s for s, _ in got] == [s for s, _ in expected]
    for (_, a), (_, b) in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_new_window_length_gets_buffers_of_its_own_size():
    stream = _stream(50_000)
    windower = StreamWindower(10_000)
    windower.push(stream[:25_000], 0)
    windower.restart(25_000, length=4000)
    windows = windower.push(stream[25_000:], 25_000)
    assert {w.base.size for _, w in windows} == {windower.capacity}
    assert [s for s, _ in windows] == list(range(25_000, 50_000 - 4000 + 1, 4000))
