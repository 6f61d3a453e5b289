"""``rfclassify bench``: measured speed, always against a baseline from the same run."""

from __future__ import annotations

import argparse

from .common import (
    add_frontend_arguments,
    frontend_from_args,
    positive_float,
    positive_int,
    print_json,
)


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "bench",
        help="benchmarks (frontend; models and stream come with the performance work)",
        description="Benchmarks. Each prints a table, or one JSON object with --json.",
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)

    fe = kinds.add_parser(
        "frontend",
        help="spectrogram frontend throughput (MS/s) vs a per-window scipy baseline",
        description=(
            "Run the spectrogram frontend on batches of IQ windows and report sustained "
            "throughput in MS/s (million complex samples per second), pinned to --cores CPUs, "
            "with the speed-up over a straightforward per-window scipy.signal.spectrogram "
            "baseline measured in the same run."
        ),
    )
    fe.add_argument(
        "--rate", type=positive_float, default=30.72e6, help="sample rate (default: %(default)g)"
    )
    fe.add_argument("--batch", type=positive_int, default=8, help="windows per call (default: 8)")
    fe.add_argument(
        "--seconds", type=positive_float, default=3.0, help="measuring time (default: 3)"
    )
    fe.add_argument("--workers", type=positive_int, default=1, help="frontend threads (default: 1)")
    fe.add_argument(
        "--cores", type=positive_int, default=1, help="CPUs to pin the process to (default: 1)"
    )
    fe.add_argument("--no-baseline", action="store_true", help="skip the baseline measurement")
    fe.add_argument("--json", action="store_true", help="print one JSON object")
    add_frontend_arguments(fe)
    fe.set_defaults(run=lambda args: run_frontend(args, fe))

    scan = kinds.add_parser(
        "scan",
        help="Vim's selective-scan forms (sequential, segsum, chunked) in torch and ONNX Runtime",
        description=(
            "Time vim_ultralight with each selective-scan form, in torch eager and in ONNX "
            "Runtime (CPU), at batch 1 and a larger batch, in the same run; report the "
            "speed-up over the sequential reference and check every form against it."
        ),
    )
    scan.add_argument(
        "--batch", type=positive_int, help="throughput batch (default: 8; 32 with --train)"
    )
    scan.add_argument(
        "--seconds", type=positive_float, default=2.0, help="time per measurement (default: 2)"
    )
    scan.add_argument("--no-onnx", action="store_true", help="torch only (no export)")
    scan.add_argument(
        "--train",
        action="store_true",
        help="instead: seconds per training step, hand-written scan backward vs autograd",
    )
    scan.add_argument("--json", action="store_true", help="print one JSON object")
    scan.set_defaults(run=run_scan)


def run_frontend(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..bench.frontend import run_frontend_bench
    from ..errors import RfclassifyError

    config = frontend_from_args(args, parser)
    try:
        config.check_rate(args.rate)
    except ValueError as exc:
        raise RfclassifyError(str(exc)) from None
    result = run_frontend_bench(
        config,
        rate=args.rate,
        batch=args.batch,
        seconds=args.seconds,
        workers=args.workers,
        cores=args.cores,
        baseline=not args.no_baseline,
    )
    if args.json:
        print_json(result)
        return 0
    print(
        f"frontend: {result['msps']:.1f} MS/s (min {result['msps_min']:.1f}, max "
        f"{result['msps_max']:.1f}, {result['runs']} runs) on {result['cores']} core(s), "
        f"{result['workers']} worker(s)"
    )
    print(
        f"  {result['window_samples']} samples/window at {result['rate_msps']:g} MS/s -> "
        f"{config.height}x{config.width}: {result['realtime_factor']:.1f}x real time"
    )
    if "baseline_msps" in result:
        print(
            f"  baseline (per-window scipy.signal.spectrogram): {result['baseline_msps']:.1f} "
            f"MS/s -> speed-up {result['speedup_vs_baseline']:.1f}x"
        )
    return 0


def run_scan(args: argparse.Namespace) -> int:
    import sys

    from ..bench.scan import run_scan_bench, run_train_step_bench

    if args.train:
        result = run_train_step_bench(batch=args.batch or 32)
        if args.json:
            print_json(result)
        else:
            print(
                f"vim_ultralight training step, batch {result['batch']}, 128x128: "
                f"{result['hand_written_backward_s']:.2f} s with the hand-written scan backward, "
                f"{result['autograd_loop_s']:.2f} s with autograd through the loop "
                f"({result['speedup']:.1f}x; {result['examples_per_s']:.0f} examples/s)"
            )
        return 0
    result = run_scan_bench(
        batches=(1, args.batch or 8),
        seconds=args.seconds,
        onnx=not args.no_onnx,
        progress=lambda text: print(f"  {text} ...", file=sys.stderr, flush=True),
    )
    if args.json:
        print_json(result)
        return 0
    print(f"{result['model']}, {result['threads']} torch threads")
    header = ("backend", "scan", "batch", "ms", "win/s", "vs seq", "diff")
    print("{:<12} {:<11} {:>5} {:>9} {:>9} {:>7} {:>9}".format(*header))
    for r in result["rows"]:
        print(
            f"{r['backend']:<12} {r['scan']:<11} {r['batch']:>5} {r['ms']:>9.2f} "
            f"{r['windows_per_s']:>9.1f} {r['speedup_vs_sequential']:>6.2f}x "
            f"{r['max_abs_diff_vs_sequential']:>9.1e}"
        )
    print("fastest: " + ", ".join(f"{k} {v}" for k, v in sorted(result["fastest"].items())))
    return 0
