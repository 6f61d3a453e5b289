"""The receiver's settings: defaults, then a station's TOML file, then command-line flags.

One declaration (``FIELDS``) drives the file sections, the flags and ``--print-config``, so the
three cannot drift apart. No GNU Radio here: a config can be checked anywhere.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

from ..errors import RfclassifyError
from ..inference.resolve import DEFAULT_MODEL
from ..io.publisher import DEFAULT_ADDRESS

SOURCES = ("sim", "soapy", "osmosdr", "uhd", "file", "sigmf")
FILE_SOURCES = ("file", "sigmf")
SIM_RATE = 7.68e6  # LTE and NR carriers up to 5 MHz fit whole
SDR_RATE = 1.92e6  # within every common SDR's reach (an RTL-SDR tops out near 2.4-3.2 MS/s)


@dataclass(frozen=True)
class Field:
    section: str
    name: str
    default: Any
    help: str
    flag: str | None = None  # the command-line flag when it is not --name-with-dashes
    choices: tuple[str, ...] | None = None


FIELDS = (
    Field("source", "kind", "sim", "where IQ comes from", "--source", SOURCES),
    Field("source", "driver", "", "Soapy driver (rtlsdr, uhd, hackrf, ...)"),
    Field(
        "source",
        "dev_args",
        "",
        "device arguments, e.g. 'driver=rtlsdr' or 'rtl_tcp=...'",
        "--device-args",
    ),
    Field("source", "stream_args", "", "Soapy stream arguments"),
    Field("source", "tune_args", "", "Soapy tune arguments"),
    Field(
        "source", "path", "", "recording (SigMF .sigmf-meta, or a raw file with --dtype)", "--input"
    ),
    Field("source", "dtype", "cf32_le", "raw file sample type (SigMF name: cf32_le, ci16_le, ...)"),
    Field("source", "rate", 0.0, "sample rate, S/s (0: the source's own or a default)"),
    Field("source", "freq", 0.0, "centre frequency, Hz"),
    Field("source", "gain", float("nan"), "gain, dB (unset: the device's automatic gain)"),
    Field("source", "antenna", "", "antenna port"),
    Field("source", "bandwidth", 0.0, "analogue bandwidth, Hz (0: the device's default)"),
    Field("source", "seed", 0, "sim: seed of the simulated stream"),
    Field("classifier", "model", DEFAULT_MODEL, "shipped model name or model file"),
    Field(
        "classifier", "backend", "onnxruntime", "inference backend", None, ("onnxruntime", "torch")
    ),
    Field(
        "classifier",
        "device",
        "cpu",
        "cpu, cuda, cuda:N or auto (CUDA asked for but absent: a warning, then the CPU)",
    ),
    Field(
        "classifier",
        "strict_device",
        False,
        "with --device cuda: fail instead of falling back to the CPU",
    ),
    Field("classifier", "window_ms", 0.0, "window, ms (0: the model card's)", "--window"),
    Field("classifier", "hop_ms", 0.0, "hop, ms (0: contiguous windows)", "--hop"),
    Field("classifier", "min_confidence", 0.0, "publish only results at least this confident"),
    Field("classifier", "threads", 1, "inference threads"),
    Field("classifier", "max_batch", 8, "windows per inference call"),
    Field("classifier", "max_latency_ms", 100.0, "realtime: give up results later than this"),
    Field(
        "classifier",
        "realtime",
        False,
        "file sources: play at the recording's rate and skip "
        "windows when behind (default: classify every window as fast as possible)",
    ),
    Field(
        "outputs",
        "zmq",
        "",
        f"ZMQ PUB address, e.g. {DEFAULT_ADDRESS} or a bare port (loopback; empty: off); "
        "another interface is open to the network: use --zmq-curve-keys",
    ),
    Field("outputs", "zmq_format", "json", "ZMQ message form", None, ("json", "pmt")),
    Field(
        "outputs",
        "zmq_curve_keys",
        "",
        "CURVE key folder (rfclassify keys DIR): encrypt the feed, authorised subscribers only",
        "--zmq-curve-keys",
    ),
    Field("outputs", "json", False, "print result records as JSON lines"),
    Field("outputs", "record", "", "save IQ + one annotation per window to this SigMF file"),
    Field("outputs", "duration", 0.0, "stop after this many seconds (0: run until stopped)"),
    Field("outputs", "status_every", 5.0, "seconds between status lines on stderr (0: none)"),
)


_AT_LEAST_0 = (lambda v: v >= 0, ">= 0")
# Numbers a field may hold; flags out of range are usage errors (exit 2), file values exit 1.
LIMITS: dict[tuple[str, str], tuple[Callable[[float], bool], str]] = {
    ("source", "rate"): _AT_LEAST_0,
    ("source", "freq"): _AT_LEAST_0,
    ("source", "gain"): (lambda v: True, "a number"),  # NaN (the default): automatic gain
    ("source", "bandwidth"): _AT_LEAST_0,
    ("source", "seed"): _AT_LEAST_0,
    ("classifier", "window_ms"): _AT_LEAST_0,
    ("classifier", "hop_ms"): _AT_LEAST_0,
    ("classifier", "min_confidence"): (lambda v: 0.0 <= v <= 1.0, "between 0 and 1"),
    ("classifier", "threads"): _AT_LEAST_0,
    ("classifier", "max_batch"): (lambda v: v >= 1, ">= 1"),
    ("classifier", "max_latency_ms"): (lambda v: v > 0, "> 0"),
    ("outputs", "duration"): _AT_LEAST_0,
    ("outputs", "status_every"): _AT_LEAST_0,
}


def _out_of_range(field: Field, value: Any) -> str | None:
    """What is wrong with a number ``value`` for ``field`` (None: nothing)."""
    limit = LIMITS.get((field.section, field.name))
    if limit is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    accept, requirement = limit
    gain_unset = field.name == "gain" and math.isnan(value)
    if not (math.isfinite(value) or gain_unset):
        return f"must be a finite number, got {value!r}"
    if not accept(value):
        return f"must be {requirement}, got {value!r}"
    return None


def _flag_type(field: Field) -> Callable[[str], Any]:
    """The argparse ``type`` of ``field``'s flag: its Python type, then its limits."""
    convert = type(field.default)

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {convert.__name__}") from None
        problem = _out_of_range(field, value)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    parse.__name__ = convert.__name__
    return parse


class Config(dict):
    """``config["source"]["rate"]``-style access to the resolved settings."""

    def get_value(self, section: str, name: str) -> Any:
        return self[section][name]


def _flag(field: Field) -> str:
    return field.flag or "--" + field.name.replace("_", "-")


def _dest(field: Field) -> str:
    return f"{field.section}__{field.name}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per field; unset flags stay None so the file (or default) shows through."""
    parser.add_argument("--config", metavar="FILE", help="station TOML file (flags override it)")
    parser.add_argument("--print-config", action="store_true", help="print the resolved config")
    for section in ("source", "classifier", "outputs"):
        group = parser.add_argument_group(section)
        for field in (f for f in FIELDS if f.section == section):
            kwargs: dict[str, Any] = {"dest": _dest(field), "default": None, "help": field.help}
            if isinstance(field.default, bool):
                kwargs["action"] = "store_const"
                kwargs["const"] = True
            else:
                kwargs["type"] = _flag_type(field)
                kwargs["metavar"] = field.name.upper()
            if field.choices:
                kwargs["choices"] = field.choices
                kwargs.pop("metavar", None)
            group.add_argument(_flag(field), **kwargs)


def _read_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise RfclassifyError(f"cannot read config {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RfclassifyError(f"config {path} is not valid TOML: {exc}") from None
    known = {f.section: {g.name for g in FIELDS if g.section == f.section} for f in FIELDS}
    for section, values in data.items():
        if section not in known or not isinstance(values, dict):
            raise RfclassifyError(
                f"config {path}: unknown section [{section}] (use {', '.join(sorted(known))})"
            )
        unknown = sorted(set(values) - known[section])
        if unknown:
            raise RfclassifyError(
                f"config {path}: unknown key(s) {', '.join(unknown)} in [{section}]; "
                f"known: {', '.join(sorted(known[section]))}"
            )
    return data


def _coerce(field: Field, value: Any, where: str) -> Any:
    want = type(field.default)
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, want) or (want is int and isinstance(value, bool)):
        raise RfclassifyError(
            f"{where}: {field.section}.{field.name} must be a {want.__name__}, got {value!r}"
        )
    problem = _out_of_range(field, value)
    if problem:
        raise RfclassifyError(f"{where}: {field.section}.{field.name} {problem}")
    if field.choices and value not in field.choices:
        raise RfclassifyError(
            f"{where}: {field.section}.{field.name} = {value!r}; use {', '.join(field.choices)}"
        )
    return value


def resolve(args: argparse.Namespace) -> Config:
    """Defaults < ``--config`` file < flags, checked; rate filled per source when unset."""
    file_data = _read_file(args.config) if args.config else {}
    config = Config({s: {} for s in ("source", "classifier", "outputs")})
    for field in FIELDS:
        value = field.default
        if field.name in file_data.get(field.section, {}):
            value = _coerce(field, file_data[field.section][field.name], str(args.config))
        flag = getattr(args, _dest(field), None)
        if flag is not None:
            value = _coerce(field, flag, _flag(field))
        config[field.section][field.name] = value
    _check(config)
    return config


def _check(config: Config) -> None:
    src = config["source"]
    if src["kind"] in FILE_SOURCES and not src["path"]:
        raise RfclassifyError(f"--source {src['kind']} needs --input PATH (the recording)")
    if src["kind"] == "file" and not src["rate"]:
        raise RfclassifyError("--source file (raw IQ) needs --rate; SigMF recordings carry theirs")
    if not src["rate"] and src["kind"] not in FILE_SOURCES:
        src["rate"] = SIM_RATE if src["kind"] == "sim" else SDR_RATE
    if src["kind"] == "soapy" and not (src["driver"] or src["dev_args"]):
        raise RfclassifyError(
            "--source soapy needs --driver (e.g. rtlsdr) or --device-args "
            "(e.g. 'driver=uhd,type=b200')"
        )
    out = config["outputs"]
    if out["record"] and not out["record"].endswith((".sigmf-meta", ".sigmf-data", ".sigmf")):
        raise RfclassifyError(f"--record {out['record']}: give a .sigmf-meta path")
    if out["zmq_curve_keys"] and not out["zmq"]:
        raise RfclassifyError("--zmq-curve-keys needs --zmq ADDRESS (the feed to protect)")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_toml(config: Config) -> str:
    """The resolved config as a TOML station file (``--print-config``; reads back the same)."""
    lines = []
    for section in ("source", "classifier", "outputs"):
        lines.append(f"[{section}]")
        for field in (f for f in FIELDS if f.section == section):
            value = config[section][field.name]
            lines.append(f"{field.name} = {_toml_value(value)}  # {field.help}")
        lines.append("")
    return "\n".join(lines)


def recording_path(path: str) -> Path:
    """``out`` / ``out.sigmf-meta`` / ``out.sigmf-data`` -> the ``.sigmf-meta`` path."""
    p = Path(path)
    if p.suffix in (".sigmf-data", ".sigmf"):
        p = p.with_suffix(".sigmf-meta")
    return p
