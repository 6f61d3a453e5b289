"""Where training batches come from: a built dataset folder, or the generator on the fly.

A built folder is read by memory map (``SpectrogramDataset``); on-the-fly examples are rendered
by DataLoader worker processes from the same recipe and frontend, each worker its own
deterministic stream, so a GPU run is fed without storing anything.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from ..datasets.dataset import SpectrogramDataset
from ..dsp import Frontend, FrontendConfig


class FolderData(Dataset):
    """``(image float32 (C, H, W), label)`` pairs of a dataset folder, optionally a subset."""

    def __init__(self, dataset: SpectrogramDataset, indices: np.ndarray | None = None):
        self.dataset = dataset
        self.indices = np.arange(len(dataset)) if indices is None else np.asarray(indices)
        self.labels = dataset.labels[self.indices]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        index = int(self.indices[i])
        return torch.from_numpy(self.dataset.image(index)), int(self.dataset.labels[index])


def split_indices(count: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices: a fixed random ``fraction`` of ``count`` for validation."""
    order = np.random.default_rng(seed).permutation(count)
    n_val = round(count * fraction)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def label_subset(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted positions of a stratified random ``fraction`` of ``labels``: ``round(n_c x
    fraction)`` of every class ``c`` (at least one each), so a 1 % subset of a balanced set
    stays balanced and the same ``seed`` always picks the same examples."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"a label fraction must be in (0, 1], got {fraction}")
    labels = np.asarray(labels)
    if fraction == 1.0:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        keep = max(1, round(len(members) * fraction))
        chosen.append(rng.choice(members, keep, replace=False))
    return np.sort(np.concatenate(chosen))


class GeneratedData(IterableDataset):
    """Examples from the generator, ``per_epoch`` per epoch: epoch e covers example indices
    ``e * per_epoch ...`` of the stream, dealt round-robin over ranks and DataLoader workers, so
    no two lanes repeat each other or an earlier epoch."""

    def __init__(
        self,
        recipe: dict,
        frontend: FrontendConfig,
        seed: int,
        per_epoch: int,
        epoch: int = 0,
        rank: int = 0,
        world: int = 1,
    ):
        self.recipe, self.frontend_config, self.seed = recipe, frontend, seed
        self.per_epoch, self.epoch = per_epoch, epoch
        self.rank, self.world = rank, world

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return -(-self.per_epoch // self.world)

    def __iter__(self):
        from ..datasets.builder import make_example

        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        frontend = Frontend(self.frontend_config)
        start = self.epoch * self.per_epoch
        lane, lanes = self.rank * workers + worker, self.world * workers
        for index in range(start + lane, start + self.per_epoch, lanes):
            image, row, _ = make_example(
                index, self.seed, self.recipe, frontend, np.dtype(np.float32)
            )
            yield torch.from_numpy(image), int(row["class_index"])
