"""The whole export: ONNX file, embedded card, parity on random and real spectrograms, precision.

Real spectrograms matter for parity: random inputs exercise every weight, but only real ones
have the value ranges (and the BatchNorm statistics of a trained model) the model meets in use.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..models.card import ModelCard, sha256
from ..models.onnx_export import check_parity, export_onnx, onnx_outputs
from ..models.precision import to_fp16, to_int8


def _real_inputs(card: ModelCard, count: int, seed: int) -> np.ndarray | None:
    """Synthetic spectrograms through the model's own frontend, if it fits the input."""
    from ..datasets.builder import sample_images

    frontend = card.frontend_config()
    if frontend.image_shape != card.input_shape:
        return None
    images, _ = sample_images(frontend, count, seed)
    return images


def export_model(
    model: nn.Module,
    card: ModelCard,
    out: str | Path,
    precision: str = "fp32",
    int8_mode: str = "dynamic",
    calibration: int = 32,
    atol: float = 1e-4,
    workdir: Path | None = None,
    real: int = 8,
) -> dict[str, Any]:
    """Export ``model`` to ``out`` (+ ``out.json`` card); returns the report (sizes, parity)."""
    out = Path(out)
    work = Path(workdir or out.parent)
    model = model.eval()
    shape = card.input_shape
    random_inputs = np.random.default_rng(0).standard_normal((4, *shape)).astype(np.float32)
    real_inputs = _real_inputs(card, real, seed=0)
    parity_inputs = (
        random_inputs if real_inputs is None else np.concatenate([random_inputs, real_inputs])
    )
    if card.macs is None:
        from ..models.flops import count_macs

        card.macs = count_macs(model, shape)  # multiply-accumulates per window (FLOPs / 2)
    embedded = replace(card, onnx={})  # the file cannot hold its own hash
    metadata = {
        "rfclassify_card": embedded.to_json(),
        "classes": card.classes,
        "frontend": card.frontend,
        "architecture": card.architecture,
    }
    fp32_path = out if precision == "fp32" else work / (out.stem + ".fp32.onnx")
    report = export_onnx(model, fp32_path, shape, metadata, parity_inputs, atol)
    result: dict[str, Any] = {
        "path": str(out),
        "precision": precision,
        "opset": report.opset,
        "fp32_bytes": report.bytes,
        "fp32_max_abs_diff": report.max_abs_diff,
        "parity_inputs": len(parity_inputs),
        "real_inputs": 0 if real_inputs is None else len(real_inputs),
    }
    if precision == "fp16":
        to_fp16(fp32_path, out)
    elif precision == "int8":
        calib = None
        if int8_mode == "static":
            calib = _real_inputs(card, calibration, seed=1)
            if calib is None:
                calib = np.random.default_rng(1).standard_normal((calibration, *shape))
        to_int8(fp32_path, out, int8_mode, calib)
        result["int8_mode"] = int8_mode
    if precision != "fp32":
        check = real_inputs if real_inputs is not None else random_inputs
        with torch.no_grad():
            expected = model(torch.from_numpy(check)).numpy()
        got = onnx_outputs(out, check)
        result["max_abs_diff"] = float(np.max(np.abs(got - expected)))
        result["top1_agreement"] = float(np.mean(got.argmax(1) == expected.argmax(1)))
    else:
        check_parity(model, out, parity_inputs, atol)  # the delivered file itself
    result["bytes"] = out.stat().st_size
    card.onnx = {
        "file": out.name,
        "sha256": sha256(out),
        "opset": report.opset,
        "precision": precision,
        "bytes": result["bytes"],
        "fp32_max_abs_diff": report.max_abs_diff,
    }
    card_path = out.with_suffix(".json")
    card_path.write_text(card.to_json() + "\n")
    result["card"] = str(card_path)
    if precision != "fp32" and workdir is None:
        fp32_path.unlink(missing_ok=True)
    return result
