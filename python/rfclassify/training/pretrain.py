"""MAE pretraining on unlabeled spectrograms (issue 9; the seeds' masked spectrogram modeling).

The usual MAE recipe: AdamW (betas 0.9 / 0.95, weight decay 0.05, none on norms, biases and
position/class/mask tokens), a per-step linear warm-up then cosine decay, the learning rate scaled
from a base of 1.5e-4 per 256 examples of *effective* batch, and gradient accumulation so that a
CPU reaches that batch in pieces. Labels are never read: any dataset folder will do, or SigMF
recordings (``unlabeled.py``).

A run folder gets ``config.json``, ``history.csv`` / ``history.json`` (loss per epoch),
``curves.png``, ``mae.safetensors`` (encoder + decoder, to continue from), ``encoder.safetensors``
(the encoder under the classifier's own names, for ``rfclassify train --init-from``) and
``reconstruction.png`` (originals, what the encoder saw, what the decoder rebuilt).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from ..datasets.dataset import SpectrogramDataset
from ..errors import RfclassifyError
from ..models import create_model
from ..models.mae import MaskedAutoencoder
from .data import FolderData
from .engine import EpochOptions, StepOutput, train_one_epoch
from .history import write_history
from .param_groups import param_groups

BASE_LR = 1.5e-4  # MAE's, per 256 examples of effective batch


@dataclass
class PretrainConfig:
    model: str = "vit_small_patch16"
    data: str = ""
    out: str = ""
    mask_ratio: float = 0.75
    epochs: int = 20
    batch_size: int = 64
    accumulate: int = 4  # batches per optimiser step: effective batch 256
    lr: float = 0.0  # 0: BASE_LR * effective batch / 256
    weight_decay: float = 0.05
    warmup_epochs: float = 2.0
    decoder_dim: int = 128
    decoder_depth: int = 2
    decoder_heads: int = 4
    norm_pix_loss: bool = True
    seed: int = 0
    device: str = "cpu"
    max_steps_per_epoch: int = 0  # 0: the whole folder every epoch
    model_overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def effective_batch(self) -> int:
        return self.batch_size * self.accumulate

    @property
    def resolved_lr(self) -> float:
        return self.lr or BASE_LR * self.effective_batch / 256


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine down to 0 at ``total``."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def build_mae(config: PretrainConfig, image_shape: tuple[int, ...]) -> MaskedAutoencoder:
    c, h, w = image_shape
    if h != w:
        raise RfclassifyError(f"MAE needs square images; the dataset's are {h}x{w}")
    # the registry builds every model with a head; pretraining never runs it and
    # encoder_state_dict leaves it out (the fine-tune makes its own for its classes)
    encoder = create_model(config.model, 4, img_size=h, in_chans=c, **config.model_overrides)
    if not hasattr(encoder, "blocks") or not hasattr(encoder, "cls_token"):
        raise RfclassifyError(f"{config.model} is not a ViT: MAE pretrains ViT encoders")
    return MaskedAutoencoder(
        encoder,
        config.mask_ratio,
        config.decoder_dim,
        config.decoder_depth,
        config.decoder_heads,
        config.norm_pix_loss,
    )


def pretrain(config: PretrainConfig, progress: bool = True, command: str = "") -> dict[str, Any]:
    """Run the MAE pretraining ``config`` describes; returns a summary (also saved)."""
    from safetensors.torch import save_file

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    data = unlabeled_source(config.data)
    model = build_mae(config, data.image_shape).to(config.device)
    (out / "config.json").write_text(json.dumps(asdict(config), indent=2) + "\n")
    if command:
        (out / "commands.txt").write_text(command + "\n")
    loader = DataLoader(
        data,
        batch_size=config.batch_size,
        shuffle=True,
        drop_last=len(data) >= config.batch_size,
        generator=torch.Generator().manual_seed(config.seed),
    )
    per_epoch = len(loader)
    if config.max_steps_per_epoch:
        per_epoch = min(per_epoch, config.max_steps_per_epoch * config.accumulate)
    steps = max(1, config.epochs * per_epoch // config.accumulate)
    warmup = round(config.warmup_epochs * per_epoch / config.accumulate)
    optimiser = torch.optim.AdamW(
        param_groups(model, config.weight_decay), lr=config.resolved_lr, betas=(0.9, 0.95)
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: lr_factor(step, steps, warmup)
    )
    mask_rng = torch.Generator().manual_seed(config.seed + 1)
    device = torch.device(config.device)

    def step(mae: torch.nn.Module, batch) -> StepOutput:
        images, _labels = batch
        loss, _, _ = mae(images.to(device), generator=mask_rng)
        return StepOutput(loss, len(images))

    options = EpochOptions(
        device,
        accumulate=config.accumulate,
        max_steps=per_epoch,
        step_scheduler=scheduler,
        progress=progress,
    )
    scaler = torch.amp.GradScaler(device.type, enabled=False)  # fp32: the MAE loss is small
    history: list[dict[str, float]] = []
    began = time.monotonic()
    for epoch in range(config.epochs):
        options.description = f"epoch {epoch + 1}/{config.epochs}"
        trained = train_one_epoch(model, loader, step, optimiser, scaler, options)
        history.append(
            {
                "epoch": epoch + 1,
                "loss": trained["loss"],
                "lr": optimiser.param_groups[0]["lr"],
                "seconds": time.monotonic() - began,
            }
        )
        write_history(out, history, f"MAE pretraining, {config.model}, mask {config.mask_ratio:g}")
    model.eval()
    save_file(_contiguous(model.state_dict()), str(out / "mae.safetensors"))
    save_file(_contiguous(model.encoder_state_dict()), str(out / "encoder.safetensors"))
    plot_reconstruction(model, data, _examples(data), out / "reconstruction.png", config.seed)
    summary = {
        "model": config.model,
        "mask_ratio": config.mask_ratio,
        "examples": len(data),
        "epochs": config.epochs,
        "effective_batch": config.effective_batch,
        "lr": config.resolved_lr,
        "final_loss": history[-1]["loss"] if history else None,
        "seconds": time.monotonic() - began,
        "encoder_parameters": sum(v.numel() for v in model.encoder_state_dict().values()),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    card = encoder_card(config, data, summary, command)
    (out / "encoder.json").write_text(json.dumps(card, indent=2) + "\n")
    return summary


def encoder_card(
    config: PretrainConfig, data, summary: dict[str, Any], command: str = ""
) -> dict[str, Any]:
    """What ``encoder.safetensors`` is: enough to fine-tune it with the right model and data.

    The architecture (registry name, overrides, image size, channels) must be repeated by
    ``train --model ... --model-args ...``, and the training data must come from the same
    frontend, or the fine-tune sees other pictures than the encoder learned from.
    """
    c, h, _ = data.image_shape
    if isinstance(data, _FolderImages):
        dataset = data.dataset
        frontend = dataset.meta["frontend"]
        source = {
            "kind": "dataset",
            "path": str(dataset.path),
            "seed": dataset.seed,
            "count": len(dataset),
            "generator_version": dataset.meta["generator_version"],
            "command": dataset.meta.get("command", ""),
        }
    else:
        frontend = data.config.to_dict()
        paths = [str(r.path) for r in data.recordings]
        source = {"kind": "sigmf", "recordings": paths, "windows": len(data)}
    return {
        "kind": "mae-encoder",
        "architecture": {
            "name": config.model,
            "img_size": h,
            "in_chans": c,
            "overrides": config.model_overrides,
        },
        "frontend": frontend,
        "pretraining": {
            "mask_ratio": config.mask_ratio,
            "epochs": config.epochs,
            "effective_batch": config.effective_batch,
            "lr": config.resolved_lr,
            "decoder": {"dim": config.decoder_dim, "depth": config.decoder_depth},
            "final_loss": summary["final_loss"],
            "seconds": round(summary["seconds"], 1),
        },
        "data": source,
        "parameters": summary["encoder_parameters"],
        "command": command,
    }


def _contiguous(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().contiguous().cpu() for k, v in state.items()}


class _FolderImages(FolderData):
    """A dataset folder seen as unlabeled images (with its labels kept for figure captions)."""

    def __init__(self, dataset: SpectrogramDataset):
        super().__init__(dataset)
        self.image_shape = dataset.image_shape
        self.classes = dataset.classes

    def images(self, indices: list[int]) -> np.ndarray:
        return self.dataset.images(indices)

    def describe(self, i: int) -> str:
        return self.classes[int(self.labels[i])]


def unlabeled_source(path: str | Path):
    """A dataset folder (its labels unread) or SigMF recordings (a file or a folder of them)."""
    from .unlabeled import RecordingImages

    if (Path(path) / "dataset.json").exists():
        return _FolderImages(SpectrogramDataset(path))
    return RecordingImages(path)


def _examples(data) -> list[int]:
    """One example per class of a labelled folder; else four windows spread over the data."""
    labels = np.asarray(data.labels)
    if (labels >= 0).all():
        return [int(np.flatnonzero(labels == label)[0]) for label in np.unique(labels)]
    count = min(4, len(data))
    return sorted({int(i) for i in np.linspace(0, len(data) - 1, count)})


@torch.no_grad()
def plot_reconstruction(
    model: MaskedAutoencoder,
    dataset,
    indices: list[int],
    path: Path,
    seed: int = 0,
) -> None:
    """Original / masked / reconstructed (visible patches pasted back) for each example of
    ``dataset`` (anything with ``images(indices)`` and ``describe(index)``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = torch.from_numpy(dataset.images(indices)).float()
    _, prediction, mask = model(images, generator=torch.Generator().manual_seed(seed))
    rebuilt = model.reconstruct(images, prediction)
    hidden = model.unpatchify(mask[:, :, None].expand(-1, -1, prediction.shape[-1]))
    masked = images.masked_fill(hidden.bool(), float("nan"))
    pasted = images * (1 - hidden) + rebuilt * hidden
    fig, axes = plt.subplots(len(indices), 3, figsize=(7.5, 2.4 * len(indices)), squeeze=False)
    for row, index in enumerate(indices):
        lo, hi = float(images[row, 0].min()), float(images[row, 0].max())
        for col, (title, picture) in enumerate(
            (("original", images), (f"masked {model.mask_ratio:.0%}", masked), ("rebuilt", pasted))
        ):
            ax = axes[row, col]
            ax.imshow(picture[row, 0].numpy(), aspect="auto", origin="lower", vmin=lo, vmax=hi)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(title)
            if col == 0:
                ax.set_ylabel(dataset.describe(index), fontsize=8)
    fig.suptitle("MAE on spectrograms: time across, frequency up", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
