"""A scene renders every kind at the capture rate, with the SNR asked for, reproducibly."""

import dataclasses
import json

import numpy as np
import pytest

from rfclassify.signals.channel import ChannelConfig
from rfclassify.signals.scene import KIND_LABELS, Scene, render, render_pair


@pytest.mark.parametrize("kind", sorted(KIND_LABELS))
def test_every_kind_renders_at_the_capture_rate(kind):
    rate = 15.36e6
    params = {"bandwidth_mhz": 10} if kind in ("lte", "nr") else {}
    w = render(Scene(kind, 0.01, capture_rate=rate, params=params), 3)
    assert w.label == KIND_LABELS[kind]
    assert w.sample_rate == rate
    assert w.samples.dtype == np.complex64
    assert w.samples.size == pytest.approx(0.01 * rate, abs=2)
    assert np.isfinite(w.samples).all()
    json.dumps(w.params)


def test_snr_is_set_over_the_visible_occupied_band_at_the_receiver():
    scene = Scene(
        "lte",
        0.02,
        capture_rate=30.72e6,
        offset_hz=3e6,
        snr_db=None,
        params={"bandwidth_mhz": 5, "load": 1.0},
    )
    clean = render(scene, 7)
    noisy = render(Scene(**{**scene.__dict__, "snr_db": 10.0}), 7)
    noise = noisy.samples - clean.samples
    n0 = np.mean(np.abs(noise) ** 2) / clean.sample_rate
    snr = np.mean(np.abs(clean.samples) ** 2) / (n0 * clean.occupied_bandwidth)
    assert 10 * np.log10(snr) == pytest.approx(10.0, abs=0.5)
    assert clean.occupied_bandwidth == pytest.approx(25 * 180e3)


def test_propagation_and_receiver_are_both_recorded_and_deterministic():
    scene = Scene(
        "nr",
        0.01,
        capture_rate=61.44e6,
        offset_hz=-5e6,
        snr_db=15.0,
        channel=ChannelConfig(profile="TDL-A", doppler_hz=30, iq_gain_db=0.5, cfo_hz=200),
        params={"bandwidth_mhz": 20, "scs_khz": 30},
    )
    a, b = render(scene, 11), render(scene, 11)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert a.params["propagation"]["profile"] == "TDL-A"
    assert a.params["propagation"]["cfo_hz"] == 200
    assert a.params["receiver"]["iq_gain_db"] == 0.5
    assert a.params["receiver"]["profile"] == "none"
    assert not np.array_equal(render(scene, 12).samples, a.samples)


def test_bad_scenes_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="unknown kind"):
        Scene("umts_typo", capture_rate=1e6)
    with pytest.raises(ValueError, match="needs a capture rate"):
        Scene("wifi_ofdm")
    with pytest.raises(ValueError, match=r"Scene\.snr_db"):
        Scene("lte", channel=ChannelConfig(snr_db=3))
    with pytest.raises(ValueError, match="lte"):
        render(Scene("lte", 0.01, params={"bandwidth": 5}), 0)


# the same SSB and CORESET placement in every rendering (they are drawn per waveform otherwise)
_NR_FIXED_LAYOUT = {"ssb_period_ms": 5, "ssb_rb_offset": 2, "coreset_rbs": 24}


def _lag_of(reference: np.ndarray, later: np.ndarray, max_lag: int) -> int:
    """Lag (samples) at which ``later`` best matches ``reference``."""
    n = later.size
    scores = [abs(np.vdot(reference[lag : lag + n], later)) for lag in range(max_lag)]
    return int(np.argmax(scores))


@pytest.mark.parametrize(
    ("kind", "params", "start_s"),
    [
        ("lte", {"bandwidth_mhz": 1.4, "load": 0.0, "cell_id": 17}, 0.0023),
        ("lte", {"bandwidth_mhz": 1.4, "load": 0.0}, 0.0157),
        ("nr", {"bandwidth_mhz": 5, "scs_khz": 15, "load": 0.0, **_NR_FIXED_LAYOUT}, 0.0031),
    ],
)
def test_start_s_starts_the_recording_inside_the_transmission(kind, params, start_s):
    """The fixed signals (sync, CRS) of a late start line up with an early start's at start_s."""
    early = render(Scene(kind, 0.03, snr_db=None, params=params), 1)
    late = render(Scene(kind, 0.01, snr_db=None, params=params, start_s=start_s), 2)
    fs = late.sample_rate
    assert late.samples.size == round(0.01 * fs)
    assert late.params["start_s"] == start_s
    lag = _lag_of(early.samples, late.samples[: round(0.006 * fs)], round(0.024 * fs))
    frame = round(0.01 * fs)  # the fixed signals repeat every radio frame
    assert lag % frame == round(start_s * fs) % frame


def test_a_pair_holds_both_carriers_at_the_relative_level_and_the_primary_snr():
    rate = 61.44e6
    lte = Scene("lte", 0.01, rate, -15e6, 10.0, params={"bandwidth_mhz": 10.0, "load": 1.0})
    nr = Scene("nr", 0.01, rate, 12e6, None, params={"bandwidth_mhz": 20, "scs_khz": 30})
    noisy = render_pair(lte, nr, -6.0, 5)
    clean = render_pair(dataclasses.replace(lte, snr_db=None), nr, -6.0, 5)
    assert noisy.label == "LTE" and noisy.sample_rate == rate
    assert noisy.params["secondary"]["kind"] == "nr"
    assert noisy.params["secondary"]["relative_db"] == -6.0
    assert noisy.params["receiver"]["snr_db"] == 10.0

    f = np.fft.fftfreq(clean.samples.size, 1 / rate)
    psd = np.abs(np.fft.fft(clean.samples)) ** 2
    lte_band = np.abs(f + 15e6) < 4.5e6
    nr_band = np.abs(f - 12e6) < 9e6
    relative = 10 * np.log10(psd[nr_band].sum() / psd[lte_band].sum())
    assert relative == pytest.approx(-6.0, abs=0.5)
    noise = np.fft.fft(noisy.samples - clean.samples)
    snr = psd[lte_band].sum() / (np.abs(noise[lte_band]) ** 2).sum()
    assert 10 * np.log10(snr) == pytest.approx(10.0, abs=0.5)


def test_a_pair_refuses_noise_and_mismatched_captures():
    lte = Scene("lte", 0.01, 30.72e6, params={"bandwidth_mhz": 5.0})
    with pytest.raises(ValueError, match="two emitters"):
        render_pair(lte, Scene("noise", 0.01, 30.72e6), -3, 0)
    with pytest.raises(ValueError, match="same, explicit capture rate"):
        render_pair(lte, Scene("nr", 0.01, 61.44e6, params={"bandwidth_mhz": 5}), -3, 0)
