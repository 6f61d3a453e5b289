"""Windows of IQ in, class probabilities out: the model's own frontend, then its backend.

The frontend comes from the model card (DESIGN.md rule 1), so a model is never fed a
spectrogram it was not trained on; a sample rate or window the card cannot serve is refused here,
once, with the rates it can serve.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..dsp import Frontend, FrontendConfig, SpectrogramInProgress
from ..errors import RfclassifyError
from .backends import open_backend
from .resolve import DEFAULT_MODEL, resolve_model
from .screening import screen

log = logging.getLogger(__name__)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def with_window(config: FrontendConfig, window_ms: float | None, name: str) -> FrontendConfig:
    """``config`` with another window duration (None or 0: unchanged), or a clear refusal."""
    if not window_ms or window_ms == config.window_ms:
        return config
    if config.window_samples is not None:
        raise RfclassifyError(
            f"model {name} takes fixed windows of {config.window_samples} samples; "
            "a window duration cannot be chosen"
        )
    try:
        return config.replace(window_ms=float(window_ms))
    except ValueError as exc:
        raise RfclassifyError(f"model {name}: {exc}") from None


class Classifier:
    """A loaded model with its frontend: ``classify(windows, rate)`` -> probabilities."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        backend: str = "onnxruntime",
        device: str = "cpu",
        threads: int = 1,
        window_ms: float | None = None,
        strict_device: bool = False,
        logger=None,
    ):
        self.path: Path = resolve_model(model, backend)
        self.backend = open_backend(self.path, backend, device, threads, strict_device)
        if self.backend.fallback:  # CUDA asked for, absent: say so where the user looks
            (logger or log).warning(self.backend.fallback)
        self.card = self.backend.card
        self.classes: list[str] = list(self.card.classes)
        self.name = self.card.name or self.path.stem
        self.frontend_config = self.card.frontend_config()
        self.frontend_config = with_window(self.frontend_config, window_ms, self.name)
        self.frontend = Frontend(self.frontend_config)

    def set_window(self, window_ms: float) -> None:
        """Serve windows of ``window_ms`` from now on (before a stream is made from this
        classifier: a running stream keeps the length it started with)."""
        self.frontend.close()
        self.frontend_config = with_window(self.frontend_config, window_ms, self.name)
        self.frontend = Frontend(self.frontend_config)

    def window_length(self, sample_rate: float) -> int:
        """Samples per window at ``sample_rate``; a rate (or window) the model cannot serve is
        refused, with what it can serve."""
        try:
            length = self.frontend_config.window_length(sample_rate)
            self.frontend.geometry(sample_rate)  # the STFT plan must exist for this pair too
        except ValueError as exc:
            raise RfclassifyError(f"model {self.name}: {exc}") from None
        return length

    def classify(
        self, windows: np.ndarray | list[np.ndarray], sample_rate: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(probabilities (N, classes), valid (N,))`` for ``(N, L)`` complex windows (or a
        list of ``(L,)`` ones).

        A window with NaN/Inf samples, or of exact zeros (``screening``), is not classified: its
        row is NaN and ``valid`` False.
        """
        images, valid = self.images(windows, sample_rate)
        valid &= np.array([not screen(w)[0] for w in windows], dtype=bool)
        return self.probabilities(images, valid), valid

    def images(
        self,
        windows: np.ndarray | list[np.ndarray],
        sample_rate: float,
        started: list[SpectrogramInProgress | None] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The first half of ``classify``: the model's spectrograms and the validity mask
        (``started``: per window, one begun with ``begin_spectrogram`` while it arrived)."""
        return self.frontend.compute_with_mask(windows, sample_rate, started)

    def begin_spectrogram(self, sample_rate: float) -> SpectrogramInProgress | None:
        """A window's spectrogram to compute while its samples still arrive (None where that
        does not apply)."""
        return self.frontend.begin(sample_rate)

    def probabilities(self, images: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """The second half: class probabilities, NaN rows where ``valid`` is False."""
        probs = np.full((len(valid), len(self.classes)), np.nan, dtype=np.float32)
        if valid.all():
            probs[:] = softmax(self.backend(images))
        elif valid.any():
            probs[valid] = softmax(self.backend(images[valid]))
        return probs

    def describe(self) -> str:
        return f"{self.name} on {self.backend.describe()}"
