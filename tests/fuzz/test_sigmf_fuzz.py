"""SigMF-shaped junk: recordings that look right but are wrong in one field, or in the data file.

tests/io/test_junk_inputs.py throws arbitrary JSON at ``open_recording``; these strategies build
metadata with the sections and keys a real writer produces (SigMF v1.2 ``global``, ``captures``,
``annotations``, rfclassify's own result annotations), then damage up to three fields (gone, the
wrong type, negative, huge, NaN, a wrong ``core:datatype``), beside a data file whose header,
payload and trailer may or may not match what the metadata claims (short, long, not a whole
number of samples, empty), sometimes given as integral floats that JSON Schema counts as
integers. Whatever comes out, the only error is a :class:`RecordingError`, also from reading the
samples, and a recording that opens reads back exactly the bytes it describes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfclassify.errors import RecordingError
from rfclassify.io import ResultRecord, open_raw, open_recording
from rfclassify.io.annotations import EXTENSION, result_to_annotation
from rfclassify.io.datatypes import (
    SUPPORTED_DATATYPES,
    bytes_per_sample,
    normalise_datatype,
    to_complex64,
)

# cf64 samples past float32's range become inf on reading, and numpy says so; the frontend's
# mask then reports those windows. Random bytes make such samples all the time.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")

FUZZ = settings(
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ABSENT: Any = object()  # a key left out of the metadata

wild_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 4.0, 1.0, -0.0, 0.5, 2**63 - 1, 2**63, 1e-300, 1e300, 10**400]),
)
wild_values = st.one_of(
    wild_numbers,
    st.none(),
    st.booleans(),
    st.text(max_size=8),
    st.lists(st.integers(-3, 3), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
# Spec names, 8-bit byte-order spellings, aliases (not allowed in metadata), real and unknown
# formats, near misses in case and spacing.
datatype_names = st.one_of(
    st.sampled_from(SUPPORTED_DATATYPES),
    st.sampled_from(
        ["ci8_le", "cu8_be", "rf32_le", "ri16_le", "cf32", "ci16", "cf16_le", "cf128_le", "CF32_LE",
         " cf32_le", "cf32_le\n", "complex64", "sc16", "rtl", "", "c", "cf32_xe", "cb8"]
    ),
)  # fmt: skip


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is ABSENT:
        target.pop(key, None)
    else:
        target[key] = value


# A damaged field: gone, a wrong value of any type, or a datatype name where one is wrong.
damage = st.one_of(st.just(ABSENT), wild_values, datatype_names)
GLOBAL_KEYS = ("core:datatype", "core:sample_rate", "core:version", "core:offset",
               "core:num_channels", "core:trailing_bytes", "core:metadata_only", "core:dataset",
               "core:sha512", "core:extensions")  # fmt: skip
CAPTURE_KEYS = ("core:sample_start", "core:frequency", "core:header_bytes", "core:datetime")
ANNOTATION_KEYS = ("core:sample_start", "core:sample_count", "core:label",
                   "core:freq_lower_edge", "core:freq_upper_edge")  # fmt: skip


@dataclass
class Case:
    """One recording to write: metadata, the data file's parts, and how to open it."""

    meta: Any
    header: bytes
    payload: bytes
    trailer: bytes
    data_name: str  # where the data file goes, beside the metadata
    open_as: str  # "", ".sigmf-meta" or ".sigmf-data" after the base name
    verify: bool

    @property
    def data(self) -> bytes:
        return self.header + self.payload + self.trailer


GOOD_RECORD = ResultRecord(
    "NR", 0.75, {"NR": 0.75, "LTE": 0.25}, 0, 4, 1e6, 2.6e9, "2026-01-01T00:00:00Z", "m", 3
)


def _integral(value: int, as_float: bool) -> int | float:
    """``value``, or the float JSON Schema also accepts as that integer (``4.0``)."""
    return float(value) if as_float else value


@st.composite
def sigmf_cases(draw: st.DrawFn) -> Case:
    """A plausible recording (layout claims right or slightly wrong), then up to three fields
    damaged: the shape of a file from a buggy writer, a truncated copy or a hand edit."""
    datatype = draw(st.sampled_from(SUPPORTED_DATATYPES))
    bps = bytes_per_sample(datatype)
    samples = draw(st.sampled_from([0, 1, 2, 7, 16, 33, 50]))
    loose = draw(st.sampled_from([0] * 6 + [1, bps - 1]))  # bytes past the last whole sample
    header = draw(st.binary(max_size=24))
    trailer = draw(st.binary(max_size=24))
    payload = draw(st.binary(min_size=samples * bps + loose, max_size=samples * bps + loose))
    # What the metadata says about that layout: usually the truth, sometimes a lie.
    header_claim = draw(st.sampled_from([len(header)] * 6 + [0, len(header) + 1]))
    trailer_claim = draw(st.sampled_from([len(trailer)] * 6 + [0, len(trailer) - 1]))
    extent = draw(st.sampled_from([0, samples, samples, samples, samples + 1, 10 * samples + 5]))
    offset = draw(st.sampled_from([0, 0, 0, 3]))
    floats = st.booleans()  # integral floats where the schema says integer

    info: dict[str, Any] = {
        "core:datatype": datatype,
        "core:version": draw(st.sampled_from(["1.2.6", "1.2.0", "1.0.0"])),
        "core:sample_rate": draw(st.sampled_from([1e6, 30.72e6, 1, 2.5, 1e-3])),
    }
    if offset or draw(st.booleans()):
        info["core:offset"] = _integral(offset, draw(floats))
    if trailer_claim or draw(st.booleans()):
        info["core:trailing_bytes"] = _integral(trailer_claim, draw(floats))
    if draw(st.integers(0, 3)) == 0:
        info["core:num_channels"] = draw(st.sampled_from([1, 1, 1, 1.0, 2, 2.0]))
    if draw(st.booleans()):
        info["core:extensions"] = [EXTENSION]
    digest = hashlib.sha512(header + payload + trailer).hexdigest()
    if draw(st.booleans()):
        info["core:sha512"] = draw(st.sampled_from([digest, digest.upper(), "0" * 128]))
    data_name = "rec.sigmf-data"
    if draw(st.integers(0, 5)) == 0:  # a Non-Conforming Dataset, or a bad name for one
        info["core:dataset"] = draw(
            st.sampled_from(["other.iq", "other.iq", "rec.sigmf-data", "missing.iq",
                             "../rec.sigmf-data", "sub/x.iq", ".", "..", "", "a\x00b",
                             "rec.sigmf-meta"])
        )  # fmt: skip
        if info["core:dataset"] == "other.iq":
            data_name = "other.iq"

    starts = st.integers(0, extent)
    captures = []
    for i in range(draw(st.integers(0, 3))):
        cap: dict[str, Any] = {"core:sample_start": offset + (0 if i == 0 else draw(starts))}
        cap["core:sample_start"] = _integral(cap["core:sample_start"], draw(floats))
        if draw(st.booleans()):
            cap["core:frequency"] = draw(st.sampled_from([2.6e9, 0.0, -1e6, 5]))
        claim = header_claim if i == 0 else draw(st.sampled_from([0] * 6 + [4]))
        if claim or draw(st.booleans()):
            cap["core:header_bytes"] = _integral(claim, draw(floats))
        captures.append(cap)
    if captures:  # SigMF wants them sorted; sometimes they are not
        captures[1:] = sorted(captures[1:], key=lambda c: c["core:sample_start"])
    annotations: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.integers(0, 2)) == 0:  # rfclassify's own, read back by Recording.results
            ann = result_to_annotation(GOOD_RECORD)
            ann["core:sample_start"] = offset
            ann["core:sample_count"] = min(GOOD_RECORD.length, extent)
        else:
            begin = draw(starts)
            ann = {"core:sample_start": offset + begin, "core:sample_count": extent - begin}
            if draw(st.booleans()):
                ann["core:label"] = draw(st.sampled_from(["LTE", "NR", ""]))
            if draw(st.booleans()):
                ann["core:freq_lower_edge"], ann["core:freq_upper_edge"] = 2.59e9, 2.61e9
        annotations.append(ann)
    annotations.sort(key=lambda a: a["core:sample_start"])

    meta: dict[str, Any] = {"global": info, "captures": captures, "annotations": annotations}
    slots = [(info, key) for key in GLOBAL_KEYS]
    slots += [(cap, key) for cap in captures for key in CAPTURE_KEYS]
    slots += [(ann, key) for ann in annotations for key in sorted({*ANNOTATION_KEYS, *ann})]
    slots += [(meta, "captures"), (meta, "annotations")]
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):
        target, key = draw(st.sampled_from(slots))
        _put(target, key, draw(damage))
    return Case(
        meta=meta,
        header=header,
        payload=payload,
        trailer=trailer,
        data_name=data_name,
        open_as=draw(st.sampled_from(["", ".sigmf-meta", ".sigmf-data"])),
        verify=draw(st.booleans()),
    )


def _write(folder: Path, case: Case) -> Path:
    base = folder / "rec"
    text = json.dumps(case.meta)  # NaN and Infinity as JavaScript writes them: json reads them
    Path(f"{base}.sigmf-meta").write_text(text)
    (folder / case.data_name).write_bytes(case.data)
    return base


def _assert_one_line_about(exc: RecordingError, folder: Path) -> None:
    """A RecordingError names a file in the folder and says what is wrong, on one line."""
    assert str(exc).startswith(str(folder)) and "\n" not in str(exc)
    assert exc.problem


def _global(case: Case) -> dict[str, Any]:
    return case.meta["global"]


def _check_opened(rec: Any, case: Case) -> None:
    """A recording that opened is what the metadata and the data file together say it is."""
    info = _global(case)
    datatype = normalise_datatype(info["core:datatype"], allow_aliases=False)  # it was valid
    assert rec.datatype == datatype
    assert math.isfinite(rec.sample_rate) and rec.sample_rate > 0
    assert rec.center_freq is None or math.isfinite(rec.center_freq)
    for name in ("num_samples", "data_offset", "offset"):
        value = getattr(rec, name)
        assert type(value) is int and value >= 0, (name, value)
    assert rec.num_samples >= 1
    trailing = int(info.get("core:trailing_bytes", 0))
    size = rec.path.stat().st_size
    assert rec.data_offset + rec.num_samples * bytes_per_sample(datatype) + trailing == size
    if case.verify and isinstance(info.get("core:sha512"), str):
        assert info["core:sha512"].lower() == hashlib.sha512(case.data).hexdigest()

    full = rec.read()
    assert full.dtype == np.complex64 and full.shape == (rec.num_samples,)
    truth = (case.data_name, len(case.header), len(case.trailer))
    if (rec.path.name, rec.data_offset, trailing) == truth:
        # The metadata told the truth about the layout: the samples are the payload's bytes.
        want = to_complex64(case.payload, datatype)
        np.testing.assert_array_equal(full, want)


def _check_reads(rec: Any, start: int, count: int, chunk: int) -> None:
    """Reads inside the recording work and agree; reads outside it are refused as ValueError."""
    full = rec.read()
    n = rec.num_samples
    start, count = start % (n + 1), count % (n + 1 - start % (n + 1))
    np.testing.assert_array_equal(rec.read(start, count), full[start : start + count])
    parts = list(rec.chunks(chunk, start))
    assert [i for i, _ in parts] == list(range(start, n, chunk))
    got = np.concatenate([p for _, p in parts]) if parts else full[:0]
    np.testing.assert_array_equal(got, full[start:])
    with pytest.raises(ValueError, match="outside"):
        rec.read(start, n - start + 1)
    with pytest.raises(ValueError, match="outside"):
        rec.chunks(chunk, 0, n + 1)


@FUZZ
@given(sigmf_cases(), st.integers(0, 2**16), st.integers(0, 2**16), st.integers(1, 40))
def test_sigmf_shaped_junk_raises_only_recording_error(case, start, count, chunk):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = _write(folder, case)
        try:
            rec = open_recording(f"{base}{case.open_as}", verify_checksum=case.verify)
        except RecordingError as exc:
            _assert_one_line_about(exc, folder)
            return
        _check_opened(rec, case)
        _check_reads(rec, start, count, chunk)
        try:
            results = rec.results()
        except RecordingError as exc:
            assert str(exc).startswith(str(folder / "rec.sigmf-meta"))
        else:
            assert all(isinstance(r, ResultRecord) for r in results)


@FUZZ
@given(sigmf_cases(), st.data())
def test_a_data_file_that_changes_after_opening_fails_as_recording_error(case, data):
    """Nothing is held open, so the file may shrink, vanish or turn into a directory between
    ``open_recording`` and a read; the read says so instead of returning short or raising."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = _write(folder, case)
        try:
            rec = open_recording(base)
        except RecordingError:
            return
        how = data.draw(st.sampled_from(["shrink", "empty", "remove", "directory"]))
        if how == "remove":
            rec.path.unlink()
        elif how == "directory":
            rec.path.unlink()
            rec.path.mkdir()
        else:
            keep = rec.data_offset + (rec.num_samples * bytes_per_sample(rec.datatype)) - 1
            keep = 0 if how == "empty" else data.draw(st.integers(0, keep))
            os.truncate(rec.path, keep)
        reads = [lambda: rec.read(), lambda: list(rec.chunks(data.draw(st.integers(1, 9))))]
        for read in reads:
            with pytest.raises(RecordingError) as info:
                read()
            _assert_one_line_about(info.value, folder)


@settings(deadline=None, max_examples=60)
@given(
    st.binary(max_size=40),
    wild_values | st.sampled_from([1e6, np.float32(2e6), np.int64(10)]),
    datatype_names | wild_values,
    wild_values | st.just(None),
)
def test_open_raw_raises_only_recording_error(data, rate, datatype, center):
    """A raw file has no metadata: the caller's sample rate, datatype and frequency are the
    untrusted part (they come from the command line)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.iq"
        path.write_bytes(data)
        try:
            rec = open_raw(path, rate, datatype, center)
        except RecordingError as exc:
            _assert_one_line_about(exc, Path(tmp))
            return
        assert rec.num_samples * bytes_per_sample(rec.datatype) == len(data)
        assert rec.read().shape == (rec.num_samples,)


# -- what these fuzzers found, pinned -----------------------------------------------------------

INFO = {"core:datatype": "ci16_le", "core:version": "1.2.6", "core:sample_rate": 1e6}


def _open(folder: Path, meta: dict[str, Any] | str, data: bytes = bytes(16)):
    base = folder / "rec"
    text = meta if isinstance(meta, str) else json.dumps(meta)
    Path(f"{base}.sigmf-meta").write_text(text)
    Path(f"{base}.sigmf-data").write_bytes(data)
    return open_recording(base)


def test_integral_float_header_and_trailer_sizes_read_as_integers(tmp_path: Path) -> None:
    """JSON Schema counts 4.0 as an integer, so sigmf's validator passes it; the sample count
    was then a float and ``read`` raised TypeError from numpy."""
    meta = {
        "global": {**INFO, "core:trailing_bytes": 2.0, "core:offset": 3.0},
        "captures": [{"core:sample_start": 3, "core:header_bytes": 4.0}],
    }
    rec = _open(tmp_path, meta, b"HDR!" + np.arange(6, dtype="<i2").tobytes() + b"TT")
    assert (rec.num_samples, rec.data_offset, rec.offset) == (3, 4, 3)
    assert type(rec.num_samples) is int and type(rec.offset) is int
    np.testing.assert_array_equal(rec.read(), (np.arange(6) / 32768).view(np.complex128))


def test_an_integral_float_channel_count_is_a_channel_count(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="has 2 interleaved channels"):
        _open(tmp_path, {"global": {**INFO, "core:num_channels": 2.0}})


def test_an_integer_too_long_for_python_is_bad_json_not_a_bare_value_error(tmp_path: Path):
    """json.loads raises a plain ValueError (not JSONDecodeError) past 4300 digits."""
    text = json.dumps({"global": INFO}).replace("1000000.0", "1" * 5000)
    with pytest.raises(RecordingError, match="not valid JSON"):
        _open(tmp_path, text)
