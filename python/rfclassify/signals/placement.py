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

import numpy as np
from scipy.signal import resample_poly

from .common import Waveform


def rational_ratio(to_rate: float, from_rate: float, max_denominator: int = 4096) -> Fraction:
    """``to_rate / from_rate`` as a small fraction (exact for the 3GPP rates: 30.72/15.36 ...)."""
    ratio = Fraction(to_rate / from_rate).limit_denominator(max_denominator)
    if ratio <= 0:
        raise ValueError(f"rates must be positive: {to_rate} / {from_rate}")
    return ratio


def resample(samples: np.ndarray, from_rate: float, to_rate: float) -> np.ndarray:
    """Polyphase resampling (Kaiser-windowed FIR) to ``to_rate``; complex64 out."""
    ratio = rational_ratio(to_rate, from_rate)
    if ratio == 1:
        return np.asarray(samples, dtype=np.complex64)
    out = resample_poly(samples, ratio.numerator, ratio.denominator, window=("kaiser", 8.0))
    return out.astype(np.complex64)


def frequency_shift(samples: np.ndarray, offset_hz: float, rate: float, phase: float = 0.0):
    """Multiply by exp(j 2 pi f t): the signal moves up by ``offset_hz``."""
    cycles = np.arange(samples.size, dtype=np.float64) * (offset_hz / rate)
    cycles -= np.floor(cycles)  # whole turns dropped: float32 keeps the phase exact enough
    rotor = np.exp(1j * (2 * np.pi * cycles.astype(np.float32) + np.float32(phase)))
    return (samples * rotor).astype(np.complex64)


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
