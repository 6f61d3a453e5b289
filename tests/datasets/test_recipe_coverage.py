"""Recipe version 2 draws what the air has: TD-LTE, the NR variety, every Other kind, a receiver
in every example; its ranges are data a user can narrow, and silent windows are drawn again."""

import collections

import numpy as np
import pytest

from rfclassify.datasets.recipe import (
    NR_HELD_OUT_MHZ,
    NR_HELD_OUT_PATTERNS,
    RecipeError,
    draw_example,
    draw_recorded,
    example_rngs,
    load_recipe,
    resolve_recipe,
    shows_its_label,
)
from rfclassify.signals.emitters import EMITTERS
from rfclassify.signals.lte_frame import subframe_types


def draws(recipe, n, seed=3):
    return [draw_example(recipe, example_rngs(seed, i)[0]) for i in range(n)]


def test_lte_draws_tdd_configurations_ports_and_mbsfn_the_standard_allows():
    examples = draws(resolve_recipe({"classes": {"LTE": 1}, "pair": 0}), 600)
    params = [e.scene.params for e in examples]
    duplex = collections.Counter(p["duplex"] for p in params)
    assert 200 < duplex["TDD"] < 400 and duplex["FDD"] > 200
    tdd = [p for p in params if p["duplex"] == "TDD"]
    assert {p["ul_dl_config"] for p in tdd} == set(range(7))
    for p in tdd:
        top = 7 if p["cp"] == "extended" else 9
        assert 0 <= p["special_subframe_config"] <= top
    assert {p["ports"] for p in params} == {1, 2, 4}
    mbsfn = [p for p in params if "mbsfn_subframes" in p]
    assert 20 < len(mbsfn) < 110
    for p in mbsfn:  # only downlink subframes that may carry MBSFN
        types = subframe_types(p["duplex"], p.get("ul_dl_config", 0))
        assert all(types[sf] == "D" and sf not in (0, 5) for sf in p["mbsfn_subframes"])
    assert any("uplink_leak_db" in p for p in tdd)


def test_nr_draws_patterns_periods_placements_and_never_the_held_out_ones():
    examples = draws(resolve_recipe({"classes": {"NR": 1}, "pair": 0}), 600)
    params = [e.scene.params for e in examples]
    assert {p["duplex"] for p in params} == {"FDD", "DDDSU", "DDDDDDDSUU", "DDSUU", "DSUUU"}
    assert {p["ssb_period_ms"] for p in params} == {5, 10, 20, 40, 80, 160}
    assert {p["ssb_placement"] for p in params} == {"raster", "centre", "random"}
    assert {p["ssb_case"] for p in params} == {"A", "B", "C"}
    assert {p["ssb_l_max"] for p in params} == {4, 8}
    for p in params:
        assert p["bandwidth_mhz"] not in NR_HELD_OUT_MHZ.get(p["scs_khz"], ())
        assert p["duplex"] not in NR_HELD_OUT_PATTERNS
        assert p["special_dl_symbols"] + p["special_ul_symbols"] <= 13  # a guard symbol stays
    idle = [p for p in params if p["load"] == 0]
    assert len(idle) > 50 and any(p["trs_period_ms"] is None for p in params)
    # carriers wider than any capture rate are seen through a partial view (100 MHz in 61.44)
    assert any(p["bandwidth_mhz"] == 100 for p in params)


def test_every_kind_is_drawn_and_every_example_has_a_receiver():
    examples = draws(load_recipe(), 1500)
    assert {e.scene.kind for e in examples} == {"lte", "nr", "noise", *EMITTERS}
    assert all(e.scene.receiver is not None for e in examples)
    bits = collections.Counter(e.scene.receiver.adc_bits for e in examples)
    assert set(bits) == {8, 12, 14, 16}


def test_a_drawn_noise_example_is_the_receivers_fingerprint_on_its_adc_grid():
    recipe = resolve_recipe({"classes": {"Noise": 1}, "receiver": {"adc_bits": {"fixed": 8}}})
    for i in range(4):
        e = draw_example(recipe, example_rngs(1, i)[0], 0.002)
        wave = e.render(example_rngs(1, i)[1])
        codes = wave.samples.view(np.float32) * 128
        np.testing.assert_array_equal(codes, np.round(codes))  # 8-bit codes, full-scale units
        assert wave.params["sdr"]["adc_bits"] == 8
        rms_dbfs = 10 * np.log10(np.mean(np.abs(wave.samples) ** 2))
        assert rms_dbfs == pytest.approx(e.scene.receiver.level_dbfs, abs=1.0)


def test_other_emitter_ranges_and_the_receiver_are_narrowed_in_the_recipe():
    recipe = resolve_recipe({
        "classes": {"Other": 1},
        "other": {"kinds": {"gsm": 1}, "params": {"gsm": {"carriers": {"fixed": 1}}}},
        "receiver": {"filter_shape": {"choice": ["elliptic"]}},
    })  # fmt: skip
    for i in range(3):
        e = draw_example(recipe, example_rngs(2, i)[0], 0.005)
        wave = e.render(example_rngs(2, i)[1])
        assert e.scene.kind == "gsm" and wave.params["carriers"] == 1
        assert e.scene.receiver.filter_shape == "elliptic"


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"receiver": {"adc_bits": {"weights": {"9": 1}}}}, "receiver"),
        ({"receiver": {"level_dbfs": {"uniform": [0, -10]}}}, "receiver.level_dbfs"),
        ({"other": {"params": {"gsm": {"typo": {"fixed": 1}}}}}, "other.params.gsm.typo"),
        ({"lte": {"ports": {"3": 1}}}, "lte.ports"),
        ({"lte": {"special_subframe_config": [0, 10]}}, "lte.special_subframe_config"),
        ({"nr": {"ssb_period_ms": {"15": 1}}}, "nr.ssb_period_ms"),
        ({"nr": {"duplex": {"DDDX": 1}}}, "nr.duplex"),
        # a guard interval the drawn FFT size forbids: refused at load, not mid-build
        ({"other": {"params": {"dvbt2": {"guard": {"fixed": "19/256"}}}}}, "other.params.dvbt2"),
    ],
)
def test_bad_version_2_values_name_their_key(override, key):
    with pytest.raises(RecipeError, match=key.replace(".", r"\.")):
        resolve_recipe(override)


def test_a_window_where_the_emitter_shows_nothing_is_drawn_again():
    # idle cells that send only an SSB burst every 40 ms: a 10 ms window mostly holds nothing
    recipe = resolve_recipe({
        "classes": {"NR": 1}, "pair": 0, "partial_view": 0,
        "nr": {"idle": 1.0, "sib1": 0.0, "trs_period_ms": {"none": 1}, "ssb_period_ms": {"40": 1}},
    })  # fmt: skip
    silent = 0
    for i in range(6):
        first = draw_example(recipe, example_rngs(4, i)[0], 0.01)
        silent += not shows_its_label(first.render(example_rngs(4, i)[1]))
        example, wave = draw_recorded(recipe, *example_rngs(4, i), lambda rate: 0.01)
        assert shows_its_label(wave) and wave.params["recorded_power"] > 1e-3
        assert example.scene.duration_s == 0.01
    assert silent >= 2  # the first draw was empty often, as on air
