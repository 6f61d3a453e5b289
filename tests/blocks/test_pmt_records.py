"""The PMT form of a result record: exact round trips, GNU Radio's time value, and no memory kept
per record (PMT symbols are interned forever, so nothing unique per record may be one)."""

from __future__ import annotations

import pmt
import pytest

from rfclassify.bench.machine import heap_in_use_bytes
from rfclassify.blocks.pmt_records import (
    record_from_pmt,
    record_to_pmt,
    time_from_pmt,
    time_to_pmt,
)
from rfclassify.io.records import ResultRecord, epoch_from_iso, iso_from_epoch


def _record(seq: int = 0, time: str = "2026-12-02T12:00:00.123456Z", **over) -> ResultRecord:
    fields = dict(
        label="LTE",
        confidence=0.9,
        probs={"LTE": 0.9, "NR": 0.05, "Noise": 0.03, "Other": 0.02},
        start=614400 * seq,
        length=614400,
        sample_rate=30.72e6,
        center_freq=1.8e9,
        time=time,
        model="vim-lte-nr",
        seq=seq,
    )
    fields.update(over)
    return ResultRecord(**fields)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-02T12:00:00.123456Z",
        "2026-12-02T12:00:00.000000Z",
        "1970-01-01T00:00:00.000001Z",
        "1969-12-31T23:59:55.500000Z",  # a source whose rx_time was never set can go negative
        "0001-01-01T00:00:00.000000Z",
        "9999-12-31T23:59:59.999999Z",
    ],
)
def test_time_travels_as_an_rx_time_tuple_and_comes_back_exactly(text):
    value = time_to_pmt(text)
    assert pmt.is_tuple(value) and pmt.length(value) == 2
    whole, fraction = pmt.to_python(value)
    assert isinstance(whole, int) and 0.0 <= fraction < 1.0
    assert whole + fraction == pytest.approx(epoch_from_iso(text), abs=1e-6)  # what C++ reads
    assert time_from_pmt(value) == text


def test_time_without_a_fraction_and_with_nanoseconds():
    assert time_from_pmt(time_to_pmt("2026-12-02T12:00:00Z")) == "2026-12-02T12:00:00.000000Z"
    value = time_to_pmt("2026-12-02T12:00:00.123456789Z")
    assert pmt.to_python(value)[1] == pytest.approx(0.123456789, abs=1e-15)


def test_every_field_round_trips():
    record = _record(7, skipped=3, valid=False, reason="all-zero samples", clipped=0.25)
    assert record_from_pmt(record_to_pmt(record)) == record
    unknown_freq = _record(8, center_freq=None)
    assert record_from_pmt(record_to_pmt(unknown_freq)) == unknown_freq


def test_the_symbol_earlier_writers_sent_is_still_read():
    record = _record(3)
    old_form = pmt.dict_add(record_to_pmt(record), pmt.intern("time"), pmt.intern(record.time))
    assert record_from_pmt(old_form) == record
    bad = pmt.dict_add(record_to_pmt(record), pmt.intern("time"), pmt.intern("yesterday"))
    with pytest.raises(ValueError, match="'time' must be ISO-8601 UTC"):
        record_from_pmt(bad)


@pytest.mark.parametrize(
    "value",
    [
        pmt.from_double(1.8e9),  # seconds alone, not the tuple
        pmt.make_tuple(pmt.from_double(1.5), pmt.from_double(0.0)),
        pmt.make_tuple(pmt.from_uint64(1), pmt.from_double(1.0)),
        pmt.make_tuple(pmt.from_uint64(1), pmt.intern("x")),
        pmt.make_tuple(pmt.from_uint64(1)),
        pmt.make_tuple(pmt.from_uint64(2**62), pmt.from_double(0.0)),  # past year 9999
    ],
)
def test_a_malformed_time_is_a_clear_value_error(value):
    with pytest.raises(ValueError, match="invalid result record: 'time'"):
        time_from_pmt(value)
    encoded = pmt.dict_add(record_to_pmt(_record()), pmt.intern("time"), value)
    with pytest.raises(ValueError, match="invalid result record"):
        record_from_pmt(encoded)


def _encode(first: int, count: int) -> None:
    for seq in range(first, first + count):
        # a fresh time for every record, as a live stream has
        record = _record(seq, time=iso_from_epoch(1.7e9 + seq * 0.02))
        pmt.serialize_str(record_to_pmt(record))


def test_encoding_records_keeps_no_memory_per_record():
    """The regression this guards: ``time`` as a symbol kept ~142 bytes per record for good
    (found by the soak). C++ allocations are what leaked, so glibc's own count is the measure."""
    if heap_in_use_bytes() is None:
        pytest.skip("needs glibc's mallinfo2")
    _encode(0, 2000)  # symbol table, caches and arenas settle
    before = heap_in_use_bytes()
    _encode(2000, 20000)
    kept = (heap_in_use_bytes() - before) / 20000
    assert kept < 10, f"{kept:.0f} bytes of C++ memory kept per record"
