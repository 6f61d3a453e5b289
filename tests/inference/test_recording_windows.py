"""A SigMF recording's windows, as ``rfclassify classify`` and the evaluation suite both cut them:
contiguous from sample 0, restarted at a retune (a capture with a new ``core:frequency``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rfclassify.inference import Segment, recording_segments, recording_windows
from rfclassify.io import open_recording, write_recording

RATE = 1.92e6
W = 1000  # window, samples
F1, F2 = 806e6, 1.8e9


def _recording(tmp_path: Path, n: int, extra_captures=()):
    """A recording of ``n`` samples (sample i holds i), centre ``F1`` from sample 0, with
    ``extra_captures`` appended to its SigMF captures."""
    samples = (np.arange(n) + 1j * np.arange(n)).astype(np.complex64)
    meta = write_recording(tmp_path / "rec.sigmf-meta", samples, RATE, F1)
    doc = json.loads(meta.read_text())
    doc["captures"] += list(extra_captures)
    meta.write_text(json.dumps(doc))
    return open_recording(meta), samples


def _starts(rec, **kwargs) -> list[int]:
    return [start for start, _, _ in recording_windows(rec, W, **kwargs)]


def test_windows_are_contiguous_from_sample_0_and_the_short_tail_is_not_one(tmp_path):
    rec, samples = _recording(tmp_path, 3 * W + W // 2)
    got = list(recording_windows(rec, W, chunk=333))  # reads need not align with windows
    assert [start for start, _, _ in got] == [0, W, 2 * W]
    for start, window, segment in got:
        np.testing.assert_array_equal(window, samples[start : start + W])
        assert segment == Segment(0, rec.num_samples, F1, None)


def test_a_recording_shorter_than_one_window_has_none(tmp_path):
    rec, _ = _recording(tmp_path, W - 1)
    assert _starts(rec) == []


def test_a_new_frequency_restarts_the_windows_at_its_capture(tmp_path):
    retune = W + W // 2
    rec, samples = _recording(
        tmp_path, 4 * W, [{"core:sample_start": retune, "core:frequency": F2}]
    )
    got = list(recording_windows(rec, W))
    # The window the retune cuts short (W .. retune) and the tail are not windows.
    assert [start for start, _, _ in got] == [0, retune, retune + W]
    assert [segment.center_freq for _, _, segment in got] == [F1, F2, F2]
    for start, window, _ in got:
        np.testing.assert_array_equal(window, samples[start : start + W])


def test_a_capture_that_keeps_the_frequency_or_has_none_does_not_restart(tmp_path):
    caps = [
        {"core:sample_start": W // 3, "core:frequency": F1},
        {"core:sample_start": W + 7},
        {"core:sample_start": 2 * W + 5, "core:frequency": float("nan")},
    ]
    rec, _ = _recording(tmp_path, 4 * W, caps)
    assert _starts(rec) == [0, W, 2 * W, 3 * W]
    warned: list[str] = []
    segments = recording_segments(rec, warn=warned.append)
    assert [(s.first, s.stop) for s in segments] == [
        (0, W // 3), (W // 3, W + 7), (W + 7, 2 * W + 5), (2 * W + 5, 4 * W)
    ]  # fmt: skip
    assert [s.center_freq for s in segments] == [F1, F1, None, None]
    assert warned == [f"capture at {2 * W + 5}: ignoring core:frequency nan"]


def test_an_overriding_centre_frequency_means_no_retune(tmp_path):
    rec, _ = _recording(tmp_path, 3 * W, [{"core:sample_start": W // 2, "core:frequency": F2}])
    segments = recording_segments(rec, center_override=F2)
    assert [s.center_freq for s in segments] == [F2, F2]
    assert _starts(rec, segments=segments) == [0, W, 2 * W]
    assert _starts(rec) == [W // 2, W // 2 + W]  # the first is cut short by the retune


def test_segments_carry_the_capture_time_and_warn_on_one_not_in_utc(tmp_path):
    caps = [
        {"core:sample_start": W, "core:datetime": "2026-01-02T04:00:00.5Z"},
        {"core:sample_start": 2 * W, "core:datetime": "2026-01-02T05:00:00+01:00"},
    ]
    rec, _ = _recording(tmp_path, 3 * W, caps)
    warned: list[str] = []
    segments = recording_segments(rec, warn=warned.append)
    assert [s.posix for s in segments] == [None, pytest.approx(1767326400.5), None]
    assert len(warned) == 1 and f"capture at {2 * W}" in warned[0]
    assert "is not ISO-8601 UTC" in warned[0]
    assert recording_segments(rec) == segments  # warn=None: the same segments, silently


def test_the_first_segment_starts_at_0_and_captures_holding_no_sample_are_dropped(tmp_path):
    rec, _ = _recording(tmp_path, 2 * W)
    doc = json.loads(rec.meta_path.read_text())
    doc["captures"] = [
        {"core:sample_start": 10, "core:frequency": F1},
        {"core:sample_start": W, "core:frequency": F2},  # no sample: the next starts here too
        {"core:sample_start": W, "core:frequency": F1},
        {"core:sample_start": 2 * W, "core:frequency": F2},  # at the end
    ]
    rec.meta_path.write_text(json.dumps(doc))
    rec = open_recording(rec.meta_path)
    assert recording_segments(rec) == [Segment(0, W, F1, None), Segment(W, 2 * W, F1, None)]
    assert _starts(rec) == [0, W]  # F1 throughout the samples: no retune
