"""What the standards-based "Other" emitters (``emitters_*.py``) share: parameters, rotors,
resampling to the capture and spectral synthesis.

Every emitter is ``(duration_s, sample_rate, rng, **params) -> Waveform``: it completes
``params`` from its ``RANGES`` (draws.py specs) and refuses keys it does not know, builds its
signal at a native rate, and brings it to the capture rate in one of two ways. Bursty
emitters built in the time domain use ``resample_view`` (a polyphase filter); multi-carrier
ones are placed bin by bin into the capture's spectrum by ``Canvas``, which one inverse FFT
turns into samples. Both cut what lies outside the view, as a receiver would, never alias it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided
from scipy import fft as sfft
from scipy import signal

from .common import sample_count
from .draws import draw_params

# --- parameters ------------------------------------------------------------------------------


def draw_checked(
    kind: str,
    ranges: dict[str, Any],
    rng: np.random.Generator,
    params: dict[str, Any],
    outputs: tuple[str, ...] = (),
) -> dict[str, Any]:
    """``draw_params`` after refusing keys that are neither ranges nor this kind's outputs."""
    unknown = set(params) - set(ranges) - set(outputs) - {"kind"}
    if unknown:
        raise ValueError(f"{kind}: unknown parameters {sorted(unknown)}; use {sorted(ranges)}")
    return draw_params(ranges, rng, {k: v for k, v in params.items() if k in ranges})


def resolve(kind: str, ranges: dict[str, Any], rng: np.random.Generator, params: dict) -> dict:
    """``params`` completed from ``ranges``, ``kind`` first; numpy scalars given become Python
    values (JSON-ready); any key but the ranges' raises."""
    given = {k: v.item() if isinstance(v, np.generic) else v for k, v in params.items()}
    return {"kind": kind, **draw_checked(kind, ranges, rng, given)}


def require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def check_bounds(ranges: dict, p: dict[str, Any], **limits: tuple[float, float]) -> None:
    """Each named value of ``p`` is a number in [lo, hi] (an integer where its spec is "int")."""
    kind = p["kind"]
    for name, (lo, hi) in limits.items():
        v, integral = p[name], "int" in ranges[name]
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi
        require(ok and (not integral or float(v).is_integer()), f"{kind}: {name} in {lo}..{hi}")
        p[name] = int(v) if integral else v


# --- samples ---------------------------------------------------------------------------------


def unit_power(x: np.ndarray, duty: float = 1.0) -> np.ndarray:
    """``x`` scaled in place to unit mean power while on (``common.unit_power``, by BLAS)."""
    power = float(np.vdot(x, x).real) / max(x.size, 1) / max(duty, 1e-12)
    if power > 0:
        x *= np.float32(1 / math.sqrt(power))
    return x


def cis(angle: np.ndarray) -> np.ndarray:
    """exp(j ``angle``) as complex64 through float32 cos/sin (several times faster than
    np.exp); float32 keeps ~1e-7 of a turn, so reduce a long phase to one turn first."""
    angle = angle.astype(np.float32)
    out = np.empty(angle.size, np.complex64)
    out.real, out.imag = np.cos(angle), np.sin(angle)
    return out


def gaussian_taps(bt: float, sps: int, half: int) -> np.ndarray:
    """The unit-sum Gaussian frequency pulse of GMSK/GFSK with bandwidth-time ``bt`` at ``sps``
    samples per symbol, ``2 half + 1`` taps: sigma = sqrt(ln 2) / (2 pi BT) symbols."""
    sigma = math.sqrt(math.log(2)) / (2 * math.pi * bt) * sps
    g = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    return g / g.sum()


# --- resampling to the capture rate ----------------------------------------------------------


def rate_ratio(rate_in: float, rate_out: float) -> tuple[int, int]:
    """``rate_out / rate_in`` as ``(p, q)``, denominators up to 1000 (exact for SDR rates)."""
    ratio = Fraction(rate_out / rate_in).limit_denominator(1000)
    return ratio.numerator, ratio.denominator


@lru_cache(maxsize=32)
def _phase_groups(p: int, q: int, rate_in: float, pass_hz: float, stop_hz: float) -> tuple:
    """The Kaiser low-pass (60 dB) at ``p * rate_in`` cut into per-output-phase matrices.

    Outputs are taken ``P = c p`` at a time (``c`` periods, at least 32 outputs, so a decimator
    is not one output per period): output ``r P + i`` is ``sum_j W[i, j] x[r Q + j]`` with
    ``Q = c q``. The input windows of all blocks are copied once into a matrix; groups of up to
    32 phases multiply their own column slice of it (BLAS products, little wasted arithmetic).
    Returns ``(P, Q, j_min, width, groups)``, groups ``(i0, i1, first column, W^T)``.
    """
    up = p * rate_in
    taps, beta = signal.kaiserord(60.0, (stop_hz - pass_hz) / (up / 2))
    taps |= 1
    h = signal.firwin(taps, (pass_hz + stop_hz) / 2, window=("kaiser", beta), fs=up) * p
    length, centre = h.size, (h.size - 1) // 2
    c = -(-32 // p)
    groups = []
    for i0 in range(0, c * p, 32):
        i1 = min(c * p, i0 + 32)
        j_lo = -(-(i0 * q + centre - length + 1) // p)
        j_hi = ((i1 - 1) * q + centre) // p
        idx = np.arange(i0, i1)[:, None] * q - np.arange(j_lo, j_hi + 1)[None, :] * p + centre
        w = np.where((idx >= 0) & (idx < length), h[np.clip(idx, 0, length - 1)], 0.0)
        groups.append((i0, i1, j_lo, np.ascontiguousarray(w.T, dtype=np.float32)))
    j_min = min(g[2] for g in groups)
    width = max(g[2] + g[3].shape[0] for g in groups) - j_min
    groups = tuple((i0, i1, j - j_min, w) for i0, i1, j, w in groups)
    return c * p, c * q, j_min, width, groups


def resample_view(
    x: np.ndarray, rate_in: float, rate_out: float, n_out: int, band_hz: float, lead: int = 0
) -> np.ndarray:
    """``n_out`` samples at ``rate_out`` of ``x`` (content within ±``band_hz``) from ``lead`` on.

    What lies beyond ±0.45 ``rate_out`` is cut as an SDR's anti-alias filter would (a signal
    wider than the view is seen in part). ``lead`` (input samples of history before the first
    output, a multiple of ``q`` of ``rate_ratio``) lets the filter settle. Complex64 out.
    """
    p, q = rate_ratio(rate_in, rate_out)
    if lead % q:
        raise ValueError(f"lead {lead} must be a multiple of {q}")
    pass_hz = min(band_hz, 0.45 * rate_out)
    if p == q == 1 and band_hz <= 0.5 * rate_out:
        y = x[lead : lead + n_out]
        return np.concatenate([y, np.zeros(n_out - y.size, y.dtype)]).astype(np.complex64)
    stop_hz = min(rate_in - band_hz, rate_out - pass_hz)
    stop_hz = max(stop_hz, pass_hz + 0.03 * min(rate_in, rate_out))
    big_p, big_q, j_min, width, groups = _phase_groups(
        p, q, rate_in, round(pass_hz, 3), round(stop_hz, 3)
    )
    periods = -(-n_out // big_p)
    pad = max(0, -(lead + j_min))
    buf = np.zeros(
        (2, pad + max(x.size, lead + (periods - 1) * big_q + j_min + width) + 1), np.float32
    )
    buf[0, pad : pad + x.size] = x.real
    buf[1, pad : pad + x.size] = x.imag
    s0, s1 = buf.strides
    start = buf[:, pad + lead + j_min :]
    win = as_strided(start, shape=(2, periods, width), strides=(s0, big_q * s1, s1))
    win = np.ascontiguousarray(win).reshape(2 * periods, width)
    out = np.empty((2 * periods, big_p), np.float32)
    for i0, i1, col, w in groups:
        out[:, i0:i1] = win[:, col : col + w.shape[0]] @ w
    y = np.empty(n_out, np.complex64)
    y.real = out[:periods].reshape(-1)[:n_out]
    y.imag = out[periods:].reshape(-1)[:n_out]
    return y


def to_capture(
    x: np.ndarray,
    rate_in: float,
    rate_out: float,
    n_out: int,
    band_hz: float,
    duty: float,
    lead: int = 0,
) -> np.ndarray:
    """A bursty signal built at ``rate_in`` as the capture (``resample_view``), at unit mean
    power over the ``duty`` fraction of the window it is on; left as it is if never on."""
    y = resample_view(x, rate_in, rate_out, n_out, band_hz, lead)
    return unit_power(y, duty) if duty > 0 else y


def shift(x: np.ndarray, offset_hz: float, rate: float) -> np.ndarray:
    """``x`` moved up by ``offset_hz`` (float32 rotor, whole turns dropped in float64)."""
    turns = np.arange(x.size) * (offset_hz / rate)
    return x * cis(2 * np.pi * (turns - np.floor(turns)))


# --- spectral synthesis: carriers placed bin by bin -----------------------------------------


class Canvas:
    """The capture's spectrum, filled carrier by carrier, inverted once.

    Each carrier is built at its native rate over the window, transformed, and its bins are
    added at the carrier's offset: band-limited interpolation to any capture rate. Bins outside
    ±rate/2 are dropped, so a carrier wider than the view is cut, never aliased. It costs one
    FFT of the capture however many carriers there are, where ``resample_poly`` costs ~100 ms
    per carrier at 61.44 MS/s (25 ms).

    Native signals span ``span`` seconds (``length(rate)`` samples) from ``lead_s`` before the
    capture's first sample: the transform is circular, and the guard of >= 32 native samples
    each side keeps the ringing where the end wraps to the start out of the capture. The FFT
    size is 11-smooth, and where ``native_rate`` / rate is a ratio p / q of 13-smooth numbers, a
    multiple of q whose native length is smooth too: no transform needs Bluestein's (4x slower).
    """

    def __init__(self, duration_s: float, rate: float, native_rate: float) -> None:
        self.n = n = sample_count(duration_s, rate)
        self.rate = rate
        need = n + 2 * math.ceil(32 * rate / native_rate)
        self.size = sfft.next_fast_len(need)
        ratio = Fraction(native_rate / rate).limit_denominator(4096)
        p, q = ratio.numerator, ratio.denominator
        exact = p > 0 and abs(p / q * rate - native_rate) < 1e-6 * native_rate and q <= need
        if exact and _smooth(p) and _smooth(q):
            self.size = q * sfft.next_fast_len(-(-need // q))
        self.span = self.size / rate
        self.lead = (self.size - n) // 2
        self.lead_s = self.lead / rate
        self.spectrum = np.zeros(self.size, np.complex64)
        grid = min(n, 8192)  # where ``duty()`` looks: the carriers' on-masks, OR-ed
        self._grid_t = self.lead_s + (np.arange(grid) + 0.5) * (n / rate) / grid
        self.on = np.zeros(self._grid_t.size, bool)
        self._shapes: dict[tuple[Any, int], np.ndarray] = {}

    def length(self, native_rate: float) -> int:
        return max(1, round(self.span * native_rate))

    def add(
        self, x: np.ndarray, centre_hz: float, gain: float = 1.0, half_band_hz: float | None = None,
        shape: Callable[[np.ndarray], np.ndarray] | None = None, on: np.ndarray | None = None,
    ) -> float:  # fmt: skip
        """Add native ``x`` at ``centre_hz`` (whole bins, plus the remainder as a native shift).

        ``shape`` (a filter response of offset in Hz) with ``half_band_hz`` beyond the native
        Nyquist repeats ``x``'s periodic spectrum: symbols at one sample each become a
        pulse-shaped signal (RRC) with no time-domain filter. ``on`` (native-rate mask) adds
        to the union that ``duty()`` reports.
        """
        m = x.size
        df = self.rate / self.size
        kc = round(centre_hz / df)
        kmax = (m - 1) // 2 if half_band_hz is None else int(half_band_hz / df)
        lo = max(-kmax, -(self.size - 1) // 2 - kc)
        hi = min(kmax, (self.size - 1) // 2 - kc)
        if on is not None:
            self.on |= on[np.minimum((self._grid_t * m / self.span).astype(int), m - 1)]
        if lo > hi:
            return centre_hz
        if centre_hz != kc * df:  # the part of a bin left over, as a shift at the native rate
            turn = (2 * np.pi * (centre_hz / df - kc) / m * np.arange(m)).astype(np.float32)
            x = x * (np.cos(turn) + 1j * np.sin(turn))
        spectrum = sfft.fft(x.astype(np.complex64)) * np.float32(gain * self.size / m)
        vals = np.take(spectrum, np.arange(lo, hi + 1), mode="wrap")
        if shape is not None:  # one evaluation per filter and band, shared by the carriers
            key = (shape, kmax)
            if key not in self._shapes:
                f = np.arange(-kmax, kmax + 1) * df
                self._shapes[key] = shape(f).astype(np.float32)
            vals *= self._shapes[key][lo + kmax : hi + kmax + 1]
        self.spectrum[np.arange(kc + lo, kc + hi + 1) % self.size] += vals
        return centre_hz

    def duty(self) -> float:
        return float(self.on.mean())

    def samples(self, duty: float = 1.0) -> np.ndarray:
        """The capture, at unit mean power while on (``duty`` of the time)."""
        return unit_power(
            sfft.ifft(self.spectrum, overwrite_x=True)[self.lead : self.lead + self.n], duty
        )


def _smooth(v: int) -> bool:
    """No prime factor above 13: pocketfft has a direct pass for each."""
    for f in (2, 3, 5, 7, 11, 13):
        while v % f == 0:
            v //= f
    return v == 1


def raster_points(
    rng: np.random.Generator,
    count: int,
    raster: float,
    width: float,
    lo: float,
    hi: float,
    min_gap: int = 1,
) -> np.ndarray:
    """Up to ``count`` distinct centres k * ``raster`` whose ``width`` lies in [lo, hi], at
    least ``min_gap`` steps apart; one centre (cut by the view) where none fits."""
    kmin = math.ceil((lo + width / 2) / raster - 1e-9)
    kmax = math.floor((hi - width / 2) / raster + 1e-9)
    if kmin > kmax:
        return np.array([raster * round((lo + hi) / 2 / raster)])
    chosen: list[int] = []
    for k in rng.permutation(np.arange(kmin, kmax + 1)):
        if all(abs(int(k) - c) >= min_gap for c in chosen):
            chosen.append(int(k))
            if len(chosen) == count:
                break
    return raster * np.sort(np.array(chosen, float))


def visible_band(centres: np.ndarray, widths: Any, rate: float) -> float:
    """Hz of the carriers' bands inside ±rate/2 (the occupied band a receiver sees)."""
    c, w = np.asarray(centres, float), np.broadcast_to(np.asarray(widths, float), len(centres))
    lo, hi = np.maximum(c - w / 2, -rate / 2), np.minimum(c + w / 2, rate / 2)
    return float(min(np.clip(hi - lo, 0, None).sum(), rate))


def report(realised: list[float], levels: np.ndarray) -> dict[str, list[float]]:
    """The realised carrier offsets and levels, JSON-ready."""
    return {"offsets_hz": [float(f) for f in realised], "levels_db": [float(v) for v in levels]}


# --- sequences -------------------------------------------------------------------------------


def msequence(taps: tuple[int, ...], init: np.ndarray, length: int) -> np.ndarray:
    """Bits of x(i + D) = XOR over t in ``taps`` of x(i + t), D = len(init).

    Over GF(2), p(z)^(2^j) = p(z^(2^j)), so x also obeys the recurrence with every lag scaled
    by 2^j: each numpy step fills (D - max tap) 2^j bits, a few dozen steps for 2^18.
    """
    degree = len(init)
    x = np.zeros(max(length, degree), np.uint8)
    x[:degree] = init
    have = degree
    while have < length:
        s = 1
        while degree * s * 2 <= have:
            s *= 2
        new = min((degree - max(taps)) * s, length - have)
        i0 = have - degree * s
        acc = x[i0 + taps[0] * s : i0 + taps[0] * s + new].copy()
        for t in taps[1:]:
            acc ^= x[i0 + t * s : i0 + t * s + new]
        x[have : have + new] = acc
        have += new
    return x[:length]
