"""A test pattern for the frontend: components at known times and frequencies, in noise.

Not LTE and not NR (those are their own modules): a generic 15 kHz-spaced OFDM burst, a CW
carrier and a linear chirp, so a person can check at a glance that a spectrogram puts each where
it belongs, and a test can check it numerically from the returned ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Component:
    """Ground truth for one emitter in the pattern (baseband frequencies in Hz)."""

    label: str
    start: int
    count: int
    freq_low: float
    freq_high: float


def test_pattern(
    rate: float = 15.36e6, seconds: float = 0.08, seed: int = 0, snr_db: float = 30.0
) -> tuple[np.ndarray, list[Component]]:
    """Complex64 samples and the components in them.

    Layout, as fractions of the rate: a CW carrier at +0.39, an OFDM burst (QPSK on 15 kHz
    subcarriers, 0.59 of the band wide, centred at -0.06) on for 6 ms of every 10 ms, and a chirp
    sweeping the lower half every 20 ms. Noise is white at ``snr_db`` below the OFDM power.
    """
    rng = np.random.default_rng(seed)
    n = round(rate * seconds)
    t = np.arange(n) / rate
    x = np.zeros(n, dtype=np.complex128)
    parts: list[Component] = []

    f_cw = 0.39 * rate
    x += 0.3 * np.exp(2j * np.pi * f_cw * t)
    parts.append(Component("CW", 0, n, f_cw - rate / 512, f_cw + rate / 512))

    ofdm, lo, hi = _ofdm_bursts(rng, rate, n, centre=-0.06 * rate, width=0.59 * rate)
    x += ofdm
    period, on = round(10e-3 * rate), round(6e-3 * rate)
    parts += [Component("OFDM", s, min(on, n - s), lo, hi) for s in range(0, n, period)]

    sweep = round(20e-3 * rate)
    f0, f1 = -0.48 * rate, -0.02 * rate
    tau = (np.arange(n) % sweep) / rate
    k = (f1 - f0) / (sweep / rate)
    x += 0.1 * np.exp(2j * np.pi * (f0 * tau + 0.5 * k * tau**2))
    parts += [Component("chirp", s, min(sweep, n - s), f0, f1) for s in range(0, n, sweep)]

    noise_power = 10 ** (-snr_db / 10)
    x += np.sqrt(noise_power / 2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    return x.astype(np.complex64), parts


def _ofdm_bursts(
    rng: np.random.Generator, rate: float, n: int, centre: float, width: float
) -> tuple[np.ndarray, float, float]:
    """Unit-power CP-OFDM, 15 kHz spacing, gated 6 ms on / 4 ms off."""
    nfft = round(rate / 15e3)
    cp = nfft * 9 // 128  # the normal-CP ratio of LTE's symbols 1..6
    used = int(width / 15e3) // 2 * 2
    symbols = -(-n // (nfft + cp))
    grid = np.zeros((symbols, nfft), dtype=np.complex128)
    qpsk = (rng.integers(0, 2, (symbols, used)) * 2 - 1) + 1j * (
        rng.integers(0, 2, (symbols, used)) * 2 - 1
    )
    carriers = np.r_[np.arange(-used // 2, 0), np.arange(1, used // 2 + 1)]  # DC left empty
    grid[:, carriers % nfft] = qpsk / np.sqrt(2 * used)
    body = np.fft.ifft(grid, axis=1) * nfft
    sig = np.concatenate([body[:, -cp:], body], axis=1).ravel()[:n]
    sig = sig * np.exp(2j * np.pi * centre * np.arange(n) / rate)
    gate = (np.arange(n) % round(10e-3 * rate)) < round(6e-3 * rate)
    half = used / 2 * 15e3
    return sig * gate, centre - half, centre + half
