"""``rfclassify label-study``: from scratch vs MAE-pretrained, at 1 %, 10 % and 100 % of labels."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..training.label_study import METHODS
from .common import (
    fraction,
    json_object,
    non_negative_int,
    positive_float,
    positive_int,
    print_json,
)


def _list(convert, name: str):
    def parse(text: str) -> list:
        try:
            values = [convert(part.strip()) for part in text.split(",") if part.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: a comma-separated list of {name}"
            ) from None
        if not values:
            raise argparse.ArgumentTypeError(f"{text!r}: give at least one of the {name}")
        return values

    return parse


def _method(text: str) -> str:
    if text not in METHODS:
        raise argparse.ArgumentTypeError(f"unknown method {text!r}; use {', '.join(METHODS)}")
    return text


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "label-study",
        help="does MAE pretraining pay? scratch vs fine-tuned ViT at several label fractions",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "The label-efficiency study: for every label fraction and seed, the same ViT\n"
            "trained from scratch, fine-tuned from an MAE encoder ('rfclassify pretrain') and,\n"
            "with --methods ...,probe, a linear probe of it. Every run gets the same budget\n"
            "(--epochs x --steps-per-epoch batches; a small subset is repeated), the same\n"
            "recipe, and per seed the same stratified labelled subset, so the gain is paired.\n"
            "Each run is evaluated on --test (held out: another seed). RUN_DIR gets one\n"
            "training run per cell (an interrupted study continues where it stopped),\n"
            "results.json, table.md (mean +- std over seeds) and label-efficiency.png."
        ),
        epilog=(
            "example (the CPU study of docs/foundation-model.md):\n"
            "  rfclassify label-study --model vit_tiny_patch16 --model-args '{\"depth\": 6}' \\\n"
            "      --data data/train --val data/val --test data/test \\\n"
            "      --encoder runs/mae/encoder.safetensors --out runs/label-study"
        ),
    )
    parser.add_argument("--model", required=True, help="a ViT from the registry")
    parser.add_argument("--model-args", type=json_object, metavar="JSON", help="as for pretrain")
    parser.add_argument("--data", required=True, type=Path, metavar="DIR", help="training set")
    parser.add_argument("--val", required=True, type=Path, metavar="DIR", help="validation set")
    parser.add_argument("--test", required=True, type=Path, metavar="DIR", help="held-out set")
    parser.add_argument("--encoder", type=Path, metavar="FILE", help="MAE encoder.safetensors")
    parser.add_argument("--out", required=True, type=Path, metavar="RUN_DIR")
    parser.add_argument(
        "--fractions", type=_list(fraction, "numbers"), default=[0.01, 0.1, 1.0],
        help="label fractions (default: 0.01,0.1,1)",
    )  # fmt: skip
    parser.add_argument(
        "--seeds", type=_list(non_negative_int, "seeds"), default=[0, 1, 2], help="(default: 0,1,2)"
    )
    parser.add_argument(
        "--methods", type=_list(_method, "methods"), default=["scratch", "finetune"],
        help="scratch, finetune, probe (default: scratch,finetune)",
    )  # fmt: skip
    parser.add_argument("--epochs", type=positive_int, default=10, help="(default: 10)")
    parser.add_argument(
        "--steps-per-epoch", type=positive_int, default=40, help="batches per epoch (default: 40)"
    )
    parser.add_argument("--batch-size", type=positive_int, default=32, help="(default: 32)")
    parser.add_argument("--lr", type=positive_float, default=3e-4, help="(default: 3e-4)")
    parser.add_argument(
        "--probe-lr", type=positive_float, default=3e-3, help="linear probe's (default: 3e-3)"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N (default: cpu)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(run=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..training.label_study import StudyConfig, run_study

    if {"finetune", "probe"} & set(args.methods) and not args.encoder:
        parser.error("finetune and probe need --encoder (an MAE encoder.safetensors)")

    study = StudyConfig(
        model=args.model,
        data=str(args.data),
        val=str(args.val),
        test=str(args.test),
        out=str(args.out),
        encoder=str(args.encoder) if args.encoder else "",
        fractions=args.fractions,
        seeds=args.seeds,
        methods=args.methods,
        model_overrides=args.model_args or {},
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        batch_size=args.batch_size,
        lr=args.lr,
        probe_lr=args.probe_lr,
        device=args.device,
    )
    results = run_study(study, progress=not (args.quiet or args.json))
    if args.json:
        print_json(results)
    else:
        print((args.out / "table.md").read_text(), end="")
    return 0
