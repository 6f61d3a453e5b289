"""``rfclassify models``: the registry, with parameters and multiply-accumulates."""

from __future__ import annotations

import argparse

from .common import positive_int, print_json


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "models",
        help="list the model zoo: family, native input, parameters, GMACs",
        description=(
            "List every registered architecture with its native input, parameter count and "
            "multiply-accumulates of one forward pass at batch 1. MACs come from PyTorch's "
            "torch.utils.flop_counter (conv, linear, matmul, attention; FLOPs / 2), comparable "
            "with the THOP 'FLOPs' of the seeds' tables; elementwise work (norms, activations, "
            "Vim's scan recurrence) is not counted by either."
        ),
    )
    parser.add_argument(
        "--classes", type=positive_int, default=4, help="output classes (default: 4)"
    )
    parser.add_argument("--in-chans", type=int, choices=[1, 3], help="input planes")
    parser.add_argument("--family", help="only this family (vim, mobilevit, vit, ...)")
    parser.add_argument("--no-macs", action="store_true", help="skip counting MACs (faster)")
    parser.add_argument("--json", action="store_true", help="one JSON list")
    parser.set_defaults(run=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..models import create_model, list_models, model_spec
    from ..models.flops import count_macs, count_params

    families = sorted({model_spec(name).family for name in list_models()})
    if args.family and args.family not in families:
        parser.error(f"--family {args.family}: no such family; use {', '.join(families)}")
    rows = []
    for name in list_models():
        spec = model_spec(name)
        if args.family and spec.family != args.family:
            continue
        chans = args.in_chans or spec.in_chans
        model = create_model(name, num_classes=args.classes, in_chans=chans)
        shape = (chans, spec.img_size, spec.img_size)
        row = {
            "name": name,
            "family": spec.family,
            "input": list(shape),
            "params": count_params(model),
            "macs": None if args.no_macs else count_macs(model, shape),
            "summary": spec.summary,
        }
        rows.append(row)
        del model
    if args.json:
        print_json(rows)
        return 0
    print(f"{'model':<22} {'family':<12} {'input':<12} {'params (M)':>10} {'GMACs':>8}")
    for r in rows:
        size = "x".join(str(v) for v in r["input"])
        macs = "" if r["macs"] is None else f"{r['macs'] / 1e9:.3f}"
        print(f"{r['name']:<22} {r['family']:<12} {size:<12} {r['params'] / 1e6:>10.3f} {macs:>8}")
    print(f"({args.classes} classes; MACs by torch.utils.flop_counter, FLOPs / 2, batch 1)")
    return 0
