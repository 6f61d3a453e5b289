"""Where a model comes from: a shipped name (``vim-lte-nr``) or a path.

Shipped models live in ``models/`` of a source checkout, or wherever an install put them
(``share/gr-rfclassify/models`` under the CMake or pip prefix); ``RFCLASSIFY_MODELS`` (a
``os.pathsep``-separated list of folders) is searched first, so a station can carry its own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import RfclassifyError

DEFAULT_MODEL = "vim-lte-nr"
_SUFFIX = {"onnxruntime": ".onnx", "torch": ".safetensors"}


def model_dirs() -> list[Path]:
    """The folders searched for shipped models, first match wins."""
    dirs = [Path(p) for p in os.environ.get("RFCLASSIFY_MODELS", "").split(os.pathsep) if p]
    here = Path(__file__).resolve()
    dirs.append(here.parents[3] / "models")  # a checkout: python/rfclassify/inference/
    for parent in here.parents:  # an install: PREFIX/lib/python3.X/site-packages/...
        if parent.name in ("lib", "lib64"):
            dirs.append(parent.parent / "share" / "gr-rfclassify" / "models")
            break
    for prefix in dict.fromkeys([sys.prefix, sys.base_prefix, "/usr/local", "/usr"]):
        dirs.append(Path(prefix) / "share" / "gr-rfclassify" / "models")
    return dirs


def shipped_models() -> dict[str, Path]:
    """Shipped model names and their card files (``NAME.json`` next to ``NAME.onnx``)."""
    found: dict[str, Path] = {}
    for folder in model_dirs():
        for card in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            if card.with_suffix(".onnx").exists() and card.stem not in found:
                found[card.stem] = card
    return found


def backend_for(spec: str | Path) -> str:
    """The backend that runs ``spec`` as given: torch for a checkpoint, else ONNX Runtime."""
    return "torch" if Path(spec).suffix == ".safetensors" else "onnxruntime"


def resolve_model(spec: str, backend: str = "onnxruntime") -> Path:
    """The file ``backend`` loads for ``spec``: a shipped name, or an existing file's path."""
    if backend not in _SUFFIX:
        raise RfclassifyError(f"backend {backend!r}: use onnxruntime or torch")
    path = Path(spec).expanduser()
    if path.suffix in (".onnx", ".safetensors", ".json"):
        if not path.exists():
            raise RfclassifyError(f"model file {path} does not exist")
        if path.suffix == ".json":
            path = path.with_suffix(_SUFFIX[backend])
        elif backend == "torch" and path.suffix == ".onnx":
            path = path.with_suffix(".safetensors")
        elif backend == "onnxruntime" and path.suffix == ".safetensors":
            raise RfclassifyError(
                f"{spec}: ONNX Runtime runs .onnx files; use backend torch for a checkpoint, "
                "or export it with 'rfclassify export'"
            )
        if not path.exists():
            raise RfclassifyError(f"backend {backend} needs {path}, which does not exist")
        return path
    shipped = shipped_models()
    if spec not in shipped:
        names = ", ".join(sorted(shipped)) or "none found"
        raise RfclassifyError(
            f"no model {spec!r}: give a shipped name ({names}) or a path to a .onnx file or a "
            ".safetensors checkpoint"
        )
    path = shipped[spec].with_suffix(_SUFFIX[backend])
    if not path.exists():
        raise RfclassifyError(f"the shipped model {spec} has no {path.name} for backend {backend}")
    return path
