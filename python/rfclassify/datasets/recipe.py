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
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..signals.channel import PROFILES, ChannelConfig
from ..signals.common import Waveform
from ..signals.draws import draw_params
from ..signals.emitters import EMITTER_RANGES, EMITTERS, FIXED_WIDTH_HZ, default_ranges
from ..signals.lte import LTE_BANDWIDTHS, LteConfig
from ..signals.lte_frame import MBSFN_ALLOWED, subframe_types
from ..signals.nr import NR_BANDWIDTHS, SSB_RBS
from ..signals.receiver import RECEIVER_RANGES, draw_receiver
from ..signals.scene import Scene, render, render_pair
from .recipe_checks import RECIPE_VERSION, RecipeError, validate

__all__ = ["RECIPE_VERSION", "RecipeError", "validate"]

# NR channel bandwidths the training recipe leaves out, so that the evaluation suite can measure
# how a model does on a width it never saw (TS 38.101-1 Table 5.3.2-1 lists them all).
NR_HELD_OUT_MHZ = {15: (35, 45), 30: (35, 45, 70, 90)}
NR_HELD_OUT_PATTERNS = ("DDDSUDDSUU", "DDSU", "DDDDDDDDSU")  # likewise for TDD patterns

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
    "window_ms": None,
    "lte": {
        "bandwidth_mhz": sorted(LTE_BANDWIDTHS),
        "duplex": {"FDD": 0.5, "TDD": 0.5},
        "ul_dl_config": {"0": 1.0, "1": 3.0, "2": 3.0, "3": 1.0, "4": 1.0, "5": 1.0, "6": 1.0},
        "special_subframe_config": [0, 9],
        "mbsfn": 0.1,
        "ports": {"1": 0.3, "2": 0.5, "4": 0.2},
        "uplink_leak": 0.3,
        "uplink_leak_db": [-40.0, -10.0],
        "load": [0.0, 1.0],
        "idle": 0.1,
        "extended_cp": 0.05,
        "cfi": [1, 2, 3],
    },
    "nr": {
        "scs_khz": [15, 30],
        "bandwidth_mhz": {
            str(scs): [
                bw
                for bw, n_rb in table.items()
                if n_rb >= SSB_RBS and bw not in NR_HELD_OUT_MHZ.get(scs, ())
            ]
            for scs, table in NR_BANDWIDTHS.items()
        },
        "duplex": {"FDD": 0.3, "DDDSU": 0.25, "DDDDDDDSUU": 0.2, "DDSUU": 0.15, "DSUUU": 0.1},
        "ssb_period_ms": {"5": 0.1, "10": 0.15, "20": 0.5, "40": 0.1, "80": 0.1, "160": 0.05},
        "ssb_placement": {"raster": 0.8, "centre": 0.1, "random": 0.1},
        "ssb_l_max": {"4": 0.5, "8": 0.5},
        "ssb_case_30khz": {"B": 0.3, "C": 0.7},
        "load": [0.0, 1.0],
        "idle": 0.15,
        "coreset_symbols": [1, 2],
        "special_dl_symbols": [6, 12],
        "special_ul_symbols": [0, 4],
        "sib1": 0.95,
        "trs_period_ms": {"none": 0.2, "10": 0.2, "20": 0.4, "40": 0.2},
    },
    "other": {"kinds": {kind: 1.0 for kind in EMITTERS}, "params": default_ranges()},
    "channel": {
        "profiles": {profile: 1.0 for profile in PROFILES},
        "doppler_hz": [0.0, 5.0, 70.0, 300.0],
        "delay_spread_s": [30e-9, 300e-9],
        "cfo_hz": [-5e3, 5e3],
        "sro_ppm": [-20.0, 20.0],
        "phase_noise_dbc_hz": [-110.0, -80.0],
        "iq_gain_db": [-0.5, 0.5],
        "iq_phase_deg": [-3.0, 3.0],
    },
    "receiver": deepcopy(RECEIVER_RANGES),
}

SILENT_POWER = 1e-3  # an emitter recorded at < -30 dB of its on-power shows nothing: redrawn
PAIR_MIN_RATE = 15.36e6  # an LTE and an NR carrier of >= 5 MHz each fit side by side
_EDGE = 0.9  # the usable fraction of a capture (SDR anti-alias filters roll off at the edges)


# --- loading ---------------------------------------------------------------------------------


def _whole(where: str) -> bool:
    """Keys whose value is replaced whole by an override rather than merged key by key."""
    if where in _WHOLE_TABLES:
        return True
    parts = where.split(".")
    # a range spec ({"uniform": [a, b]}) is replaced whole: its kind may change
    return (parts[0] == "receiver" and len(parts) == 2) or (
        parts[:2] == ["other", "params"] and len(parts) == 4
    )


def _merge(base: dict, override: dict, path: str = "") -> dict:
    out = deepcopy(base)
    for key, value in override.items():
        where = f"{path}{key}"
        if key not in base:
            raise RecipeError(f"unknown recipe key {where!r}; known: {sorted(base)}")
        if isinstance(base[key], dict) and not _whole(where):
            if not isinstance(value, dict):
                raise RecipeError(f"{where} must be a table of {sorted(base[key])}")
            out[key] = _merge(base[key], value, where + ".")
        else:
            out[key] = deepcopy(value)
    return out


_WHOLE_TABLES = {
    "classes",
    "lte.duplex",
    "lte.ul_dl_config",
    "lte.ports",
    "nr.bandwidth_mhz",
    "nr.duplex",
    "nr.ssb_period_ms",
    "nr.ssb_placement",
    "nr.ssb_l_max",
    "nr.ssb_case_30khz",
    "nr.trs_period_ms",
    "other.kinds",
    "channel.profiles",
}
# channel keys of version 1 that the receiver section (version 2) took over
_V1_RECEIVER_KEYS = ("dc_offset", "agc_step", "agc_step_db", "clipping", "clip_db")


def _migrate(data: dict) -> dict:
    """A version-1 recipe in version-2 terms: what it set keeps its meaning where it still has
    one; the SDR impairments of its channel section are now the receiver's."""
    if data.get("version") != 1:
        return data
    data = deepcopy(data)
    data["version"] = RECIPE_VERSION
    lte = data.get("lte")
    if isinstance(lte, dict) and "two_ports" in lte:
        p = lte.pop("two_ports")
        if isinstance(p, (int, float)) and not isinstance(p, bool) and 0 <= p <= 1:
            lte["ports"] = {"1": 1.0 - p, "2": float(p)}
        else:
            raise RecipeError(f"lte.two_ports must be a probability in [0, 1], got {p!r}")
    channel = data.get("channel")
    if isinstance(channel, dict):
        for key in _V1_RECEIVER_KEYS:
            channel.pop(key, None)
    return data


def resolve_recipe(data: dict[str, Any]) -> dict[str, Any]:
    """A recipe given as a (possibly partial or older) dict: merged onto the defaults, checked.

    Keys this version added take their defaults, so a recipe saved by an older version still
    draws (version 1's ``lte.two_ports`` becomes ``lte.ports``; its channel's DC offset, AGC and
    clipping are now the ``receiver``'s); unknown keys are refused as in a file.
    """
    data = dict(data)
    data.setdefault("version", RECIPE_VERSION)
    recipe = _merge(deepcopy(DEFAULT_RECIPE), _migrate(data))
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
    if path is None:
        return resolve_recipe({})
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise RecipeError(f"cannot read recipe {path}: {exc.strerror}") from None
    data = _parse(path, text)
    if not isinstance(data, dict):
        raise RecipeError(f"{path} must hold a table of recipe keys")
    return resolve_recipe(data)


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


WINDOW_STEP_MS = 0.5  # drawn window lengths are multiples of this: a few dozen frontends in all


def draw_window_ms(recipe: dict, seed: int, index: int) -> float | None:
    """The window length of example ``index`` in milliseconds, or None: the frontend's own.

    ``recipe["window_ms"]`` ``[lo, hi]`` draws it log-uniformly (as many 10-20 ms windows as
    20-40 ms ones), so one model learns every length a user may record. The draw has its own
    stream, so a recipe without it draws every other parameter exactly as before.
    """
    bounds = recipe.get("window_ms")
    if bounds is None:
        return None
    lo, hi = (float(b) for b in bounds)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index, 2)))
    ms = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    return min(hi, max(lo, round(ms / WINDOW_STEP_MS) * WINDOW_STEP_MS))


def _pick(rng: np.random.Generator, table: dict[str, float]) -> str:
    names = list(table)
    weights = np.array([table[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def _uniform(rng: np.random.Generator, bounds: list[float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def _channel(recipe: dict, rng: np.random.Generator) -> ChannelConfig:
    """The propagation path and the front end's analog flaws (the SDR's own stage is
    ``receiver``: its DC line, AGC and clipping replaced the channel's of version 1)."""
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
    )


def _lte_params(recipe: dict, rng: np.random.Generator, widths: list[float]) -> dict[str, Any]:
    c = recipe["lte"]
    cp = "extended" if rng.random() < c["extended_cp"] else "normal"
    duplex = _pick(rng, c["duplex"])
    params: dict[str, Any] = {
        "bandwidth_mhz": float(rng.choice(widths)),
        "cell_id": int(rng.integers(0, 504)),
        "cp": cp,
        "ports": int(_pick(rng, c["ports"])),
        "cfi": int(rng.choice(c["cfi"])),
        "load": 0.0 if rng.random() < c["idle"] else _uniform(rng, c["load"]),
        "duplex": duplex,
    }
    if duplex == "TDD":
        lo, hi = c["special_subframe_config"]
        hi = min(hi, 7) if cp == "extended" else hi  # TS 36.211 Table 4.2-1
        params["ul_dl_config"] = int(_pick(rng, c["ul_dl_config"]))
        params["special_subframe_config"] = int(rng.integers(min(lo, hi), hi + 1))
        if rng.random() < c["uplink_leak"]:
            params["uplink_leak_db"] = _uniform(rng, c["uplink_leak_db"])
    if rng.random() < c["mbsfn"]:
        types = subframe_types(duplex, params.get("ul_dl_config", 0))
        allowed = [sf for sf in MBSFN_ALLOWED[duplex] if types[sf] == "D"]
        chosen = [sf for sf in allowed if rng.random() < 0.5]
        if allowed:  # UL/DL configuration 0 has no downlink subframe that may be MBSFN
            params["mbsfn_subframes"] = chosen or [int(rng.choice(allowed))]
    return params


def _nr_params(recipe: dict, rng: np.random.Generator, max_mhz: float) -> dict[str, Any]:
    c = recipe["nr"]
    scs = int(rng.choice(c["scs_khz"]))
    widths = [bw for bw in c["bandwidth_mhz"][str(scs)] if _nr_occupied(bw, scs) <= max_mhz * 1e6]
    if not widths:  # nothing fits: the narrowest the recipe allows at this SCS
        widths = [min(c["bandwidth_mhz"][str(scs)])]
    dl = c["special_dl_symbols"]
    special_dl = int(rng.integers(dl[0], dl[1] + 1))
    ul = c["special_ul_symbols"]  # a guard symbol always stays: DL + UL <= 13
    ul_high = max(min(ul[1], 13 - special_dl), 0)
    trs = _pick(rng, c["trs_period_ms"])
    return {
        "bandwidth_mhz": int(rng.choice(widths)),
        "scs_khz": scs,
        "cell_id": int(rng.integers(0, 1008)),
        "duplex": _pick(rng, c["duplex"]),
        "ssb_period_ms": int(_pick(rng, c["ssb_period_ms"])),
        "ssb_placement": _pick(rng, c["ssb_placement"]),
        "ssb_l_max": int(_pick(rng, c["ssb_l_max"])),
        "ssb_case": "A" if scs == 15 else _pick(rng, c["ssb_case_30khz"]),
        "load": 0.0 if rng.random() < c["idle"] else _uniform(rng, c["load"]),
        "coreset_symbols": int(rng.choice(c["coreset_symbols"])),
        "special_dl_symbols": special_dl,
        "special_ul_symbols": int(rng.integers(min(ul[0], ul_high), ul_high + 1)),
        "sib1": bool(rng.random() < c["sib1"]),
        "trs_period_ms": None if trs == "none" else int(trs),
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
    partial = [r for r in rates if _EDGE * r < occupied]  # no room to show it whole
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


def _pair(recipe: dict, rng: np.random.Generator, kind: str, common: dict) -> Example | None:
    """Primary ``kind`` and the other technology side by side in one capture; None where the
    recipe's narrowest carriers do not fit side by side at the drawn rate."""
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
    if sum(occ.values()) > room:
        return None
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


def _other(recipe: dict, rng: np.random.Generator, duration_s: float, snr: float, channel) -> Scene:
    kind = _pick(rng, recipe["other"]["kinds"])
    rate = float(rng.choice(recipe["capture_rates"]))
    # Only what the recipe changed is drawn here: the emitter draws the rest itself, keeping the
    # combinations its standard allows (a DVB-T2 guard interval that suits the FFT size); the
    # realised values are in the example's parameters either way.
    ranges, own = recipe["other"]["params"].get(kind, {}), EMITTER_RANGES.get(kind, {})
    changed = {name: spec for name, spec in ranges.items() if spec != own.get(name)}
    params = draw_params(changed, rng) if changed else {}
    # the standards-based kinds arrange themselves in the view; the first kinds have one width
    width = FIXED_WIDTH_HZ.get(kind)
    margin = (_EDGE * rate - width) / 2 if width is not None else 0.0
    offset = _uniform(rng, [-margin, margin]) if margin > 0 else 0.0
    return Scene(kind, duration_s, rate, offset, snr, channel=channel, params=params)


def draw_example(recipe: dict, rng: np.random.Generator, duration_s: float = 0.02) -> Example:
    """One example drawn from the recipe, ``duration_s`` long (see ``Example.with_duration``).

    Every example, noise included, is recorded by a receiver drawn from ``recipe["receiver"]``.
    """
    label = _pick(rng, recipe["classes"])
    channel = _channel(recipe, rng)
    snr = _uniform(rng, recipe["snr_db"])
    receiver = draw_receiver(rng, recipe["receiver"])
    if label == "Noise":
        rate = float(rng.choice(recipe["capture_rates"]))
        # noise has no propagation path: only the receiver's own impairments apply
        channel = replace(channel, profile="none", doppler_hz=0.0, cfo_hz=0.0)
        scene = Scene("noise", duration_s, rate, 0.0, None, channel=channel, receiver=receiver)
        return Example(scene)
    if label == "Other":
        scene = _other(recipe, rng, duration_s, snr, channel)
        return Example(replace(scene, receiver=receiver))
    kind = label.lower()
    start = _uniform(rng, [0.0, recipe["start_max_s"]])
    common = {
        "duration_s": duration_s,
        "snr_db": snr,
        "channel": channel,
        "start_s": start,
        "receiver": receiver,
    }
    # a pair needs a capture wide enough for two carriers side by side
    if rng.random() < recipe["pair"] and max(recipe["capture_rates"]) >= PAIR_MIN_RATE:
        pair = _pair(recipe, rng, kind, common)
        if pair is not None:
            return pair
    params, rate, offset = _carrier(recipe, rng, kind)
    return Example(Scene(kind, capture_rate=rate, offset_hz=offset, params=params, **common))


def shows_its_label(wave: Waveform) -> bool:
    """False when the emitter left (almost) nothing in the recording: the window is then receiver
    noise whatever the scene says, and would teach a model to call a quiet band LTE or NR."""
    if wave.label == "Noise":
        return True
    return wave.params.get("recorded_power", 1.0) >= SILENT_POWER


def draw_recorded(
    recipe: dict,
    draw_rng: np.random.Generator,
    render_rng: np.random.Generator,
    duration_for: Callable[[float], float],
    tries: int = 16,
) -> tuple[Example, Waveform]:
    """One example drawn and rendered, ``duration_for(capture_rate)`` seconds long, drawn again
    (from the same streams, so still deterministic) while its emitter shows nothing."""
    for _ in range(tries):
        example = draw_example(recipe, draw_rng)
        rate = example.scene.capture_rate
        assert rate is not None
        example = example.with_duration(duration_for(rate))
        wave = example.render(render_rng)
        if shows_its_label(wave):
            break
    return example, wave
