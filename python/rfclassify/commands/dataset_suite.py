"""``rfclassify dataset suite``: build the evaluation suite a model is judged by."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import RfclassifyError
from .common import positive_float, positive_int, print_json

EXAMPLES = """\
examples:
  rfclassify dataset suite --out data/suite                   # for the shipped models
  rfclassify dataset suite --out data/suite --n 400 --only held_out,noise_battery,real
  rfclassify dataset suite --out data/suite --resume          # after an interrupted build
  rfclassify eval vim-lte-nr --suite data/suite               # then score a model on it

The sets: held_out (the default recipe at the suite's seed, which `dataset build` refuses for
anything else); shift sets the training recipe does not draw (each Other kind alone, TD-LTE
alone, NR bandwidths and TDD patterns left out of training, a receiver outside the recipe's
ranges, capture rates 19.2/20/25/46.08/56 MS/s); noise_battery (quiet-band SigMF files in
cf32/ci16/ci8/cu8 at -80..0 dBFS); real (the labelled real captures, indexed in place)."""


def register(actions: argparse._SubParsersAction) -> None:
    suite = actions.add_parser(
        "suite",
        help="build the evaluation suite: held-out, shift sets, noise battery, real captures",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Build, in one folder, every set a model is judged by (see docs/dataset.md,\n"
            "'The evaluation suite'). The datasets use one model's frontend, as any test set."
        ),
        epilog=EXAMPLES,
    )
    suite.add_argument("--out", type=Path, metavar="DIR", help="suite folder (required)")
    suite.add_argument(
        "--model",
        default="vim-lte-nr",
        help="whose frontend the datasets use: a shipped name or a model file (vim-lte-nr)",
    )
    suite.add_argument(
        "--n", type=positive_int, default=2000, help="held-out examples; other sets in proportion"
    )
    suite.add_argument(
        "--real",
        type=Path,
        metavar="DIR",
        help="labelled real captures (default: ../shared/real-captures next to the checkout)",
    )
    suite.add_argument(
        "--window-ms",
        type=positive_float,
        metavar="MS",
        help="window length (default: the model's); a model trained over lengths is judged at "
        "each one it serves, e.g. 10, 20 and 40 ms",
    )
    suite.add_argument("--only", metavar="SETS", help="comma-separated set names (see --list)")
    suite.add_argument("--list", action="store_true", help="list the sets and exit")
    suite.add_argument("--workers", type=positive_int, help="worker processes (default: cores)")
    suite.add_argument("--resume", action="store_true", help="keep the sets already complete")
    suite.add_argument("--quiet", action="store_true", help="no progress")
    suite.add_argument("--json", action="store_true", help="print suite.json when done")
    suite.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..datasets.suite import DEFAULT_REAL_CAPTURES, build_suite, suite_sets
    from ..inference.backends import read_card
    from ..inference.resolve import backend_for, resolve_model

    if args.list:
        for item in suite_sets():
            print(f"{item.name:<24} {item.group:<14} {item.description}")
        return 0
    if args.out is None:
        raise RfclassifyError("give the suite folder: --out DIR (or --list to see the sets)")
    path = resolve_model(args.model, backend_for(args.model))
    card = read_card(path)
    frontend = card.frontend_config()
    if args.window_ms is not None:
        try:
            frontend = frontend.replace(window_ms=args.window_ms, window_samples=None)
        except ValueError as exc:
            raise RfclassifyError(str(exc)) from None
        if not card.serves(frontend):
            raise RfclassifyError(
                f"{path} was trained on {card.trained_window_text()} windows, "
                f"not {args.window_ms:g} ms"
            )

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    index = build_suite(
        args.out,
        frontend,
        count=args.n,
        real_captures=args.real or DEFAULT_REAL_CAPTURES,
        workers=args.workers,
        only=args.only.split(",") if args.only else None,
        resume=args.resume,
        progress=None if args.quiet or args.json else say,
        frontend_source=str(path),
    )
    if args.json:
        print_json(index)
    else:
        print(f"wrote a suite of {len(index['sets'])} sets to {args.out}")
    return 0
