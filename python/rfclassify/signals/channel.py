"""The radio channel and the receiver's own impairments, applied to a generated ``Waveform``.

A classifier trained on clean synthesis fails on air; this module puts back what the air and the
front end add, in the order a receiver meets them:

1. multipath with Rayleigh fading per tap and Doppler: the 3GPP power-delay profiles EPA, EVA,
   ETU (TS 36.104 Annex B.2) and TDL-A/B/C (TS 38.901 §7.7.2, delays scaled by a delay spread);
2. AWGN, with the SNR defined over the occupied bandwidth (see ``add_awgn``);
3. the local oscillator: carrier frequency offset and Wiener phase noise;
4. the IQ demodulator: gain and phase imbalance, then a DC offset;
5. the ADC clock: a sample-rate offset, by resampling (the sample count changes by the ppm).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from scipy import fft as sp_fft
from scipy import signal

from .common import Waveform, complex_gaussian, mean_power
from .placement import frames, rotor, time_scale

# (delay in ns, power in dB) per tap. TS 36.104 Table B.2-2/3/4.
_LTE_PROFILES = {
    "EPA": ((0, 30, 70, 90, 110, 190, 410), (0, -1, -2, -3, -8, -17.2, -20.8)),
    "EVA": (
        (0, 30, 150, 310, 370, 710, 1090, 1730, 2510),
        (0, -1.5, -1.4, -3.6, -0.6, -9.1, -7, -12, -16.9),
    ),
    "ETU": (
        (0, 50, 120, 200, 230, 500, 1600, 2300, 5000),
        (-1, -1, -1, 0, 0, 0, -3, -5, -7),
    ),
}
# (normalised delay, power in dB) per tap. TS 38.901 Tables 7.7.2-1, -2, -3 (all Rayleigh).
# fmt: off
_TDL_PROFILES = {
    "TDL-A": (
        (0, 0.3819, 0.4025, 0.5868, 0.4610, 0.5375, 0.6708, 0.5750, 0.7618, 1.5375, 1.8978,
         2.2242, 2.1718, 2.4942, 2.5119, 3.0582, 4.0810, 4.4579, 4.5695, 4.7966, 5.0066, 5.3043,
         9.6586),
        (-13.4, 0, -2.2, -4, -6, -8.2, -9.9, -10.5, -7.5, -15.9, -6.6, -16.7, -12.4, -15.2, -10.8,
         -11.3, -12.7, -16.2, -18.3, -18.9, -16.6, -19.9, -29.7),
    ),
    "TDL-B": (
        (0, 0.1072, 0.2155, 0.2095, 0.2870, 0.2986, 0.3752, 0.5055, 0.3681, 0.3697, 0.5700,
         0.5283, 1.1021, 1.2756, 1.5474, 1.7842, 2.0169, 2.8294, 3.0219, 3.6187, 4.1067, 4.2790,
         4.7834),
        (0, -2.2, -4, -3.2, -9.8, -1.2, -3.4, -5.2, -7.6, -3, -8.9, -9, -4.8, -5.7, -7.5, -1.9,
         -7.6, -12.2, -9.8, -11.4, -14.9, -9.2, -11.3),
    ),
    "TDL-C": (
        (0, 0.2099, 0.2219, 0.2329, 0.2176, 0.6366, 0.6448, 0.6560, 0.6584, 0.7935, 0.8213,
         0.9336, 1.2285, 1.3083, 2.1704, 2.7105, 4.2589, 4.6003, 5.4902, 5.6077, 6.3065, 6.6374,
         7.0427, 8.6523),
        (-4.4, -1.2, -3.5, -5.2, -2.5, 0, -2.2, -3.9, -7.4, -7.1, -10.7, -11.1, -5.1, -6.8, -8.7,
         -13.2, -13.9, -13.9, -15.8, -17.1, -16, -15.7, -21.6, -22.8),
    ),
}
# fmt: on
PROFILES = ("none", *_LTE_PROFILES, *_TDL_PROFILES)
_PHASE_NOISE_OFFSET_HZ = 100e3  # where ``phase_noise`` (dBc/Hz) is specified


def power_delay_profile(profile: str, delay_spread_s: float = 100e-9) -> tuple[np.ndarray, ...]:
    """Tap delays (s) and linear powers summing to 1 (unit average power gain)."""
    if profile in _LTE_PROFILES:
        delay_ns, power_db = _LTE_PROFILES[profile]
        delays = np.asarray(delay_ns, float) * 1e-9
    elif profile in _TDL_PROFILES:
        norm, power_db = _TDL_PROFILES[profile]
        delays = np.asarray(norm, float) * delay_spread_s
    elif profile == "none":
        return np.zeros(1), np.ones(1)
    else:
        raise ValueError(f"unknown profile {profile!r}; use one of {PROFILES}")
    power = 10 ** (np.asarray(power_db, float) / 10)
    return delays, power / power.sum()


@dataclass(frozen=True)
class ChannelConfig:
    """Everything between the emitter and the samples; defaults are a perfect channel.

    ``phase_noise`` is the SSB level in dBc/Hz at 100 kHz offset of a free-running (Wiener)
    oscillator, whose spectrum falls 20 dB/decade (None: none). ``snr_db`` None: no noise added.
    ``dc_offset`` is relative to the unit signal amplitude. ``agc_step_db``: the receiver's
    gain steps by this much at a random instant (an AGC reacting mid-window); ``clip_db``: the
    ADC clips I and Q at this many dB above the received RMS (None: never).
    """

    profile: str = "none"
    doppler_hz: float = 0.0
    delay_spread_s: float = 100e-9
    cfo_hz: float = 0.0
    sro_ppm: float = 0.0
    phase_noise: float | None = None
    iq_gain_db: float = 0.0
    iq_phase_deg: float = 0.0
    dc_offset: complex = 0j
    snr_db: float | None = None
    agc_step_db: float = 0.0
    clip_db: float | None = None

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; use one of {PROFILES}")
        checks = {
            "doppler_hz": 0 <= self.doppler_hz <= 10e3,
            "delay_spread_s": 0 < self.delay_spread_s <= 10e-6,
            "cfo_hz": math.isfinite(self.cfo_hz),
            "sro_ppm": abs(self.sro_ppm) <= 1000,
            "phase_noise": self.phase_noise is None or -200 <= self.phase_noise <= -40,
            "iq_gain_db": abs(self.iq_gain_db) <= 6,
            "iq_phase_deg": abs(self.iq_phase_deg) <= 45,
            "dc_offset": abs(self.dc_offset) <= 10,
            "snr_db": self.snr_db is None or -50 <= self.snr_db <= 100,
            "agc_step_db": abs(self.agc_step_db) <= 30,
            "clip_db": self.clip_db is None or 0 <= self.clip_db <= 40,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"{name}={getattr(self, name)!r} is out of range")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the complex DC offset as [re, im]."""
        d = asdict(self)
        d["dc_offset"] = [float(complex(self.dc_offset).real), float(complex(self.dc_offset).imag)]
        return d

    @classmethod
    def draw(cls, rng: np.random.Generator, sample_rate: float) -> ChannelConfig:
        """A random field-like channel: one of the profiles, mild impairments, -5..30 dB SNR."""
        return cls(
            profile=str(rng.choice(PROFILES)),
            doppler_hz=float(rng.choice([0.0, 5.0, 70.0, 300.0])),
            delay_spread_s=float(rng.uniform(30e-9, 300e-9)),
            cfo_hz=float(rng.uniform(-1e-3, 1e-3) * sample_rate),
            sro_ppm=float(rng.uniform(-20, 20)),
            phase_noise=float(rng.uniform(-110, -80)),
            iq_gain_db=float(rng.uniform(-0.5, 0.5)),
            iq_phase_deg=float(rng.uniform(-3, 3)),
            dc_offset=complex(*(rng.normal(0, 0.02, 2))),
            snr_db=float(rng.uniform(-5, 30)),
        )


# --- multipath ----------------------------------------------------------------------------


def _fading(
    rng: np.random.Generator, taps: int, duration_s: float, doppler_hz: float
) -> tuple[np.ndarray, float]:
    """Unit-power Rayleigh gains on a coarse time grid: ``(taps, K)`` and the grid step (s).

    Sum of 16 sinusoids per tap with uniform angles of arrival and phases: on average the
    classical Jakes (U-shaped) Doppler spectrum within ±``doppler_hz``. The grid has 16 points
    per Doppler cycle; between them the gains are linear in time. A static channel is one point.
    """
    if doppler_hz == 0:
        g = (rng.standard_normal((taps, 1)) + 1j * rng.standard_normal((taps, 1))) / np.sqrt(2)
        return g, math.inf
    m = 16
    step = min(1 / (16 * doppler_hz), duration_s)
    t = np.arange(int(np.ceil(duration_s / step)) + 2) * step
    f = doppler_hz * np.cos(rng.uniform(0, 2 * np.pi, (taps, m, 1)))
    phi = rng.uniform(0, 2 * np.pi, (taps, m, 1))
    return np.exp(1j * (2 * np.pi * f * t + phi)).sum(axis=1) / np.sqrt(m), step


_DELAY_HALF = 8  # half-length of the Kaiser-windowed sinc that realises a fractional delay
_BLOCK_FFT = 8192  # overlap-save FFT length for responses up to a quarter of it


def _kernels(delays: np.ndarray, length: int) -> np.ndarray:
    """One Kaiser-windowed sinc per tap, centred on ``_DELAY_HALF + delay``, unit DC gain."""
    half = _DELAY_HALF
    lags = np.arange(length)[None, :] - half - delays[:, None]
    taper = np.i0(6.0 * np.sqrt(np.clip(1 - (lags / half) ** 2, 0, None))) / np.i0(6.0)
    kernel = np.where(np.abs(lags) <= half, np.sinc(lags) * taper, 0.0)
    return kernel / np.maximum(kernel.sum(axis=1, keepdims=True), 1e-12)


def _impulse_response(delays: np.ndarray, gains: np.ndarray, length: int) -> np.ndarray:
    """Sum over taps of gain * windowed sinc centred on ``_DELAY_HALF + delay`` samples."""
    # einsum, not @: a BLAS call could wake a pool of threads in every dataset worker
    return np.einsum("kt,tl->kl", gains, _kernels(delays, length)).astype(np.complex64)


def multipath(
    samples: np.ndarray,
    sample_rate: float,
    profile: str,
    rng: np.random.Generator,
    doppler_hz: float = 0.0,
    delay_spread_s: float = 100e-9,
) -> np.ndarray:
    """Tapped delay line: sum over taps of gain(t) * x(t - delay), same length as ``x``.

    The gains are linear in time between the points of the fading grid, so the output between
    two grid points is the cross-fade of the two static channels of its ends: each sample is
    filtered twice by a short impulse response whatever the tap count, instead of once per tap.
    Fractional delays are Kaiser-windowed sincs.
    """
    x = np.asarray(samples, np.complex64)
    if profile == "none":
        return x
    delays, power = power_delay_profile(profile, delay_spread_s)
    d = delays * sample_rate
    length = int(np.ceil(d.max())) + 2 * _DELAY_HALF + 1
    gains, step = _fading(rng, delays.size, x.size / sample_rate, doppler_hz)
    gains = gains * np.sqrt(power)[:, None]
    if gains.shape[1] == 1:  # static: one segment
        return _crossfaded(x, d, gains, np.array([0.0, math.inf]), length)
    points = np.arange(gains.shape[1]) * step * sample_rate  # grid points, in samples
    if step * sample_rate < length:  # a few samples per grid step
        return _dense_multipath(x, d, gains, points, length)
    return _crossfaded(x, d, gains, points, length)


def _crossfaded(
    x: np.ndarray, delays: np.ndarray, gains: np.ndarray, points: np.ndarray, length: int
) -> np.ndarray:
    """y(i) = (1 - a) (h_k * x)(i) + a (h_k+1 * x)(i) between grid points k and k + 1, a the
    position between them, h_k the static response of point k; y(i) = sum_l h(l) x(i + half - l).

    Overlap-save in blocks that split every grid segment evenly, all in one batched FFT:
    (h_k * x) + a ((h_k+1 - h_k) * x), three block FFTs per sample with fading, two without.
    """
    n = x.size
    edges = np.minimum(np.ceil(points), n).astype(np.int64)
    lo, hi = edges[:-1], edges[1:]
    seg = np.flatnonzero(hi > lo)
    lo, hi = lo[seg], hi[seg]
    longest = int((hi - lo).max())
    per = -(-longest // (max(_BLOCK_FFT, sp_fft.next_fast_len(4 * length)) - length + 1))
    fft_n = sp_fft.next_fast_len(-(-longest // per) + length - 1)
    block = fft_n - length + 1
    count = -(-(hi - lo) // block)  # blocks per segment
    which = np.repeat(np.arange(seg.size), count)  # blocks, segment by segment
    starts = lo[which] + block * (np.arange(which.size) - np.repeat(count.cumsum() - count, count))
    # y(i) needs x(i + half - length + 1 ..  i + half)
    spectra = frames(x, starts + _DELAY_HALF - length + 1, fft_n)
    spectra = sp_fft.fft(spectra, axis=-1, overwrite_x=True)
    h = _impulse_response(delays, gains.T[: seg[-1] + 2], length)  # one per grid point
    h = sp_fft.fft(h, fft_n, axis=1, overwrite_x=True)
    fading = bool(np.isfinite(points[1]))
    bounds = np.concatenate([[0], count.cumsum()])
    slope = np.empty_like(spectra) if fading else None
    for i, k in enumerate(seg):  # per segment: no gathered copies of the responses
        rows = slice(bounds[i], bounds[i + 1])
        if slope is not None:
            np.multiply(spectra[rows], h[k + 1] - h[k], out=slope[rows])
        spectra[rows] *= h[k]
    y = sp_fft.ifft(spectra, axis=-1, overwrite_x=True)[:, length - 1 :]
    if slope is not None:
        slope = sp_fft.ifft(slope, axis=-1, overwrite_x=True)[:, length - 1 :]
    out = np.empty(n, np.complex64)
    steps = np.arange(block, dtype=np.float32)
    for i, k in enumerate(seg):  # segment i: its blocks' outputs, row by row, in place
        rows, size = slice(bounds[i], bounds[i + 1]), int(hi[i] - lo[i])
        full = size // block  # whole blocks; the last one may be cut
        target = [(out[lo[i] : lo[i] + full * block].reshape(full, block), slice(0, full))]
        if size > full * block:
            target.append((out[lo[i] + full * block : hi[i]][None, :], slice(full, full + 1)))
        for dst, part in target:
            width = dst.shape[1]
            src = y[rows][part, :width]
            if slope is None:
                dst[:] = src
                continue
            # a: where between grid points k and k + 1, per sample
            inverse = 1 / (points[k + 1] - points[k])
            first = np.float32((lo[i] + part.start * block - points[k]) * inverse)
            rows_at = np.arange(dst.shape[0], dtype=np.float32)[:, None] * np.float32(block)
            ramp = (steps[:width] + rows_at) * np.float32(inverse) + first
            np.multiply(slope[rows][part, :width], ramp, out=dst)
            dst += src
    return out


def _dense_multipath(
    x: np.ndarray, delays: np.ndarray, gains: np.ndarray, points: np.ndarray, length: int
) -> np.ndarray:
    """The same tapped delay line, with every tap's gain interpolated at every sample."""
    n = x.size
    at = np.arange(n)
    y = np.zeros(n, np.complex64)
    for delay, g in zip(delays, gains, strict=True):
        h = _impulse_response(np.array([delay]), np.ones((1, 1)), length)[0]
        delayed = signal.fftconvolve(x, h)[_DELAY_HALF : _DELAY_HALF + n]
        gain = np.interp(at, points, g.real) + 1j * np.interp(at, points, g.imag)
        y += (gain * delayed).astype(np.complex64)
    return y


# --- noise --------------------------------------------------------------------------------


def awgn_power(
    signal_power: float, snr_db: float, occupied_bandwidth: float, sample_rate: float
) -> float:
    """Per-sample power of the white noise that ``add_awgn`` adds: N0 * sample_rate."""
    bandwidth = min(occupied_bandwidth, sample_rate)
    return signal_power / (10 ** (snr_db / 10) * bandwidth) * sample_rate


def add_awgn(
    samples: np.ndarray,
    snr_db: float,
    occupied_bandwidth: float,
    sample_rate: float,
    rng: np.random.Generator,
    signal_power: float | None = None,
) -> np.ndarray:
    """Add white complex Gaussian noise of density N0 with S / (N0 * B) = SNR.

    S is ``signal_power`` (default: the mean power of ``samples``), B the occupied bandwidth.
    The noise is white over the whole sample rate, so its total power is N0 * sample_rate: a
    narrow emitter at 0 dB SNR sits well above the floor a spectrogram shows, as on air.
    complex64 in, complex64 out; any other input gives complex128.
    """
    x = np.asarray(samples)
    if x.dtype != np.complex64:
        x = x.astype(complex)
    s = mean_power(x) if signal_power is None else signal_power
    noise = complex_gaussian(
        rng, x.size, np.sqrt(awgn_power(s, snr_db, occupied_bandwidth, sample_rate))
    )
    noise += x
    return noise


def measure_snr(
    clean: np.ndarray,
    received: np.ndarray,
    occupied_bandwidth: float,
    sample_rate: float,
    signal_power: float | None = None,
) -> float:
    """SNR in dB: signal power over the noise (``received - clean``) inside the occupied band."""
    noise = np.asarray(received, complex) - np.asarray(clean, complex)
    f = np.fft.fftfreq(noise.size, 1 / sample_rate)
    in_band = np.abs(f) <= min(occupied_bandwidth, sample_rate) / 2
    n_power = np.sum(np.abs(np.fft.fft(noise)[in_band]) ** 2) / noise.size**2
    s = float(np.mean(np.abs(clean) ** 2)) if signal_power is None else signal_power
    return float(10 * np.log10(s / n_power))


# --- receiver impairments -----------------------------------------------------------------


def phase_noise_phase(
    n: int, sample_rate: float, level_dbc_hz: float, rng: np.random.Generator
) -> np.ndarray:
    """Wiener phase: L(f) = beta / (2 pi f^2) for f >> beta, so beta = 2 pi f_ref^2 10^(L/10).

    Each step has variance 2 pi beta / sample_rate (beta is the Lorentzian 3 dB linewidth).
    float32 throughout: the running sum's rounding wanders by ~1e-4 rad in a million steps.
    """
    beta = 2 * np.pi * _PHASE_NOISE_OFFSET_HZ**2 * 10 ** (level_dbc_hz / 10)
    sigma = np.sqrt(4 * np.pi * beta / sample_rate)  # parts of complex_gaussian are N(0, 1/2)
    steps = complex_gaussian(rng, -(-n // 2), sigma).view(np.float32)[:n]
    return np.cumsum(steps)  # float32: its rounding walks ~1e-4 rad, the process ~10 rad


def _rotate(x: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """x * exp(j phase) in complex64, from float32 cosine and sine."""
    phase = phase.astype(np.float32, copy=False)
    rotor = np.empty(phase.size, np.complex64)
    np.cos(phase, out=rotor.real)
    np.sin(phase, out=rotor.imag)
    rotor *= x
    return rotor


def iq_imbalance(
    x: np.ndarray, gain_db: float, phase_deg: float, dc_offset: complex = 0j
) -> np.ndarray:
    """Q branch scaled by g and skewed by phi: y = K1 x + K2 conj(x) (+ ``dc_offset``).

    K1 = (1 + g e^-jphi) / 2, K2 = (1 - g e^jphi) / 2; the image rejection ratio is
    |K1|^2 / |K2|^2 = (1 + 2 g cos phi + g^2) / (1 - 2 g cos phi + g^2). In real terms: I stays,
    Q becomes g (Q cos phi - I sin phi); computed so, in the input's precision, into a new array.
    """
    g = 10 ** (gain_db / 20)
    phi = np.deg2rad(phase_deg)
    x = np.asarray(x)
    real = np.float32 if x.dtype == np.complex64 else np.float64
    y = np.empty(x.shape, np.complex64 if real is np.float32 else complex)
    y.real = x.real + real(complex(dc_offset).real)
    q = x.imag * real(g * np.cos(phi))
    q -= x.real * real(g * np.sin(phi))
    q += real(complex(dc_offset).imag)
    y.imag = q
    return y


def image_rejection_db(gain_db: float, phase_deg: float) -> float:
    g, phi = 10 ** (gain_db / 20), np.deg2rad(phase_deg)
    return float(
        10 * np.log10((1 + 2 * g * np.cos(phi) + g * g) / (1 - 2 * g * np.cos(phi) + g * g))
    )


def sample_rate_offset(
    x: np.ndarray, ppm: float, spectral: Callable[[np.ndarray], None] | None = None
) -> np.ndarray:
    """Resample as an ADC clocked ``ppm`` fast: round(n (1 + ppm 1e-6)) samples.

    Output sample m is x at input time m / (1 + ppm 1e-6), by the Fourier method (zero-pad or
    cut the spectrum): one FFT each way, and time-invariant, unlike a fractional-delay filter
    whose response near Nyquist would pulse as the fraction sweeps 0..1 every 1e6 / ppm
    samples. ``placement.time_scale`` pads to FFT lengths pocketfft does fast (an arbitrary
    length falls to Bluestein's algorithm, 5-8 times slower) that keep the time axis within
    0.02 sample of the exact one; see there. ``spectral`` goes to ``time_scale`` (not called
    when the slip is too small to resample).
    """
    ratio = 1 + ppm * 1e-6
    if x.size * abs(ppm) * 1e-6 <= 0.02:  # the clock slips less than 0.02 sample in all
        return x
    return time_scale(x, ratio, round(x.size * ratio), spectral)


def _own_noise_clock(x: np.ndarray, ppm: float) -> np.ndarray:
    """The sample-rate offset for the receiver's own noise: only the count changes.

    Stationary noise sampled by a clock ``ppm`` fast is the same random process (white noise
    stays white; a front-end colouring moves by ppm of its frequencies: nothing a spectrogram
    resolves), so resampling it (two long FFTs) would only smooth what the ADC clipped. The
    round(n (1 + ppm 1e-6)) samples are the first ones, or continue cyclically from the start
    (at most ppm 1e-6 n of them, past what a dataset window uses)."""
    out_n = round(x.size * (1 + ppm * 1e-6))
    if out_n <= x.size:
        return x[:out_n]
    return np.concatenate([x, x[: out_n - x.size]])


def apply_channel(
    waveform: Waveform,
    config: ChannelConfig,
    rng: np.random.Generator,
    spectral: Callable[[np.ndarray, float | None], dict[str, Any]] | None = None,
) -> Waveform:
    """``waveform`` as a receiver sees it through ``config``; label kept, config in ``params``.

    The SNR is set against the received signal power (after fading), while the emitter is on:
    a bursty emitter's ``params["duty_cycle"]`` divides the mean power. complex64 throughout.
    ``spectral(spectrum, noise_power)``, when the sample-rate offset resamples by the Fourier
    method, acts on the output's spectrum there and its record goes to
    ``params["receiver_spectrum"]`` (the SDR's filters and lines at no FFT of their own).
    """
    fs = waveform.sample_rate
    x = multipath(
        waveform.samples, fs, config.profile, rng, config.doppler_hz, config.delay_spread_s
    )
    n = x.size
    noise_power = None
    if config.snr_db is not None:
        duty = float(waveform.params.get("duty_cycle", 1.0)) or 1.0
        power = mean_power(x) / duty
        noise_power = awgn_power(power, config.snr_db, waveform.occupied_bandwidth, fs)
        x = add_awgn(x, config.snr_db, waveform.occupied_bandwidth, fs, rng, power)
    if config.phase_noise is not None:
        phase = phase_noise_phase(n, fs, config.phase_noise, rng)
        if config.cfo_hz:
            cycles = np.arange(n) * (config.cfo_hz / fs)
            phase += 2 * np.pi * (cycles - np.floor(cycles))
        x = _rotate(x, phase)
    elif config.cfo_hz:
        x = x * rotor(n, config.cfo_hz / fs)
    if config.iq_gain_db or config.iq_phase_deg:
        x = iq_imbalance(x, config.iq_gain_db, config.iq_phase_deg, config.dc_offset)
    else:
        x = x + np.complex64(config.dc_offset)  # also the copy that the steps below may change
    if config.agc_step_db:
        at = int(rng.uniform(0.1, 0.9) * n)  # the AGC acts somewhere inside the window
        x[at:] *= np.float32(10 ** (config.agc_step_db / 20))
    if config.clip_db is not None:
        level = np.float32(np.sqrt(mean_power(x) / 2) * 10 ** (config.clip_db / 20))
        np.clip(x.real, -level, level, out=x.real)
        np.clip(x.imag, -level, level, out=x.imag)
    shaped: dict[str, Any] = {}
    if waveform.label == "Noise":
        x = _own_noise_clock(x, config.sro_ppm)
    elif spectral is None:
        x = sample_rate_offset(x, config.sro_ppm)
    else:
        x = sample_rate_offset(
            x, config.sro_ppm, lambda spectrum: shaped.update(spectral(spectrum, noise_power))
        )
    params = {**waveform.params, "channel": config.to_dict()}
    if shaped:
        params["receiver_spectrum"] = shaped
    if noise_power is not None:  # what a receiver after this sets its lines against
        params["noise_power"] = noise_power
    return replace(waveform, samples=np.asarray(x, np.complex64), params=params)
