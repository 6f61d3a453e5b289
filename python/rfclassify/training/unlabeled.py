"""Unlabeled spectrograms from SigMF recordings: what a station records, made pretraining data.

Every whole window of every recording (contiguous, at the recording's own rate) becomes one image
through the same frontend the block uses, computed when a batch asks for it (recordings are read
by memory map, nothing is stored twice). The default frontend is the shipped models' (20 ms,
128 x 128, one plane), so an encoder pretrained here fine-tunes on the datasets and serves the
block without a mismatch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..dsp import Frontend, FrontendConfig
from ..errors import RfclassifyError
from ..io.recording import open_recording


def recording_paths(path: str | Path) -> list[Path]:
    """The SigMF recordings at ``path``: one ``.sigmf-meta`` / ``.sigmf-data``, or a folder's."""
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("*.sigmf-meta"))
        if not found:
            raise RfclassifyError(f"{path} holds neither a dataset (dataset.json) nor recordings")
        return found
    if path.suffix in (".sigmf-meta", ".sigmf-data"):
        return [path.with_suffix(".sigmf-meta")]
    raise RfclassifyError(f"{path}: give a dataset folder, a folder of recordings or a .sigmf-meta")


class RecordingImages(Dataset):
    """``(image float32 (C, H, W), -1)`` for every whole window of the recordings."""

    def __init__(self, path: str | Path, config: FrontendConfig | None = None):
        self.config = config or FrontendConfig()
        self.frontend = Frontend(self.config)
        self.recordings = [open_recording(p) for p in recording_paths(path)]
        self.index: list[tuple[int, int, int]] = []  # (recording, first sample, window length)
        for i, rec in enumerate(self.recordings):
            try:
                length = self.config.window_length(rec.sample_rate)
                self.frontend.geometry(rec.sample_rate)
            except ValueError as exc:
                raise RfclassifyError(f"{rec.meta_path or rec.path}: {exc}") from None
            self.index += [(i, k * length, length) for k in range(rec.num_samples // length)]
        if not self.index:
            raise RfclassifyError(f"{path}: no recording holds a whole window")
        self.image_shape = self.config.image_shape
        self.labels = np.full(len(self.index), -1)  # unknown: pretraining reads none
        self.classes: list[str] = []

    def __len__(self) -> int:
        return len(self.index)

    def image(self, i: int) -> np.ndarray:
        rec_index, start, length = self.index[i]
        rec = self.recordings[rec_index]
        images, _ = self.frontend.compute_with_mask(rec.read(start, length), rec.sample_rate)
        return images[0]  # an invalid window (NaN samples) is all zeros: nothing to learn, no harm

    def images(self, indices: list[int] | np.ndarray) -> np.ndarray:
        return np.stack([self.image(int(i)) for i in indices])

    def describe(self, i: int) -> str:
        rec_index, start, _ = self.index[i]
        rec = self.recordings[rec_index]
        return f"{Path(rec.path).stem} @ {start / rec.sample_rate:.2f} s"

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return torch.from_numpy(self.image(i)), -1
