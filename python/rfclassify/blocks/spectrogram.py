"""The model's eye view: the exact images a model is fed, as a stream a QT raster can show.

The frontend comes from the model's own card (DESIGN.md rule 1), read without opening an
inference session, so what this block shows is what the classifier block classifies: the same
window length, FFT, pooling, normalisation and image size.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from gnuradio import gr

from ..dsp import Frontend, FrontendConfig
from ..errors import RfclassifyError
from ..inference.backends import read_card as read_model_card
from ..inference.engine import with_window
from ..inference.resolve import DEFAULT_MODEL, resolve_model
from ..models.card import ModelCard

_WARN_EVERY_S = 1.0  # at most one warning a second about windows with NaN/Inf samples
_MAX_WINDOWS = 8  # windows per work() call: bounds the scratch memory at high rates


def read_card(spec: str) -> ModelCard:
    """The card of a shipped model name or model file, without loading any weights."""
    backend = "torch" if Path(spec).suffix == ".safetensors" else "onnxruntime"
    return read_model_card(resolve_model(spec, backend))


def model_frontend(spec: str, window_ms: float | None = None) -> tuple[FrontendConfig, str]:
    """(frontend config, model name): the card's frontend, with another window length if asked
    (through the classifier's own rule, so both blocks cut the same windows)."""
    card = read_card(spec)
    name = card.name or Path(spec).stem
    return with_window(card.frontend_config(), window_ms, name), name


class spectrogram(gr.basic_block):  # lower case: the GNU Radio convention for block classes
    """complex64 in, the model's input images out: one image row per output item.

    Every contiguous window of the model's length (no overlap, no gap) becomes ``height``
    items of ``width`` floats: row 0 is the most negative frequency, columns run in time,
    exactly as ``dsp.Frontend`` makes them for the model (channel 0 when the model takes 3).
    A QT Time Raster (or Vector) Sink with ``width`` columns then shows what the model sees.

    A window holding NaN/Inf samples comes out as zeros, as ``Frontend.compute_with_mask``
    gives it (NaN rows would break the QT sinks), counted in ``invalid_windows`` and warned
    about. A trailing partial window is never emitted.

    Args:
        model: a shipped model name (``vim-lte-nr``) or a ``.onnx`` / ``.safetensors`` path.
        sample_rate: the input's rate (S/s); refused if the model cannot serve it.
        window_ms: window length; 0 keeps the card's (the one the model was trained on).
        vlen: the output vector length; must be the card's image width.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        sample_rate: float = 30.72e6,
        window_ms: float = 0.0,
        vlen: int = 128,
    ):
        config, self.model_name = model_frontend(model, window_ms or None)
        self.sample_rate = float(sample_rate)
        self.frontend = Frontend(config)
        try:
            self.window_length = config.window_length(self.sample_rate)
            self.frontend.geometry(self.sample_rate)  # the STFT plan must exist for this rate
        except ValueError as exc:
            raise RfclassifyError(f"model {self.model_name}: {exc}") from None
        self.height, self.width = config.height, config.width
        if int(vlen) != self.width:
            raise RfclassifyError(
                f"vlen={vlen}: model {self.model_name} makes images {self.width} columns wide; "
                f"set vlen to {self.width}"
            )
        gr.basic_block.__init__(
            self, "rfclassify_spectrogram", [np.complex64], [(np.float32, self.width)]
        )
        self.set_output_multiple(self.height)
        # Tells the scheduler one window of input makes one image, so the upstream buffer is
        # sized to hold whole windows.
        self.set_relative_rate(self.height, self.window_length)
        self.invalid_windows = 0
        self._warned_at = -np.inf

    def forecast(self, noutput_items: int, ninputs: int) -> list[int]:
        return [max(1, noutput_items // self.height) * self.window_length] * ninputs

    def general_work(self, input_items, output_items) -> int:
        inp, out = input_items[0], output_items[0]
        n = min(len(inp) // self.window_length, len(out) // self.height, _MAX_WINDOWS)
        if n == 0:
            return 0
        windows = inp[: n * self.window_length].reshape(n, self.window_length)
        images, valid = self.frontend.compute_with_mask(windows, self.sample_rate)
        out[: n * self.height] = images[:, 0].reshape(n * self.height, self.width)
        if not valid.all():
            self._count_invalid(int(n - valid.sum()))
        self.consume(0, n * self.window_length)
        return n * self.height

    def _count_invalid(self, count: int) -> None:
        self.invalid_windows += count
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            self.logger.warn(
                f"windows with NaN/Inf samples shown as zeros ({self.invalid_windows} so far)"
            )
