"""The training loop: one command for CPU, one GPU, or many through ``torchrun`` (DDP).

A run folder holds ``config.json`` (the resolved config), ``history.csv`` / ``history.json``
(one row per epoch), ``curves.png``, ``last.pt`` (everything ``--resume`` needs: weights,
optimizer, scheduler, epoch, random states; tensors and numbers only, read back with
``torch.load(weights_only=True)``), ``best.safetensors`` + ``best.json`` (the best weights by
validation loss and their model card) and ``summary.json``.

Under ``torchrun --nproc_per_node N`` the same command runs DistributedDataParallel: each
process takes 1/N of every epoch (``DistributedSampler``), gradients are averaged by PyTorch,
validation counts are summed across processes, and only rank 0 writes files and draws the bar.
"""

from __future__ import annotations

import json
import math
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler

from ..datasets.dataset import SpectrogramDataset, check_held_out
from ..errors import RfclassifyError
from ..models import create_model
from ..models.card import card_for, save_checkpoint
from ..models.flops import count_params
from .augment import AugmentConfig, augment_batch
from .config import TrainConfig
from .data import FolderData, GeneratedData, label_subset, split_indices
from .engine import EpochOptions, classification_step, evaluate, train_one_epoch
from .history import write_history
from .init_from import load_pretrained
from .param_groups import param_groups

CHECKPOINT_S = 600.0  # within an epoch, last.pt every 10 minutes


@dataclass
class RunResult:
    out: Path
    epochs_run: int
    best_epoch: int
    best_val_loss: float
    best_val_acc: float
    seconds: float


def _distributed() -> tuple[int, int, int]:
    """(rank, local rank, world size); initialises the process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 0, 1
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
    return dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0")), world


def _device(name: str, local_rank: int) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RfclassifyError("--device cuda: no CUDA device here (use --device auto or cpu)")
        return torch.device(f"cuda:{local_rank}" if name == "cuda" else name)
    return torch.device("cpu")


def _seed(seed: int, deterministic: bool) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False


def load_resume_state(path: Path) -> dict[str, Any]:
    """The state ``last.pt`` holds, read with ``weights_only=True``: tensors, numbers and
    strings only, so a planted pickle cannot run code; anything else is one clear error."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise RfclassifyError(f"{path}: no checkpoint to resume from") from None
    except Exception as exc:  # UnpicklingError, RuntimeError (zip), EOFError (truncated)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RfclassifyError(
            f"{path}: not a resume checkpoint written by rfclassify train, refused ({first})"
        ) from None
    if not isinstance(state, dict) or "model" not in state:
        raise RfclassifyError(f"{path}: not a resume checkpoint written by rfclassify train")
    return state


def _optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    # decay spares biases, norms, embeddings, tokens and the scan's A_log / D (param_groups.py)
    params = param_groups(model, config.weight_decay, config.decay_all)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr)
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=0.9)
    return torch.optim.AdamW(params, lr=config.lr)


def _schedule(config: TrainConfig):
    """Per-epoch LR factor: linear warm-up, then cosine to 0 over the rest (T_max = epochs)."""

    def factor(epoch: int) -> float:
        if epoch < config.warmup_epochs:
            return (epoch + 1) / (config.warmup_epochs + 1)
        if config.scheduler == "none":
            return 1.0
        span = max(1, config.epochs - config.warmup_epochs)
        return 0.5 * (1 + math.cos(math.pi * (epoch - config.warmup_epochs) / span))

    return factor


def _peak_memory(device: torch.device) -> int:
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024  # Linux: KiB


def _load_data(config: TrainConfig, seed: int, rank: int, world: int):
    """(reference dataset: shape, classes, frontend; training data; validation data; what both
    are, for the model card)."""
    if config.generate:
        return _generated_data(config, rank, world)
    train_set = SpectrogramDataset(config.data)
    if config.val:
        val_set = SpectrogramDataset(config.val)
        check_held_out(train_set, val_set)
        if val_set.image_shape != train_set.image_shape or val_set.classes != train_set.classes:
            raise RfclassifyError(f"{config.val} does not match {config.data} (shape or classes)")
        train_idx = _labelled(np.arange(len(train_set)), train_set, config, seed)
        info = {
            "train": _data_info(train_set, train_idx, config),
            "validation": _data_info(val_set, recipe=False),
        }
        return train_set, FolderData(train_set, train_idx), FolderData(val_set), info
    train_idx, val_idx = split_indices(len(train_set), config.val_fraction, seed)
    if len(val_idx) == 0:
        raise RfclassifyError("no validation data: pass --val DIR or a val_fraction > 0")
    train_idx = _labelled(train_idx, train_set, config, seed)
    validation = {"path": str(train_set.path), "seed": train_set.seed, "count": len(val_idx)}
    info = {
        "train": _data_info(train_set, train_idx, config),
        "validation": {**validation, "held_out_of_train": True},
    }
    return train_set, FolderData(train_set, train_idx), FolderData(train_set, val_idx), info


def _labelled(indices: np.ndarray, dataset: SpectrogramDataset, config: TrainConfig, seed: int):
    """The part of ``indices`` whose labels this run may use (``label_fraction``)."""
    return indices[label_subset(dataset.labels[indices], config.label_fraction, seed)]


def _data_info(
    dataset: SpectrogramDataset,
    used: np.ndarray | None = None,
    config: TrainConfig | None = None,
    recipe: bool = True,
) -> dict[str, Any]:
    info = {
        "path": str(dataset.path),
        "seed": dataset.seed,
        "count": len(dataset),
        "generator_version": dataset.meta["generator_version"],
    }
    if config is not None and config.label_fraction < 1 and used is not None:
        info.update(label_fraction=config.label_fraction, labelled_count=len(used))
    if recipe:
        info["recipe"] = dataset.recipe
    if dataset.meta.get("command"):
        info["command"] = dataset.meta["command"]
    return info


def _generated_data(config: TrainConfig, rank: int, world: int):
    """Training examples rendered on the fly with the validation set's frontend."""
    from ..datasets.recipe import load_recipe, resolve_recipe
    from ..signals.scene import GENERATOR_VERSION

    if not config.val:
        raise RfclassifyError(
            "on-the-fly training (--generate) needs --val DIR: its frontend is used"
        )
    val_set = SpectrogramDataset(config.val)
    if config.generate_seed == val_set.seed:
        raise RfclassifyError(
            f"the generation seed {config.generate_seed} is the validation set's: pick another"
        )
    if val_set.meta["generator_version"] != GENERATOR_VERSION:
        raise RfclassifyError(
            f"{val_set.path} was generated by generator version "
            f"{val_set.meta['generator_version']}, this is version {GENERATOR_VERSION}: "
            "rebuild it so that training and validation data come from the same generator"
        )
    recipe = load_recipe(config.recipe) if config.recipe else resolve_recipe(val_set.recipe)
    data = GeneratedData(
        recipe, val_set.frontend, config.generate_seed, config.generate, rank=rank, world=world
    )
    info = {
        "generated": True,
        "seed": config.generate_seed,
        "per_epoch": config.generate,
        "generator_version": GENERATOR_VERSION,
        "recipe": recipe,
    }
    info = {"train": info, "validation": _data_info(val_set, recipe=False)}
    return val_set, data, FolderData(val_set), info


def train(
    config: TrainConfig,
    resume: bool = False,
    progress: bool = True,
    stop_after_epochs: int | None = None,
    command: str = "",
    checkpoint_s: float | None = CHECKPOINT_S,
) -> RunResult:
    """Run (or continue, with ``resume``) the training ``config`` describes.

    ``checkpoint_s``: within an epoch, ``last.pt`` is also written every so many seconds (None:
    at epoch ends only), so a run cut anywhere (a session's end, a SIGKILL) loses at most that
    much; resumed, it skips the batches done and ends with the weights of an uncut run.
    ``stop_after_epochs`` ends this call after that many epochs, as an interruption would; the
    run continues with ``resume`` exactly as if it had not stopped (same schedule, same data
    order, same random augmentations). ``command`` (the command line) is logged to
    ``commands.txt``; the first one goes into the model card as the run's command.
    """
    rank, local_rank, world = _distributed()
    device = _device(config.device, local_rank)
    out = Path(config.out)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        if not resume and (out / "last.pt").exists():
            raise RfclassifyError(f"{out} holds a run already: pass --resume, or another --out")
        config.save(out / "config.json")
        if command:
            with open(out / "commands.txt", "w" if not resume else "a") as f:
                f.write(command + "\n")
    _seed(config.seed + rank, config.deterministic)
    dataset, train_data, val_data, data_info = _load_data(config, config.seed, rank, world)
    generated = isinstance(train_data, GeneratedData)
    c, h, w = dataset.image_shape
    if h != w:
        raise RfclassifyError(f"the models take square images; the dataset's are {h}x{w}")
    model = create_model(
        config.model, len(dataset.classes), img_size=h, in_chans=c, **config.model_overrides
    ).to(device)
    if config.init_from and not resume:
        load_pretrained(model, config.init_from, config.linear_probe)
    augment = AugmentConfig.from_dict(config.augment)
    optimizer = _optimizer(config, model)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(config))
    use_amp = config.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    aug_rng = torch.Generator().manual_seed(config.seed * 1000 + rank)
    history: list[dict[str, Any]] = []
    start_epoch, best = 0, {"val_loss": math.inf, "val_acc": 0.0, "epoch": -1}
    partial: dict[str, Any] = {}  # an epoch cut short: its batches done and running totals
    if resume:
        state = load_resume_state(out / "last.pt")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["torch_rng"])
        aug_rng.set_state(state["aug_rng"])
        history = json.loads(state["history"])
        best = json.loads(state["best"])
        start_epoch = int(state["epoch"]) + 1
        partial = json.loads(state["partial"]) if "partial" in state else {}
    net: nn.Module = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    if config.steps_per_epoch and (generated or world > 1):
        raise RfclassifyError(
            "steps_per_epoch repeats a --data folder in one process; with --generate or "
            "under torchrun use max_steps_per_epoch"
        )
    sampler = None
    loader_rng = torch.Generator().manual_seed(config.seed)
    if world > 1 and not generated:  # a generated stream is split by rank itself
        sampler = DistributedSampler(train_data, world, rank, seed=config.seed)
    elif config.steps_per_epoch and not generated:  # fresh shuffles, back to back
        draws = config.steps_per_epoch * config.batch_size
        sampler = RandomSampler(train_data, num_samples=draws, generator=loader_rng)
    train_loader = DataLoader(
        train_data,
        config.batch_size,
        shuffle=sampler is None and not generated,
        sampler=sampler,
        num_workers=config.workers,
        generator=None if generated else loader_rng,
        drop_last=not generated and len(train_data) > config.batch_size,
    )
    val_sampler = DistributedSampler(val_data, world, rank, shuffle=False) if world > 1 else None
    val_loader = DataLoader(val_data, config.batch_size * 2, sampler=val_sampler)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    step = classification_step(loss_fn, device, lambda x: augment_batch(x, augment, aug_rng))
    options = EpochOptions(
        device,
        amp=use_amp,
        grad_clip=config.grad_clip,
        max_steps=config.max_steps_per_epoch,
        progress=progress and rank == 0,
    )
    elapsed = partial.get("elapsed_s", history[-1]["elapsed_s"] if history else 0.0)
    started = time.perf_counter() - elapsed
    if generated or world > 1:  # a rendered stream cannot skip cheaply; ranks would need a barrier
        checkpoint_s = None
    epochs_without_gain = start_epoch - 1 - best["epoch"] if history else 0

    last_epoch = config.epochs
    if stop_after_epochs is not None:
        last_epoch = min(last_epoch, start_epoch + stop_after_epochs)
    for epoch in range(start_epoch, last_epoch):
        if isinstance(sampler, DistributedSampler):
            sampler.set_epoch(epoch)
        if generated:
            train_data.set_epoch(epoch)
        loader_rng.manual_seed(config.seed + epoch)
        options.description = f"epoch {epoch + 1}/{config.epochs}"
        carried = partial.pop("totals", None) if partial.get("epoch") == epoch else None
        options.start_step = int(partial.pop("step", 0)) if carried else 0
        options.carried = carried
        epoch_start = time.perf_counter() - (carried or {}).get("seconds", 0.0)

        def save_partial(steps_done: int, totals: dict, epoch: int = epoch, best=best) -> None:
            cut = {"epoch": epoch, "step": steps_done, "totals": totals,
                   "elapsed_s": time.perf_counter() - started}  # fmt: skip
            _save_state(out, model, optimizer, scheduler, scaler, aug_rng, epoch - 1, history,
                        best, cut)  # fmt: skip

        options.checkpoint_s, options.on_checkpoint = checkpoint_s, save_partial
        trained = train_one_epoch(
            net, train_loader, step, optimizer, scaler, options, model.parameters()
        )
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step()
        val_loss, val_acc = evaluate(model, val_loader, device, world)
        row = {
            "epoch": epoch + 1,
            "train_loss": trained["loss"],
            "train_acc": trained["acc"],
            "train_examples": trained["examples"],
            "val_loss": val_loss,
            "val_acc": val_acc,
            "lr": lr,
            "epoch_s": time.perf_counter() - epoch_start,
            "elapsed_s": time.perf_counter() - started,
            "peak_memory_bytes": _peak_memory(device),
        }
        history.append(row)
        improved = val_loss < best["val_loss"]
        if improved:
            best = {"val_loss": val_loss, "val_acc": val_acc, "epoch": epoch}
            epochs_without_gain = 0
        else:
            epochs_without_gain += 1
        if rank == 0:
            if progress:
                print(
                    f"epoch {epoch + 1}: train loss {row['train_loss']:.4f} acc "
                    f"{row['train_acc']:.4f} | val loss {val_loss:.4f} acc {val_acc:.4f}"
                    + (" (best)" if improved else ""),
                    flush=True,
                )
            if improved:
                _save_best(model, dataset, data_info, config, out, row)
            _save_state(out, model, optimizer, scheduler, scaler, aug_rng, epoch, history, best)
            write_history(out, history, f"{config.model}: {out.name}")
        if config.patience and epochs_without_gain >= config.patience:
            if rank == 0 and progress:
                print(f"early stop: no better validation loss for {config.patience} epochs")
            break

    seconds = time.perf_counter() - started
    result = RunResult(
        out, len(history), best["epoch"] + 1, best["val_loss"], best["val_acc"], seconds
    )
    if rank == 0:
        summary = {
            "model": config.model,
            "params": count_params(model),
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "best_val_loss": result.best_val_loss,
            "best_val_acc": result.best_val_acc,
            "train_seconds": round(seconds, 2),
            "peak_memory_bytes": max((r["peak_memory_bytes"] for r in history), default=0),
            "device": str(device),
            "world_size": world,
        }
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    if world > 1:
        dist.barrier()
    return result


def _save_best(model, dataset, data_info, config, out: Path, row: dict) -> None:
    data = dict(data_info)
    commands = Path(config.out) / "commands.txt"
    if commands.exists():
        data["command"] = commands.read_text().splitlines()[0]
    card = card_for(
        model,
        classes=dataset.classes,
        frontend=dataset.meta["frontend"],
        data=data,
        metrics={"validation": {"loss": row["val_loss"], "accuracy": row["val_acc"]}},
        name=Path(config.out).name,
    )
    save_checkpoint(model, card, out / "best")


def _save_state(
    out, model, optimizer, scheduler, scaler, aug_rng, epoch, history, best, partial=None
) -> None:
    """``last.pt``: after ``epoch`` (0-based), or within the next one when ``partial`` says
    how far it got."""
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "aug_rng": aug_rng.get_state(),
        "epoch": epoch,
        "history": json.dumps(history),
        "best": json.dumps(best),
    }
    if partial:
        state["partial"] = json.dumps(partial)
    tmp = out / "last.pt.tmp"
    torch.save(state, tmp)
    os.replace(tmp, out / "last.pt")
