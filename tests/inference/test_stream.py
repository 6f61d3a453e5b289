"""StreamClassifier without GNU Radio: the release rule, skip accounting and the stall clock."""

from __future__ import annotations

import time

import numpy as np

from rfclassify.inference import Classifier
from rfclassify.inference.stream import StreamClassifier

RATE = 1.92e6
WINDOW = 38400


def _noise(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.1).astype(np.complex64)


def _stream(**kwargs) -> StreamClassifier:
    stream = StreamClassifier(Classifier("vim-lte-nr"), RATE, **kwargs)
    stream.start()
    return stream


def test_output_is_held_at_an_incomplete_window_and_at_an_unfinished_result():
    stream = _stream(mode="offline")
    x = _noise(2 * WINDOW)
    stream.push(x[: WINDOW // 2], 0)
    assert stream.release_limit(WINDOW // 2) == 0  # window 0 has no result yet: hold
    stream.push(x[WINDOW // 2 : WINDOW + 100], WINDOW // 2)
    assert stream.release_limit(WINDOW + 100) == 0  # queued, not answered
    stream.worker.drain(10)
    records = stream.collect()
    assert [r.start for r in records] == [0]
    assert stream.release_limit(WINDOW + 100) == WINDOW  # up to window 1's start
    assert [r.start for r in stream.take_released(WINDOW)] == [0]
    stream.stop()


def test_the_stall_clock_restarts_with_every_input():
    stream = _stream(mode="offline", stall_timeout_s=0.2)
    x = _noise(2 * WINDOW)
    stream.push(x[: WINDOW // 2], 0)
    stream.wait(0, WINDOW // 2, fresh_input=False)  # nothing new: the stall clock starts
    time.sleep(0.15)
    stream.push(x[WINDOW // 2 : WINDOW + WINDOW // 2], WINDOW // 2)
    stream.worker.drain(10)
    stream.collect()
    stream.take_released(stream.release_limit(WINDOW + WINDOW // 2))
    time.sleep(0.1)  # 0.25 s since the clock started, 0.1 s since the last input
    stream.wait(WINDOW, WINDOW + WINDOW // 2, fresh_input=False)
    assert stream.counters()["partial"] == 0
    time.sleep(0.25)
    stream.wait(WINDOW, WINDOW + WINDOW // 2, fresh_input=False)  # now it has stalled
    assert stream.counters()["partial"] == 1
    assert stream.release_limit(WINDOW + WINDOW // 2) == WINDOW + WINDOW // 2
    stream.stop()


def test_a_result_later_than_max_latency_is_given_up_and_reported_by_the_next_record():
    stream = _stream(mode="realtime", max_latency_s=0.001)
    inner = stream.classifier

    class Slow:
        def images(self, windows, rate):
            time.sleep(0.05)
            return inner.images(windows, rate)

        def probabilities(self, images, valid):
            return inner.probabilities(images, valid)

    stream.worker.classifier = Slow()
    x = _noise(3 * WINDOW)
    stream.push(x[:WINDOW], 0)
    time.sleep(0.01)
    assert stream.collect() == []  # past its deadline: given up
    assert stream.release_limit(WINDOW) == WINDOW
    stream.worker.classifier = inner
    stream.max_latency_s = 10.0
    stream.push(x[WINDOW : 2 * WINDOW], WINDOW)
    stream.worker.drain(10)
    records = stream.collect()
    assert [(r.start, r.skipped) for r in records] == [(WINDOW, 1)]
    assert stream.counters()["skipped"] == 1 and stream.counters()["late"] == 1
    stream.stop()


def test_long_windows_have_their_spectrogram_begun_while_they_arrive():
    rate = 15.36e6  # 307 200 samples per 20 ms window
    classifier = Classifier("vim-lte-nr")
    stream = StreamClassifier(classifier, rate, mode="offline")
    stream.start()
    window = classifier.window_length(rate)
    x = _noise(3 * window)
    x[window + window // 2] = np.nan  # the middle window is invalid, begun early or not
    for start in range(0, x.size, 20_000):
        stream.push(x[start : start + 20_000], start)
        time.sleep(0.005)  # a live source's pace: the frontend gets to the notices
    stream.worker.drain(30)
    records = stream.collect()
    assert stream.worker.counters["begun_early"] >= 2
    want, valid = classifier.classify(x.reshape(3, window), rate)
    assert [r.start for r in records] == [0, window, 2 * window]
    assert list(valid) == [True, False, True]
    assert [r.valid for r in records] == [True, False, True]
    for record, probs in zip([records[0], records[2]], [want[0], want[2]], strict=True):
        assert abs(record.confidence - float(probs.max())) < 1e-5  # as the batch path
    stream.stop()
