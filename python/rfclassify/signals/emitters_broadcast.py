"""Broadcast "Other" emitters: DAB, DVB-T2 and FM with its stereo pilot and RDS.

Broadcast transmitters are the strongest continuous signals in most captures, and two of them
are OFDM: a classifier that sees OFDM and answers LTE/NR must meet DAB (1.536 MHz, 1 kHz
spacing, a null symbol every 96 ms, ETSI EN 300 401) and DVB-T2 (7.61/7.77 MHz, boosted
scattered pilots, the P1 preamble at each frame start, ETSI EN 302 755). FM stations (ITU-R
BS.450, RDS per IEC 62106) fill band II with 200 kHz carriers. All are synthesised spectrally
(``emitter_kit.Canvas``): native-rate waveforms placed bin by bin in the capture's
spectrum, so any capture rate works, and a view narrower than the signal cuts it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from .common import Waveform, ofdm_modulate, random_qam
from .emitter_kit import (
    Canvas,
    check_bounds,
    msequence,
    raster_points,
    report,
    require,
    resolve,
    visible_band,
)


def _paste(x: np.ndarray, block: np.ndarray, at: int) -> None:
    """Write ``block`` into ``x`` from index ``at`` (negative: before it), clipped to ``x``."""
    a, b = max(0, at), min(x.size, at + block.size)
    if a < b:
        x[a:b] = block[a - at : b - at]


# --- DAB (ETSI EN 300 401 §14, transmission mode I) ---------------------------------------

_DAB_RATE = 2.048e6  # T = 1/2.048 MHz; Table 38
_DAB_NFFT, _DAB_GUARD, _DAB_NULL, _DAB_SYMBOLS = 2048, 504, 2656, 76  # 1 ms, 246 µs, 1.297 ms
_DAB_SYMBOL = _DAB_NFFT + _DAB_GUARD  # 1.246 ms
_DAB_FRAME = _DAB_NULL + _DAB_SYMBOLS * _DAB_SYMBOL  # 196608 T = 96 ms
_DAB_K = np.concatenate([np.arange(-768, 0), np.arange(1, 769)])  # 1536 carriers, 1 kHz apart
# Simplified: the phase reference symbol's quarter turns are a fixed pseudo-random set, not the
# h-table of §14.3.2 (it has the same flat spectrum and constant modulus).
_DAB_PRS = np.random.default_rng(0x0DAB).integers(0, 4, _DAB_K.size)


def _dab_ensemble(rng: np.random.Generator, m: int, s0: int) -> np.ndarray:
    """``m`` samples of one ensemble from sample ``s0`` of a frame: null symbol, phase
    reference symbol, 75 π/4-DQPSK symbols. A symbol l after the reference has phases
    l π/4 + (uniform quarter turns), exactly the distribution of the differential chain."""
    x = np.zeros(m, np.complex64)
    for f in range((s0 + m - 1) // _DAB_FRAME + 1):
        base = f * _DAB_FRAME + _DAB_NULL - s0  # where this frame's reference symbol starts
        first = max(0, -base // _DAB_SYMBOL)
        last = min(_DAB_SYMBOLS, -(-(m - base) // _DAB_SYMBOL))
        if first >= last:
            continue
        sym = np.arange(first, last)
        quarter = rng.integers(0, 4, (sym.size, _DAB_K.size))
        quarter[sym == 0] = _DAB_PRS
        spectra = np.zeros((sym.size, _DAB_NFFT), np.complex64)
        spectra[:, _DAB_K % _DAB_NFFT] = np.exp(0.5j * np.pi * (quarter + sym[:, None] / 2))
        _paste(x, ofdm_modulate(spectra, np.full(sym.size, _DAB_GUARD)), base + first * _DAB_SYMBOL)
    return x


def dab(duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any) -> Waveform:
    """DAB/DAB+ mode I: 1..``ensembles`` 1.536 MHz ensembles on the 1.712 MHz block raster.

    2048-point OFDM at 2.048 MS/s (1536 carriers, 1 kHz apart, π/4-DQPSK), guard 504 samples
    (246 µs), a 2656-sample (1.297 ms) null symbol and the phase reference symbol at each 96 ms
    frame start (EN 300 401 §14, Table 38); ``frame_phase`` is where the first ensemble's frame
    is at the window start (others random). The spectrum is cut at ±850 kHz, as a transmitter's
    mask filter does. Ensembles differ by ±``level_spread_db``. Continuous: unit mean power.
    """
    p = resolve("dab", RANGES["dab"], rng, params)
    check_bounds(RANGES["dab"], p, ensembles=(1, 16), level_spread_db=(0, 40), frame_phase=(0, 1))
    canvas = Canvas(duration_s, sample_rate, _DAB_RATE)
    if (p["frame_phase"] * _DAB_FRAME) % _DAB_FRAME + duration_s * _DAB_RATE <= _DAB_NULL:
        # a capture shorter than the null symbol, wholly inside it, would hold nothing
        require(params.get("frame_phase") is None, "dab: the capture lies in a null symbol")
        p["frame_phase"] = _DAB_NULL / _DAB_FRAME
    half = 0.45 * sample_rate
    centres = raster_points(rng, p["ensembles"], 1.712e6, 1.536e6, -half, half)
    levels = rng.uniform(-p["level_spread_db"], p["level_spread_db"], centres.size)
    m = canvas.length(_DAB_RATE)
    realised, starts = [], []
    for i, (fc, level) in enumerate(zip(centres, levels, strict=True)):
        s0 = round(p["frame_phase"] * _DAB_FRAME) if i == 0 else int(rng.integers(0, _DAB_FRAME))
        x = _dab_ensemble(rng, m, (s0 - round(canvas.lead_s * _DAB_RATE)) % _DAB_FRAME)
        realised.append(canvas.add(x, fc, 10 ** (level / 20), 850e3))
        starts.append(s0 / _DAB_RATE)  # how far into its frame the capture starts
    p |= {
        **report(realised, levels),
        "frame_offsets_s": starts,
    }
    occupied = visible_band(centres, 1.536e6, sample_rate)
    return Waveform(canvas.samples(), sample_rate, "Other", occupied, p)


# --- DVB-T2 (ETSI EN 302 755) --------------------------------------------------------------

_T2_RATE = {"8": 64e6 / 7, "7": 8e6, "6": 48e6 / 7, "5": 40e6 / 7, "1.7": 131e6 / 71}  # 1/T
_T2_CARRIERS = {1024: 853, 2048: 1705, 4096: 3409, 8192: 6817, 16384: 13633, 32768: 27265}
_T2_EXT = {8192: 48, 16384: 144, 32768: 288}  # K_ext each side in extended carrier mode
_T2_ACP = {1024: 4 / 3, 2048: 4 / 3, 4096: 4 * np.sqrt(2) / 3}  # continual pilots, 8K+: 8/3
_T2_P2 = {1024: 16, 2048: 8, 4096: 4, 8192: 2, 16384: 1, 32768: 1}  # P2 symbols per frame
_T2_GUARD = {"1/128": 1 / 128, "1/32": 1 / 32, "1/16": 1 / 16, "19/256": 19 / 256}
_T2_GUARD |= {"1/8": 1 / 8, "19/128": 19 / 128, "1/4": 1 / 4}
_T2_PP = {  # Dx, Dy, scattered-pilot amplitude (§9.2)
    "PP1": (3, 4, 4 / 3),
    "PP2": (6, 2, 4 / 3),
    "PP3": (6, 4, 7 / 4),
    "PP4": (12, 2, 7 / 4),
    "PP5": (12, 4, 7 / 3),
    "PP6": (24, 2, 7 / 3),
    "PP7": (24, 4, 7 / 3),
    "PP8": (6, 16, 7 / 3),
}
# Pilot patterns allowed per guard interval (SISO, in outline): 8K-32K, then 1K-4K; less
# _PP_EXCLUDE's per FFT size.
_PP_LARGE = {"1/128": "PP7", "1/32": "PP4 PP6 PP7", "1/16": "PP2 PP4 PP5 PP8"}
_PP_LARGE |= {"19/256": "PP2 PP4 PP5 PP8", "1/8": "PP2 PP3 PP8", "19/128": "PP2 PP3 PP8"}
_PP_LARGE |= {"1/4": "PP1 PP8"}
_PP_SMALL = {"1/32": "PP4 PP7", "1/16": "PP4 PP5", "1/8": "PP2 PP3", "1/4": "PP1"}
_PP_EXCLUDE = {1024: "PP6 PP7 PP8", 8192: "PP6", 32768: "PP1 PP3 PP5"}


def _patterns(fft: int, guard: str) -> list[str]:
    """The pilot patterns an FFT size and guard interval allow (empty: the pair is invalid)."""
    table = _PP_LARGE if fft >= 8192 else _PP_SMALL
    if fft == 32768 and guard == "1/4":
        return []  # no 1/4 guard interval with 32K
    return [pp for pp in table.get(guard, "").split() if pp not in _PP_EXCLUDE.get(fft, "")]


@lru_cache(maxsize=8)
def _t2_tables(carriers: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference signs 1 - 2 w_k (PRBS x^11 + x^2 + 1 from all ones, §9.2) and continual
    pilot positions (simplified: a fixed pseudo-random 0.7 % of the carriers, not Annex G)."""
    ref = 1.0 - 2.0 * msequence((0, 2), np.ones(11, np.uint8), carriers)
    cp = np.random.default_rng(carriers).choice(carriers, carriers * 7 // 1000, replace=False)
    return ref, np.sort(cp)


@lru_cache(maxsize=1)
def _p1_carriers() -> np.ndarray:
    """384 of the 853 P1 carriers (simplified: fixed pseudo-random within 44..809, the span of
    the standard's list), as 1K FFT bins around DC."""
    pick = np.random.default_rng(0x7201).choice(766, 384, replace=False)
    return np.sort(44 + pick) - 426


def _p1(rng: np.random.Generator) -> np.ndarray:
    """P1: a 1K symbol A of 384 DBPSK carriers, with C (A's first 542 samples) and B
    (its last 482) shifted up by one carrier spacing: C-A-B, 2048 samples, power as a symbol."""
    spectrum = np.zeros(1024, np.complex64)
    spectrum[_p1_carriers() % 1024] = rng.choice([-1.0, 1.0], 384) * np.sqrt(853 / 384)
    a = np.fft.ifft(spectrum) * np.sqrt(1024)
    shifted = a * np.exp(2j * np.pi * np.arange(1024) / 1024)
    return np.concatenate([shifted[:542], a, shifted[542:]]).astype(np.complex64)


def _t2_symbols(
    rng: np.random.Generator, sym: np.ndarray, p: dict, fft: int, carriers: int, ext: int
) -> np.ndarray:
    """Spectra (FFT order) of T2 symbols ``sym`` (0-based, P2 first) with their pilots."""
    dx, dy, a_sp = _T2_PP[p["pilot_pattern"]]
    ref, cp = _t2_tables(carriers)
    k = np.arange(carriers)
    cells = random_qam(rng, sym.size * carriers, p["modulation"]).reshape(sym.size, carriers)
    sign = rng.choice([-1.0, 1.0], (sym.size, 1)) * ref  # frame PN per symbol x w_k
    p2 = sym < _T2_P2[fft]
    step = 6 if fft == 32768 else 3
    pilot = np.where(p2[:, None], k % step == 0, (k - ext) % (dx * dy) == dx * (sym[:, None] % dy))
    pilot[~p2, :] |= np.isin(k, cp)[None, :]
    pilot[:, [0, -1]] = True
    amp = np.where(p2[:, None], np.sqrt(37 if fft == 32768 else 31) / 5, a_sp)
    amp = np.where(np.isin(k, cp)[None, :] & ~p2[:, None], _T2_ACP.get(fft, 8 / 3), amp)
    cells = np.where(pilot, amp * sign, cells)
    cells /= np.sqrt(np.mean(np.abs(cells) ** 2, axis=1, keepdims=True))  # equal symbol power
    spectra = np.zeros((sym.size, fft), np.complex64)
    spectra[:, (k - carriers // 2) % fft] = cells
    return spectra


def dvbt2(
    duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any
) -> Waveform:
    """DVB-T2 (EN 302 755) in a 1.7/5/6/7/8 MHz channel (``bandwidth_mhz``), centred.

    FFT 1K..32K (``fft_size``) at the channel's elementary rate (8 MHz: 1/T = 64/7 MS/s), 6817,
    13633 or 27265 carriers, or ``extended`` (8K+: + 2 K_ext), so 7.61 or 7.77 MHz occupied in
    8 MHz; guard 1/128..1/4 (``guard``; a drawn one the FFT size forbids is redrawn); pilot
    pattern PP1-PP8 (``pilot_pattern``; "auto": one the standard allows with that guard) with
    scattered pilots boosted to 4/3, 7/4 or 7/3, continual pilots 4/3..8/3, edge pilots; P2
    symbols with pilots every 3rd (32K: 6th) carrier at √31/5 (√37/5); random ``modulation``
    data. Each T2 frame (``frame_s``, <= 250 ms) opens with P1 (1K, C-A-B); ``frame_phase`` is
    where in it the capture starts. Simplified: no L1 content, FEC or frame closing symbol;
    continual pilots at pseudo-random positions. Continuous: unit mean power.
    """
    given = dict(params)
    p = resolve("dvbt2", RANGES["dvbt2"], rng, params)
    require(str(p["bandwidth_mhz"]) in _T2_RATE, f"dvbt2: bandwidth_mhz in {list(_T2_RATE)}")
    p["bandwidth_mhz"], p["fft_size"] = str(p["bandwidth_mhz"]), int(p["fft_size"])
    fft = p["fft_size"]
    require(fft in _T2_CARRIERS and p["guard"] in _T2_GUARD, "dvbt2: fft_size / guard unknown")
    require(p["modulation"] in ("QPSK", "16QAM", "64QAM", "256QAM"), "dvbt2: modulation")
    check_bounds(RANGES["dvbt2"], p, frame_s=(0.02, 0.25), frame_phase=(0, 1))
    if p["extended"] and fft < 8192:
        require(given.get("extended") is None, "dvbt2: extended carriers need FFT 8K..32K")
        p["extended"] = False
    if not _patterns(fft, p["guard"]):
        require(given.get("guard") is None, f"dvbt2: guard {p['guard']} not allowed with {fft}")
        p["guard"] = str(rng.choice([g for g in _T2_GUARD if _patterns(fft, g)]))
    if p["pilot_pattern"] == "auto":
        p["pilot_pattern"] = str(rng.choice(_patterns(fft, p["guard"])))
    require(p["pilot_pattern"] in _patterns(fft, p["guard"]), "dvbt2: pilot pattern not allowed")
    ext = _T2_EXT.get(fft, 0) if p["extended"] else 0
    carriers = _T2_CARRIERS[fft] + 2 * ext
    rate = _T2_RATE[p["bandwidth_mhz"]]
    symbol = fft + round(fft * _T2_GUARD[p["guard"]])
    count = max(3, int((p["frame_s"] * rate - 2048) // symbol) - _T2_P2[fft]) + _T2_P2[fft]
    frame = 2048 + count * symbol

    canvas = Canvas(duration_s, sample_rate, rate)
    m = canvas.length(rate)
    s0 = (round(p["frame_phase"] * frame) - round(canvas.lead_s * rate)) % frame
    x = np.zeros(m, np.complex64)
    for f in range((s0 + m - 1) // frame + 1):
        start = f * frame - s0
        _paste(x, _p1(rng), start)
        base = start + 2048
        first, last = max(0, -base // symbol), min(count, -(-(m - base) // symbol))
        if first < last:
            ls = np.arange(first, last)
            spectra = _t2_symbols(rng, ls, p, fft, carriers, ext)
            body = ofdm_modulate(spectra, np.full(ls.size, symbol - fft))
            _paste(x, body, base + first * symbol)
    occupied = carriers * rate / fft
    canvas.add(x, 0.0, 1.0, occupied / 2 + 0.01 * rate)
    p |= {"t2_frame_s": frame / rate, "sample_rate_native": rate}
    return Waveform(canvas.samples(), sample_rate, "Other", min(occupied, sample_rate), p)


# --- FM broadcast with stereo pilot and RDS (ITU-R BS.450, IEC 62106) ----------------------

_FM_RATE = 512e3  # MPX and FM built here: holds ±(75 + 60) kHz with room
_RDS_RATE = 1187.5  # 57 kHz / 48


def _programme(rng: np.random.Generator, m: int, tau: float) -> np.ndarray:
    """Processed programme audio, peak 1: pink-ish 30 Hz-15 kHz noise with a syllabic
    envelope, ``tau`` pre-emphasis, compressed/limited, then cut at 15 kHz."""
    f = np.fft.rfftfreq(m, 1 / _FM_RATE)
    shape = ((f > 30) & (f < 15e3)) / np.sqrt(np.maximum(f, 30) / 30)
    a = np.fft.irfft(
        np.fft.rfft(rng.standard_normal(m)) * shape * np.abs(1 + 2j * np.pi * f * tau), m
    )
    t = np.arange(m) / _FM_RATE
    a *= 1 + 0.6 * np.sin(2 * np.pi * rng.uniform(2, 6) * t + rng.uniform(0, 2 * np.pi))
    a = np.fft.irfft(np.fft.rfft(np.tanh(2 * a / (np.std(a) + 1e-12))) * (f < 15e3), m)
    return a / (np.max(np.abs(a)) + 1e-12)


def _rds(rng: np.random.Generator, m: int) -> np.ndarray:
    """RDS baseband, peak 1: differentially coded bits, biphase symbols, cos-shaped to 2.4 kHz
    (IEC 62106 §4). Simplified: random bits, no group/checkword structure."""
    bits = int(m / _FM_RATE * _RDS_RATE) + 2
    level = 1.0 - 2.0 * (np.cumsum(rng.integers(0, 2, bits)) % 2)
    where = np.round((np.arange(bits) - rng.random()) * _FM_RATE / _RDS_RATE).astype(int)
    impulses = np.zeros(m)
    ok = (where >= 0) & (where < m)
    impulses[where[ok]] = level[ok]
    f = np.fft.rfftfreq(m, 1 / _FM_RATE)
    td = 1 / _RDS_RATE
    h = np.cos(np.pi * f * td / 4) * (f < 2 / td) * (1 - np.exp(-1j * np.pi * f * td))
    r = np.fft.irfft(np.fft.rfft(impulses) * h, m)
    return r / (np.max(np.abs(r)) + 1e-12)


def _fm_station(
    rng: np.random.Generator, m: int, deviation: float, stereo: bool, rds: bool, tau: float
) -> np.ndarray:
    """One station: MPX = programme (L+R, and L-R on 38 kHz DSB-SC when ``stereo``) + 19 kHz
    pilot (9 %) + RDS on 57 kHz (±2 kHz), all locked to the pilot; FM at ±``deviation``."""
    t = np.arange(m) / _FM_RATE
    theta = 2 * np.pi * 19e3 * t + rng.uniform(0, 2 * np.pi)
    mono = _programme(rng, m, tau)
    rds_share = 2e3 / deviation if rds else 0.0  # ±2 kHz
    if stereo:  # programme peaks at what the pilot and RDS leave of the peak deviation
        side = rng.uniform(0.2, 0.7) * _programme(rng, m, tau)
        mpx = (0.91 - rds_share) * (mono + side * np.sin(2 * theta))
        mpx = mpx / np.max(np.abs(mono) + np.abs(side)) + 0.09 * np.sin(theta)
    else:
        mpx = (1 - rds_share) * mono
    if rds:
        mpx = mpx + rds_share * _rds(rng, m) * np.sin(3 * theta)
    phase = 2 * np.pi * deviation * np.cumsum(mpx) / _FM_RATE
    return np.exp(1j * (phase + rng.uniform(0, 2 * np.pi)))


def fm_rds(
    duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any
) -> Waveform:
    """Band II FM broadcast: 1..``stations`` stations on a 100 kHz (Europe) or 200 kHz
    (Americas) ``raster_hz``, at least 200 kHz apart, ±``level_spread_db`` apart in level.

    ±``deviation_hz`` (75 kHz) peak deviation of a processed programme (ITU-R BS.450); stereo
    stations (probability ``stereo_probability``) carry the 19 kHz pilot and L-R on 38 kHz;
    RDS (``rds_probability``) is 1187.5 bit/s biphase BPSK on 57 kHz at ±2 kHz deviation
    (IEC 62106). Pre-emphasis 50 µs, 75 µs on the 200 kHz raster. 200 kHz occupied per station.
    Continuous: unit mean power.
    """
    p = resolve("fm_rds", RANGES["fm_rds"], rng, params)
    require(p["raster_hz"] in (100e3, 200e3), "fm_rds: raster_hz must be 100e3 or 200e3")
    limits = {"stations": (1, 40), "deviation_hz": (10e3, 100e3), "level_spread_db": (0, 40)}
    check_bounds(RANGES["fm_rds"], p, **limits, stereo_probability=(0, 1), rds_probability=(0, 1))
    canvas = Canvas(duration_s, sample_rate, _FM_RATE)
    raster, half = p["raster_hz"], 0.45 * sample_rate
    gap = max(1, round(200e3 / raster))
    centres = raster_points(rng, p["stations"], raster, 200e3, -half, half, gap)
    levels = rng.uniform(-p["level_spread_db"], p["level_spread_db"], centres.size)
    stereo = rng.random(centres.size) < p["stereo_probability"]
    rds = rng.random(centres.size) < p["rds_probability"]
    tau = 75e-6 if raster == 200e3 else 50e-6
    m = canvas.length(_FM_RATE)
    realised = []
    for fc, level, st, rd in zip(centres, levels, stereo, rds, strict=True):
        x = _fm_station(rng, m, p["deviation_hz"], st, rd, tau)
        realised.append(canvas.add(x, fc, 10 ** (level / 20)))
    p |= {
        **report(realised, levels),
        "stereo": [bool(v) for v in stereo],
        "rds": [bool(v) for v in rds],
    }
    occupied = visible_band(centres, 200e3, sample_rate)
    return Waveform(canvas.samples(), sample_rate, "Other", occupied, p)


RANGES: dict[str, dict[str, dict[str, Any]]] = {
    "dab": {
        "ensembles": {"int": [1, 3]},
        "level_spread_db": {"uniform": [0.0, 10.0]},
        "frame_phase": {"uniform": [0.0, 1.0]},
    },
    "dvbt2": {
        "bandwidth_mhz": {"weights": {"8": 6, "7": 2, "6": 1, "5": 0.5, "1.7": 0.5}},
        "fft_size": {
            "weights": {"1024": 1, "2048": 1, "4096": 1, "8192": 3, "16384": 4, "32768": 8}
        },
        "extended": {"bernoulli": 0.5},
        "guard": {"choice": list(_T2_GUARD)},
        "pilot_pattern": {"fixed": "auto"},
        "modulation": {"choice": ["QPSK", "16QAM", "64QAM", "256QAM"]},
        "frame_s": {"uniform": [0.1, 0.25]},
        "frame_phase": {"uniform": [0.0, 1.0]},
    },
    "fm_rds": {
        "stations": {"int": [1, 6]},
        "raster_hz": {"choice": [100e3, 200e3]},
        "deviation_hz": {"fixed": 75e3},
        "level_spread_db": {"uniform": [0.0, 15.0]},
        "stereo_probability": {"fixed": 0.85},
        "rds_probability": {"fixed": 0.9},
    },
}

KINDS: dict[str, Callable[..., Waveform]] = {"dab": dab, "dvbt2": dvbt2, "fm_rds": fm_rds}
