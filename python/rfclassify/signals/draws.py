"""Parameter ranges as data: how a recipe says "draw this value", and the one function that draws.

Every emitter and the receiver model publish their ranges as a dict of *specs*, JSON-ready, so
the recipe can carry them, a user can override them in a file, and each example's draw lands in
its parameter table. A spec is one of::

    {"uniform": [lo, hi]}          float, uniform
    {"loguniform": [lo, hi]}       float, uniform in log (lo > 0)
    {"int": [lo, hi]}              integer, uniform, both ends included
    {"choice": [a, b, ...]}        one of the values, equally likely
    {"weights": {"a": 1, "b": 2}}  one of the keys, by weight (keys are strings)
    {"bernoulli": p}               True with probability p
    {"fixed": value}               always ``value``

``draw_params(ranges, rng, given)`` draws every key not in ``given`` in sorted key order, so a
draw is the same whatever order the dict was written in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SPEC_KINDS = ("uniform", "loguniform", "int", "choice", "weights", "bernoulli", "fixed")


class SpecError(ValueError):
    """A range spec that cannot be drawn from; the message names the key."""


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_spec(spec: Any, key: str = "spec") -> None:
    """Raise ``SpecError`` naming ``key`` if ``spec`` is not a drawable spec."""
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in SPEC_KINDS:
        raise SpecError(f"{key} must be one of {{kind: value}} with kind in {SPEC_KINDS}: {spec!r}")
    kind, value = next(iter(spec.items()))
    if kind in ("uniform", "loguniform", "int"):
        ok = isinstance(value, list) and len(value) == 2 and all(_number(v) for v in value)
        ok = ok and value[0] <= value[1]
        if ok and kind == "loguniform":
            ok = value[0] > 0
        if ok and kind == "int":
            ok = all(float(v).is_integer() for v in value)
        if not ok:
            raise SpecError(f"{key}: {kind} needs [low, high] with low <= high, got {value!r}")
    elif kind == "choice":
        if not isinstance(value, list) or not value:
            raise SpecError(f"{key}: choice needs a non-empty list, got {value!r}")
    elif kind == "weights":
        if (
            not isinstance(value, dict)
            or not value
            or not all(_number(w) and w >= 0 for w in value.values())
            or sum(value.values()) <= 0
        ):
            raise SpecError(f"{key}: weights needs {{name: weight >= 0}}, not all 0: {value!r}")
    elif kind == "bernoulli" and not (_number(value) and 0 <= value <= 1):
        raise SpecError(f"{key}: bernoulli needs a probability in [0, 1], got {value!r}")


def check_ranges(ranges: Any, key: str) -> None:
    """Every entry of a ranges table is a spec."""
    if not isinstance(ranges, dict):
        raise SpecError(f"{key} must be a table of name = spec")
    for name, spec in ranges.items():
        check_spec(spec, f"{key}.{name}")


def draw(spec: dict[str, Any], rng: np.random.Generator) -> Any:
    """One value from ``spec`` (see the module docstring)."""
    kind, value = next(iter(spec.items()))
    if kind == "uniform":
        return float(rng.uniform(value[0], value[1]))
    if kind == "loguniform":
        return float(math.exp(rng.uniform(math.log(value[0]), math.log(value[1]))))
    if kind == "int":
        return int(rng.integers(int(value[0]), int(value[1]) + 1))
    if kind == "choice":
        item = value[int(rng.integers(0, len(value)))]
        return item.item() if isinstance(item, np.generic) else item
    if kind == "weights":
        names = list(value)
        p = np.array([value[n] for n in names], float)
        return names[int(rng.choice(len(names), p=p / p.sum()))]
    if kind == "bernoulli":
        return bool(rng.random() < value)
    if kind == "fixed":
        return value
    raise SpecError(f"unknown spec kind {kind!r}")


def draw_params(
    ranges: dict[str, dict[str, Any]],
    rng: np.random.Generator,
    given: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every key of ``ranges``: from ``given`` where it holds a value (not None), else drawn."""
    given = given or {}
    out = {}
    for name in sorted(ranges):
        value = given.get(name)
        out[name] = draw(ranges[name], rng) if value is None else value
    for name, value in given.items():  # keys the ranges do not know pass through unchanged
        out.setdefault(name, value)
    return out
