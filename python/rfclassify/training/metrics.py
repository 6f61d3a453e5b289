"""Classification metrics from labels and predictions, sliced by any column of a dataset table."""

from __future__ import annotations

from typing import Any

import numpy as np

SNR_EDGES = np.arange(-12.5, 35, 5.0)  # 5 dB bins centred on -10, -5, ..., 30
CARRIERS = ("LTE", "NR")


def confusion_matrix(labels: np.ndarray, preds: np.ndarray, classes: int) -> np.ndarray:
    """``[true, predicted]`` counts."""
    m = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(m, (labels, preds), 1)
    return m


def per_class(matrix: np.ndarray, names: list[str]) -> dict[str, dict[str, float]]:
    out = {}
    for i, name in enumerate(names):
        tp = matrix[i, i]
        predicted, actual = matrix[:, i].sum(), matrix[i].sum()
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[name] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": int(actual),
        }
    return out


def summary(labels: np.ndarray, preds: np.ndarray, names: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 (over the classes present), per-class scores, confusion matrix."""
    matrix = confusion_matrix(labels, preds, len(names))
    classes = per_class(matrix, names)
    present = [c for c in classes.values() if c["support"]]
    return {
        "count": int(labels.size),
        "accuracy": float(np.mean(labels == preds)) if labels.size else float("nan"),
        "macro_f1": float(np.mean([c["f1"] for c in present])) if present else float("nan"),
        "per_class": classes,
        "confusion": matrix.tolist(),
    }


def false_carrier_rate(labels: np.ndarray, preds: np.ndarray, names: list[str]) -> float:
    """How often Noise/Other is called LTE or NR: the error that puts phantom cells on a map."""
    carriers = [names.index(c) for c in CARRIERS if c in names]
    others = [i for i, n in enumerate(names) if n not in CARRIERS]
    mask = np.isin(labels, others)
    if not mask.any():
        return float("nan")
    return float(np.mean(np.isin(preds[mask], carriers)))


def by_snr(
    labels: np.ndarray, preds: np.ndarray, snr: np.ndarray, names: list[str]
) -> dict[str, Any]:
    """Accuracy per 5 dB SNR bin, overall and per class (examples without an SNR skipped)."""
    centres = (SNR_EDGES[:-1] + SNR_EDGES[1:]) / 2
    which = np.digitize(snr, SNR_EDGES) - 1
    rows = []
    for b, centre in enumerate(centres):
        inside = (which == b) & np.isfinite(snr)
        row: dict[str, Any] = {"snr_db": float(centre), "count": int(inside.sum())}
        row["accuracy"] = float(np.mean(labels[inside] == preds[inside])) if inside.any() else None
        for i, name in enumerate(names):
            mine = inside & (labels == i)
            row[name] = float(np.mean(preds[mine] == i)) if mine.any() else None
        rows.append(row)
    return {"bins": rows}


def sliced(
    labels: np.ndarray, preds: np.ndarray, column: np.ndarray, max_values: int = 24
) -> dict[str, dict[str, float]]:
    """Accuracy for each value of a table column (numbers and strings; empty cells skipped)."""
    out: dict[str, dict[str, float]] = {}
    if column.dtype.kind == "f":
        keep = np.isfinite(column)
        values = np.unique(column[keep])
        keys = [f"{v:g}" for v in values]
    else:
        keep = column != ""
        values = np.unique(column[keep])
        keys = [str(v) for v in values]
    if len(values) > max_values:
        return {}  # a continuous parameter: slice it with bins instead
    for key, value in zip(keys, values, strict=True):
        mask = keep & (column == value)
        accuracy = float(np.mean(labels[mask] == preds[mask]))
        out[key] = {"accuracy": accuracy, "count": int(mask.sum())}
    return out
