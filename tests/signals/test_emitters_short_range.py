import numpy as np
import pytest
from emitter_checks import check_capture, check_replay, inst_freq, runs

from rfclassify.signals.draws import check_ranges
from rfclassify.signals.emitters_short_range import (
    KINDS,
    RANGES,
    adsb,
    bluetooth,
    lora,
    lora_payload_symbols,
    radar,
)

# --- Bluetooth ---------------------------------------------------------------------------------


def packets(w, fs, min_us=60):
    """(start s, length s, mean frequency in the band Hz) of every packet seen whole."""
    x = w.samples
    starts, lengths = runs(np.abs(x) > 0.5)
    f = inst_freq(x, fs) + w.params["view_center_hz"]
    return [
        (s / fs, n / fs, np.mean(f[s + n // 8 : s + n - n // 8]))
        for s, n in zip(starts, lengths, strict=True)
        if n > min_us * 1e-6 * fs and s > 0 and s + n < x.size - 1
    ]


def test_bluetooth_br_hops_on_the_1_mhz_raster_at_625_us_slots():
    fs = 61.44e6
    params = {"mode": "br_edr", "slot_load": 1.0, "peer_db": 0.0, "view_position": 0.5}
    w = bluetooth(0.02, fs, np.random.default_rng(0), **params)
    seen = packets(w, fs)
    assert len(seen) >= 5
    starts = np.array([s for s, _, _ in seen])
    slots = (starts - starts[0]) / 625e-6
    assert np.allclose(slots, np.round(slots), atol=2e-6 / 625e-6)  # on the slot grid, ±2 µs
    channels = (np.array([f for _, _, f in seen]) - 2402e6) / 1e6
    assert np.allclose(channels, np.round(channels), atol=0.05)
    assert len(set(np.round(channels))) >= 4  # it hops
    assert set(np.round(channels).astype(int)) <= set(w.params["channels_seen"])


@pytest.mark.parametrize("phy", ["1M", "2M"])
def test_ble_uses_the_2_mhz_raster_and_advertises_150_us_apart(phy):
    fs = 61.44e6
    params = {"mode": "ble", "ble_phy": phy, "peer_db": 0.0, "view_position": 0.0}
    w = bluetooth(0.03, fs, np.random.default_rng(1), adv_interval_s=0.02, **params)
    seen = packets(w, fs, min_us=30)
    channels = (np.array([f for _, _, f in seen]) - 2402e6) / 2e6
    assert np.allclose(channels, np.round(channels), atol=0.03)
    # advertising: 37 (2402 MHz), then 38 (2426 MHz) 150 µs after the packet's end
    adv = [(s + n, f) for s, n, f in seen if abs(f - 2402e6) < 0.2e6]
    assert adv
    gaps = [s2 - end for end, _ in adv for s2, _, f2 in seen if abs(f2 - 2426e6) < 0.2e6]
    gaps = [g for g in gaps if 0 < g < 300e-6]
    assert gaps and np.allclose(gaps, 150e-6, atol=2e-6)
    assert w.occupied_bandwidth == (2e6 if phy == "2M" else 1e6)


def test_a_narrow_bluetooth_view_sees_a_hop_now_and_then():
    duties = []
    for seed in range(4):
        w = bluetooth(0.02, 1.92e6, np.random.default_rng(seed), mode="br_edr", slot_load=1.0)
        duties.append(w.params["duty_cycle"])
        assert np.mean(np.abs(w.samples) ** 2) / w.params["duty_cycle"] == pytest.approx(
            1, rel=1e-3
        )
    assert min(duties) > 0 and max(duties) < 0.25


# --- LoRa --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fs", "sf", "bw"), [(1.92e6, 7, 125e3), (25e6, 8, 250e3), (1.92e6, 9, 500e3)]
)
def test_lora_chirp_slope_is_bw_squared_over_2_to_the_sf(fs, sf, bw):
    params = {"spreading_factor": sf, "bandwidth_hz": bw, "channels": 1, "mean_gap_s": 0.005}
    w = lora(0.02, fs, np.random.default_rng(2), **params)
    x = w.samples
    on = np.abs(x[1:]) > 0.5
    f = inst_freq(x, fs)
    smooth = int(4 * fs / bw)  # the interpolator's image ripple (MHz away) averages out
    f = np.convolve(f, np.ones(smooth) / smooth, "same")
    on[: smooth // 2] = on[-smooth // 2 :] = False
    lag = int(fs * 2**sf / bw / 16)  # 1/16 symbol: the interpolator's ripple averages out
    both = on[lag:] & on[:-lag]
    slope = np.median((f[lag:] - f[:-lag])[both]) * fs / lag
    assert slope == pytest.approx(bw**2 / 2**sf, rel=0.02)
    f = inst_freq(x, fs)
    span = np.percentile(f[on], 99.5) - np.percentile(f[on], 0.5)
    assert span == pytest.approx(bw, rel=0.05)
    offsets = np.array(w.params["channel_offsets_hz"])
    assert np.allclose(offsets / 200e3, np.round(offsets / 200e3))
    assert w.params["symbol_time_s"] == 2**sf / bw


def test_lora_channels_sit_on_the_200_khz_raster_without_overlap():
    w = lora(0.01, 1.92e6, np.random.default_rng(3), channels=3, bandwidth_hz=125e3)
    offsets = np.array(w.params["channel_offsets_hz"])
    assert len(offsets) == 3 and np.all(np.abs(offsets) + 62.5e3 <= 0.45 * 1.92e6)
    assert np.min(np.diff(np.sort(offsets))) >= 125e3
    assert w.occupied_bandwidth == 3 * 125e3
    # SX1276 §4.1.1.7: SF7, 125 kHz, 20 bytes, CR 4/5 -> 43 symbols, 56.6 ms with the preamble
    assert lora_payload_symbols(7, 125e3, 20, 1) == 43
    time_on_air = (8 + 4.25 + 43) * 2**7 / 125e3
    assert time_on_air == pytest.approx(56.58e-3, abs=0.01e-3)


# --- ADS-B / Mode S ----------------------------------------------------------------------------


def crc24(bits: np.ndarray) -> int:
    """Mode S parity of the whole message: 0 when the last 24 bits are the data's parity."""
    reg = [int(b) for b in bits]
    poly = [int(c) for c in bin(0x1FFF409)[2:]]
    for i in range(len(reg) - 24):
        if reg[i]:
            for j, c in enumerate(poly):
                reg[i + j] ^= c
    return int("".join(map(str, reg[-24:])), 2)


def test_mode_s_preamble_pulses_and_1_us_ppm_bits():
    fs = 20e6
    params = {"message_rate_hz": 10.0, "aircraft": 1, "mode_ac_fraction": 0.0}
    w = adsb(0.003, fs, np.random.default_rng(4), max_offset_hz=1e3, **params)
    env = np.abs(w.samples)
    on = env > 0.5 * env.max()
    t0 = np.flatnonzero(on)[0] / fs

    def chip(c: int) -> bool:  # the envelope at the centre of 0.5 µs chip c
        return bool(on[round((t0 + (c + 0.5) * 0.5e-6) * fs)])

    preamble = [chip(c) for c in range(16)]
    assert [c for c in range(16) if preamble[c]] == [0, 2, 7, 9]  # pulses at 0, 1, 3.5, 4.5 µs
    bits = []
    for i in range(112):
        first, second = chip(16 + 2 * i), chip(17 + 2 * i)
        if not (first or second):
            break
        assert first != second  # one 0.5 µs pulse in each 1 µs bit
        bits.append(int(first))
    assert len(bits) in (56, 112)
    assert bits[:5] in ([1, 0, 0, 0, 1], [0, 1, 0, 1, 1])  # DF17 or DF11
    assert crc24(np.array(bits)) == 0


def test_mode_a_c_framing_pulses_20_3_us_apart_on_the_1_45_us_grid():
    fs = 61.44e6
    params = {"message_rate_hz": 10.0, "aircraft": 1, "mode_ac_fraction": 1.0}
    w = adsb(0.002, fs, np.random.default_rng(5), max_offset_hz=1e3, **params)
    env = np.abs(w.samples)
    starts, lengths = runs(env > 0.5 * env.max())
    rel = (starts - starts[0]) / fs / 1.45e-6
    assert np.allclose(rel, np.round(rel), atol=0.03)
    assert 14 in np.round(rel)  # F2, 20.3 µs after F1
    assert np.allclose(lengths / fs, 0.45e-6, atol=2 / fs)


def test_adsb_messages_arrive_at_many_levels():
    w = adsb(0.02, 20e6, np.random.default_rng(6), message_rate_hz=2000.0, aircraft=30)
    env = np.abs(w.samples)
    starts, _ = runs(env > 1e-3 * env.max())
    peaks = np.array([env[s : s + 40].max() for s in starts])
    assert 20 * np.log10(peaks.max() / peaks.min()) > 15
    assert w.params["mode_s_messages"] + w.params["mode_ac_messages"] > 20


# --- radar -------------------------------------------------------------------------------------


def pulse_edges(w, fs):
    env = np.abs(w.samples)
    return runs(env > 0.5 * env.max())


def test_radar_pri_and_pulse_width_from_the_envelope():
    fs = 61.44e6
    params = {"pulse_width_s": 10e-6, "pri_s": 1e-3, "pri_mode": "constant", "scan": "none"}
    w = radar(0.01, fs, np.random.default_rng(7), modulation="none", **params)
    starts, lengths = pulse_edges(w, fs)
    assert len(starts) >= 9
    assert np.allclose(np.diff(starts) / fs, 1e-3, atol=2 / fs)
    assert np.allclose(lengths / fs, 10e-6, atol=3 / fs)
    assert w.params["duty_cycle"] == pytest.approx(0.01, rel=0.1)


def test_radar_stagger_cycles_through_its_pris():
    fs = 25e6
    params = {"pri_s": 1e-3, "pri_mode": "stagger", "pri_spread": 0.2, "stagger_levels": 3}
    w = radar(0.02, fs, np.random.default_rng(8), pulse_width_s=5e-6, scan="none", **params)
    starts, _ = pulse_edges(w, fs)
    pris = np.sort(np.unique(np.round(np.diff(starts) / fs * 1e6)))  # µs
    assert np.allclose(pris, [800, 1000, 1200], atol=1)


def test_radar_lfm_sweeps_its_chirp_bandwidth_and_is_held_inside_the_view():
    fs = 61.44e6
    params = {"modulation": "lfm", "chirp_bandwidth_hz": 10e6, "chirp_direction": "up"}
    w = radar(0.005, fs, np.random.default_rng(9), pulse_width_s=20e-6, pri_s=1e-3, **params)
    starts, lengths = pulse_edges(w, fs)
    s, n = starts[0], lengths[0]
    f = inst_freq(w.samples[s + n // 10 : s + n - n // 10], fs)
    slope = np.polyfit(np.arange(f.size) / fs, f, 1)[0]
    assert slope * 20e-6 == pytest.approx(10e6, rel=0.02)
    narrow = radar(
        0.005, 1.92e6, np.random.default_rng(9), **(params | {"chirp_bandwidth_hz": 20e6})
    )
    assert narrow.params["chirp_bandwidth_hz"] == pytest.approx(0.8 * 1.92e6)


def test_radar_barker_13_phase_code():
    fs = 61.44e6
    params = {"modulation": "barker13", "coherent": True, "pulse_width_s": 13e-6, "pri_s": 1e-3}
    w = radar(0.003, fs, np.random.default_rng(10), **params)
    starts, _ = pulse_edges(w, fs)
    x = w.samples[starts[0] + (np.arange(13) * 1e-6 * fs + 0.5e-6 * fs).astype(int)]
    signs = np.sign(np.real(x * np.conj(x[0])))
    assert signs.tolist() == [1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1]


def test_radar_scan_modulates_the_pulse_amplitudes():
    fs = 19.2e6
    params = {"pulse_width_s": 2e-6, "pri_s": 2e-4, "pri_mode": "constant", "modulation": "none"}
    scan = radar(
        0.02,
        fs,
        np.random.default_rng(11),
        scan="circular",
        beam_peak=0.5,
        beam_dwell_s=4e-3,
        sidelobe_db=-30.0,
        **params,
    )
    env = np.abs(scan.samples)
    starts, _ = runs(env > 1e-3 * env.max())
    peaks = np.array([env[s : s + 20].max() for s in starts])
    assert 20 * np.log10(peaks.max() / peaks.min()) > 15
    assert abs(np.argmax(peaks) - peaks.size / 2) < 0.1 * peaks.size
    fixed = radar(0.02, fs, np.random.default_rng(11), scan="none", **params)
    env = np.abs(fixed.samples)
    starts, _ = runs(env > 0.5 * env.max())
    peaks = np.array([env[s : s + 20].max() for s in starts])
    assert peaks.std() / peaks.mean() < 0.01


# --- all kinds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fs", [1.92e6, 19.2e6, 25e6, 61.44e6])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_at_every_rate_exact_length_unit_power_json(kind, fs):
    for seed in range(2):
        w = KINDS[kind](0.004, fs, np.random.default_rng(seed))
        check_capture(w, kind, RANGES[kind], 0.004, fs, bursty=True)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_same_seed_same_waveform_and_returned_params_replay(kind):
    check_replay(KINDS[kind], RANGES[kind], 25e6, seed=12, outputs_too=True)


def test_ranges_are_valid_specs_and_kinds_match():
    for kind, ranges in RANGES.items():
        check_ranges(ranges, kind)
    assert set(KINDS) == set(RANGES) == {"bluetooth", "lora", "adsb", "radar"}


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        ("bluetooth", {"mode": "zigbee"}),
        ("bluetooth", {"ble_phy": "coded"}),
        ("bluetooth", {"slot_load": 0.0}),
        ("bluetooth", {"view_position": -0.1}),
        ("lora", {"spreading_factor": 13}),
        ("lora", {"bandwidth_hz": 200e3}),
        ("lora", {"coding_rate": 5}),
        ("adsb", {"message_rate_hz": 0.0}),
        ("adsb", {"mode_ac_fraction": 1.5}),
        ("radar", {"pri_mode": "random"}),
        ("radar", {"modulation": "nlfm"}),
        ("radar", {"pulse_width_s": -1e-6}),
        ("radar", {"unknown_parameter": 3}),
    ],
)
def test_bad_parameters_raise_value_error(kind, bad):
    with pytest.raises(ValueError):
        KINDS[kind](0.002, 25e6, np.random.default_rng(0), **bad)
