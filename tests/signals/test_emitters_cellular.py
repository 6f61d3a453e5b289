"""GSM, WCDMA and land-mobile emitters, checked by measurement against their standards."""

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

from rfclassify.signals import draws
from rfclassify.signals.emitters_cellular import (
    _TSC_BITS,
    KINDS,
    RANGES,
    _sch,
    fwht,
    gsm,
    land_mobile,
    msequence,
    scrambling_code,
    wcdma,
)

RATES = (1.92e6, 12.345678e6, 19.2e6, 20e6, 25e6, 46.08e6, 56e6, 61.44e6)
GSM_BIT = 1625e3 / 6


def bursts(x: np.ndarray, fs: float, smooth_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(start, stop) times of the on-segments of |x|^2 smoothed over ``smooth_s``."""
    k = max(1, round(smooth_s * fs))
    env = np.convolve(np.abs(x) ** 2, np.ones(k) / k, mode="same")
    starts, lengths = runs(env > 0.5 * np.percentile(env, 99))
    return starts / fs, (starts + lengths) / fs


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_at_every_capture_rate(kind, rate):
    w = KINDS[kind](0.004, rate, np.random.default_rng(7))
    check_capture(w, kind, RANGES[kind], 0.004, rate, bursty=kind in ("gsm", "land_mobile"))
    assert all(abs(f) < 0.5 * rate for f in w.params["offsets_hz"])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ranges_are_valid_and_a_seed_reproduces_the_signal(kind):
    draws.check_ranges(RANGES[kind], kind)
    check_replay(KINDS[kind], RANGES[kind], 1.92e6, seed=3)


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        ("gsm", {"carriers": 0}),
        ("gsm", {"carriers": 2.5}),
        ("gsm", {"active_slots": 1.5}),
        ("gsm", {"tsc": 8}),
        ("gsm", {"frequency": 900e6}),
        ("wcdma", {"load": 0.0}),
        ("wcdma", {"carriers": 0}),
        ("wcdma", {"spacing_hz": 1e6}),
        ("land_mobile", {"system": "p25"}),
        ("land_mobile", {"nbfm_spacing_hz": 6250}),
        ("land_mobile", {"activity": 0.0}),
        ("land_mobile", {"dmr_mode": "simplex"}),
    ],
)
def test_bad_params_raise(kind, bad):
    with pytest.raises(ValueError):
        KINDS[kind](0.002, 1.92e6, np.random.default_rng(0), **bad)


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("gsm", {"carriers": 1, "bcch": False, "active_slots": 0.125}),
        ("land_mobile", {"system": "dmr", "dmr_mode": "mobile", "channels": 1, "activity": 1.0}),
    ],
)
def test_short_captures_between_bursts_are_never_empty(kind, params):
    """A 1 ms capture between bursts would be an "Other" example with nothing in it."""
    for seed in range(30):
        w = KINDS[kind](0.001, 1.92e6, np.random.default_rng(seed), **params)
        assert w.params["duty_cycle"] > 0
        power = np.mean(np.abs(w.samples) ** 2) / w.params["duty_cycle"]
        assert power == pytest.approx(1.0, rel=1e-3)


# --- GSM -----------------------------------------------------------------------------------


def test_gsm_training_sequences_have_their_cyclic_extension():
    """TS 45.002 §5.2.3: each 26-bit TSC is a 16-bit core with 5 bits repeated each side."""
    assert (_TSC_BITS[:, :5] == _TSC_BITS[:, 16:21]).all()
    assert (_TSC_BITS[:, 21:] == _TSC_BITS[:, 5:10]).all()


def test_gsm_carrier_occupies_its_200_khz_channel():
    """GMSK BT 0.3: 99 % power in 0.92 x 270.8 kHz = 249 kHz, ~97 % inside the 200 kHz
    channel (TS 45.005 §4.2.1 modulation mask)."""
    w = gsm(0.05, 1.92e6, np.random.default_rng(1), carriers=1, bcch=True)
    x = baseband(w)
    assert 225e3 < occupied_bandwidth(x, 1.92e6, 8192) < 270e3
    f, p = psd(x, 1.92e6, 8192)
    assert p[np.abs(f) <= 100e3].sum() / p.sum() > 0.95
    assert w.occupied_bandwidth == 200e3
    assert w.params["duty_cycle"] > 0.93  # a BCCH carrier: every slot on, dips in the guards


def test_gsm_bursts_fill_577_us_timeslots_of_a_4615_us_frame():
    w = gsm(0.05, 1.92e6, np.random.default_rng(2), carriers=1, bcch=False, active_slots=0.4,
            frame_phase=0.0)  # fmt: skip
    slots = w.params["slots"][0]
    assert 0 < len(slots) < 8
    starts, stops = bursts(w.samples, 1.92e6, 4e-6)
    slot_start = np.concatenate([[0], np.cumsum([157, 156, 156, 156, 157, 156, 156])])
    bit = (starts * GSM_BIT) % 1250  # where in the 1250-bit (4.615 ms) frame each burst begins
    nearest = np.argmin(np.abs(bit[:, None] - slot_start[None, :]), axis=1)
    assert np.abs(bit - slot_start[nearest]).max() < 3  # on a slot boundary, within 3 bits
    assert set(nearest) == set(slots)  # every active slot, and only those
    inner = (starts > 0) & (stops < 0.05)
    lengths = (stops - starts)[inner] * GSM_BIT
    runs = np.round((lengths - 148) / 156.25)  # adjacent active slots may merge across a guard
    assert np.abs(lengths - (148 + 156.25 * runs)).max() < 4  # 148 useful bits per burst
    frame = 1250 / GSM_BIT
    assert frame == pytest.approx(4.615e-3, abs=1e-6) and frame / 8 == pytest.approx(
        577e-6, abs=1e-6
    )


def test_gsm_carriers_sit_on_the_200_khz_raster():
    fs = 19.2e6
    w = gsm(0.01, fs, np.random.default_rng(1), carriers=4, bcch=True, level_spread_db=3.0)
    offsets = np.array(w.params["offsets_hz"])
    assert offsets.size == 4 and np.all(np.abs(offsets) + 100e3 <= 0.45 * fs)
    assert np.allclose(offsets % 200e3, 0, atol=1e-3) and np.all(np.diff(offsets) >= 200e3)
    f, p = psd(w.samples, fs, 8192)
    for f0 in offsets:  # the measured power centroid of each carrier is on a raster point
        if np.sort(np.abs(offsets - f0))[1] < 400e3:
            continue  # an adjacent carrier's skirt would bias the centroid
        band = np.abs(f - f0) < 100e3
        centroid = np.sum(f[band] * p[band]) / p[band].sum()
        assert abs(centroid - 200e3 * round(centroid / 200e3)) < 5e3
    between = np.abs(f[:, None] - offsets[None, :]).min(axis=1) > 400e3
    assert p[between].mean() < 1e-3 * p.max()  # nothing but carriers
    assert np.all(np.abs(w.params["levels_db"]) <= 3.0)


# --- WCDMA ---------------------------------------------------------------------------------


def test_wcdma_codes_are_the_standard_ones():
    """The scrambling code's m-sequences (a fast recurrence checked against a plain LFSR),
    orthogonal OVSF codes, orthogonal secondary sync codes (TS 25.213)."""
    for taps, init in (((0, 7), [1] + [0] * 17), ((0, 5, 7, 10), [1] * 18)):
        bits = list(init)
        while len(bits) < 3000:
            bits.append(np.bitwise_xor.reduce([bits[len(bits) - 18 + t] for t in taps]))
        assert np.array_equal(msequence(taps, np.array(init, np.uint8), 3000), bits)
    hadamard = np.array([[(-1) ** bin(r & c).count("1") for c in range(128)] for r in range(128)])
    symbols = np.random.default_rng(0).standard_normal((3, 128))
    assert np.allclose(fwht(symbols), symbols @ hadamard)  # Walsh spreading of every code
    _, ssc = _sch()
    assert np.allclose(ssc @ ssc.conj().T, 256 * np.eye(16))
    code = scrambling_code(16 * 5)
    assert code.size == 38400 and np.allclose(np.abs(code), 1)


def test_wcdma_spectrum_is_a_3_84_mcps_rrc_carrier():
    """Flat top, -3 dB points at ±chip rate / 2 (RRC), 99 % in ~4.2 MHz, nothing beyond
    ±(1 + 0.22) x 1.92 MHz = ±2.34 MHz: the 4.7 MHz nominal carrier."""
    fs = 7.68e6
    w = wcdma(0.05, fs, np.random.default_rng(4), carriers=1, load=0.6)
    x = baseband(w)
    f, p = psd(x, fs, 1024)
    p = np.convolve(p / np.median(p[np.abs(f) < 1.2e6]), np.ones(3) / 3, mode="same")
    assert 10 * np.log10(p[np.abs(f) < 1.4e6]).std() < 0.3
    half = f[p >= 0.5]
    assert half.max() - half.min() == pytest.approx(3.84e6, abs=40e3)
    assert 4.05e6 < occupied_bandwidth(x, fs, 1024) < 4.35e6
    assert p[np.abs(f) > 2.45e6].max() < 1e-3
    assert w.occupied_bandwidth == pytest.approx(4.6848e6)


def test_wcdma_chip_rate_is_a_cyclic_frequency():
    """|x|^2 of an RRC-shaped chip stream has a spectral line at the chip rate."""
    fs = 15.36e6
    w = wcdma(0.01, fs, np.random.default_rng(5), carriers=1, load=0.5)
    s = np.abs(np.fft.fft(np.abs(w.samples) ** 2))
    f = np.fft.fftfreq(s.size, 1 / fs)
    band = (f > 2e6) & (f < 6e6)
    peak = np.argmax(np.where(band, s, 0))
    assert f[peak] == pytest.approx(3.84e6, abs=200)
    assert s[peak] > 50 * np.median(s[band])


def test_wcdma_carriers_are_adjacent_at_their_spacing():
    w = wcdma(0.005, 25e6, np.random.default_rng(6), carriers=3, spacing_hz=5e6)
    offsets = np.array(w.params["offsets_hz"])
    assert np.allclose(np.diff(offsets), 5e6, atol=1) and np.allclose(offsets % 200e3, 0, atol=1)
    assert w.occupied_bandwidth == pytest.approx(3 * 4.6848e6)
    assert len(set(w.params["scrambling_codes"])) == 3
    w = wcdma(0.005, 1.92e6, np.random.default_rng(6), carriers=3)  # wider than the view
    assert len(w.params["offsets_hz"]) == 1 and w.occupied_bandwidth == 1.92e6


# --- land mobile ---------------------------------------------------------------------------


def _one_channel(system: str, **kw):
    fs = 1.92e6
    w = land_mobile(
        0.2, fs, np.random.default_rng(8), system=system, channels=1, activity=1.0, **kw
    )
    return w, baseband(w), fs


def test_tetra_fills_its_25_khz_channel():
    """π/4-DQPSK at 18 ksym/s, RRC 0.35: 99 % in ~21 kHz, nothing beyond ±12.15 kHz."""
    w, x, fs = _one_channel("tetra")
    assert 19e3 < occupied_bandwidth(x, fs, 65536) < 23e3
    f, p = psd(x, fs, 65536)
    assert p[np.abs(f) > 12.5e3].sum() < 1e-4 * p.sum()
    assert w.params["duty_cycle"] == 1.0 and w.occupied_bandwidth == pytest.approx(24.3e3)


@pytest.mark.parametrize(("spacing", "deviation"), [(12500, 2500), (25000, 5000)])
def test_nbfm_deviation_and_bandwidth_follow_the_channel(spacing, deviation):
    """Peak deviation ±2.5/±5 kHz; 99 % band within Carson's 2 (Δf + 3 kHz) (11K0F3E/16K0F3E)."""
    w, x, fs = _one_channel("nbfm", nbfm_spacing_hz=spacing, ctcss=True)
    freq = inst_freq(x, fs)
    freq = np.convolve(freq, np.ones(64) / 64, mode="valid")  # the audio, not sample noise
    assert 0.8 * deviation < np.abs(freq).max() < 1.05 * deviation
    carson = 2 * (deviation + 3e3)
    assert 0.4 * carson < occupied_bandwidth(x, fs, 65536) < carson
    assert w.occupied_bandwidth == carson and 67 <= w.params["ctcss_hz"][0] <= 254.1
    env = np.abs(x)  # keyed throughout: constant envelope, no ramp or ringing at either end
    assert env[:2000].min() / np.median(env) > 0.97 and env[-2000:].max() / np.median(env) < 1.03


def test_dmr_mobile_bursts_27_5_ms_in_one_30_ms_slot_of_two():
    w, x, fs = _one_channel("dmr", dmr_mode="mobile")
    starts, stops = bursts(x, fs, 0.2e-3)
    inner = (starts > 1e-3) & (stops < 0.199)
    assert inner.sum() >= 2
    assert np.allclose((stops - starts)[inner], 27.5e-3, atol=0.6e-3)
    assert np.allclose(np.diff(starts[inner]), 60e-3, atol=0.3e-3)
    assert 0.4 < w.params["duty_cycle"] < 0.55
    keyed = x[np.abs(x) > 0.5]
    assert 6.5e3 < occupied_bandwidth(keyed, fs, 16384) < 9e3  # 4FSK ±1.944 kHz: 7K60FXE


def test_dmr_repeater_and_channel_raster():
    fs = 19.2e6
    w = land_mobile(0.02, fs, np.random.default_rng(9), system="dmr", dmr_mode="repeater",
                    channels=6, activity=1.0, span_hz=1e6)  # fmt: skip
    offsets = np.array(w.params["offsets_hz"])
    assert offsets.size == 6 and np.allclose(offsets % 12.5e3, 0, atol=1)
    assert np.ptp(offsets) <= 1e6 and w.params["duty_cycle"] > 0.99
    w = land_mobile(0.02, fs, np.random.default_rng(9), system="nbfm", nbfm_spacing_hz=25000,
                    channels=4)  # fmt: skip
    assert np.allclose(np.array(w.params["offsets_hz"]) % 25e3, 0, atol=1)


def test_push_to_talk_keys_channels_on_and_off():
    """Overs of 0.5-5 s: in 20 ms most channels are wholly on or off; unkeyed ones are silent,
    at least one is keyed, and the occupied band counts the keyed ones only."""
    fs = 1.92e6
    seen_off = False
    for seed in range(6):
        w = land_mobile(0.02, fs, np.random.default_rng(seed), system="nbfm", channels=8,
                        activity=0.4, nbfm_spacing_hz=12500)  # fmt: skip
        keyed = np.array(w.params["keyed_fraction"])
        assert keyed.max() > 0 and np.mean((keyed == 0) | (keyed == 1)) >= 0.75
        f, p = psd(w.samples, fs, 8192)
        power = [p[np.abs(f - f0) < 5e3].sum() for f0 in w.params["offsets_hz"]]
        loud = max(power)
        for k, pw in zip(keyed, power, strict=True):
            if k == 0:
                seen_off = True
                assert pw < 1e-4 * loud
        assert w.occupied_bandwidth == pytest.approx(11e3 * np.sum(keyed > 0))
    assert seen_off
