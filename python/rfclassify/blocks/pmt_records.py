"""Result records <-> PMT dicts: the stream tag value, the message, and the ``pmt`` ZMQ frame.

Every field of the DESIGN.md record keeps its JSON meaning: names are symbols, counts and
offsets uint64, numbers doubles, ``probs`` a dict of class -> double, ``valid`` a bool, the schema
version under ``v``. An unknown ``center_freq`` is left out (JSON has it as null), so a reader
never mistakes a missing frequency for 0 Hz.

``time`` is the one string that differs in every record, and a PMT symbol is interned for the
life of the process: one per record kept 142 bytes each (600 MB a day at 50 windows/s). So it
travels as GNU Radio's own time value, the ``rx_time`` tuple ``(uint64 whole seconds, double
fractional seconds)`` since 1970 UTC, which C++ blocks can compute with; decoding gives back the
ISO-8601 string (and still reads the symbol that earlier writers sent). Every symbol left
repeats from record to record: label, model, time source, class names, and reason (a few fixed
texts, and the message of a failed batch).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pmt

from ..io.records import SCHEMA_VERSION, ResultRecord, is_iso_utc, iso_from_datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SYMBOLS = ("label", "model", "time_source", "reason")
_COUNTS = ("start", "length", "seq", "skipped")
_DOUBLES = ("confidence", "sample_rate", "center_freq", "clipped")


def time_to_pmt(text: str) -> Any:
    """ISO-8601 UTC -> the ``rx_time`` tuple, exactly (the fraction is read from its digits, so
    nanoseconds survive; a time before 1970 has negative whole seconds, as a long)."""
    if not is_iso_utc(text):
        raise ValueError(f"invalid result record: 'time' must be ISO-8601 UTC, got {text!r:.80}")
    whole = datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    seconds = int(whole.timestamp())
    digits = text[20:-1]
    fraction = int(digits) / 10 ** len(digits) if digits else 0.0
    head = pmt.from_uint64(seconds) if seconds >= 0 else pmt.from_long(seconds)
    return pmt.make_tuple(head, pmt.from_double(fraction))


def time_from_pmt(value: Any) -> str:
    """The ``rx_time`` tuple -> ISO-8601 UTC with microseconds (what records carry); the ISO
    symbol of earlier writers as it is (the record checks it)."""
    if pmt.is_symbol(value):
        return pmt.symbol_to_string(value)
    if not (pmt.is_tuple(value) and pmt.length(value) == 2):
        raise ValueError(f"invalid result record: 'time' must be an rx_time tuple, got {value}")
    head, tail = pmt.tuple_ref(value, 0), pmt.tuple_ref(value, 1)
    if pmt.is_uint64(head):
        seconds = pmt.to_uint64(head)
    elif pmt.is_integer(head):
        seconds = pmt.to_long(head)
    else:
        raise ValueError(f"invalid result record: 'time' whole seconds must be an integer: {head}")
    if not pmt.is_real(tail):
        raise ValueError(f"invalid result record: 'time' fraction must be a double: {tail}")
    fraction = pmt.to_double(tail)
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"invalid result record: 'time' fraction {fraction} is not in [0, 1)")
    micros = seconds * 1_000_000 + round(fraction * 1e6)
    try:
        return iso_from_datetime(_EPOCH + timedelta(microseconds=micros))
    except OverflowError:
        raise ValueError(f"invalid result record: 'time' {seconds} s is out of range") from None


def record_to_pmt(record: ResultRecord) -> Any:
    """The record as a PMT dict (what tags, messages and the ``pmt`` ZMQ form carry)."""
    out = pmt.make_dict()
    out = pmt.dict_add(out, pmt.intern("v"), pmt.from_long(SCHEMA_VERSION))
    out = pmt.dict_add(out, pmt.intern("time"), time_to_pmt(record.time))
    for name in _SYMBOLS:
        out = pmt.dict_add(out, pmt.intern(name), pmt.intern(getattr(record, name)))
    for name in _COUNTS:
        out = pmt.dict_add(out, pmt.intern(name), pmt.from_uint64(getattr(record, name)))
    for name in _DOUBLES:
        value = getattr(record, name)
        if value is not None:
            out = pmt.dict_add(out, pmt.intern(name), pmt.from_double(float(value)))
    probs = pmt.make_dict()
    for cls, p in record.probs.items():
        probs = pmt.dict_add(probs, pmt.intern(cls), pmt.from_double(float(p)))
    out = pmt.dict_add(out, pmt.intern("probs"), probs)
    return pmt.dict_add(out, pmt.intern("valid"), pmt.from_bool(record.valid))


def record_from_pmt(value: Any) -> ResultRecord:
    """Decode :func:`record_to_pmt`'s dict (ValueError naming what is wrong for anything else)."""
    if not pmt.is_dict(value):
        raise ValueError(f"invalid result record: expected a PMT dict, got {value}")
    time = pmt.dict_ref(value, pmt.intern("time"), pmt.PMT_NIL)
    data = pmt.to_python(value)
    if not isinstance(data, dict):
        raise ValueError(f"invalid result record: expected a PMT dict, got {value}")
    if not pmt.is_null(time):
        data["time"] = time_from_pmt(time)
    if data.get("probs") is None:  # an empty PMT dict reads back as nil
        data["probs"] = {}
    return ResultRecord.from_dict(data)


def record_to_pmt_bytes(record: ResultRecord) -> bytes:
    """``pmt.serialize_str`` of the dict: one frame for a stock ``ZMQ SUB Message Source``."""
    return pmt.serialize_str(record_to_pmt(record))
