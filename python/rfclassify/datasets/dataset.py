"""Reading a built dataset: images by memory map, labels, the parameter table, the recipe.

Nothing is loaded eagerly: a dataset of a million images opens instantly and an index reads one
image from disk. Training wraps this in a torch ``Dataset`` of its own (no torch import here).
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..dsp import FrontendConfig
from ..errors import RfclassifyError
from .builder import FORMAT, FORMAT_VERSION
from .table import read_table


class DatasetError(RfclassifyError):
    """A folder that is not a complete, readable dataset; the message says what is wrong."""


class SpectrogramDataset:
    """A dataset folder written by ``build_dataset`` (``rfclassify dataset build``)."""

    def __init__(self, path: str | Path, allow_incomplete: bool = False):
        self.path = Path(path)
        meta_path = self.path / "dataset.json"
        try:
            self.meta: dict[str, Any] = json.loads(meta_path.read_text())
        except FileNotFoundError:
            raise DatasetError(f"{self.path} is not a dataset (no dataset.json)") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise DatasetError(f"cannot read {meta_path}: {exc}") from None
        if self.meta.get("format") != FORMAT:
            raise DatasetError(f"{meta_path} is not an {FORMAT} description")
        if self.meta.get("format_version") != FORMAT_VERSION:
            raise DatasetError(
                f"{self.path}: dataset format {self.meta.get('format_version')}, "
                f"this version reads {FORMAT_VERSION}"
            )
        if not self.meta.get("complete") and not allow_incomplete:
            raise DatasetError(
                f"{self.path} is incomplete (its build was interrupted); build it again"
            )
        self._shards: list[np.ndarray] = []
        for shard in self.meta["shards"]:
            file = self.path / shard["file"]
            try:
                images = np.load(file, mmap_mode="r")
            except (OSError, ValueError) as exc:
                raise DatasetError(f"cannot read {file}: {exc}") from None
            expected = (shard["count"], *self.meta["image_shape"])
            if images.shape != expected:
                raise DatasetError(f"{file} holds {images.shape}, expected {expected}")
            self._shards.append(images)
        self._shard_size = self.meta["shards"][0]["count"] if self.meta["shards"] else 1

    # -- what it is ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.meta["count"])

    @property
    def classes(self) -> list[str]:
        return list(self.meta["classes"])

    @property
    def seed(self) -> int:
        return int(self.meta["seed"])

    @property
    def recipe(self) -> dict[str, Any]:
        return self.meta["recipe"]

    @property
    def frontend(self) -> FrontendConfig:
        return FrontendConfig.from_dict(self.meta["frontend"])

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.meta["image_shape"])

    # -- contents -----------------------------------------------------------------------------

    @cached_property
    def labels(self) -> np.ndarray:
        return np.load(self.path / "labels.npy").astype(np.int64)

    @cached_property
    def table(self) -> dict[str, np.ndarray]:
        """The parameter table, one array per column (see ``table.COLUMNS``)."""
        return read_table(self.path / "examples.csv")

    def image(self, index: int) -> np.ndarray:
        """Image ``index`` as float32 ``(C, H, W)``."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} examples")
        index %= len(self)
        shard = self._shards[index // self._shard_size]
        return np.asarray(shard[index % self._shard_size], dtype=np.float32)

    def images(self, indices: np.ndarray | list[int]) -> np.ndarray:
        """A batch ``(len(indices), C, H, W)`` float32."""
        return np.stack([self.image(int(i)) for i in indices])

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        return self.image(index), int(self.labels[index])

    def params(self, index: int) -> dict[str, Any]:
        """Every generation parameter of example ``index`` (reads ``params.jsonl``)."""
        with open(self.path / "params.jsonl") as f:
            for i, line in enumerate(f):
                if i == index:
                    return json.loads(line)
        raise IndexError(f"index {index} out of range for {len(self)} examples")

    def summary(self) -> dict[str, Any]:
        """Counts per class and the ranges of the main parameters, for ``dataset info``."""
        table = self.table
        counts = {c: int(np.sum(self.labels == i)) for i, c in enumerate(self.classes)}
        snr = table["snr_db"][np.isfinite(table["snr_db"])]
        rates = sorted({float(r) for r in table["capture_rate"]})
        kinds = {str(k): int(np.sum(table["kind"] == k)) for k in sorted(set(table["kind"]))}
        channels = {
            str(c): int(np.sum(table["channel"] == c)) for c in sorted(set(table["channel"]))
        }
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        build = self.path / "build.json"
        return {
            "path": str(self.path),
            "count": len(self),
            "seed": self.seed,
            "split": self.meta.get("split", ""),
            "complete": bool(self.meta.get("complete")),
            "generator_version": self.meta["generator_version"],
            "rfclassify_version": self.meta["rfclassify_version"],
            "image_shape": list(self.image_shape),
            "dtype": self.meta["dtype"],
            "bytes": size,
            "classes": counts,
            "kinds": kinds,
            "snr_db": [float(snr.min()), float(snr.max())] if snr.size else None,
            "capture_rates": rates,
            "channels": channels,
            "pairs": int(np.sum(table["pair_kind"] != "")),
            "partial_views": int(np.sum(table["visible_fraction"] < 0.999)),
            "build": json.loads(build.read_text()) if build.exists() else None,
        }


def check_held_out(train: SpectrogramDataset, test: SpectrogramDataset) -> None:
    """Refuse to evaluate on data drawn from the training stream (same seed and generator)."""
    same_stream = (
        train.seed == test.seed
        and train.meta["generator_version"] == test.meta["generator_version"]
    )
    if same_stream:
        raise DatasetError(
            f"{test.path} was generated with the same seed ({test.seed}) as the training data "
            f"{train.path}: its examples repeat the training examples. Build held-out data "
            "with another seed (convention: train 1, validation 2, test 3)"
        )
