"""Result records <-> PMT dicts: the stream tag value, the message, and the ``pmt`` ZMQ frame.

Every field of the DESIGN.md record keeps its JSON meaning: strings are symbols, counts and
offsets uint64, numbers doubles, ``probs`` a dict of class -> double, ``valid`` a bool, the schema
version under ``v``. An unknown ``center_freq`` is left out (JSON has it as null), so a reader
never mistakes a missing frequency for 0 Hz.
"""

from __future__ import annotations

from typing import Any

import pmt

from ..io.records import SCHEMA_VERSION, ResultRecord

_SYMBOLS = ("label", "time", "model", "time_source", "reason")
_COUNTS = ("start", "length", "seq", "skipped")
_DOUBLES = ("confidence", "sample_rate", "center_freq", "clipped")


def record_to_pmt(record: ResultRecord) -> Any:
    """The record as a PMT dict (what tags, messages and the ``pmt`` ZMQ form carry)."""
    out = pmt.make_dict()
    out = pmt.dict_add(out, pmt.intern("v"), pmt.from_long(SCHEMA_VERSION))
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
    data = pmt.to_python(value)
    if not isinstance(data, dict):
        raise ValueError(f"invalid result record: expected a PMT dict, got {value}")
    if data.get("probs") is None:  # an empty PMT dict reads back as nil
        data["probs"] = {}
    return ResultRecord.from_dict(data)


def record_to_pmt_bytes(record: ResultRecord) -> bytes:
    """``pmt.serialize_str`` of the dict: one frame for a stock ``ZMQ SUB Message Source``."""
    return pmt.serialize_str(record_to_pmt(record))
