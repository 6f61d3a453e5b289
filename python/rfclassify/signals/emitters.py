"""Every "Other" emitter by name: the first hard negatives (``other.py``, ``interferers.py``) and
the standards-based emitters (``emitters_*.py``), with the parameter ranges of those that have
them.

One registry, so that a scene, the recipe and ``rfclassify synth`` all see the same kinds. The
standards-based emitters arrange themselves in the view they are given (carriers on their
raster, a wide signal cut to what the rate shows), so a scene places them at 0 Hz; the older
kinds have a fixed width (``FIXED_WIDTH_HZ``) and are placed off-centre by the recipe.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from typing import Any

import numpy as np

from . import emitters_broadcast, emitters_cellular, emitters_short_range, emitters_wlan
from .common import Waveform
from .draws import draw_params
from .other import OTHER_KINDS as _FIRST_KINDS

_MODULES = (emitters_cellular, emitters_broadcast, emitters_wlan, emitters_short_range)

EMITTERS: dict[str, Callable[..., Waveform]] = {
    **_FIRST_KINDS,
    **{kind: fn for module in _MODULES for kind, fn in module.KINDS.items()},
}
# The drawable parameters of each standards-based kind (draws.py specs); the first kinds draw
# their own parameters inside the generator and have none here.
EMITTER_RANGES: dict[str, dict[str, dict[str, Any]]] = {
    kind: ranges for module in _MODULES for kind, ranges in module.RANGES.items()
}
# Occupied bandwidth of the first kinds that are wide enough to need placing inside the view.
FIXED_WIDTH_HZ = {"wifi_ofdm": 16.6e6, "dvbt_like": 7.61e6, "fm_broadcast": 0.2e6}


def default_ranges() -> dict[str, dict[str, dict[str, Any]]]:
    """A copy of every kind's ranges, for a recipe to override."""
    return deepcopy(EMITTER_RANGES)


def draw_emitter_params(
    kind: str, rng: np.random.Generator, ranges: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The parameters of one ``kind`` emitter drawn from ``ranges`` (default: its own).

    Drawn here rather than inside the generator so that a scene carries them: the parameter
    table then records every value, and a recipe can narrow any range.
    """
    if kind not in EMITTERS:
        raise ValueError(f"unknown emitter {kind!r}; use one of {sorted(EMITTERS)}")
    ranges = EMITTER_RANGES.get(kind, {}) if ranges is None else ranges
    return draw_params(ranges, rng) if ranges else {}


def emitter_signal(
    kind: str, duration_s: float, sample_rate: float, rng: np.random.Generator, **params: Any
) -> Waveform:
    """One "Other" emitter by name, centred on 0 Hz at ``sample_rate``."""
    if kind not in EMITTERS:
        raise ValueError(f"unknown emitter {kind!r}; use one of {sorted(EMITTERS)}")
    return EMITTERS[kind](duration_s, sample_rate, rng, **params)
