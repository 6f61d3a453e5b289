"""Injected faults that kill a worker thread's loop (not just fail one batch): the thread is
restarted, the windows it held come back as failed results, and classification goes on, in the
worker alone and inside a running GNU Radio flowgraph."""

from __future__ import annotations

import logging

import numpy as np
import pmt
import pytest
from gnuradio import blocks, gr

from rfclassify.inference import Classifier, InferenceWorker, Job

RATE = 1.92e6
WINDOW = 38400


class InjectedFault(BaseException):
    """Not an ``Exception``: it gets past the per-batch guard and ends the thread's loop, as a
    fault deep in a backend would."""


def _noise(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.1).astype(np.complex64)


class FaultOnCall:
    """A real classifier that raises ``InjectedFault`` on given calls of one stage."""

    def __init__(self, inner, stage: str, calls: set[int]):
        self.inner, self.stage, self.calls, self.count = inner, stage, calls, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def _maybe_fail(self, stage: str) -> None:
        if stage == self.stage:
            self.count += 1
            if self.count in self.calls:
                raise InjectedFault(f"injected into the {stage} stage, call {self.count}")

    def images(self, windows, rate, *started):
        self._maybe_fail("frontend")
        return self.inner.images(windows, rate, *started)

    def probabilities(self, images, valid):
        self._maybe_fail("model")
        return self.inner.probabilities(images, valid)


@pytest.fixture(scope="module")
def model():
    return Classifier("vim-lte-nr")


@pytest.mark.parametrize("stage", ["frontend", "model"])
def test_a_dead_thread_is_restarted_and_its_windows_fail_instead_of_vanishing(model, stage, caplog):
    worker = InferenceWorker(FaultOnCall(model, stage, {2, 3}), max_batch=1, max_queue=8)
    with caplog.at_level(logging.DEBUG, logger="rfclassify.inference.worker"):
        for i in range(6):
            assert worker.submit_wait(Job(i * WINDOW, _noise(WINDOW, i), RATE), timeout=30)
        assert worker.drain(60)  # nothing is left waiting for ever
    done = sorted(worker.poll(), key=lambda d: d.job.start)
    worker.stop()
    assert len(done) == 6
    assert [d.valid for d in done] == [True, False, False, True, True, True]
    for failed in done[1:3]:
        assert failed.probs is None
        assert failed.reason.startswith("inference failed: worker thread died: InjectedFault")
    assert worker.counters["restarts"] == 2 and worker.counters["classified"] == 4
    assert "thread died (InjectedFault: injected" in caplog.text
    assert "Traceback" in caplog.text  # the traceback is logged (debug), for the bug report
    assert "restarting it (restart 2)" in caplog.text


def test_a_fault_inside_a_running_flowgraph_costs_invalid_records_not_the_flowgraph():
    from rfclassify.blocks import classifier
    from rfclassify.blocks.pmt_records import record_from_pmt

    windows = 8
    data = _noise(windows * WINDOW)
    block = classifier(sample_rate=RATE, mode="offline", max_batch=1)
    block.stream.classifier = FaultOnCall(block.stream.classifier, "model", {3})
    tb = gr.top_block()
    snk = blocks.vector_sink_c()
    tb.connect(blocks.vector_source_c(data, False), block, snk)
    tb.run()  # would hang for ever if the failed window were lost (offline waits for every one)
    out = np.asarray(snk.data(), np.complex64)
    assert np.array_equal(out, data)
    records = [
        record_from_pmt(t.value) for t in snk.tags() if pmt.symbol_to_string(t.key) == "rf_class"
    ]
    assert [r.start for r in records] == [i * WINDOW for i in range(windows)]
    assert [r.valid for r in records].count(False) == 1
    bad = next(r for r in records if not r.valid)
    assert bad.label == "invalid" and "worker thread died" in bad.reason
    counts = block.counters()
    assert counts["restarts"] == 1 and counts["errors"] == 1
    assert counts["classified"] == windows - 1 and counts["invalid"] == 1
