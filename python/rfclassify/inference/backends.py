"""The two ways a model runs: ONNX Runtime and PyTorch, each with explicit device and threads.

Thread counts are set, never left at "all cores": inside GNU Radio every block has its own
thread, and an inference pool that grabs every core fights the scheduler (and the SDR source)
for them. Each backend reports what actually runs (``provider`` / ``device``), since asking for
CUDA is not the same as getting it.

CUDA asked for but absent (no GPU build, no driver, no device) falls back to the CPU with the
reason in ``fallback``, which the caller shows as a warning: a station that lost its GPU keeps
classifying. ``strict=True`` makes it an error instead, for a deployment that must not silently
run at CPU speed. ``auto`` takes CUDA when it is there and the CPU otherwise, without a warning.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from ..errors import RfclassifyError
from ..models.card import ModelCard

log = logging.getLogger(__name__)
DEVICES = ("cpu", "cuda", "auto")


def _check_device(device: str) -> None:
    if device not in DEVICES and not device.startswith("cuda:"):
        raise RfclassifyError(f"device {device!r}: use cpu, cuda, cuda:N or auto")


def read_card(path: str | Path) -> ModelCard:
    """The card of a model file, without loading its weights: an ONNX file's metadata (the card
    it was exported with), or the ``.json`` beside a ``.safetensors`` checkpoint."""
    path = Path(path)
    if path.suffix != ".onnx":
        try:
            return ModelCard.from_dict(json.loads(path.with_suffix(".json").read_text()))
        except Exception as exc:  # missing file, bad JSON, a card of the wrong shape
            raise RfclassifyError(f"{path}: cannot read its model card ({exc})") from None
    from ..models.onnx_meta import read_metadata

    try:
        meta = read_metadata(path)
    except Exception as exc:
        raise RfclassifyError(f"{path}: not a readable ONNX file ({exc})") from None
    if "rfclassify_card" not in meta:
        raise RfclassifyError(f"{path} carries no model card (export it with rfclassify)")
    try:
        return ModelCard.from_dict(json.loads(meta["rfclassify_card"]))
    except (json.JSONDecodeError, TypeError, ValueError) as exc:
        raise RfclassifyError(f"{path}: unreadable model card ({exc})") from None


def _no_cuda(device: str, why: str, strict: bool) -> str:
    """The fallback notice for ``device`` (or the error, when ``strict``)."""
    if strict:
        raise RfclassifyError(f"device {device} asked for, but {why}; use device cpu")
    return f"device {device} asked for, but {why}: running on the CPU"


class OnnxRuntimeBackend:
    """An ONNX file with its embedded model card, in an ONNX Runtime session."""

    name = "onnxruntime"

    def __init__(self, path: str | Path, device: str = "cpu", intra_threads: int = 1,
                 inter_threads: int = 1, strict: bool = False):  # fmt: skip
        import onnxruntime as ort

        _check_device(device)
        self.path = Path(path)
        self.card = read_card(self.path)
        self.fallback = ""  # why CUDA was asked for and the CPU runs ("" when not)
        available = ort.get_available_providers()
        wants_cuda = device != "cpu"
        if wants_cuda and "CUDAExecutionProvider" not in available:
            if device != "auto":
                why = (
                    f"this ONNX Runtime has no CUDA provider (it has {', '.join(available)}; "
                    "install onnxruntime-gpu)"
                )
                self.fallback = _no_cuda(device, why, strict)
            wants_cuda = False
        providers: list = ["CPUExecutionProvider"]
        if wants_cuda:
            index = int(device.split(":")[1]) if ":" in device else 0
            providers.insert(0, ("CUDAExecutionProvider", {"device_id": index}))
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = int(intra_threads)
        options.inter_op_num_threads = int(inter_threads)
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=providers)
        except Exception as exc:
            raise RfclassifyError(f"{self.path}: ONNX Runtime cannot load it ({exc})") from None
        self.provider = self.session.get_providers()[0]
        self.device = "cuda" if self.provider == "CUDAExecutionProvider" else "cpu"
        if wants_cuda and self.device == "cpu" and device != "auto":
            # the provider is built in but could not start (no driver, no device)
            self.fallback = _no_cuda(device, "ONNX Runtime could not start CUDA", strict)
        inp, out = self.session.get_inputs()[0], self.session.get_outputs()[0]
        self._input_name = inp.name
        self._dtype = np.float16 if "float16" in inp.type else np.float32
        _check_shapes(self.path, self.card, inp.shape[1:], out.shape[-1])

    def __call__(self, images: np.ndarray) -> np.ndarray:
        feed = {self._input_name: np.ascontiguousarray(images, dtype=self._dtype)}
        return self.session.run(None, feed)[0].astype(np.float32, copy=False)

    def describe(self) -> str:
        return f"onnxruntime ({self.provider})"


class TorchBackend:
    """A safetensors checkpoint with its card, in PyTorch (never a pickle)."""

    name = "torch"

    def __init__(
        self, path: str | Path, device: str = "cpu", threads: int = 1, strict: bool = False
    ):
        import torch

        from ..models.card import load_checkpoint

        _check_device(device)
        self.path = Path(path)
        model, self.card = load_checkpoint(self.path)
        self.fallback = ""
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        elif device.startswith("cuda") and not torch.cuda.is_available():
            self.fallback = _no_cuda(device, "torch sees no CUDA device", strict)
            device = "cpu"
        if device == "cuda":
            device = f"cuda:{torch.cuda.current_device()}"  # CUDA_VISIBLE_DEVICES decides
        self.device = device
        self._torch = torch
        if device == "cpu":
            torch.set_num_threads(max(1, int(threads)))
        self.model = model.to(device).eval()

    def __call__(self, images: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).to(self.device)
            return self.model(x).float().cpu().numpy()

    def describe(self) -> str:
        return f"torch ({self.device})"


def _check_shapes(path: Path, card: ModelCard, input_shape, outputs) -> None:
    """The file's input and output must be what its card says (a swapped file is refused)."""
    declared = [d if isinstance(d, int) else None for d in input_shape]
    if any(d is not None and d != c for d, c in zip(declared, card.input_shape, strict=False)):
        raise RfclassifyError(
            f"{path}: the network takes {list(input_shape)} but its card says "
            f"{list(card.input_shape)}"
        )
    if isinstance(outputs, int) and outputs != len(card.classes):
        raise RfclassifyError(
            f"{path}: the network has {outputs} outputs but its card lists "
            f"{len(card.classes)} classes"
        )


def open_backend(
    path: str | Path,
    backend: str = "onnxruntime",
    device: str = "cpu",
    threads: int = 1,
    strict: bool = False,
):
    """An ``OnnxRuntimeBackend`` or ``TorchBackend`` for a resolved model file (``strict``:
    no CPU fallback when the CUDA asked for is absent)."""
    if backend == "onnxruntime":
        return OnnxRuntimeBackend(path, device, intra_threads=threads, strict=strict)
    if backend == "torch":
        return TorchBackend(path, device, threads=threads, strict=strict)
    raise RfclassifyError(f"backend {backend!r}: use onnxruntime or torch")
