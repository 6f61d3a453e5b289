"""Evaluate a model (ONNX file or checkpoint) on a dataset folder, the same way for both forms."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets.dataset import SpectrogramDataset
from ..errors import RfclassifyError
from ..models.card import ModelCard
from . import metrics

SKIP_COLUMNS = {"index", "label", "class_index", "snr_db"}


class Predictor:
    """Class probabilities for a batch of images, from an ONNX file or a torch checkpoint.

    The streaming engine's backends, with every core: evaluation has the machine to itself.
    """

    def __init__(self, path: str | Path):
        from ..inference.backends import open_backend

        self.path = Path(path)
        kind = "onnxruntime" if self.path.suffix == ".onnx" else "torch"
        self._backend = open_backend(self.path, kind, threads=os.cpu_count() or 1)
        self.card: ModelCard = self._backend.card
        self.backend = kind

    def logits(self, images: np.ndarray) -> np.ndarray:
        return self._backend(images)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        from ..inference.engine import softmax

        return softmax(self.logits(images))


def check_compatible(card: ModelCard, dataset: SpectrogramDataset) -> None:
    """The dataset must be made by the model's frontend, with its classes, on another seed."""
    if card.classes != dataset.classes:
        raise RfclassifyError(
            f"the model's classes {card.classes} are not the dataset's {dataset.classes}"
        )
    if card.frontend and not card.serves(dataset.frontend):
        raise RfclassifyError(
            f"{dataset.path} was made with another frontend than the model was trained with; "
            "build the test set with the model card's frontend (--frontend MODEL.json)"
        )
    train = card.data.get("train", {})
    if (
        train.get("seed") == dataset.seed
        and train.get("generator_version") == dataset.meta["generator_version"]
    ):
        raise RfclassifyError(
            f"{dataset.path} has the training data's seed ({dataset.seed}): not held out"
        )


WINDOW_BANDS_MS = (12.5, 17.5, 25.0, 35.0)  # bands around 10, 15, 20, 30 and 40 ms


def window_bands(window_ms: np.ndarray) -> np.ndarray:
    """A dataset's window lengths as a slicing column: the lengths themselves when there are
    few (one for a fixed frontend), else bands around 10, 15, 20, 30 and 40 ms."""
    values = np.unique(window_ms[np.isfinite(window_ms)])
    if len(values) <= 8:
        return window_ms
    edges = (0.0, *WINDOW_BANDS_MS, np.inf)
    names = [f"{lo:g}-{hi:g} ms" for lo, hi in itertools.pairwise(edges)]
    names[0], names[-1] = f"< {edges[1]:g} ms", f">= {edges[-2]:g} ms"
    band = np.digitize(window_ms, edges[1:-1])
    known = np.isfinite(window_ms)
    return np.array([names[b] if ok else "" for b, ok in zip(band, known, strict=True)], object)


def evaluate(
    predictor: Predictor,
    dataset: SpectrogramDataset,
    batch: int = 64,
    progress: bool = True,
    slices: list[str] | None = None,
) -> dict[str, Any]:
    """Every metric the eval command reports, plus the raw predictions."""
    from tqdm import tqdm

    check_compatible(predictor.card, dataset)
    n = len(dataset)
    probs = np.empty((n, len(dataset.classes)), np.float32)
    with tqdm(total=n, unit="ex", desc="evaluating", disable=not progress) as bar:
        for start in range(0, n, batch):
            stop = min(n, start + batch)
            probs[start:stop] = predictor.probabilities(dataset.images(range(start, stop)))
            bar.update(stop - start)
    preds = probs.argmax(1)
    labels = dataset.labels
    table = dataset.table
    if "window_ms" in table:
        table["window_ms"] = window_bands(table["window_ms"])
    names = dataset.classes
    snr = table["snr_db"]
    positive = np.isfinite(snr) & (snr >= 0)
    # Noise has no SNR: it counts in every SNR-restricted figure
    at_or_above_0 = positive | ~np.isfinite(snr)
    at_or_above_10 = (np.isfinite(snr) & (snr >= 10)) | ~np.isfinite(snr)
    result = {
        "model": str(predictor.path),
        "backend": predictor.backend,
        "data": str(dataset.path),
        "data_seed": dataset.seed,
        **metrics.summary(labels, preds, names),
        "snr_ge_0": metrics.summary(labels[at_or_above_0], preds[at_or_above_0], names),
        "snr_ge_10": metrics.summary(labels[at_or_above_10], preds[at_or_above_10], names),
        "false_carrier_rate_snr_ge_0": metrics.false_carrier_rate(
            labels[at_or_above_0], preds[at_or_above_0], names
        ),
        "by_snr": metrics.by_snr(labels, preds, snr, names),
        "slices": {},
    }
    for col in slices or [c for c in table if c not in SKIP_COLUMNS]:
        if col not in table:
            raise RfclassifyError(f"no column {col!r} in the dataset table; see examples.csv")
        cut = metrics.sliced(labels, preds, table[col])
        if cut:
            result["slices"][col] = cut
    result["predictions"] = preds.tolist()
    return result
