"""``rfclassify classify``: a recording, window by window, with the engine the block runs.

The recording is replayed through ``inference.StreamClassifier`` in ``offline`` mode, so a file
gets exactly the windows, labels and records the GNU Radio block would tag on the same samples,
and none is skipped. It is read in bounded chunks: memory does not grow with the file. SigMF
captures play the part of an SDR's tags (SigMF v1.2 §Captures): ``core:datetime`` anchors the
records' ``time`` as an ``rx_time`` tag would, and ``core:frequency`` sets ``center_freq`` as
``rx_freq`` does (a new frequency restarts windowing, so no window straddles a retune). The
captures are read by ``inference.recording``, which also cuts the evaluation suite's windows.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from ..errors import RecordingError, RfclassifyError
from .common import finite_float, positive_float, positive_int, probability, sample_format

SIGMF_SUFFIXES = (".sigmf-meta", ".sigmf-data", ".sigmf")


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "classify",
        help="classify a SigMF recording or raw IQ file window by window (LTE / NR / Noise / ...)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Cut a recording into windows and classify every one with the same engine as the\n"
            "GNU Radio block (offline mode: no window is skipped). Prints a table and a summary\n"
            "per label, or with --json one result record per line (the fields of the ZMQ feed\n"
            "and the stream tags). Times come from the SigMF core:datetime when the recording\n"
            "has one (time_source rx_time), else from the host clock.\n\n"
            "examples:\n"
            "  rfclassify classify capture.sigmf-meta\n"
            "  rfclassify classify capture.sigmf-meta --json > labels.jsonl\n"
            "  rfclassify classify capture.cfile --rate 7.68e6 --dtype cf32_le "
            "--center-freq 806e6\n"
            "  rfclassify classify rtl.bin --rate 1.92e6 --dtype cu8 --model "
            "mobilevit-xxs-lte-nr\n"
            "  rfclassify classify capture.sigmf-meta --hop 10 --min-confidence 0.8 "
            "--threads 4"
        ),
    )
    parser.add_argument(
        "recording",
        type=Path,
        metavar="REC",
        help="SigMF recording (.sigmf-meta or .sigmf-data) or raw IQ file (needs --rate, --dtype)",
    )
    model = parser.add_argument_group("model")
    model.add_argument(
        "--model", metavar="M", help="shipped model name or .onnx / .safetensors path "
        "(default: vim-lte-nr; shipped: vim-lte-nr, mobilevit-xxs-lte-nr)",
    )  # fmt: skip
    model.add_argument(
        "--backend", choices=["onnxruntime", "torch"], default="onnxruntime",
        help="inference runtime (default: %(default)s)",
    )  # fmt: skip
    model.add_argument(
        "--device",
        default="cpu",
        metavar="D",
        help="cpu, cuda, cuda:N or auto (default: %(default)s); CUDA asked for but absent "
        "falls back to the CPU with a warning",
    )
    model.add_argument(
        "--strict-device",
        action="store_true",
        help="with --device cuda: fail instead of falling back to the CPU",
    )
    model.add_argument(
        "--threads",
        type=positive_int,
        metavar="N",
        help="inference threads (default: the usable cores, <= 8)",
    )
    model.add_argument(
        "--max-batch", type=positive_int, default=8, metavar="N",
        help="windows per inference call (default: %(default)s)",
    )  # fmt: skip
    windows = parser.add_argument_group("windows")
    windows.add_argument(
        "--window", type=positive_float, metavar="MS", help="window duration (default: the model's)"
    )
    windows.add_argument(
        "--hop", type=positive_float, metavar="MS",
        help="start-to-start distance of windows (default: contiguous windows)",
    )  # fmt: skip
    windows.add_argument(
        "--min-confidence", type=probability, default=0.0, metavar="C",
        help="drop records whose top probability is below C, counted (default: 0)",
    )  # fmt: skip
    raw = parser.add_argument_group("raw IQ files (SigMF recordings carry these themselves)")
    raw.add_argument("--rate", type=positive_float, metavar="R", help="sample rate (S/s)")
    raw.add_argument(
        "--dtype", type=sample_format, metavar="T",
        help="sample format: cf32_le (GNU Radio .cfile), ci16_le, ci8, cu8 (rtl_sdr), cf64_le",
    )  # fmt: skip
    raw.add_argument(
        "--center-freq", type=finite_float, metavar="F",
        help="centre frequency (Hz); for SigMF it overrides core:frequency",
    )  # fmt: skip
    out = parser.add_argument_group("output")
    out.add_argument(
        "--json", action="store_true", help="one result record (JSON) per line, nothing else"
    )
    out.add_argument("--quiet", action="store_true", help="no progress bar, no summary on stderr")
    parser.set_defaults(run=lambda args: run(args, parser))


def _open(args: argparse.Namespace, parser: argparse.ArgumentParser):
    """The SigMF recording or raw file ``args`` name; a raw file must say its rate and format,
    since a wrong guess would give confident labels for garbage."""
    from ..io import open_raw, open_recording

    path: Path = args.recording
    if path.name.endswith(SIGMF_SUFFIXES) or path.with_name(path.name + ".sigmf-meta").exists():
        return open_recording(path)
    if not path.exists():
        raise RecordingError(path, "file not found")
    if args.rate is None or args.dtype is None:
        parser.error(f"{path} is not a SigMF recording: give its --rate and --dtype")
    return open_raw(path, args.rate, args.dtype, args.center_freq)


class _Tally:
    """Counts per label and their summed confidence: the summary without keeping records."""

    def __init__(self, classes: list[str]):
        self.count = dict.fromkeys(classes, 0)
        self.confidence = dict.fromkeys(classes, 0.0)
        self.invalid = 0

    def add(self, record) -> None:
        if not record.valid:
            self.invalid += 1
            return
        self.count[record.label] = self.count.get(record.label, 0) + 1
        self.confidence[record.label] = self.confidence.get(record.label, 0.0) + record.confidence

    @property
    def valid(self) -> int:
        return sum(self.count.values())


def _row(record, rate: float) -> str:
    when = record.time[11:-1] if record.time_source == "rx_time" else "-"
    others = sorted(record.probs.items(), key=lambda kv: -kv[1])
    top = "  ".join(f"{k} {v:.3f}" for k, v in others if k != record.label)[:40]
    return (
        f"{record.start:>12} {record.start / rate:>10.3f} {when:<15} {record.label:<8} "
        f"{record.confidence:>6.3f}  {top}"
    )


def _header(rec, engine, stream, start_posix: float | None) -> str:
    from ..io import iso_from_epoch

    freq = "" if stream.center_freq is None else f", centre {stream.center_freq / 1e6:g} MHz"
    start = "" if start_posix is None else f", starts {iso_from_epoch(start_posix)}"
    hop = "" if stream.hop_s is None else f", hop {stream.hop_s * 1e3:g} ms"
    window_ms = stream.window / rec.sample_rate * 1e3
    return (
        f"{rec.meta_path or rec.path}: {rec.sample_rate / 1e6:g} MS/s, {rec.duration:.3f} s"
        f"{freq}{start}\n{engine.describe()}: windows of {stream.window} samples "
        f"({window_ms:g} ms){hop}\n"
        f"{'start':>12} {'offset (s)':>10} {'time (UTC)':<15} {'label':<8} {'conf':>6}  others"
    )


def _summary(tally: _Tally, counts: dict, partial: int, elapsed: float, samples: int) -> list[str]:
    lines = [f"{'label':<8} {'count':>8} {'share':>7} {'mean conf':>9}"]
    for label, n in tally.count.items():
        share = f"{100 * n / tally.valid:6.1f}%" if tally.valid else "      -"
        mean = f"{tally.confidence[label] / n:9.3f}" if n else f"{'-':>9}"
        lines.append(f"{label:<8} {n:>8} {share} {mean}")
    windows = int(counts["windows"])
    lines.append(
        f"{windows} windows: {tally.valid} classified, {tally.invalid} invalid (NaN/Inf input "
        f"or a failed batch), {int(counts['below_confidence'])} below --min-confidence, "
        f"{partial} partial (not classified)"
    )
    lines.append(_speed(windows, samples, elapsed))
    return lines


def _speed(windows: int, samples: int, elapsed: float) -> str:
    elapsed = max(elapsed, 1e-9)
    return f"{elapsed:.2f} s: {windows / elapsed:.1f} windows/s, {samples / elapsed / 1e6:.2f} MS/s"


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        return _classify(args, parser)
    except BrokenPipeError:  # `rfclassify classify ... | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit does not complain
        return 0


def _classify(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from tqdm import tqdm

    from ..inference import DEFAULT_MODEL, Classifier, recording_segments

    rec = _open(args, parser)
    name = rec.meta_path or rec.path

    def warn(text: str) -> None:
        if not args.quiet:
            print(f"rfclassify classify: warning: {text}", file=sys.stderr)

    segments = recording_segments(rec, args.center_freq, warn)
    threads = args.threads or min(8, len(os.sched_getaffinity(0)))
    engine = Classifier(
        args.model or DEFAULT_MODEL,
        args.backend,
        args.device,
        threads,
        args.window,
        strict_device=args.strict_device,
        logger=SimpleNamespace(warning=warn),
    )
    stream = _stream(engine, rec, args, name)
    if rec.num_samples < stream.window and args.window is None:
        # A recording shorter than the card's window, but as long as windows the model was
        # trained on: one window of the whole recording, said so.
        shorter = _short_window_ms(engine.card, rec.num_samples, rec.sample_rate)
        if shorter is not None:
            card_ms = stream.window / rec.sample_rate * 1e3
            engine.set_window(shorter)
            stream = _stream(engine, rec, args, name)
            warn(
                f"{name} is {rec.num_samples / rec.sample_rate * 1e3:.3g} ms, shorter than the "
                f"model's {card_ms:g} ms window; classifying {shorter:g} ms windows, a length "
                "it was trained on"
            )
    if rec.num_samples < stream.window:
        what = f" (it was trained on {engine.card.trained_window_text()} windows)"
        raise RfclassifyError(
            f"{name}: {rec.num_samples} samples, fewer than one "
            f"{stream.window / rec.sample_rate * 1e3:g} ms window ({stream.window} samples)"
            f"{what}; use a shorter --window"
        )
    tally = _Tally(engine.classes)
    # On stderr when it is a terminal (a bar in a log file is noise), unless --quiet.
    bar = tqdm(
        total=rec.num_samples, unit="S", unit_scale=True, desc="classifying", file=sys.stderr,
        disable=True if args.quiet else None, delay=0.5, leave=False,
    )  # fmt: skip

    def say(text: str) -> None:
        if bar.disable:
            print(text)
        else:
            tqdm.write(text, file=sys.stdout)  # clears the bar first, so lines stay whole

    def emit(records) -> None:
        for record in records:
            tally.add(record)
            say(record.to_json() if args.json else _row(record, rec.sample_rate))

    def header(posix: float | None) -> None:
        if not args.json:
            say(_header(rec, engine, stream, posix))

    began = time.monotonic()
    try:
        counts, partial = _replay(stream, rec, segments, emit, header, bar.update, args.max_batch)
    finally:
        bar.close()
    elapsed = time.monotonic() - began
    windows = int(counts["windows"])
    if not args.json:
        print()
        print("\n".join(_summary(tally, counts, partial, elapsed, rec.num_samples)))
    elif not args.quiet:
        print(
            f"rfclassify classify: {windows} windows, {tally.invalid} invalid, {partial} "
            f"partial; {_speed(windows, rec.num_samples, elapsed)}",
            file=sys.stderr,
        )
    return 0


def _stream(engine, rec, args: argparse.Namespace, name: str):
    from ..inference.stream import StreamClassifier

    try:
        return StreamClassifier(
            engine,
            rec.sample_rate,
            hop_s=None if args.hop is None else args.hop * 1e-3,
            mode="offline",
            max_batch=args.max_batch,
            min_confidence=args.min_confidence,
        )
    except RfclassifyError as exc:  # a rate the model cannot serve: it says which it can
        raise RfclassifyError(f"{name}: {exc}") from None


WINDOW_STEP_MS = 0.5


def _short_window_ms(card, samples: int, sample_rate: float) -> float | None:
    """The longest window (a multiple of 0.5 ms) that fits ``samples`` and lies within the
    lengths the model was trained on; None where the recording is shorter than all of them."""
    trained = card.trained_window_ms()
    if trained is None:
        return None
    lo, hi = trained
    fits = math.floor(samples / sample_rate * 1e3 / WINDOW_STEP_MS + 1e-9) * WINDOW_STEP_MS
    while fits >= lo and round(fits * 1e-3 * sample_rate) > samples:
        fits -= WINDOW_STEP_MS
    return min(fits, hi) if fits >= lo else None


def _replay(stream, rec, segments, emit, header, advance, max_batch: int) -> tuple[dict, int]:
    """Push the recording through ``stream`` chunk by chunk, captures applied as SDR tags would
    be; ``emit`` gets the records in stream order. Returns the counters and partial windows."""
    from ..inference.recording import chunk_length

    chunk = chunk_length(stream.window, max_batch)
    stream.start()
    try:
        for index, (first, stop, freq, posix) in enumerate(segments):
            if freq is not None:
                stream.rx_freq(first, float(freq))
            if posix is not None:
                stream.rx_time(first, posix)
            if index == 0:
                header(posix)
            for pos, samples in rec.chunks(chunk, first, stop):
                stream.push(samples, pos)
                emit(stream.collect())
                # Records are emitted as they come; releasing keeps the pending list short.
                stream.take_released(stream.release_limit(pos + samples.size))
                advance(samples.size)
        assert stream.worker is not None
        while not stream.worker.drain(0.2):
            emit(stream.collect())
        emit(stream.collect())
        counts = stream.counters()
        # A tail shorter than a window is not classified (the block drops it the same way).
        partial = int(counts["partial"]) + (1 if stream.windower.buffered else 0)
    finally:
        stream.stop()
    return counts, partial
