"""Export to ONNX with a dynamic batch axis, embed the model card, and prove parity.

Every served model goes through ONNX Runtime, so an export that silently differs from the
PyTorch model would put wrong labels on air. ``export_onnx`` therefore always ends with a parity
check: ONNX Runtime against PyTorch on the inputs given, failing loudly past the tolerance.
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import RfclassifyError
from .onnx_meta import read_metadata  # noqa: F401 (re-exported: callers import it from here)

OPSET = 18
INPUT_NAME = "input"
OUTPUT_NAME = "logits"


class ParityError(RfclassifyError):
    """ONNX Runtime and PyTorch disagree beyond the tolerance."""


@dataclass(frozen=True)
class ExportReport:
    path: Path
    opset: int
    bytes: int
    max_abs_diff: float


def ort_session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_outputs(path: str | Path, inputs: np.ndarray) -> np.ndarray:
    """Run the exported model in ONNX Runtime (CPU) on ``inputs``."""
    session = ort_session(Path(path))
    name = session.get_inputs()[0].name
    feed_type = session.get_inputs()[0].type
    dtype = np.float16 if "float16" in feed_type else np.float32
    return session.run(None, {name: inputs.astype(dtype)})[0].astype(np.float32)


def check_parity(
    model: nn.Module, path: str | Path, inputs: np.ndarray, atol: float = 1e-4
) -> float:
    """Max |ONNX Runtime - PyTorch| over ``inputs``; raises ``ParityError`` above ``atol``."""
    model.eval()
    with torch.no_grad():
        expected = model(torch.from_numpy(inputs.astype(np.float32))).numpy()
    got = onnx_outputs(path, inputs)
    if got.shape != expected.shape:
        raise ParityError(f"{path}: ONNX output shape {got.shape}, PyTorch {expected.shape}")
    diff = float(np.max(np.abs(got - expected)))
    if not diff <= atol:  # also catches NaN
        raise ParityError(
            f"{path}: ONNX Runtime differs from PyTorch by {diff:.3g} (tolerance {atol:g})"
        )
    return diff


def export_onnx(
    model: nn.Module,
    path: str | Path,
    input_shape: tuple[int, int, int],
    metadata: dict[str, Any] | None = None,
    parity_inputs: np.ndarray | None = None,
    atol: float = 1e-4,
    opset: int = OPSET,
) -> ExportReport:
    """Export ``model`` (fp32, eval mode) for inputs ``(batch, *input_shape)``, any batch.

    ``metadata`` values are stored as ``metadata_props`` (non-strings as JSON). The parity check
    runs on ``parity_inputs`` (default: 4 random inputs) and raises ``ParityError`` past ``atol``.
    """
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval().float()
    example = torch.randn(2, *input_shape)
    batch = torch.export.Dim("batch", min=1, max=4096)
    # the exporter logs a warning per torchvision op it cannot register: noise here
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            model,
            (example,),
            dynamo=True,
            dynamic_shapes=({0: batch},),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            opset_version=opset,
            external_data=False,
            verbose=False,
        )
    if program is None:
        raise RfclassifyError("torch.onnx.export returned nothing")
    program.optimize()
    proto = program.model_proto
    props = {"opset": str(opset), **{k: _text(v) for k, v in (metadata or {}).items()}}
    del proto.metadata_props[:]
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save_model(proto, str(path))
    if parity_inputs is None:
        parity_inputs = np.random.default_rng(0).standard_normal((4, *input_shape))
    diff = check_parity(model, path, np.asarray(parity_inputs, np.float32), atol)
    return ExportReport(path, opset, path.stat().st_size, diff)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
