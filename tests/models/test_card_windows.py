"""What window lengths a model card serves: its own, or any its training recipe drew."""

import json
from pathlib import Path

import pytest

from rfclassify.dsp import FrontendConfig
from rfclassify.models.card import ModelCard

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "vim-lte-nr.json"


def card(window_ms=None) -> ModelCard:
    data = json.loads(SHIPPED.read_text())
    if window_ms is not None:
        data["data"]["train"]["recipe"]["window_ms"] = window_ms
    return ModelCard.from_dict(data)


def test_a_card_trained_at_one_length_serves_only_that_length():
    fixed = card()
    own = fixed.frontend_config()
    assert fixed.trained_window_ms() == (20.0, 20.0)
    assert fixed.serves(own)
    assert not fixed.serves(own.replace(window_ms=10.0))


@pytest.mark.parametrize(("window", "served"), [(10.0, True), (40.0, True), (9.5, False)])
def test_a_card_trained_over_lengths_serves_each_of_them(window, served):
    ranged = card([10.0, 40.0])
    own = ranged.frontend_config()
    assert ranged.trained_window_ms() == (10.0, 40.0)
    assert ranged.serves(own.replace(window_ms=window)) is served


def test_another_length_does_not_excuse_another_frontend():
    ranged = card([10.0, 40.0])
    other = ranged.frontend_config().replace(window_ms=10.0, normalisation="median")
    assert not ranged.serves(other)
    assert not ranged.serves(FrontendConfig(window_ms=20.0, height=64, width=64))
