import json

import numpy as np
import pytest

from rfclassify.signals.channel import (
    PROFILES,
    ChannelConfig,
    _dense_multipath,
    _fading,
    add_awgn,
    apply_channel,
    image_rejection_db,
    measure_snr,
    multipath,
    power_delay_profile,
    sample_rate_offset,
)
from rfclassify.signals.common import Waveform


def tone(n: int, f: float, fs: float) -> np.ndarray:
    return np.exp(2j * np.pi * f * np.arange(n) / fs)


def band_noise(rng: np.random.Generator, n: int, fraction: float) -> np.ndarray:
    """Unit-power complex noise occupying ``fraction`` of the band around 0 Hz."""
    spec = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    spec[np.abs(np.fft.fftfreq(n)) > fraction / 2] = 0
    x = np.fft.ifft(spec)
    return x / np.sqrt(np.mean(np.abs(x) ** 2))


def peak_frequency(x: np.ndarray, fs: float) -> float:
    spec = np.abs(np.fft.fft(x * np.hanning(x.size)))
    return float(np.fft.fftfreq(x.size, 1 / fs)[np.argmax(spec)])


@pytest.mark.parametrize("snr_db", [-10.0, 0.0, 10.0, 25.0])
@pytest.mark.parametrize("fraction", [0.05, 0.3, 1.0])
def test_measured_snr_over_the_occupied_band_is_the_requested_one(snr_db, fraction):
    fs, n = 10e6, 200_000
    rng = np.random.default_rng(1)
    clean = band_noise(rng, n, fraction)
    noisy = add_awgn(clean, snr_db, fraction * fs, fs, np.random.default_rng(2))
    assert measure_snr(clean, noisy, fraction * fs, fs) == pytest.approx(snr_db, abs=0.5)
    # the noise is white over the whole rate: its total power is N0 * fs
    total = np.mean(np.abs(noisy - clean) ** 2)
    assert 10 * np.log10(1 / total) == pytest.approx(snr_db + 10 * np.log10(fraction), abs=0.2)


def test_apply_channel_snr_counts_only_the_on_time_of_bursty_emitters():
    fs, n = 1e6, 100_000
    x = band_noise(np.random.default_rng(0), n, 0.5)
    x[n // 2 :] = 0  # on half the time, unit power while on
    w = Waveform(x, fs, "Other", 0.5 * fs, {"duty_cycle": 0.5})
    out = apply_channel(w, ChannelConfig(snr_db=10.0), np.random.default_rng(1))
    snr = measure_snr(x, out.samples, 0.5 * fs, fs, signal_power=1.0)
    assert snr == pytest.approx(10.0, abs=0.5)


@pytest.mark.parametrize("profile", ["EPA", "EVA", "ETU"])
def test_average_power_delay_profile_matches_ts_36_104(profile):
    fs = 200e6  # every EPA/EVA/ETU delay is a multiple of 5 ns: taps on whole samples
    delays, power = power_delay_profile(profile)
    n = round(float(delays.max()) * fs) + 4
    impulse = np.zeros(n, complex)
    impulse[0] = 1
    rng = np.random.default_rng(0)
    responses = np.stack([multipath(impulse, fs, profile, rng) for _ in range(1500)])
    measured = np.mean(np.abs(responses) ** 2, axis=0)
    assert np.sum(measured) == pytest.approx(1.0, rel=0.05)  # unit average power gain
    idx = np.round(delays * fs).astype(int)
    main = power > 10 ** (-10 / 10) * power.max()
    np.testing.assert_allclose(
        10 * np.log10(measured[idx][main]), 10 * np.log10(power[main]), atol=1.0
    )


def test_tdl_profiles_scale_with_the_delay_spread_and_have_unit_power():
    for name in ("TDL-A", "TDL-B", "TDL-C"):
        d100, p = power_delay_profile(name, 100e-9)
        d300, _ = power_delay_profile(name, 300e-9)
        np.testing.assert_allclose(d300, 3 * d100)
        assert p.sum() == pytest.approx(1.0)
    delays, power = power_delay_profile("TDL-A", 1.0)
    assert delays[:4].tolist() == [0, 0.3819, 0.4025, 0.5868]
    assert 10 * np.log10(power[1] / power[0]) == pytest.approx(13.4)
    delays, power = power_delay_profile("TDL-C", 1.0)
    assert delays[-1] == 8.6523 and delays.size == 24


@pytest.mark.parametrize("profile", ["TDL-A", "TDL-C", "ETU"])
def test_faded_channel_keeps_the_average_power(profile):
    fs = 30.72e6
    x = band_noise(np.random.default_rng(0), 4000, 0.6)
    gains = [
        np.mean(np.abs(multipath(x, fs, profile, np.random.default_rng(s), 0, 300e-9)) ** 2)
        for s in range(300)
    ]
    assert np.mean(gains) == pytest.approx(1.0, rel=0.1)


@pytest.mark.parametrize("doppler", [5.0, 70.0, 300.0])
def test_doppler_spectrum_is_confined_to_the_maximum_doppler(doppler):
    fs = 16 * doppler * 4
    n = int(fs * 40 / doppler * 2)  # 80 Doppler periods
    x = np.ones(n, complex)
    spectra = []
    for s in range(40):
        y = multipath(x, fs, "EPA", np.random.default_rng(s), doppler)
        spectra.append(np.abs(np.fft.fft(y * np.hanning(n))) ** 2)
    p = np.mean(spectra, axis=0)
    f = np.fft.fftfreq(n, 1 / fs)
    assert p[np.abs(f) > 1.1 * doppler].sum() / p.sum() < 0.01
    rms = np.sqrt(np.sum(f**2 * p) / p.sum())
    assert rms == pytest.approx(doppler / np.sqrt(2), rel=0.15)  # Jakes: f_d / sqrt 2


def test_cfo_shifts_a_tone_by_the_requested_hz():
    fs, n = 1e6, 100_000
    w = Waveform(tone(n, 100e3, fs), fs, "Other", 1e3)
    out = apply_channel(w, ChannelConfig(cfo_hz=12_345.0), np.random.default_rng(0))
    assert peak_frequency(out.samples, fs) == pytest.approx(112_345.0, abs=fs / n)


@pytest.mark.parametrize(("gain_db", "phase_deg"), [(1.0, 0.0), (0.0, 5.0), (0.5, 3.0)])
def test_iq_imbalance_image_sits_at_the_image_rejection_ratio(gain_db, phase_deg):
    fs, n = 1e6, 2**16
    f0 = 256 * fs / n  # on a bin
    w = Waveform(tone(n, f0, fs), fs, "Other", 1e3)
    cfg = ChannelConfig(iq_gain_db=gain_db, iq_phase_deg=phase_deg)
    spec = np.abs(np.fft.fft(apply_channel(w, cfg, np.random.default_rng(0)).samples)) ** 2
    measured = 10 * np.log10(spec[256] / spec[-256])
    assert measured == pytest.approx(image_rejection_db(gain_db, phase_deg), abs=0.1)
    assert image_rejection_db(1.0, 0.0) == pytest.approx(24.8, abs=0.1)


def test_dc_offset_appears_at_dc():
    fs, n = 1e6, 10_000
    w = Waveform(tone(n, 100e3, fs), fs, "Other", 1e3)
    out = apply_channel(w, ChannelConfig(dc_offset=0.05 - 0.02j), np.random.default_rng(0))
    assert np.mean(out.samples) == pytest.approx(0.05 - 0.02j, abs=1e-3)


@pytest.mark.parametrize("ppm", [-100.0, 50.0, 1000.0])
def test_sample_rate_offset_changes_length_and_tone_frequency(ppm):
    fs, n, f0 = 1e6, 200_000, 100e3
    w = Waveform(tone(n, f0, fs), fs, "Other", 1e3)
    out = apply_channel(w, ChannelConfig(sro_ppm=ppm), np.random.default_rng(0))
    ratio = 1 + ppm * 1e-6
    assert out.samples.size == round(n * ratio)
    # the faster clock takes more samples per cycle: the tone reads f0 / ratio
    y = out.samples[1000:-1000].astype(complex)
    measured = np.angle(np.sum(y[1:] * np.conj(y[:-1]))) * fs / (2 * np.pi)
    assert measured == pytest.approx(f0 / ratio, abs=0.05)
    assert np.mean(np.abs(y) ** 2) == pytest.approx(1.0, rel=1e-3)


def test_phase_noise_spreads_a_tone_at_the_set_level():
    fs, n = 1e6, 2**18
    w = Waveform(np.ones(n), fs, "Other", 1e3)
    out = apply_channel(w, ChannelConfig(phase_noise=-80.0), np.random.default_rng(0))
    assert np.allclose(np.abs(out.samples), 1, atol=1e-5)
    spec = np.abs(np.fft.fft(out.samples * np.hanning(n))) ** 2
    f = np.fft.fftfreq(n, 1 / fs)
    enbw = 1.5 * fs / n
    level = spec[np.abs(np.abs(f) - 100e3) < 2e3].mean() / spec.sum() / enbw
    assert 10 * np.log10(level) == pytest.approx(-80.0, abs=2.0)


def test_apply_channel_keeps_label_and_records_the_channel():
    fs = 1e6
    w = Waveform(band_noise(np.random.default_rng(0), 5000, 0.2), fs, "LTE", 0.2e6, {"a": 1})
    cfg = ChannelConfig.draw(np.random.default_rng(3), fs)
    out = apply_channel(w, cfg, np.random.default_rng(4))
    assert out.label == "LTE" and out.occupied_bandwidth == 0.2e6 and out.params["a"] == 1
    assert out.params["channel"] == cfg.to_dict()
    assert out.samples.dtype == np.complex64 and np.isfinite(out.samples).all()
    json.dumps(out.params)


@pytest.mark.parametrize("profile", PROFILES)
def test_same_seed_same_channel(profile):
    fs = 10e6
    w = Waveform(band_noise(np.random.default_rng(0), 4000, 0.5), fs, "NR", 5e6)
    cfg = ChannelConfig(profile=profile, doppler_hz=70, phase_noise=-90, snr_db=10, sro_ppm=5)
    a = apply_channel(w, cfg, np.random.default_rng(7)).samples
    b = apply_channel(w, cfg, np.random.default_rng(7)).samples
    c = apply_channel(w, cfg, np.random.default_rng(8)).samples
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize(
    "bad",
    [
        {"profile": "Rician"},
        {"doppler_hz": -1.0},
        {"delay_spread_s": 0.0},
        {"cfo_hz": float("nan")},
        {"sro_ppm": 5000.0},
        {"phase_noise": 10.0},
        {"iq_gain_db": 10.0},
        {"iq_phase_deg": 90.0},
        {"snr_db": float("inf")},
    ],
)
def test_config_validation(bad):
    with pytest.raises(ValueError, match=next(iter(bad)) if "profile" not in bad else "profile"):
        ChannelConfig(**bad)


def test_segmented_fading_equals_the_per_sample_tapped_delay_line():
    """The fast path (cross-faded static channels) is the same linear-in-time fading."""
    fs, doppler = 30.72e6, 300.0
    x = band_noise(np.random.default_rng(1), 150_000, 0.8)
    y = multipath(x, fs, "ETU", np.random.default_rng(4), doppler)
    delays, power = power_delay_profile("ETU")
    gains, step = _fading(np.random.default_rng(4), delays.size, x.size / fs, doppler)
    points = np.arange(gains.shape[1]) * step * fs
    assert step * fs > 16 * 200  # this case does take the segmented path
    length = int(np.ceil(delays.max() * fs)) + 17
    reference = _dense_multipath(x, delays * fs, gains * np.sqrt(power)[:, None], points, length)
    error = np.sqrt(np.mean(np.abs(y - reference) ** 2) / np.mean(np.abs(reference) ** 2))
    assert error < 1e-5


def test_sample_rate_offset_leaves_the_band_edges_flat_in_time():
    """No pulsing near Nyquist (what a fractional-delay interpolator sweeping 0..1 causes)."""
    from rfclassify.dsp import Frontend, FrontendConfig

    rate = 61.44e6
    rng = np.random.default_rng(0)
    n = round(0.02 * rate)
    x = ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)).astype(np.complex64)
    y = sample_rate_offset(x, 20.0)[:n]
    db, _ = Frontend(FrontendConfig(normalisation="none")).power_db(y[None], rate)
    edge, middle = db[0, 0], db[0, 40]
    assert abs(edge.mean() - middle.mean()) < 1.0
    assert edge.std() < 1.5 * middle.std() + 0.1


def test_agc_step_changes_the_gain_once_by_the_step():
    fs, n = 1e6, 100_000
    x = band_noise(np.random.default_rng(0), n, 0.8)
    w = Waveform(x, fs, "Other", 0.8 * fs)
    out = apply_channel(w, ChannelConfig(agc_step_db=6.0), np.random.default_rng(1)).samples
    ratio = np.abs(out) / np.maximum(np.abs(x), 1e-9)
    steps = np.flatnonzero(np.abs(np.diff(20 * np.log10(ratio))) > 1)
    assert steps.size == 1 and 0.1 * n <= steps[0] <= 0.9 * n
    assert 20 * np.log10(ratio[-1] / ratio[0]) == pytest.approx(6.0, abs=0.01)


def test_clipping_limits_i_and_q_at_the_level_above_rms():
    fs, n = 1e6, 100_000
    x = band_noise(np.random.default_rng(0), n, 0.8)
    w = Waveform(x, fs, "Other", 0.8 * fs)
    out = apply_channel(w, ChannelConfig(clip_db=3.0), np.random.default_rng(1)).samples
    level = np.sqrt(np.mean(np.abs(x) ** 2) / 2) * 10 ** (3 / 20)
    assert np.abs(out.real).max() == pytest.approx(level, rel=1e-4)
    assert np.abs(out.imag).max() == pytest.approx(level, rel=1e-4)
    assert np.mean(np.abs(out.real) >= level * 0.9999) > 0.01  # a fair share is clipped


# --- the fast paths: what they must keep of the exact methods --------------------------------


@pytest.mark.parametrize(("n", "ppm"), [(300_001, 13.37), (250_000, -19.9), (48_123, 4.2)])
def test_sample_rate_offset_reads_the_input_at_m_over_one_plus_ppm(n, ppm):
    """A band-limited signal known in closed form (tones), read back at m / (1 + ppm): within
    0.02 sample of that time axis at the last sample, and exact on the one realised."""
    from rfclassify.signals.placement import _fast_pair

    rng = np.random.default_rng(5)
    freqs, phases = rng.uniform(-0.45, 0.45, 6), rng.uniform(0, 2 * np.pi, 6)

    def signal_at(t):
        return sum(np.exp(1j * (2 * np.pi * f * t + p)) for f, p in zip(freqs, phases, strict=True))

    y = sample_rate_offset(signal_at(np.arange(n)).astype(np.complex64), ppm)
    ratio = 1 + ppm * 1e-6
    assert y.dtype == np.complex64 and y.size == round(n * ratio)
    big_n, big_m = _fast_pair(n, ratio, y.size)  # the padded lengths: realised ratio M / N
    assert y.size * abs(big_n / big_m - 1 / ratio) <= 0.02
    core = np.arange(3000, y.size - 3000)  # away from the bridge that closes the period
    error = y[core] - signal_at(core * big_n / big_m)
    assert 10 * np.log10(np.mean(np.abs(error) ** 2) / 6) < -50
    exact = y[core] - signal_at(core / ratio)  # against the exact axis: 0.02 sample at most
    assert np.max(np.abs(exact)) < 6 * 2 * np.pi * 0.45 * 0.02


def test_sample_rate_offset_keeps_white_noise_white_across_the_band_and_in_time():
    """No pulsing and no dip: per slice of time, the spectrum of resampled white noise is that
    of the noise itself, the band edges included."""
    rng = np.random.default_rng(1)
    n = 2**19
    x = ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)).astype(np.complex64)
    y = sample_rate_offset(x, 20.0)[:n]

    def slices_db(z):  # 64 slices in time, 256 bins each, averaged over 32 frames a slice
        frames = z[: n // 8192 * 8192].reshape(64, -1, 256) * np.hanning(256)
        return 10 * np.log10(np.mean(np.abs(np.fft.fft(frames, axis=2)) ** 2, axis=1))

    before, after = slices_db(x), slices_db(y)
    # the same noise, up to ten samples later by the end: the same spectrum over the run ...
    assert np.abs(after.mean(axis=0) - before.mean(axis=0)).max() < 0.15
    # ... and slice by slice no more spread in any bin than the noise itself has
    assert after.std(axis=0).max() < 1.2 * before.std(axis=0).max()


def test_multipath_static_channel_is_the_convolution_with_its_impulse_response():
    from rfclassify.signals.channel import _DELAY_HALF, _impulse_response

    fs = 30.72e6
    x = band_noise(np.random.default_rng(2), 50_000, 0.9)
    y = multipath(x, fs, "EVA", np.random.default_rng(3))
    delays, power = power_delay_profile("EVA")
    gains, _ = _fading(np.random.default_rng(3), delays.size, x.size / fs, 0.0)
    length = int(np.ceil(delays.max() * fs)) + 2 * _DELAY_HALF + 1
    h = _impulse_response(delays * fs, (gains * np.sqrt(power)[:, None]).T, length)[0]
    reference = np.convolve(x, h)[_DELAY_HALF : _DELAY_HALF + x.size]
    assert y.dtype == np.complex64 and y.size == x.size
    assert np.max(np.abs(y - reference)) < 1e-5 * np.max(np.abs(reference))


def test_iq_imbalance_adds_the_dc_offset_in_the_same_pass():
    from rfclassify.signals.channel import iq_imbalance

    x = band_noise(np.random.default_rng(0), 1000, 0.5).astype(np.complex64)
    both = iq_imbalance(x, 0.7, 2.0, 0.03 - 0.01j)
    assert both.dtype == np.complex64
    np.testing.assert_allclose(both, iq_imbalance(x, 0.7, 2.0) + (0.03 - 0.01j), atol=1e-6)


def test_awgn_noise_is_circular_gaussian_of_the_requested_power():
    fs = 1e6
    clean = np.zeros(400_000, np.complex64)
    noise = add_awgn(clean, 0.0, fs, fs, np.random.default_rng(9), signal_power=2.0)
    assert noise.dtype == np.complex64
    assert np.mean(np.abs(noise) ** 2) == pytest.approx(2.0, rel=0.01)
    re, im = noise.real / np.sqrt(1.0), noise.imag / np.sqrt(1.0)
    assert np.var(re) == pytest.approx(1.0, rel=0.01) and np.var(im) == pytest.approx(1.0, rel=0.01)
    assert abs(np.mean(re * im)) < 0.01
    kurtosis = np.mean(re**4) / np.var(re) ** 2
    assert kurtosis == pytest.approx(3.0, abs=0.05)


def test_receiver_noise_keeps_its_samples_under_a_sample_rate_offset():
    """The receiver's own noise is sampled by its own clock: the offset changes the count only."""
    fs = 1e6
    noise = band_noise(np.random.default_rng(0), 100_000, 1.0).astype(np.complex64)
    w = Waveform(noise, fs, "Noise", fs)
    for ppm in (-40.0, 40.0):
        out = apply_channel(w, ChannelConfig(sro_ppm=ppm), np.random.default_rng(1)).samples
        assert out.size == round(noise.size * (1 + ppm * 1e-6))
        np.testing.assert_array_equal(out[:99_990], noise[:99_990])
