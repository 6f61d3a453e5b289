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
    CPS,
    DUPLEXES,
    HALF_FRAME,
    SCS,
    SEARCH_NFFT,
    SEARCH_RATE,
    SUBFRAME,
    central_bins,
    cp_lengths,
    fft_start,
    pss_position,
    pss_to_subframe0,
    symbol_starts,
)
from .lte_sync import (
    PssPeak,
    SssResult,
    Window,
    detect_pss,
    detect_sss,
    fold,
    occurrences,
    pss_statistic,
    pss_time,
    snr_from_pss,
)

RASTER_HZ = 100e3
CENTRAL_HALF_WIDTH = 540e3  # the central 72 subcarriers
GHOST_LOW, GHOST_HIGH = 20e3, 1.2e6
RIDGE = 13  # whole-subcarrier shifts of a PSS peak tried either side (its ghosts: 5 or 13)
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


def _cp_correlation(y: np.ndarray, anchor: int, cp: str) -> complex:
    """Sum over every OFDM symbol in ``y`` of its CP times the conjugate of the end it copies,
    the symbols placed by ``anchor`` (the start of any slot)."""
    starts, ffts = symbol_starts(SEARCH_NFFT, cp)
    half = len(starts) // 2
    starts, ffts = starts[:half], ffts[:half]  # the two slots of a subframe are alike
    slot = SUBFRAME // 2
    bases = np.arange(anchor % slot - slot, y.size, slot)
    a = (bases[:, None] + starts[None, :]).reshape(-1)
    b = (bases[:, None] + ffts[None, :]).reshape(-1)
    keep = (a >= 0) & (b + SEARCH_NFFT <= y.size)
    z = 0j
    for lo, hi in zip(a[keep], b[keep], strict=True):
        z += np.vdot(y[lo:hi], y[lo + SEARCH_NFFT : hi + SEARCH_NFFT])
    return complex(z)


def _cp_cfo(y: np.ndarray, anchor: int, cp: str) -> float:
    """Frequency error (Hz) from every cyclic prefix in ``y`` (unambiguous within +-7.5 kHz)."""
    z = _cp_correlation(y, anchor, cp)
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


def _exact_baseband(window: Window, freq_hz: float) -> np.ndarray:
    y, used = window.baseband(freq_hz)
    if freq_hz != used:
        y = y * np.exp(-2j * np.pi * (freq_hz - used) / SEARCH_RATE * np.arange(y.size))
    return y


def _folded_lag(window: Window, freq_hz: float, n_id_2: int) -> int:
    stat = pss_statistic(window.band(np.array([window.bin_of(freq_hz)])), (n_id_2,))
    return int(np.argmax(fold(stat[0, 0])[0]))


def _track(y: np.ndarray, lag: int, n_id_2: int, reach: int = 3) -> np.ndarray:
    """FFT-window start of each PSS in ``y`` (lag + k * 5 ms), each refined within +-reach and
    then fitted by a line: a sampling clock off by tens of ppm drifts by samples in 40 ms."""
    p = np.conj(pss_time(n_id_2))
    base = occurrences(lag, y.size)
    if base.size == 0:
        return base
    found, weight = [], []
    for t in base:
        vals = np.zeros(2 * reach + 1)
        for i, d in enumerate(range(-reach, reach + 1)):
            if t + d >= 0 and t + d + SEARCH_NFFT <= y.size:
                vals[i] = abs(np.dot(y[t + d : t + d + SEARCH_NFFT], p)) ** 2
        found.append(t + int(np.argmax(vals)) - reach)
        weight.append(float(vals.max()))
    j = np.arange(base.size)
    if base.size >= 3:
        off = np.asarray(found) - base
        slope, icpt = np.polyfit(j, off, 1, w=np.sqrt(np.asarray(weight) + 1e-30))
        slope = float(np.clip(slope, -2, 2))
        lags = base + np.round(icpt + slope * j).astype(int)
    else:
        lags = np.asarray(found)
    return lags


def _resolve(
    window: Window, peak: PssPeak, sss_pfa: float
) -> tuple[float, np.ndarray, np.ndarray, SssResult] | None:
    """Which whole-subcarrier shift of the peak's frequency is the cell's: a Zadoff-Chu PSS
    moved by whole subcarriers still correlates (at another lag), so each of the nearby shifts
    is tried and the SSS decides. Returns (frequency, 1.92 MS/s samples there, PSS lags, SSS)."""
    y = _exact_baseband(window, peak.freq_hz)
    if occurrences(peak.lag, y.size).size == 0:
        return None
    # the fraction of a subcarrier from the cyclic prefixes (the PSS's own phase is biased by
    # any timing error): slots placed by the PSS as each duplex and CP would have it
    best_z = 0j
    for duplex in DUPLEXES:
        for cp in CPS:
            slot = peak.lag - fft_start(0, pss_position(duplex, cp)[2], cp)
            z = _cp_correlation(y, slot, cp)
            if abs(z) > abs(best_z):
                best_z = z
    frac = float(np.angle(best_z)) * SEARCH_RATE / (2 * np.pi * SEARCH_NFFT)
    n = np.arange(y.size)
    y = y * np.exp(-2j * np.pi * frac / SEARCH_RATE * n)
    # the PSS's lag at each shift from its first 20 ms (enough to fold two half frames)
    head = min(y.size, 2 * HALF_FRAME + SEARCH_NFFT)
    size = 1 << int(np.ceil(np.log2(head + SEARCH_NFFT)))
    template = np.conj(np.fft.fft(pss_time(peak.n_id_2), size))
    turn = np.exp(-2j * np.pi * np.arange(SEARCH_NFFT) / SEARCH_NFFT)
    best = None
    shifts = range(-RIDGE, RIDGE + 1)
    for k in shifts:
        yk = y * turn[(k * n) % SEARCH_NFFT]  # moved by k subcarriers (15 kHz = 1.92 MHz / 128)
        corr = np.fft.ifft(np.fft.fft(yk[:head], size) * template)[: head - SEARCH_NFFT + 1]
        lag = int(np.argmax(fold(np.abs(corr) ** 2)[0]))
        lags = _track(yk, lag, peak.n_id_2)
        sss = detect_sss(yk, lags, peak.n_id_2, BACKOFF, sss_pfa / len(shifts))
        if sss is not None and (best is None or sss.score > best[3].score):
            best = (peak.freq_hz + frac + k * SCS, yk, lags, sss)
    return best


def _frame_starts(lags: np.ndarray, sss: SssResult, size: int) -> np.ndarray:
    """Start of every subframe 0 wholly in the window, from the PSS lags' fitted line."""
    j = np.arange(lags.size)
    drift = lags - lags[0] - HALF_FRAME * j
    slope = float(np.polyfit(j, drift, 1)[0]) if lags.size >= 2 else 0.0
    first = lags[0] - pss_to_subframe0(sss.duplex, sss.cp)
    if not sss.first_is_subframe0:
        first -= HALF_FRAME
    ks = np.arange(-1, size // (2 * HALF_FRAME) + 2)
    starts = np.round(first + ks * (2 * HALF_FRAME + 2 * slope)).astype(int)
    return starts[(starts >= BACKOFF) & (starts + SUBFRAME <= size)]


def _examine(
    window: Window,
    peak: PssPeak,
    center_freq: float | None,
    decode: bool,
    sss_pfa: float,
) -> Cell | None:
    resolved = _resolve(window, peak, sss_pfa)
    if resolved is None or resolved[3].score < 1:
        return None
    freq, y, lags, sss = resolved
    starts = _frame_starts(lags, sss, y.size)
    anchor = int(lags[0]) - fft_start(0, pss_position(sss.duplex, sss.cp)[2], sss.cp)
    extra = _cp_cfo(y, anchor, sss.cp)
    if abs(extra) < 1e3:
        y = y * np.exp(-2j * np.pi * extra / SEARCH_RATE * np.arange(y.size))
        freq += extra
    pci = 3 * sss.n_id_1 + peak.n_id_2
    grids = [subframe_grid(y, int(s), sss.cp) for s in starts]
    grids = [g for g in grids if g is not None]
    result = decode_frames(grids, pci, sss.cp) if decode and grids else None
    scale = window.fs / SEARCH_RATE
    pss_cp = int(cp_lengths(SEARCH_NFFT, sss.cp)[pss_position(sss.duplex, sss.cp)[2]])
    details: dict = {
        "pss_score": round(peak.score, 3),
        "pss_folds": peak.folds,
        "sss_score": round(sss.score, 3),
        "first_pss_subframe": (0 if sss.first_is_subframe0 else 5)
        + (1 if sss.duplex == "TDD" else 0),
    }
    if starts.size:
        details["frame_start"] = round(int(starts[0]) * scale)
    if center_freq is not None:
        carrier = round((center_freq + freq) / RASTER_HZ) * RASTER_HZ
        details["carrier_freq_hz"] = float(carrier)
        details["cfo_hz"] = round(float(center_freq + freq - carrier), 1)
    mib: dict = {}
    if result is not None:
        mib = result["mib"]
        details["ports"] = result["ports"]
        details["frames_combined"] = len(result["frames"])
    return Cell(
        rat="LTE",
        pci=pci,
        n_id_2=peak.n_id_2,
        start=max(0, round((int(lags[0]) - pss_cp) * scale)),
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
    detect_duration_s: float = 0.02,
    pfa: float = 1e-6,
    sss_pfa: float = 1e-3,
    cfo_range_hz: float = 7.5e3,
    freq_step_hz: float = 5e3,
    max_candidates: int = 16,
    decode: bool = True,
) -> list[Cell]:
    """The LTE cells in the first ``max_duration_s`` of ``samples`` (complex baseband at
    ``sample_rate``; ``center_freq`` in Hz, if known, puts the search on the 100 kHz raster).

    The PSS is searched in the first ``detect_duration_s`` (its cost grows with the length and
    the number of frequency hypotheses), the SSS and PBCH over the whole ``max_duration_s``.
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
    n_det, m_det = _window_sizes(x.size, sample_rate, min(detect_duration_s, max_duration_s))
    detect = window if n_det == n else Window(x, sample_rate, n_det, m_det)
    offs, _ = frequency_hypotheses(sample_rate, center_freq, cfo_range_hz, freq_step_hz)
    peaks = detect_pss(detect, offs, pfa)
    peaks = _suppress(peaks, 2.5 * freq_step_hz, max_candidates)
    cells: list[Cell] = []
    for peak in peaks:
        # LTE carriers do not overlap, so a peak 20 kHz .. 1.2 MHz from a stronger cell is that
        # cell's PSS seen through a shift (a Zadoff-Chu sequence moved by whole subcarriers
        # still correlates, at another lag)
        if any(
            c.decoded and GHOST_LOW < abs(c.freq_offset_hz - peak.freq_hz) < GHOST_HIGH
            for c in cells
        ):
            continue
        cell = _examine(window, peak, center_freq, decode, sss_pfa)
        if cell is not None:
            cells.append(cell)
    return _dedupe(cells)


def _dedupe(cells: list[Cell]) -> list[Cell]:
    """One report per cell: the same PCI within 1 MHz is the same cell seen twice, and a cell
    20 kHz .. 1.2 MHz from a better one (decoded, or a stronger SSS) is its shadow: carriers
    do not overlap."""
    ranked = sorted(cells, key=lambda c: (not c.decoded, -c.details.get("sss_score", 0)))
    out: list[Cell] = []
    for c in ranked:
        same = any(o.pci == c.pci and abs(o.freq_offset_hz - c.freq_offset_hz) < 1e6 for o in out)
        ghost = not c.decoded and any(
            GHOST_LOW < abs(o.freq_offset_hz - c.freq_offset_hz) < GHOST_HIGH for o in out
        )
        if not (same or ghost):
            out.append(c)
    return sorted(out, key=lambda c: (not c.decoded, -c.snr_db))
