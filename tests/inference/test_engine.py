"""Loading and running a model for streaming: names, backends, the frontend from the card, the
worker thread's bounded queue."""

from __future__ import annotations

import json
import logging
import threading
import time

import numpy as np
import pytest
import torch

from rfclassify.errors import RfclassifyError
from rfclassify.inference import Classifier, InferenceWorker, Job, resolve_model, shipped_models
from rfclassify.models import create_model
from rfclassify.models.card import card_for, save_checkpoint
from rfclassify.training.export import export_model

RATE = 1.92e6


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A small Vim with random weights, as checkpoint and ONNX with one card: ``tiny``."""
    folder = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    model = create_model("vim_ultralight", in_chans=1, depth=2).eval()
    card = card_for(model, name="tiny")
    save_checkpoint(model, card, folder / "tiny")
    export_model(model, card, folder / "tiny.onnx", real=2)
    return folder


def _windows(n: int, length: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, length)) + 1j * rng.standard_normal((n, length))).astype(
        np.complex64
    )


def test_a_shipped_name_resolves_through_the_search_path(tiny, monkeypatch):
    monkeypatch.setenv("RFCLASSIFY_MODELS", str(tiny))
    assert "tiny" in shipped_models()
    assert resolve_model("tiny") == tiny / "tiny.onnx"
    assert resolve_model("tiny", "torch") == tiny / "tiny.safetensors"
    with pytest.raises(RfclassifyError, match=r"no model 'nope'.*tiny"):
        resolve_model("nope")
    with pytest.raises(RfclassifyError, match="does not exist"):
        resolve_model(str(tiny / "missing.onnx"))
    with pytest.raises(RfclassifyError, match="use backend torch"):
        resolve_model(str(tiny / "tiny.safetensors"), "onnxruntime")


def test_both_backends_give_the_same_probabilities(tiny):
    ort = Classifier(str(tiny / "tiny.onnx"), "onnxruntime")
    pt = Classifier(str(tiny / "tiny.onnx"), "torch")
    assert ort.backend.provider == "CPUExecutionProvider" and pt.backend.device == "cpu"
    assert ort.classes == ["LTE", "NR", "Noise", "Other"] and ort.name == "tiny"
    length = ort.window_length(RATE)
    assert length == round(0.020 * RATE)  # the card's 20 ms window
    windows = _windows(3, length)
    windows[1, 100] = np.nan  # a window with a bad sample is not classified
    p1, v1 = ort.classify(windows, RATE)
    p2, v2 = pt.classify(windows, RATE)
    assert v1.tolist() == v2.tolist() == [True, False, True]
    assert np.isnan(p1[1]).all()
    np.testing.assert_allclose(p1[v1], p2[v2], atol=1e-5)
    np.testing.assert_allclose(p1[v1].sum(1), 1.0, atol=1e-5)


def test_a_rate_the_card_cannot_serve_is_refused_with_what_it_serves(tiny):
    model = Classifier(str(tiny / "tiny.onnx"))
    with pytest.raises(RfclassifyError, match=r"tiny: sample rate 1 MS/s .* 1.92 to 61.44 MS/s"):
        model.window_length(1e6)


def test_cuda_absent_falls_back_to_the_cpu_with_a_warning_or_fails_when_strict(tiny, caplog):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    for backend in ("onnxruntime", "torch"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="rfclassify.inference.engine"):
            model = Classifier(str(tiny / "tiny.onnx"), backend, device="cuda")
        assert model.backend.device == "cpu"
        assert "device cuda asked for, but" in caplog.text and "running on the CPU" in caplog.text
        probs, valid = model.classify(_windows(2, model.window_length(RATE)), RATE)
        assert valid.all() and np.isfinite(probs).all()  # it classifies
        with pytest.raises(RfclassifyError, match=r"no CUDA.*; use device cpu"):
            Classifier(str(tiny / "tiny.onnx"), backend, device="cuda:1", strict_device=True)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert Classifier(str(tiny / "tiny.onnx"), device="auto").backend.device == "cpu"
    assert not caplog.records  # auto means "CUDA if there": no warning


def test_an_onnx_file_that_does_not_match_its_card_is_refused(tiny, tmp_path):
    import onnx

    model = onnx.load(str(tiny / "tiny.onnx"))
    for prop in model.metadata_props:
        if prop.key == "rfclassify_card":
            card = json.loads(prop.value)
            card["architecture"]["img_size"] = 64
            prop.value = json.dumps(card)
    onnx.save(model, str(tmp_path / "swapped.onnx"))
    with pytest.raises(RfclassifyError, match=r"takes .*128, 128.* card says .*64, 64"):
        Classifier(str(tmp_path / "swapped.onnx"))
    (tmp_path / "cut.onnx").write_bytes((tiny / "tiny.onnx").read_bytes()[:5000])
    with pytest.raises(RfclassifyError, match="not a readable ONNX file"):
        Classifier(str(tmp_path / "cut.onnx"))


class SlowClassifier:
    """Wraps a real classifier; holds each batch until released (a stalled backend)."""

    def __init__(self, inner):
        self.inner, self.gate, self.batches = inner, threading.Event(), []

    def images(self, windows, rate):
        self.gate.wait(10)
        self.batches.append(len(windows))
        return self.inner.images(windows, rate)

    def probabilities(self, images, valid):
        return self.inner.probabilities(images, valid)


def test_a_full_queue_refuses_and_counts_instead_of_blocking(tiny):
    model = Classifier(str(tiny / "tiny.onnx"))
    slow = SlowClassifier(model)
    worker = InferenceWorker(slow, max_batch=4, max_queue=3)
    length = model.window_length(RATE)
    windows = _windows(10, length)
    began = time.monotonic()
    accepted = [worker.submit(Job(i * length, w, RATE)) for i, w in enumerate(windows)]
    assert time.monotonic() - began < 1.0  # submit never waits
    refused = accepted.count(False)
    assert refused >= 10 - 3 - 1 and worker.counters["refused"] == refused
    slow.gate.set()
    assert worker.drain(10)
    done = worker.poll()
    assert [d.job.start for d in done] == [i * length for i, ok in enumerate(accepted) if ok]
    assert all(d.valid and d.probs.shape == (4,) for d in done)
    assert max(slow.batches) <= 4
    worker.stop()


def test_offline_submission_waits_and_classifies_every_window(tiny):
    model = Classifier(str(tiny / "tiny.onnx"))
    worker = InferenceWorker(model, max_batch=4, max_queue=2)
    length = model.window_length(RATE)
    for i, w in enumerate(_windows(9, length)):
        assert worker.submit_wait(Job(i * length, w, RATE))
    assert worker.drain(30)
    done = worker.poll()
    assert len(done) == 9 and worker.counters["classified"] == 9
    direct, _ = model.classify(_windows(9, length), RATE)
    got = np.stack([d.probs for d in sorted(done, key=lambda d: d.job.start)])
    np.testing.assert_allclose(got, direct, atol=1e-5)  # batching does not change answers
    worker.stop()


def test_a_failing_batch_is_counted_and_the_worker_carries_on(tiny):
    model = Classifier(str(tiny / "tiny.onnx"))

    class Flaky:
        """Fails the first batch in the model stage and the third in the frontend."""

        model_calls = frontend_calls = 0

        def images(self, windows, rate):
            Flaky.frontend_calls += 1
            if Flaky.frontend_calls == 3:
                raise ValueError("injected in the frontend")
            return model.images(windows, rate)

        def probabilities(self, images, valid):
            Flaky.model_calls += 1
            if Flaky.model_calls == 1:
                raise RuntimeError("injected in the model")
            return model.probabilities(images, valid)

    worker = InferenceWorker(Flaky(), max_batch=1, max_queue=4)
    length = model.window_length(RATE)
    for i, w in enumerate(_windows(4, length)):
        worker.submit_wait(Job(i * length, w, RATE))
    assert worker.drain(30)
    done = sorted(worker.poll(), key=lambda d: d.job.start)
    assert worker.counters["errors"] == 2 and worker.counters["classified"] == 2
    assert done[0].probs is None and "injected in the model" in done[0].error
    assert done[2].probs is None and "injected in the frontend" in done[2].error
    assert not done[0].valid and not done[2].valid
    assert done[1].valid and done[3].valid
    worker.stop()
