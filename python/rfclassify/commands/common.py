"""Argument groups that several verbs share, declared once so the verbs cannot drift apart."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shlex
import sys
from pathlib import Path

from ..dsp import FrontendConfig
from ..dsp.config import EXTRA_PLANES, NORMALISATIONS
from ..errors import RfclassifyError


def _number(convert, accept, requirement: str):
    """An argparse ``type`` that parses with ``convert`` and rejects values ``accept`` refuses."""
    noun = "an integer" if convert is int else "a number"

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
        if not (math.isfinite(value) and accept(value)):
            raise argparse.ArgumentTypeError(f"{text!r} must be {requirement}")
        return value

    return parse


def invocation() -> str:
    """This process's command line as a user would type it (model cards cite it)."""
    return shlex.join(["rfclassify", *sys.argv[1:]])


def json_object(text: str) -> dict:
    """An argparse ``type`` for a JSON object on the command line (``--model-args``)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object, e.g. '{\"depth\": 4}'")
    return value


def fraction(text: str) -> float:
    """An argparse ``type`` for a share in (0, 1] (``--label-fraction``, ``--fractions``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} must be in (0, 1], e.g. 0.1 for 10 %")
    return value


positive_float = _number(float, lambda v: v > 0, "a finite number > 0")
non_negative_float = _number(float, lambda v: v >= 0, "a finite number >= 0")
positive_int = _number(int, lambda v: v >= 1, ">= 1")
non_negative_int = _number(int, lambda v: v >= 0, ">= 0")
finite_float = _number(float, lambda v: True, "a finite number")  # float() takes 'nan', 'inf'
probability = _number(float, lambda v: 0.0 <= v <= 1.0, "between 0 and 1")
below_one = _number(float, lambda v: 0.0 <= v < 1.0, "in [0, 1), e.g. 0.5")


def sample_format(text: str) -> str:
    """An argparse ``type`` for an IQ sample format (``--dtype``): a SigMF name or an alias."""
    from ..io.datatypes import normalise_datatype

    try:
        normalise_datatype(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def image_size(text: str) -> tuple[int, int]:
    """``128`` or ``128x256`` (height x width)."""
    parts = text.lower().split("x")
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use N or HxW, e.g. 128x128") from None
    if len(sizes) == 1:
        sizes *= 2
    if len(sizes) != 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: use N or HxW, e.g. 128x128")
    return sizes[0], sizes[1]


def add_frontend_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "frontend", "the spectrogram the model sees (defaults: rfclassify.dsp.FrontendConfig)"
    )
    group.add_argument(
        "--frontend", type=Path, metavar="JSON", help="frontend config file (a model card's)"
    )
    group.add_argument("--window-ms", type=positive_float, metavar="MS", help="window duration")
    group.add_argument("--nfft", type=positive_int, help="FFT size of one STFT frame")
    group.add_argument(
        "--overlap", type=below_one, metavar="FRACTION", help="least overlap of STFT frames, 0..<1"
    )
    group.add_argument("--size", type=image_size, metavar="HxW", help="output image size")
    group.add_argument(
        "--time-pooling", choices=["mean", "max"], help="how frames combine into a column"
    )
    group.add_argument(
        "--normalisation",
        choices=list(NORMALISATIONS),
        help="per-window scaling: standardize (zero mean, unit variance), median (dB above the "
        "median / 10 dB: a flat floor stays flat), minmax, fixed, none",
    )
    group.add_argument(
        "--extra-plane",
        choices=list(EXTRA_PLANES),
        help="peak: a second plane of peak-hold power (bursts shorter than a column show)",
    )


def frontend_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> FrontendConfig:
    """The config file (if any), with the command-line flags on top."""
    config = FrontendConfig()
    if args.frontend is not None:
        try:
            text = args.frontend.read_text()
        except OSError as exc:
            raise RfclassifyError(f"{args.frontend}: cannot read ({exc.strerror})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RfclassifyError(f"{args.frontend}: not valid JSON ({exc})") from None
        # A model card carries the frontend under "frontend"; a bare config is accepted too.
        if isinstance(data, dict) and isinstance(data.get("frontend"), dict):
            data = data["frontend"]
        try:
            config = FrontendConfig.from_dict(data) if isinstance(data, dict) else None
        except (TypeError, ValueError) as exc:
            raise RfclassifyError(f"{args.frontend}: {exc}") from None
        if config is None:
            raise RfclassifyError(f"{args.frontend}: a frontend config must be a JSON object")
    changes: dict[str, object] = {}
    if args.window_ms is not None:
        changes.update(window_ms=args.window_ms, window_samples=None)
    if args.nfft is not None:
        changes["nfft"] = args.nfft
    if args.overlap is not None:
        changes["overlap"] = args.overlap
    if args.size is not None:
        changes["height"], changes["width"] = args.size
    if args.time_pooling is not None:
        changes["time_pooling"] = args.time_pooling
    if args.normalisation is not None:
        changes["normalisation"] = args.normalisation
    if args.extra_plane is not None:
        changes["extra_plane"] = args.extra_plane
    try:
        return config.replace(**changes)
    except ValueError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits


def add_recording_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "recording", type=Path, metavar="REC", help="SigMF recording (.sigmf-meta) or raw IQ file"
    )
    raw = parser.add_argument_group("raw IQ files (ignored for SigMF)")
    raw.add_argument("--rate", type=positive_float, help="sample rate of a raw file (S/s)")
    raw.add_argument(
        "--dtype",
        type=sample_format,
        default="cf32_le",
        help="sample format of a raw file: cf32_le (GNU Radio .cfile), ci16_le, ci8, cu8 "
        "(rtl_sdr), cf64_le (default: %(default)s)",
    )
    raw.add_argument(
        "--center-freq", type=finite_float, metavar="HZ", help="centre frequency of a raw file"
    )


def open_recording_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser):
    from ..io import open_raw, open_recording

    path: Path = args.recording
    name = path.name
    if (
        name.endswith((".sigmf-meta", ".sigmf-data", ".sigmf"))
        or path.with_name(name + ".sigmf-meta").exists()
    ):
        return open_recording(path)
    if args.rate is None:
        parser.error(f"{path} is not a SigMF recording: give its sample rate with --rate")
    return open_raw(path, args.rate, args.dtype, args.center_freq)


def print_json(obj: object, file=None) -> None:
    text = json.dumps(obj, indent=None, separators=(",", ":"), default=_json_default)
    print(text, file=file or sys.stdout)


def _json_default(obj: object) -> object:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (Path,)):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


@contextlib.contextmanager
def results_own_stdout():
    """Yield the stream results are printed to, while fd 1 points at stderr.

    GNU Radio's logger writes to fd 1; the results own stdout, so that ``--json | consumer``
    reads records only. When ``sys.stdout`` is not fd 1 (captured, redirected in-process), it is
    used as it is.
    """
    try:
        real = sys.stdout.fileno() == 1
    except (AttributeError, OSError, ValueError):
        real = False
    sys.stdout.flush()
    keep = os.dup(1)
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8") if real else sys.stdout
    os.dup2(2, 1)
    try:
        yield out
    finally:
        out.flush()
        os.dup2(keep, 1)
        os.close(keep)
        if real:
            out.close()


CLIPPED_NOTICE = 0.001  # a clipped share worth a word on the console (the record has it all)


def printable(text: str) -> str:
    """``text`` safe for a terminal: what is not printable (newlines, escape sequences, lone
    surrogates) is shown escaped, so a hostile publisher can neither fake lines nor drive the
    reader's terminal."""
    if text.isprintable():
        try:
            text.encode("utf-8")
            return text
        except UnicodeEncodeError:
            pass
    return "".join(
        c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else repr(c)[1:-1] for c in text
    )


def record_line(record) -> str:
    """A result record in one line: when, where, what, how sure, seq (``listen`` and the
    receiver print this). Text fields from the feed are made printable first."""
    when = record.time.replace("T", " ")
    freq = "       ? MHz" if record.center_freq is None else f"{record.center_freq / 1e6:8.3f} MHz"
    reason = printable(record.reason) or "invalid input"
    extra = "" if record.valid else f"  (not classified: {reason})"
    if record.clipped >= CLIPPED_NOTICE:
        extra += f"  ({record.clipped:.1%} of I/Q values at full scale: clipped)"
    if record.skipped:
        extra += f"  ({record.skipped} windows skipped before: inference behind)"
    label = printable(record.label)
    return f"{when}  {freq}  {label:<8} {record.confidence:5.3f}  seq {record.seq}{extra}"
