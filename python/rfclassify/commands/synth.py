"""``rfclassify synth``: synthetic signals as SigMF recordings with ground-truth annotations."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import non_negative_float, positive_float, positive_int

SIGNALS = ("testpattern",)


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "synth",
        help="write a synthetic signal as a SigMF recording",
        description=(
            "Synthesise a signal and write it as a SigMF recording whose annotations give the "
            "ground truth (time, frequency edges, label) of every component. 'testpattern': a CW "
            "carrier, gated OFDM bursts and a chirp in noise, for checking frontends by eye."
        ),
    )
    parser.add_argument("signal", choices=SIGNALS, help="what to synthesise")
    parser.add_argument("--out", type=Path, required=True, help="output .sigmf-meta path")
    parser.add_argument(
        "--rate", type=positive_float, default=15.36e6, help="sample rate (default: %(default)g)"
    )
    parser.add_argument(
        "--seconds", type=positive_float, default=0.08, help="duration (default: %(default)g)"
    )
    parser.add_argument(
        "--center-freq",
        type=non_negative_float,
        default=2.6e9,
        metavar="HZ",
        help="centre frequency written to the metadata (default: %(default)g)",
    )
    parser.add_argument("--snr", type=float, default=30.0, help="SNR in dB (default: 30)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--datatype",
        default="cf32_le",
        help="SigMF sample format: cf32_le, ci16_le, ci8, cu8, cf64_le (default: %(default)s)",
    )
    parser.add_argument(
        "--max-samples", type=positive_int, default=200_000_000, help=argparse.SUPPRESS
    )
    parser.set_defaults(run=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..io import write_recording
    from ..signals import test_pattern

    if args.rate * args.seconds > args.max_samples:
        parser.error(f"{args.rate * args.seconds:.0f} samples is too long for one recording")
    samples, parts = test_pattern(args.rate, args.seconds, seed=args.seed, snr_db=args.snr)
    annotations = [
        {
            "core:sample_start": p.start,
            "core:sample_count": p.count,
            "core:label": p.label,
            "core:freq_lower_edge": args.center_freq + p.freq_low,
            "core:freq_upper_edge": args.center_freq + p.freq_high,
        }
        for p in parts
    ]
    meta = write_recording(
        args.out,
        samples,
        args.rate,
        center_freq=args.center_freq,
        annotations=annotations,
        datatype=args.datatype,
        description=f"rfclassify synth {args.signal} (seed {args.seed}, SNR {args.snr:g} dB)",
    )
    print(
        f"wrote {meta}: {samples.size} samples at {args.rate / 1e6:g} MS/s, "
        f"{len(parts)} annotations"
    )
    return 0
