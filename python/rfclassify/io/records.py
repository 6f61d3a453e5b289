"""The result record: one per classified window, the same fields in every sink.

DESIGN.md "Contracts other parts rely on": the stream tag (PMT dict), the message port, the ZMQ
JSON feed, SigMF annotations and ``rfclassify classify --json`` all carry exactly these fields, so
a subscriber written against one reads the others. The JSON form carries ``"v": 1``; readers
ignore keys they do not know (a newer writer may add some) and refuse a newer ``v``, which is
reserved for changes that alter the meaning of existing fields.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

SCHEMA_VERSION = 1

# SigMF and PMT both carry sample indices as signed 64-bit integers.
_MAX_INDEX = 2**63 - 1
# A float32 softmax can overshoot 1.0 by a few ulp; that is not an invalid probability.
_PROB_SLACK = 1e-6
_ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EXAMPLE_TIME = "2026-11-21T10:00:00.123456Z"


def iso_from_datetime(dt: datetime) -> str:
    """An aware datetime as ISO-8601 UTC with microseconds, as SigMF ``core:datetime`` has it."""
    if dt.tzinfo is None:
        raise ValueError("a naive datetime is ambiguous; give it a timezone")
    # isoformat, unlike strftime("%Y"), zero-pads years before 1000 on every platform.
    return dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def utc_now_iso() -> str:
    """The host clock now, as :func:`iso_from_datetime` writes it."""
    return iso_from_datetime(datetime.now(timezone.utc))


def iso_from_epoch(seconds: float) -> str:
    """POSIX seconds (e.g. a UHD ``rx_time`` tag's whole + fractional part) -> ISO-8601 UTC.

    Built from whole microseconds rather than ``datetime.fromtimestamp``, which is limited to the
    platform's ``time_t`` range and rounds differently across versions.
    """
    try:
        micros = round(float(seconds) * 1e6)
        return iso_from_datetime(_EPOCH + timedelta(microseconds=micros))
    except (OverflowError, ValueError, TypeError):
        raise ValueError(f"cannot express {seconds!r} POSIX seconds as a UTC date") from None


def epoch_from_iso(text: str) -> float:
    """ISO-8601 UTC as SigMF writes it (``core:datetime``) -> POSIX seconds, as an ``rx_time``
    tag carries them; the inverse of :func:`iso_from_epoch`, nanosecond fractions included."""
    if not is_iso_utc(text):
        raise ValueError(f"{text!r:.80} is not ISO-8601 UTC like {_EXAMPLE_TIME}")
    whole = datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    fraction = text[19:-1]  # ".123456789" or ""
    return whole.timestamp() + (float(fraction) if fraction else 0.0)


def _bad(problem: str) -> ValueError:
    return ValueError(f"invalid result record: {problem}")


def _real(name: str, value: Any, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _bad(f"{name!r} must be a number, got {value!r:.80}")
    try:
        out = float(value)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out):
        raise _bad(f"{name!r} must be finite, got {value!r:.80}")
    return out


def _probability(name: str, value: Any) -> float:
    out = _real(name, value)
    assert out is not None
    if not 0.0 <= out <= 1.0 + _PROB_SLACK:
        raise _bad(f"{name!r} must be a probability in [0, 1], got {out!r}")
    return out


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _bad(f"{name!r} must be an integer, got {value!r:.80}")
    out = int(value)
    if not 0 <= out <= _MAX_INDEX:
        raise _bad(f"{name!r} must be between 0 and 2**63-1, got {out}")
    return out


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(f"{name!r} must be a string, got {value!r:.80}")
    return value


def is_iso_utc(text: Any) -> bool:
    """Whether ``text`` is ISO-8601 UTC as SigMF writes it: ``YYYY-MM-DDTHH:MM:SS[.fff]Z``."""
    if not isinstance(text, str) or not _ISO_UTC.match(text):
        return False
    try:
        datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")  # catches month 13, Feb 30, ...
    except ValueError:
        return False
    return True


def _check_time(value: Any) -> str:
    text = _text("time", value)
    if not is_iso_utc(text):
        raise _bad(f"'time' must be ISO-8601 UTC like {_EXAMPLE_TIME}, got {text!r:.80}")
    return text


@dataclass(frozen=True)
class ResultRecord:
    """What the classifier said about one window, and exactly which samples that window was.

    ``start`` is the absolute index of the window's first sample in the stream (or recording),
    so a record can be matched to samples without trusting clocks; ``time`` is when that sample
    was received: from the source's ``rx_time`` tags when it has them (``time_source="rx_time"``),
    else from the host clock (``"host"``). ``seq`` counts records, so a subscriber sees gaps;
    ``skipped`` counts windows dropped before this one because inference fell behind (DESIGN.md
    rule 3). ``valid=False`` marks a window that could not be classified, and ``reason`` says why
    (NaN/Inf or all-zero samples, a failed inference); ``clipped`` is the share of the window's
    I and Q values pinned at full scale (an ADC overload: the label of a heavily clipped window
    deserves doubt). Both were added within v1: a reader of older records sees their defaults.

    Fields are checked and normalised to plain Python types on construction (numpy scalars from
    the engine become float/int), so every record can be serialised.
    """

    label: str
    confidence: float
    probs: dict[str, float]
    start: int
    length: int
    sample_rate: float
    center_freq: float | None
    time: str
    model: str
    seq: int
    time_source: str = "host"
    skipped: int = 0
    valid: bool = True
    reason: str = ""
    clipped: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.probs, dict):
            raise _bad(f"'probs' must be an object of class -> probability, got {self.probs!r:.80}")
        probs = {}
        for key, value in self.probs.items():
            if not isinstance(key, str):
                raise _bad(f"'probs' keys must be class names (strings), got {key!r:.80}")
            probs[key] = _probability(f"probs[{key!r}]", value)
        rate = _real("sample_rate", self.sample_rate)
        if rate is None or rate <= 0:
            raise _bad(f"'sample_rate' must be positive, got {self.sample_rate!r}")
        if not isinstance(self.valid, bool):
            raise _bad(f"'valid' must be true or false, got {self.valid!r:.80}")
        checked = {
            "label": _text("label", self.label),
            "confidence": _probability("confidence", self.confidence),
            "probs": probs,
            "start": _count("start", self.start),
            "length": _count("length", self.length),
            "sample_rate": rate,
            "center_freq": _real("center_freq", self.center_freq, optional=True),
            "time": _check_time(self.time),
            "model": _text("model", self.model),
            "seq": _count("seq", self.seq),
            "time_source": _text("time_source", self.time_source),
            "skipped": _count("skipped", self.skipped),
            "reason": _text("reason", self.reason),
            "clipped": _probability("clipped", self.clipped),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @property
    def end(self) -> int:
        """One past the window's last sample."""
        return self.start + self.length

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (plain types only), with the schema version under ``"v"``."""
        out: dict[str, Any] = {"v": SCHEMA_VERSION}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = dict(value) if isinstance(value, dict) else value
        return out

    @classmethod
    def from_dict(cls, data: Any) -> ResultRecord:
        """The record ``data`` describes; ValueError naming the first field that is wrong."""
        if not isinstance(data, dict):
            raise _bad(f"expected a JSON object, got {type(data).__name__}")
        version = data.get("v", SCHEMA_VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise _bad(f"'v' must be a positive integer, got {version!r:.80}")
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"result record version {version} is newer than this software reads "
                f"(v{SCHEMA_VERSION}); upgrade rfclassify"
            )
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name in data:
                kwargs[f.name] = data[f.name]
            elif f.name == "center_freq":
                kwargs[f.name] = None  # "when known": may be absent
            elif f.default is dataclasses.MISSING:
                raise _bad(f"missing required field {f.name!r}")
        return cls(**kwargs)

    def to_json(self) -> str:
        """One compact JSON line (the ZMQ and ``--json`` form)."""
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> ResultRecord:
        """Parse one JSON record; ValueError for bad JSON as well as for bad fields."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
            raise _bad(f"not valid JSON ({exc})") from None
        except TypeError:
            raise _bad(f"expected JSON text, got {type(text).__name__}") from None
        return cls.from_dict(data)
