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
    parser.add_argument(
        "model", metavar="MODEL", help="a shipped name (vim-lte-nr), a .onnx or a .safetensors"
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", type=Path, metavar="DIR", help="one test dataset folder")
    where.add_argument(
        "--suite",
        type=Path,
        metavar="DIR",
        help="the evaluation suite (rfclassify dataset suite): one row per set, the targets",
    )
    parser.add_argument(
        "--max-windows",
        type=positive_int,
        metavar="N",
        help="with --suite: at most N windows per recording (default: all)",
    )
    parser.add_argument("--plots", type=Path, metavar="DIR", help="write confusion/SNR PNGs")
    parser.add_argument(
        "--slice", action="append", metavar="COLUMN", help="table column(s) to slice by"
    )
    parser.add_argument("--batch", type=positive_int, default=64, help="batch size (64)")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def _model_path(spec: str) -> Path:
    from ..inference.resolve import resolve_model

    path = Path(spec)
    return path if path.suffix == ".safetensors" else resolve_model(spec)


def run(args: argparse.Namespace) -> int:
    from ..datasets.dataset import SpectrogramDataset
    from ..training.evaluate import Predictor, evaluate

    if args.suite is not None:
        return _run_suite(args)
    predictor = Predictor(_model_path(args.model))
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


def _run_suite(args: argparse.Namespace) -> int:
    from ..training.suite_eval import evaluate_suite

    quiet = args.quiet or args.json
    result = evaluate_suite(
        str(_model_path(args.model)), args.suite, args.batch, not quiet, args.max_windows
    )
    if args.plots:
        from ..viz.eval_plots import plot_suite

        args.plots.mkdir(parents=True, exist_ok=True)
        plot_suite(result, args.plots / "suite.png")
    if args.json:
        print_json(result)
    else:
        print_suite(result)
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None or value != value else f"{100 * value:.1f}"  # None, NaN: "-"


def print_suite(result: dict) -> None:
    """The suite as one table (accuracies in %), then the targets that were missed."""
    print(f"{result['model']} on the suite {result['suite']} (seed {result['suite_seed']})")
    head = ("set", "group", "n", "all", ">=10dB", "0dB", "-5dB", "F1>=0", "FA>=0", "LTE", "NR",
            "Noise", "Other")  # fmt: skip
    print(f"  {head[0]:<24} {head[1]:<13} {head[2]:>6}" + "".join(f" {h:>7}" for h in head[3:]))
    for r in result["sets"]:
        n = r.get("count", r.get("windows"))
        cells = (r["accuracy"], r.get("accuracy_snr_ge_10"), r.get("accuracy_snr_0"),
                 r.get("accuracy_snr_-5"), r.get("macro_f1_snr_ge_0"),
                 r.get("false_carrier_rate_snr_ge_0", r.get("false_alarm_fraction")))  # fmt: skip
        recall = r.get("recall", {})
        cells += tuple(recall.get(name) for name in head[9:])
        row = "".join(f" {_pct(c):>7}" for c in cells)
        print(f"  {r['name']:<24} {r['group']:<13} {n:>6}{row}")
    print("  (n: examples, or windows of the recordings; FA: Noise/Other called LTE or NR;")
    print("   LTE..Other: recall of each class, % of its examples or windows called it)")
    for r in result["sets"]:
        files = r.get("files", [])
        if r["group"] != "real":  # the battery's many files: only the count of those missed
            wrong = [f["file"] for f in files if f["pass"] is False]
            if files:
                print(f"  {r['name']}: {len(wrong)} of {len(files)} files called wrong")
            continue
        for f in files:
            verdict = {True: "right", False: "WRONG", None: "not scored"}[f["pass"]]
            why = " (shorter than one window)" if f.get("short") else ""
            print(f"  {r['name']}: {Path(f['file']).name} ({f['label']}): {f['windows']} windows, "
                  f"majority {f['majority']}: {verdict}{why}")  # fmt: skip
    missed = [t for t in result["targets"] if t["met"] is False]
    print(f"  targets: {result['targets_met']} of {result['targets_judged']} met")
    for t in missed:
        print(f"    MISSED {t['set']}: {t['target']} (measured {_pct(t['value'])} %)")
