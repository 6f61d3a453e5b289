"""Cutting a stream, delivered in chunks of any size, into windows at exact absolute offsets.

The stream position is the absolute sample index (GNU Radio's ``nitems_read``), so a window's
``start`` is the offset a stream tag or a SigMF annotation needs. Windows start every ``hop``
samples from the last restart; hop = length gives contiguous windows, hop < length overlapping
ones, hop > length a window now and then. ``restart(offset)`` begins again at a sample (a retune
or a rate change: no window may straddle it).
"""

from __future__ import annotations

import sys

import numpy as np

_RETIRED_KEPT = 4  # buffers remembered for reuse (their windows may still be queued)
_PIECE_DIVISOR = 16  # a chunk is taken in pieces of at most 1/16 window
_MIN_PIECE = 4096


class StreamWindower:
    """Feed chunks with ``push``; get ``(start, window)`` pairs, windows as read-only views."""

    def __init__(self, length: int, hop: int | None = None, start: int = 0):
        if length < 1 or (hop is not None and hop < 1):
            raise ValueError(f"window length {length} and hop {hop} must be >= 1")
        self.length = int(length)
        self.contiguous = hop is None
        self.hop = int(hop or length)
        self._retired: list[np.ndarray] = []  # handed to windows; reused once they are gone
        self.restart(start)

    @property
    def capacity(self) -> int:
        """Samples in every buffer: a window's worth less one (the most left over after the
        windows are cut) plus one piece. One size, so any buffer no window holds any more can
        take the next: a soak showed that buffers sized by each chunk (GNU Radio hands a block
        anything from one packet to its whole input buffer after a stall) made memory grow in
        steps, as ever larger ones were allocated and kept. The piece is small (1/16 window,
        about an SDR packet's worth at 30.72 MS/s), so the pages a buffer has never been
        written to, which become resident the first time a large chunk fills them, are few."""
        return self.length + self.piece - 1

    @property
    def piece(self) -> int:
        return max(_MIN_PIECE, self.length // _PIECE_DIVISOR)

    def restart(self, offset: int, length: int | None = None, hop: int | None = None) -> None:
        """Forget what is buffered; the next window starts at ``offset`` (new ``length`` and
        ``hop``; contiguous windows stay contiguous), and the next chunk pushed begins there."""
        if length is not None:
            self.length = int(length)
        if hop is not None:
            self.hop, self.contiguous = int(hop), False
        elif self.contiguous:
            self.hop = self.length
        if length is not None:  # a new window length: buffers of the old size are no use
            self._retired.clear()
        self._buffer = np.empty(0, np.complex64)  # samples from _buffer_start, _fill of them
        self._fill = 0
        self._buffer_start = int(offset)
        self._end = int(offset)  # the absolute index the next chunk must start at
        self.next_start = int(offset)

    @property
    def buffered(self) -> int:
        return self._fill

    def push(self, chunk: np.ndarray, offset: int) -> list[tuple[int, np.ndarray]]:
        """Add ``chunk`` (its first sample has absolute index ``offset``); return full windows.

        Chunks must follow each other without a gap or an overlap (refused: a caller's bug).
        The windows are read-only views of the windower's own copy of the samples, so they stay
        valid after the caller's buffer is reused. Every sample is copied once: into a buffer
        of :attr:`capacity` samples, which is handed over to the windows cut from it (a fresh
        one takes the remainder), so a long window fed in small chunks costs no more than a
        short one. A chunk longer than :attr:`piece` is taken a piece at a time.
        """
        if offset != self._end:
            raise ValueError(f"chunk at {offset} does not follow the stream at {self._end}")
        piece = self.piece
        if chunk.size <= piece:
            return self._push_piece(chunk, offset)
        windows = []
        for at in range(0, chunk.size, piece):
            windows.extend(self._push_piece(chunk[at : at + piece], offset + at))
        return windows

    def _push_piece(self, chunk: np.ndarray, offset: int) -> list[tuple[int, np.ndarray]]:
        self._end = offset + chunk.size
        if self._fill == 0:  # skip what falls before the next window (hop > length)
            skip = min(max(0, self.next_start - offset), chunk.size)
            self._buffer_start = offset + skip
            chunk = chunk[skip:]
        need = self._fill + chunk.size
        if need > self._buffer.size:  # only the first piece after a restart: nothing held yet
            grown = self._fresh()
            grown[: self._fill] = self._buffer[: self._fill]
            self._buffer = grown
        self._buffer[self._fill : need] = chunk
        self._fill = need
        base, start = self._buffer_start, self.next_start
        windows = []
        while start + self.length <= base + self._fill:
            window = self._buffer[start - base : start - base + self.length]
            window.flags.writeable = False
            windows.append((start, window))
            start += self.hop
        self.next_start = start
        if windows:  # the buffer now belongs to the windows; the rest moves to a new one
            keep_from = min(start - base, self._fill)
            rest = self._buffer[keep_from : self._fill]
            self._retired.append(self._buffer)
            self._buffer = self._fresh()
            self._buffer[: rest.size] = rest
            self._fill = rest.size
            self._buffer_start = base + keep_from
        return windows

    def arriving(self) -> tuple[int, np.ndarray] | None:
        """``(start, samples so far)`` of the next window while it fills (a read-only view
        that stays valid), or None before its first sample."""
        begin = self.next_start - self._buffer_start
        if self._fill == 0 or begin < 0 or begin >= self._fill:
            return None
        view = self._buffer[begin : self._fill]
        view.flags.writeable = False
        return self.next_start, view

    def _fresh(self) -> np.ndarray:
        """A buffer of :attr:`capacity` samples: a retired one that no window uses any more
        (10 MB at 61.44 MS/s: a new one each window costs thousands of page faults), or new."""
        capacity = self.capacity
        for i in range(len(self._retired)):
            # the list and getrefcount's argument are its only references: no view is alive
            if self._retired[i].size == capacity and sys.getrefcount(self._retired[i]) <= 2:
                return self._retired.pop(i)
        del self._retired[: max(0, len(self._retired) - _RETIRED_KEPT)]
        return np.empty(capacity, np.complex64)
