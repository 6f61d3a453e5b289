"""``rfclassify eval``: a model (ONNX or checkpoint) on a held-out dataset folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import positive_int, print_json


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "eval",
        help="accuracy, macro-F1, per-class scores, confusion, accuracy vs SNR and per parameter",
        description=(
            "Evaluate a model on a dataset folder built with another seed than its training "
            "data (refused otherwise) and with the model's frontend. The ONNX form and the "
            "checkpoint of a model give the same numbers."
        ),
    )
    parser.add_argument("model", type=Path, metavar="MODEL", help=".onnx or .safetensors")
    parser.add_argument("--data", type=Path, required=True, metavar="DIR", help="test data")
    parser.add_argument("--plots", type=Path, metavar="DIR", help="write confusion/SNR PNGs")
    parser.add_argument(
        "--slice", action="append", metavar="COLUMN", help="table column(s) to slice by"
    )
    parser.add_argument("--batch", type=positive_int, default=64, help="batch size (64)")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..datasets.dataset import SpectrogramDataset
    from ..training.evaluate import Predictor, evaluate

    predictor = Predictor(args.model)
    dataset = SpectrogramDataset(args.data)
    result = evaluate(predictor, dataset, args.batch, not (args.quiet or args.json), args.slice)
    if args.plots:
        from ..viz.eval_plots import plot_accuracy_vs_snr, plot_confusion

        args.plots.mkdir(parents=True, exist_ok=True)
        plot_confusion(result, dataset.classes, args.plots / "confusion.png")
        plot_accuracy_vs_snr(result, dataset.classes, args.plots / "accuracy_vs_snr.png")
    if args.json:
        print_json({k: v for k, v in result.items() if k != "predictions"})
        return 0
    _print(result, dataset.classes)
    return 0


def _print(r: dict, names: list[str]) -> None:
    print(f"{r['model']} ({r['backend']}) on {r['data']} (seed {r['data_seed']}, {r['count']})")
    print(f"  accuracy {100 * r['accuracy']:.2f} %, macro-F1 {r['macro_f1']:.4f}")
    ge0 = r["snr_ge_0"]
    print(
        f"  SNR >= 0 dB: accuracy {100 * ge0['accuracy']:.2f} %, macro-F1 {ge0['macro_f1']:.4f}, "
        f"Noise/Other called LTE/NR {100 * r['false_carrier_rate_snr_ge_0']:.2f} %"
    )
    print(f"  {'class':<8} {'precision':>9} {'recall':>7} {'F1':>7} {'support':>8}")
    for name in names:
        c = r["per_class"][name]
        print(
            f"  {name:<8} {c['precision']:>9.4f} {c['recall']:>7.4f} {c['f1']:>7.4f} "
            f"{c['support']:>8}"
        )
    print("  confusion (rows true, columns predicted): " + ", ".join(names))
    for name, row in zip(names, r["confusion"], strict=True):
        print(f"    {name:<8} " + " ".join(f"{v:>6}" for v in row))
    print("  accuracy by SNR: " + ", ".join(
        f"{b['snr_db']:+.0f} dB {100 * b['accuracy']:.1f}%" for b in r["by_snr"]["bins"]
        if b["accuracy"] is not None
    ))  # fmt: skip
    from ..training.release import target_report

    print("  targets:")
    for t in target_report(r):
        value = "n/a" if t["met"] is None else f"{t['value']:.4f}"
        verdict = {True: "met", False: "MISSED", None: "no data"}[t["met"]]
        print(f"    {t['target']:<52} {value:>8}  {verdict}")
    for col, values in r["slices"].items():
        shown = ", ".join(
            f"{k}: {100 * v['accuracy']:.1f}% ({v['count']})" for k, v in values.items()
        )
        print(f"  by {col}: {shown}")
