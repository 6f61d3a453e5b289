"""A frontend with an extra (peak-hold) plane, end to end: dataset, training, the card, and the
streaming engine feeding the model two planes from torch and from ONNX Runtime alike."""

from __future__ import annotations

import numpy as np

from rfclassify.datasets.builder import build_dataset
from rfclassify.datasets.recipe import load_recipe
from rfclassify.dsp import FrontendConfig
from rfclassify.inference import Classifier
from rfclassify.models.card import load_checkpoint
from rfclassify.signals.scene import Scene, render
from rfclassify.training.config import resolve_config
from rfclassify.training.export import export_model
from rfclassify.training.trainer import train


def test_a_two_plane_model_trains_exports_and_classifies(tmp_path):
    recipe = load_recipe()
    recipe.update(capture_rates=[1.92e6, 3.84e6], pair=0.0, partial_view=0.0)
    frontend = FrontendConfig(window_ms=5.0, height=32, width=32, extra_plane="peak")
    build_dataset(tmp_path / "train", 48, 1, recipe, frontend, progress=False, workers=1)
    build_dataset(tmp_path / "val", 16, 2, recipe, frontend, progress=False, workers=1)
    flags = {"data": str(tmp_path / "train"), "val": str(tmp_path / "val"),
             "out": str(tmp_path / "run"), "epochs": 1,
             "model_overrides": {"patch_size": 4, "depth": 1}}  # fmt: skip
    train(resolve_config("vim_ultralight", flags=flags), progress=False)
    checkpoint = tmp_path / "run" / "best.safetensors"
    onnx = tmp_path / "two-planes.onnx"
    model, card = load_checkpoint(checkpoint)
    export_model(model, card, onnx)
    wave = render(Scene("lte", 0.01, 1.92e6, snr_db=20.0, params={"bandwidth_mhz": 1.4}), 3)
    windows = wave.samples[: 2 * 9600].reshape(2, 9600)
    results = []
    for model, backend in ((checkpoint, "torch"), (onnx, "onnxruntime")):
        engine = Classifier(str(model), backend)
        assert engine.frontend_config.planes == 2
        assert engine.images(windows, 1.92e6)[0].shape == (2, 2, 32, 32)
        probs, valid = engine.classify(windows, 1.92e6)
        assert probs.shape == (2, 4) and valid.all()
        results.append(probs)
    np.testing.assert_allclose(results[0], results[1], atol=1e-4)
