import json
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from rfclassify.io import ResultRecord, is_iso_utc, iso_from_datetime, iso_from_epoch, utc_now_iso

FIELDS = {
    "label": "LTE",
    "confidence": 0.875,
    "probs": {"LTE": 0.875, "NR": 0.1, "Noise": 0.02, "Other": 0.005},
    "start": 1_228_800,
    "length": 307_200,
    "sample_rate": 30.72e6,
    "center_freq": 2.655e9,
    "time": "2026-11-21T10:00:00.123456Z",
    "model": "vit_tiny_patch16",
    "seq": 41,
}


def make(**changes):
    return ResultRecord(**{**FIELDS, **changes})


def test_to_dict_has_every_field_and_the_schema_version():
    d = make(time_source="rx_time", skipped=3, valid=False, reason="all-zero samples").to_dict()
    assert d["v"] == 1
    assert d == {
        "v": 1, **FIELDS, "time_source": "rx_time", "skipped": 3, "valid": False,
        "reason": "all-zero samples", "clipped": 0.0,
    }  # fmt: skip
    assert d["probs"] is not make().probs  # a copy: editing the dict leaves the record alone


def test_json_round_trip_is_exact():
    rec = make(time_source="rx_time", skipped=2)
    text = rec.to_json()
    assert "\n" not in text
    assert json.loads(text)["v"] == 1
    assert ResultRecord.from_json(text) == rec
    assert ResultRecord.from_json(text.encode()) == rec
    assert ResultRecord.from_dict(rec.to_dict()) == rec


def test_optional_fields_default():
    d = {k: v for k, v in make().to_dict().items() if k not in ("center_freq", "v")}
    for optional in ("time_source", "skipped", "valid", "reason", "clipped"):
        del d[optional]  # a v1 record from before reason and clipped still reads
    rec = ResultRecord.from_dict(d)
    assert rec.center_freq is None
    assert (rec.time_source, rec.skipped, rec.valid) == ("host", 0, True)
    assert (rec.reason, rec.clipped) == ("", 0.0)
    assert rec.end == FIELDS["start"] + FIELDS["length"]


def test_unknown_keys_are_ignored_for_forward_compatibility():
    d = {**make().to_dict(), "snr_db": 12.5, "rfclassify_future": {"x": [1]}}
    assert ResultRecord.from_dict(d) == make()


def test_newer_schema_version_is_refused_clearly():
    with pytest.raises(ValueError, match="version 2 is newer"):
        ResultRecord.from_dict({**make().to_dict(), "v": 2})


def test_numpy_scalars_become_plain_python():
    rec = make(
        confidence=np.float32(0.5),
        probs={"LTE": np.float32(0.5), "NR": np.float64(0.5)},
        start=np.int64(10),
        length=np.uint32(20),
        sample_rate=np.float64(1e6),
        center_freq=np.float32(1e9),
        seq=np.int32(1),
    )
    assert type(rec.confidence) is float and type(rec.start) is int and type(rec.seq) is int
    assert all(type(p) is float for p in rec.probs.values())
    json.loads(rec.to_json())  # serialisable


def test_center_freq_none_serialises_as_null():
    assert json.loads(make(center_freq=None).to_json())["center_freq"] is None


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"label": 3}, "'label' must be a string"),
        ({"confidence": "high"}, "'confidence' must be a number"),
        ({"confidence": True}, "'confidence' must be a number"),
        ({"confidence": 1.5}, "probability in \\[0, 1\\]"),
        ({"confidence": -0.1}, "probability in \\[0, 1\\]"),
        ({"confidence": float("nan")}, "must be finite"),
        ({"probs": [0.5, 0.5]}, "'probs' must be an object"),
        ({"probs": {"LTE": "x"}}, "probs\\['LTE'\\]"),
        ({"probs": {"LTE": 2.0}}, "probability"),
        ({"start": -1}, "'start' must be between 0"),
        ({"start": 1.0}, "'start' must be an integer"),
        ({"start": 2**63}, "'start' must be between 0"),
        ({"length": None}, "'length' must be an integer"),
        ({"sample_rate": 0}, "'sample_rate' must be positive"),
        ({"sample_rate": float("inf")}, "must be finite"),
        ({"sample_rate": 10**400}, "must be finite"),
        ({"center_freq": "2.6 GHz"}, "'center_freq' must be a number"),
        ({"time": "yesterday"}, "'time' must be ISO-8601 UTC"),
        ({"time": "2026-13-01T00:00:00Z"}, "'time' must be ISO-8601 UTC"),
        ({"time": "2026-11-21T10:00:00+01:00"}, "'time' must be ISO-8601 UTC"),
        ({"model": None}, "'model' must be a string"),
        ({"seq": True}, "'seq' must be an integer"),
        ({"skipped": -2}, "'skipped' must be between 0"),
        ({"valid": 1}, "'valid' must be true or false"),
        ({"reason": None}, "'reason' must be a string"),
        ({"clipped": 1.5}, "'clipped' must be a probability"),
    ],
)
def test_bad_fields_are_named(changes, message):
    with pytest.raises(ValueError, match=message):
        make(**changes)
    with pytest.raises(ValueError, match=message):
        ResultRecord.from_dict({**make().to_dict(), **changes})


@pytest.mark.parametrize("field", ["label", "confidence", "probs", "start", "time", "seq"])
def test_missing_required_field_is_named(field):
    d = make().to_dict()
    del d[field]
    with pytest.raises(ValueError, match=f"missing required field '{field}'"):
        ResultRecord.from_dict(d)


@pytest.mark.parametrize(
    "junk,message",
    [
        ("", "not valid JSON"),
        ("{", "not valid JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        ("null", "expected a JSON object"),
        (b"\xff\xfe\x00", "not valid JSON"),
        ("[" * 100_000, "not valid JSON"),
        ('{"v": "1"}', "'v' must be a positive integer"),
    ],
)
def test_from_json_junk_is_a_value_error(junk, message):
    with pytest.raises(ValueError, match=message):
        ResultRecord.from_json(junk)


def test_record_is_frozen():
    with pytest.raises(AttributeError):
        make().label = "NR"


def test_utc_now_iso_is_sigmf_style_and_now():
    text = utc_now_iso()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text)
    parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs(parsed - datetime.now(timezone.utc)) < timedelta(seconds=5)
    assert is_iso_utc(text)


def test_iso_from_epoch():
    assert iso_from_epoch(0) == "1970-01-01T00:00:00.000000Z"
    assert iso_from_epoch(1_795_255_200.123456) == "2026-11-21T10:00:00.123456Z"
    assert iso_from_epoch(1.0000004) == "1970-01-01T00:00:01.000000Z"
    assert iso_from_epoch(np.float64(0.5)) == "1970-01-01T00:00:00.500000Z"
    for bad in (float("nan"), float("inf"), 1e20, "soon"):
        with pytest.raises(ValueError, match="POSIX seconds"):
            iso_from_epoch(bad)


def test_iso_from_datetime_converts_to_utc_and_refuses_naive():
    cet = timezone(timedelta(hours=1))
    assert iso_from_datetime(datetime(2026, 11, 21, 11, 0, tzinfo=cet)) == (
        "2026-11-21T10:00:00.000000Z"
    )
    with pytest.raises(ValueError, match="naive"):
        iso_from_datetime(datetime(2026, 11, 21))
