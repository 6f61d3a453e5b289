"""``rfclassify bench stream``: the whole chain in a real flowgraph, and the soak (``--soak``)."""

from __future__ import annotations

import argparse

from .common import non_negative_float, positive_float, positive_int, print_json


def register_stream(kinds: argparse._SubParsersAction) -> None:
    st = kinds.add_parser(
        "stream",
        help="the whole chain in a GNU Radio flowgraph: MS/s, skipped windows, latency, memory",
        description=(
            "Run a real flowgraph (a looping source of pre-generated IQ -> rfclassify.classifier "
            "-> null sink) three ways: 'max' (no throttle, offline mode: every window classified, "
            "so the flowgraph runs as fast as the classifier keeps up: the sustained throughput), "
            "'paced' (a throttle at --rate, realtime mode, ZMQ on: skipped windows, latency from "
            "a window's last sample entering the block to its record published, p50/p99, CPU, "
            "RSS over time, messages a subscriber got), and with --baseline the seed-style "
            "pipeline (per-window scipy spectrogram + torch eager batch 1 in work()) for the "
            "speed-up."
        ),
        epilog=(
            "examples:\n"
            "  rfclassify bench stream --rate 61.44e6 --seconds 10 --baseline\n"
            "  rfclassify bench stream --model mobilevit-xxs-lte-nr --rate 30.72e6 --json\n"
            "  rfclassify bench stream --soak --seconds 600 --rate 30.72e6 --plot soak.png\n\n"
            "--soak runs the paced phase alone and judges it as an unattended station needs:\n"
            "zero skipped windows, RSS growth under 2 %, zero ZMQ messages lost by a reader\n"
            "that keeps up, no inference error or worker restart; exit 1 if one is missed\n"
            "(make soak: 600 s at 30.72 MS/s, on an otherwise idle machine)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    st.add_argument("--model", default="vim-lte-nr", help="model (default: %(default)s)")
    st.add_argument("--backend", default="onnxruntime", choices=("onnxruntime", "torch"))
    st.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, auto (default: cpu)")
    st.add_argument(
        "--rate", type=positive_float, default=30.72e6, help="sample rate (default: %(default)g)"
    )
    st.add_argument(
        "--window",
        type=non_negative_float,
        default=0.0,
        help="window, ms (default: the model card's)",
    )
    st.add_argument(
        "--seconds", type=positive_float, default=10.0, help="per phase (default: %(default)g)"
    )
    st.add_argument("--threads", type=positive_int, default=1, help="inference threads (1)")
    st.add_argument("--max-batch", type=positive_int, default=8, help="max batch (default: 8)")
    st.add_argument("--baseline", action="store_true", help="also run the seed-style pipeline")
    st.add_argument(
        "--soak",
        action="store_true",
        help="the paced phase alone, judged against the soak targets (exit 1 when one is missed)",
    )
    st.add_argument("--plot", metavar="PNG", help="with --soak: RSS over the run, as a figure")
    st.add_argument("--json", action="store_true", help="print one JSON object")
    st.set_defaults(run=lambda args: run_stream(args, st))


def run_stream(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .common import results_own_stdout

    if args.soak and args.baseline:
        parser.error("--soak runs the paced phase alone: leave out --baseline")
    if args.plot and not args.soak:
        parser.error("--plot draws the soak's RSS: add --soak")

    with results_own_stdout() as out:  # GNU Radio logs to fd 1: keep stdout for the result
        return _run_stream(args, out)


def _run_stream(args: argparse.Namespace, out) -> int:
    import sys

    from ..bench.stream import run_stream_bench

    r = run_stream_bench(
        args.model,
        backend=args.backend,
        device=args.device,
        rate=args.rate,
        window_ms=args.window,
        seconds=args.seconds,
        threads=args.threads,
        max_batch=args.max_batch,
        baseline=args.baseline,
        progress=lambda text: print(f"  {text} ...", file=sys.stderr, flush=True),
        paced_only=args.soak,
    )
    if args.soak:
        return _report_soak(args, r, out)
    if args.json:
        print_json(r, file=out)
        return 0
    top, paced = r["max"], r["paced"]

    def say(text: str) -> None:
        print(text, file=out)

    say(
        f"{r['model']} on {r['backend']}, {r['rate_msps']:g} MS/s, {r['window_samples']} "
        f"samples/window, {r['threads']} thread(s), max batch {r['max_batch']}"
    )
    say(
        f"  max     {top['msps']:8.2f} MS/s sustained, every window classified "
        f"({top['windows']} windows, CPU {top['cpu_percent']:.0f} %{_steal(top)})"
    )
    say(
        f"  paced   {paced['msps']:8.2f} MS/s: {paced['classified']} classified, "
        f"{paced['skipped']} skipped ({paced.get('skipped_in_warmup', 0)} in the first second); "
        f"latency p50 {paced['latency_p50_ms']:.1f} ms, "
        f"p99 {paced['latency_p99_ms']:.1f} ms; CPU {paced['cpu_percent']:.0f} %"
        f"{_steal(paced)}; "
        f"RSS {paced['rss_start_mb']:.0f} -> {paced['rss_end_mb']:.0f} MB; ZMQ "
        f"{paced['zmq_received']}/{paced['zmq_sent']} received, {paced['zmq_lost']} lost"
    )
    if "baseline" in r:
        say(
            f"  baseline {r['baseline']['msps']:7.2f} MS/s (seed-style) -> the chain is "
            f"{r['speedup_vs_baseline']:.1f}x faster"
        )
    verdict = "keeps up" if r["realtime"] else "does NOT keep up"
    say(f"  at {r['rate_msps']:g} MS/s the chain {verdict} (peak RSS {r['peak_rss_mb']:.0f} MB)")
    return 0


def _report_soak(args: argparse.Namespace, r: dict, out) -> int:
    from ..bench.soak import plot_soak, soak_checks

    r["soak"] = soak_checks(r)
    r["soak_met"] = all(c["met"] for c in r["soak"])
    if args.plot:
        plot_soak(r, args.plot)
    if args.json:
        print_json(r, file=out)
    else:
        paced = r["paced"]
        print(
            f"soak: {r['model']} on {r['backend']}, {r['rate_msps']:g} MS/s paced for "
            f"{paced['seconds']:.0f} s ({paced['windows']} windows; latency p50 "
            f"{paced['latency_p50_ms']:.1f} ms, p99 {paced['latency_p99_ms']:.1f} ms)",
            file=out,
        )
        for c in r["soak"]:
            mark = "met   " if c["met"] else "MISSED"
            print(f"  {mark} {c['name']}: {c['observed']} (target {c['target']})", file=out)
    return 0 if r["soak_met"] else 1


def _steal(phase: dict) -> str:
    steal = phase.get("steal_percent")
    return "" if steal is None else f", {steal:.1f} % stolen by the hypervisor"
