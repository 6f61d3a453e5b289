"""The SDR receiver every example passes through, signal or noise alike: filters, floor, lines, ADC.

Real captures all carry a receiver's fingerprint (a filtered, tilted floor, a DC line, spurs, a
few LSB of 8-bit quantisation); a model that never saw it calls a quiet band "LTE" or "Other".
The Noise class is everything a quiet band looks like through such a receiver.

``apply_receiver`` takes signal + thermal noise at the LNA (complex, any scale) and returns what
the ADC records, in units of full scale (I and Q each in [-1, 1)). In order:

1. one FFT of the block (zero-padded to a fast length ``G * R``; filtering is circular);
2. the 1/f rise: extra Gaussian noise near DC, density ``N0 * (min(fc/|f|, 100) - 0.1)`` for
   ``|f| < 10 fc``, ``N0`` the input's white noise density;
3. one zero-phase (real) response: floor tilt/ripple x anti-alias filter x baseband filter, plus
   the stopband floor; zero phase keeps every sync signal on its sample;
4. lines: LO leakage (at 0 Hz, or slightly offset and wandering) and spurs;
5. the inverse FFT, cut to the input length;
6. the AGC gain step (analog gain, so ahead of the ADC: it composes with level and clipping);
7. the level: the block's RMS (complex, a full-scale complex tone is 0 dBFS) set to ``level_dbfs``;
8. quantisation to ``adc_bits`` (round to the nearest code) and clipping at full scale.

Line levels are relative to the input's noise power ``P_n`` (``noise_power``, else estimated
from the quietest 5 % of the input spectrum): LO leakage in dBc of ``P_n``; a spur in dB above
the noise in one bin of a 256-point FFT (the frontend's default STFT), i.e. ``P_n / 256``. IQ
imbalance stays in ``channel.py``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import scipy.fft as sfft
from scipy import signal, special

from .draws import draw, draw_params

FILTER_SHAPES = ("none", "butterworth", "elliptic", "raised_cosine", "cic")
ADC_BITS = (8, 12, 14, 16)
SPUR_REF_BINS = 256  # a spur's dB are over the noise in one bin of this FFT size
MIN_RMS_LSB = 1.0  # a drawn level never puts the RMS below this (8 bits: -42.1 dBFS)
_FLICKER_CAP = 100.0  # the 1/f rise stops at +20 dB over the floor
_FLICKER_SPAN = 10.0  # ... and ends (continuously) at 10 corner frequencies
_GRID = 8192  # the response is computed on >= this many points, linear between them
_QUANTILE = 0.05  # the noise floor estimate: this quantile of 64-bin power means

RECEIVER_RANGES: dict[str, dict[str, Any]] = {
    "filter_shape": {
        "weights": {"none": 1, "butterworth": 3, "elliptic": 3, "raised_cosine": 2, "cic": 2}
    },
    "filter_edge": {"uniform": [0.7, 0.95]},
    "filter_order": {"int": [3, 8]},
    "filter_ripple_db": {"uniform": [0.05, 1.0]},
    "filter_rolloff": {"uniform": [0.05, 0.3]},
    "cic_order": {"int": [1, 5]},
    "cic_droop_db": {"uniform": [0.5, 2.5]},
    "stopband_db": {"uniform": [-80, -30]},
    "bb_filter": {"bernoulli": 0.25},
    "bb_edge": {"uniform": [0.5, 0.85]},
    "bb_order": {"int": [6, 12]},
    "floor_tilt_db": {"uniform": [-3, 3]},
    "floor_ripple_db": {"uniform": [0, 1.5]},
    "floor_ripple_cycles": {"uniform": [0.5, 4]},
    "floor_ripple_phase": {"uniform": [0, 6.283185307179586]},
    "flicker": {"bernoulli": 0.3},
    "flicker_corner": {"loguniform": [1e-4, 2e-3]},
    "lo_leak": {"bernoulli": 0.6},
    "lo_leak_dbc": {"uniform": [-50, -10]},
    "lo_wandering": {"bernoulli": 0.15},  # gates lo_offset / lo_wander (else 0: a line at DC)
    "lo_offset": {"uniform": [-0.005, 0.005]},
    "lo_wander": {"loguniform": [1e-5, 3e-4]},
    "lo_wander_cycles": {"int": [1, 4]},
    "spurs": {"weights": {"0": 4, "1": 2, "2": 1.5, "3": 1, "4": 0.5}},  # how many
    "spur_freq": {"uniform": [-0.5, 0.5]},  # drawn once per spur
    "spur_db": {"uniform": [-10, 15]},  # drawn once per spur
    "agc_step": {"bernoulli": 0.1},  # gates agc_step_db
    "agc_step_db": {"uniform": [1, 10]},
    "agc_step_down": {"bernoulli": 0.5},  # the sign of agc_step_db
    "agc_step_at": {"uniform": [0.1, 0.9]},
    "adc_bits": {"weights": {"8": 3, "12": 3, "14": 2, "16": 2}},
    "level_dbfs": {"uniform": [-60, -10]},
}


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


@dataclass(frozen=True)
class ReceiverConfig:
    """One drawn receiver; the defaults are no receiver at all (``ideal()``).

    Frequencies are fractions: ``*_edge`` (the -3 dB point) of Nyquist, ``flicker_corner``,
    ``lo_offset``, ``lo_wander`` (peak deviation) and ``spur_freqs`` of the sample rate.
    ``filter_order`` is the Butterworth / elliptic order (the CIC's final edge has twice it);
    ``cic_droop_db`` is the sinc^``cic_order`` droop at the edge. ``floor_tilt_db`` is the
    floor's rise from -Nyquist to +Nyquist. ``adc_bits`` None: no quantisation; ``level_dbfs``
    None: the input's scale is kept (then the input is taken as already in units of full scale).
    """

    filter_shape: str = "none"
    filter_edge: float = 0.9
    filter_order: int = 5
    filter_ripple_db: float = 0.5
    filter_rolloff: float = 0.15
    cic_order: int = 3
    cic_droop_db: float = 1.5
    stopband_db: float = -60.0
    bb_filter: bool = False
    bb_edge: float = 0.75
    bb_order: int = 8
    floor_tilt_db: float = 0.0
    floor_ripple_db: float = 0.0
    floor_ripple_cycles: float = 2.0
    floor_ripple_phase: float = 0.0
    flicker: bool = False
    flicker_corner: float = 5e-4
    lo_leak: bool = False
    lo_leak_dbc: float = -30.0
    lo_offset: float = 0.0
    lo_wander: float = 0.0
    lo_wander_cycles: int = 2
    spur_freqs: tuple[float, ...] = ()
    spur_dbs: tuple[float, ...] = ()
    agc_step_db: float = 0.0
    agc_step_at: float = 0.5
    adc_bits: int | None = None
    level_dbfs: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"{f.name}={v!r} is not finite")
        try:
            self._check()
        except TypeError as exc:  # a string where a number belongs
            raise ValueError(f"receiver config: {exc}") from None

    def _check(self) -> None:
        is_int = _is_int
        checks = {
            "filter_shape": self.filter_shape in FILTER_SHAPES,
            "filter_edge": 0.05 <= self.filter_edge <= 1,
            "filter_order": is_int(self.filter_order) and 1 <= self.filter_order <= 12,
            "filter_ripple_db": 0 < self.filter_ripple_db <= 2,
            "filter_rolloff": 0 < self.filter_rolloff <= 0.5,
            "cic_order": is_int(self.cic_order) and 1 <= self.cic_order <= 6,
            "cic_droop_db": 0 <= self.cic_droop_db <= 2.9,
            "stopband_db": -120 <= self.stopband_db <= -10,
            "bb_filter": isinstance(self.bb_filter, bool),
            "bb_edge": 0.05 <= self.bb_edge <= 1,
            "bb_order": is_int(self.bb_order) and 1 <= self.bb_order <= 20,
            "floor_tilt_db": abs(self.floor_tilt_db) <= 10,
            "floor_ripple_db": 0 <= self.floor_ripple_db <= 5,
            "floor_ripple_cycles": 0 <= self.floor_ripple_cycles <= 16,
            "flicker": isinstance(self.flicker, bool),
            "flicker_corner": 0 < self.flicker_corner <= 0.01,
            "lo_leak": isinstance(self.lo_leak, bool),
            "lo_leak_dbc": -100 <= self.lo_leak_dbc <= 20,
            "lo_offset": abs(self.lo_offset) <= 0.5,
            "lo_wander": 0 <= self.lo_wander <= 0.01,
            "lo_wander_cycles": is_int(self.lo_wander_cycles) and 1 <= self.lo_wander_cycles <= 100,
            "spur_freqs": len(self.spur_freqs) <= 16
            and all(abs(f) <= 0.5 for f in self.spur_freqs),
            "spur_dbs": len(self.spur_dbs) == len(self.spur_freqs)
            and all(-40 <= d <= 40 for d in self.spur_dbs),
            "agc_step_db": abs(self.agc_step_db) <= 30,
            "agc_step_at": 0 <= self.agc_step_at <= 1,
            "adc_bits": self.adc_bits is None
            or (is_int(self.adc_bits) and self.adc_bits in ADC_BITS),
            "level_dbfs": self.level_dbfs is None or -100 <= self.level_dbfs <= 10,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"{name}={getattr(self, name)!r} is out of range")

    @classmethod
    def ideal(cls) -> ReceiverConfig:
        """No receiver: ``apply_receiver`` returns its input unchanged."""
        return cls()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["spur_freqs"], d["spur_dbs"] = list(self.spur_freqs), list(self.spur_dbs)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReceiverConfig:
        if not isinstance(d, dict):
            raise ValueError(f"a receiver config is a dict, not {type(d).__name__}")
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown receiver fields: {sorted(unknown)}")
        d = {**d, **{k: tuple(d[k]) for k in ("spur_freqs", "spur_dbs") if k in d}}
        return cls(**d)


def draw_receiver(
    rng: np.random.Generator,
    ranges: dict[str, dict[str, Any]] = RECEIVER_RANGES,
    given: dict[str, Any] | None = None,
) -> ReceiverConfig:
    """One receiver drawn from ``ranges`` (keys in ``given`` are taken as they are).

    A drawn uniform level is mapped onto [the level of ``MIN_RMS_LSB``, high], so an 8-bit
    capture is never all zeros: a quiet band at low gain is a few LSB.
    """
    given = given or {}
    p = draw_params(ranges, rng, given)
    spurs = int(p["spurs"])
    freqs = [float(draw(ranges["spur_freq"], rng)) for _ in range(spurs)]
    dbs = [float(draw(ranges["spur_db"], rng)) for _ in range(spurs)]
    bits = int(p["adc_bits"])
    level = float(p["level_dbfs"])
    lowest = 20 * math.log10(MIN_RMS_LSB / 2 ** (bits - 1))
    spec = ranges["level_dbfs"]
    if given.get("level_dbfs") is None and "uniform" in spec:
        lo, hi = spec["uniform"]
        if lo < lowest < hi:
            level = lowest + (level - lo) * (hi - lowest) / (hi - lo)
    wandering = bool(p["lo_wandering"])
    step = float(p["agc_step_db"]) * (-1 if p["agc_step_down"] else 1) if p["agc_step"] else 0.0
    names = {f.name for f in fields(ReceiverConfig)}
    values = {k: v for k, v in p.items() if k in names}
    values |= {
        "adc_bits": bits,
        "level_dbfs": level,
        "lo_offset": float(p["lo_offset"]) if wandering else 0.0,
        "lo_wander": float(p["lo_wander"]) if wandering else 0.0,
        "spur_freqs": tuple(given.get("spur_freqs", freqs)),
        "spur_dbs": tuple(given.get("spur_dbs", dbs)),
        "agc_step_db": float(given.get("agc_step_db", step)),
    }
    return ReceiverConfig(**values)


# --- the frequency response ----------------------------------------------------------------


def _sinc_inverse(value: float) -> float:
    """x in [0, 1) with sinc(x) = value (sinc falls monotonically from 1 to 0 there)."""
    x = np.linspace(0, 0.999, 4000)
    return float(np.interp(-value, -np.sinc(x), x))


def _filter_power(config: ReceiverConfig, u: np.ndarray) -> np.ndarray:
    """|H|^2 of the anti-alias filter at ``u`` = |f| / Nyquist; -3 dB at ``filter_edge``."""
    e, order, shape = config.filter_edge, config.filter_order, config.filter_shape
    if shape == "butterworth":
        return 1 / (1 + (u / e) ** (2 * order))
    if shape == "elliptic":
        rs = -config.stopband_db + 6  # its equiripple stopband just under the floor
        z, p, k = signal.ellipap(order, config.filter_ripple_db, rs)
        w = np.linspace(1, 3, 4001)
        hw = np.abs(signal.freqs_zpk(z, p, k, w)[1]) ** 2
        i = int(np.argmax(hw < 0.5))  # the first -3 dB crossing past the passband edge
        w3 = np.interp(-3, 10 * np.log10(hw[[i, i - 1]]), w[[i, i - 1]]) if i else 1.0
        return np.abs(signal.freqs_zpk(z, p, k, u / e * w3)[1]) ** 2
    if shape == "raised_cosine":  # |H|^2 a raised cosine (|H| a root-raised cosine)
        b = config.filter_rolloff
        x = np.clip((u - e * (1 - b)) / (2 * b * e), 0, 1)
        return 0.5 * (1 + np.cos(np.pi * x))
    if shape == "cic":  # sinc^N droop, then a sharp compensated edge: -3 dB in all at the edge
        d, n = config.cic_droop_db, config.cic_order
        a = _sinc_inverse(10 ** (-d / (20 * n))) / e
        kk = 10 ** ((3 - d) / 10) - 1
        return np.sinc(a * u) ** (2 * n) / (1 + kk * (u / e) ** (4 * order))
    return np.ones_like(u)


def _response(config: ReceiverConfig, f: np.ndarray) -> np.ndarray:
    """Zero-phase amplitude response at ``f`` (fraction of the rate, -0.5..0.5)."""
    u = np.abs(2 * f)
    power = _filter_power(config, u)
    if config.bb_filter:
        power = power / (1 + (u / config.bb_edge) ** (2 * config.bb_order))
    if config.filter_shape != "none" or config.bb_filter:
        floor = 10 ** (config.stopband_db / 10)
        power = power * (1 - floor) + floor
    amplitude = np.sqrt(power)
    if config.floor_tilt_db or config.floor_ripple_db:
        # tilt and ripple fade out over the last 10 % before Nyquist: no step at the wrap
        taper = 0.5 * (1 + np.cos(np.pi * np.clip((u - 0.9) / 0.1, 0, 1)))
        s = 2 * f
        phase = np.pi * config.floor_ripple_cycles * (s + 1) + config.floor_ripple_phase
        db = config.floor_tilt_db / 2 * s + config.floor_ripple_db * np.cos(phase)
        amplitude = amplitude * 10 ** (taper * db / 20)
    return amplitude


def response_db(config: ReceiverConfig, f: np.ndarray) -> np.ndarray:
    """The receiver's power response in dB at ``f`` (fraction of the sample rate), for plots."""
    return 20 * np.log10(_response(config, np.asarray(f, float)))


# --- apply ---------------------------------------------------------------------------------


def _sizes(n: int) -> tuple[int, int]:
    """(G, R): the FFT length G * R >= n is fast, the response is computed on G points."""
    r = 1 << max(0, (n // _GRID).bit_length() - 1)
    return sfft.next_fast_len(-(-n // r)), r


def _apply_response(spec: np.ndarray, config: ReceiverConfig) -> None:
    """``spec`` (any length, bin order) times the response: computed at every R-th bin (about
    ``_GRID`` points), linear between them; the last partial block leads back to bin 0."""
    nfft = spec.size
    r = 1 << max(0, (nfft // _GRID).bit_length() - 1)
    g = nfft // r
    f = np.arange(g + 1) * r / nfft
    h = _response(config, np.where(f >= 0.5, f - 1, f)).astype(np.float32)
    w = np.arange(r, dtype=np.float32) / r
    spec[: g * r].reshape(g, r)[...] *= h[:-1, None] + (h[1:] - h[:-1])[:, None] * w[None, :]
    tail = nfft - g * r
    if tail:
        w = np.arange(tail, dtype=np.float32) / tail
        spec[g * r :] *= h[g] + (h[0] - h[g]) * w


def _estimate_noise_power(spectrum: np.ndarray, n: int) -> float:
    """Per-sample white noise power: a low quantile of (up to) 64-bin power means, unbiased.

    The quantile of a mean of m exponential bins is known (Gamma(m) / m); a signal may fill
    most of the band and still leave the quantile on noise-only blocks. Reads <= 2^19 bins.
    """
    step = max(1, spectrum.size >> 19)
    sub = spectrum[::step]
    m = int(np.clip(sub.size // 256, 1, 64))
    sub = sub[: sub.size // m * m].reshape(-1, m)
    means = (sub.real**2 + sub.imag**2).mean(axis=1)
    bias = special.gammaincinv(m, _QUANTILE) / m
    return float(np.quantile(means, _QUANTILE) / bias / n)


def _bin(f: float, nfft: int) -> int:
    return round(f * nfft) % nfft


def needs_spectrum(config: ReceiverConfig) -> bool:
    """Whether the receiver acts in the frequency domain (filters, floor, 1/f, lines)."""
    c = config
    shaped = c.filter_shape != "none" or c.bb_filter or c.floor_tilt_db or c.floor_ripple_db
    return bool(shaped or c.flicker or c.lo_leak or c.spur_freqs)


def shape_spectrum(
    spec: np.ndarray,
    n: int,
    sample_rate: float,
    config: ReceiverConfig,
    rng: np.random.Generator,
    noise_power: float | None,
) -> dict[str, Any]:
    """Steps 2-4 on ``spec``, the DFT (any length >= ``n``, bin order) of ``n`` samples, in place:
    the 1/f rise, the zero-phase response, the LO leakage and spurs. Returns what it applied.

    Exposed so that a stage that already holds the spectrum (the sample-rate offset's Fourier
    resampling) applies the receiver there instead of paying two more long FFTs.
    """
    c = config
    nfft = spec.size
    params: dict[str, Any] = {"lo_freq_hz": None, "spur_freqs_hz": [], "fft_len": nfft}
    estimated = noise_power is None and (c.flicker or c.lo_leak or bool(c.spur_freqs))
    if estimated:
        noise_power = _estimate_noise_power(spec, n)
    noise_power = float(noise_power or 0.0)
    if c.flicker:
        kmax = min(int(_FLICKER_SPAN * c.flicker_corner * nfft), nfft // 2 - 1)
        k = np.arange(-kmax, kmax + 1)
        corner = c.flicker_corner * nfft  # in bins
        ratio = np.minimum(corner / np.maximum(np.abs(k), 1e-9), _FLICKER_CAP)
        ratio = np.maximum(ratio - 1 / _FLICKER_SPAN, 0)
        scale = np.sqrt(nfft * noise_power * ratio / 2)
        z = rng.standard_normal((2, k.size), dtype=np.float32)
        spec[k % nfft] += (scale * (z[0] + 1j * z[1])).astype(np.complex64)
    if c.filter_shape != "none" or c.bb_filter or c.floor_tilt_db or c.floor_ripple_db:
        _apply_response(spec, c)
    if c.lo_leak:
        amp = math.sqrt(noise_power * 10 ** (c.lo_leak_dbc / 10)) * nfft
        # a sinusoidal wander of the phase, beta sin(...): Bessel lines c cycles apart
        beta = c.lo_wander * nfft / c.lo_wander_cycles
        half = int(beta + 10 * beta ** (1 / 3) + 10)
        m = np.arange(-half, half + 1)
        theta, psi = rng.uniform(0, 2 * np.pi, 2)
        lines_m = amp * special.jv(m, beta) * np.exp(1j * (theta + m * psi))
        k0 = _bin(c.lo_offset, nfft)
        np.add.at(spec, (k0 + m * c.lo_wander_cycles) % nfft, lines_m.astype(np.complex64))
        params["lo_freq_hz"] = (k0 / nfft - (k0 >= nfft / 2)) * sample_rate
    for f, db in zip(c.spur_freqs, c.spur_dbs, strict=True):
        amp = math.sqrt(noise_power * 10 ** (db / 10) / SPUR_REF_BINS) * nfft
        k = _bin(f, nfft)
        spec[k] += amp * np.exp(1j * rng.uniform(0, 2 * np.pi))
        params["spur_freqs_hz"].append((k / nfft - (k >= nfft / 2)) * sample_rate)
    params["noise_power"] = noise_power
    params["noise_power_estimated"] = bool(estimated)
    return params


def digitise(y: np.ndarray, config: ReceiverConfig) -> dict[str, Any]:
    """Steps 6-8 on ``y`` (complex64, in place): the AGC step, the level, the ADC."""
    c = config
    n = y.size
    at = round(c.agc_step_at * n) if c.agc_step_db else n
    gain = 10 ** (c.agc_step_db / 20)
    scale = 1.0
    if c.level_dbfs is not None:
        before, after = np.vdot(y[:at], y[:at]).real, np.vdot(y[at:], y[at:]).real
        power = (before + gain**2 * after) / max(n, 1)
        if power > 0:
            scale = 10 ** (c.level_dbfs / 20) / math.sqrt(power)
    lsb = 2.0 ** (c.adc_bits - 1) if c.adc_bits else 1.0
    v = y.view(np.float32)
    v[: 2 * at] *= np.float32(scale * lsb)
    v[2 * at :] *= np.float32(scale * lsb * gain)
    clipped = 0
    if c.adc_bits:
        np.rint(v, out=v)
        if n and (v.max() > lsb - 1 or v.min() < -lsb):
            clipped = int(np.count_nonzero(v > lsb - 1) + np.count_nonzero(v < -lsb))
            np.minimum(v, lsb - 1, out=v)
            np.maximum(v, -lsb, out=v)
        v *= np.float32(1 / lsb)
    out_power = np.vdot(y, y).real / max(n, 1)
    return {
        "agc_step_sample": at if c.agc_step_db else None,
        "level_gain_db": 20 * math.log10(scale),
        "clip_fraction": clipped / max(2 * n, 1),
        "rms_dbfs": 10 * math.log10(out_power) if out_power > 0 else None,
    }


def apply_receiver(
    samples: np.ndarray,
    sample_rate: float,
    config: ReceiverConfig,
    rng: np.random.Generator,
    noise_power: float | None = None,
    shaped: dict[str, Any] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """What the receiver records of ``samples`` (see the module docstring for the order).

    ``noise_power`` is the per-sample power of the white thermal noise in ``samples`` (the
    lines and the 1/f rise are set against it); None: estimated from the input's spectrum,
    which overestimates it under a signal filling > 90 % of the band or bursting. ``shaped``:
    the record of ``shape_spectrum`` when the caller already applied it (then only the AGC,
    level and ADC remain). Returns complex64 of the input's length (full-scale units when
    ``level_dbfs`` is set) and the JSON-ready record of what was applied, with the measured
    clipping fraction.
    """
    x = np.asarray(samples, np.complex64)
    n = x.size
    params: dict[str, Any] = {**config.to_dict(), "lo_freq_hz": None, "spur_freqs_hz": [],
                              "fft_len": 0, "noise_power": noise_power,
                              "noise_power_estimated": False}  # fmt: skip
    if shaped is not None:
        params |= shaped
        y = x.copy()
    elif needs_spectrum(config) and n:
        g, r = _sizes(n)
        spec = sfft.fft(x, g * r, workers=1)
        params |= shape_spectrum(spec, n, sample_rate, config, rng, noise_power)
        y = sfft.ifft(spec, workers=1, overwrite_x=True)[:n]
    else:
        y = x.copy()
    params |= digitise(y, config)
    return y, params
