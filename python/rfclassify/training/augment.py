"""Augmentations that mean something for a spectrogram, applied on the batch (CPU or GPU).

The seeds' TrivialAugmentWide and RandomCrop(128) are image-domain: rotations, colour and shear
do not happen to a spectrogram, and a crop would change the time span and the band the model
sees. What does happen on air, and what each transform stands for:

- **time shift** (``time_shift``, fraction of the width): the window starts anywhere in the
  transmission; a circular roll keeps every column (the frame structure is periodic in time).
- **frequency shift** (``freq_shift``, fraction of the height): the carrier sits anywhere in the
  capture; rows move and the vacated ones take the image's median (its noise floor), so a
  carrier pushed off one edge does not reappear on the other.
- **SpecAugment masks** (``time_masks`` / ``freq_masks`` of up to ``mask_fraction``): a burst
  of interference, a notch, a missing stretch; the model must not hang on one feature.
- **time reversal** (``time_flip``, probability): a horizontal flip; LTE/NR frames are not
  symmetric in time, so it is off by default and only to be kept if it measurably helps.

Gain needs no augmentation: the frontend standardises every window (gain-invariant by
construction). SNR variety comes from the generator (every example has its own SNR).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import torch

from ..errors import RfclassifyError


@dataclass(frozen=True)
class AugmentConfig:
    time_shift: float = 0.5
    freq_shift: float = 0.1
    time_masks: int = 1
    freq_masks: int = 1
    mask_fraction: float = 0.1
    time_flip: float = 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AugmentConfig:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RfclassifyError(f"unknown augment settings {unknown}; known: {sorted(known)}")
        return cls(**data)

    @classmethod
    def off(cls) -> AugmentConfig:
        return cls(0.0, 0.0, 0, 0, 0.0, 0.0)


def _masks(x: torch.Tensor, count: int, fraction: float, dim: int, g: torch.Generator) -> None:
    size = x.shape[dim]
    widest = int(size * fraction)
    if count == 0 or widest < 1:
        return
    b = x.shape[0]
    positions = torch.arange(size, device=x.device)
    for _ in range(count):
        width = torch.randint(0, widest + 1, (b, 1), generator=g).to(x.device)
        start = (torch.rand((b, 1), generator=g).to(x.device) * (size - width + 1)).long()
        hit = (positions >= start) & (positions < start + width)  # (b, size)
        shape = [b, 1, 1, 1]
        shape[dim] = size
        x.masked_fill_(hit.view(shape), 0.0)  # 0 = the mean of a standardised image


def augment_batch(
    x: torch.Tensor, config: AugmentConfig, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A new, augmented ``(B, C, H, W)`` batch; random draws from ``generator`` (CPU)."""
    g = generator or torch.Generator().manual_seed(torch.seed() % 2**63)
    x = x.clone()
    b, _, h, w = x.shape
    if config.time_shift > 0:
        most = int(w * config.time_shift)
        shifts = torch.randint(-most, most + 1, (b,), generator=g)
        cols = (torch.arange(w)[None, :] - shifts[:, None]) % w  # (b, w)
        x = torch.gather(x, 3, cols.to(x.device)[:, None, None, :].expand(-1, x.shape[1], h, -1))
    if config.freq_shift > 0:
        most = int(h * config.freq_shift)
        shifts = torch.randint(-most, most + 1, (b,), generator=g).to(x.device)
        rows = torch.arange(h, device=x.device)[None, :] - shifts[:, None]  # source row
        inside = (rows >= 0) & (rows < h)
        moved = torch.gather(
            x, 2, rows.clamp(0, h - 1)[:, None, :, None].expand(-1, x.shape[1], -1, w)
        )
        floor = x.flatten(1).median(dim=1).values.view(b, 1, 1, 1)
        x = torch.where(inside[:, None, :, None], moved, floor)
    _masks(x, config.time_masks, config.mask_fraction, 3, g)
    _masks(x, config.freq_masks, config.mask_fraction, 2, g)
    if config.time_flip > 0:
        flip = (torch.rand(b, generator=g) < config.time_flip).to(x.device)
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
    return x
