"""Building blocks LTE and NR share: the Gold sequence, QAM mapping, OFDM modulation.

LTE (TS 36.211) and NR (TS 38.211) define the pseudo-random sequence and the modulation mappers
identically, so both generators use this one implementation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import fft as sp_fft

CLASSES = ("LTE", "NR", "Noise", "Other")


@dataclass
class Waveform:
    """One generated signal at its native rate, before any channel or placement.

    ``occupied_bandwidth`` (Hz, centred on 0 Hz unless ``params`` says otherwise) is the band the
    SNR is defined over; ``params`` holds every generation parameter, JSON-ready, so a dataset can
    be sliced by any of them.
    """

    samples: np.ndarray
    sample_rate: float
    label: str
    occupied_bandwidth: float
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.label not in CLASSES:
            raise ValueError(f"label {self.label!r} is not one of {CLASSES}")
        self.samples = np.asarray(self.samples, dtype=np.complex64)

    @property
    def duration(self) -> float:
        return self.samples.size / self.sample_rate


_NC = 1600  # TS 36.211 §7.2 / TS 38.211 §5.2.1


def _lfsr31(init: np.ndarray, taps: tuple[int, ...], length: int) -> np.ndarray:
    """Binary LFSR x(n+31) = XOR of x(n+t) over ``taps``, 28 new bits per numpy step.

    Each new bit depends only on bits at least 28 places back (the largest tap is 3), so a block
    of 28 can be computed from bits that already exist.
    """
    x = np.zeros(length + 31, dtype=np.uint8)
    x[:31] = init
    for n in range(0, length, 28):
        m = min(28, length - n)
        acc = x[n + taps[0] : n + taps[0] + m].copy()
        for t in taps[1:]:
            acc ^= x[n + t : n + t + m]
        x[n + 31 : n + 31 + m] = acc
    return x


@lru_cache(maxsize=8)
def _x1(length: int) -> np.ndarray:
    init = np.zeros(31, dtype=np.uint8)
    init[0] = 1
    return _lfsr31(init, (0, 3), length)


def gold_sequence(c_init: int, length: int) -> np.ndarray:
    """The length-31 Gold sequence c(n), n = 0..length-1, as uint8 bits (TS 36.211 §7.2).

    x1 starts at 1, 0, ..., 0; x2 starts at the bits of ``c_init`` (LSB first); c(n) is
    x1(n + 1600) XOR x2(n + 1600).
    """
    if not 0 <= c_init < 2**31:
        raise ValueError(f"c_init={c_init} must fit in 31 bits")
    total = length + _NC
    x1 = _x1(total)
    init = ((c_init >> np.arange(31)) & 1).astype(np.uint8)
    x2 = _lfsr31(init, (0, 1, 2, 3), total)
    return x1[_NC:total] ^ x2[_NC:total]


def qpsk_from_bits(bits: np.ndarray) -> np.ndarray:
    """QPSK of bit pairs (TS 36.211 §7.1.2): ((1-2b0) + j(1-2b1)) / sqrt 2."""
    b = np.asarray(bits, dtype=np.float32).reshape(-1, 2)
    return ((1 - 2 * b[:, 0]) + 1j * (1 - 2 * b[:, 1])).astype(np.complex64) / np.float32(
        np.sqrt(2)
    )


QAM_ORDERS = {"QPSK": 2, "16QAM": 4, "64QAM": 6, "256QAM": 8}


def qam_from_bits(bits: np.ndarray, modulation: str) -> np.ndarray:
    """Gray-mapped QAM of unit average power (TS 36.211 §7.1 / TS 38.211 §5.1).

    The standards' tables are the nested form below: for 64QAM,
    I = (1-2b0) * (4 - (1-2b2) * (2 - (1-2b4))) / sqrt 42, and Q likewise from b1, b3, b5.
    """
    q = QAM_ORDERS.get(modulation)
    if q is None:
        raise ValueError(f"unknown modulation {modulation!r}; use one of {sorted(QAM_ORDERS)}")
    s = 1.0 - 2.0 * np.asarray(bits, dtype=np.float32).reshape(-1, q)
    half = q // 2
    i_amp = np.ones(s.shape[0], dtype=np.float32)
    q_amp = np.ones(s.shape[0], dtype=np.float32)
    for level in range(1, half):  # innermost (last bits, smallest step) first
        bit = 2 * (half - level)
        i_amp = 2.0**level - s[:, bit] * i_amp
        q_amp = 2.0**level - s[:, bit + 1] * q_amp
    norm = np.sqrt(2.0 * (4.0**half - 1) / 3.0)
    return ((s[:, 0] * i_amp + 1j * s[:, 1] * q_amp) / norm).astype(np.complex64)


def random_qam(rng: np.random.Generator, count: int, modulation: str) -> np.ndarray:
    """``count`` random symbols of ``modulation`` (random payload bits)."""
    bits = rng.integers(0, 2, size=count * QAM_ORDERS[modulation], dtype=np.uint8)
    return qam_from_bits(bits, modulation)


def ofdm_modulate(spectra: np.ndarray, cp_lengths: np.ndarray) -> np.ndarray:
    """Time signal of OFDM symbols given in FFT bin order, each with its own cyclic prefix.

    ``spectra`` is ``(symbols, nfft)`` (bin 0 = DC), ``cp_lengths`` one CP length per symbol
    (LTE and NR lengthen some symbols' CP). One single-precision inverse FFT for all symbols;
    the CPs by slicing when every symbol has the same, else by one mask over the symbols, each
    preceded by the longest CP: no Python loop over symbols, no index arrays. The output is
    scaled so that unit-power subcarriers give unit power per subcarrier-occupied fraction
    (``ifft * sqrt(nfft)``).
    """
    spectra = np.asarray(spectra)
    nsym, nfft = spectra.shape
    cp = np.asarray(cp_lengths, dtype=np.int64)
    if cp.shape != (nsym,):
        raise ValueError(f"need one CP length per symbol: {cp.shape} vs {nsym} symbols")
    body = sp_fft.ifft(spectra.astype(np.complex64, copy=False), axis=1, norm="ortho")
    longest = int(cp.max(initial=0))
    reps = -(-longest // nfft)  # a CP may be longer than the symbol (Wi-Fi's L-STF)
    prefix = np.tile(body, (1, reps))[:, reps * nfft - longest :] if reps > 1 else None
    if nsym and (cp == longest).all():
        out = np.empty((nsym, longest + nfft), np.complex64)
        out[:, longest:] = body
        out[:, :longest] = body[:, nfft - longest :] if prefix is None else prefix
        return out.ravel()
    prefix = body[:, nfft - longest :] if prefix is None else prefix
    wide = np.concatenate([prefix, body], axis=1)
    return wide[np.arange(longest + nfft)[None, :] >= (longest - cp)[:, None]]


def complex_gaussian(rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
    """n circular complex Gaussian samples of mean power ``scale``^2 (each part N(0, s^2/2)).

    Box-Muller on the generator's raw 64-bit words, one word a sample (two 23-bit uniforms,
    made by putting the bits under a float32 exponent): the same distribution as two
    ``standard_normal`` draws a sample, at twice the speed and more (numpy's float32 log, sine
    and cosine are vectorised; its ziggurat is not). The radius is truncated at 3.99 scale
    (|z|^2 at 15.9 times the mean power, a sample in 8e6).
    """
    words = rng.bit_generator.random_raw(n).view(np.uint32)
    np.right_shift(words, 9, out=words)
    np.bitwise_or(words, np.uint32(0x3F800000), out=words)
    uniform = words.view(np.float32)  # in [1, 2)
    radius = np.log(np.float32(2) - uniform[:n])  # 2 - u in (0, 1]
    np.negative(radius, out=radius)
    np.sqrt(radius, out=radius)
    radius *= np.float32(scale)
    angle = uniform[n:] * np.float32(2 * np.pi)
    z = np.empty(n, np.complex64)
    parts = z.view(np.float32).reshape(n, 2)  # contiguous maths, one strided copy a part
    parts[:, 0] = np.cos(angle) * radius
    parts[:, 1] = np.sin(angle, out=angle) * radius
    return z


def sample_count(duration_s: float, sample_rate: float) -> int:
    """Samples in ``duration_s`` at ``sample_rate`` (at least one); both must be positive."""
    if duration_s <= 0 or sample_rate <= 0:
        raise ValueError(
            f"need duration_s > 0 and sample_rate > 0, got {duration_s}, {sample_rate}"
        )
    return max(1, round(duration_s * sample_rate))


def mean_power(x: np.ndarray) -> float:
    """Mean |x|^2 of a complex array, without an |x|^2 temporary (einsum: not BLAS, whose
    thread pool a dataset worker must not wake)."""
    x = np.ascontiguousarray(x)
    if x.dtype != np.complex64:
        x = x.astype(complex, copy=False)
    parts = x.reshape(-1).view(np.float32 if x.dtype == np.complex64 else np.float64)
    return float(np.einsum("i,i->", parts, parts)) / x.size if x.size else 0.0


def unit_power(x: np.ndarray, duty: float = 1.0) -> np.ndarray:
    """``x`` scaled to unit mean power while on (a bursty signal's ``duty`` divides the mean)."""
    x = np.asarray(x)
    power = mean_power(x) / max(duty, 1e-12)
    return x * (1 / np.sqrt(power)) if power > 0 else x


_GAIN_GRID = 8192


def filtered_noise(rng: np.random.Generator, n: int, taps: np.ndarray) -> np.ndarray:
    """Unit-power white noise through the real FIR ``taps``, made in the frequency domain:
    white noise's spectrum is itself white complex Gaussian, so one draw of it times |H|, one
    inverse FFT of a fast length (cut to n), is the same random process as the filtered noise,
    for a third of the FFTs."""
    size = sp_fft.next_fast_len(n + taps.size)
    table = np.abs(sp_fft.rfft(taps, _GAIN_GRID))  # |H| at k / 8192 cycles, k = 0 .. 4096
    where = np.abs(sp_fft.fftfreq(size)) * _GAIN_GRID
    gain = np.interp(where, np.arange(table.size), table).astype(np.float32)
    spectrum = complex_gaussian(rng, size)
    spectrum *= gain * np.float32(np.sqrt(size))
    return sp_fft.ifft(spectrum, overwrite_x=True)[:n]
