import json

import numpy as np
import pytest
from emitter_checks import occupied_bandwidth, psd
from scipy import signal

from rfclassify.signals.emitters import emitter_signal as other_signal
from rfclassify.signals.other import (
    OTHER_KINDS,
    cw_tones,
    dvbt_like,
    fm_broadcast,
    frequency_hopper,
    receiver_noise,
    wifi_ofdm,
)

RATES = {"wifi_ofdm": 30.72e6, "dvbt_like": 15.36e6, "fm_broadcast": 1e6, "cw_tones": 1e6}
RATES["frequency_hopper"] = 30.72e6
RATES |= {"generic_ofdm": 15.36e6, "narrowband_carrier": 3.84e6, "spur_comb": 15.36e6}


@pytest.mark.parametrize("kind", sorted(OTHER_KINDS))
def test_each_kind_is_finite_complex64_of_the_right_length_and_unit_power(kind):
    fs = RATES[kind]
    w = other_signal(kind, 0.01, fs, np.random.default_rng(3))
    assert w.label == "Other"
    assert w.samples.dtype == np.complex64
    assert w.samples.size == round(0.01 * fs)
    assert np.isfinite(w.samples).all()
    power = np.mean(np.abs(w.samples) ** 2) / w.params.get("duty_cycle", 1.0)
    assert power == pytest.approx(1.0, rel=0.05)
    assert w.params["kind"] == kind
    json.dumps(w.params)


def test_noise_is_labelled_noise_unit_power_and_full_band():
    w = receiver_noise(0.01, 2e6, np.random.default_rng(0), coloured=False)
    assert w.label == "Noise" and w.occupied_bandwidth == 2e6
    assert np.mean(np.abs(w.samples) ** 2) == pytest.approx(1.0, rel=0.02)
    json.dumps(w.params)


@pytest.mark.parametrize(
    ("kind", "fs", "expected", "tolerance"),
    [
        ("wifi_ofdm", 30.72e6, 16.6e6, 0.05),
        ("wifi_ofdm", 20e6, 16.6e6, 0.05),
        ("dvbt_like", 15.36e6, 7.61e6, 0.05),
        ("dvbt_like", 9.6e6, 7.61e6, 0.05),
        ("fm_broadcast", 1e6, 200e3, 0.25),
    ],
)
def test_measured_occupied_bandwidth_matches_the_documented_value(kind, fs, expected, tolerance):
    for seed in range(3):
        w = other_signal(kind, 0.03, fs, np.random.default_rng(seed))
        assert occupied_bandwidth(w.samples, fs) == pytest.approx(expected, rel=tolerance)
        assert w.occupied_bandwidth == pytest.approx(expected, rel=tolerance)


def test_an_emitter_wider_than_the_rate_is_clipped_to_what_the_rate_shows():
    w = wifi_ofdm(0.01, 10e6, np.random.default_rng(0))
    assert w.occupied_bandwidth == 10e6
    assert occupied_bandwidth(w.samples, 10e6) <= 10e6
    assert np.mean(np.abs(w.samples) ** 2) / w.params["duty_cycle"] == pytest.approx(1, rel=0.05)


def test_wifi_short_training_field_repeats_every_0_8_us():
    x = wifi_ofdm(0.002, 20e6, np.random.default_rng(1)).samples
    start = int(np.flatnonzero(np.abs(x) > 0)[0])
    stf = x[start : start + 160]
    rho = np.abs(np.vdot(stf[:-16], stf[16:])) / np.sum(np.abs(stf[:-16]) ** 2)
    assert rho == pytest.approx(1.0, abs=1e-3)
    # the long training field repeats with period 64 (3.2 µs) after its 32-sample GI2
    ltf = x[start + 160 + 32 : start + 320]
    assert np.allclose(ltf[:64], ltf[64:], atol=1e-5)
    # data symbols (beyond the SIGNAL field) carry no 16-sample periodicity
    data = x[start + 400 : start + 400 + 64]
    assert np.abs(np.vdot(data[:-16], data[16:])) / np.sum(np.abs(data) ** 2) < 0.6


def test_wifi_is_bursty_with_idle_gaps():
    w = wifi_ofdm(0.01, 20e6, np.random.default_rng(2), max_symbols=50, mean_gap_s=200e-6)
    assert w.params["bursts"] > 3
    assert 0.2 < w.params["duty_cycle"] < 0.95
    assert np.mean(w.samples == 0) == pytest.approx(1 - w.params["duty_cycle"], abs=0.01)


def test_dvbt_continual_pilots_are_boosted_16_over_9_and_the_guard_is_cyclic():
    nfft, cp = 2048, 512
    w = dvbt_like(
        0.05, 64e6 / 7, np.random.default_rng(0), mode="2k", guard=1 / 4, modulation="64QAM"
    )
    x = w.samples.astype(complex)
    sym = nfft + cp
    # the guard interval copies the symbol's tail: find where the guards begin
    prod = x[:-nfft] * np.conj(x[nfft:])
    per_offset = prod[: prod.size // sym * sym].reshape(-1, sym).sum(axis=0)
    window = np.abs(np.convolve(np.tile(per_offset, 2), np.ones(cp), "valid")[:sym])
    start = int(np.argmax(window))
    assert window.max() > 10 * np.median(window)
    first = start + cp
    count = (x.size - first) // sym
    bodies = np.stack([x[first + i * sym : first + i * sym + nfft] for i in range(count)])
    power = np.mean(np.abs(np.fft.fft(bodies, axis=1)) ** 2, axis=0)
    k = np.arange(1705)
    carrier_power = power[(k - 852) % nfft]
    continual = [0, 48, 54, 87, 141, 156, 192, 201, 255, 279, 282, 333, 432, 450, 1704]
    boost = np.mean(carrier_power[continual]) / np.median(carrier_power)
    assert boost == pytest.approx(16 / 9, rel=0.05)
    outside = np.delete(power, (k - 852) % nfft)
    assert outside.max() < 1e-3 * np.median(carrier_power)
    assert w.occupied_bandwidth == pytest.approx(1705 * 64e6 / 7 / 2048)


def test_fm_has_constant_envelope_and_the_drawn_deviation():
    w = fm_broadcast(0.05, 1e6, np.random.default_rng(0), stereo=False)
    assert np.allclose(np.abs(w.samples), 1, atol=1e-3)
    inst = np.angle(w.samples[1:] * np.conj(w.samples[:-1])) * 1e6 / (2 * np.pi)
    assert np.max(np.abs(inst)) == pytest.approx(75e3, rel=0.05)


def test_cw_tones_appear_at_the_drawn_frequencies():
    fs = 1e6
    w = cw_tones(0.05, fs, np.random.default_rng(5), count=3)
    f, p = psd(w.samples, fs, 8192)
    peaks = f[np.argsort(p)[::-1]]
    for tone in w.params["frequencies_hz"]:
        nearest = np.min(np.abs(peaks[:12] - tone))
        assert nearest <= 2 * fs / 8192
    assert len(w.params["frequencies_hz"]) == 3


def test_frequency_hopper_visits_several_distinct_frequencies():
    fs = 30.72e6
    w = frequency_hopper(0.05, fs, np.random.default_rng(4))
    x = w.samples
    hops = w.params["hop_frequencies_hz"]
    assert len(hops) >= 10
    # dominant frequency of each 100 µs block that is on
    block = 3072
    blocks = x[: x.size // block * block].reshape(-1, block)
    on = np.mean(np.abs(blocks) > 0, axis=1) > 0.99
    spectra = np.abs(np.fft.fft(blocks[on], axis=1))
    freqs = np.fft.fftfreq(block, 1 / fs)[np.argmax(spectra, axis=1)]
    nearest = np.array(hops)[np.argmin(np.abs(freqs[:, None] - np.array(hops)), axis=1)]
    assert np.all(np.abs(freqs - nearest) < 0.6e6)
    assert len(set(nearest.tolist())) >= 5


def test_white_noise_has_a_flat_spectrum_and_coloured_noise_does_not():
    fs = 1e6
    white = receiver_noise(0.2, fs, np.random.default_rng(0), coloured=False, dc_spur_db=np.nan)
    _, p = psd(white.samples, fs, 256)
    assert 10 * np.log10(p.max() / p.min()) < 1.5
    coloured = receiver_noise(0.2, fs, np.random.default_rng(1), coloured=True, dc_spur_db=np.nan)
    _, p = psd(coloured.samples, fs, 256)
    assert 10 * np.log10(p.max() / p.min()) > 1.0
    assert 10 * np.log10(p.max() / p.min()) < 10


def test_dc_spur_appears_at_dc():
    fs = 1e6
    w = receiver_noise(0.1, fs, np.random.default_rng(0), coloured=False, dc_spur_db=-20.0)
    assert np.abs(np.mean(w.samples)) == pytest.approx(0.1, rel=0.05)


@pytest.mark.parametrize("kind", sorted(OTHER_KINDS))
def test_same_seed_same_signal(kind):
    fs = RATES[kind]
    a = other_signal(kind, 0.005, fs, np.random.default_rng(9))
    b = other_signal(kind, 0.005, fs, np.random.default_rng(9))
    c = other_signal(kind, 0.005, fs, np.random.default_rng(10))
    assert np.array_equal(a.samples, b.samples) and a.params == b.params
    assert not np.array_equal(a.samples, c.samples)


def test_unknown_kind_and_bad_arguments_are_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown emitter"):
        other_signal("umts_typo", 0.01, 1e6, rng)
    with pytest.raises(ValueError, match="duration_s"):
        other_signal("cw_tones", 0.0, 1e6, rng)
    with pytest.raises(ValueError, match="mode"):
        dvbt_like(0.01, 10e6, rng, mode="4k")
    with pytest.raises(ValueError, match="channels"):
        frequency_hopper(0.01, 1e6, rng, symbol_rate=1e6)


def test_coloured_noise_has_the_spectrum_of_its_front_end_filter():
    """Made in the frequency domain, it is white noise through the FIR: the same PSD shape."""
    from rfclassify.signals.common import filtered_noise

    f = np.linspace(0, 1, 65)
    taps = signal.firwin2(129, f, 10 ** ((-4 * f**4 + 0.4 * np.cos(2 * np.pi * 2.5 * f)) / 20))
    x = filtered_noise(np.random.default_rng(0), 400_000, taps)
    assert x.dtype == np.complex64 and x.size == 400_000
    freqs, p = psd(x, 1.0, nperseg=512)
    _, h = signal.freqz(taps, worN=2 * np.pi * freqs)
    expected = 10 * np.log10(np.abs(h) ** 2)
    measured = 10 * np.log10(p)
    offset = np.mean(measured - expected)  # the estimator's scale
    assert np.abs(measured - expected - offset).max() < 0.8  # ~780 segments: 0.16 dB a bin
    assert offset == pytest.approx(0.0, abs=0.1)  # unit-power noise in, |H|^2 out
