"""``rfclassify export``: a model or checkpoint to ONNX, with its card and a parity check."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ..errors import RfclassifyError
from .common import invocation, positive_float, positive_int, print_json

DEFAULT_CALIBRATION = 32  # spectrograms static int8 calibrates on


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "export",
        help="export a model (registry name or checkpoint) to ONNX, parity-checked",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Export to ONNX with a dynamic batch axis. The model card (classes, frontend,\n"
            "architecture) goes into the file's metadata and next to it as OUT.json (with the\n"
            "file's sha256). Parity is checked on random inputs and on real synthetic\n"
            "spectrograms: ONNX Runtime vs PyTorch, max |difference| <= --atol in fp32, or the\n"
            "export fails. --fp16 / --int8 write that precision instead and report its size\n"
            "and agreement with PyTorch fp32.\n\n"
            "--test DIR (a held-out set, another seed than training) measures the checkpoint on\n"
            "it, writes the metrics, the targets and the commands that reproduce the model into\n"
            "the card, then evaluates the exported file on the same set: it must predict the same\n"
            "class as the checkpoint on >= 99.9 % of the examples, or the export fails.\n\n"
            "examples:\n"
            "  rfclassify export vim_ultralight --in-chans 1 --out vim.onnx\n"
            "  rfclassify export runs/vim/best.safetensors --out models/vim-lte-nr.onnx \\\n"
            "      --test data/test\n"
            "  rfclassify export runs/vim/best.safetensors --int8 static --out vim-int8.onnx"
        ),
    )
    parser.add_argument(
        "model", metavar="MODEL", help="registry name (fresh weights) or checkpoint .safetensors"
    )
    parser.add_argument("--out", type=Path, required=True, help="output .onnx path")
    parser.add_argument(
        "--classes", type=positive_int, default=4, help="outputs, for a registry name (4)"
    )
    parser.add_argument("--in-chans", type=int, choices=[1, 3], help="for a registry name")
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--fp16", action="store_true", help="write an fp16 model")
    precision.add_argument(
        "--int8",
        nargs="?",
        const="dynamic",
        choices=["dynamic", "static"],
        help="write an int8 model: dynamic (default) or static (calibrated)",
    )
    parser.add_argument(
        "--calibration",
        type=positive_int,
        help=f"spectrograms for --int8 static ({DEFAULT_CALIBRATION})",
    )
    parser.add_argument(
        "--atol", type=positive_float, default=1e-4, help="fp32 parity bound (default: 1e-4)"
    )
    parser.add_argument(
        "--test", type=Path, metavar="DIR", help="held-out test set: metrics into the card"
    )
    parser.add_argument(
        "--name", help="the model's name in its card (default: the output file's stem)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..models.card import load_any
    from ..training.export import export_model

    if args.out.suffix != ".onnx":
        parser.error(f"--out {args.out}: use a .onnx file name")
    if args.test and Path(args.model).suffix != ".safetensors":
        parser.error("--test needs a trained checkpoint (.safetensors)")
    if args.calibration is not None and args.int8 != "static":
        parser.error("--calibration sets the spectrograms of --int8 static: give both, or neither")
    model, card = load_any(args.model, args.classes, args.in_chans)
    precision = "fp16" if args.fp16 else "int8" if args.int8 else "fp32"
    if args.name or args.test:
        card.name = args.name or args.out.stem
    test = None
    if args.test:
        test = _measure(args, card)
    with tempfile.TemporaryDirectory() as tmp:
        report = export_model(
            model,
            card,
            args.out,
            precision=precision,
            int8_mode=args.int8 or "dynamic",
            calibration=args.calibration or DEFAULT_CALIBRATION,
            atol=args.atol,
            workdir=Path(tmp),
        )
    if test is not None:
        report["test"] = _check_exported(args, test)
    if args.json:
        print_json(report)
        return 0
    print(
        f"wrote {report['path']} ({report['bytes'] / 1e6:.2f} MB, {precision}, opset "
        f"{report['opset']}) and {report['card']}"
    )
    print(
        f"  fp32 parity: max |ONNX - torch| = {report['fp32_max_abs_diff']:.2g} "
        f"(bound {args.atol:g}) on {report['parity_inputs']} inputs"
    )
    if precision != "fp32":
        print(
            f"  {precision}: {report['bytes'] / 1e6:.2f} MB vs fp32 "
            f"{report['fp32_bytes'] / 1e6:.2f} MB; max |logit diff| "
            f"{report['max_abs_diff']:.3g}, top-1 agreement "
            f"{100 * report['top1_agreement']:.1f} % on {report['real_inputs']} real spectrograms"
        )
    if test is not None:
        t = report["test"]
        print(
            f"  test set {args.test} (seed {t['seed']}, {t['count']} examples): accuracy "
            f"{100 * t['accuracy']:.2f} %, macro-F1 {t['macro_f1']:.4f}; the ONNX file agrees "
            f"with the checkpoint on {100 * t['onnx_agreement']:.2f} %"
        )
        for row in t["targets"]:
            verdict = {True: "met", False: "MISSED", None: "no data"}[row["met"]]
            value = "n/a" if row["value"] is None else f"{row['value']:.4f}"
            print(f"    {row['target']:<52} {value:>8}  {verdict}")
    return 0


def _measure(args: argparse.Namespace, card) -> dict:
    """The checkpoint on the test set; the card gets the metrics and the reproduce commands."""
    from ..datasets.dataset import SpectrogramDataset
    from ..training import release
    from ..training.evaluate import Predictor, evaluate

    dataset = SpectrogramDataset(args.test)
    result = evaluate(Predictor(args.model), dataset, progress=not (args.quiet or args.json))
    card.metrics["test"] = release.card_metrics(result, dataset)
    card.reproduce = release.reproduce(card, dataset, invocation())
    return {"dataset": dataset, "result": result}


def _check_exported(args: argparse.Namespace, test: dict) -> dict:
    """The exported file on the same test set must give the checkpoint's predictions."""
    from ..training import release
    from ..training.evaluate import Predictor, evaluate

    dataset, expected = test["dataset"], test["result"]
    got = evaluate(Predictor(args.out), dataset, progress=not (args.quiet or args.json))
    same = release.agreement(expected["predictions"], got["predictions"])
    floor = 0.999 if not (args.fp16 or args.int8) else 0.99
    if not same >= floor:
        raise RfclassifyError(
            f"{args.out} predicts the checkpoint's class on only {100 * same:.2f} % of "
            f"{args.test} (at least {100 * floor:g} % required)"
        )
    return {
        "seed": dataset.seed,
        "count": len(dataset),
        "accuracy": expected["accuracy"],
        "macro_f1": expected["macro_f1"],
        "onnx_accuracy": got["accuracy"],
        "onnx_agreement": same,
        "targets": release.target_report(expected),
    }
