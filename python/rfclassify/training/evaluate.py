"""Evaluate a model (ONNX file or checkpoint) on a dataset folder, the same way for both forms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RfclassifyError
from ..models.card import ModelCard
from . import metrics
from .dataset import SpectrogramDataset

SKIP_COLUMNS = {"index", "label", "class_index", "snr_db"}


class Predictor:
    """Class probabilities for a batch of images, from an ONNX file or a torch checkpoint."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.suffix == ".onnx":
            self._load_onnx()
        else:
            self._load_torch()

    def _load_onnx(self) -> None:
        from ..models.onnx_export import ort_session, read_metadata

        try:
            meta = read_metadata(self.path)
        except Exception as exc:
            raise RfclassifyError(f"{self.path}: not a readable ONNX file ({exc})") from None
        if "rfclassify_card" not in meta:
            raise RfclassifyError(f"{self.path} carries no model card (export it with rfclassify)")
        self.card = ModelCard.from_dict(json.loads(meta["rfclassify_card"]))
        self.session = ort_session(self.path)
        self.input_name = self.session.get_inputs()[0].name
        self.backend = "onnxruntime"

    def _load_torch(self) -> None:
        from ..models.card import load_checkpoint

        self.model, self.card = load_checkpoint(self.path)
        self.backend = "torch"

    def logits(self, images: np.ndarray) -> np.ndarray:
        images = np.ascontiguousarray(images, dtype=np.float32)
        if self.backend == "onnxruntime":
            return self.session.run(None, {self.input_name: images})[0].astype(np.float32)
        import torch

        with torch.no_grad():
            return self.model(torch.from_numpy(images)).float().numpy()

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        z = self.logits(images)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def check_compatible(card: ModelCard, dataset: SpectrogramDataset) -> None:
    """The dataset must be made by the model's frontend, with its classes, on another seed."""
    if card.classes != dataset.classes:
        raise RfclassifyError(
            f"the model's classes {card.classes} are not the dataset's {dataset.classes}"
        )
    if card.frontend and card.frontend != dataset.meta["frontend"]:
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
