import json
import tracemalloc

import numpy as np
import pytest

from rfclassify.errors import RecordingError
from rfclassify.io import (
    Recording,
    ResultRecord,
    from_complex64,
    open_raw,
    open_recording,
    write_recording,
)


@pytest.fixture
def recording(tmp_path, iq):
    """1000 cf32_le samples at 1 MS/s, 2.6 GHz, with one plain annotation."""
    x = iq(1000)
    ann = {"sample_start": 10, "sample_count": 90, "label": "burst"}
    write_recording(tmp_path / "rec", x, 1e6, 2.6e9, annotations=[ann])
    return open_recording(tmp_path / "rec"), x


@pytest.mark.parametrize("suffix", ["", ".sigmf-meta", ".sigmf-data"])
def test_open_by_base_meta_or_data_name(tmp_path, iq, suffix):
    write_recording(tmp_path / "rec", iq(10), 1e6)
    rec = open_recording(f"{tmp_path / 'rec'}{suffix}")
    assert rec.path == tmp_path / "rec.sigmf-data"
    assert rec.meta_path == tmp_path / "rec.sigmf-meta"
    assert rec.num_samples == 10


def test_open_recording_reads_the_metadata(recording):
    rec, x = recording
    assert isinstance(rec, Recording)
    assert rec.sample_rate == 1e6
    assert rec.center_freq == 2.6e9
    assert rec.datatype == "cf32_le"
    assert rec.num_samples == 1000
    assert rec.duration == pytest.approx(1e-3)
    assert rec.global_info["core:sample_rate"] == 1e6
    assert rec.captures[0]["core:frequency"] == 2.6e9
    assert rec.annotations[0]["core:label"] == "burst"
    assert rec.offset == 0
    np.testing.assert_array_equal(rec.read(), x)


def test_read_slices_and_bounds(recording):
    rec, x = recording
    np.testing.assert_array_equal(rec.read(100, 50), x[100:150])
    np.testing.assert_array_equal(rec.read(990), x[990:])
    assert rec.read(1000).shape == (0,)
    assert rec.read(5, 0).dtype == np.complex64
    for start, count in [(-1, None), (0, 1001), (999, 2), (1001, None)]:
        with pytest.raises(
            ValueError, match=r"outside rec.sigmf-data, which holds samples \[0, 1000\)"
        ):
            rec.read(start, count)
    with pytest.raises(ValueError, match="count must be >= 0"):
        rec.read(0, -5)


@pytest.mark.parametrize("chunk_size", [1, 7, 100, 333, 1000, 5000])
@pytest.mark.parametrize("start,stop", [(0, None), (13, 997), (500, 500), (999, 1000)])
def test_chunks_cover_every_sample_exactly_once(recording, chunk_size, start, stop):
    rec, x = recording
    end = rec.num_samples if stop is None else stop
    pieces = list(rec.chunks(chunk_size, start, stop))
    offsets = [pos for pos, _ in pieces]
    assert offsets == list(range(start, end, chunk_size))
    for pos, chunk in pieces:
        assert chunk.dtype == np.complex64
        np.testing.assert_array_equal(chunk, x[pos : pos + len(chunk)])
        assert len(chunk) == min(chunk_size, end - pos)
    joined = np.concatenate([c for _, c in pieces]) if pieces else np.zeros(0, np.complex64)
    np.testing.assert_array_equal(joined, x[start:end])


def test_chunk_arguments_are_checked(recording):
    rec, _ = recording
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        rec.chunks(0)  # raised at the call, not at the first next()
    with pytest.raises(ValueError, match="outside"):
        rec.chunks(10, 50, 40)
    with pytest.raises(ValueError, match="outside"):
        rec.chunks(10, 0, 1001)
    with pytest.raises(TypeError, match="chunk_size must be an integer"):
        rec.chunks(2.5)


def test_chunks_do_not_load_the_whole_file(tmp_path):
    n = 4 * 1024 * 1024  # 32 MiB of cf32_le
    (tmp_path / "big.cfile").write_bytes(np.ones(n, np.complex64).tobytes())
    rec = open_raw(tmp_path / "big.cfile", 1e6)
    tracemalloc.start()
    try:
        total = sum(len(chunk) for _, chunk in rec.chunks(65536))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == n
    assert peak < 4 * 65536 * 8  # a couple of chunks, not 32 MiB


def test_a_file_that_shrinks_after_opening_is_a_recording_error(recording):
    rec, _ = recording
    with open(rec.path, "r+b") as fh:
        fh.truncate(500 * 8)
    with pytest.raises(RecordingError, match=r"rec\.sigmf-data: ends at sample 500, not 1000"):
        rec.read()


@pytest.mark.parametrize(
    "alias,datatype", [("complex64", "cf32_le"), ("sc16", "ci16_le"), ("rtl", "cu8")]
)
def test_open_raw(tmp_path, iq, alias, datatype):
    x = iq(256)
    path = tmp_path / "capture.iq"
    path.write_bytes(from_complex64(x, datatype).tobytes())
    rec = open_raw(path, 2.4e6, alias, center_freq=100e6)
    assert (rec.datatype, rec.num_samples, rec.sample_rate) == (datatype, 256, 2.4e6)
    assert rec.meta_path is None
    assert rec.center_freq == 100e6
    assert rec.captures == [{"core:sample_start": 0, "core:frequency": 100e6}]
    np.testing.assert_allclose(rec.read(), x, atol=0.01)


def test_rtl_sdr_bytes_read_with_the_rtl_convention(tmp_path):
    path = tmp_path / "rtl.bin"
    path.write_bytes(bytes([0, 255, 127, 128]))
    rec = open_raw(path, 2.048e6, "cu8")
    np.testing.assert_allclose(rec.read(), [-1 + 1j, (-0.5 + 0.5j) / 127.5], atol=1e-7)


def test_non_conforming_dataset_with_header_and_trailer(make_recording, sigmf_meta, tmp_path, iq):
    x = iq(64)
    (tmp_path / "capture.raw").write_bytes(
        b"H" * 100 + from_complex64(x, "ci16_le").tobytes() + b"T" * 7
    )
    meta = sigmf_meta(
        **{"core:datatype": "ci16_le", "core:dataset": "capture.raw", "core:trailing_bytes": 7}
    )
    meta["captures"][0]["core:header_bytes"] = 100
    base = make_recording(meta, data=None)
    rec = open_recording(base)
    assert rec.path == tmp_path / "capture.raw"
    assert (rec.num_samples, rec.data_offset) == (64, 100)
    np.testing.assert_allclose(rec.read(), x, atol=1 / 32768)
    np.testing.assert_allclose(rec.read(60, 4), x[60:], atol=1 / 32768)


def test_core_offset_makes_annotation_indices_absolute(make_recording, sigmf_meta, iq):
    meta = sigmf_meta(**{"core:offset": 1000})
    meta["annotations"] = [{"core:sample_start": 1500, "core:sample_count": 100}]
    rec = open_recording(make_recording(meta, iq(600).tobytes()))
    assert (rec.offset, rec.num_samples) == (1000, 600)


def test_missing_annotations_and_captures_default_to_empty(make_recording, sigmf_meta, iq):
    meta = sigmf_meta()
    del meta["annotations"], meta["captures"]
    rec = open_recording(make_recording(meta, iq(4).tobytes()))
    assert (rec.annotations, rec.captures, rec.center_freq) == ([], [], None)


def test_results_come_back_from_annotations(tmp_path, iq):
    results = [
        ResultRecord("NR", 0.6, {"NR": 0.6, "LTE": 0.4}, s, 100, 1e6, 3.5e9, t, "m", i)
        for i, (s, t) in enumerate(
            [(200, "2026-11-21T10:00:00.000200Z"), (0, "2026-11-21T10:00:00Z")]
        )
    ]
    other = {"sample_start": 50, "sample_count": 10, "label": "hand-made"}
    write_recording(tmp_path / "r", iq(300), 1e6, 3.5e9, annotations=[*results, other])
    rec = open_recording(tmp_path / "r")
    assert [a["core:sample_start"] for a in rec.annotations] == [0, 50, 200]
    assert rec.results() == [results[1], results[0]]


def test_metadata_keeps_extension_fields(make_recording, sigmf_meta, iq):
    meta = sigmf_meta(**{"core:extensions": [{"name": "x", "version": "1.0", "optional": True}]})
    meta["global"]["x:site"] = "roof"
    base = make_recording(json.dumps(meta), iq(2).tobytes())
    assert open_recording(base).global_info["x:site"] == "roof"
