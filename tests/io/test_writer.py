import dataclasses
import gc
import hashlib
import json
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
import sigmf
from sigmf import validate as sigmf_validate

from rfclassify.errors import RecordingError
from rfclassify.io import (
    SUPPORTED_DATATYPES,
    RecordingWriter,
    ResultRecord,
    numpy_dtype,
    open_recording,
    write_recording,
)


def result(start, length=1000, seq=0, center_freq=2.6e9, label="LTE"):
    return ResultRecord(
        label=label,
        confidence=0.75,
        probs={"LTE": 0.75, "NR": 0.2, "Noise": 0.05, "Other": 0.0},
        start=start,
        length=length,
        sample_rate=1e6,
        center_freq=center_freq,
        time="2026-11-21T10:00:00.500000Z",
        model="resnet50",
        seq=seq,
        time_source="rx_time",
        skipped=seq,
    )


def assert_sigmf_valid(meta_path):
    """sigmf-python's own checks: schema, ordering, declared extensions, and the sha512."""
    metadata = json.loads(Path(meta_path).read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an undeclared namespace only warns
        sigmf_validate.validate(metadata)
    if Path(meta_path).with_suffix(".sigmf-data").stat().st_size:  # sigmf cannot mmap 0 bytes
        sigmf.fromfile(str(meta_path)).validate()  # verifies core:sha512 against the data
        assert sigmf_validate.main([str(meta_path)]) is None  # the sigmf_validate command
    return metadata


@pytest.mark.parametrize("datatype", SUPPORTED_DATATYPES)
def test_round_trip_every_datatype(tmp_path, iq, datatype):
    x = iq(2000, seed=1)
    meta_path = write_recording(tmp_path / "rec", x, 1e6, datatype=datatype)
    assert_sigmf_valid(meta_path)
    rec = open_recording(meta_path)
    assert (rec.datatype, rec.num_samples) == (datatype, 2000)
    assert rec.path.stat().st_size == 2000 * 2 * numpy_dtype(datatype).itemsize
    dt = numpy_dtype(datatype)
    bits = dt.itemsize * 8
    half_code = {"f": 0.0, "i": 0.5 / 2 ** (bits - 1), "u": 1 / (2**bits - 1)}[dt.kind]
    back = rec.read()
    assert np.max(np.abs(back.real - x.real)) <= half_code + 1e-6
    assert np.max(np.abs(back.imag - x.imag)) <= half_code + 1e-6
    if dt.kind != "u":  # sigmf-python centres unsigned codes at 2**(n-1), rtl-sdr at 127.5
        theirs = sigmf.fromfile(str(meta_path)).read_samples()
        np.testing.assert_allclose(theirs, back, rtol=0, atol=1e-6)


def test_streamed_writes_append_in_order(tmp_path, iq):
    x = iq(10_000)
    with RecordingWriter(tmp_path / "s.sigmf-meta", 1e6, datatype="ci16_le") as w:
        for piece in np.array_split(x, 7):
            w.write(piece)
        w.write(np.zeros(0, np.complex64))
        assert w.samples_written == 10_000
        w.flush()
        assert w.data_path.stat().st_size == 10_000 * 4  # on disk before close
    np.testing.assert_allclose(open_recording(w.meta_path).read(), x, atol=1 / 32768)


@pytest.mark.parametrize("name", ["out", "out.sigmf-meta", "out.sigmf-data"])
def test_any_of_the_three_names(tmp_path, iq, name):
    path = write_recording(tmp_path / name, iq(4), 1e6)
    assert path == tmp_path / "out.sigmf-meta"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.sigmf-data", "out.sigmf-meta"]


def test_global_and_capture_fields(tmp_path, iq):
    start = datetime(2026, 11, 21, 10, 0, 0, 250000, tzinfo=timezone.utc)
    meta_path = write_recording(
        tmp_path / "g", iq(8), 30.72e6, 1.8425e9,
        description="band 3 downlink", author="K3X", hw="USRP B210", start_time=start,
    )  # fmt: skip
    meta = assert_sigmf_valid(meta_path)
    info = meta["global"]
    assert info["core:datatype"] == "cf32_le"
    assert info["core:version"] == sigmf.__specification__
    assert info["core:sample_rate"] == 30.72e6
    assert (info["core:description"], info["core:author"], info["core:hw"]) == (
        "band 3 downlink", "K3X", "USRP B210",
    )  # fmt: skip
    assert info["core:recorder"].startswith("rfclassify ")
    assert (
        info["core:sha512"]
        == hashlib.sha512(Path(tmp_path / "g.sigmf-data").read_bytes()).hexdigest()
    )
    assert "core:extensions" not in info  # no rfclassify keys were used
    assert meta["captures"] == [
        {
            "core:sample_start": 0,
            "core:frequency": 1.8425e9,
            "core:datetime": "2026-11-21T10:00:00.250000Z",
        }
    ]


@pytest.mark.parametrize("start_time", [1_795_255_200.25, "2026-11-21T10:00:00.250000Z"])
def test_start_time_forms(tmp_path, iq, start_time):
    meta = json.loads(
        write_recording(tmp_path / "t", iq(2), 1e6, start_time=start_time).read_text()
    )
    assert meta["captures"][0]["core:datetime"] == "2026-11-21T10:00:00.250000Z"


def test_result_annotations_round_trip(tmp_path, iq):
    results = [result(3000, seq=2), result(0, seq=0), result(1000, seq=1, center_freq=None)]
    with RecordingWriter(tmp_path / "r", 1e6, center_freq=2.6e9, datatype="cu8") as w:
        w.write(iq(4000))
        for r in results:
            w.annotate_result(r)
        w.annotate(500, 100, label="by hand", comment="checked", extra={"core:uuid": "1-2"})
    meta = assert_sigmf_valid(w.meta_path)
    assert meta["global"]["core:extensions"] == [
        {"name": "rfclassify", "version": "1.0.0", "optional": True}
    ]
    anns = meta["annotations"]
    assert [a["core:sample_start"] for a in anns] == [0, 500, 1000, 3000]
    first = anns[0]
    assert (first["core:sample_count"], first["core:label"]) == (1000, "LTE")
    assert (first["core:freq_lower_edge"], first["core:freq_upper_edge"]) == (2.5995e9, 2.6005e9)
    assert first["rfclassify:confidence"] == 0.75
    assert first["rfclassify:probs"] == results[1].probs
    assert (first["rfclassify:model"], first["rfclassify:seq"]) == ("resnet50", 0)
    assert first["rfclassify:time"] == "2026-11-21T10:00:00.500000Z"
    assert "core:freq_lower_edge" not in anns[2]  # that result had no centre frequency
    assert anns[1] == {
        "core:sample_start": 500, "core:sample_count": 100, "core:label": "by hand",
        "core:comment": "checked", "core:uuid": "1-2",
    }  # fmt: skip
    rec = open_recording(w.meta_path)
    back = rec.results()
    assert back[0] == results[1] and back[2] == results[0]
    # Without a band of its own the result takes the recording's centre frequency.
    assert back[1] == dataclasses.replace(results[2], center_freq=2.6e9)


def test_declared_extension_namespaces(tmp_path, iq):
    with RecordingWriter(tmp_path / "e", 1e6, extensions={"antenna": "0.1.0"}) as w:
        w.write(iq(10))
        w.annotate(0, 5, extra={"antenna:azimuth": 90.0})
        with pytest.raises(ValueError, match="namespace 'myapp' is not declared"):
            w.annotate(0, 5, extra={"myapp:snr": 3})
        with pytest.raises(ValueError, match="needs a namespace"):
            w.annotate(0, 5, extra={"snr": 3})
        with pytest.raises(ValueError, match="set by annotate"):
            w.annotate(0, 5, extra={"core:sample_start": 3})
        with pytest.raises(ValueError, match="not a valid SigMF annotation"):
            w.annotate(0, 5, label=7)
        with pytest.raises(ValueError, match="not a valid SigMF annotation"):
            w.annotate(-1, 5)
        with pytest.raises(ValueError, match="plain JSON"):
            w.annotate(0, 5, extra={"antenna:gain": float("nan")})
    meta = assert_sigmf_valid(w.meta_path)
    assert meta["global"]["core:extensions"] == [
        {"name": "antenna", "version": "0.1.0", "optional": True}
    ]
    assert meta["annotations"] == [
        {"core:sample_start": 0, "core:sample_count": 5, "antenna:azimuth": 90.0}
    ]


def test_metadata_is_valid_from_the_start_and_at_every_flush(tmp_path, iq):
    w = RecordingWriter(tmp_path / "live", 1e6)
    try:
        meta = assert_sigmf_valid(w.meta_path)  # a crash now leaves a valid (empty) recording
        assert meta["annotations"] == []
        w.write(iq(100))
        w.annotate_result(result(0, 100))
        w.annotate_result(result(100, 100, seq=1))  # its samples have not come yet
        w.flush()
        meta = assert_sigmf_valid(w.meta_path)
        assert [a["core:sample_start"] for a in meta["annotations"]] == [0]
        assert open_recording(w.meta_path).num_samples == 100
        w.write(iq(100))
        w.flush()  # a process killed now leaves files that sigmf-python still reads
        assert "core:sha512" not in assert_sigmf_valid(w.meta_path)["global"]
    finally:
        w.close()
    assert len(open_recording(w.meta_path).results()) == 2


def test_annotations_past_the_end_are_dropped_with_a_warning(tmp_path, iq):
    w = RecordingWriter(tmp_path / "d", 1e6)
    w.write(iq(100))
    w.annotate(50, 50)
    w.annotate(90, 20)
    with pytest.warns(UserWarning, match="dropped 1 annotations"):
        w.close()
    assert [a["core:sample_start"] for a in open_recording(w.meta_path).annotations] == [50]


def test_an_exception_still_leaves_a_valid_recording(tmp_path, iq):
    x = iq(300)
    writer = RecordingWriter(tmp_path / "crash", 1e6, datatype="ci16_le")
    with pytest.raises(RuntimeError, match="SDR overflow"), writer as w:
        w.write(x)
        w.annotate_result(result(0, 300))
        raise RuntimeError("SDR overflow")
    assert_sigmf_valid(w.meta_path)
    rec = open_recording(w.meta_path)
    np.testing.assert_allclose(rec.read(), x, atol=1 / 32768)
    assert len(rec.results()) == 1


def test_a_forgotten_writer_is_finished_when_collected(tmp_path, iq):
    w = RecordingWriter(tmp_path / "gc", 1e6)
    w.write(iq(50))
    w.annotate(0, 50, label="kept")
    meta_path = w.meta_path
    with pytest.warns(ResourceWarning, match="not closed"):
        del w
        gc.collect()
    assert_sigmf_valid(meta_path)
    assert open_recording(meta_path).annotations[0]["core:label"] == "kept"


def test_closed_writer_refuses_more(tmp_path, iq):
    w = RecordingWriter(tmp_path / "c", 1e6)
    w.write(iq(1))
    w.close()
    w.close()  # twice is fine
    for call in (lambda: w.write(iq(1)), lambda: w.annotate(0, 1), w.flush):
        with pytest.raises(ValueError, match="is closed"):
            call()


def test_bad_writer_arguments(tmp_path, iq):
    with pytest.raises(RecordingError, match="sample rate must be a positive number"):
        RecordingWriter(tmp_path / "a", 0)
    with pytest.raises(RecordingError, match="unknown datatype 'wav'"):
        RecordingWriter(tmp_path / "a", 1e6, datatype="wav")
    with pytest.raises(RecordingError, match=r"start_time: .*naive"):
        RecordingWriter(tmp_path / "a", 1e6, start_time=datetime(2026, 1, 1))
    with pytest.raises(RecordingError, match="start_time: 'noon' is not ISO-8601"):
        RecordingWriter(tmp_path / "a", 1e6, start_time="noon")
    with pytest.raises(RecordingError, match=r"nodir/a\.sigmf-data: cannot create"):
        RecordingWriter(tmp_path / "nodir" / "a", 1e6)
    with RecordingWriter(tmp_path / "b", 1e6) as w:
        with pytest.raises(ValueError, match="must be complex"):
            w.write(np.ones(4, np.float32))
        with pytest.raises(ValueError, match="1-D"):
            w.write(iq(4).reshape(2, 2))
    with pytest.raises(TypeError, match="dicts or ResultRecords"):
        write_recording(tmp_path / "c", iq(4), 1e6, annotations=[(0, 4)])
    with pytest.raises(ValueError, match="has no sample_start"):
        write_recording(tmp_path / "d", iq(4), 1e6, annotations=[{"label": "x"}])


def test_numpy_values_in_annotations_become_plain_json(tmp_path, iq):
    ann = {
        "sample_start": np.int64(1),
        "sample_count": np.uint32(2),
        "label": np.str_("tone"),
        "core:freq_lower_edge": np.float32(-1e3),
        "core:freq_upper_edge": np.float64(1e3),
    }
    meta_path = write_recording(tmp_path / "np", iq(4), 1e6, annotations=[ann])
    assert assert_sigmf_valid(meta_path)["annotations"] == [
        {"core:sample_start": 1, "core:sample_count": 2, "core:label": "tone",
         "core:freq_lower_edge": -1e3, "core:freq_upper_edge": 1e3}
    ]  # fmt: skip


def test_write_recording_accepts_short_and_core_keys(tmp_path, iq):
    anns = [
        {"sample_start": 2, "label": "a"},
        {"core:sample_start": 0, "core:sample_count": 2, "core:comment": "b"},
    ]
    meta = json.loads(write_recording(tmp_path / "k", iq(4), 1e6, annotations=anns).read_text())
    assert meta["annotations"] == [
        {"core:sample_start": 0, "core:sample_count": 2, "core:comment": "b"},
        {"core:sample_start": 2, "core:label": "a"},
    ]
