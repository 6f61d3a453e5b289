"""``rfclassify pretrain``: MAE pretraining of a ViT encoder on unlabeled spectrograms."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .common import (
    _number,
    json_object,
    non_negative_float,
    positive_float,
    positive_int,
    print_json,
)

_ratio = _number(float, lambda v: 0.0 < v < 1.0, "in (0, 1), e.g. 0.75")  # the masked share


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "pretrain",
        help="MAE pretraining of a ViT on unlabeled spectrograms (for train --init-from)",
        description=(
            "Masked-autoencoder pretraining (He et al. 2022; the seeds' masked spectrogram "
            "modeling): a random --mask-ratio of each spectrogram's patches is hidden, the ViT "
            "encoder sees the rest, a lightweight decoder rebuilds the hidden ones, and the loss "
            "is their mean squared error against per-patch normalised targets. MAE's recipe: "
            "AdamW (0.9, 0.95), weight decay 0.05, warm-up then cosine, lr 1.5e-4 per 256 "
            "examples of effective batch, reached on a CPU by --accumulate. Labels are not "
            "read. The run folder gets encoder.safetensors (for 'rfclassify train "
            "--init-from'), mae.safetensors, history.csv/json, curves.png and "
            "reconstruction.png."
        ),
        epilog=(
            "examples:\n"
            "  rfclassify pretrain --model vit_small_patch16 --data data/train "
            "--mask-ratio 0.75 --out runs/mae\n"
            "  rfclassify train --model vit_small_patch16 --data data/train --val data/val \\\n"
            "      --init-from runs/mae/encoder.safetensors --out runs/vit-mae-ft"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", default="vit_small_patch16", help="a ViT from the registry")
    parser.add_argument("--data", required=True, type=Path, metavar="DIR", help="dataset folder")
    parser.add_argument("--out", required=True, type=Path, metavar="RUN_DIR", help="run folder")
    parser.add_argument(
        "--model-args",
        type=json_object,
        metavar="JSON",
        help="constructor overrides, e.g. '{\"depth\": 6}' (give the fine-tune the same)",
    )
    parser.add_argument("--mask-ratio", type=_ratio, default=0.75, help="(default: 0.75)")
    parser.add_argument("--epochs", type=positive_int, default=20, help="(default: 20)")
    parser.add_argument("--batch-size", type=positive_int, default=64, help="(default: 64)")
    parser.add_argument(
        "--accumulate", type=positive_int, default=4, help="batches per step (default: 4)"
    )
    parser.add_argument("--lr", type=positive_float, help="(default: 1.5e-4 x batch / 256)")
    parser.add_argument(
        "--warmup-epochs", type=non_negative_float, default=2.0, help="(default: 2)"
    )
    parser.add_argument("--decoder-dim", type=positive_int, default=128, help="(default: 128)")
    parser.add_argument("--decoder-depth", type=positive_int, default=2, help="(default: 2)")
    parser.add_argument("--max-steps-per-epoch", type=positive_int, help="cap optimiser steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N (default: cpu)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..training.pretrain import PretrainConfig, pretrain

    config = PretrainConfig(
        model=args.model,
        data=str(args.data),
        out=str(args.out),
        mask_ratio=args.mask_ratio,
        epochs=args.epochs,
        batch_size=args.batch_size,
        accumulate=args.accumulate,
        lr=args.lr or 0.0,
        warmup_epochs=args.warmup_epochs,
        decoder_dim=args.decoder_dim,
        decoder_depth=args.decoder_depth,
        max_steps_per_epoch=args.max_steps_per_epoch or 0,
        seed=args.seed,
        device=args.device,
        model_overrides=args.model_args or {},
    )
    command = "rfclassify " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    summary = pretrain(config, progress=not (args.quiet or args.json), command=command)
    if args.json:
        print_json(summary)
    else:
        print(
            f"pretrained {summary['model']} on {summary['examples']} spectrograms, "
            f"{summary['epochs']} epochs: final masked-patch loss {summary['final_loss']:.4f}; "
            f"encoder in {args.out / 'encoder.safetensors'}"
        )
    return 0
