"""``rfclassify train``: a model on a dataset folder, with the seeds' per-model defaults."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from .common import (
    below_one,
    fraction,
    invocation,
    json_object,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "train",
        help="train a model on a dataset folder (CPU, CUDA, or DDP under torchrun)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Train a registered model on a dataset built by 'rfclassify dataset build'.\n"
            "Defaults per family come from the seeds (Vim: AdamW 5e-4, cosine, batch 32, 200\n"
            "epochs with early stopping; ResNet-50: Adam 1e-4, batch 75; ViT: Adam 1e-4, batch\n"
            "8); --config FILE (JSON/TOML) overrides them and flags override the file. The\n"
            "resolved config, per-epoch logs (CSV/JSON), curves.png, last.pt (for --resume)\n"
            "and best.safetensors + best.json (the model card) go to --out.\n\n"
            "Several GPUs (or CPU processes): the same command under torchrun, e.g.\n"
            "  torchrun --nproc_per_node 4 -m rfclassify.cli train --model vit_small_patch16 \\\n"
            "      --data data/train --val data/val --out runs/vit\n\n"
            "examples:\n"
            "  rfclassify train --model vim_ultralight --data data/train --val data/val "
            "--out runs/vim\n"
            "  rfclassify train --model mobilevit_xxs --data data/train --val data/val "
            "--out runs/mvit --epochs 30\n"
            "  rfclassify train --out runs/vim --resume ...   # continue where it stopped"
        ),
    )
    parser.add_argument("--model", required=True, help="registry name (see 'rfclassify models')")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, metavar="DIR", help="training data (a folder)")
    source.add_argument(
        "--generate",
        type=positive_int,
        metavar="N",
        help="render N training examples per epoch on the fly (needs --val; its frontend)",
    )
    parser.add_argument(
        "--generate-seed", type=non_negative_int, help="seed of the on-the-fly stream (default: 1)"
    )
    parser.add_argument(
        "--recipe", type=Path, metavar="FILE", help="recipe for --generate (default: --val's)"
    )
    parser.add_argument(
        "--val",
        type=Path,
        metavar="DIR",
        help="validation data (another seed; default: 10 %% of --data held out)",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="RUN_DIR", help="run folder")
    parser.add_argument("--config", type=Path, metavar="FILE", help="JSON/TOML settings")
    parser.add_argument("--device", help="auto (CUDA when present), cpu, cuda, cuda:N")
    parser.add_argument("--epochs", type=positive_int)
    parser.add_argument("--batch-size", type=positive_int)
    parser.add_argument("--lr", type=positive_float)
    parser.add_argument("--optimizer", choices=["adam", "adamw", "sgd"])
    parser.add_argument("--weight-decay", type=non_negative_float)
    parser.add_argument(
        "--decay-all",
        action="store_true",
        help="decay every parameter, biases, norms, embeddings and the scan's A_log/D included "
        "(how runs before 2026-12-03 trained; for comparison with the default groups)",
    )
    parser.add_argument("--scheduler", choices=["cosine", "none"])
    parser.add_argument("--warmup-epochs", type=non_negative_int)
    parser.add_argument("--patience", type=non_negative_int, help="early-stopping epochs (0: off)")
    parser.add_argument("--grad-clip", type=non_negative_float, help="max gradient norm (0: off)")
    parser.add_argument("--label-smoothing", type=below_one)
    parser.add_argument("--seed", type=non_negative_int)
    parser.add_argument("--workers", type=non_negative_int, help="DataLoader worker processes")
    parser.add_argument(
        "--max-steps-per-epoch", type=non_negative_int, help="cap the batches per epoch"
    )
    parser.add_argument(
        "--steps-per-epoch",
        type=positive_int,
        metavar="N",
        help="exactly N batches per epoch, a small training set repeated in fresh shuffles "
        "(the same optimiser budget whatever --label-fraction)",
    )
    parser.add_argument(
        "--label-fraction",
        type=fraction,
        metavar="F",
        help="train on a stratified random F of --data's labelled examples (0 < F <= 1; "
        "drawn with --seed), e.g. 0.01 for a label-efficiency run",
    )
    parser.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    parser.add_argument(
        "--deterministic", action="store_true", help="deterministic algorithms (slower)"
    )
    parser.add_argument(
        "--model-args", type=json_object, metavar="JSON", help="constructor overrides"
    )
    parser.add_argument("--augment", type=json_object, metavar="JSON", help="augmentation settings")
    parser.add_argument(
        "--init-from",
        type=Path,
        metavar="FILE",
        help="start from pretrained encoder weights (an MAE run's encoder.safetensors); every "
        "encoder weight must load, or the run stops and says which did not",
    )
    parser.add_argument(
        "--linear-probe",
        action="store_true",
        help="with --init-from: freeze the encoder, train the classification head only",
    )
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument(
        "--checkpoint-minutes",
        type=non_negative_float,
        default=10.0,
        metavar="M",
        help="within an epoch, save last.pt every M minutes, so a run cut anywhere resumes "
        "there (0: after every step; default: %(default)s)",
    )
    parser.add_argument(
        "--stop-after-epochs",
        type=positive_int,
        metavar="N",
        help="end this call after N epochs (continue later with --resume)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=lambda args: run(args, parser))


# TrainConfig fields whose flag has another name, and those only a --config file sets
RENAMED = {"model_overrides": "model_args"}
NEGATED = {"amp": "no_amp"}  # a store_true flag that turns the field off
FILE_ONLY = {"model", "val_fraction"}  # the model is required by name; see resolve_config


def config_flags(args: argparse.Namespace) -> dict[str, Any]:
    """Every ``TrainConfig`` field from its flag (None: not given, the file or default holds).

    Derived from the dataclass, so a new field cannot be forgotten here (a test checks that
    every field has a flag or is listed in ``FILE_ONLY``)."""
    from ..training.config import TrainConfig

    flags: dict[str, Any] = {}
    for f in dataclasses.fields(TrainConfig):
        if f.name in FILE_ONLY:
            continue
        if f.name in NEGATED:
            flags[f.name] = False if getattr(args, NEGATED[f.name]) else None
            continue
        value = getattr(args, RENAMED.get(f.name, f.name))
        if isinstance(value, Path):
            value = str(value)
        flags[f.name] = None if value is False else value  # an absent store_true flag
    return flags


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.generate and args.label_fraction is not None:
        parser.error("--label-fraction subsets a --data folder, not a --generate stream")
    from ..training.config import resolve_config
    from ..training.trainer import train

    flags = config_flags(args)
    if args.linear_probe and not args.init_from:
        parser.error("--linear-probe needs --init-from (a pretrained encoder to probe)")
    config = resolve_config(args.model, args.config, flags)
    result = train(
        config,
        resume=args.resume,
        progress=not args.quiet,
        stop_after_epochs=args.stop_after_epochs,
        checkpoint_s=args.checkpoint_minutes * 60.0,
        command=invocation(),
    )
    print(
        f"{result.out}: {result.epochs_run} epochs in {result.seconds:.0f} s; best epoch "
        f"{result.best_epoch}: validation loss {result.best_val_loss:.4f}, accuracy "
        f"{100 * result.best_val_acc:.2f} % -> {result.out / 'best.safetensors'}"
    )
    return 0
