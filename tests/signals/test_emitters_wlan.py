import numpy as np
import pytest
from emitter_checks import check_capture, check_replay, occupied_bandwidth, runs

from rfclassify.signals.draws import check_ranges
from rfclassify.signals.emitters_wlan import KINDS, RANGES, resample_view, wifi_ht_vht

# the used tones (data + pilots) of IEEE 802.11-2020 §19.3.7 / §21.3.7
USED = {20: (1, 28), 40: (2, 58), 80: (2, 122)}
BUSY = {"max_ppdu_s": 5e-3, "mean_idle_s": 2e-5, "block_ack": False}


def expected_99(bw: int) -> float:
    """The 99 % band of equal-power tones -kmax..kmax (DC hole of 1 or 3): 0.5 % off each end."""
    lo, hi = USED[bw]
    tones = 2 * (hi - lo + 1)
    return (2 * hi + 1 - 0.01 * tones) * 312.5e3


def burst_starts(x: np.ndarray, gap: int = 8) -> np.ndarray:
    """Indices where a burst begins after at least ``gap`` zero samples."""
    on = np.abs(x) > 0
    idx = np.flatnonzero(on[gap:] & ~np.lib.stride_tricks.sliding_window_view(on, gap)[:-1].any(1))
    return idx + gap


@pytest.mark.parametrize(
    ("fs", "bw", "standard"), [(25e6, 20, "ht"), (61.44e6, 40, "ht"), (100e6, 80, "vht")]
)
def test_occupied_bandwidth_is_the_used_tones(fs, bw, standard):
    w = wifi_ht_vht(
        0.006, fs, np.random.default_rng(0), bandwidth_mhz=bw, standard=standard, **BUSY
    )
    assert w.params["bandwidth_mhz"] == bw
    assert occupied_bandwidth(w.samples, fs) == pytest.approx(expected_99(bw), rel=0.02)
    assert w.occupied_bandwidth == pytest.approx((2 * USED[bw][1] + 1) * 312.5e3)


@pytest.mark.parametrize(("fs", "bw", "size"), [(20e6, 20, 64), (80e6, 40, 256)])
def test_legacy_preamble_stf_repeats_every_0_8_us_and_ltf_every_3_2_us(fs, bw, size):
    w = wifi_ht_vht(0.003, fs, np.random.default_rng(1), bandwidth_mhz=bw, **BUSY)
    assert w.params["native_rate"] == fs  # no resampling: the periods are whole samples
    x = w.samples.astype(complex)
    starts = burst_starts(x)
    assert starts.size >= 1
    s, lag = int(starts[0]), size // 4  # 0.8 µs
    stf = x[s : s + 10 * lag]
    rho = np.abs(np.vdot(stf[:-lag], stf[lag:])) / np.sum(np.abs(stf[:-lag]) ** 2)
    assert rho == pytest.approx(1.0, abs=1e-3)
    ltf = x[s + 10 * lag + size // 2 : s + 10 * lag + 5 * size // 2]  # after the 1.6 µs GI2
    assert np.allclose(ltf[:size], ltf[size:], atol=1e-4)
    data = x[s + 40 * lag : s + 40 * lag + size]  # HT data or LTFs: no 0.8 µs period
    assert np.abs(np.vdot(data[:-lag], data[lag:])) / np.sum(np.abs(data) ** 2) < 0.6


@pytest.mark.parametrize(("fs", "bw", "pairs"), [(80e6, 40, [(-32, 32, 1j)]), (160e6, 80, None)])
def test_tone_rotation_gamma_between_the_duplicated_subchannels(fs, bw, pairs):
    w = wifi_ht_vht(0.002, fs, np.random.default_rng(2), bandwidth_mhz=bw, standard="vht", **BUSY)
    size = int(fs / 312.5e3)
    x = w.samples.astype(complex)
    s = int(burst_starts(x)[0])
    body = np.fft.fft(x[s + 5 * size // 2 + size // 2 :][:size])  # first L-LTF symbol
    pairs = pairs or [(-96, -32, -1), (-96, 32, -1), (-96, 96, -1)]  # γ = 1, -1, -1, -1
    d = np.array([v for v in range(-26, 27) if v])
    for low, high, ratio in pairs:
        assert np.allclose(body[(high + d) % size] / body[(low + d) % size], ratio, atol=1e-3)


def test_bursts_have_sifs_gaps_before_block_acks_and_longer_backoff_gaps():
    params = {"bandwidth_mhz": 20, "block_ack": True, "max_ppdu_s": 5e-4, "mean_idle_s": 1e-4}
    w = wifi_ht_vht(0.02, 20e6, np.random.default_rng(3), **params)
    on = np.abs(w.samples) > 0
    edges = np.flatnonzero(np.diff(on.astype(int)))
    runs = np.diff(edges)[1::2] if on[edges[0] + 1] else np.diff(edges)[::2]  # off-runs
    gaps_us = np.sort(runs) / 20
    assert np.sum(np.abs(gaps_us - 16) < 0.1) >= 3  # SIFS then the BA
    assert gaps_us.max() >= 34  # AIFS (>= SIFS + 2 slots) + backoff + idle
    assert 0 < w.params["duty_cycle"] < 1
    assert np.mean(on) == pytest.approx(w.params["duty_cycle"], abs=0.01)


def test_aggregated_ppdus_reach_milliseconds():
    w = wifi_ht_vht(0.03, 20e6, np.random.default_rng(4), bandwidth_mhz=20, **BUSY)
    _, lengths = runs(np.abs(w.samples) > 0)
    assert 1e-3 < lengths.max() / 20e6 <= 5.5e-3


def test_bandwidth_is_drawn_among_those_that_fit_the_view():
    seen = {fs: set() for fs in (19.2e6, 25e6, 46.08e6, 61.44e6, 100e6)}
    for fs in seen:
        for seed in range(12):
            draw = wifi_ht_vht(1e-4, fs, np.random.default_rng(seed), standard="vht")
            seen[fs].add(draw.params["bandwidth_mhz"])
    assert seen[19.2e6] == {20} and seen[25e6] == {20}
    assert seen[46.08e6] == seen[61.44e6] == {20, 40} and seen[100e6] == {20, 40, 80}
    # a width given wider than the view comes down to the widest that fits; HT has no 80 MHz
    assert (
        wifi_ht_vht(1e-4, 25e6, np.random.default_rng(0), bandwidth_mhz=80).params["bandwidth_mhz"]
        == 20
    )
    ht = wifi_ht_vht(1e-4, 100e6, np.random.default_rng(0), bandwidth_mhz=80, standard="ht")
    assert ht.params["bandwidth_mhz"] == 40


def test_a_narrow_view_sees_part_of_the_channel_at_its_position():
    fs = 1.92e6
    w = wifi_ht_vht(0.01, fs, np.random.default_rng(5), view_position=1.0, **BUSY)
    assert w.occupied_bandwidth == fs
    assert w.params["view_offset_hz"] == pytest.approx(17.8125e6 / 2 - 0.45 * fs)
    assert occupied_bandwidth(w.samples, fs) > 0.85 * fs  # filled: OFDM tones across the view


@pytest.mark.parametrize("fs", [1.92e6, 19.2e6, 20e6, 25e6, 46.08e6, 56e6, 61.44e6])
def test_every_rate_gives_exact_length_unit_power_and_json_params(fs):
    w = wifi_ht_vht(0.003, fs, np.random.default_rng(6))
    check_capture(w, "wifi_ht_vht", RANGES["wifi_ht_vht"], 0.003, fs, bursty=True)


def test_same_seed_same_waveform_and_returned_params_replay():
    ranges = RANGES["wifi_ht_vht"]
    check_replay(wifi_ht_vht, ranges, 25e6, seed=7, duration_s=0.004, outputs_too=True)


def test_ranges_are_valid_specs_and_kinds_match():
    for kind, ranges in RANGES.items():
        check_ranges(ranges, kind)
    assert set(KINDS) == set(RANGES) == {"wifi_ht_vht"}


@pytest.mark.parametrize(
    "bad",
    [
        {"standard": "he"},
        {"bandwidth_mhz": 160},
        {"guard_interval": "medium"},
        {"standard": "ht", "streams": 5},
        {"max_ppdu_s": 0.01},
        {"view_position": 1.5},
        {"no_such_parameter": 1},
    ],
)
def test_bad_parameters_raise_value_error(bad):
    with pytest.raises(ValueError):
        wifi_ht_vht(0.001, 25e6, np.random.default_rng(0), **bad)
    with pytest.raises(ValueError):
        wifi_ht_vht(0.0, 25e6, np.random.default_rng(0))


def test_resampler_matches_a_tone_at_any_ratio():
    fin, n = 20e6, 20000
    tone = np.exp(2j * np.pi * 3e6 * np.arange(n) / fin).astype(np.complex64)
    for fout in (1.92e6 * 4, 19.2e6, 25e6, 61.44e6):
        y = resample_view(tone, fin, fout, int(n * fout / fin) - 400, 3.5e6)
        want = np.exp(2j * np.pi * 3e6 * np.arange(y.size) / fout)
        err = np.abs(y[200:-200] - want[200:-200])
        assert err.max() < 5e-3, fout  # the 60 dB Kaiser design's ripple
