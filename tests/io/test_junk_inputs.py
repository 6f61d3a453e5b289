"""Whatever arrives (a ZMQ frame, a file off the internet), the only errors are ValueErrors."""

import contextlib
import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfclassify.errors import RecordingError
from rfclassify.io import ResultRecord, open_recording

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

GOOD_RECORD = ResultRecord(
    "NR", 0.5, {"NR": 0.5, "LTE": 0.5}, 0, 10, 1e6, None, "2026-01-01T00:00:00Z", "m", 0
).to_dict()
record_keys = st.sampled_from([*GOOD_RECORD, "extra"])


@given(json_values)
def test_from_dict_on_any_json_raises_only_value_error(data):
    with contextlib.suppress(ValueError):
        ResultRecord.from_dict(data)


@given(st.dictionaries(record_keys, json_values, max_size=6))
def test_from_dict_on_a_damaged_record_raises_only_value_error(changes):
    try:
        rec = ResultRecord.from_dict({**GOOD_RECORD, **changes})
    except ValueError:
        return
    assert ResultRecord.from_json(rec.to_json()) == rec


@given(st.text(max_size=40) | st.binary(max_size=40))
def test_from_json_on_any_text_raises_only_value_error(text):
    with contextlib.suppress(ValueError):
        ResultRecord.from_json(text)


GOOD_META = {
    "global": {"core:datatype": "ci16_le", "core:version": "1.2.6", "core:sample_rate": 1e6},
    "captures": [{"core:sample_start": 0, "core:frequency": 1e9}],
    "annotations": [{"core:sample_start": 0, "core:sample_count": 4, "core:label": "x"}],
}
meta_sections = st.sampled_from(["global", "captures", "annotations"])
meta_keys = st.sampled_from(
    ["core:datatype", "core:sample_rate", "core:version", "core:offset", "core:dataset",
     "core:num_channels", "core:trailing_bytes", "core:header_bytes", "core:sample_start",
     "core:sample_count", "core:frequency", "core:extensions", "core:metadata_only", "x:y"]
)  # fmt: skip


def _damage(meta, section, key, value):
    meta = json.loads(json.dumps(meta))
    target = meta[section]
    if isinstance(target, list):
        target = target[0]
    target[key] = value
    return meta


def _open_junk(text, data=bytes(4 * 16)):
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "junk"
        Path(f"{base}.sigmf-meta").write_text(text)
        Path(f"{base}.sigmf-data").write_bytes(data)
        try:
            rec = open_recording(base)
        except RecordingError as exc:
            assert str(exc).startswith(tmp) and "\n" not in str(exc)  # names a file in tmp
            return
        out = rec.read()
        assert out.dtype == np.complex64 and len(out) == rec.num_samples


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(json_values)
def test_open_recording_on_any_json_raises_only_recording_error(value):
    _open_junk(json.dumps(value))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(meta_sections, meta_keys, json_values, st.binary(max_size=70))
def test_open_recording_on_damaged_metadata_raises_only_recording_error(section, key, value, data):
    _open_junk(json.dumps(_damage(GOOD_META, section, key, value)), data)


@settings(max_examples=50)
@given(st.text(max_size=60))
def test_open_recording_on_any_text_raises_only_recording_error(text):
    _open_junk(text)
