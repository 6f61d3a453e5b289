"""The models in models/: their cards keep the DESIGN.md contract, the files are the ones the
cards describe, and they classify clear signals correctly through the streaming engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rfclassify.inference import Classifier, shipped_models
from rfclassify.models.card import ModelCard, sha256
from rfclassify.signals.scene import Scene, render

MODELS = Path(__file__).resolve().parents[1] / "models"
SHIPPED = sorted(p.stem for p in MODELS.glob("*.onnx"))
REQUIRED = ("vim-lte-nr", "mobilevit-xxs-lte-nr")


def test_the_block_default_and_mobilevit_are_shipped():
    assert set(REQUIRED) <= set(SHIPPED)
    assert set(SHIPPED) <= set(shipped_models())  # found by name


@pytest.mark.parametrize("name", SHIPPED)
def test_card_holds_the_contract_and_describes_this_very_file(name):
    raw = json.loads((MODELS / f"{name}.json").read_text())
    card = ModelCard.from_dict(raw)
    assert card.onnx["sha256"] == sha256(MODELS / f"{name}.onnx")
    assert card.params and card.macs and card.frontend and card.classes
    train, test = card.data["train"], card.metrics["test"]
    assert test["data"]["seed"] != train["seed"]  # held out
    assert train["generator_version"] == test["data"]["generator_version"]
    assert 0.25 < test["accuracy"] <= 1 and 0 < test["macro_f1"] <= 1
    assert len(test["accuracy_by_snr"]) >= 8 and len(test["targets"]) == 5
    assert card.reproduce[-1].startswith("rfclassify export ") and name in card.reproduce[-1]
    assert any(c.startswith("rfclassify train ") for c in card.reproduce)


def _example(kind: str, rate: float, seed: int, **params) -> np.ndarray:
    wave = render(Scene(kind, capture_rate=rate, snr_db=25.0, params=params), seed)
    return wave.samples.astype(np.complex64)


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
def test_clear_signals_get_their_labels(name, backend):
    model = Classifier(name, backend)
    rate = 15.36e6
    length = model.window_length(rate)
    cases = {
        "LTE": _example("lte", rate, 1, bandwidth_mhz=10.0),
        "NR": _example("nr", rate, 2, bandwidth_mhz=10, scs_khz=15),
        "Noise": _example("noise", rate, 3),
    }
    windows = np.stack([iq[:length] for iq in cases.values()])
    probs, valid = model.classify(windows, rate)
    assert valid.all()
    assert [model.classes[i] for i in probs.argmax(1)] == list(cases)


@pytest.mark.parametrize("card_path", sorted((MODELS / "pretrained").glob("*.json")))
def test_a_shipped_pretrained_encoder_loads_whole_into_its_architecture(card_path):
    from rfclassify.models import create_model
    from rfclassify.training.init_from import load_pretrained

    card = json.loads(card_path.read_text())
    weights = card_path.parent / card["file"]
    assert card["kind"] == "mae-encoder" and card["sha256"] == sha256(weights)
    arch = card["architecture"]
    model = create_model(
        arch["name"], 4, img_size=arch["img_size"], in_chans=arch["in_chans"], **arch["overrides"]
    )
    left = load_pretrained(model, weights)  # refuses any missing, unexpected or misshapen weight
    assert left and all(k.startswith(("head.", "fc_norm.")) for k in left)
    assert card["parameters"] == sum(p.numel() for p in model.parameters()) - sum(
        p.numel() for n, p in model.named_parameters() if n.startswith(("head.", "fc_norm."))
    )
