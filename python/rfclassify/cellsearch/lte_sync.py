"""LTE synchronisation signals (TS 36.211 §6.11) and their detection at 1.92 MS/s.

The PSS search correlates a window with the three Zadoff-Chu PSS (roots 25, 29, 34) in the
frequency domain, for many frequency hypotheses at once, and adds the normalised correlation
power of lags 5 ms apart (the PSS repeats every half frame). Each term is the squared
correlation divided by what white noise of the window's local power would give, so under noise
it is exponential with mean 1 and a sum of K terms is Gamma(K, 1): the detection threshold is
the Gamma quantile that leaves ``pfa`` for the whole search (every lag, root and frequency).

The SSS is then tried in the four places it can be (FDD or TDD, normal or extended CP), each
coherently against the channel the PSS gives, for all 168 N_ID_1 and both halves of the frame,
with its own false-alarm threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import fft as sp_fft
from scipy import stats

from .lte_phy import (
    CPS,
    DUPLEXES,
    HALF_FRAME,
    SCS,
    SEARCH_NFFT,
    SEARCH_RATE,
    smooth_channel,
    sss_lead,
)

PSS_ROOTS = (25, 29, 34)  # Table 6.11.1.1-1
SSS_SMOOTHING = 15  # subcarriers the PSS's channel estimate is averaged over for the SSS
PSS_BINS = np.concatenate([np.arange(-31, 0), np.arange(1, 32)])  # d(0..61) on FFT bins


def _ro(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@lru_cache(maxsize=3)
def pss_sequence(n_id_2: int) -> np.ndarray:
    """d_u(0..61) (§6.11.1.1): exp(-j pi u n (n+1) / 63), with n + 1 for n >= 31 (the ZC
    element on DC is not sent)."""
    if n_id_2 not in (0, 1, 2):
        raise ValueError(f"n_id_2 must be 0, 1 or 2, got {n_id_2!r}")
    n = np.arange(62)
    m = np.where(n < 31, n, n + 1)
    return _ro(np.exp(-1j * np.pi * PSS_ROOTS[n_id_2] * m * (m + 1) / 63))


def _m_sequence(taps: tuple[int, ...]) -> np.ndarray:
    """1 - 2 x(i) with x(i + 5) = sum of x(i + t) mod 2 and x(0..4) = 0, 0, 0, 0, 1."""
    x = [0, 0, 0, 0, 1]
    for i in range(26):
        x.append(sum(x[i + t] for t in taps) % 2)
    return 1 - 2 * np.array(x)


_S = _m_sequence((0, 2))  # s~: x(i+5) = x(i+2) + x(i)
_C = _m_sequence((0, 3))  # c~: x(i+5) = x(i+3) + x(i)
_Z = _m_sequence((0, 1, 2, 4))  # z~: x(i+5) = x(i+4) + x(i+2) + x(i+1) + x(i)


def sss_m0_m1(n_id_1: int) -> tuple[int, int]:
    """(m0, m1) of N_ID_1 (§6.11.2.1)."""
    qp = n_id_1 // 30
    q = (n_id_1 + qp * (qp + 1) // 2) // 30
    mp = n_id_1 + q * (q + 1) // 2
    m0 = mp % 31
    return m0, (m0 + mp // 31 + 1) % 31


def sss_sequence(n_id_1: int, n_id_2: int, subframe: int) -> np.ndarray:
    """d(0..61) of the SSS in subframe 0 or 5 (§6.11.2.1), as +-1."""
    if not 0 <= n_id_1 <= 167 or n_id_2 not in (0, 1, 2) or subframe not in (0, 5):
        raise ValueError(f"bad SSS parameters {n_id_1}, {n_id_2}, subframe {subframe}")
    m0, m1 = sss_m0_m1(n_id_1)
    n = np.arange(31)
    s0, s1 = _S[(n + m0) % 31], _S[(n + m1) % 31]
    c0, c1 = _C[(n + n_id_2) % 31], _C[(n + n_id_2 + 3) % 31]
    z0, z1 = _Z[(n + m0 % 8) % 31], _Z[(n + m1 % 8) % 31]
    d = np.empty(62)
    if subframe == 0:
        d[0::2], d[1::2] = s0 * c0, s1 * c1 * z0
    else:
        d[0::2], d[1::2] = s1 * c0, s0 * c1 * z1
    return d


@lru_cache(maxsize=3)
def sss_table(n_id_2: int) -> np.ndarray:
    """(2, 168, 62): the SSS of subframe 0 (row 0) and 5 (row 1) for every N_ID_1."""
    return _ro(np.array([[sss_sequence(n1, n_id_2, sf) for n1 in range(168)] for sf in (0, 5)]))


@lru_cache(maxsize=3)
def pss_time(n_id_2: int) -> np.ndarray:
    """The PSS's 128 samples at 1.92 MS/s (FFT window only), unit power per subcarrier."""
    grid = np.zeros(SEARCH_NFFT, dtype=complex)
    grid[PSS_BINS % SEARCH_NFFT] = pss_sequence(n_id_2)
    return _ro(np.fft.ifft(grid) * np.sqrt(SEARCH_NFFT))


@dataclass(frozen=True)
class PssPeak:
    freq_hz: float  # the frequency hypothesis (the band's centre, minus the capture's)
    n_id_2: int
    lag: int  # FFT-window start of the first PSS at 1.92 MS/s (0 <= lag < 5 ms)
    score: float  # folded statistic over its threshold (> 1 detected)
    folds: int  # how many half frames were added


class Window:
    """One window of a capture in the frequency domain, from which the 1.92 MS/s band around
    any frequency is cut (an ideal filter and resampler: bins in, bins out)."""

    def __init__(self, samples: np.ndarray, sample_rate: float, n: int, m: int):
        x = np.asarray(samples[:n], dtype=np.complex64)
        x = x - x.mean()  # a receiver's DC offset, between LTE's subcarriers anyway
        self.n, self.m, self.fs = n, m, float(sample_rate)
        self.df = self.fs / n  # == SEARCH_RATE / m
        self.spectrum = sp_fft.fft(x)
        k = np.fft.fftfreq(m, 1 / m).astype(np.int64)
        self._k = k
        self._inside = np.abs(k) < n / 2

    def bin_of(self, freq_hz: float) -> int:
        return round(freq_hz / self.df)

    def band(self, shifts: np.ndarray) -> np.ndarray:
        """(len(shifts), m) spectra at 1.92 MS/s centred on bin shifts of the window."""
        idx = (np.asarray(shifts)[:, None] + self._k[None, :]) % self.n
        out = self.spectrum[idx] * np.float32(self.m / self.n)
        if not self._inside.all():
            out[:, ~self._inside] = 0
        return out

    def baseband(self, freq_hz: float) -> tuple[np.ndarray, float]:
        """(samples at 1.92 MS/s around ``freq_hz``, the frequency actually used)."""
        b = self.bin_of(freq_hz)
        return sp_fft.ifft(self.band(np.array([b]))[0]), b * self.df


@lru_cache(maxsize=4)
def _templates(m: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(conj spectra of the three PSS zero-padded to m, the PSS band mask, its noise share)."""
    conj = np.conj(sp_fft.fft(np.array([pss_time(u) for u in range(3)]), m, axis=-1))
    freqs = np.fft.fftfreq(m, 1 / SEARCH_RATE)
    mask = np.abs(freqs) <= 32 * SCS
    return conj.astype(np.complex64), mask, float(mask.mean())


def pss_statistic(spectra: np.ndarray, roots: tuple[int, ...] = (0, 1, 2)) -> np.ndarray:
    """(B, len(roots), m - 127) normalised correlation power at every full-PSS lag of B band
    spectra."""
    m = spectra.shape[-1]
    n_lags = m - 127
    conj, mask, share = _templates(m)
    conj = conj[list(roots)]
    corr = sp_fft.ifft(spectra[:, None, :] * conj[None], axis=-1)[..., :n_lags]
    power = _power(sp_fft.ifft(spectra * mask, axis=-1))
    # local power over [t, t + 128) from 32-sample blocks: blocks t // 32 .. t // 32 + 4
    blocks = -(-m // _BLOCK)
    padded = np.zeros((power.shape[0], (blocks + 5) * _BLOCK), dtype=np.float32)
    padded[:, :m] = power
    per_block = padded.reshape(power.shape[0], -1, _BLOCK).mean(axis=-1)
    windowed = sum(per_block[:, i : i + blocks] for i in range(5)) / 5
    local = np.repeat(windowed, _BLOCK, axis=-1)[:, :n_lags]
    norm = float(np.sum(np.abs(pss_time(0)) ** 2))
    floor = np.float32(1e-12 * max(float(local.mean()), 1e-30))
    inverse = np.float32(share / norm) / np.maximum(local, floor)
    return _power(corr) * inverse[:, None, :]


_BLOCK = 32


def _power(z: np.ndarray) -> np.ndarray:
    a = np.abs(z)
    a *= a
    return a


def fold(stat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum lags 5 ms apart: (..., n) -> ((..., min(n, 9600)), terms per folded lag)."""
    n = stat.shape[-1]
    period = min(n, HALF_FRAME)
    reps = -(-n // period)
    padded = np.zeros((*stat.shape[:-1], reps * period), dtype=stat.dtype)
    padded[..., :n] = stat
    counts = np.bincount(np.arange(n) % period, minlength=period)
    return padded.reshape(*stat.shape[:-1], reps, period).sum(axis=-2), counts


def gamma_threshold(pfa: float, tests: int, terms: np.ndarray) -> np.ndarray:
    """Threshold on a sum of ``terms`` Exp(1) variables that noise passes with probability
    ``pfa`` over ``tests`` tries."""
    uniq = np.unique(terms)
    table = {int(k): float(stats.gamma.isf(pfa / tests, int(k))) for k in uniq}
    return np.array([table[int(k)] for k in terms])


def detect_pss(
    window: Window, freqs_hz: np.ndarray, pfa: float = 1e-6, per_hypothesis: int = 2
) -> list[PssPeak]:
    """PSS peaks above the false-alarm threshold, best first, at most ``per_hypothesis`` per
    frequency and root (local maxima at least one CP apart)."""
    shifts = np.unique([window.bin_of(f) for f in freqs_hz])
    n_lags = window.m - 127
    if n_lags < 64:
        return []
    period = min(n_lags, HALF_FRAME)
    tests = period * 3 * len(shifts)
    peaks: list[PssPeak] = []
    threshold = None
    batch = max(1, int(6e5 // window.m))
    for i in range(0, len(shifts), batch):
        chunk = shifts[i : i + batch]
        folded, counts = fold(pss_statistic(window.band(chunk)))
        if threshold is None:
            threshold = gamma_threshold(pfa, tests, counts)
        ratio = folded / threshold
        for b, shift in enumerate(chunk):
            for u in range(3):
                r = ratio[b, u]
                for lag in _local_maxima(r, per_hypothesis):
                    peaks.append(PssPeak(float(shift * window.df), u, int(lag), float(r[lag]), 0))
    peaks = [
        PssPeak(p.freq_hz, p.n_id_2, p.lag, p.score, int(counts[p.lag]))
        for p in peaks
        if p.score > 1
    ]
    return sorted(peaks, key=lambda p: -p.score)


def _local_maxima(r: np.ndarray, count: int, guard: int = 10) -> list[int]:
    """Indices of up to ``count`` largest values above 1, each the largest within +-guard."""
    out: list[int] = []
    above = np.flatnonzero(r > 1)
    if above.size == 0:
        return out
    order = above[np.argsort(-r[above])]
    for i in order:
        if all(min(abs(i - j), r.size - abs(i - j)) > guard for j in out):
            out.append(int(i))
            if len(out) == count:
                break
    return out


def occurrences(lag: int, length: int, lead: int = 0) -> np.ndarray:
    """PSS FFT starts lag + k * 5 ms with the PSS (and ``lead`` samples before it) inside."""
    starts = lag + HALF_FRAME * np.arange(-1, length // HALF_FRAME + 2)
    return starts[(starts - lead >= 0) & (starts + SEARCH_NFFT <= length)]


def fine_cfo(y: np.ndarray, lags: np.ndarray, n_id_2: int) -> float:
    """Frequency error (Hz) left at 1.92 MS/s, from the phase between the two halves of each
    PSS (unambiguous within +-15 kHz)."""
    p = np.conj(pss_time(n_id_2))
    z = 0j
    for t in lags:
        r = y[t : t + SEARCH_NFFT] * p
        z += np.vdot(r[:64], r[64:])
    return float(np.angle(z) * SEARCH_RATE / (2 * np.pi * 64))


def symbol_fft(y: np.ndarray, start: int, bins: np.ndarray) -> np.ndarray:
    """The values on ``bins`` of the 128-point FFT at ``start``, unit power per subcarrier."""
    return np.fft.fft(y[start : start + SEARCH_NFFT])[bins % SEARCH_NFFT] / np.sqrt(SEARCH_NFFT)


@dataclass(frozen=True)
class SssResult:
    n_id_1: int
    duplex: str
    cp: str
    first_is_subframe0: bool  # the PSS at ``lags[0]`` is in the first half of a frame
    score: float  # normalised metric over its threshold (> 1 detected)
    metric: float


def detect_sss(
    y: np.ndarray, lags: np.ndarray, n_id_2: int, backoff: int = 2, pfa: float = 1e-3
) -> SssResult | None:
    """The best SSS hypothesis over N_ID_1, half frame, duplex and CP, or None if no PSS
    occurrence leaves room for any SSS. Each occurrence's metric is Re(sum Z_k d_k) scaled to
    unit variance under noise (Z: the SSS symbol times the PSS's conjugate channel)."""
    pss = pss_sequence(n_id_2)
    table = sss_table(n_id_2).reshape(336, 62)
    best: SssResult | None = None
    n_hyp = len(DUPLEXES) * len(CPS) * 2 * 168
    thr = float(stats.norm.isf(pfa / n_hyp))
    channels = {}
    for j, t in enumerate(lags):
        if t - backoff >= 0 and t - backoff + SEARCH_NFFT <= y.size:
            raw = symbol_fft(y, t - backoff, PSS_BINS) * np.conj(pss)
            channels[j] = smooth_channel(raw, PSS_BINS, SSS_SMOOTHING)
    for duplex in DUPLEXES:
        for cp in CPS:
            lead = sss_lead(duplex, cp)
            acc = np.zeros((2, 168))
            used = 0
            for j, h in channels.items():
                s = lags[j] - backoff - lead
                if s < 0:
                    continue
                z = symbol_fft(y, s, PSS_BINS) * np.conj(h)
                scale = np.sqrt(np.sum(np.abs(z) ** 2) / 2) + 1e-30
                m = (table @ z.real).reshape(2, 168) / scale
                acc += m if j % 2 == 0 else m[::-1]
                used += 1
            if not used:
                continue
            acc /= np.sqrt(used)
            half, n1 = np.unravel_index(int(np.argmax(acc)), acc.shape)
            value = float(acc[half, n1])
            if best is None or value / thr > best.score:
                best = SssResult(int(n1), duplex, cp, half == 0, value / thr, value)
    return best


def snr_from_pss(y: np.ndarray, lags: np.ndarray, n_id_2: int, backoff: int = 2) -> float:
    """SNR per resource element (dB) from the PSS: the channel's power from the correlation of
    neighbouring subcarriers' estimates (noise-free in expectation), the noise from the rest."""
    pss = pss_sequence(n_id_2)
    sig = tot = 0.0
    for t in lags:
        if t - backoff < 0:
            continue
        h = symbol_fft(y, t - backoff, PSS_BINS) * np.conj(pss)
        sig += float(np.abs(np.vdot(h[:-1], h[1:]))) / (h.size - 1)
        tot += float(np.mean(np.abs(h) ** 2))
    noise = max(tot - sig, 1e-6 * max(tot, 1e-30))
    return float(10 * np.log10(max(sig, 1e-30) / noise))


__all__ = [
    "PSS_ROOTS",
    "PssPeak",
    "SssResult",
    "Window",
    "detect_pss",
    "detect_sss",
    "fine_cfo",
    "occurrences",
    "pss_sequence",
    "pss_time",
    "snr_from_pss",
    "sss_sequence",
]
