"""``rfclassify listen``'s decoder on whatever a ZMQ SUB socket may hand it.

Anyone who can reach a PUB port can publish on the topic (and a newer or buggy publisher will),
so ``listen._decode`` sees arbitrary multipart messages. Its contract: a ``ResultRecord`` for a
``[b"rfclassify", JSON]`` message holding a valid record, else ``ValueError`` (which the loop
counts and reports; ``UnicodeDecodeError`` and ``json.JSONDecodeError`` are ValueErrors). What
the loop then prints (``record_line``, or ``_text`` for ``--json``) must not raise either.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rfclassify.commands.common import record_line
from rfclassify.commands.listen import _decode, _text
from rfclassify.io import ResultRecord
from rfclassify.io.publisher import TOPIC

FUZZ = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])

GOOD = ResultRecord(
    "NR", 0.75, {"NR": 0.75, "LTE": 0.25}, 1000, 38400, 1.92e6, 2.6e9, "2026-01-01T00:00:00Z",
    "vim-lte-nr", 7, "rx_time", 2, True,
).to_dict()  # fmt: skip
GOOD_JSON = json.dumps(GOOD).encode()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**63 - 1, 2**63, 10**400, 1.0000001, 1.0, 0.0, -0.0, 1e-320]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(["2026-02-30T00:00:00Z", "2026-01-01T00:00:00.1234567890Z", "\ud800",
                     "\x1b[2J", "NR\nLTE", "", "2026-01-01 00:00:00Z"]),
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
topics = st.one_of(
    st.just(TOPIC),
    st.sampled_from([b"", b"rfclassify\x00", b"RFCLASSIFY", b"rfclassif", b"rfclassify ",
                     b"rfclassifyx", b"\xffrfclassify", TOPIC * 2]),
    st.binary(max_size=24),
)  # fmt: skip


def _check(frames: list[bytes]) -> ResultRecord | None:
    """What the listen loop does with one message: decode, then format; only ValueError."""
    try:
        record = _decode(frames)
    except ValueError as exc:
        assert str(exc)
        event("refused")
        return None
    event("decoded")
    assert isinstance(record, ResultRecord)
    assert len(frames) == 2 and frames[0] == TOPIC
    assert isinstance(record_line(record), str)
    with contextlib.suppress(ValueError):  # --json counts a payload not UTF-8 text as bad
        assert isinstance(_text(frames[1]), str)
    return record


@FUZZ
@given(st.lists(st.binary(max_size=80), max_size=4))
def test_any_frames_decode_or_raise_value_error(frames):
    _check(frames)


@FUZZ
@given(
    st.just(TOPIC) | topics,
    st.sampled_from([[], [], [b""], [GOOD_JSON]]) | st.lists(st.binary(max_size=8), max_size=2),
)
def test_only_a_two_frame_message_on_the_exact_topic_is_a_record(topic, rest):
    frames = [topic, GOOD_JSON, *rest]
    record = _check(frames)
    assert (record is not None) == (topic == TOPIC and not rest)


def _mutated(changes: dict[str, Any], removed: list[str]) -> dict[str, Any]:
    data = {**GOOD, **changes}
    for key in removed:
        data.pop(key, None)
    return data


@FUZZ
@given(
    st.dictionaries(st.sampled_from([*GOOD, "extra", "probs"]), json_values, max_size=4),
    st.lists(st.sampled_from(sorted(GOOD)), max_size=2),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1"]),
    st.sampled_from([None, 2]),
    st.booleans(),
)
def test_a_record_mutated_field_by_field(changes, removed, encoding, indent, ascii_only):
    """Wrong types, out-of-range numbers, NaN (JSON ``NaN`` is read by Python), missing fields,
    other text encodings (refused: json.loads would guess UTF-16/32 from bytes, the decoder
    reads UTF-8 only), pretty-printed records."""
    data = _mutated(changes, removed)
    try:
        payload = json.dumps(data, indent=indent, ensure_ascii=ascii_only).encode(encoding)
    except UnicodeEncodeError:  # a lone surrogate cannot be written raw; escape it as JSON does
        payload = json.dumps(data, indent=indent, ensure_ascii=True).encode("ascii")
        encoding = "ascii"
    record = _check([TOPIC, payload])
    try:
        expected = ResultRecord.from_dict(json.loads(json.dumps(data)))
    except ValueError:
        expected = None
    if encoding == "latin-1" and payload != payload.decode("latin-1").encode("utf-8"):
        return  # not UTF-8: refusing it and misreading it as UTF-8 are both defensible
    if encoding in ("utf-8-sig", "utf-16", "utf-16-le", "utf-32"):
        expected = None  # the feed is UTF-8 without a byte-order mark, as the publisher writes
    assert record == expected


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(GOOD_JSON)), st.binary(max_size=3)), max_size=4))
def test_a_record_damaged_byte_by_byte(edits):
    """Bytes replaced or inserted anywhere in a good record (a truncated or corrupted frame)."""
    payload = bytearray(GOOD_JSON)
    for position, replacement in edits:
        payload[position : position + len(replacement) // 2] = replacement
    _check([TOPIC, bytes(payload)])


@settings(deadline=None, max_examples=40)
@given(
    st.integers(0, 80) | st.sampled_from([999, 1000, 1001, 5000, 100_000]),
    st.sampled_from(["[", '{"a":', '{"probs":']),
)
def test_deep_nesting_and_truncation(depth, opener):
    """Nesting past the recursion limit (RecursionError inside json) and records cut short."""
    _check([TOPIC, (opener * depth).encode()])
    _check([TOPIC, GOOD_JSON[:depth]])


# Found while writing these fuzzers, in code this task may not change (commands/listen.py and
# commands/common.py belong to someone else): ``_decode`` accepts any string for ``label``, and
# ``record_line`` prints it as it is. A publisher (or anyone who can reach the port) can then
# crash ``listen`` (a lone surrogate from a ``\ud800`` escape: ``print`` raises
# UnicodeEncodeError outside the loop's try) or write to the reader's terminal (a newline fakes
# a record line, an escape sequence clears or retitles the screen). strict: when it is fixed,
# these pass and the marker must go.
@pytest.mark.parametrize("label", ["\ud800", "NR  0.990  seq 8\n2026-01-01", "\x1b]0;owned\x07"])
def test_a_decoded_record_prints_as_one_safe_line(label):
    record = _decode([TOPIC, json.dumps({**GOOD, "label": label}).encode()])
    line = record_line(record)
    line.encode("utf-8")  # what print() to a UTF-8 stdout does
    assert line.isprintable(), line
