"""The receiver model, by measurement: what the PSD, the ADC codes and the lines show."""

import json
import math

import numpy as np
import pytest
from scipy import signal, special

from rfclassify.signals.draws import check_ranges
from rfclassify.signals.receiver import (
    ADC_BITS,
    FILTER_SHAPES,
    MIN_RMS_LSB,
    RECEIVER_RANGES,
    SPUR_REF_BINS,
    ReceiverConfig,
    apply_receiver,
    draw_receiver,
    response_db,
)

N = 1 << 18
FS = 1e6


def white(n: int = N, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)).astype(
        np.complex64
    )


def run(config: ReceiverConfig, x: np.ndarray | None = None, **kw):
    x = white() if x is None else x
    return apply_receiver(x, FS, config, np.random.default_rng(1), **kw)


def gain_db(config: ReceiverConfig, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Measured |H|^2 in dB: Welch PSD of the output over that of the white input, f / rate."""
    x = white(seed=seed)
    y, _ = run(config, x, noise_power=1.0)
    f, px = signal.welch(x, 1.0, nperseg=4096, return_onesided=False, detrend=False)
    _, py = signal.welch(y, 1.0, nperseg=4096, return_onesided=False, detrend=False)
    order = np.argsort(f)
    return f[order], 10 * np.log10(py[order] / px[order])


def edge_3db(f: np.ndarray, g: np.ndarray) -> float:
    """The -3 dB point on the positive side, as a fraction of Nyquist."""
    pos = f >= 0
    u, gp = 2 * f[pos], g[pos]
    i = int(np.argmax(gp < -3))
    return float(np.interp(-3, [gp[i], gp[i - 1]], [u[i], u[i - 1]]))


@pytest.mark.parametrize("shape", [s for s in FILTER_SHAPES if s != "none"])
@pytest.mark.parametrize("edge", [0.7, 0.82, 0.95])
def test_filter_minus_3db_point_is_the_configured_edge(shape, edge):
    config = ReceiverConfig(filter_shape=shape, filter_edge=edge, stopband_db=-70)
    f, g = gain_db(config)
    assert abs(edge_3db(f, g) - edge) <= 0.02
    assert abs(edge_3db(-f[::-1], g[::-1]) - edge) <= 0.02  # and the negative side
    inside = np.abs(2 * f) < 0.5 * edge
    assert np.all(np.abs(g[inside]) < 2.5), shape  # CIC droop, elliptic ripple: a few dB at most


def test_measured_response_follows_response_db():
    config = ReceiverConfig(
        filter_shape="elliptic", filter_edge=0.9, floor_tilt_db=2.5, floor_ripple_db=1.0,
        floor_ripple_cycles=3, floor_ripple_phase=1.0,
    )  # fmt: skip
    f, g = gain_db(config)
    band = np.abs(2 * f) < 0.8
    assert np.max(np.abs(g[band] - response_db(config, f[band]))) < 0.3


def test_baseband_filter_is_narrower_than_the_rate():
    f, g = gain_db(ReceiverConfig(bb_filter=True, bb_edge=0.6, bb_order=10))
    assert abs(edge_3db(f, g) - 0.6) <= 0.02
    both = ReceiverConfig(filter_shape="butterworth", filter_edge=0.9, bb_filter=True, bb_edge=0.6)
    f, g = gain_db(both)
    assert 0.55 <= edge_3db(f, g) <= 0.61
    assert np.mean(g[np.abs(2 * f) > 0.8]) < -20  # steep: well down before the AA edge


@pytest.mark.parametrize("shape", ["butterworth", "elliptic", "raised_cosine", "cic"])
@pytest.mark.parametrize("floor_db", [-35.0, -60.0])
def test_stopband_sits_at_its_floor(shape, floor_db):
    config = ReceiverConfig(
        filter_shape=shape, filter_edge=0.7, filter_order=8, stopband_db=floor_db
    )
    f, g = gain_db(config)
    stop = np.abs(2 * f) > 0.97
    expected = response_db(config, f[stop])
    assert np.all(expected >= floor_db - 0.01)
    assert np.mean(g[stop]) == pytest.approx(np.mean(expected), abs=1.0)
    if shape in ("elliptic", "raised_cosine"):  # these reach their floor; the others may not
        assert floor_db - 1 <= np.mean(g[stop]) <= floor_db + 3, shape


def test_floor_tilt_is_measured_across_the_band():
    f, g = gain_db(ReceiverConfig(floor_tilt_db=3.0))
    up = np.mean(g[(2 * f > 0.6) & (2 * f < 0.8)])
    down = np.mean(g[(2 * f < -0.6) & (2 * f > -0.8)])
    assert up - down == pytest.approx(3.0 * 0.7, abs=0.15)


def test_flicker_rises_near_dc_only():
    config = ReceiverConfig(flicker=True, flicker_corner=2e-3)
    y, _ = run(config, noise_power=1.0)
    spec = np.abs(np.fft.fft(y)) ** 2 / N
    freq = np.abs(np.fft.fftfreq(N))
    near = np.mean(spec[(freq > 2e-4) & (freq < 1e-3)])
    far = np.mean(spec[freq > 0.05])
    assert 10 * np.log10(near / far) > 3
    assert abs(10 * np.log10(far)) < 0.1


@pytest.mark.parametrize("bits", ADC_BITS)
@pytest.mark.parametrize("level", [-40.0, -20.0])
def test_adc_codes_and_level(bits, level):
    y, p = run(ReceiverConfig(adc_bits=bits, level_dbfs=level))
    lsb = 2 ** (bits - 1)
    codes = y.view(np.float32) * lsb
    assert np.array_equal(codes, np.round(codes))
    assert codes.min() >= -lsb and codes.max() <= lsb - 1
    rms_lsb = math.sqrt(np.mean(np.abs(y) ** 2)) * lsb
    # quantisation adds 1/12 LSB^2 per component to the set level
    expected = math.sqrt((10 ** (level / 20) * lsb) ** 2 + 2 / 12)
    assert rms_lsb == pytest.approx(expected, rel=0.02)
    assert p["rms_dbfs"] == pytest.approx(20 * math.log10(rms_lsb / lsb), abs=1e-3)
    if bits == 8 and level == -40:  # a quiet band at low gain: ~1.3 LSB, a handful of codes
        assert 1.25 < rms_lsb < 1.45
        assert len(np.unique(codes)) <= 11


def test_clipping_at_full_scale_matches_the_gaussian_tail():
    y, p = run(ReceiverConfig(adc_bits=12, level_dbfs=-3.0))
    sigma = 10 ** (-3 / 20) / math.sqrt(2)  # per component
    tail = special.erfc(1 / (sigma * math.sqrt(2)))  # P(|I| > full scale)
    assert p["clip_fraction"] == pytest.approx(tail, rel=0.08)
    v = y.view(np.float32)
    assert v.max() == 2047 / 2048 and v.min() == -1.0
    assert np.mean((v == -1) | (v == 2047 / 2048)) >= p["clip_fraction"]


def test_agc_step_composes_with_the_level():
    config = ReceiverConfig(agc_step_db=6.0, agc_step_at=0.5, adc_bits=16, level_dbfs=-20)
    y, p = run(config)
    at = p["agc_step_sample"]
    assert at == N // 2
    ratio = np.mean(np.abs(y[at:]) ** 2) / np.mean(np.abs(y[:at]) ** 2)
    assert 10 * np.log10(ratio) == pytest.approx(6.0, abs=0.1)
    assert p["rms_dbfs"] == pytest.approx(-20, abs=0.05)  # the level holds over the whole block


@pytest.mark.parametrize("estimate", [False, True])
def test_lo_leakage_line_at_dc(estimate):
    config = ReceiverConfig(lo_leak=True, lo_leak_dbc=-20.0)
    y, p = run(config, noise_power=None if estimate else 1.0)
    assert p["noise_power_estimated"] is estimate
    line_db = 10 * np.log10(np.abs(np.mean(y)) ** 2)  # relative to the unit noise power
    assert line_db == pytest.approx(-20.0, abs=0.5 if estimate else 0.2)
    assert p["lo_freq_hz"] == 0


def test_wandering_lo_line_is_offset_and_spread():
    config = ReceiverConfig(lo_leak=True, lo_leak_dbc=-10.0, lo_offset=0.01, lo_wander=2e-4)
    y, p = run(config, noise_power=1.0)
    spec = np.abs(np.fft.fft(y)) ** 2 / N**2
    f = np.fft.fftfreq(N)
    near = np.abs(f - 0.01) < 3e-4
    assert 10 * np.log10(spec[near].sum() - near.sum() / N) == pytest.approx(-10, abs=0.3)
    assert spec[near].max() < 0.5 * spec[near].sum()  # spread over many bins: it wanders
    assert p["lo_freq_hz"] == pytest.approx(0.01 * FS, abs=FS / N)


def test_spurs_at_their_frequencies_and_levels():
    config = ReceiverConfig(spur_freqs=(0.123, -0.31, 0.45), spur_dbs=(0.0, 10.0, -5.0))
    y, p = run(config, noise_power=1.0)
    t = np.arange(N)
    for hz, db in zip(p["spur_freqs_hz"], config.spur_dbs, strict=True):
        amp = np.mean(y * np.exp(-2j * np.pi * hz / FS * t))
        level = 10 * np.log10(np.abs(amp) ** 2 * SPUR_REF_BINS)  # over the 256-bin floor
        assert level == pytest.approx(db, abs=0.3)
    freqs = np.array(p["spur_freqs_hz"]) / FS
    assert np.allclose(freqs, config.spur_freqs, atol=1 / N)


def test_noise_estimate_under_a_wide_signal():
    x = white(seed=3)
    spec = np.fft.fft(white(seed=4)) * (np.abs(np.fft.fftfreq(N)) < 0.35) * 10  # 70 %, +17 dB
    x = (x + np.fft.ifft(spec)).astype(np.complex64)
    _, p = run(ReceiverConfig(lo_leak=True), x)
    assert abs(10 * np.log10(p["noise_power"])) < 0.5


def test_a_pulse_stays_on_its_sample():
    config = ReceiverConfig(
        filter_shape="elliptic", filter_order=8, bb_filter=True, floor_tilt_db=3,
        floor_ripple_db=1.5, adc_bits=16, level_dbfs=-60,
    )  # fmt: skip
    for at in (5, N // 2, N - 3):
        x = 0.01 * white(seed=5)
        x[at] += 100
        y, _ = run(config, x)
        assert int(np.argmax(np.abs(y))) == at


@pytest.mark.parametrize("n", [1, 7, 1009, 30721, 200_000])
def test_output_length_equals_input_length(n):
    config = draw_receiver(np.random.default_rng(n), given={"flicker": True, "lo_leak": True})
    y, p = run(config, white(n))
    assert y.shape == (n,) and y.dtype == np.complex64
    json.dumps(p)


def test_ideal_receiver_changes_nothing():
    x = white()
    y, p = run(ReceiverConfig.ideal(), x)
    assert np.array_equal(x, y) and p["clip_fraction"] == 0


def test_draw_receiver_is_deterministic_valid_and_varied():
    check_ranges(RECEIVER_RANGES, "receiver")
    a = [draw_receiver(np.random.default_rng(s)) for s in range(300)]
    b = [draw_receiver(np.random.default_rng(s)) for s in range(300)]
    assert a == b
    assert {c.filter_shape for c in a} == set(FILTER_SHAPES)
    assert {c.adc_bits for c in a} == set(ADC_BITS)
    assert any(c.spur_freqs for c in a) and any(c.agc_step_db < 0 for c in a)
    for c in a:  # the level never leaves a capture below MIN_RMS_LSB
        assert 10 ** (c.level_dbfs / 20) * 2 ** (c.adc_bits - 1) >= MIN_RMS_LSB - 1e-9
        assert -60 <= c.level_dbfs <= -10
    fixed = draw_receiver(np.random.default_rng(0), given={"adc_bits": 16, "filter_shape": "cic"})
    assert fixed.adc_bits == 16 and fixed.filter_shape == "cic"


def test_config_json_round_trip():
    for seed in range(20):
        config = draw_receiver(np.random.default_rng(seed))
        assert ReceiverConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


@pytest.mark.parametrize(
    "bad",
    [
        {"filter_edge": 1.1},
        {"adc_bits": 7},
        {"filter_shape": "chebyshev"},
        {"cic_droop_db": 3.0},
        {"level_dbfs": 20.0},
        {"floor_tilt_db": float("nan")},
        {"spur_freqs": (0.1,), "spur_dbs": ()},
        {"spur_freqs": (0.7,), "spur_dbs": (0.0,)},
        {"filter_order": 2.5},
        {"bb_filter": 1},
        {"filter_edge": "0.8"},
    ],
)
def test_bad_configs_raise(bad):
    with pytest.raises(ValueError):
        ReceiverConfig(**bad)


def test_from_dict_rejects_unknown_fields():
    with pytest.raises(ValueError):
        ReceiverConfig.from_dict({"edge": 0.8})


def test_the_filters_applied_inside_the_clock_offset_resampling_match_a_separate_pass():
    """scene.render hands the receiver's spectral stage to the sample-rate offset's Fourier
    resampling (no FFT pair of its own): the result is the separate pass's, edges aside."""
    from rfclassify.signals.channel import sample_rate_offset
    from rfclassify.signals.receiver import shape_spectrum

    rng = np.random.default_rng(5)
    x = (rng.standard_normal(200_000) + 1j * rng.standard_normal(200_000)).astype(np.complex64)
    config = ReceiverConfig(filter_shape="elliptic", filter_edge=0.8, bb_filter=True,
                            bb_edge=0.6, floor_tilt_db=2.0, adc_bits=None)  # fmt: skip
    separate, _ = apply_receiver(sample_rate_offset(x, 12.0), 1e6, config, rng, 2.0)
    record = {}

    def stage(spectrum):
        record.update(shape_spectrum(spectrum, spectrum.size, 1e6, config, rng, 2.0))

    merged, params = apply_receiver(sample_rate_offset(x, 12.0, stage), 1e6, config, rng,
                                    2.0, shaped=record)  # fmt: skip
    assert merged.size == separate.size and record["fft_len"] > x.size
    assert params["fft_len"] == record["fft_len"]
    core = slice(20_000, -20_000)  # circular filtering of two different periodic extensions
    error = np.abs(merged[core] - separate[core]) ** 2
    assert error.mean() < 1e-4 * np.mean(np.abs(separate[core]) ** 2)
