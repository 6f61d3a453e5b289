"""A recording replayed as a stream: its SigMF captures as an SDR's tags, its windows as cut live.

SigMF captures (SigMF v1.2 §Captures) play the part of an SDR source's stream tags:
``core:frequency`` is ``rx_freq`` and ``core:datetime`` is ``rx_time``. A new frequency restarts
windowing, as ``StreamClassifier.rx_freq`` does on a retune, so no window straddles one.
``rfclassify classify`` replays :func:`recording_segments` through ``StreamClassifier``; the
evaluation suite takes the same windows from :func:`recording_windows`. No GNU Radio here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import numpy as np

from ..io.records import epoch_from_iso, is_iso_utc
from .windowing import StreamWindower

MIN_CHUNK = 1 << 18  # samples per read at least: a short window must not mean tiny reads


class Segment(NamedTuple):
    """One SigMF capture's samples ``[first, stop)`` (data-file indices) and its tags."""

    first: int
    stop: int
    center_freq: float | None  # None: the capture gives none (the last one holds)
    posix: float | None  # ``core:datetime`` as POSIX seconds; None: absent or not UTC


def chunk_length(window: int, batch: int) -> int:
    """Samples per read: a batch of windows, so one read feeds one inference call."""
    return max(window * batch, MIN_CHUNK)


def recording_segments(
    rec, center_override: float | None = None, warn: Callable[[str], None] | None = None
) -> list[Segment]:
    """The recording's captures as contiguous segments from sample 0 to its end.

    ``center_override`` replaces every capture's ``core:frequency`` (a user who knows better:
    then no capture is a retune). A frequency that is not a finite number, or a datetime that is
    not ISO-8601 UTC, is ignored and ``warn`` told. Captures that hold no sample are dropped.
    """
    warn = warn or (lambda text: None)
    marks = []
    for cap in rec.captures or [{}]:
        first = int(cap.get("core:sample_start", rec.offset)) - rec.offset
        freq = cap.get("core:frequency") if center_override is None else center_override
        if freq is not None and not (isinstance(freq, (int, float)) and math.isfinite(freq)):
            warn(f"capture at {first}: ignoring core:frequency {freq!r}")
            freq = None
        stamp = cap.get("core:datetime")
        posix = epoch_from_iso(stamp) if is_iso_utc(stamp) else None
        if stamp is not None and posix is None:
            warn(f"capture at {first}: core:datetime {stamp!r:.40} is not ISO-8601 UTC; ignored")
        marks.append((min(max(first, 0), rec.num_samples), freq, posix))
    marks[0] = (0, *marks[0][1:])  # the windows start at sample 0
    out = []
    for i, (first, freq, posix) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else rec.num_samples
        if stop > first:
            out.append(Segment(first, stop, freq, posix))
    return out


def recording_windows(
    rec, window: int, segments: Sequence[Segment] | None = None, chunk: int | None = None
) -> Iterator[tuple[int, np.ndarray, Segment]]:
    """``(start, samples, segment)`` of every contiguous ``window``-sample window of ``rec``, in
    order, as ``rfclassify classify`` cuts them: from sample 0, restarting where a segment
    brings a new frequency. A remainder shorter than a window (before a retune, at the end) is
    not a window. ``segments`` defaults to :func:`recording_segments` (silent); ``chunk`` is
    the samples read at a time (default: 8 windows)."""
    segments = recording_segments(rec) if segments is None else segments
    chunk = chunk or chunk_length(window, 8)
    windower, current = StreamWindower(window), None
    for segment in segments:
        freq = segment.center_freq
        if freq is not None and current is not None and freq != current:
            windower.restart(segment.first)  # a retune, as StreamClassifier.rx_freq
        current = current if freq is None else freq
        for pos, samples in rec.chunks(chunk, segment.first, segment.stop):
            for start, w in windower.push(samples, pos):
                yield start, w, segment
