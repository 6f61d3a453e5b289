"""The spectrogram frontend: IQ windows in, model-ready ``(N, C, H, W)`` float32 images out.

The same code makes the training images and feeds the live block (DESIGN.md rule 1).

Speed comes from three choices, each measured on the 2-core build machine (see
``rfclassify bench frontend``):

* frames are cut with one strided view and tapered by one float32 multiply over the interleaved
  I/Q pairs (a broadcast over a 4-D complex view ran 7x slower);
* the batch is processed in tiles sized to stay in L2 cache (a few columns of a long window, or
  several short windows), so taper, FFT, squaring and pooling each touch data that is already hot
  (1.6x faster than whole-batch passes);
* time pooling happens on the squared I/Q pairs before they are summed into power, so the
  full-size array is squared in place and reduced once; the log and the normalisation then run on
  the small pooled image only.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import as_strided
from scipy.signal import get_window

from .config import MEDIAN_SCALE_DB, FrontendConfig
from .geometry import StftGeometry

# Block of frames processed at once: taper + FFT + square + pool stay within a typical L2.
_BLOCK_BYTES = 512 * 1024
# Samples too large for float32 (or their power) become inf, and the window is marked invalid by
# the mask: an expected outcome, not one to warn about (numpy's errstate is per thread, so each
# place that may overflow sets it).
_OVERFLOW_IS_EXPECTED = {"over": "ignore", "invalid": "ignore"}


class Frontend:
    """Computes spectrogram images for one :class:`FrontendConfig`.

    ``workers`` threads share out the tiles of a batch (numpy and pocketfft release the GIL), so
    even a single long window uses every worker. Scratch buffers are per thread; one instance may
    be shared between threads.
    """

    def __init__(self, config: FrontendConfig, workers: int = 1):
        self.config = config
        try:
            self.workers = max(1, int(workers))
        except (OverflowError, ValueError, TypeError):
            raise ValueError(f"frontend workers must be a whole number, got {workers!r}") from None
        self._geometries: dict[float, StftGeometry] = {}
        self._unseen: dict[StftGeometry, np.ndarray] = {}
        taper = get_window(config.window, config.nfft, fftbins=True).astype(np.float32)
        # One coefficient per interleaved float (I, Q, I, Q, ...).
        self._taper_iq = np.repeat(taper, 2)
        self._taper_gain = float(taper.sum())
        self._local = threading.local()
        self._pool: ThreadPoolExecutor | None = None

    # -- public API ---------------------------------------------------------------------------

    def geometry(self, sample_rate: float) -> StftGeometry:
        # Checked before the cache is asked: a list is unhashable (TypeError), and a complex or
        # bool "rate" equal to a planned one would get that plan.
        self.config.check_rate(sample_rate)
        geo = self._geometries.get(sample_rate)
        if geo is None:
            geo = StftGeometry.plan(self.config, sample_rate)
            self._geometries[sample_rate] = geo
        return geo

    def __call__(self, windows: np.ndarray, sample_rate: float) -> np.ndarray:
        """Images for a batch of windows; raises ``ValueError`` if any window is not finite.

        ``windows`` is ``(N, L)`` or ``(L,)`` complex, ``L = window_length(sample_rate)``, or a
        list of such (long windows from a stream need not be stacked into one array first).
        """
        images, valid = self.compute_with_mask(windows, sample_rate)
        if not valid.all():
            bad = np.flatnonzero(~valid)
            shown = ", ".join(str(i) for i in bad[:8]) + (", ..." if bad.size > 8 else "")
            raise ValueError(
                f"{bad.size} of {valid.size} windows contain NaN/Inf samples "
                f"(or values that overflow float32 power): windows {shown}"
            )
        return images

    def compute_with_mask(
        self, windows: np.ndarray, sample_rate: float, started: list | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Images plus a per-window validity mask; invalid windows come back as all zeros.

        This is the form a streaming consumer wants: one bad window is reported and skipped,
        the rest of the batch is still classified. ``started``: for a list of windows, a
        :class:`SpectrogramInProgress` (or None) per window, begun while it arrived.
        """
        db, valid = self.power_db(windows, sample_rate, started)
        if self.config.extra_plane == "peak":
            peak_db, _ = self._peak_frontend().power_db(windows, sample_rate)
            images = normalise(np.stack([db, peak_db], axis=1), self.config)
        else:
            images = normalise(db[:, None], self.config)
        images[~valid] = 0.0
        if self.config.channels == 3:
            images = np.repeat(images, 3, axis=1)
        return images, valid

    def _peak_frontend(self) -> Frontend:
        peak = getattr(self, "_peak", None)
        if peak is None:
            config = self.config.replace(time_pooling="max", extra_plane="none")
            peak = self._peak = Frontend(config, self.workers)
        return peak

    def power_db(
        self, windows: np.ndarray, sample_rate: float, started: list | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(N, H, W)`` power in dB relative to a full-scale tone, before normalisation.

        Also returns the validity mask; invalid windows hold ``db_floor``.
        """
        geo = self.geometry(sample_rate)
        if isinstance(windows, list | tuple):  # separate windows: no copy into one array
            parts = [_as_window_batch(w, geo.window_length) for w in windows]
        else:
            parts = [_as_window_batch(windows, geo.window_length)]
        if started is None:
            started = [None] * len(parts)
        if len(started) != len(parts):
            raise ValueError(f"{len(started)} spectrograms in progress for {len(parts)} windows")
        pooled = np.empty((sum(p.shape[0] for p in parts), geo.width, geo.nfft), np.float32)
        row = 0
        for part, begun in zip(parts, started, strict=True):
            rows = pooled[row : row + part.shape[0]]
            if begun is not None and begun.geometry == geo and part.shape[0] == 1:
                begun.finish(part[0], rows[0])
            else:
                self._run_columns(part, geo, rows, 0, geo.width)
            row += part.shape[0]
        with np.errstate(**_OVERFLOW_IS_EXPECTED):
            rows = _bins_to_rows(pooled, geo)  # (N, H, W) linear power
        valid = np.isfinite(rows).all(axis=(1, 2))
        unseen = self._unseen_samples(geo)
        if unseen.size and parts:  # a NaN where no frame looks still marks a broken source
            valid &= np.concatenate([np.isfinite(p[:, unseen]).all(axis=1) for p in parts])
        rows[~valid] = 0.0
        floor = np.float32(10.0 ** (self.config.db_floor / 10.0))
        np.maximum(rows, floor, out=rows)
        np.log10(rows, out=rows)
        rows *= np.float32(10.0)
        np.maximum(rows, np.float32(self.config.db_floor), out=rows)  # exact floor after rounding
        return rows, valid

    def _unseen_samples(self, geo: StftGeometry) -> np.ndarray:
        """Indices of the samples no STFT frame reads: the few left over at both ends (see
        ``StftGeometry``), or the gaps between frames that do not overlap."""
        unseen = self._unseen.get(geo)
        if unseen is None:
            starts = geo.offset + geo.hop * np.arange(geo.frames)
            edges = np.zeros(geo.window_length + 1, np.int64)
            np.add.at(edges, np.clip(starts, 0, geo.window_length), 1)
            np.add.at(edges, np.clip(starts + geo.nfft, 0, geo.window_length), -1)
            unseen = np.flatnonzero(np.cumsum(edges[:-1]) == 0)
            self._unseen[geo] = unseen
        return unseen

    # -- the heavy part -----------------------------------------------------------------------

    def begin(self, sample_rate: float) -> SpectrogramInProgress | None:
        """A spectrogram to compute column by column while its window arrives (None where the
        frames overhang short windows: those are cheap anyway)."""
        geo = self.geometry(sample_rate)
        return None if geo.pad_before else SpectrogramInProgress(self, geo)

    def _run_columns(
        self,
        windows: np.ndarray,
        geo: StftGeometry,
        out: np.ndarray,
        c0: int,
        c1: int,
    ) -> None:
        """Time-pooled power per FFT bin, ``out[window, column, bin]`` for columns ``c0:c1``.

        The batch is one strided ``(N, frames, 2 * nfft)`` view; the only Python loop runs over
        cache-sized tiles of it (a few columns of one window, or several whole short windows).
        ``windows`` may be shorter than a window when ``c1`` leaves the rest out.
        """
        if c1 <= c0:
            return
        frames_iq = _frame_view(windows, geo, c1 * geo.frames_per_column)
        n, k, nfft = windows.shape[0], geo.frames_per_column, geo.nfft
        tile_frames = max(1, _BLOCK_BYTES // (nfft * 8))
        cols = min(c1 - c0, max(1, tile_frames // k))
        wins = max(1, tile_frames // (k * cols)) if cols == geo.width else 1
        tiles = [
            (w0, min(w0 + wins, n), a, min(a + cols, c1))
            for w0 in range(0, n, wins)
            for a in range(c0, c1, cols)
        ]
        if self.workers == 1 or len(tiles) == 1:
            for tile in tiles:
                self._pool_tile(frames_iq, geo, out, *tile)
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="rfclassify-stft")
            list(self._pool.map(lambda t: self._pool_tile(frames_iq, geo, out, *t), tiles))
        mean = self.config.time_pooling == "mean"
        out[:, c0:c1] *= np.float32(1.0 / (self._taper_gain**2 * (k if mean else 1)))

    def _scratch(self, floats: int) -> np.ndarray:
        buf = getattr(self._local, "buf", None)
        if buf is None or buf.size < floats:
            buf = np.empty(floats, dtype=np.float32)
            self._local.buf = buf
        return buf[:floats]

    def _pool_tile(
        self,
        frames_iq: np.ndarray,
        geo: StftGeometry,
        out: np.ndarray,
        w0: int,
        w1: int,
        c0: int,
        c1: int,
    ) -> None:
        """Taper, FFT, square and pool the frames of windows ``w0:w1``, columns ``c0:c1``."""
        k, nfft = geo.frames_per_column, geo.nfft
        src = frames_iq[w0:w1, c0 * k : c1 * k]
        block = self._scratch(src.size).reshape(src.shape)
        with np.errstate(**_OVERFLOW_IS_EXPECTED):
            np.multiply(src, self._taper_iq, out=block)
            spec = scipy.fft.fft(block.view(np.complex64), axis=-1, overwrite_x=True, workers=1)
            sq = spec.view(np.float32)
            np.square(sq, out=sq)
            nw, cols = w1 - w0, c1 - c0
            if self.config.time_pooling == "mean":
                # Pool the squared I and Q first, then add them: one pass over the big array.
                acc = np.add.reduce(sq.reshape(nw, cols, k, 2 * nfft), axis=2)
                np.add(acc[..., 0::2], acc[..., 1::2], out=out[w0:w1, c0:c1])
            else:
                power = sq[..., 0::2] + sq[..., 1::2]
                np.max(power.reshape(nw, cols, k, nfft), axis=2, out=out[w0:w1, c0:c1])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


class SpectrogramInProgress:
    """One window's pooled spectrogram, computed column by column while its samples arrive.

    A long window's frontend then costs, after its last sample, only the last columns: the rest
    was done while the stream was still filling it (at 61.44 MS/s a 20 ms window's STFT is
    several ms of work that would otherwise all sit between the window's end and its result).
    Same numbers as the batch path: the same tiles of the same frames.
    """

    def __init__(self, frontend: Frontend, geometry: StftGeometry):
        self.frontend = frontend
        self.geometry = geometry
        self.pooled = np.empty((1, geometry.width, geometry.nfft), np.float32)
        self.columns = 0  # computed so far

    def advance(self, samples: np.ndarray) -> int:
        """Compute the columns that the window's first ``len(samples)`` samples complete;
        returns how many columns are done."""
        geo = self.geometry
        usable = samples.size - geo.offset - geo.nfft
        if usable < 0:
            frames = 0
        elif geo.hop == 0:  # a window of exactly nfft samples: every frame is the same one
            frames = geo.frames
        else:
            frames = min(geo.frames, usable // geo.hop + 1)
        columns = frames // geo.frames_per_column
        if columns > self.columns:
            batch = _as_window_batch(samples, samples.size)
            self.frontend._run_columns(batch, geo, self.pooled, self.columns, columns)
            self.columns = columns
        return self.columns

    def finish(self, window: np.ndarray, out: np.ndarray) -> None:
        """The remaining columns from the whole ``window``, then the result into ``out``
        ``(W, nfft)``."""
        batch = _as_window_batch(window, self.geometry.window_length)
        self.frontend._run_columns(
            batch, self.geometry, self.pooled, self.columns, self.geometry.width
        )
        self.columns = self.geometry.width
        out[:] = self.pooled[0]


def normalise(db: np.ndarray, config: FrontendConfig) -> np.ndarray:
    """Per-window normalisation of ``(N, P, H, W)`` dB planes, as the config says (new array).

    The statistics come from the first plane and apply to every plane, so an extra plane keeps
    its level relative to the first (a peak above the average stays above it).
    """
    out = db.astype(np.float32, copy=True)
    if config.normalisation == "none":
        return out
    if config.normalisation == "fixed":
        lo, hi = config.fixed_range_db
        out -= np.float32(lo)
        out *= np.float32(1.0 / (hi - lo))
        return np.clip(out, 0.0, 1.0, out=out)
    first, axes = out[:, :1], (2, 3)
    if config.normalisation == "standardize":
        mean = first.mean(axis=axes, keepdims=True, dtype=np.float64).astype(np.float32)
        std = first.std(axis=axes, keepdims=True, dtype=np.float64).astype(np.float32)
        out -= mean
        # A constant image (all-zero input, a dead receiver) stays at zero instead of 0/0.
        out /= np.where(std > 1e-6, std, np.float32(1.0))
        return out
    if config.normalisation == "median":
        out -= np.median(first.reshape(len(out), 1, -1), axis=2)[..., None, None]
        out *= np.float32(1.0 / MEDIAN_SCALE_DB)
        return out
    lo = first.min(axis=axes, keepdims=True)
    span = first.max(axis=axes, keepdims=True) - lo
    out -= lo
    out /= np.where(span > 1e-6, span, np.float32(1.0))
    return out


def sliding_windows(samples: np.ndarray, length: int, hop: int) -> np.ndarray:
    """Read-only ``(N, length)`` view of a 1-D stream, one window every ``hop`` samples.

    No copy is made; a trailing partial window is left out (a streaming caller keeps it for the
    next buffer).
    """
    if samples.ndim != 1:
        raise ValueError(f"expected a 1-D stream, got shape {samples.shape}")
    if length < 1 or hop < 1:
        raise ValueError(f"window length ({length}) and hop ({hop}) must be >= 1")
    count = 0 if samples.size < length else 1 + (samples.size - length) // hop
    step = samples.strides[0]
    return as_strided(samples, shape=(count, length), strides=(hop * step, step), writeable=False)


def _as_window_batch(windows: np.ndarray, length: int) -> np.ndarray:
    windows = np.asarray(windows)
    if not np.iscomplexobj(windows):
        raise TypeError(
            f"IQ windows must be complex (complex64), got {windows.dtype}; "
            "convert interleaved integers with rfclassify.io first"
        )
    if windows.ndim == 1:
        windows = windows[None, :]
    if windows.ndim != 2:
        raise ValueError(f"expected (N, L) or (L,) windows, got shape {windows.shape}")
    if windows.shape[1] != length:
        raise ValueError(
            f"windows have {windows.shape[1]} samples; this frontend at this rate needs {length}"
        )
    if windows.dtype != np.complex64:
        with np.errstate(**_OVERFLOW_IS_EXPECTED):
            windows = windows.astype(np.complex64)
    if windows.strides[1] != windows.itemsize:
        windows = np.ascontiguousarray(windows)
    return windows


def _frame_view(windows: np.ndarray, geo: StftGeometry, frames: int | None = None) -> np.ndarray:
    """Read-only ``(N, frames, 2 * nfft)`` float32 view: every STFT frame (or the first
    ``frames``, which ``windows`` must hold), I/Q interleaved."""
    frames = geo.frames if frames is None else frames
    if not geo.pad_before and windows.shape[1] < geo.offset + (frames - 1) * geo.hop + geo.nfft:
        raise ValueError(f"{windows.shape[1]} samples do not hold {frames} frames")
    iq = windows.view(np.float32)  # (N, 2L); rows may overlap (a sliding_windows view)
    if geo.pad_before:
        # Short windows, overlapping frames: zero-pad so the frames cover every sample.
        padded = np.zeros((windows.shape[0], 2 * geo.span), dtype=np.float32)
        start = 2 * geo.pad_before
        padded[:, start : start + 2 * geo.window_length] = iq
        iq, first = padded, 0
    else:
        first = 2 * geo.offset
    return as_strided(
        iq[:, first:],
        shape=(windows.shape[0], frames, 2 * geo.nfft),
        strides=(iq.strides[0], geo.hop * 8, 4),
        writeable=False,
    )


def _bins_to_rows(pooled: np.ndarray, geo: StftGeometry) -> np.ndarray:
    """``(N, W, nfft)`` power per FFT bin -> ``(N, H, W)`` rows, DC at row ``H // 2``."""
    shifted = np.fft.fftshift(pooled, axes=-1)
    if geo.bins_per_row > 1:
        n = shifted.shape[0]
        shifted = shifted.reshape(n, geo.width, geo.height, geo.bins_per_row).sum(axis=-1)
    elif geo.rows_per_bin > 1:
        shifted = np.repeat(shifted, geo.rows_per_bin, axis=-1)
    return np.ascontiguousarray(shifted.transpose(0, 2, 1))
