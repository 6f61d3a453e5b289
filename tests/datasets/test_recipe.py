"""The recipe draws what it promises: classes, views, pairs, starts; it refuses bad values."""

import collections
import json

import numpy as np
import pytest

from rfclassify.datasets.recipe import (
    DEFAULT_RECIPE,
    RecipeError,
    draw_example,
    example_rngs,
    load_recipe,
    occupied_bandwidth,
    shows_its_label,
)
from rfclassify.signals.channel import measure_snr
from rfclassify.signals.scene import render, render_pair


def draws(recipe, n, seed=0):
    return [draw_example(recipe, example_rngs(seed, i)[0]) for i in range(n)]


def test_default_recipe_is_valid_json_and_balanced():
    recipe = load_recipe()
    assert json.loads(json.dumps(recipe)) == recipe
    labels = collections.Counter(e.label for e in draws(recipe, 2000))
    assert set(labels) == {"LTE", "NR", "Noise", "Other"}
    for count in labels.values():
        assert count == pytest.approx(500, rel=0.15)


def test_carriers_fit_their_view_or_are_partial_views_centred_inside():
    recipe = load_recipe()
    partial = whole = 0
    for e in draws(recipe, 1500):
        s = e.scene
        if s.kind not in ("lte", "nr") or e.secondary is not None:
            continue
        occ = occupied_bandwidth(s.kind, s.params)
        assert s.capture_rate in recipe["capture_rates"]
        if 0.9 * s.capture_rate < occ:  # no room to show it whole (90 % usable)
            partial += 1
            assert abs(s.offset_hz) <= occ / 2  # the view's centre lies inside the carrier
        else:
            whole += 1
            assert abs(s.offset_hz) + occ / 2 <= 0.45 * s.capture_rate + 1
            assert s.capture_rate <= recipe["max_zoom_out"] * occ / 0.9 + 1
        assert 0 <= s.start_s <= recipe["start_max_s"]
    assert partial > 0.05 * (partial + whole)
    assert whole > 0.6 * (partial + whole)


def test_pairs_are_the_other_technology_side_by_side_without_overlap():
    recipe = load_recipe()
    recipe["pair"] = 1.0
    for e in draws(recipe, 200):
        if e.secondary is None:
            assert e.scene.kind not in ("lte", "nr")
            continue
        a, b = e.scene, e.secondary
        assert {a.kind, b.kind} == {"lte", "nr"}
        assert a.capture_rate == b.capture_rate
        occ_a, occ_b = occupied_bandwidth(a.kind, a.params), occupied_bandwidth(b.kind, b.params)
        assert abs(a.offset_hz - b.offset_hz) >= (occ_a + occ_b) / 2 - 1
        for s, occ in ((a, occ_a), (b, occ_b)):
            assert abs(s.offset_hz) + occ / 2 <= 0.45 * s.capture_rate + 1
        assert -10 <= e.relative_db <= -3


def test_a_config_file_overrides_some_keys_and_typos_are_refused(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"classes": {"LTE": 1, "NR": 1}, "lte": {"idle": 0.5}}))
    recipe = load_recipe(path)
    assert recipe["classes"] == {"LTE": 1, "NR": 1}
    assert recipe["lte"]["idle"] == 0.5
    assert recipe["lte"]["cfi"] == DEFAULT_RECIPE["lte"]["cfi"]
    assert {e.label for e in draws(recipe, 100)} == {"LTE", "NR"}

    toml = tmp_path / "r.toml"
    toml.write_text("snr_db = [0.0, 10.0]\n[nr]\nscs_khz = [30]\n")
    recipe = load_recipe(toml)
    assert recipe["snr_db"] == [0.0, 10.0]
    assert all(e.scene.params.get("scs_khz", 30) == 30 for e in draws(recipe, 100))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"snr": [0, 1]}, "unknown recipe key 'snr'"),
        ({"lte": {"bandwith_mhz": [5.0]}}, "unknown recipe key 'lte.bandwith_mhz'"),
        ({"snr_db": [10, 0]}, "snr_db must be"),
        ({"classes": {"GSM": 1}}, "unknown entry 'GSM'"),
        ({"classes": {"LTE": 0}}, "sum to zero"),
        ({"lte": {"bandwidth_mhz": [7.0]}}, "not one of"),
        ({"nr": {"bandwidth_mhz": {"15": [5], "30": [5]}}}, "cannot hold"),
        ({"nr": {"duplex": {"DXU": 1}}}, "duplex"),
        ({"pair": 2}, "probability"),
        ({"version": 9}, "version"),
    ],
)
def test_bad_recipes_name_the_key(tmp_path, override, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(override))
    with pytest.raises(RecipeError, match=message):
        load_recipe(path)


def test_unreadable_or_malformed_files_are_clear_errors(tmp_path):
    with pytest.raises(RecipeError, match="cannot read"):
        load_recipe(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(RecipeError, match="not valid JSON"):
        load_recipe(bad)


def test_draws_are_independent_of_how_many_examples_come_before():
    recipe = load_recipe()
    a = draw_example(recipe, example_rngs(5, 1234)[0])
    b = draw_example(recipe, example_rngs(5, 1234)[0])
    c = draw_example(recipe, example_rngs(6, 1234)[0])
    assert a == b
    assert a != c


def test_measured_snr_of_drawn_examples_is_within_half_a_db():
    """Dataset-level check: render drawn examples clean and noisy, measure the SNR."""
    recipe = load_recipe()
    recipe["capture_rates"] = [1.92e6, 3.84e6, 7.68e6, 15.36e6]
    recipe["pair"] = 0.2
    checked = pairs = 0
    for i in range(400):
        draw_rng, _ = example_rngs(11, i)
        e = draw_example(recipe, draw_rng, 0.01)
        if e.scene.kind == "noise":
            continue
        # Same stream for both renderings; receiver impairments off so that the difference is
        # the noise alone (they act after the noise and would leak into the difference).
        channel = e.scene.channel.__class__(**{
            **e.scene.channel.__dict__,
            "sro_ppm": 0.0, "phase_noise": None, "iq_gain_db": 0.0, "iq_phase_deg": 0.0,
        })  # fmt: skip
        # the SDR stage (filters, lines, ADC) is tested in test_receiver_impairments.py
        noisy_scene = e.scene.__class__(
            **{**e.scene.__dict__, "channel": channel, "receiver": None}
        )
        clean_scene = noisy_scene.__class__(**{**noisy_scene.__dict__, "snr_db": None})
        if e.secondary is None:
            noisy, clean = render(noisy_scene, 3), render(clean_scene, 3)
            power = None
        else:
            noisy = render_pair(noisy_scene, e.secondary, e.relative_db, 3)
            clean = render_pair(clean_scene, e.secondary, e.relative_db, 3)
            power = 1.0  # the primary alone has unit power in a pair
        if not shows_its_label(clean):
            continue  # the builder draws such an example again (test below)
        duty = float(noisy.params.get("duty_cycle", 1.0)) or 1.0  # TDD and bursts: SNR when on
        mean_power = float(np.mean(np.abs(clean.samples) ** 2)) if power is None else power
        # The noise is white, so where the band sits does not matter. A narrow band (a CW
        # line's nominal 1 kHz) holds too few FFT bins of a 10 ms window for a 0.5 dB estimate
        # (30 bins: +-0.8 dB); there the noise density is measured over the whole capture.
        bins = clean.occupied_bandwidth / clean.sample_rate * clean.samples.size
        band = clean.occupied_bandwidth if bins >= 1000 else clean.sample_rate
        snr = measure_snr(
            clean.samples, noisy.samples, band, clean.sample_rate, signal_power=mean_power / duty
        ) + 10 * np.log10(band / clean.occupied_bandwidth)
        assert snr == pytest.approx(e.scene.snr_db, abs=0.5), e
        checked += 1
        pairs += e.secondary is not None
        if checked == 40:
            break
    assert checked == 40 and pairs >= 2


def test_a_recipe_saved_by_an_older_version_still_resolves():
    from rfclassify.datasets.recipe import resolve_recipe

    version_1 = {
        "version": 1,
        "lte": {"two_ports": 0.25, "idle": 0.2},
        "channel": {"agc_step": 0.1, "clip_db": [2.0, 8.0], "dc_offset": 0.02, "cfo_hz": [0, 1]},
    }
    recipe = resolve_recipe(version_1)
    assert recipe["version"] == DEFAULT_RECIPE["version"] == 2
    assert recipe["lte"]["ports"] == {"1": 0.75, "2": 0.25} and recipe["lte"]["idle"] == 0.2
    # the SDR impairments moved to the receiver section; what else v1 set is kept
    assert "agc_step" not in recipe["channel"] and recipe["channel"]["cfo_hz"] == [0, 1]
    assert recipe["receiver"] == DEFAULT_RECIPE["receiver"]
    partial = load_recipe()
    del partial["nr"]["sib1"], partial["receiver"]
    assert resolve_recipe(partial) == load_recipe()
    with pytest.raises(RecipeError, match=r"unknown recipe key 'lte\.typo'"):
        resolve_recipe({"lte": {"typo": 1}})
