"""``rfclassify compare``: training runs side by side, as the seeds compared architectures."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import print_json


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "compare",
        help="runs side by side: params, GMACs, accuracy, macro-F1, train time, peak memory",
        description=(
            "Compare training runs: parameters, multiply-accumulates, accuracy and macro-F1 "
            "(on --data, a held-out test set, evaluated once per run and cached in the run "
            "folder; else the validation accuracy), training time and peak memory (GPU "
            "memory allocated on CUDA, as in the seeds' plots; RSS on CPU). Prints a Markdown "
            "table; --out DIR also writes comparison.md and comparison.png."
        ),
    )
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR", help="training runs")
    parser.add_argument("--data", type=Path, metavar="DIR", help="held-out test set")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write the table and the plot")
    parser.add_argument("--json", action="store_true", help="one JSON list")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..training.compare import markdown_table, plot_comparison, run_row

    rows = [run_row(path, args.data, progress=not args.json) for path in args.runs]
    table = markdown_table(rows)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "comparison.md").write_text(table)
        plot_comparison(rows, args.out / "comparison.png")
    if args.json:
        print_json(rows)
    else:
        print(table, end="")
    return 0
