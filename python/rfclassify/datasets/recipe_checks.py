"""Checks of a merged recipe: every value drawable, every error naming its key.

Kept apart from ``recipe.py`` (the defaults and the drawing) so that each reads on its own; the
checks try each drawn configuration against the generators' own validation where that is the
authority (an NR bandwidth at an SCS, a TDD pattern), so the two can never disagree.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..signals.channel import PROFILES
from ..signals.common import CLASSES
from ..signals.draws import SpecError, check_ranges, draw_params
from ..signals.emitters import EMITTER_RANGES, EMITTERS
from ..signals.lte import LTE_BANDWIDTHS
from ..signals.nr import NR_BANDWIDTHS, SSB_PERIODS_MS, TRS_PERIODS_MS, NrConfig
from ..signals.receiver import RECEIVER_RANGES, draw_receiver

RECIPE_VERSION = 2


class RecipeError(ValueError):
    """A recipe value that cannot be used; the message names the key."""


def _get(recipe: dict, key: str) -> Any:
    value: Any = recipe
    for part in key.split("."):
        value = value[part]
    return value


def _range(recipe: dict, key: str, lo: float = -math.inf, hi: float = math.inf) -> None:
    value = _get(recipe, key)
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        and lo <= value[0] <= value[1] <= hi
    )
    if not ok:
        raise RecipeError(
            f"{key} must be [low, high] with {lo} <= low <= high <= {hi}, got {value}"
        )


def _weights(recipe: dict, key: str, allowed: list[str] | None = None) -> None:
    table = _get(recipe, key)
    if not isinstance(table, dict) or not table:
        raise RecipeError(f"{key} must be a non-empty table of name = weight")
    for name, weight in table.items():
        if allowed is not None and name not in allowed:
            raise RecipeError(f"{key}: unknown entry {name!r}; use some of {allowed}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise RecipeError(f"{key}.{name} must be a weight >= 0, got {weight!r}")
    if sum(table.values()) <= 0:
        raise RecipeError(f"{key}: the weights sum to zero")


def _probability(recipe: dict, key: str) -> None:
    value = _get(recipe, key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise RecipeError(f"{key} must be a probability in [0, 1], got {value!r}")


def _subset(recipe: dict, key: str, allowed: set) -> None:
    value = _get(recipe, key)
    if not isinstance(value, list) or not value or not set(value) <= allowed:
        raise RecipeError(f"{key} must be a non-empty list from {sorted(allowed)}, got {value}")


def _check_lte(recipe: dict) -> None:
    for bw in recipe["lte"]["bandwidth_mhz"] or [None]:
        if bw not in LTE_BANDWIDTHS:
            raise RecipeError(f"lte.bandwidth_mhz: {bw!r} is not one of {sorted(LTE_BANDWIDTHS)}")
    _weights(recipe, "lte.duplex", ["FDD", "TDD"])
    _weights(recipe, "lte.ul_dl_config", [str(i) for i in range(7)])
    _range(recipe, "lte.special_subframe_config", 0, 9)
    if not all(isinstance(v, int) for v in recipe["lte"]["special_subframe_config"]):
        raise RecipeError("lte.special_subframe_config must be [low, high] integers in 0..9")
    _weights(recipe, "lte.ports", ["1", "2", "4"])
    _range(recipe, "lte.uplink_leak_db", -100, 0)
    _range(recipe, "lte.load", 0, 1)
    _subset(recipe, "lte.cfi", {1, 2, 3})
    for key in ("idle", "extended_cp", "mbsfn", "uplink_leak"):
        _probability(recipe, f"lte.{key}")


def _check_nr(recipe: dict) -> None:
    nr = recipe["nr"]
    _subset(recipe, "nr.scs_khz", set(NR_BANDWIDTHS))
    for scs in nr["scs_khz"]:
        widths = nr["bandwidth_mhz"].get(str(scs))
        if not widths:
            raise RecipeError(f"nr.bandwidth_mhz has no list for {scs} kHz")
        for bw in widths:
            try:
                NrConfig(bandwidth_mhz=bw, scs_khz=scs)
            except (ValueError, TypeError) as exc:
                raise RecipeError(f"nr.bandwidth_mhz.{scs}: {exc}") from None
    _weights(recipe, "nr.duplex")
    for pattern in nr["duplex"]:
        for scs in nr["scs_khz"]:
            try:
                NrConfig(duplex=pattern, scs_khz=scs, bandwidth_mhz=20)
            except (ValueError, TypeError) as exc:
                raise RecipeError(f"nr.duplex: {exc}") from None
    _weights(recipe, "nr.ssb_period_ms", [str(p) for p in SSB_PERIODS_MS])
    _weights(recipe, "nr.ssb_placement", ["raster", "centre", "random"])
    _weights(recipe, "nr.ssb_l_max", ["4", "8"])
    _weights(recipe, "nr.ssb_case_30khz", ["B", "C"])
    _weights(recipe, "nr.trs_period_ms", ["none", *(str(p) for p in TRS_PERIODS_MS)])
    _range(recipe, "nr.load", 0, 1)
    _range(recipe, "nr.special_dl_symbols", 1, 13)
    _range(recipe, "nr.special_ul_symbols", 0, 4)
    _subset(recipe, "nr.coreset_symbols", {1, 2})
    for key in ("idle", "sib1"):
        _probability(recipe, f"nr.{key}")


def _check_ranges(table: Any, key: str, known: dict) -> None:
    if not isinstance(table, dict):
        raise RecipeError(f"{key} must be a table of parameter = range")
    missing = set(known) - set(table)
    if missing:
        raise RecipeError(f"{key}: missing {sorted(missing)}")
    try:
        check_ranges(table, key)
    except SpecError as exc:
        raise RecipeError(str(exc)) from None


def _check_narrowed(kind: str, ranges: dict, known: dict) -> None:
    """A narrowed range must still give signals: a few draws rendered briefly, so that a
    combination the standard forbids (a DVB-T2 guard interval the FFT size does not allow)
    fails here, naming the key, rather than in the middle of a build."""
    changed = {name: spec for name, spec in ranges.items() if spec != known.get(name)}
    if not changed:
        return
    rng = np.random.default_rng(0)
    for _ in range(8):
        params = draw_params(changed, rng)
        try:
            EMITTERS[kind](1e-3, 1.92e6, rng, **params)
        except (ValueError, TypeError) as exc:
            keys = ", ".join(f"other.params.{kind}.{name}" for name in sorted(changed))
            raise RecipeError(f"{keys}: {exc}") from None


def _check_channel(recipe: dict) -> None:
    channel = recipe["channel"]
    _weights(recipe, "channel.profiles", list(PROFILES))
    doppler = channel["doppler_hz"]
    if not doppler or not all(0 <= d <= 10e3 for d in doppler):
        raise RecipeError("channel.doppler_hz must be a non-empty list of 0..10000 Hz")
    for key, lo, hi in (
        ("delay_spread_s", 1e-9, 10e-6),
        ("cfo_hz", -1e6, 1e6),
        ("sro_ppm", -1000, 1000),
        ("phase_noise_dbc_hz", -200, -40),
        ("iq_gain_db", -6, 6),
        ("iq_phase_deg", -45, 45),
    ):
        _range(recipe, f"channel.{key}", lo, hi)


def validate(recipe: dict) -> None:
    """Raise ``RecipeError`` naming the first key whose value cannot be drawn from."""
    if recipe.get("version") != RECIPE_VERSION:
        raise RecipeError(f"recipe version {recipe.get('version')!r}; expected {RECIPE_VERSION}")
    _weights(recipe, "classes", list(CLASSES))
    _range(recipe, "snr_db", -50, 100)
    _range(recipe, "pair_relative_db", -40, 0)
    rates = recipe["capture_rates"]
    if not (isinstance(rates, list) and rates and all(1e3 <= r <= 1e9 for r in rates)):
        raise RecipeError(f"capture_rates must be a non-empty list of rates in Hz, got {rates}")
    if not 1 <= recipe["max_zoom_out"] <= 1000:
        raise RecipeError("max_zoom_out must be in 1..1000")
    for key in ("partial_view", "pair"):
        _probability(recipe, key)
    if not 0 <= recipe["start_max_s"] <= 1.0:
        raise RecipeError("start_max_s must be in 0..1 s")
    if recipe.get("window_ms") is not None:
        _range(recipe, "window_ms", 1.0, 40.0)
    _check_lte(recipe)
    _check_nr(recipe)
    _weights(recipe, "other.kinds", list(EMITTERS))
    for kind, known in EMITTER_RANGES.items():
        _check_ranges(recipe["other"]["params"][kind], f"other.params.{kind}", known)
        _check_narrowed(kind, recipe["other"]["params"][kind], known)
    _check_channel(recipe)
    _check_ranges(recipe["receiver"], "receiver", RECEIVER_RANGES)
    rng = np.random.default_rng(0)
    try:  # values the spec kinds allow but a receiver does not (a 9-bit ADC, an edge of 2)
        for _ in range(16):
            draw_receiver(rng, recipe["receiver"])
    except (ValueError, TypeError, KeyError) as exc:
        raise RecipeError(f"receiver: {exc}") from None
