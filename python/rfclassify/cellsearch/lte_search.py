"""LTE cell search: IQ at any rate -> the cells whose PSS and SSS are found, each with its MIB
when its PBCH decodes with a passing CRC.

1. A window (up to ``max_duration_s``) is taken to the frequency domain once. Each frequency
   hypothesis cuts the 1.92 MS/s band around it (an ideal filter and resampler). With the
   capture's centre frequency known, the hypotheses are the 100 kHz raster points whose central
   six resource blocks fit in the capture, each widened by a coarse CFO search
   (``cfo_range_hz`` at ``freq_step_hz``); without it, the whole capture at ``freq_step_hz``.
2. PSS: normalised correlation power folded over half frames, against a Gamma threshold that
   noise crosses with probability ``pfa`` per search (lte_sync).
3. Per peak: fine CFO from the PSS halves then the cyclic prefixes; SSS over FDD/TDD and normal/
   extended CP -> N_ID_1, the half frame, the duplex and the CP; PCI = 3 N_ID_1 + N_ID_2.
4. PBCH of every subframe 0 in the window, alone and combined within its 40 ms (lte_pbch).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .cell import Cell
from .lte_pbch import decode_frames
from .lte_phy import (
    HALF_FRAME,
    SEARCH_NFFT,
    SEARCH_RATE,
    SUBFRAME,
    central_bins,
    cp_lengths,
    pss_position,
    pss_to_subframe0,
    symbol_starts,
)
from .lte_sync import (
    PssPeak,
    Window,
    detect_pss,
    detect_sss,
    fine_cfo,
    occurrences,
    pss_time,
    snr_from_pss,
)

RASTER_HZ = 100e3
CENTRAL_HALF_WIDTH = 540e3  # the central 72 subcarriers
GHOST_LOW, GHOST_HIGH = 20e3, 1.2e6
BACKOFF = 2  # FFT windows start this many samples (at 1.92 MS/s) early, inside the CP


def frequency_hypotheses(
    sample_rate: float,
    center_freq: float | None,
    cfo_range_hz: float = 7.5e3,
    freq_step_hz: float = 5e3,
) -> tuple[np.ndarray, np.ndarray]:
    """(carrier centre offsets tried, their raster offsets) relative to the capture's centre.

    With a centre frequency: every 100 kHz raster point whose central 1.08 MHz lies in the
    capture (at least the nearest one), each with CFOs of -cfo_range..cfo_range at most half a
    step from a hypothesis. Without: the whole usable band at ``freq_step_hz``."""
    span = max(0.0, sample_rate / 2 - CENTRAL_HALF_WIDTH)
    if center_freq is None:
        n = int(np.floor(span / freq_step_hz))
        offs = np.arange(-n, n + 1) * freq_step_hz
        return offs, offs
    first = np.ceil((center_freq - span) / RASTER_HZ - 1e-9)
    last = np.floor((center_freq + span) / RASTER_HZ + 1e-9)
    points = np.arange(first, last + 1) * RASTER_HZ - center_freq
    if points.size == 0:
        points = np.array([np.round(center_freq / RASTER_HZ) * RASTER_HZ - center_freq])
    n = int(np.ceil(max(cfo_range_hz - freq_step_hz / 2, 0) / freq_step_hz))
    cfos = np.arange(-n, n + 1) * freq_step_hz
    offs = (points[:, None] + cfos[None, :]).reshape(-1)
    raster = np.repeat(points, cfos.size)
    return offs, raster


def _window_sizes(length: int, sample_rate: float, max_duration_s: float) -> tuple[int, int]:
    """(n input samples, m samples at 1.92 MS/s) with m / n the exact rate ratio."""
    ratio = Fraction(SEARCH_RATE / sample_rate).limit_denominator(1000)
    n = min(length, round(max_duration_s * sample_rate))
    n -= n % ratio.denominator
    return n, int(n * ratio)


def _suppress(peaks: list[PssPeak], freq_guard: float, limit: int) -> list[PssPeak]:
    kept: list[PssPeak] = []
    for p in peaks:
        near = any(
            q.n_id_2 == p.n_id_2
            and abs(q.freq_hz - p.freq_hz) <= freq_guard
            and min(abs(q.lag - p.lag), HALF_FRAME - abs(q.lag - p.lag)) <= 3
            for q in kept
        )
        if not near:
            kept.append(p)
            if len(kept) == limit:
                break
    return kept


def _refine_lag(y: np.ndarray, lag: int, n_id_2: int, reach: int = 3) -> int:
    p = np.conj(pss_time(n_id_2))
    best, best_val = lag, -1.0
    for d in range(-reach, reach + 1):
        val = 0.0
        for t in occurrences(lag + d, y.size):
            val += abs(np.dot(y[t : t + SEARCH_NFFT], p)) ** 2
        if val > best_val:
            best, best_val = lag + d, val
    return best % HALF_FRAME


def _cp_cfo(y: np.ndarray, frame_start: int, cp: str) -> float:
    """Frequency error (Hz) from every cyclic prefix in ``y`` (unambiguous within +-7.5 kHz)."""
    starts, ffts = symbol_starts(SEARCH_NFFT, cp)
    z = 0j
    base = frame_start % SUBFRAME - SUBFRAME
    while base < y.size:
        for s, f in zip(starts, ffts, strict=True):
            a, b = base + s, base + f
            if a >= 0 and b + SEARCH_NFFT <= y.size:
                z += np.vdot(y[a:b], y[a + SEARCH_NFFT : b + SEARCH_NFFT])
        base += SUBFRAME
    return float(np.angle(z) * SEARCH_RATE / (2 * np.pi * SEARCH_NFFT))


def subframe_grid(y: np.ndarray, start: int, cp: str, backoff: int = BACKOFF):
    """(2 N_symb, 72) central subcarriers of the subframe starting at ``start``, or None when it
    is not wholly inside ``y``."""
    _, ffts = symbol_starts(SEARCH_NFFT, cp)
    first = start + ffts - backoff
    if first[0] < 0 or first[-1] + SEARCH_NFFT > y.size:
        return None
    segs = y[first[:, None] + np.arange(SEARCH_NFFT)[None, :]]
    spec = np.fft.fft(segs, axis=-1) / np.sqrt(SEARCH_NFFT)
    grid = spec[:, central_bins() % SEARCH_NFFT]
    # undo the early window's phase ramp so the grid is that of the aligned symbol
    ramp = np.exp(2j * np.pi * central_bins() * backoff / SEARCH_NFFT)
    return grid * ramp[None, :]


def _examine(
    window: Window,
    peak: PssPeak,
    raster_of: dict[int, float],
    center_freq: float | None,
    decode: bool,
    sss_pfa: float,
) -> Cell | None:
    y, f_used = window.baseband(peak.freq_hz)
    n = np.arange(y.size)
    lags = occurrences(peak.lag, y.size)
    if lags.size == 0:
        return None
    cfo = fine_cfo(y, lags, peak.n_id_2)
    y = y * np.exp(-2j * np.pi * cfo / SEARCH_RATE * n)
    lag = _refine_lag(y, peak.lag, peak.n_id_2)
    lags = occurrences(lag, y.size)
    sss = detect_sss(y, lags, peak.n_id_2, BACKOFF, sss_pfa)
    if sss is None or sss.score < 1:
        return None
    frame0 = lags[0] - pss_to_subframe0(sss.duplex, sss.cp)
    if not sss.first_is_subframe0:
        frame0 -= HALF_FRAME
    extra = _cp_cfo(y, frame0, sss.cp)
    if abs(extra) < 1e3:
        y = y * np.exp(-2j * np.pi * extra / SEARCH_RATE * n)
        cfo += extra
    pci = 3 * sss.n_id_1 + peak.n_id_2
    starts = frame0 + 2 * HALF_FRAME * np.arange(-1, y.size // (2 * HALF_FRAME) + 2)
    grids, grid_starts = [], []
    for s in starts:
        g = subframe_grid(y, int(s), sss.cp)
        if g is not None:
            grids.append(g)
            grid_starts.append(int(s))
    result = decode_frames(grids, pci, sss.cp) if decode and grids else None
    scale = window.fs / SEARCH_RATE
    pss_cp = int(cp_lengths(SEARCH_NFFT, sss.cp)[pss_position(sss.duplex, sss.cp)[2]])
    freq = f_used + cfo
    details = {
        "pss_score": round(peak.score, 3),
        "pss_folds": peak.folds,
        "sss_score": round(sss.score, 3),
        "first_pss_subframe": (0 if sss.first_is_subframe0 else 5)
        + (1 if sss.duplex == "TDD" else 0),
    }
    if grid_starts:
        details["frame_start"] = round(grid_starts[0] * scale)
    raster = raster_of.get(window.bin_of(peak.freq_hz))
    if center_freq is not None and raster is not None:
        details["carrier_freq_hz"] = float(center_freq + raster)
        details["cfo_hz"] = round(freq - raster, 1)
    mib: dict = {}
    if result is not None:
        mib = result["mib"]
        details["ports"] = result["ports"]
        details["frames_combined"] = len(result["frames"])
    return Cell(
        rat="LTE",
        pci=pci,
        n_id_2=peak.n_id_2,
        start=max(0, round((lags[0] - pss_cp) * scale)),
        freq_offset_hz=round(float(freq), 1),
        snr_db=round(snr_from_pss(y, lags, peak.n_id_2, BACKOFF), 1),
        cp=sss.cp,
        duplex=sss.duplex,
        decoded=result is not None,
        mib=mib,
        details=details,
    )


def search_lte(
    samples: np.ndarray,
    sample_rate: float,
    center_freq: float | None = None,
    *,
    max_duration_s: float = 0.04,
    pfa: float = 1e-6,
    sss_pfa: float = 1e-3,
    cfo_range_hz: float = 7.5e3,
    freq_step_hz: float = 5e3,
    max_candidates: int = 16,
    decode: bool = True,
) -> list[Cell]:
    """The LTE cells in the first ``max_duration_s`` of ``samples`` (complex baseband at
    ``sample_rate``; ``center_freq`` in Hz, if known, puts the search on the 100 kHz raster).

    A cell is reported when its PSS passes the false-alarm threshold ``pfa`` (per search) and
    its SSS ``sss_pfa``; ``decoded`` (with its ``mib``) only when the PBCH's CRC passed. Decoded
    cells come first, then by SNR."""
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError("samples must be one-dimensional complex baseband")
    if not sample_rate > 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    n, m = _window_sizes(x.size, sample_rate, max_duration_s)
    if m < 2 * SEARCH_NFFT:
        return []
    window = Window(x, sample_rate, n, m)
    offs, raster = frequency_hypotheses(sample_rate, center_freq, cfo_range_hz, freq_step_hz)
    raster_of = {window.bin_of(o): float(r) for o, r in zip(offs, raster, strict=True)}
    peaks = detect_pss(window, offs, pfa)
    peaks = _suppress(peaks, 2.5 * freq_step_hz, max_candidates)
    cells: list[Cell] = []
    for peak in peaks:
        # LTE carriers do not overlap, so a peak 20 kHz .. 1.2 MHz from a stronger cell is that
        # cell's PSS seen through a shift (a Zadoff-Chu sequence moved by whole subcarriers
        # still correlates, at another lag)
        if any(GHOST_LOW < abs(c.freq_offset_hz - peak.freq_hz) < GHOST_HIGH for c in cells):
            continue
        cell = _examine(window, peak, raster_of, center_freq, decode, sss_pfa)
        if cell is not None:
            cells.append(cell)
    return _dedupe(cells)


def _dedupe(cells: list[Cell]) -> list[Cell]:
    """One report per cell: the same PCI within 1 MHz is the same cell seen twice."""
    ranked = sorted(cells, key=lambda c: (not c.decoded, -c.details.get("sss_score", 0)))
    out: list[Cell] = []
    for c in ranked:
        if not any(o.pci == c.pci and abs(o.freq_offset_hz - c.freq_offset_hz) < 1e6 for o in out):
            out.append(c)
    return sorted(out, key=lambda c: (not c.decoded, -c.snr_db))
