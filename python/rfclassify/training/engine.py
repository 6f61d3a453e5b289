"""One epoch of training and one pass of evaluation, shared by ``train`` and ``pretrain``.

The split follows MAE's ``engine_pretrain`` / ``engine_finetune``: the run (``trainer.py``,
``pretrain.py``) owns data, model, optimiser, schedules, checkpoints and files; this module
owns what happens to a batch. A task is a ``step(model, batch) -> StepOutput`` function, so a
classifier (cross-entropy on augmented spectrograms) and a masked autoencoder (reconstruction
loss on its own masks) go through the same loop: mixed precision, gradient accumulation,
clipping, per-step schedules, a step cap and the progress bar are written once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn


@dataclass
class StepOutput:
    """What one batch gave: the loss to minimise, the batch size and, for a classifier, how
    many predictions were right (None for a task without labels)."""

    loss: torch.Tensor
    count: int
    correct: int | None = None


Step = Callable[[nn.Module, Any], StepOutput]


@dataclass
class EpochOptions:
    """How the optimiser is driven within an epoch (identical for every epoch of a run)."""

    device: torch.device
    amp: bool = False  # fp16 autocast + the run's GradScaler (CUDA)
    grad_clip: float = 0.0  # max gradient norm; 0: none
    accumulate: int = 1  # batches per optimiser step
    max_steps: int = 0  # batches per epoch at most; 0: the whole loader
    step_scheduler: Any = None  # stepped after every optimiser step (MAE's per-step schedule)
    progress: bool = True
    description: str = ""
    # A cut mid-epoch loses little: every ``checkpoint_s`` seconds (None: never) after an
    # optimiser step, ``on_checkpoint(steps_done, totals)`` may save the run; a resumed epoch
    # skips its first ``start_step`` batches and starts from the ``carried`` totals.
    checkpoint_s: float | None = None
    on_checkpoint: Callable[[int, dict[str, float]], None] | None = None
    start_step: int = 0
    carried: dict[str, float] | None = None


def train_one_epoch(
    model: nn.Module,
    loader: Iterable,
    step: Step,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    options: EpochOptions,
    clip_parameters: Iterable[nn.Parameter] | None = None,
) -> dict[str, float]:
    """Train ``model`` on one pass of ``loader``; returns ``loss`` (mean per example),
    ``examples``, ``seconds`` and, for a classifier, ``acc``.

    ``clip_parameters``: the parameters whose gradient norm is clipped (the unwrapped model's
    under DDP; default: ``model``'s).
    """
    from tqdm import tqdm

    model.train()
    total = len(loader) if hasattr(loader, "__len__") else None
    steps = total if total is not None else options.max_steps
    if options.max_steps and total is not None:
        steps = min(total, options.max_steps)
    bar = tqdm(
        total=steps or None, desc=options.description, unit="batch",
        disable=not options.progress, dynamic_ncols=True,
    )  # fmt: skip
    clip = list(clip_parameters if clip_parameters is not None else model.parameters())
    carried = options.carried or {}
    began = time.perf_counter() - carried.get("seconds", 0.0)
    seen, correct = int(carried.get("seen", 0)), int(carried.get("correct", 0))
    loss_sum = float(carried.get("loss_sum", 0.0))
    labelled = bool(carried.get("labelled", True))
    bar.update(options.start_step)
    saved = time.monotonic()
    optimizer.zero_grad(set_to_none=True)
    for index, batch in enumerate(loader):
        if steps and index >= steps:
            break
        if index < options.start_step:  # done before the cut: the same batches, skipped
            continue
        with torch.autocast(options.device.type, dtype=torch.float16, enabled=options.amp):
            out = step(model, batch)
        scaler.scale(out.loss / options.accumulate).backward()
        seen += out.count
        loss_sum += float(out.loss.detach()) * out.count
        if out.correct is None:
            labelled = False
        else:
            correct += out.correct
        last = bool(steps) and index + 1 == steps
        if (index + 1) % options.accumulate == 0 or last:
            if options.grad_clip > 0:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(clip, options.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            if options.step_scheduler is not None:
                options.step_scheduler.step()
            due = options.checkpoint_s is not None and options.on_checkpoint is not None
            if due and not last and time.monotonic() - saved >= options.checkpoint_s:
                totals = {"seen": seen, "loss_sum": loss_sum, "correct": correct,
                          "labelled": labelled, "seconds": time.perf_counter() - began}  # fmt: skip
                options.on_checkpoint(index + 1, totals)
                saved = time.monotonic()
        shown = {"loss": f"{loss_sum / seen:.3f}"}
        if labelled:
            shown["acc"] = f"{correct / seen:.3f}"
        bar.update(1)
        bar.set_postfix(shown)
    bar.close()
    result = {
        "loss": loss_sum / max(seen, 1),
        "examples": seen,
        "seconds": time.perf_counter() - began,
    }
    if labelled:
        result["acc"] = correct / max(seen, 1)
    return result


def classification_step(
    loss_fn: nn.Module, device: torch.device, prepare: Callable[[torch.Tensor], torch.Tensor]
) -> Step:
    """Cross-entropy on ``prepare(images)`` (the augmentations) against the labels."""

    def step(model: nn.Module, batch) -> StepOutput:
        x, y = batch
        x = prepare(x).to(device, non_blocking=True)
        y = y.to(device, non_blocking=True)
        logits = model(x)
        loss = loss_fn(logits.float(), y)
        return StepOutput(loss, y.numel(), int((logits.argmax(1) == y).sum()))

    return step


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: Iterable, device: torch.device, world: int = 1
) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of a classifier over ``loader``, summed over every
    process of a distributed run."""
    model.eval()
    totals = torch.zeros(3, dtype=torch.float64, device=device)  # loss sum, correct, count
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x).float()
        totals[0] += nn.functional.cross_entropy(logits, y, reduction="sum")
        totals[1] += (logits.argmax(1) == y).sum()
        totals[2] += y.numel()
    if world > 1:
        dist.all_reduce(totals)
    loss, correct, count = totals.tolist()
    return loss / max(count, 1), correct / max(count, 1)
