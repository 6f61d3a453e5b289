"""The emitters that are neither LTE nor NR, and plain receiver noise.

A classifier learns "Other" only from what it is shown, so each kind here keeps the structure a
spectrogram sees in the field: Wi-Fi's bursty 16.6 MHz OFDM with its preamble (IEEE 802.11-2020
§17), DVB-T's continuous 7.61 MHz OFDM with boosted pilots (ETSI EN 300 744 §4.5), broadcast FM,
CW carriers and a Bluetooth-like GFSK hopper. Every function is
``(duration_s, sample_rate, rng, **params) -> Waveform``, centred on 0 Hz.

Standards-based emitters are built at their native rate and resampled by ``resample_poly``'s
filter (the rate ratio as a fraction with denominator <= 1000: exact for the usual SDR rates),
applied in the frequency domain by ``placement.resample_rational``. An
emitter wider than the sample rate is clipped to what the rate shows (the resampler's low-pass
removes the rest); ``occupied_bandwidth`` then reports the visible part, and the power is
renormalised. Bursty kinds have unit power while on and report ``duty_cycle`` in ``params``.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import signal

from .common import (
    Waveform,
    complex_gaussian,
    filtered_noise,
    ofdm_modulate,
    random_qam,
    sample_count,
    unit_power,
)
from .interferers import generic_ofdm, narrowband_carrier, spur_comb
from .placement import resample_rational, rotor


def _resample(x: np.ndarray, native_rate: float, sample_rate: float, n: int) -> np.ndarray:
    """``x`` from ``native_rate`` to ``sample_rate``, cut to ``n`` samples."""
    ratio = Fraction(sample_rate / native_rate).limit_denominator(1000)
    x = resample_rational(x, ratio.numerator, ratio.denominator)
    if x.size < n:
        x = np.concatenate([x, np.zeros(n - x.size, x.dtype)])
    return x[:n]


# --- receiver noise -----------------------------------------------------------------------


def receiver_noise(
    duration_s: float,
    sample_rate: float,
    rng: np.random.Generator,
    coloured: bool | None = None,
    dc_spur_db: float | None = None,
) -> Waveform:
    """Thermal noise as a receiver delivers it: white complex Gaussian, unit power.

    ``coloured`` (drawn with probability 1/2 when None) passes it through a gentle front-end
    response: a low-pass roll-off of 1-6 dB at the band edges plus up to ±0.5 dB ripple, as an
    SDR's anti-alias and IF filters leave it. ``dc_spur_db`` (dBc, drawn -35..-15 dB with
    probability 1/3 when None, ``nan`` for none) adds the LO-leakage line at 0 Hz.
    """
    n = sample_count(duration_s, sample_rate)
    if coloured is None:
        coloured = bool(rng.random() < 0.5)
    if dc_spur_db is None:
        dc_spur_db = float(rng.uniform(-35, -15)) if rng.random() < 1 / 3 else float("nan")
    params: dict[str, Any] = {"kind": "noise", "coloured": coloured}
    if coloured:
        edge_db = float(rng.uniform(1, 6))
        ripple_db = float(rng.uniform(0, 0.5))
        cycles = float(rng.uniform(1, 4))
        f = np.linspace(0, 1, 65)  # 0 .. Nyquist, fraction of it
        gain_db = -edge_db * f**4 + ripple_db * np.cos(2 * np.pi * cycles * f)
        taps = signal.firwin2(129, f, 10 ** (gain_db / 20))
        x = filtered_noise(rng, n, taps)
        params |= {"edge_rolloff_db": edge_db, "ripple_db": ripple_db}
    else:
        x = complex_gaussian(rng, n)
    x = unit_power(x)
    if np.isfinite(dc_spur_db):
        x = x + 10 ** (dc_spur_db / 20)
        params["dc_spur_db"] = dc_spur_db
    return Waveform(x, sample_rate, "Noise", float(sample_rate), params)


# --- IEEE 802.11a/g OFDM (IEEE 802.11-2020 §17) -------------------------------------------

_WIFI_RATE = 20e6
_WIFI_K = np.arange(-26, 27)
_STF = np.zeros(64, complex)  # §17.3.3: S_-26..26, period 16 samples (0.8 µs)
_STF[np.array([-24, -20, -16, -12, -8, -4, 4, 8, 12, 16, 20, 24]) % 64] = (
    np.sqrt(13 / 6) * (1 + 1j) * np.array([1, -1, 1, -1, -1, 1, -1, -1, 1, 1, 1, 1])
)
_LTF = np.zeros(64, complex)  # §17.3.3: L_-26..26
_LTF[_WIFI_K % 64] = [
    *[1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 0],
    *[1, -1, -1, 1, 1, -1, 1, -1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, 1, -1, 1, -1, 1, 1, 1, 1],
]
_PILOT_K = np.array([-21, -7, 7, 21])
_PILOT_VALUES = np.array([1, 1, 1, -1])  # §17.3.5.10, times the polarity p_n
_DATA_K = np.array([k for k in _WIFI_K if k != 0 and k not in _PILOT_K])
_WIFI_MODULATIONS = ("BPSK", "QPSK", "16QAM", "64QAM")


@lru_cache(maxsize=1)
def _pilot_polarity() -> np.ndarray:
    """p_0..126 of §17.3.5.10: the scrambler x^7 + x^4 + 1 from all ones, 0 -> +1, 1 -> -1."""
    state = [1] * 7
    bits = []
    for _ in range(127):
        b = state[6] ^ state[3]
        bits.append(b)
        state = [b, *state[:6]]
    return 1.0 - 2.0 * np.array(bits)


def wifi_ofdm(
    duration_s: float,
    sample_rate: float,
    rng: np.random.Generator,
    max_symbols: int = 400,
    mean_gap_s: float = 100e-6,
) -> Waveform:
    """802.11a/g PPDUs: L-STF, L-LTF, SIGNAL and 1..``max_symbols`` DATA symbols, with gaps.

    64-point FFT at 20 MS/s (312.5 kHz spacing), 48 data + 4 pilot subcarriers around a null DC,
    0.8 µs GI. Each burst draws its own data modulation; gaps are SIFS (16 µs) plus an
    exponential backoff of mean ``mean_gap_s``. Simplified: no symbol windowing, random payload.
    """
    n = sample_count(duration_s, sample_rate)
    n_native = int(np.ceil(n * _WIFI_RATE / sample_rate)) + 64
    n_bursts = n_native // 800 + 2  # no burst+gap is shorter than 800 samples
    n_data = rng.integers(1, max_symbols + 1, n_bursts)
    gaps = np.round((16e-6 + rng.exponential(mean_gap_s, n_bursts)) * _WIFI_RATE).astype(int)
    gaps[0] = int(rng.integers(0, gaps[0] + 1))
    burst_len = 320 + 80 * (1 + n_data)
    ends = np.cumsum(gaps + burst_len)
    n_bursts = int(np.searchsorted(ends, n_native)) + 1
    n_data, gaps, burst_len = n_data[:n_bursts], gaps[:n_bursts], burst_len[:n_bursts]
    modulation = rng.integers(0, 4, n_bursts)

    rows = 4 + n_data  # STF, LTF, LTF, SIGNAL, DATA...
    burst_of_row = np.repeat(np.arange(n_bursts), rows)
    pos = np.arange(rows.sum()) - np.repeat(np.cumsum(rows) - rows, rows)
    spectra = np.zeros((rows.sum(), 64), np.complex64)
    spectra[pos == 0] = _STF
    spectra[(pos == 1) | (pos == 2)] = _LTF
    ofdm = pos >= 3
    m = int(ofdm.sum())
    row_mod = np.where(pos[ofdm] == 3, 0, modulation[burst_of_row[ofdm]])  # SIGNAL is BPSK
    data = np.empty((m, 48), np.complex64)
    for index, mod in enumerate(_WIFI_MODULATIONS):  # each row's symbols, drawn for it alone
        rows = row_mod == index
        count = int(rows.sum()) * 48
        if index == 0:
            data[rows] = np.where(rng.random(count) < 0.5, 1.0, -1.0).reshape(-1, 48)
        elif count:
            data[rows] = random_qam(rng, count, mod).reshape(-1, 48)
    polarity = _pilot_polarity()[(pos[ofdm] - 3) % 127]
    grid = np.zeros((m, 64), np.complex64)
    grid[:, _DATA_K % 64] = data
    grid[:, _PILOT_K % 64] = polarity[:, None] * _PILOT_VALUES
    spectra[ofdm] = grid
    cp = np.select([pos == 0, pos == 1, pos == 2], [96, 32, 0], 16)
    body = ofdm_modulate(spectra, cp) * np.sqrt(64 / 52)

    starts = np.cumsum(gaps + burst_len) - burst_len  # where each burst begins in the output
    offsets = np.cumsum(burst_len) - burst_len  # and in ``body``
    native = np.zeros(max(n_native, int(ends[n_bursts - 1])), np.complex64)
    native[np.repeat(starts - offsets, burst_len) + np.arange(body.size)] = body
    on = np.zeros(native.size, bool)
    on[np.repeat(starts - offsets, burst_len) + np.arange(body.size)] = True

    x = _resample(native, _WIFI_RATE, sample_rate, n)
    duty = float(on[: int(np.ceil(n * _WIFI_RATE / sample_rate))].mean())
    x = unit_power(x, duty) if duty > 0 else x
    params = {
        "kind": "wifi_ofdm",
        "bursts": n_bursts,
        "duty_cycle": duty,
        "modulations": sorted({_WIFI_MODULATIONS[i] for i in modulation}),
        "max_symbols": max_symbols,
        "mean_gap_s": mean_gap_s,
    }
    return Waveform(x, sample_rate, "Other", min(53 * 312.5e3, sample_rate), params)


# --- DVB-T (ETSI EN 300 744) --------------------------------------------------------------

_DVBT_RATE = 64e6 / 7  # 8 MHz channel: elementary period T = 7/64 µs (§4.4)
_DVBT_MODES = {"2k": (2048, 1705), "8k": (8192, 6817)}
# §4.5.3 Table 7 / §4.6 Table 9, 2k mode. 8k mode repeats them every 1704 carriers (an
# approximation with the standard's counts, 177 continual and 68 TPS carriers).
# fmt: off
_CONTINUAL_2K = np.array([
    0, 48, 54, 87, 141, 156, 192, 201, 255, 279, 282, 333, 432, 450, 483, 525, 531, 618, 636,
    714, 759, 765, 780, 804, 873, 888, 918, 939, 942, 969, 984, 1050, 1101, 1107, 1110,
    1137, 1140, 1146, 1206, 1269, 1323, 1377, 1491, 1683, 1704,
])
# fmt: on
_TPS_2K = np.array(
    [34, 50, 209, 346, 413, 569, 595, 688, 790, 901, 1073, 1219, 1262, 1286, 1469, 1594, 1687]
)


@lru_cache(maxsize=2)
def _dvbt_prbs(count: int) -> np.ndarray:
    """w_k of §4.5.2: the PRBS x^11 + x^2 + 1 started from all ones, one bit per carrier."""
    w = np.ones(count + 11, dtype=np.uint8)
    for i in range(count):
        w[i + 11] = w[i + 2] ^ w[i]
    return w[:count]


def _tiled(positions_2k: np.ndarray, carriers: int) -> np.ndarray:
    k = np.unique((positions_2k[:, None] + 1704 * np.arange(4)).ravel())
    return k[k < carriers]


def dvbt_like(
    duration_s: float,
    sample_rate: float,
    rng: np.random.Generator,
    mode: str | None = None,
    guard: float | None = None,
    modulation: str | None = None,
) -> Waveform:
    """DVB-T in an 8 MHz channel: 1705 (2k) or 6817 (8k) carriers, 7.61 MHz occupied.

    Scattered pilots at k = 3 (l mod 4) + 12 p and the continual pilots carry 4/3 * 2(1/2 - w_k)
    (boosted 16/9 in power, §4.5.3); TPS carriers carry ±(1 - 2 w_k) DBPSK; data is QPSK, 16QAM
    or 64QAM (non-hierarchical). Guard interval 1/4, 1/8, 1/16 or 1/32 of the useful part.
    """
    n = sample_count(duration_s, sample_rate)
    mode = mode or str(rng.choice(list(_DVBT_MODES)))
    guard = guard or float(rng.choice([1 / 4, 1 / 8, 1 / 16, 1 / 32]))
    modulation = modulation or str(rng.choice(["QPSK", "16QAM", "64QAM"]))
    if mode not in _DVBT_MODES or guard not in (1 / 4, 1 / 8, 1 / 16, 1 / 32):
        raise ValueError(f"DVB-T mode {mode!r} / guard {guard} not in 2k|8k and 1/4..1/32")
    nfft, carriers = _DVBT_MODES[mode]
    cp = int(nfft * guard)
    n_native = int(np.ceil(n * _DVBT_RATE / sample_rate))
    nsym = n_native // (nfft + cp) + 2
    l0 = int(rng.integers(0, 68))  # symbol index in the 68-symbol frame

    grid = random_qam(rng, nsym * carriers, modulation).reshape(nsym, carriers)
    ref = 2 * (0.5 - _dvbt_prbs(carriers).astype(float))
    k = np.arange(carriers)
    tps = _tiled(_TPS_2K, carriers)
    grid[:, tps] = ref[tps] * rng.choice([-1.0, 1.0], size=(nsym, 1))
    continual = _tiled(_CONTINUAL_2K, carriers)
    grid[:, continual] = 4 / 3 * ref[continual]
    scattered = (k[None, :] % 12) == 3 * ((l0 + np.arange(nsym))[:, None] % 4)
    grid[scattered] = (4 / 3 * np.broadcast_to(ref, grid.shape))[scattered]

    spectra = np.zeros((nsym, nfft), np.complex64)
    spectra[:, (k - carriers // 2) % nfft] = grid  # centre carrier on DC
    native = ofdm_modulate(spectra, np.full(nsym, cp))
    start = int(rng.integers(0, nfft + cp))
    x = unit_power(_resample(native[start:], _DVBT_RATE, sample_rate, n))
    occupied = carriers * _DVBT_RATE / nfft
    params = {"kind": "dvbt_like", "mode": mode, "guard": guard, "modulation": modulation}
    return Waveform(x, sample_rate, "Other", min(occupied, sample_rate), params)


# --- broadcast FM -------------------------------------------------------------------------


def fm_broadcast(
    duration_s: float,
    sample_rate: float,
    rng: np.random.Generator,
    deviation_hz: float = 75e3,
    stereo: bool | None = None,
) -> Waveform:
    """Broadcast FM (ITU-R BS.450): ±``deviation_hz`` peak by a processed programme signal.

    The programme is pink-ish noise band-limited to 15 kHz with a syllabic (2-6 Hz) envelope,
    compressed and limited as broadcast processors do, so the peak deviation is reached often.
    ``stereo`` adds the 19 kHz pilot (10% deviation) and the L-R DSB-SC at 38 kHz. Made at
    >= 400 kS/s and resampled, so a narrow rate shows the clipped band instead of aliases.
    """
    n = sample_count(duration_s, sample_rate)
    stereo = bool(rng.random() < 0.5) if stereo is None else stereo
    rate = sample_rate if sample_rate >= 400e3 else 400e3
    m = int(np.ceil(n * rate / sample_rate)) + 1
    arate = 192e3  # programme rate; interpolated to ``rate``
    na = int(np.ceil(m * arate / rate)) + 2
    t = np.arange(na) / arate

    def programme() -> np.ndarray:
        spec = np.fft.rfft(rng.standard_normal(na))
        f = np.fft.rfftfreq(na, 1 / arate)
        shape = np.where((f > 30) & (f < 15e3), 1 / np.sqrt(np.maximum(f, 30) / 30), 0)
        pre = np.abs(1 + 2j * np.pi * f * 50e-6)  # 50 µs pre-emphasis
        a = np.fft.irfft(spec * shape * pre, na)
        env = 1 + 0.6 * np.sin(2 * np.pi * rng.uniform(2, 6) * t + rng.uniform(0, 2 * np.pi))
        a = a * env
        return np.tanh(2.0 * a / np.std(a))  # compressor + limiter, peak 1

    left, right = programme(), programme()
    mono = 0.5 * (left + right) if stereo else left
    comp = mono
    if stereo:
        comp = 0.8 * mono + 0.1 * np.sin(2 * np.pi * 19e3 * t)
        comp = comp + 0.4 * (left - right) * np.sin(2 * np.pi * 38e3 * t)
    comp = comp / np.max(np.abs(comp))
    comp = np.interp(np.arange(m) / rate, t, comp)
    phase = 2 * np.pi * deviation_hz * np.cumsum(comp) / rate + rng.uniform(0, 2 * np.pi)
    x = np.exp(1j * phase)
    if rate != sample_rate:
        x = unit_power(_resample(x, rate, sample_rate, n))
    x = x[:n]
    params = {"kind": "fm_broadcast", "deviation_hz": deviation_hz, "stereo": stereo}
    return Waveform(x, sample_rate, "Other", min(200e3, sample_rate), params)


# --- CW carriers --------------------------------------------------------------------------


def cw_tones(
    duration_s: float,
    sample_rate: float,
    rng: np.random.Generator,
    count: int | None = None,
    frequencies_hz: list[float] | None = None,
    line_width_hz: float = 1e3,
) -> Waveform:
    """1-4 unmodulated carriers at random offsets within ±0.45 of the rate, -6..0 dB each.

    A tone has no bandwidth to define an SNR over, so ``occupied_bandwidth`` is ``count`` times
    ``line_width_hz`` (a nominal resolution bandwidth per line).
    """
    n = sample_count(duration_s, sample_rate)
    if frequencies_hz is None:
        count = count or int(rng.integers(1, 5))
        frequencies_hz = list(rng.uniform(-0.45, 0.45, count) * sample_rate)
    f = np.asarray(frequencies_hz, float)
    amp = 10 ** (rng.uniform(-6, 0, f.size) / 20)
    phase = rng.uniform(0, 2 * np.pi, f.size)
    x = np.zeros(n, np.complex64)
    for a, fi, p in zip(amp, f, phase, strict=True):  # one pass per tone (at most a few)
        x += rotor(n, fi / sample_rate, p) * np.float32(a)
    x *= np.float32(1 / np.sqrt(np.sum(amp**2)))
    params = {
        "kind": "cw_tones",
        "frequencies_hz": [float(v) for v in f],
        "levels_db": [float(v) for v in 20 * np.log10(amp)],
    }
    return Waveform(x, sample_rate, "Other", min(f.size * line_width_hz, sample_rate), params)


# --- frequency hopper ---------------------------------------------------------------------


def frequency_hopper(
    duration_s: float,
    sample_rate: float,
    rng: np.random.Generator,
    symbol_rate: float | None = None,
    channels: int | None = None,
    modulation_index: float = 0.32,
    bt: float = 0.5,
) -> Waveform:
    """Bluetooth BR-like GFSK hopper: one packet per 1, 3 or 5 slots of 625 symbols.

    GFSK at ``symbol_rate`` (1 Mbit/s when the rate shows >= 8 MHz, else rate / 8), h = 0.32,
    BT = 0.5, on channels spaced one symbol rate apart: up to 79 of them, as many as fit in 80% of
    the rate, of which a random subset of 10..all is the hop set. A packet is on for its slots
    minus 259 µs (scaled); one in five slots stays idle. ``occupied_bandwidth`` is one channel
    (the instantaneous band, what a per-burst SNR is measured over).
    """
    n = sample_count(duration_s, sample_rate)
    rs = symbol_rate or (1e6 if sample_rate >= 8e6 else sample_rate / 8)
    fit = int(0.8 * sample_rate // rs)
    channels = channels or min(79, fit)
    if channels < 2:
        raise ValueError(f"only {fit} channels of {rs} Hz fit in {sample_rate} Hz")
    grid = (np.arange(channels) - (channels - 1) / 2) * rs
    hop_set = np.sort(
        rng.choice(grid, size=int(rng.integers(min(10, channels), channels + 1)), replace=False)
    )
    sps = sample_rate / rs
    slot = 625 * sps
    n_packets = int(n / slot) + 2
    slots = rng.choice([1, 3, 5], n_packets, p=[0.6, 0.25, 0.15])
    idle = rng.random(n_packets) < 0.2
    start = np.concatenate([[0.0], np.cumsum(slots * slot)[:-1]]) - rng.uniform(0, slot)
    on_len = (slots * 625 - 259) * sps
    freq = rng.choice(hop_set, n_packets)

    i = np.arange(n)
    pk = np.searchsorted(start, i, side="right") - 1
    on = ((i - start[pk]) < on_len[pk]) & ~idle[pk]
    bits = rng.choice([-1.0, 1.0], int(n / sps) + 2)
    nrz = bits[(i / sps).astype(int)]
    sigma = np.sqrt(np.log(2)) / (2 * np.pi * bt) * sps  # Gaussian filter, samples
    half = int(np.ceil(3 * sigma))
    g = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    dev = signal.fftconvolve(nrz, g / g.sum(), mode="same") * modulation_index * rs / 2
    phase = 2 * np.pi * np.cumsum(dev + freq[pk]) / sample_rate
    x = np.where(on, np.exp(1j * phase), 0)
    duty = float(on.mean())
    params = {
        "kind": "frequency_hopper",
        "symbol_rate": float(rs),
        "hop_frequencies_hz": [float(v) for v in hop_set],
        "modulation_index": modulation_index,
        "bt": bt,
        "duty_cycle": duty,
    }
    return Waveform(x, sample_rate, "Other", min(rs, sample_rate), params)


OTHER_KINDS: dict[str, Callable[..., Waveform]] = {
    "wifi_ofdm": wifi_ofdm,
    "fm_broadcast": fm_broadcast,
    "cw_tones": cw_tones,
    "dvbt_like": dvbt_like,
    "frequency_hopper": frequency_hopper,
    # hard negatives (interferers.py): what a spectrogram can mistake for a 3GPP carrier
    "generic_ofdm": generic_ofdm,
    "narrowband_carrier": narrowband_carrier,
    "spur_comb": spur_comb,
}
