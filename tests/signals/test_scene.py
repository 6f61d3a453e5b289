"""A scene renders every kind at the capture rate, with the SNR asked for, reproducibly."""

import json

import numpy as np
import pytest

from rfclassify.signals.channel import ChannelConfig
from rfclassify.signals.scene import KIND_LABELS, Scene, render


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
        Scene("gsm", capture_rate=1e6)
    with pytest.raises(ValueError, match="needs a capture rate"):
        Scene("wifi_ofdm")
    with pytest.raises(ValueError, match=r"Scene\.snr_db"):
        Scene("lte", channel=ChannelConfig(snr_db=3))
    with pytest.raises(ValueError, match="lte"):
        render(Scene("lte", 0.01, params={"bandwidth": 5}), 0)
