"""Hard negatives: "Other" emitters that look most like a 3GPP carrier in a spectrogram.

A model trained only on LTE, NR, noise and a few distinct emitters learns "anything OFDM-like or
anything with lines is LTE/NR", and calls NR where there is none once it meets real captures.
These teach it otherwise:

- ``generic_ofdm``: OFDM with a numerology that is not 3GPP (subcarrier spacing 2..80 kHz away
  from 15/30 kHz, any width, any CP), continuous or in bursts, with no sync signals, no
  reference-signal grid and no frame structure;
- ``narrowband_carrier``: a single-carrier digital link (PSK/QAM, root-raised-cosine pulses,
  10..500 kbaud), continuous or TDMA bursts: the narrowband interferers of any band;
- ``spur_comb``: harmonics of a clock leaking into the receiver (a comb of lines at k f0 plus an
  offset, levels falling with k, wandering slightly), the spurs a real front end shows.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from .common import Waveform, ofdm_modulate, random_qam, sample_count, unit_power
from .placement import rotor, time_scale

_AVOID_SCS = ((13.5e3, 16.5e3), (27e3, 33e3), (54e3, 66e3))  # 3GPP numerologies, ±10 %
_MODULATIONS = ("QPSK", "16QAM", "64QAM")


def _loguniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _bursts(rng: np.random.Generator, n: int, mean_on: int, mean_off: int) -> np.ndarray:
    """On/off mask with exponential on and off lengths (starting in a random state)."""
    mask = np.zeros(n, dtype=bool)
    i, on = 0, bool(rng.random() < 0.5)
    while i < n:
        length = max(1, int(rng.exponential(mean_on if on else mean_off)))
        mask[i : i + length] = on
        i += length
        on = not on
    return mask


def generic_ofdm(
    duration_s: float,
    sample_rate: float,
    rng: np.random.Generator,
    scs_hz: float | None = None,
    bandwidth_hz: float | None = None,
    cp_fraction: float | None = None,
    bursty: bool | None = None,
) -> Waveform:
    """Non-3GPP OFDM centred on 0 Hz; ``occupied_bandwidth`` is the used subcarriers' span."""
    n = sample_count(duration_s, sample_rate)
    while True:  # the spacing as realised on the sample grid must not be a 3GPP one
        wanted = _loguniform(rng, 2e3, 80e3) if scs_hz is None else scs_hz
        nfft = max(16, round(sample_rate / wanted))
        scs = sample_rate / nfft
        if scs_hz is not None or not any(lo <= scs <= hi for lo, hi in _AVOID_SCS):
            break
    if bandwidth_hz is None:
        bandwidth_hz = float(rng.uniform(0.1, 0.8)) * sample_rate
    used = max(8, min(nfft - 2, int(bandwidth_hz / scs)))
    cp_fraction = float(rng.uniform(1 / 32, 1 / 4)) if cp_fraction is None else cp_fraction
    cp = max(0, round(cp_fraction * nfft))
    bursty = bool(rng.random() < 0.5) if bursty is None else bursty
    n_sym = -(-n // (nfft + cp))
    k = np.arange(used) - used // 2
    k = k[k != 0] if used > 16 else k  # most OFDM systems leave DC empty
    spectra = np.zeros((n_sym, nfft), dtype=np.complex64)
    modulation = str(rng.choice(_MODULATIONS))
    spectra[:, k % nfft] = random_qam(rng, n_sym * k.size, modulation).reshape(n_sym, k.size)
    if bursty:
        on = _bursts(rng, n_sym, mean_on=max(4, n_sym // 6), mean_off=max(2, n_sym // 10))
        spectra[~on] = 0
    x = ofdm_modulate(spectra, np.full(n_sym, cp))[:n]
    duty = float(np.mean(np.abs(x) > 0)) if bursty else 1.0
    x = unit_power(x, duty)
    params = {
        "kind": "generic_ofdm",
        "scs_hz": float(scs),
        "nfft": int(nfft),
        "subcarriers": int(k.size),
        "cp_samples": int(cp),
        "modulation": modulation,
        "bursty": bursty,
        "duty_cycle": duty,
    }
    return Waveform(x, sample_rate, "Other", min(k.size * scs, sample_rate), params)


def _rrc(beta: float, sps: int, span: int) -> np.ndarray:
    """Root-raised-cosine taps, unit energy."""
    t = np.arange(-span * sps, span * sps + 1) / sps
    h = np.zeros_like(t)
    for i, ti in enumerate(t):
        if abs(ti) < 1e-9:
            h[i] = 1 - beta + 4 * beta / np.pi
        elif beta and abs(abs(ti) - 1 / (4 * beta)) < 1e-9:
            h[i] = (
                beta
                / np.sqrt(2)
                * (
                    (1 + 2 / np.pi) * np.sin(np.pi / (4 * beta))
                    + (1 - 2 / np.pi) * np.cos(np.pi / (4 * beta))
                )
            )
        else:
            num = np.sin(np.pi * ti * (1 - beta))
            num += 4 * beta * ti * np.cos(np.pi * ti * (1 + beta))
            h[i] = num / (np.pi * ti * (1 - (4 * beta * ti) ** 2))
    return h / np.sqrt(np.sum(h**2))


def narrowband_carrier(
    duration_s: float,
    sample_rate: float,
    rng: np.random.Generator,
    symbol_rate: float | None = None,
    offset_hz: float | None = None,
    modulation: str | None = None,
    rolloff: float | None = None,
    bursty: bool | None = None,
) -> Waveform:
    """A narrowband PSK/QAM link at ``offset_hz`` (random within ±40 % of the rate)."""
    n = sample_count(duration_s, sample_rate)
    rs = symbol_rate or _loguniform(rng, 10e3, min(500e3, sample_rate / 8))
    beta = float(rng.uniform(0.2, 0.5)) if rolloff is None else rolloff
    modulation = modulation or str(rng.choice(("BPSK", *_MODULATIONS[:2])))
    sps = 8
    n_sym = int(n * rs / sample_rate) + 32
    if modulation == "BPSK":
        symbols = rng.choice([-1.0, 1.0], n_sym).astype(np.complex64)
    else:
        symbols = random_qam(rng, n_sym, modulation)
    baseband = signal.upfirdn(_rrc(beta, sps, 8).astype(np.float32), symbols, up=sps)
    # to the capture rate, band-limited: the pulses are 8 times oversampled, so the Fourier
    # resampler's brick wall cuts nothing of them, at any ratio
    true_rs = rs
    x = time_scale(baseband, sample_rate / (rs * sps), n)
    offset_hz = float(rng.uniform(-0.4, 0.4) * sample_rate) if offset_hz is None else offset_hz
    x = x * rotor(n, offset_hz / sample_rate)
    bursty = bool(rng.random() < 0.4) if bursty is None else bursty
    duty = 1.0
    if bursty:  # TDMA-like slots of a few ms
        on = _bursts(rng, n, mean_on=int(0.004 * sample_rate), mean_off=int(0.003 * sample_rate))
        x = np.where(on, x, 0)
        duty = float(on.mean())
    x = unit_power(x, duty)
    params = {
        "kind": "narrowband_carrier",
        "symbol_rate": float(true_rs),
        "offset_hz": offset_hz,
        "modulation": modulation,
        "rolloff": beta,
        "bursty": bursty,
        "duty_cycle": duty,
    }
    return Waveform(x, sample_rate, "Other", min(true_rs * (1 + beta), sample_rate), params)


def spur_comb(
    duration_s: float,
    sample_rate: float,
    rng: np.random.Generator,
    fundamental_hz: float | None = None,
    count: int | None = None,
) -> Waveform:
    """Clock harmonics: lines at k f0 + offset inside ±48 % of the rate, -0..-20 dB, wandering."""
    n = sample_count(duration_s, sample_rate)
    f0 = fundamental_hz or float(rng.uniform(0.02, 0.2)) * sample_rate
    offset = float(rng.uniform(-0.5, 0.5)) * f0
    k_max = int(0.48 * sample_rate // f0)
    lines = offset + f0 * np.arange(-k_max, k_max + 1)
    lines = lines[np.abs(lines) < 0.48 * sample_rate]
    count = count or int(rng.integers(3, 13))
    lines = np.sort(rng.choice(lines, min(count, lines.size), replace=False))
    slope = rng.uniform(0, 20)  # dB lost from the centre to the band edge
    levels_db = -np.abs(lines) / (0.48 * sample_rate) * slope - rng.uniform(0, 6, lines.size)
    t = np.arange(n) / sample_rate
    wander = rng.uniform(10, 2e3) * np.sin(2 * np.pi * rng.uniform(5, 50) * t)  # Hz
    cycles_wander = np.cumsum(wander) / sample_rate  # line f0's wander, in turns
    x = np.zeros(n, np.complex64)
    for f, level in zip(lines, levels_db, strict=True):
        turns = cycles_wander * (f / f0)
        wobble = 2 * np.pi * (turns - np.floor(turns)).astype(np.float32)
        line = rotor(n, f / sample_rate, rng.uniform(0, 2 * np.pi)) * np.float32(10 ** (level / 20))
        line *= np.cos(wobble) + 1j * np.sin(wobble)
        x += line
    x *= np.float32(1 / np.sqrt(np.sum(10 ** (levels_db / 10))))
    params = {
        "kind": "spur_comb",
        "fundamental_hz": f0,
        "frequencies_hz": [float(v) for v in lines],
        "levels_db": [float(v) for v in levels_db],
    }
    return Waveform(x, sample_rate, "Other", min(lines.size * 1e3, sample_rate), params)
