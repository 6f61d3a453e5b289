"""One registry for every architecture: ``create_model(name, ...)`` and ``list_models()``.

Each family module registers its named configurations with ``@register_model``; the registry
imports every module of this package on first use, so adding a family is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

_NOT_FAMILIES = {
    "registry",
    "layers",
    "flops",
    "onnx_export",
    "card",
    "export",
    "precision",
    "selective_scan",
}


@dataclass(frozen=True)
class ModelSpec:
    """What a registered name stands for: its family, native input and a one-line summary."""

    name: str
    family: str
    img_size: int
    in_chans: int
    summary: str
    builder: Callable[..., nn.Module]


_REGISTRY: dict[str, ModelSpec] = {}
_LOADED = False


def register_model(
    family: str, img_size: int, summary: str, in_chans: int = 3
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Register ``builder(num_classes, img_size, in_chans, **overrides)`` under its name."""

    def wrap(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        name = builder.__name__
        if name in _REGISTRY and _REGISTRY[name].builder is not builder:
            raise ValueError(f"model {name!r} registered twice")
        _REGISTRY[name] = ModelSpec(name, family, img_size, in_chans, summary, builder)
        return builder

    return wrap


def _load_families() -> None:
    global _LOADED
    if _LOADED:
        return
    package = importlib.import_module(__package__)
    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _NOT_FAMILIES and not module.name.startswith("_"):
            importlib.import_module(f"{__package__}.{module.name}")
    _LOADED = True


def list_models() -> list[str]:
    """Every registered name, sorted."""
    _load_families()
    return sorted(_REGISTRY)


def model_spec(name: str) -> ModelSpec:
    _load_families()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def create_model(
    name: str,
    num_classes: int = 4,
    img_size: int | None = None,
    in_chans: int | None = None,
    **overrides: Any,
) -> nn.Module:
    """A freshly initialised ``name`` for ``num_classes`` (LTE, NR, Noise, Other by default).

    ``img_size`` / ``in_chans`` default to the architecture's native input (``model_spec``);
    ``overrides`` go to the family's constructor (depth, drop_path_rate, ...).
    """
    spec = model_spec(name)
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    size = spec.img_size if img_size is None else int(img_size)
    chans = spec.in_chans if in_chans is None else int(in_chans)
    if not 1 <= chans <= 8:
        # 1 plane, 3 (replicated for RGB models), or 2 with an extra plane (FrontendConfig.planes)
        raise ValueError(f"in_chans must be 1..8 (spectrogram planes), got {chans}")
    model = spec.builder(num_classes=num_classes, img_size=size, in_chans=chans, **overrides)
    model.rfclassify_spec = {  # what export and the model card need to rebuild it
        "name": name,
        "num_classes": num_classes,
        "img_size": size,
        "in_chans": chans,
        "overrides": dict(overrides),
    }
    return model
