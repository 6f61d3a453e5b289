"""fp16 and int8 forms of an exported fp32 ONNX model (ONNX Runtime's own converters).

fp16 halves the file and suits GPUs; int8 quarters it and can speed up CPU inference. Neither is
exact, so the export command reports, for each, the size and the agreement with PyTorch fp32
(max |logit difference| and top-1 agreement on real spectrograms) instead of a pass/fail bound.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

PRECISIONS = ("fp32", "fp16", "int8")
INT8_MODES = ("dynamic", "static")


def _copy_metadata(src: Path, dst: Path) -> None:
    """Converters may drop ``metadata_props``; the card must survive."""
    import onnx

    source = onnx.load_model(str(src))
    target = onnx.load_model(str(dst))
    del target.metadata_props[:]
    for prop in source.metadata_props:
        entry = target.metadata_props.add()
        entry.key, entry.value = prop.key, prop.value
    onnx.save_model(target, str(dst))


def to_fp16(src: str | Path, dst: str | Path) -> None:
    """Weights and arithmetic in fp16; inputs and outputs stay fp32 (callers need not change)."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load_model(str(src)), keep_io_types=True)
    onnx.save_model(model, str(dst))
    _copy_metadata(Path(src), Path(dst))


class _Calibration:
    """The CalibrationDataReader protocol over a batch of spectrograms, one at a time."""

    def __init__(self, input_name: str, images: np.ndarray):
        self._items = iter([{input_name: images[i : i + 1]} for i in range(len(images))])

    def get_next(self) -> dict | None:
        return next(self._items, None)


def to_int8(
    src: str | Path, dst: str | Path, mode: str = "dynamic", calibration: np.ndarray | None = None
) -> None:
    """int8 weights (``dynamic``: activations quantised on the fly) or weights and activations
    (``static``: activation ranges calibrated on ``calibration`` spectrograms, QDQ format)."""
    src, dst = Path(src), Path(dst)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser warns on the root logger about benign things
    try:
        _quantize(src, dst, mode, calibration)
    finally:
        root.setLevel(level)
    _copy_metadata(src, dst)


def _quantize(src: Path, dst: Path, mode: str, calibration: np.ndarray | None) -> None:
    import onnx

    # The quantiser re-runs shape inference; stale value_info from the exporter's optimiser can
    # contradict it ("inferred shape and existing shape differ"), so it starts without any.
    model = onnx.load_model(str(src))
    del model.graph.value_info[:]
    clean = dst.with_name(dst.stem + ".prequant.onnx")
    onnx.save_model(model, str(clean))
    try:
        _run_quantizer(clean, dst, mode, calibration)
    finally:
        clean.unlink(missing_ok=True)


def _run_quantizer(src: Path, dst: Path, mode: str, calibration: np.ndarray | None) -> None:
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static

    if mode == "dynamic":
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8)
    elif mode == "static":
        if calibration is None or len(calibration) == 0:
            raise ValueError("static int8 needs calibration spectrograms")
        name = onnx.load_model(str(src), load_external_data=False).graph.input[0].name
        quantize_static(
            str(src),
            str(dst),
            _Calibration(name, calibration.astype(np.float32)),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
        )
    else:
        raise ValueError(f"int8 mode {mode!r}: use one of {INT8_MODES}")
