"""``rfclassify bench``: measured speed, always against a baseline from the same run."""

from __future__ import annotations

import argparse

from .bench_stream import register_stream
from .common import (
    add_frontend_arguments,
    frontend_from_args,
    non_negative_float,
    positive_float,
    positive_int,
    print_json,
)


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "bench",
        help="benchmarks: frontend, models, the whole stream (a ratio against a baseline)",
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
    _register_models(kinds)
    register_stream(kinds)
    _register_synth(kinds)
    _register_report(kinds)


def run_frontend(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..bench.frontend import run_frontend_bench
    from ..errors import RfclassifyError

    config = frontend_from_args(args, parser)
    try:
        config.check_rate(args.rate)
    except ValueError as exc:
        raise RfclassifyError(str(exc)) from None
    try:
        result = run_frontend_bench(
            config,
            rate=args.rate,
            batch=args.batch,
            seconds=args.seconds,
            workers=args.workers,
            cores=args.cores,
            baseline=not args.no_baseline,
        )
    except MemoryError:  # numpy's allocation of batch x window samples
        raise RfclassifyError(
            f"--batch {args.batch}: not enough memory for that many windows; use a smaller one"
        ) from None
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


# --- bench models: the seeds' benchmark table for every registry model, per backend ---


def _comma_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"{text!r}: give a comma-separated list")
    return names


def _batch_list(text: str) -> list[int]:
    return [positive_int(part) for part in _comma_list(text)]


def _register_models(kinds: argparse._SubParsersAction) -> None:
    parser = kinds.add_parser(
        "models",
        help="params, GFLOPs, latency, throughput, memory of every model, torch vs ONNX Runtime",
        description=(
            "The seeds' benchmark table for every registry model at its native input: params, "
            "GFLOPs (2 x MACs), batch-1 latency (median, p99), windows/s at the best of "
            "--batches, peak RSS growth, per backend (torch eager fp32, ONNX Runtime CPU; CUDA "
            "where a GPU is visible). Each row's speed-up is over torch eager fp32 at batch 1, "
            "and its FLOP/s a fraction of this machine's sgemm peak, all measured in the same run."
        ),
    )
    parser.add_argument(
        "--models", type=_comma_list, metavar="NAME,...", help="default: every registry model"
    )
    parser.add_argument(
        "--backends",
        type=_comma_list,
        metavar="B,...",
        help="torch, onnxruntime, onnxruntime-cuda, torch-cuda (default: every one available)",
    )
    parser.add_argument(
        "--batches",
        type=_batch_list,
        default=[1, 8, 32],
        metavar="N,...",
        help="batches to find the best throughput among; 1 is always timed (default: 1,8,32)",
    )
    parser.add_argument(
        "--runs", type=positive_int, help="batch-1 calls timed per row (default: 50; 5 --quick)"
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        help="torch threads = ONNX Runtime intra-op threads (default: every usable core)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer warm-ups and runs: a smoke test, not a figure"
    )
    parser.add_argument(
        "--served",
        action="store_true",
        help="time every model on the shipped models' input (1x128x128) instead of its native one",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--plot", metavar="PNG", help="also draw throughput and latency here")
    parser.set_defaults(run=lambda args: run_models(args, parser))


def run_models(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import sys

    from ..bench.models import (
        check_names,
        check_request,
        format_table,
        plot_models,
        run_models_bench,
    )
    from ..errors import RfclassifyError

    try:
        check_names(args.models, args.backends)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        check_request(args.models, args.backends)
    except ValueError as exc:
        raise RfclassifyError(str(exc)) from None
    result = run_models_bench(
        models=args.models,
        backends=args.backends,
        batches=args.batches,
        runs=args.runs,
        threads=args.threads,
        quick=args.quick,
        img_size=128 if args.served else None,
        in_chans=1 if args.served else None,
        progress=lambda text: print(f"  {text} ...", file=sys.stderr, flush=True),
    )
    if args.plot:
        plot_models(result, args.plot)
        print(f"  wrote {args.plot}", file=sys.stderr)
    if args.json:
        print_json(result)
    else:
        print(format_table(result))
    return 0


# --- bench synth: dataset synthesis examples/s per core, against an earlier commit ---


def _register_synth(kinds: argparse._SubParsersAction) -> None:
    sy = kinds.add_parser(
        "synth",
        help="dataset synthesis (make_example) examples/s per core vs the generator at a commit",
        description=(
            "Make N examples of the default recipe (draw, render, spectrogram: what 'dataset "
            "build' does per example) with one worker and one thread, with this checkout's code "
            "and with the code of git commit --baseline on its own default recipe, each in a "
            "fresh process, alternating the two so both see the same host load. Prints the "
            "median and range of examples/s per core for each, their ratio, and the CPU time "
            "stolen by the hypervisor meanwhile. Needs a git checkout holding that commit."
        ),
    )
    sy.add_argument(
        "--n", type=positive_int, default=200, help="examples per run (default: %(default)s)"
    )
    sy.add_argument(
        "--baseline",
        default="5f4ba29",
        metavar="REF",
        help="git commit to compare against (default: %(default)s)",
    )
    sy.add_argument(
        "--runs", type=positive_int, default=3, help="baseline/current pairs (default: 3)"
    )
    sy.add_argument(
        "--seconds",
        type=non_negative_float,
        default=0.0,
        help="keep adding pairs until this much time has passed (default: just --runs)",
    )
    sy.add_argument("--seed", type=int, default=0, help="dataset seed (default: 0)")
    sy.add_argument("--json", action="store_true", help="print one JSON object")
    sy.set_defaults(run=run_synth)


def run_synth(args: argparse.Namespace) -> int:
    import sys

    from ..bench.synth import format_synth, run_synth_bench

    result = run_synth_bench(
        count=args.n,
        baseline=args.baseline,
        runs=args.runs,
        seconds=args.seconds,
        seed=args.seed,
        progress=lambda text: print(f"  {text} ...", file=sys.stderr, flush=True),
    )
    if args.json:
        print_json(result)
    else:
        print(format_synth(result))
    return 0


# --- bench report: docs/performance.md from the JSON the benchmarks saved ---


def _register_report(kinds: argparse._SubParsersAction) -> None:
    from pathlib import Path

    rp = kinds.add_parser(
        "report",
        help="render docs/performance.md (tables, targets, plots) from saved bench JSON results",
        description=(
            "Render a Markdown page from the JSON objects that 'rfclassify bench ... --json' "
            "printed, saved one per file in --results: the machine, issue 8's targets (met or "
            "MISSED, by how much), the stream, models and frontend tables, and PNG plots. A "
            "benchmark missing from the folder is left out of the page. "
            "scripts/performance.sh measures and renders in one go."
        ),
    )
    rp.add_argument("--results", type=Path, required=True, metavar="DIR", help="folder of *.json")
    rp.add_argument(
        "--out", type=Path, default=Path("docs/performance.md"), help="page (default: %(default)s)"
    )
    rp.add_argument(
        "--img-dir", type=Path, metavar="DIR", help="plots (default: OUT's folder/img/performance)"
    )
    rp.set_defaults(run=run_report)


def run_report(args: argparse.Namespace) -> int:
    import sys

    from ..bench.report import load_results, render_report

    results = load_results(args.results)
    img_dir = args.img_dir or args.out.parent / "img" / "performance"
    render_report(results, args.out, img_dir)
    print(f"wrote {args.out} from {len(results)} result(s), plots in {img_dir}", file=sys.stderr)
    return 0
