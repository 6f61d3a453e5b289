"""The spectrogram block in real flowgraphs: the very images the frontend makes for the model,
whole windows only, NaN windows as counted zeros, and refused rates, widths and models."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest
import yaml
from gnuradio import blocks, gr

from rfclassify.blocks.spectrogram import model_frontend, read_card, spectrogram
from rfclassify.dsp import Frontend
from rfclassify.errors import RfclassifyError
from rfclassify.inference import resolve_model
from rfclassify.signals import Scene, render

RATE = 1.92e6
MODEL = "vim-lte-nr"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def lte() -> np.ndarray:
    """70 ms of a 1.4 MHz LTE cell: three 20 ms windows and a partial fourth."""
    scene = Scene("lte", duration_s=0.07, capture_rate=RATE, params={"bandwidth_mhz": 1.4})
    return render(scene, 3).samples


def _images(block: spectrogram, samples: np.ndarray) -> np.ndarray:
    tb = gr.top_block()
    sink = blocks.vector_sink_f(block.width)
    tb.connect(blocks.vector_source_c(samples), block, sink)
    tb.run()
    data = np.asarray(sink.data(), dtype=np.float32)
    assert data.size % (block.height * block.width) == 0
    return data.reshape(-1, block.height, block.width)


def _expected(block: spectrogram, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    length = block.window_length
    count = samples.size // length
    windows = samples[: count * length].reshape(count, length)
    images, valid = Frontend(block.frontend.config).compute_with_mask(windows, RATE)
    return images[:, 0], valid


@pytest.mark.parametrize("window_ms", [0.0, 10.0])
def test_images_are_the_frontends(lte, window_ms):
    block = spectrogram(MODEL, RATE, window_ms=window_ms, vlen=128)
    assert block.window_length == round((window_ms or 20.0) * 1e-3 * RATE)
    got = _images(block, lte)
    expected, _ = _expected(block, lte)
    assert got.shape[0] == lte.size // block.window_length  # whole windows only
    assert got.shape[1:] == (block.height, block.width) == (128, 128)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    assert block.invalid_windows == 0


def test_a_window_with_nan_comes_out_as_counted_zeros(lte):
    samples = lte.copy()
    samples[round(1.5 * 0.02 * RATE)] = np.nan  # inside the second window
    block = spectrogram(MODEL, RATE)
    got = _images(block, samples)
    expected, valid = _expected(block, samples)
    assert valid.tolist() == [True, False, True]
    assert not got[1].any()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    assert block.invalid_windows == 1


def test_the_card_comes_from_the_onnx_file_or_the_checkpoint():
    onnx = read_card(MODEL)
    checkpoint = read_card(str(resolve_model(MODEL, "torch")))
    assert onnx.frontend_config() == checkpoint.frontend_config()
    config, name = model_frontend(MODEL, window_ms=10.0)
    assert config.window_ms == 10.0 and name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sample_rate": 1e6}, "not supported"),
        ({"sample_rate": 200e6}, "not supported"),
        ({"vlen": 64}, "vlen=64"),
        ({"window_ms": 100.0}, "window_ms"),
        ({"model": "no-such-model"}, "no model"),
        ({"model": "/nonexistent/model.onnx"}, "does not exist"),
    ],
)
def test_unservable_settings_are_refused(kwargs, message):
    with pytest.raises(RfclassifyError, match=message):
        spectrogram(**{"model": MODEL, "sample_rate": RATE, **kwargs})


def test_a_corrupt_model_file_is_refused(tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not an onnx file")
    with pytest.raises(RfclassifyError, match=r"broken\.onnx: not a readable ONNX file"):
        spectrogram(str(bad), RATE)


def test_the_grc_block_makes_the_python_block():
    """Every constructor argument is a GRC parameter, passed by name (they cannot drift)."""
    path = Path(__file__).resolve().parents[2] / "grc" / "rfclassify_spectrogram.block.yml"
    spec = yaml.safe_load(path.read_text())
    assert (spec["id"], spec["category"], spec["file_format"]) == (
        "rfclassify_spectrogram",
        "[RF Classify]",
        1,
    )
    assert spec["templates"]["imports"] == "from gnuradio import rfclassify"
    params = [p["id"] for p in spec["parameters"]]
    assert all(p.get("dtype") and "default" in p for p in spec["parameters"])
    assert sorted(params) == sorted(inspect.signature(spectrogram).parameters)
    assert spec["templates"]["make"].startswith("rfclassify.spectrogram(")
    assert all(f"{name}=${{{name}}}" in spec["templates"]["make"] for name in params)
    assert (spec["inputs"][0]["dtype"], spec["outputs"][0]["dtype"]) == ("complex", "float")
    assert spec["outputs"][0]["vlen"] == "${ vlen }"
