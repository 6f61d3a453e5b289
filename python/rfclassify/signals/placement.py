"""Put a generated carrier where a receiver sees it: at the capture rate, off-centre.

A station rarely tunes exactly to a carrier's centre, and its capture rate is whatever the SDR
offers: 30.72 MS/s for a USRP watching a 20 MHz LTE carrier, 2.4 MS/s for an RTL-SDR that sees
only a slice of it. So a waveform generated at its native rate is resampled to the capture rate
and shifted by the tuning offset, in the order that never aliases: up-sample before shifting,
shift before down-sampling (the down-sampler's filter then cuts the view out of the carrier).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise

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


def frames(x: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """(len(starts), length) complex64: row b is x[starts[b]:][:length], zeros outside x; one
    copy of the data (no padded copy of the whole signal first). ``starts`` ascending."""
    starts = np.asarray(starts, np.int64)
    out = np.empty((starts.size, length), np.complex64)
    first = int(np.searchsorted(starts, 0))
    last = max(first, int(np.searchsorted(starts, x.size - length, side="right")))
    if last > first:  # the rows wholly inside x
        view = np.lib.stride_tricks.sliding_window_view(x, length)
        inner = starts[first:last]
        hop = int(inner[1] - inner[0]) if inner.size > 1 else 1
        if hop > 0 and (inner.size == 1 or (np.diff(inner) == hop).all()):
            out[first:last] = view[inner[0] : inner[-1] + 1 : hop]  # a strided view: one copy
        else:
            out[first:last] = view[inner]
    for b in [*range(first), *range(last, starts.size)]:
        lo = int(starts[b])
        part = x[max(lo, 0) : max(lo + length, 0)]
        out[b] = 0
        out[b, max(-lo, 0) : max(-lo, 0) + part.size] = part
    return out


def _runs(first: int, count: int, *periods: int) -> list[tuple[int, int]]:
    """Split first .. first + count - 1 where any index crosses a multiple of a period:
    (offset, length) pieces over which every ``index % period`` is contiguous."""
    cuts = {0, count}
    for period in periods:
        cuts.update(range((-first) % period, count, period))
    edges = sorted(c for c in cuts if 0 <= c <= count)
    return [(lo, hi - lo) for lo, hi in pairwise(edges) if hi > lo]


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
    size_in, size_out = down * k, up * k
    hop_in, hop_out = down * (k - 2 * margin), up * (k - 2 * margin)
    blocks = -(-out_n // hop_out)
    spectra = frames(x, np.arange(blocks) * hop_in - down * margin, size_in)
    spectra = sp_fft.fft(spectra, axis=1, overwrite_x=True)
    high = up * size_in  # the up-sampled block length: its bins are 1 / high cycles apart
    edge = min(int(f[-1] * high), (high - 1) // 2)
    weights = np.interp(np.abs(np.arange(-edge, edge + 1)) * (1 / high), f, amplitude)
    weights = (weights / down).astype(np.float32)
    y = np.zeros((blocks, size_out), np.complex64)
    for offset, length in _runs(-edge, 2 * edge + 1, size_in, size_out):
        u = offset - edge  # the bins u .. u + length - 1 of the up-sampled spectrum
        source, target = u % size_in, u % size_out
        y[:, target : target + length] += (
            spectra[:, source : source + length] * weights[offset : offset + length]
        )
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
# Bluestein's algorithm, 5-8 times slower. Time per point of a complex64 FFT of length N,
# least squares over ~300 lengths (best of 5-7 interleaved runs, within 4-6 % at the median):
# one transform, 1.73 log2(N) - 20.3 ns, plus per prime factor the first figure (a factor
# p > 13: 0.146 p - 0.77); in four steps (N >= 2^17), 12.6 - 0.168 log2(N) ns plus the second
# (p > 13: 0.072 p - 0.68).
_FFT_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
               79, 83, 89, 97, 101, 103, 107, 109, 113, 127)  # fmt: skip
_FACTOR_NS = {2: (0.0, 0.0), 3: (0.127, 0.046), 5: (0.422, 0.187), 7: (0.666, 0.086),
              11: (1.768, 0.625), 13: (1.467, 0.769)}  # fmt: skip
_MIN_BRIDGE = 64  # samples of padding that join the signal's end smoothly to its start
_MAX_DRIFT = 0.02  # samples: how far the realised time axis may stray, at the last sample
_MIN_SPAN = 1 << 18  # padded lengths up to this are tried whatever n (short FFTs are cheap)


@lru_cache(maxsize=1)
def _fast_lengths(limit: int = 1 << 23) -> tuple[np.ndarray, np.ndarray]:
    """Every length up to ``limit`` with no prime factor above 127, sorted, and the time of a
    complex FFT of it by the models above (ns)."""
    values, one, four = np.ones(1, np.int64), np.zeros(1), np.zeros(1)
    for p in _FFT_PRIMES:
        extra = _FACTOR_NS.get(p, (0.146 * p - 0.772, 0.072 * p - 0.683))
        parts = [(values, one, four)]
        while True:
            values, one, four = values * p, one + extra[0], four + extra[1]
            keep = values <= limit
            values, one, four = values[keep], one[keep], four[keep]
            if not values.size:
                break
            parts.append((values, one, four))
        values, one, four = (np.concatenate(column) for column in zip(*parts, strict=True))
    log_n = np.log2(np.maximum(values, 2))
    per_point = np.where(
        values >= _FOUR_STEP_MIN, 12.63 - 0.168 * log_n + four, 1.725 * log_n - 20.3 + one
    )
    order = np.argsort(values)
    return values[order], (values * np.maximum(per_point, 1.0))[order]


def _fast_pair(n: int, ratio: float, out_n: int) -> tuple[int, int] | None:
    """Padded input length N and output length M = round(N ratio), both fast, whose time axis
    strays at most ``_MAX_DRIFT`` samples by output ``out_n``; the cheapest such pair, or None.

    N runs from n + 64 to 2n (at least 2^18), further for ratios very close to 1, up to 8n:
    M - N is a whole number, so N (ratio - 1) must come near one, which needs N near
    1 / |ratio - 1| at least."""
    lengths, costs = _fast_lengths()
    reach = 1.2 / max(abs(ratio - 1), 1e-12)
    span = int(min(max(2 * n, _MIN_SPAN, reach), max(8 * n, _MIN_SPAN))) + _MIN_BRIDGE
    first, last = np.searchsorted(lengths, [n + _MIN_BRIDGE, span])
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


def time_scale(
    samples: np.ndarray,
    ratio: float,
    out_n: int,
    spectral: Callable[[np.ndarray], None] | None = None,
) -> np.ndarray:
    """``samples`` read at input times m / ``ratio``, m < ``out_n``: band-limited (Fourier)
    interpolation, complex64 (zeros past the input's end).

    The input is padded by a bridge to a length N whose output length M = round(N ratio) is
    a fast FFT length too and keeps the time axis within 0.02 sample of the exact one by output
    ``out_n``; where no such pair exists (short inputs) N = n and M = round(n ratio), both as
    they come: the result is the same, only slower. A ratio below 1 cuts the spectrum's edges.
    Long transforms go in four steps (``_four_step``). ``spectral`` (optional) acts in place on
    the output's spectrum (length M, bin order, at the output rate) before the inverse
    transform: a later filter applied there costs no FFT of its own.
    """
    x = np.asarray(samples, dtype=np.complex64)
    pair = _fast_pair(x.size, ratio, out_n) if x.size >= 4 * _MIN_BRIDGE else None
    big_n, big_m = pair or (x.size, max(1, round(x.size * ratio)))
    padded = np.concatenate([x, _bridge(x, big_n - x.size)]) if pair else x.copy()
    spectrum = _four_step(padded, -1)  # (rows, width): row-major, the spectrum in bin order
    keep = min(big_n, big_m)
    scaled = np.zeros(big_m, np.complex64)
    _copy_bins(scaled, 0, spectrum, 0, (keep + 1) // 2)
    _copy_bins(scaled, big_m - keep // 2, spectrum, big_n - keep // 2, keep // 2)
    scaled *= np.float32(big_m / big_n)
    if spectral is not None:
        spectral(scaled)
    y = _four_step(scaled, 1).reshape(-1)[:out_n]
    return y if y.size == out_n else np.concatenate([y, np.zeros(out_n - y.size, y.dtype)])


_FOUR_STEP_MIN = 1 << 17  # below, pocketfft's own transform is as fast


def _four_step(x: np.ndarray, sign: int) -> np.ndarray:
    """DFT (sign -1) or inverse DFT (sign 1, 1/N included) of contiguous ``x``, overwritten,
    as a 2-D array that holds it in row-major order, possibly a transposed view.

    N = R C: C transforms of length R down the columns, twiddles, R transforms of length C
    along the rows: every pass works on a batch of short transforms that stay in cache, where
    one transform of a million points runs from memory (measured 15-25 % faster here, more
    for lengths with large prime factors)."""
    n = x.size
    rows = _split(n)
    transform = sp_fft.fft if sign < 0 else sp_fft.ifft
    if n < _FOUR_STEP_MIN or rows < 64:
        return transform(x, overwrite_x=True).reshape(1, n)
    cols = n // rows
    table = transform(x.reshape(rows, cols), axis=0, overwrite_x=True)  # [k1, n2]
    step = _split(cols)
    grid = table.reshape(rows, cols // step, step)
    k1 = np.arange(rows)[:, None]
    coarse = (k1 * (np.arange(cols // step) * step)[None, :]) % n
    grid *= np.exp(sign * 2j * np.pi * coarse / n).astype(np.complex64)[:, :, None]
    grid *= np.exp(sign * 2j * np.pi * (k1 * np.arange(step)[None, :]) / n).astype(np.complex64)[
        :, None, :
    ]
    return transform(table, axis=1, overwrite_x=True).T  # [k2, k1]: bin k1 + rows k2


def _split(n: int) -> int:
    """The largest divisor of n not above its square root."""
    for d in range(math.isqrt(n), 0, -1):
        if n % d == 0:
            return d
    return 1


def _copy_bins(out: np.ndarray, at: int, table: np.ndarray, first: int, count: int) -> None:
    """out[at : at + count] = table.reshape(-1)[first : first + count], where ``table`` may be
    a transposed view: whole rows by one 2-D copy, the partial rows at the ends apart."""
    width = table.shape[1]
    stop = first + count
    row_lo, row_hi = -(-first // width), stop // width
    if row_lo > row_hi:  # within one row
        out[at : at + count] = table[first // width, first % width : first % width + count]
        return
    head = row_lo * width - first
    if head:
        out[at : at + head] = table[row_lo - 1, width - head :]
    if row_hi > row_lo:
        out[at + head : at + head + (row_hi - row_lo) * width].reshape(-1, width)[:] = table[
            row_lo:row_hi
        ]
    tail = stop - row_hi * width
    if tail:
        out[at + count - tail : at + count] = table[row_hi, :tail]


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
