"""The dataset recipe: which scenes a dataset holds, as parameter ranges, and how one is drawn.

A recipe is plain JSON (or TOML) so that it can be saved with the dataset and edited by hand:
``rfclassify dataset recipe`` prints the defaults, ``--config FILE`` overrides any subset of them.
Unknown keys are refused, so a typo never silently falls back to a default.

Every example draws its parameters from its own random stream (``SeedSequence(seed,
spawn_key=(index,))``), so example ``i`` is the same whichever worker makes it and however many
examples the dataset has.

How a scene is drawn, and why:

- the class is drawn first (``classes`` weights), then its emitter's parameters;
- LTE / NR are mostly seen whole (the capture rate holds the carrier, which fills at least
  ``1 / max_zoom_out`` of the view, off-centre), and with probability ``partial_view`` through a
  capture narrower than the carrier (an RTL-SDR at 2.4 MS/s inside a 20 MHz cell), centred
  somewhere inside the carrier;
- with probability ``pair`` an LTE or NR example gets a second carrier of the other technology
  side by side, ``pair_relative_db`` weaker: the label is the stronger (primary) carrier;
- the recording starts up to ``start_max_s`` into the transmission (uniform), so sync signals
  appear anywhere in the window; Other and Noise are stationary and start at 0;
- the SNR is uniform in ``snr_db`` over the visible occupied band; Noise has none.
"""

from __future__ import annotations

import json
import math
from copy import deepcopy
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..signals.channel import PROFILES, ChannelConfig
from ..signals.common import CLASSES, Waveform
from ..signals.lte import LTE_BANDWIDTHS, LteConfig
from ..signals.nr import NR_BANDWIDTHS, SSB_RBS, NrConfig
from ..signals.other import OTHER_KINDS
from ..signals.scene import Scene, render, render_pair

RECIPE_VERSION = 1

DEFAULT_RECIPE: dict[str, Any] = {
    "version": RECIPE_VERSION,
    "classes": {"LTE": 1.0, "NR": 1.0, "Noise": 1.0, "Other": 1.0},
    "snr_db": [-10.0, 30.0],
    "capture_rates": [1.92e6, 2.4e6, 3.84e6, 7.68e6, 15.36e6, 23.04e6, 30.72e6, 61.44e6],
    "max_zoom_out": 8.0,
    "partial_view": 0.15,
    "pair": 0.05,
    "pair_relative_db": [-10.0, -3.0],
    "start_max_s": 0.02,
    "lte": {
        "bandwidth_mhz": sorted(LTE_BANDWIDTHS),
        "load": [0.0, 1.0],
        "idle": 0.1,
        "extended_cp": 0.05,
        "two_ports": 0.3,
        "cfi": [1, 2, 3],
    },
    "nr": {
        "scs_khz": [15, 30],
        "bandwidth_mhz": {
            str(scs): [bw for bw, n_rb in table.items() if n_rb >= SSB_RBS]
            for scs, table in NR_BANDWIDTHS.items()
        },
        "duplex": {"FDD": 0.4, "DDDSU": 0.3, "DDDDDDDSUU": 0.2, "DDSUU": 0.1},
        "ssb_period_ms": {"20": 0.6, "10": 0.2, "5": 0.2},
        "load": [0.0, 1.0],
        "idle": 0.1,
        "coreset_symbols": [1, 2],
        "special_dl_symbols": [6, 12],
    },
    "other": {"kinds": {kind: 1.0 for kind in OTHER_KINDS}},
    "channel": {
        "profiles": {profile: 1.0 for profile in PROFILES},
        "doppler_hz": [0.0, 5.0, 70.0, 300.0],
        "delay_spread_s": [30e-9, 300e-9],
        "cfo_hz": [-5e3, 5e3],
        "sro_ppm": [-20.0, 20.0],
        "phase_noise_dbc_hz": [-110.0, -80.0],
        "iq_gain_db": [-0.5, 0.5],
        "iq_phase_deg": [-3.0, 3.0],
        "dc_offset": 0.02,
        "agc_step": 0.1,
        "agc_step_db": [-6.0, 6.0],
        "clipping": 0.1,
        "clip_db": [2.0, 8.0],
    },
}

# Approximate occupied bandwidth of the wide "Other" kinds, to keep them inside the view.
_OTHER_BANDWIDTH = {"wifi_ofdm": 16.6e6, "dvbt_like": 7.61e6, "fm_broadcast": 0.2e6}
PAIR_MIN_RATE = 15.36e6  # an LTE and an NR carrier of >= 5 MHz each fit side by side
_EDGE = 0.9  # the usable fraction of a capture (SDR anti-alias filters roll off at the edges)


class RecipeError(ValueError):
    """A recipe value that cannot be used; the message names the key."""


# --- loading and validation -----------------------------------------------------------------


def _merge(base: dict, override: dict, path: str = "") -> dict:
    out = deepcopy(base)
    for key, value in override.items():
        where = f"{path}{key}"
        if key not in base:
            raise RecipeError(f"unknown recipe key {where!r}; known: {sorted(base)}")
        # weight tables and per-SCS lists are replaced whole; sections are merged key by key
        if isinstance(base[key], dict) and where not in _WHOLE_TABLES:
            if not isinstance(value, dict):
                raise RecipeError(f"{where} must be a table of {sorted(base[key])}")
            out[key] = _merge(base[key], value, where + ".")
        else:
            out[key] = deepcopy(value)
    return out


_WHOLE_TABLES = {
    "classes",
    "nr.bandwidth_mhz",
    "nr.duplex",
    "nr.ssb_period_ms",
    "other.kinds",
    "channel.profiles",
}


def _range(recipe: dict, key: str, lo: float = -math.inf, hi: float = math.inf) -> None:
    section, _, name = key.rpartition(".")
    value = (recipe[section] if section else recipe)[name]
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


def _weights(table: Any, key: str, allowed: list[str] | None = None) -> None:
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
    section, _, name = key.rpartition(".")
    value = (recipe[section] if section else recipe)[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise RecipeError(f"{key} must be a probability in [0, 1], got {value!r}")


def validate(recipe: dict) -> None:
    """Raise ``RecipeError`` naming the first key whose value cannot be drawn from."""
    if recipe.get("version") != RECIPE_VERSION:
        raise RecipeError(f"recipe version {recipe.get('version')!r}; expected {RECIPE_VERSION}")
    _weights(recipe["classes"], "classes", list(CLASSES))
    _range(recipe, "snr_db", -50, 100)
    _range(recipe, "pair_relative_db", -40, 0)
    rates = recipe["capture_rates"]
    if not (isinstance(rates, list) and rates and all(1e3 <= r <= 1e9 for r in rates)):
        raise RecipeError(f"capture_rates must be a non-empty list of rates in Hz, got {rates}")
    if not 1 <= recipe["max_zoom_out"] <= 1000:
        raise RecipeError("max_zoom_out must be in 1..1000")
    for key in ("partial_view", "pair", "lte.idle", "lte.extended_cp", "lte.two_ports", "nr.idle"):
        _probability(recipe, key)
    if not 0 <= recipe["start_max_s"] <= 1.0:
        raise RecipeError("start_max_s must be in 0..1 s")
    lte, nr, channel = recipe["lte"], recipe["nr"], recipe["channel"]
    for bw in lte["bandwidth_mhz"] or [None]:
        if bw not in LTE_BANDWIDTHS:
            raise RecipeError(f"lte.bandwidth_mhz: {bw!r} is not one of {sorted(LTE_BANDWIDTHS)}")
    _range(recipe, "lte.load", 0, 1)
    if not lte["cfi"] or not set(lte["cfi"]) <= {1, 2, 3}:
        raise RecipeError("lte.cfi must be a non-empty list from 1, 2, 3")
    if not nr["scs_khz"] or not set(nr["scs_khz"]) <= set(NR_BANDWIDTHS):
        raise RecipeError(f"nr.scs_khz must be a non-empty list from {list(NR_BANDWIDTHS)}")
    for scs in nr["scs_khz"]:
        widths = nr["bandwidth_mhz"].get(str(scs))
        if not widths:
            raise RecipeError(f"nr.bandwidth_mhz has no list for {scs} kHz")
        for bw in widths:
            try:
                NrConfig(bandwidth_mhz=bw, scs_khz=scs)
            except ValueError as exc:
                raise RecipeError(f"nr.bandwidth_mhz.{scs}: {exc}") from None
    _weights(nr["duplex"], "nr.duplex")
    for pattern in nr["duplex"]:
        try:
            NrConfig(duplex=pattern)
        except ValueError as exc:
            raise RecipeError(f"nr.duplex: {exc}") from None
    _weights(nr["ssb_period_ms"], "nr.ssb_period_ms", ["5", "10", "20"])
    _range(recipe, "nr.load", 0, 1)
    _range(recipe, "nr.special_dl_symbols", 1, 13)
    if not nr["coreset_symbols"] or not set(nr["coreset_symbols"]) <= {1, 2}:
        raise RecipeError("nr.coreset_symbols must be a non-empty list from 1, 2")
    _weights(recipe["other"]["kinds"], "other.kinds", list(OTHER_KINDS))
    _weights(channel["profiles"], "channel.profiles", list(PROFILES))
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
    _range(recipe, "channel.agc_step_db", -30, 30)
    _range(recipe, "channel.clip_db", 0, 40)
    _probability(recipe, "channel.agc_step")
    _probability(recipe, "channel.clipping")
    if not 0 <= channel["dc_offset"] <= 1:
        raise RecipeError("channel.dc_offset (standard deviation) must be in 0..1")


def resolve_recipe(data: dict[str, Any]) -> dict[str, Any]:
    """A recipe given as a (possibly partial or older) dict: merged onto the defaults, checked.

    Keys this version added take their defaults, so a recipe saved by an older version still
    draws; unknown keys are refused as in a file.
    """
    data = dict(data)
    data.setdefault("version", RECIPE_VERSION)
    recipe = _merge(deepcopy(DEFAULT_RECIPE), data)
    validate(recipe)
    return recipe


def _parse(path: Path, text: str) -> Any:
    if path.suffix == ".toml":
        try:
            import tomllib  # Python >= 3.11
        except ImportError:
            raise RecipeError("TOML recipes need Python 3.11 or newer; use JSON") from None
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RecipeError(f"{path} is not valid TOML: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecipeError(f"{path} is not valid JSON: {exc}") from None


def load_recipe(path: str | Path | None = None) -> dict[str, Any]:
    """The default recipe, overridden by a JSON or TOML file; validated."""
    recipe = deepcopy(DEFAULT_RECIPE)
    if path is not None:
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as exc:
            raise RecipeError(f"cannot read recipe {path}: {exc.strerror}") from None
        data = _parse(path, text)
        if not isinstance(data, dict):
            raise RecipeError(f"{path} must hold a table of recipe keys")
        data.setdefault("version", RECIPE_VERSION)
        recipe = _merge(recipe, data)
    validate(recipe)
    return recipe


# --- drawing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One drawn example: its scene, and for a pair the second carrier and its level."""

    scene: Scene
    secondary: Scene | None = None
    relative_db: float = 0.0

    @property
    def label(self) -> str:
        return self.scene.label

    def with_duration(self, seconds: float) -> Example:
        """The same example recorded for ``seconds`` (the window the frontend needs)."""
        second = replace(self.secondary, duration_s=seconds) if self.secondary else None
        return replace(self, scene=replace(self.scene, duration_s=seconds), secondary=second)

    def render(self, rng: np.random.Generator) -> Waveform:
        if self.secondary is None:
            return render(self.scene, rng)
        return render_pair(self.scene, self.secondary, self.relative_db, rng)


def example_rngs(seed: int, index: int) -> tuple[np.random.Generator, np.random.Generator]:
    """(draw, render) streams of example ``index``: independent of any other example."""
    draw, render = np.random.SeedSequence(seed, spawn_key=(index,)).spawn(2)
    return np.random.default_rng(draw), np.random.default_rng(render)


def _pick(rng: np.random.Generator, table: dict[str, float]) -> str:
    names = list(table)
    weights = np.array([table[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def _uniform(rng: np.random.Generator, bounds: list[float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def _channel(recipe: dict, rng: np.random.Generator) -> ChannelConfig:
    c = recipe["channel"]
    profile = _pick(rng, c["profiles"])
    return ChannelConfig(
        profile=profile,
        doppler_hz=float(rng.choice(c["doppler_hz"])) if profile != "none" else 0.0,
        delay_spread_s=_uniform(rng, c["delay_spread_s"]),
        cfo_hz=_uniform(rng, c["cfo_hz"]),
        sro_ppm=_uniform(rng, c["sro_ppm"]),
        phase_noise=_uniform(rng, c["phase_noise_dbc_hz"]),
        iq_gain_db=_uniform(rng, c["iq_gain_db"]),
        iq_phase_deg=_uniform(rng, c["iq_phase_deg"]),
        dc_offset=complex(*rng.normal(0, c["dc_offset"], 2)),
        agc_step_db=_uniform(rng, c["agc_step_db"]) if rng.random() < c["agc_step"] else 0.0,
        clip_db=_uniform(rng, c["clip_db"]) if rng.random() < c["clipping"] else None,
    )


def _lte_params(recipe: dict, rng: np.random.Generator, widths: list[float]) -> dict[str, Any]:
    c = recipe["lte"]
    return {
        "bandwidth_mhz": float(rng.choice(widths)),
        "cell_id": int(rng.integers(0, 504)),
        "cp": "extended" if rng.random() < c["extended_cp"] else "normal",
        "ports": 2 if rng.random() < c["two_ports"] else 1,
        "cfi": int(rng.choice(c["cfi"])),
        "load": 0.0 if rng.random() < c["idle"] else _uniform(rng, c["load"]),
    }


def _nr_params(recipe: dict, rng: np.random.Generator, max_mhz: float) -> dict[str, Any]:
    c = recipe["nr"]
    scs = int(rng.choice(c["scs_khz"]))
    widths = [bw for bw in c["bandwidth_mhz"][str(scs)] if _nr_occupied(bw, scs) <= max_mhz * 1e6]
    if not widths:  # nothing fits: the narrowest the recipe allows at this SCS
        widths = [min(c["bandwidth_mhz"][str(scs)])]
    dl = c["special_dl_symbols"]
    return {
        "bandwidth_mhz": int(rng.choice(widths)),
        "scs_khz": scs,
        "cell_id": int(rng.integers(0, 1008)),
        "duplex": _pick(rng, c["duplex"]),
        "ssb_period_ms": int(_pick(rng, c["ssb_period_ms"])),
        "load": 0.0 if rng.random() < c["idle"] else _uniform(rng, c["load"]),
        "coreset_symbols": int(rng.choice(c["coreset_symbols"])),
        "special_dl_symbols": int(rng.integers(dl[0], dl[1] + 1)),
    }


def _lte_occupied(bandwidth_mhz: float) -> float:
    return LteConfig(bandwidth_mhz=bandwidth_mhz).n_rb * 180e3


def _nr_occupied(bandwidth_mhz: int, scs_khz: int) -> float:
    return NR_BANDWIDTHS[scs_khz][bandwidth_mhz] * 12 * scs_khz * 1e3


def occupied_bandwidth(kind: str, params: dict[str, Any]) -> float:
    """The carrier's occupied (transmission) bandwidth in Hz, from its parameters."""
    if kind == "lte":
        return _lte_occupied(params["bandwidth_mhz"])
    return _nr_occupied(params["bandwidth_mhz"], params["scs_khz"])


def _view(recipe: dict, rng: np.random.Generator, occupied: float) -> tuple[float, float]:
    """(capture rate, carrier offset) for a carrier of ``occupied`` Hz."""
    rates = sorted(recipe["capture_rates"])
    whole = [r for r in rates if occupied <= _EDGE * r <= recipe["max_zoom_out"] * occupied]
    whole = whole or [r for r in rates if occupied <= _EDGE * r][:1]
    partial = [r for r in rates if r < occupied]
    if partial and (not whole or rng.random() < recipe["partial_view"]):
        rate = float(rng.choice(partial))
        return rate, _uniform(rng, [-occupied / 2, occupied / 2])
    if not whole:  # wider than every rate and no partial view possible: cannot happen
        raise RecipeError(f"no capture rate can show a {occupied / 1e6:g} MHz carrier")
    rate = float(rng.choice(whole))
    margin = (_EDGE * rate - occupied) / 2
    return rate, _uniform(rng, [-margin, margin])


def _carrier(recipe: dict, rng: np.random.Generator, kind: str) -> tuple[dict, float, float]:
    widest = max(recipe["capture_rates"]) * _EDGE / 1e6
    if kind == "lte":
        params = _lte_params(recipe, rng, recipe["lte"]["bandwidth_mhz"])
    else:
        params = _nr_params(recipe, rng, math.inf if recipe["partial_view"] else widest)
    rate, offset = _view(recipe, rng, occupied_bandwidth(kind, params))
    return params, rate, offset


def _pair(recipe: dict, rng: np.random.Generator, kind: str, common: dict) -> Example:
    """Primary ``kind`` and the other technology side by side in one capture."""
    other = "nr" if kind == "lte" else "lte"
    rate = float(rng.choice([r for r in recipe["capture_rates"] if r >= PAIR_MIN_RATE]))
    room = _EDGE * rate
    params = {}
    for k in (kind, other):
        if k == "lte":
            fits = [b for b in recipe["lte"]["bandwidth_mhz"] if _lte_occupied(b) <= room / 2]
            params[k] = _lte_params(recipe, rng, fits or [min(recipe["lte"]["bandwidth_mhz"])])
        else:
            params[k] = _nr_params(recipe, rng, room / 2 / 1e6)
    occ = {k: occupied_bandwidth(k, params[k]) for k in params}
    gap = _uniform(rng, [0.0, max(0.0, room - sum(occ.values())) / 2])
    span = sum(occ.values()) + gap
    shift = _uniform(rng, [-(room - span) / 2, (room - span) / 2]) if room > span else 0.0
    side = 1 if rng.random() < 0.5 else -1
    offsets = {
        kind: shift + side * (occ[kind] - span) / 2,
        other: shift + side * (span - occ[other]) / 2,
    }
    primary = Scene(kind, capture_rate=rate, offset_hz=offsets[kind], params=params[kind], **common)
    secondary = Scene(
        other,
        common["duration_s"],
        rate,
        offsets[other],
        None,
        channel=_channel(recipe, rng),
        params=params[other],
        start_s=_uniform(rng, [0.0, recipe["start_max_s"]]),
    )
    return Example(primary, secondary, _uniform(rng, recipe["pair_relative_db"]))


def draw_example(recipe: dict, rng: np.random.Generator, duration_s: float = 0.02) -> Example:
    """One example drawn from the recipe, ``duration_s`` long (see ``Example.with_duration``)."""
    label = _pick(rng, recipe["classes"])
    channel = _channel(recipe, rng)
    snr = _uniform(rng, recipe["snr_db"])
    if label == "Noise":
        rate = float(rng.choice(recipe["capture_rates"]))
        # noise has no propagation path: only the receiver's own impairments apply
        channel = replace(channel, profile="none", doppler_hz=0.0, cfo_hz=0.0)
        return Example(Scene("noise", duration_s, rate, 0.0, None, channel=channel))
    if label == "Other":
        kind = _pick(rng, recipe["other"]["kinds"])
        rate = float(rng.choice(recipe["capture_rates"]))
        width = _OTHER_BANDWIDTH.get(kind)
        margin = (_EDGE * rate - width) / 2 if width is not None else 0.0
        offset = _uniform(rng, [-margin, margin]) if margin > 0 else 0.0
        return Example(Scene(kind, duration_s, rate, offset, snr, channel=channel))
    kind = label.lower()
    start = _uniform(rng, [0.0, recipe["start_max_s"]])
    common = {"duration_s": duration_s, "snr_db": snr, "channel": channel, "start_s": start}
    # a pair needs a capture wide enough for two carriers side by side
    if rng.random() < recipe["pair"] and max(recipe["capture_rates"]) >= PAIR_MIN_RATE:
        return _pair(recipe, rng, kind, common)
    params, rate, offset = _carrier(recipe, rng, kind)
    return Example(Scene(kind, capture_rate=rate, offset_hz=offset, params=params, **common))
