"""Where every STFT frame sits inside a window, and which image pixel covers which Hz and seconds.

The frontend never loops over frames in Python, so it needs a layout that numpy can express with
one strided view: ``frames = width * frames_per_column`` frames of ``nfft`` samples at a constant
integer ``hop``, centred in the window. Each column then pools exactly ``frames_per_column``
consecutive frames (a reshape, no ragged bins).

An integer hop rarely fits the window exactly. With several frames per column (long windows, the
common case) the hop is rounded down and the few samples left over, fewer than ``frames``
(under 2/nfft of the window, 0.25 % by default), are split evenly between both ends. With one
frame per column (short windows, overlapping frames) rounding down could miss several percent, so
the hop is rounded up instead and the window is zero-padded evenly at both ends (``offset < 0``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import FrontendConfig


@dataclass(frozen=True)
class StftGeometry:
    sample_rate: float
    window_length: int
    nfft: int
    hop: int
    frames_per_column: int
    offset: int
    height: int
    width: int

    @classmethod
    def plan(cls, config: FrontendConfig, sample_rate: float) -> StftGeometry:
        length = config.window_length(sample_rate)
        nfft, width = config.nfft, config.width
        hop_target = max(1, math.floor(nfft * (1.0 - config.overlap)))
        k = config.frames_per_column or max(
            1, math.ceil(((length - nfft) / hop_target + 1) / width)
        )
        frames = width * k
        if k == 1:
            hop = math.ceil((length - nfft) / (frames - 1))
        else:
            hop = (length - nfft) // (frames - 1)
            if hop == 0 and config.frames_per_column:  # 10**9 of the same frame: MemoryError
                raise ValueError(
                    f"frames_per_column={k}: {frames} distinct frames of nfft={nfft} do not fit "
                    f"in a window of {length} samples"
                )
        # Negative when padded: the first frame starts before the window.
        offset = ((length - nfft) - (frames - 1) * hop) // 2
        return cls(
            sample_rate=float(sample_rate),
            window_length=length,
            nfft=nfft,
            hop=hop,
            frames_per_column=k,
            offset=offset,
            height=config.height,
            width=width,
        )

    @property
    def frames(self) -> int:
        return self.width * self.frames_per_column

    @property
    def bins_per_row(self) -> int:
        """FFT bins summed into one image row (1 when rows repeat bins instead)."""
        return max(1, self.nfft // self.height)

    @property
    def rows_per_bin(self) -> int:
        """Image rows showing the same FFT bin (when the FFT is smaller than the image)."""
        return max(1, self.height // self.nfft)

    @property
    def overlap(self) -> float:
        """Actual fraction by which consecutive frames overlap (0 when they leave gaps)."""
        return max(0.0, 1.0 - self.hop / self.nfft)

    @property
    def span(self) -> int:
        """Samples from the first frame's start to the last frame's end."""
        return (self.frames - 1) * self.hop + self.nfft

    @property
    def pad_before(self) -> int:
        """Zeros in front of the window (only when the frames overhang it)."""
        return max(0, -self.offset)

    @property
    def coverage(self) -> float:
        """Fraction of the window's samples that enter at least one frame."""
        covered = self.span if self.hop <= self.nfft else self.frames * self.nfft
        covered -= max(0, self.span - self.window_length)  # the zero padding is not signal
        return min(covered, self.window_length) / self.window_length

    # -- pixel <-> physical units ---------------------------------------------------------------

    def row_frequencies(self) -> np.ndarray:
        """Baseband centre frequency (Hz) of each image row, row 0 first (most negative)."""
        bin_hz = self.sample_rate / self.nfft
        if self.bins_per_row > 1:
            m = self.bins_per_row
            first_bins = np.arange(self.height) * m - self.nfft // 2
            return (first_bins + (m - 1) / 2) * bin_hz
        bins = np.arange(self.height) // self.rows_per_bin - self.nfft // 2
        return bins * bin_hz

    def row_of_frequency(self, freq_hz: float) -> int:
        """Image row that shows baseband frequency ``freq_hz``."""
        b = round(freq_hz * self.nfft / self.sample_rate) + self.nfft // 2
        b = min(max(b, 0), self.nfft - 1)
        if self.bins_per_row > 1:
            return b // self.bins_per_row
        return b * self.rows_per_bin

    def column_span(self, column: int) -> tuple[int, int]:
        """First sample and one past the last sample (within the window) that a column pools."""
        k = self.frames_per_column
        first = self.offset + column * k * self.hop
        last = self.offset + ((column + 1) * k - 1) * self.hop + self.nfft
        return max(first, 0), min(last, self.window_length)

    def column_times(self) -> np.ndarray:
        """Centre time (s, from the window's first sample) of each image column."""
        spans = np.array([self.column_span(c) for c in range(self.width)], dtype=np.float64)
        return spans.mean(axis=1) / self.sample_rate

    def column_of_sample(self, sample: int) -> int:
        """Image column whose frames are centred nearest to ``sample`` (index in the window)."""
        if self.hop == 0:
            return 0
        frame = round((sample - self.offset - self.nfft / 2) / self.hop)
        frame = min(max(frame, 0), self.frames - 1)
        return frame // self.frames_per_column
