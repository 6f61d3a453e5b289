"""``rfclassify spectrogram``: render what the model sees of a recording, in real units."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import RfclassifyError
from .common import (
    add_frontend_arguments,
    add_recording_arguments,
    frontend_from_args,
    non_negative_float,
    open_recording_from_args,
    positive_int,
    print_json,
)

MAX_WINDOWS = 64


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "spectrogram",
        help="render the frontend's view of a recording as a PNG",
        description=(
            "Cut a recording into consecutive windows, run the spectrogram frontend on each, and "
            "draw them side by side with time (ms) and frequency (MHz) axes. What you see is "
            "exactly what a model with the same frontend config receives."
        ),
    )
    add_recording_arguments(parser)
    parser.add_argument("--out", type=Path, required=True, help="PNG file to write")
    parser.add_argument(
        "--start", type=non_negative_float, default=0.0, metavar="S", help="start time (s)"
    )
    parser.add_argument(
        "--windows",
        type=positive_int,
        default=4,
        metavar="N",
        help=f"consecutive windows to show (default: %(default)s, at most {MAX_WINDOWS})",
    )
    parser.add_argument(
        "--view",
        choices=["db", "model"],
        default="db",
        help="db: power in dBFS before normalisation (default); model: the normalised input",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary of the figure")
    add_frontend_arguments(parser)
    parser.set_defaults(run=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..dsp import Frontend, normalise
    from ..viz import render_spectrogram

    config = frontend_from_args(args, parser)
    rec = open_recording_from_args(args, parser)
    frontend = Frontend(config)
    try:
        geo = frontend.geometry(rec.sample_rate)
    except ValueError as exc:
        raise RfclassifyError(f"{rec.path}: {exc}") from None
    length = geo.window_length
    first = round(args.start * rec.sample_rate)
    available = (rec.num_samples - first) // length
    if available < 1:
        raise RfclassifyError(
            f"{rec.path}: {max(rec.num_samples - first, 0)} samples from {args.start:g} s on, "
            f"fewer than one {length / rec.sample_rate * 1e3:g} ms window ({length} samples); "
            "use an earlier --start or a shorter --window-ms"
        )
    count = min(args.windows, available, MAX_WINDOWS)
    samples = rec.read(first, count * length).reshape(count, length)
    db, valid = frontend.power_db(samples, rec.sample_rate)
    image = normalise(db[:, None], config)[:, 0] if args.view == "model" else db
    args.out.parent.mkdir(parents=True, exist_ok=True)
    render_spectrogram(
        image,
        geo,
        args.out,
        start_time=first / rec.sample_rate,
        center_freq=rec.center_freq,
        title=(rec.meta_path or rec.path).name,
        colorbar_label="normalised model input"
        if args.view == "model"
        else "power per row (dBFS, averaged over the column)",
        annotations=rec.annotations,
        invalid=~valid,
    )
    summary = {
        "out": str(args.out),
        "recording": str(rec.path),
        "sample_rate": rec.sample_rate,
        "center_freq": rec.center_freq,
        "start_sample": first,
        "windows": count,
        "window_samples": length,
        "invalid_windows": [int(i) for i in (~valid).nonzero()[0]],
        "view": args.view,
        "frontend": config.to_dict(),
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"wrote {args.out}: {count} window{'s' if count != 1 else ''} of "
            f"{length / rec.sample_rate * 1e3:g} ms "
            f"at {rec.sample_rate / 1e6:g} MS/s, {config.height}x{config.width} each"
        )
    return 0
