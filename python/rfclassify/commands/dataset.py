"""``rfclassify dataset``: build labelled spectrogram datasets, and look inside them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import RfclassifyError
from . import dataset_suite
from .common import (
    add_frontend_arguments,
    frontend_from_args,
    invocation,
    non_negative_int,
    positive_int,
    print_json,
)

SEED_CONVENTION = "convention: 1 for training, 2 for validation, 3 for the held-out test set"


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "dataset",
        help="build labelled spectrogram datasets from the generator; inspect them",
        description="Build datasets of labelled spectrograms, and inspect built ones.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    _register_build(actions)
    dataset_suite.register(actions)

    info = actions.add_parser(
        "info",
        help="what a dataset holds: counts per class, parameter ranges, recipe, build speed",
        description="Summarise a dataset folder (or print it as JSON with --json).",
    )
    info.add_argument("path", type=Path, metavar="DIR", help="dataset folder")
    info.add_argument("--json", action="store_true", help="one JSON object")
    info.set_defaults(run=_info)

    recipe = actions.add_parser(
        "recipe",
        help="print the default recipe (or a config file merged onto it) as JSON",
        description=(
            "Print the recipe a build would use: the defaults, or --config merged onto them. "
            "Save it, edit it, pass it back with 'dataset build --config'."
        ),
    )
    recipe.add_argument("--config", type=Path, metavar="FILE", help="JSON or TOML overrides")
    recipe.add_argument(
        "--leave-out",
        action="append",
        default=[],
        metavar="KIND",
        help="drop an Other emitter (weight 0), for a leave-one-kind-out model that the suite's "
        "other_KIND set then tests on a kind it never saw; repeatable",
    )
    recipe.set_defaults(run=_recipe)

    preview = actions.add_parser(
        "preview",
        help="a PNG grid of random examples per class, titled with their parameters",
        description="Draw random examples of every class of a dataset into one PNG.",
    )
    preview.add_argument("path", type=Path, metavar="DIR", help="dataset folder")
    preview.add_argument("--out", type=Path, required=True, help="output PNG")
    preview.add_argument(
        "--per-class", type=positive_int, default=6, help="examples per class (default: 6)"
    )
    preview.add_argument(
        "--seed", type=non_negative_int, default=0, help="which examples (default: 0)"
    )
    preview.set_defaults(run=_preview)


def _register_build(actions: argparse._SubParsersAction) -> None:
    build = actions.add_parser(
        "build",
        help="generate N labelled spectrograms in parallel, deterministic for a seed",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Draw N scenes from the recipe (LTE, NR, noise, other emitters; channel, capture\n"
            "rate, offset, SNR), render them, turn each into the frontend's spectrogram and\n"
            "store them as memory-mappable shards with a table of every example's parameters.\n"
            "The same seed gives the same bytes, whatever the number of workers.\n\n"
            f"Seeds: {SEED_CONVENTION}.\n\n"
            "examples:\n"
            "  rfclassify dataset build --out data/train --n 20000 --seed 1\n"
            "  rfclassify dataset build --out data/test --n 4000 --seed 3 --split test\n"
            "  rfclassify dataset recipe > recipe.json   # edit, then: --config recipe.json"
        ),
    )
    build.add_argument("--out", type=Path, required=True, metavar="DIR", help="dataset folder")
    build.add_argument("--n", type=positive_int, required=True, help="number of examples")
    build.add_argument(
        "--seed", type=non_negative_int, required=True, help=f"random seed ({SEED_CONVENTION})"
    )
    build.add_argument("--config", type=Path, metavar="FILE", help="recipe overrides, JSON or TOML")
    build.add_argument(
        "--split", default="", help="a name stored with the dataset: train, val, test, ..."
    )
    build.add_argument(
        "--workers", type=positive_int, help="worker processes (default: one per core)"
    )
    build.add_argument(
        "--shard-size", type=positive_int, default=4096, help="images per shard file"
    )
    build.add_argument(
        "--dtype",
        choices=["float16", "float32"],
        default="float16",
        help="image storage type (default: float16, half the size, ~1e-3 relative precision)",
    )
    build.add_argument("--force", action="store_true", help="replace an existing dataset")
    build.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted build of the same settings where it stopped (the bytes "
        "are those of an uninterrupted build); a finished one is left as it is",
    )
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.add_argument("--json", action="store_true", help="print the result as one JSON object")
    add_frontend_arguments(build)
    build.set_defaults(run=lambda args: _build(args, build))


def _build(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..datasets.builder import build_dataset
    from ..datasets.recipe import RecipeError, load_recipe

    frontend = frontend_from_args(args, parser)
    try:
        recipe = load_recipe(args.config)
    except RecipeError as exc:
        raise RfclassifyError(str(exc)) from None
    result = build_dataset(
        args.out,
        args.n,
        args.seed,
        recipe=recipe,
        frontend=frontend,
        workers=args.workers,
        shard_size=args.shard_size,
        dtype=args.dtype,
        split=args.split,
        overwrite=args.force,
        resume=args.resume,
        progress=not args.no_progress,
        command=invocation(),
    )
    summary = {
        "path": str(result.path),
        "count": result.count,
        "seconds": round(result.seconds, 3),
        "examples_per_s": round(result.examples_per_s, 3),
        "workers": result.workers,
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"wrote {result.count} examples to {result.path} in {result.seconds:.1f} s "
            f"({result.examples_per_s:.1f} examples/s, {result.workers} workers)"
        )
    return 0


def _info(args: argparse.Namespace) -> int:
    from ..datasets.dataset import SpectrogramDataset

    summary = SpectrogramDataset(args.path, allow_incomplete=True).summary()
    if args.json:
        print_json(summary)
        return 0
    mb = summary["bytes"] / 1e6
    state = "complete" if summary["complete"] else "INCOMPLETE (interrupted build)"
    print(f"{summary['path']}: {summary['count']} examples, {state}, {mb:.1f} MB")
    print(
        f"  seed {summary['seed']}{' (' + summary['split'] + ')' if summary['split'] else ''}, "
        f"generator v{summary['generator_version']}, rfclassify {summary['rfclassify_version']}"
    )
    shape = "x".join(str(s) for s in summary["image_shape"])
    print(f"  images {shape} {summary['dtype']}")
    print("  classes  " + ", ".join(f"{k} {v}" for k, v in summary["classes"].items()))
    print("  kinds    " + ", ".join(f"{k} {v}" for k, v in summary["kinds"].items()))
    print("  channels " + ", ".join(f"{k} {v}" for k, v in summary["channels"].items()))
    rates = ", ".join(f"{r / 1e6:g}" for r in summary["capture_rates"])
    print(f"  capture rates (MS/s) {rates}")
    if summary["snr_db"]:
        lo, hi = summary["snr_db"]
        print(f"  SNR {lo:.1f} .. {hi:.1f} dB")
    print(f"  LTE+NR pairs {summary['pairs']}, partial views {summary['partial_views']}")
    if summary["build"]:
        b = summary["build"]
        print(
            f"  built in {b['seconds']:.1f} s, {b['examples_per_s']:.1f} examples/s "
            f"with {b['workers']} workers"
        )
    return 0


def _recipe(args: argparse.Namespace) -> int:
    from ..datasets.recipe import RecipeError, load_recipe, resolve_recipe

    try:
        recipe = load_recipe(args.config)
        kinds = recipe["other"]["kinds"]
        for kind in args.leave_out:
            if kind not in kinds:
                raise RecipeError(f"--leave-out {kind}: not an Other kind ({', '.join(kinds)})")
            kinds[kind] = 0.0
        recipe = resolve_recipe(recipe)  # e.g. refuses leaving every kind out
    except RecipeError as exc:
        raise RfclassifyError(str(exc)) from None
    print(json.dumps(recipe, indent=2))
    return 0


def _preview(args: argparse.Namespace) -> int:
    from ..datasets.dataset import SpectrogramDataset
    from ..viz.dataset_preview import render_preview

    dataset = SpectrogramDataset(args.path)
    render_preview(dataset, args.out, args.per_class, args.seed)
    print(f"wrote {args.out}")
    return 0
