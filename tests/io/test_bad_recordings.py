"""Every way a recording can be unusable ends in one RecordingError line naming the file."""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from rfclassify.errors import RecordingError, RfclassifyError
from rfclassify.io import open_raw, open_recording


def fails(path_in_message, phrase, call, *args, **kwargs):
    with pytest.raises(RecordingError) as info:
        call(*args, **kwargs)
    err = info.value
    text = str(err)
    assert "\n" not in text
    assert str(path_in_message) in text
    assert phrase in text, text
    assert text.startswith(f"{err.path}: ")
    assert isinstance(err, (RfclassifyError, ValueError))
    return text


def meta_of(base):
    return Path(f"{base}.sigmf-meta")


def data_of(base):
    return Path(f"{base}.sigmf-data")


def test_missing_metadata(tmp_path):
    fails(
        tmp_path / "nope.sigmf-meta", "metadata file not found", open_recording, tmp_path / "nope"
    )
    data_of(tmp_path / "only").write_bytes(bytes(8))
    fails(
        tmp_path / "only.sigmf-meta",
        "metadata file not found",
        open_recording,
        tmp_path / "only.sigmf-data",
    )


def test_raw_file_given_to_open_recording_points_to_open_raw(tmp_path):
    (tmp_path / "capture.cfile").write_bytes(bytes(64))
    fails(tmp_path / "capture.cfile", "open_raw", open_recording, tmp_path / "capture.cfile")


def test_missing_data_file(make_recording):
    base = make_recording(data=None)
    fails(data_of(base), "SigMF data file not found", open_recording, base)


def test_empty_data_file(make_recording):
    base = make_recording(data=b"")
    fails(data_of(base), "contains no samples", open_recording, base)


def test_partial_sample_says_how_many_bytes_are_left_over(make_recording):
    base = make_recording(data=bytes(8 * 10 + 3))
    text = fails(data_of(base), "3 bytes left over", open_recording, base)
    assert "cf32_le" in text


def test_data_shorter_than_annotations(make_recording, sigmf_meta):
    meta = sigmf_meta()
    meta["annotations"] = [{"core:sample_start": 90, "core:sample_count": 20, "core:label": "x"}]
    base = make_recording(meta, bytes(8 * 100))
    text = fails(data_of(base), "truncated", open_recording, base)
    assert "holds 100 samples" in text and "up to 110" in text


def test_data_shorter_than_a_capture(make_recording, sigmf_meta):
    meta = sigmf_meta()
    meta["captures"].append({"core:sample_start": 500})
    base = make_recording(meta, bytes(8 * 100))
    fails(data_of(base), "truncated", open_recording, base)


@pytest.mark.parametrize(
    "datatype,phrase",
    [
        ("cq32_le", "unknown datatype 'cq32_le'"),
        ("complex64", "unknown datatype 'complex64'"),
        ("rf32_le", "real-valued"),
        ("ri16_le", "real-valued"),
        ("cf32", "byte order"),
        (7, "must be a string"),
        (None, "core:datatype is missing"),
    ],
)
def test_bad_datatype(make_recording, sigmf_meta, datatype, phrase):
    base = make_recording(sigmf_meta(**{"core:datatype": datatype}), bytes(16))
    fails(meta_of(base), phrase, open_recording, base)


@pytest.mark.parametrize(
    "rate,phrase",
    [
        (None, "core:sample_rate is missing"),
        (0, "core:sample_rate must be a positive number, got 0"),
        (-1e6, "core:sample_rate must be a positive number"),
        ("1e6", "core:sample_rate must be a positive number, got '1e6'"),
        (True, "core:sample_rate must be a positive number"),
        (float("nan"), "core:sample_rate must be a positive number"),
        (float("inf"), "core:sample_rate must be a positive number"),
    ],
)
def test_bad_sample_rate(make_recording, sigmf_meta, rate, phrase):
    base = make_recording(sigmf_meta(**{"core:sample_rate": rate}), bytes(16))
    fails(meta_of(base), phrase, open_recording, base)


def test_non_finite_frequency(make_recording, sigmf_meta):
    meta = sigmf_meta()
    meta["captures"][0]["core:frequency"] = float("nan")
    base = make_recording(meta, bytes(16))
    fails(meta_of(base), "core:frequency must be a finite number", open_recording, base)


@pytest.mark.parametrize(
    "text,phrase",
    [
        ("{", "not valid JSON (line 1"),
        ("", "not valid JSON"),
        ("global: cf32_le", "not valid JSON"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_json_garbage(make_recording, text, phrase):
    base = make_recording(text, bytes(16))
    fails(meta_of(base), phrase, open_recording, base)


def test_metadata_that_is_not_utf8(make_recording):
    base = make_recording(data=bytes(16))
    meta_of(base).write_bytes(b'{"global": "\xff\xfe"}')
    fails(meta_of(base), "not UTF-8", open_recording, base)


@pytest.mark.parametrize("text", ["[1, 2]", "null", '"sigmf"', '{"a": 1}', '{"global": []}'])
def test_json_that_is_not_sigmf(make_recording, text):
    base = make_recording(text, bytes(16))
    fails(meta_of(base), "is JSON but not SigMF metadata", open_recording, base)


def test_schema_violations_say_where(make_recording, sigmf_meta):
    meta = sigmf_meta()
    meta["annotations"] = [{"core:label": "no start"}]
    base = make_recording(meta, bytes(16))
    text = fails(meta_of(base), "not valid SigMF metadata", open_recording, base)
    assert "$.annotations[0]" in text and "'core:sample_start' is a required property" in text


def test_unsorted_annotations_are_refused(make_recording, sigmf_meta):
    meta = sigmf_meta()
    meta["annotations"] = [{"core:sample_start": 5}, {"core:sample_start": 1}]
    base = make_recording(meta, bytes(80))
    fails(meta_of(base), "incorrect sample start ordering", open_recording, base)


def test_multichannel_and_metadata_only(make_recording, sigmf_meta):
    base = make_recording(sigmf_meta(**{"core:num_channels": 2}), bytes(16), name="two")
    fails(meta_of(base), "2 interleaved channels", open_recording, base)
    base = make_recording(sigmf_meta(**{"core:metadata_only": True}), None, name="meta_only")
    fails(meta_of(base), "metadata-only", open_recording, base)


def test_archives_are_pointed_to_unpacking(tmp_path):
    (tmp_path / "rec.sigmf").write_bytes(bytes(512))
    fails(tmp_path / "rec.sigmf", "archives", open_recording, tmp_path / "rec.sigmf")


def test_dataset_name_may_not_leave_the_directory(make_recording, sigmf_meta):
    base = make_recording(sigmf_meta(**{"core:dataset": "../etc/passwd"}), None)
    fails(meta_of(base), "must be a bare file name", open_recording, base)


def test_header_and_trailer_larger_than_the_file(make_recording, sigmf_meta):
    meta = sigmf_meta(**{"core:trailing_bytes": 10})
    meta["captures"][0]["core:header_bytes"] = 10
    base = make_recording(meta, bytes(16))
    fails(data_of(base), "fewer than its 10 header + 10 trailing bytes", open_recording, base)


def test_checksum_mismatch_when_asked_to_verify(make_recording, sigmf_meta):
    data = np.ones(8, np.complex64).tobytes()
    good = hashlib.sha512(data).hexdigest()
    base = make_recording(sigmf_meta(**{"core:sha512": good}), data, name="good")
    assert open_recording(base, verify_checksum=True).num_samples == 8
    base = make_recording(sigmf_meta(**{"core:sha512": "0" * 128}), data, name="bad")
    assert open_recording(base).num_samples == 8  # not read unless asked
    fails(data_of(base), "sha512 does not match", open_recording, base, verify_checksum=True)


def test_directories_instead_of_files(make_recording, tmp_path):
    (tmp_path / "adir").mkdir()
    fails(tmp_path / "adir", "is a directory", open_recording, tmp_path / "adir")
    fails(tmp_path / "adir", "is a directory", open_raw, tmp_path / "adir", 1e6)
    meta_of(tmp_path / "m").mkdir()
    fails(meta_of(tmp_path / "m"), "is a directory", open_recording, tmp_path / "m")
    base = make_recording(data=None)
    data_of(base).mkdir()
    fails(data_of(base), "is a directory", open_recording, base)


_UNREADABLE_CHECK = """
import sys
from rfclassify.errors import RecordingError
from rfclassify.io import open_recording
try:
    open_recording(sys.argv[1])
except RecordingError as exc:
    print(exc)
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_unreadable_files(tmp_path):
    """Root reads anything, so under root (CI) the check runs as the unprivileged `nobody`."""
    import subprocess
    import sys
    import tempfile

    from rfclassify.io import write_recording

    # tmp_path's parents are private to root; nobody needs a world-traversable folder.
    folder = Path(tempfile.mkdtemp(prefix="rfclassify-perm-"))
    try:
        folder.chmod(0o755)
        base = folder / "rec"
        write_recording(base, np.zeros(16, np.complex64), 1e6)
        for f in (meta_of(base), data_of(base)):
            f.chmod(0o644)

        def message() -> str:
            proc = subprocess.run(
                [sys.executable, "-c", _UNREADABLE_CHECK, str(base)],
                capture_output=True,
                text=True,
                user=65534 if os.geteuid() == 0 else None,
                cwd=folder,
            )
            assert proc.returncode == 0, proc.stderr
            return proc.stdout.strip()

        assert message() == ""  # readable: opens fine
        data_of(base).chmod(0)
        assert message().startswith(f"{data_of(base)}: ")
        assert "permission denied" in message()
        meta_of(base).chmod(0)
        assert message().startswith(f"{meta_of(base)}: ")
        assert "permission denied" in message()
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def test_raw_file_problems(tmp_path):
    path = tmp_path / "x.cfile"
    fails(path, "file not found", open_raw, path, 1e6)
    path.write_bytes(b"")
    fails(path, "contains no samples", open_raw, path, 1e6)
    path.write_bytes(bytes(8 * 5 + 6))
    fails(path, "6 bytes left over", open_raw, path, 1e6)
    fails(path, "unknown datatype 'wav'", open_raw, path, 1e6, "wav")
    fails(path, "real-valued", open_raw, path, 1e6, "rf32_le")
    for rate in (0, -2.4e6, float("nan"), "fast", None):
        fails(path, "sample rate must be a positive number", open_raw, path, rate, "ci16_le")
    fails(path, "center frequency must be a finite", open_raw, path, 1e6, "sc16", float("inf"))
    path.write_bytes(bytes(8 * 5))
    assert open_raw(path, 1e6).num_samples == 5


def test_metadata_error_message_is_one_line_without_the_json_dump(make_recording, sigmf_meta):
    meta = sigmf_meta()
    meta["captures"] = [{"core:sample_start": -1, "junk": "x" * 10_000}]
    base = make_recording(json.dumps(meta), bytes(16))
    text = fails(meta_of(base), "not valid SigMF metadata", open_recording, base)
    assert len(text) < 500
