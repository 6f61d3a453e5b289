import json

import pytest

from rfclassify.dsp import FrontendConfig


def test_default_round_trips_through_json():
    cfg = FrontendConfig()
    text = cfg.to_json()
    assert json.loads(text)["v"] == 1
    assert FrontendConfig.from_json(text) == cfg


def test_every_field_round_trips():
    cfg = FrontendConfig(
        window_ms=None,
        window_samples=100_000,
        nfft=512,
        window="blackmanharris",
        overlap=0.5,
        frames_per_column=3,
        time_pooling="max",
        height=256,
        width=64,
        channels=3,
        db_floor=-130.0,
        normalisation="fixed",
        fixed_range_db=(-110.0, -10.0),
        rate_policy="exact",
        sample_rate=30.72e6,
        rate_tolerance=1e-3,
    )
    again = FrontendConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    assert isinstance(again.fixed_range_db, tuple)
    assert hash(again) == hash(cfg)


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"window_ms": None}, "exactly one of window_ms and window_samples"),
        ({"window_samples": 1000}, "exactly one of window_ms and window_samples"),
        ({"window_ms": 0.5}, "outside 1..40 ms"),
        ({"window_ms": 41.0}, "outside 1..40 ms"),
        ({"nfft": 100, "height": 128}, "one must divide the other"),
        ({"channels": 2}, "use 1 or 3"),
        ({"overlap": 1.0}, "overlap"),
        ({"overlap": -0.1}, "overlap"),
        ({"time_pooling": "median"}, "time_pooling"),
        ({"normalisation": "zscore"}, "normalisation"),
        ({"window": "no-such-window"}, "unknown window"),
        ({"rate_policy": "exact"}, "needs sample_rate"),
        ({"fixed_range_db": (0.0, -10.0)}, "increasing"),
        ({"height": 2}, "outside 4..4096"),
    ],
)
def test_invalid_configs_are_refused_with_a_reason(changes, message):
    with pytest.raises(ValueError, match=message):
        FrontendConfig().replace(**changes)


def test_unknown_keys_and_versions_are_refused():
    d = FrontendConfig().to_dict()
    with pytest.raises(ValueError, match="unknown keys"):
        FrontendConfig.from_dict({**d, "fft_len": 3})
    with pytest.raises(ValueError, match="version 2"):
        FrontendConfig.from_dict({**d, "v": 2})
    with pytest.raises(ValueError, match="not valid JSON"):
        FrontendConfig.from_json("{nope")
    with pytest.raises(ValueError, match="JSON object"):
        FrontendConfig.from_json("[1, 2]")


def test_window_length_follows_rate_or_is_fixed():
    assert FrontendConfig(window_ms=20.0).window_length(30.72e6) == 614_400
    assert FrontendConfig(window_ms=1.0).window_length(1.92e6) == 1920
    fixed = FrontendConfig(window_ms=None, window_samples=4096)
    assert fixed.window_length(1.92e6) == fixed.window_length(61.44e6) == 4096


def test_exact_rate_policy_tolerance():
    cfg = FrontendConfig(rate_policy="exact", sample_rate=30.72e6, rate_tolerance=1e-4)
    cfg.check_rate(30.72e6 * (1 + 5e-5))
    with pytest.raises(ValueError, match="not supported"):
        cfg.check_rate(30.72e6 * (1 + 5e-4))
    with pytest.raises(ValueError, match="not a number"):
        cfg.check_rate(float("nan"))
