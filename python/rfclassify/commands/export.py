"""``rfclassify export``: a model or checkpoint to ONNX, with its card and a parity check."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ..errors import RfclassifyError
from .common import positive_float, positive_int, print_json


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
            "examples:\n"
            "  rfclassify export vim_ultralight --in-chans 1 --out vim.onnx\n"
            "  rfclassify export runs/vim/best.safetensors --out models/vim-lte-nr.onnx\n"
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
        "--calibration", type=positive_int, default=32, help="spectrograms for static int8 (32)"
    )
    parser.add_argument(
        "--atol", type=positive_float, default=1e-4, help="fp32 parity bound (default: 1e-4)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..models.card import load_any
    from ..models.export import export_model

    model, card = load_any(args.model, args.classes, args.in_chans)
    precision = "fp16" if args.fp16 else "int8" if args.int8 else "fp32"
    if args.out.suffix != ".onnx":
        raise RfclassifyError(f"--out {args.out}: use a .onnx file name")
    with tempfile.TemporaryDirectory() as tmp:
        report = export_model(
            model,
            card,
            args.out,
            precision=precision,
            int8_mode=args.int8 or "dynamic",
            calibration=args.calibration,
            atol=args.atol,
            workdir=Path(tmp),
        )
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
    return 0
