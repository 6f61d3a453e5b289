"""DAB, DVB-T2 and FM/RDS emitters, checked by measurement against their standards."""

import numpy as np
import pytest
from emitter_checks import (
    baseband,
    check_capture,
    check_replay,
    inst_freq,
    occupied_bandwidth,
    psd,
    runs,
)
from scipy import signal

from rfclassify.signals import draws
from rfclassify.signals.emitters_broadcast import KINDS, RANGES, dab, dvbt2, fm_rds

RATES = (1.92e6, 12.345678e6, 19.2e6, 20e6, 25e6, 46.08e6, 56e6, 61.44e6)
T2_8MHZ = 64e6 / 7  # elementary rate of an 8 MHz channel (EN 302 755 §9.5)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_at_every_capture_rate(kind, rate):
    w = KINDS[kind](0.004, rate, np.random.default_rng(7))
    check_capture(w, kind, RANGES[kind], 0.004, rate, bursty=False)  # continuous kinds


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ranges_are_valid_and_a_seed_reproduces_the_signal(kind):
    draws.check_ranges(RANGES[kind], kind)
    check_replay(KINDS[kind], RANGES[kind], 1.92e6, seed=3)


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        ("dab", {"ensembles": 0}),
        ("dab", {"frame_phase": 2.0}),
        ("dab", {"mode": "II"}),
        ("dvbt2", {"fft_size": 3000}),
        ("dvbt2", {"bandwidth_mhz": "9"}),
        ("dvbt2", {"fft_size": 32768, "guard": "1/4"}),  # no 1/4 guard with 32K
        ("dvbt2", {"fft_size": 2048, "extended": True}),  # extended carriers need 8K+
        ("dvbt2", {"fft_size": 8192, "guard": "1/128", "pilot_pattern": "PP1"}),
        ("dvbt2", {"modulation": "1024QAM"}),
        ("fm_rds", {"raster_hz": 150e3}),
        ("fm_rds", {"stations": 0}),
        ("fm_rds", {"rds_probability": 1.5}),
    ],
)
def test_bad_params_raise(kind, bad):
    with pytest.raises(ValueError):
        KINDS[kind](0.002, 1.92e6, np.random.default_rng(0), **bad)


# --- DAB -----------------------------------------------------------------------------------


def test_dab_ensemble_is_1_536_mhz_of_1_khz_carriers():
    fs = 2.048e6
    w = dab(0.05, fs, np.random.default_rng(1), ensembles=1)
    assert w.params["offsets_hz"] == [0.0] and w.occupied_bandwidth == 1.536e6
    assert 1.49e6 < occupied_bandwidth(w.samples, fs) < 1.55e6
    f, p = psd(w.samples, fs)
    assert p[np.abs(f) > 0.86e6].max() < 1e-4 * np.median(p[np.abs(f) < 0.7e6])  # mask filter
    # 1 kHz spacing = a 1 ms useful symbol: the guard interval repeats its last 246 µs
    x = w.samples
    lags = np.arange(1500, 2600)
    corr = [abs(np.vdot(x[:-lag], x[lag:])) for lag in lags]
    assert lags[np.argmax(corr)] == 2048


def test_dab_null_symbol_opens_each_96_ms_frame():
    fs = 2.048e6
    w = dab(0.2, fs, np.random.default_rng(2), ensembles=1, frame_phase=0.5)
    k = round(20e-6 * fs)
    env = np.convolve(np.abs(w.samples) ** 2, np.ones(k) / k, mode="same")
    starts, lengths = runs(env < 0.05 * np.median(env))
    assert np.allclose(starts / fs, [0.048, 0.144], atol=30e-6)  # frame_phase 0.5 of 96 ms
    assert np.allclose(lengths / fs, 2656 / fs, atol=40e-6)  # 1.297 ms (Table 38)


def test_dab_capture_inside_a_null_symbol_is_refused_or_moved():
    with pytest.raises(ValueError):
        dab(0.0005, 2.048e6, np.random.default_rng(0), frame_phase=0.001)
    moved = 0
    for seed in range(400):  # a drawn phase that would land there is moved to the reference
        w = dab(0.0005, 2.048e6, np.random.default_rng(seed), ensembles=1)
        assert np.mean(np.abs(w.samples) ** 2) == pytest.approx(1.0, rel=1e-3)
        moved += w.params["frame_phase"] == 2656 / 196608
    assert moved > 0


def test_dab_ensembles_sit_on_the_1_712_mhz_block_raster():
    fs = 19.2e6
    w = dab(0.01, fs, np.random.default_rng(3), ensembles=3, level_spread_db=4.0)
    offsets = np.array(w.params["offsets_hz"])
    assert offsets.size == 3 and np.allclose(offsets / 1.712e6, np.round(offsets / 1.712e6))
    f, p = psd(w.samples, fs, 8192)
    for f0 in offsets:
        band = np.abs(f - f0) < 768e3
        assert abs(np.sum(f[band] * p[band]) / p[band].sum() - f0) < 10e3
    assert w.occupied_bandwidth == pytest.approx(3 * 1.536e6)


# --- DVB-T2 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bandwidth", "fft", "extended", "nominal"),
    [("8", 8192, False, 7.61e6), ("8", 32768, True, 7.77e6), ("7", 8192, False, 6.66e6),
     ("1.7", 4096, False, 1.535e6)],
)  # fmt: skip
def test_dvbt2_occupies_its_channel_with_sharp_edges(bandwidth, fft, extended, nominal):
    fs = 10e6
    w = dvbt2(0.03, fs, np.random.default_rng(4), bandwidth_mhz=bandwidth, fft_size=fft,
              extended=extended, guard="1/16")  # fmt: skip
    assert w.occupied_bandwidth == pytest.approx(nominal, rel=2e-3)
    assert 0.975 * nominal < occupied_bandwidth(w.samples, fs, 8192) < nominal
    f, p = psd(w.samples, fs, 8192)
    inside = np.median(p[np.abs(f) < 0.4 * nominal])
    assert p[np.abs(f) > nominal / 2 + 0.15e6].max() < 1e-4 * inside


def shifted_correlation(x: np.ndarray, lag: int, length: int, sign: int) -> np.ndarray:
    """|sum x[t+i] x*[t+i+lag] e^(-j sign 2 pi i / 2048)| / energies, over windows of
    ``length``: ~1 where x[t+lag..] repeats x[t..] shifted by one 1K carrier (fs = 2/T)."""
    n = x.size - lag
    prod = x[:n] * np.conj(x[lag:]) * np.exp(-2j * np.pi * sign * np.arange(n) / 2048)
    c = np.concatenate([[0], np.cumsum(prod)])
    e = np.concatenate([[0], np.cumsum(np.abs(x) ** 2)])
    t = np.arange(n - length + 1)
    den = np.sqrt((e[t + length] - e[t]) * (e[t + lag + length] - e[t + lag]))
    return np.abs(c[t + length] - c[t]) / den


def test_dvbt2_p1_preamble_opens_the_frame():
    """P1 = C-A-B: C repeats A's first 542 samples and B its last 482, each shifted up
    by one 1K carrier spacing; the shift-compensated correlation is ~1 there and only there."""
    fs = 2 * T2_8MHZ  # the 1K symbol A is 2048 samples here
    w = dvbt2(0.008, fs, np.random.default_rng(5), bandwidth_mhz="8", fft_size=32768,
              guard="1/128", frame_phase=0.0)  # fmt: skip
    x = w.samples.astype(np.complex128)
    c_a = shifted_correlation(x, 1084, 1084, +1)  # C (0..1083) against A's start
    a_b = shifted_correlation(x, 964, 964, -1)  # A's end (2168..3131) against B
    assert c_a[0] > 0.95 and a_b[2168] > 0.95
    assert c_a[4096:].max() < 0.3 and a_b[4096:].max() < 0.3  # nowhere in the data symbols


def test_dvbt2_scattered_and_p2_pilots_are_boosted():
    """PP1 scattered pilots carry 4/3 (+2.5 dB) against unit-power data; P2 pilots √31/5."""
    w = dvbt2(0.03, T2_8MHZ, np.random.default_rng(6), bandwidth_mhz="8", fft_size=2048,
              guard="1/4", pilot_pattern="PP1", modulation="64QAM", frame_phase=0.0)  # fmt: skip
    x, carriers, k = w.samples, 1705, np.arange(1705)
    inner = (k > 0) & (k < carriers - 1)  # edge pilots aside
    ratios_p2, ratios_sp = [], []
    for sym in range(12):  # 8 P2 symbols (2K), then data symbols
        start = 2048 + sym * 2560 + 512  # after P1 and this symbol's guard interval
        cells = np.abs(np.fft.fft(x[start : start + 2048])[(k - carriers // 2) % 2048]) ** 2
        pilots = k % 3 == 0 if sym < 8 else k % 12 == 3 * (sym % 4)
        ratio = cells[inner & pilots].mean() / cells[inner & ~pilots].mean()
        (ratios_p2 if sym < 8 else ratios_sp).append(ratio)
    assert np.mean(ratios_p2) == pytest.approx(31 / 25, rel=0.05)
    assert np.mean(ratios_sp) == pytest.approx(16 / 9, rel=0.05)


# --- FM ------------------------------------------------------------------------------------


def _mpx(w) -> tuple[np.ndarray, np.ndarray]:
    """The FM-demodulated (phase-difference) multiplex signal's spectrum."""
    f, p = signal.welch(inst_freq(baseband(w), w.sample_rate), w.sample_rate, nperseg=16384)
    return f, p


def _power(f: np.ndarray, p: np.ndarray, lo: float, hi: float) -> float:
    """Hz^2 of deviation in [lo, hi] of the multiplex."""
    band = (f >= lo) & (f <= hi)
    return float(p[band].sum() * (f[1] - f[0]))


@pytest.mark.parametrize("with_rds", [True, False])
def test_fm_pilot_at_19_khz_and_rds_at_57_khz(with_rds):
    """Stereo pilot: a 19 kHz line of 9 % (6.75 kHz) deviation; L-R around 38 kHz; RDS ±2 kHz
    peak deviation in 57 ± 2.4 kHz (IEC 62106), absent when the station sends none."""
    w = fm_rds(0.08, 1.92e6, np.random.default_rng(7), stations=1, stereo_probability=1.0,
               rds_probability=float(with_rds))  # fmt: skip
    assert w.params["stereo"] == [True] and w.params["rds"] == [with_rds]
    f, p = _mpx(w)
    pilot = _power(f, p, 18.6e3, 19.4e3)
    assert np.sqrt(2 * pilot) == pytest.approx(0.09 * 75e3, rel=0.05)
    assert _power(f, p, 17e3, 18.4e3) < 1e-3 * pilot and _power(f, p, 19.6e3, 21e3) < 1e-3 * pilot
    assert _power(f, p, 23e3, 53e3) > pilot  # the L-R sidebands
    rds = _power(f, p, 54.6e3, 59.4e3)
    if with_rds:
        assert 0.3e3 < np.sqrt(rds) < 2e3  # rms of a ±2 kHz peak biphase subcarrier
        assert _power(f, p, 56.9e3, 57.1e3) < 0.05 * rds  # biphase: no power at 57 kHz itself
    else:
        assert np.sqrt(rds) < 30


def test_fm_mono_station_has_no_pilot_and_75_khz_deviation():
    w = fm_rds(0.05, 1.92e6, np.random.default_rng(8), stations=1, stereo_probability=0.0,
               rds_probability=0.0)  # fmt: skip
    f, p = _mpx(w)
    assert np.sqrt(2 * _power(f, p, 18.6e3, 19.4e3)) < 30  # no pilot
    x = baseband(w)
    d = inst_freq(x, w.sample_rate)
    assert 60e3 < np.abs(np.convolve(d, np.ones(16) / 16, mode="valid")).max() < 76e3
    assert 100e3 < occupied_bandwidth(x, 1.92e6, 16384) < 220e3


@pytest.mark.parametrize("raster", [100e3, 200e3])
def test_fm_stations_on_the_raster_at_their_own_levels(raster):
    w = fm_rds(0.01, 19.2e6, np.random.default_rng(9), stations=6, raster_hz=raster)
    offsets = np.array(w.params["offsets_hz"])
    assert offsets.size == 6 and np.allclose(offsets / raster, np.round(offsets / raster))
    assert np.diff(offsets).min() >= 200e3 and np.all(np.abs(offsets) + 100e3 <= 0.45 * 19.2e6)
    assert np.all(np.abs(w.params["levels_db"]) <= w.params["level_spread_db"])
    f, p = psd(w.samples, 19.2e6, 8192)
    measured = [10 * np.log10(p[np.abs(f - f0) < 100e3].sum()) for f0 in offsets]
    expected = np.array(w.params["levels_db"])
    spread = np.array(measured) - expected
    assert np.ptp(spread) < 1.5  # each station at its drawn level (±15 dB range)
    assert w.occupied_bandwidth == pytest.approx(6 * 200e3)
