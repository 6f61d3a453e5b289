"""Put a generated carrier where a receiver sees it: at the capture rate, off-centre.

A station rarely tunes exactly to a carrier's centre, and its capture rate is whatever the SDR
offers: 30.72 MS/s for a USRP watching a 20 MHz LTE carrier, 2.4 MS/s for an RTL-SDR that sees
only a slice of it. So a waveform generated at its native rate is resampled to the capture rate
and shifted by the tuning offset, in the order that never aliases: up-sample before shifting,
shift before down-sampling (the down-sampler's filter then cuts the view out of the carrier).
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np
from scipy import fft as sp_fft
from scipy import signal
from scipy.signal import resample_poly

from .common import Waveform


def rational_ratio(to_rate: float, from_rate: float, max_denominator: int = 4096) -> Fraction:
    """``to_rate / from_rate`` as a small fraction (exact for the 3GPP rates: 30.72/15.36 ...)."""
    ratio = Fraction(to_rate / from_rate).limit_denominator(max_denominator)
    if ratio <= 0:
        raise ValueError(f"rates must be positive: {to_rate} / {from_rate}")
    return ratio


def resample(samples: np.ndarray, from_rate: float, to_rate: float) -> np.ndarray:
    """Polyphase resampling (Kaiser-windowed FIR, beta 8) to ``to_rate``; complex64 out.
    See ``resample_rational``."""
    ratio = rational_ratio(to_rate, from_rate)
    return resample_rational(samples, ratio.numerator, ratio.denominator, beta=8.0)


def resample_rational(x: np.ndarray, up: int, down: int, beta: float = 5.0) -> np.ndarray:
    """``resample_poly(x, up, down, window=("kaiser", beta))``, in the frequency domain.

    The same response (20 max(up, down) + 1 taps), the same aliasing of the band edges and the
    same ceil(n up / down) samples, for two FFTs of fast lengths (``_fourier_resample``)
    instead of a direct polyphase filter whose cost grows with up and down. Ratios with a
    prime factor above 127, and short inputs, go to ``resample_poly`` itself; complex64 out.
    """
    x = np.asarray(x, dtype=np.complex64)
    if up == down:
        return x
    if x.size < 4 * _MIN_BRIDGE or max(_largest_prime(up), _largest_prime(down)) > 127:
        return resample_poly(x, up, down, window=("kaiser", beta)).astype(np.complex64)
    return _fourier_resample(x, up, down, beta)


def _largest_prime(value: int) -> int:
    largest, p = 1, 2
    while p * p <= value:
        while value % p == 0:
            largest, value = p, value // p
        p += 1
    return max(largest, value)


@lru_cache(maxsize=64)
def _poly_response(up: int, down: int, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """``resample_poly``'s filter as a zero-phase amplitude (its delay is compensated there),
    gain ``up`` included, at f cycles per up-sampled sample, up to where it stays under 1e-4 up
    (or twice the cut-off: sidelobes beyond alias at that level)."""
    wide = max(up, down)
    half = 10 * wide
    h = signal.firwin(2 * half + 1, 1 / wide, window=("kaiser", beta))
    size = sp_fft.next_fast_len(32 * h.size)
    response = sp_fft.rfft(h, size)[: size // wide + 2]
    f = np.arange(response.size) / size
    amplitude = (response * np.exp(2j * np.pi * f * half)).real
    last = min(int(np.flatnonzero(np.abs(amplitude) > 1e-4)[-1]) + 2, f.size)
    return f[:last], (amplitude[:last] * up).astype(np.float32)


_RESAMPLE_BLOCK = 16384  # the longer side (input or output) of one resampling block


def _fourier_resample(x: np.ndarray, up: int, down: int, beta: float) -> np.ndarray:
    """y = decimate_down(h * upsample_up(x)) in overlapping blocks, all in one batched FFT.

    Per block of L = down k inputs: its spectrum tiled ``up`` times (only where the filter is
    not zero), times the filter's amplitude, folded ``down`` times onto M = up k bins, inverse
    FFT. The filter spans 10 max(up, down) / up inputs each side, so outputs that far from a
    block's ends are exact and the blocks overlap by that much; zeros before and after the
    input, as ``resample_poly`` assumes. Small FFTs stay in cache: 4-5 times faster per point
    than one FFT of the whole signal.
    """
    n = x.size
    out_n = -(-n * up // down)
    f, amplitude = _poly_response(up, down, beta)
    margin = -(-10 * max(up, down) // (up * down)) + 1  # in steps of ``down`` inputs
    k = sp_fft.next_fast_len(max(_RESAMPLE_BLOCK // max(up, down), 4 * margin))
    hop_in, hop_out = down * (k - 2 * margin), up * (k - 2 * margin)
    blocks = -(-out_n // hop_out)
    padded = np.zeros(max((blocks - 1) * hop_in + down * k, down * margin + n), np.complex64)
    padded[down * margin : down * margin + n] = x
    frames = np.lib.stride_tricks.sliding_window_view(padded, down * k)[::hop_in][:blocks]
    spectra = sp_fft.fft(frames, axis=1)
    high = up * down * k  # the up-sampled block length: its bins are 1 / high cycles apart
    edge = min(int(f[-1] * high), (high - 1) // 2)
    u = np.arange(-edge, edge + 1)
    weights = (np.interp(np.abs(u) * (1 / high), f, amplitude) / down).astype(np.float32)
    start = (-edge) % (up * k)
    folded = np.zeros((blocks, -(-(start + u.size) // (up * k)) * up * k), np.complex64)
    folded[:, start : start + u.size] = spectra[:, u % (down * k)] * weights
    y = folded.reshape(blocks, -1, up * k).sum(axis=1)
    y = sp_fft.ifft(y, axis=1, overwrite_x=True)[:, up * margin : up * margin + hop_out]
    return y.ravel()[:out_n]


def rotor(n: int, cycles_per_sample: float, phase: float = 0.0) -> np.ndarray:
    """exp(j (2 pi f k + phase)), k < n, complex64, for n + n / 1024 exponentials' cost.

    A block of 1024 fine steps times one coarse step per block, each from whole turns dropped
    in float64: exact to float32 rounding at any k, where a float32 phase ramp would not be.
    """
    block = 1024
    rows = -(-n // block)
    fine = np.arange(block) * cycles_per_sample
    coarse = np.arange(rows) * (block * cycles_per_sample)
    fine = np.exp(2j * np.pi * (fine - np.floor(fine))).astype(np.complex64)
    coarse = np.exp(1j * (2 * np.pi * (coarse - np.floor(coarse)) + phase)).astype(np.complex64)
    return (coarse[:, None] * fine[None, :]).ravel()[:n]


def frequency_shift(samples: np.ndarray, offset_hz: float, rate: float, phase: float = 0.0):
    """Multiply by exp(j 2 pi f t): the signal moves up by ``offset_hz``."""
    x = np.asarray(samples, dtype=np.complex64)
    return x * rotor(x.size, offset_hz / rate, phase)


def place(waveform: Waveform, capture_rate: float, offset_hz: float = 0.0) -> Waveform:
    """The waveform as a receiver at ``capture_rate`` tuned ``-offset_hz`` from it sees it.

    ``offset_hz`` is where the carrier's centre lands relative to the capture's centre. Parts of
    the carrier outside ``±capture_rate / 2`` are filtered away (a partial view), never aliased.
    ``occupied_bandwidth`` becomes the part of the carrier inside the view.
    """
    if not capture_rate > 0:
        raise ValueError(f"capture rate must be positive, got {capture_rate}")
    native = waveform.sample_rate
    half_bw = waveform.occupied_bandwidth / 2
    if not abs(offset_hz) < capture_rate / 2 + half_bw:
        raise ValueError(
            f"offset {offset_hz / 1e6:g} MHz puts the whole carrier outside the "
            f"{capture_rate / 1e6:g} MS/s view"
        )
    if (capture_rate == native and abs(offset_hz) + half_bw <= 0.45 * native) or (
        abs(offset_hz) + 0.55 * capture_rate <= 0.5 * native
    ):
        # Shifting at the native rate is safe: either the shifted band stays inside it, or
        # what wraps around lands outside the view, where the down-sampler removes it.
        x = frequency_shift(waveform.samples, offset_hz, native)
        x = resample(x, native, capture_rate)
    else:
        # Shift at a rate wide enough to hold the shifted native band: nothing wraps around.
        high = max(capture_rate, native * math.ceil((native + 2 * abs(offset_hz)) / native))
        x = resample(waveform.samples, native, high)
        x = frequency_shift(x, offset_hz, high)
        x = resample(x, high, capture_rate)
    lo = max(offset_hz - waveform.occupied_bandwidth / 2, -capture_rate / 2)
    hi = min(offset_hz + waveform.occupied_bandwidth / 2, capture_rate / 2)
    params = {
        **waveform.params,
        "native_rate": native,
        "capture_rate": capture_rate,
        "offset_hz": offset_hz,
        "visible_fraction": max(0.0, hi - lo) / waveform.occupied_bandwidth,
    }
    return Waveform(x, capture_rate, waveform.label, max(0.0, hi - lo), params)


# --- Fourier resampling by a ratio close to 1, at FFT lengths pocketfft does fast ---------

# Prime factors up to 127 keep pocketfft on its radix passes; a larger one sends it to
# Bluestein's algorithm, 5-8 times slower. A complex64 FFT of length N takes about
# 1.73 log2(N) - 20.3 ns per point plus, per prime factor, these (least squares over 300
# lengths from 40k to 1.8M, best of 7 interleaved runs; within 6 % at the median, 11 % at the
# 90th percentile; a factor p > 13 costs 0.146 p - 0.77).
_FFT_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
               79, 83, 89, 97, 101, 103, 107, 109, 113, 127)  # fmt: skip
_FACTOR_NS = {2: 0.0, 3: 0.127, 5: 0.422, 7: 0.666, 11: 1.768, 13: 1.467}
_MIN_BRIDGE = 64  # samples of padding that join the signal's end smoothly to its start
_MAX_DRIFT = 0.1  # samples: how far the realised time axis may stray, at the last sample


@lru_cache(maxsize=1)
def _fast_lengths(limit: int = 1 << 23) -> tuple[np.ndarray, np.ndarray]:
    """Every length up to ``limit`` with no prime factor above 127, sorted, and the time of a
    complex FFT of it by the model above (ns)."""
    values, big = np.ones(1, np.int64), np.zeros(1)
    for p in _FFT_PRIMES:
        parts, bigs = [values], [big]
        while True:
            values, big = values * p, big + _FACTOR_NS.get(p, 0.146 * p - 0.772)
            keep = values <= limit
            values, big = values[keep], big[keep]
            if not values.size:
                break
            parts.append(values)
            bigs.append(big)
        values, big = np.concatenate(parts), np.concatenate(bigs)
    order = np.argsort(values)
    per_point = np.maximum(1.725 * np.log2(np.maximum(values, 2)) - 20.3 + big, 1.0)
    return values[order], (values * per_point)[order]


def _fast_pair(n: int, ratio: float, out_n: int) -> tuple[int, int] | None:
    """Padded input length N (n + 64 .. 2n) and output length M = round(N ratio), both fast,
    whose time axis strays at most ``_MAX_DRIFT`` samples by output ``out_n``; the cheapest
    such pair, or None."""
    lengths, costs = _fast_lengths()
    first, last = np.searchsorted(lengths, [n + _MIN_BRIDGE, 2 * n + _MIN_BRIDGE])
    big_n = lengths[first:last]
    big_m = np.rint(big_n * ratio).astype(np.int64)
    at = np.minimum(np.searchsorted(lengths, big_m), lengths.size - 1)
    drift = out_n * np.abs(big_n / big_m - 1 / ratio)
    ok = (lengths[at] == big_m) & (drift <= _MAX_DRIFT)
    if not ok.any():
        return None
    best = int(np.argmin(np.where(ok, costs[first:last] + costs[at], np.inf)))
    return int(big_n[best]), int(big_m[best])


def _bridge(x: np.ndarray, length: int) -> np.ndarray:
    """``length`` samples that lead from x's end back to its start: the two mirror images
    cross-faded, so the periodic signal the FFT sees has no step (which would ring)."""
    i = np.arange(length)
    fade = (0.5 - 0.5 * np.cos(np.pi * (i + 0.5) / length)).astype(np.float32)
    tail = x[np.clip(x.size - 2 - i, 0, x.size - 1)]
    head = x[np.clip(length - i, 0, x.size - 1)]
    return tail * (1 - fade) + head * fade


def time_scale(samples: np.ndarray, ratio: float, out_n: int) -> np.ndarray:
    """``samples`` read at input times m / ``ratio``, m < ``out_n``: band-limited (Fourier)
    interpolation, complex64 (zeros past the input's end).

    The input is padded by a bridge to a length N whose output length M = round(N ratio) is
    a fast FFT length too and keeps the time axis within 0.1 sample of the exact one by output
    ``out_n``; where no such pair exists (short inputs) N = n and M = round(n ratio), both as
    they come: the result is the same, only slower. A ratio below 1 cuts the spectrum's edges.
    """
    x = np.asarray(samples, dtype=np.complex64)
    pair = _fast_pair(x.size, ratio, out_n) if x.size >= 4 * _MIN_BRIDGE else None
    if pair is None:
        big_n, big_m = x.size, max(1, round(x.size * ratio))
        spectrum = sp_fft.fft(x)
    else:
        big_n, big_m = pair
        spectrum = sp_fft.fft(np.concatenate([x, _bridge(x, big_n - x.size)]), overwrite_x=True)
    keep = min(big_n, big_m)
    scaled = np.zeros(big_m, np.complex64)
    scaled[: (keep + 1) // 2] = spectrum[: (keep + 1) // 2]
    scaled[big_m - keep // 2 :] = spectrum[big_n - keep // 2 :]
    scaled *= np.float32(big_m / big_n)
    y = sp_fft.ifft(scaled, overwrite_x=True)[:out_n]
    return y if y.size == out_n else np.concatenate([y, np.zeros(out_n - y.size, y.dtype)])


def combine(waveforms: list[Waveform], powers_db: list[float] | None = None) -> np.ndarray:
    """Sum waveforms already at one capture rate (two carriers side by side), each scaled to
    ``powers_db`` of mean power; the result is as long as the shortest."""
    if not waveforms:
        raise ValueError("nothing to combine")
    rates = {w.sample_rate for w in waveforms}
    if len(rates) != 1:
        raise ValueError(f"waveforms must share one rate to be combined, got {sorted(rates)}")
    powers_db = powers_db or [0.0] * len(waveforms)
    n = min(w.samples.size for w in waveforms)
    out = np.zeros(n, dtype=np.complex64)
    for w, p in zip(waveforms, powers_db, strict=True):
        x = w.samples[:n]
        power = float(np.mean(np.abs(x) ** 2)) or 1.0
        out += (x * np.sqrt(10 ** (p / 10) / power)).astype(np.complex64)
    return out
