"""A recipe ``window_ms`` range: every example recorded and imaged at its own window length."""

import numpy as np
import pytest
from test_dataset_builder import small_recipe

from rfclassify.datasets.builder import build_dataset, make_example
from rfclassify.datasets.dataset import SpectrogramDataset
from rfclassify.datasets.recipe import RecipeError, draw_window_ms, resolve_recipe
from rfclassify.dsp import Frontend, FrontendConfig

FRONTEND = FrontendConfig(window_ms=5.0, height=32, width=32)


def ranged_recipe(lo=2.0, hi=8.0):
    recipe = small_recipe()
    recipe["window_ms"] = [lo, hi]
    return recipe


def test_window_lengths_are_drawn_log_uniformly_on_their_own_stream():
    recipe = ranged_recipe(10.0, 40.0)
    drawn = np.array([draw_window_ms(recipe, 1, i) for i in range(2000)])
    assert drawn.min() >= 10.0 and drawn.max() <= 40.0
    assert np.all(np.isclose(drawn * 2, np.round(drawn * 2)))  # 0.5 ms steps
    # log-uniform: as many windows in 10-20 ms as in 20-40 ms (binomial sd ~ 1.1 %)
    assert abs(np.mean(drawn < 20.0) - 0.5) < 0.05
    assert draw_window_ms(recipe, 1, 7) == draw_window_ms(recipe, 1, 7)
    assert draw_window_ms(resolve_recipe({}), 1, 7) is None  # the default: the frontend's own


@pytest.mark.parametrize("bad", [[0.5, 10.0], [10.0, 41.0], [20.0, 10.0], 20.0])
def test_a_window_range_outside_what_a_frontend_takes_is_refused(bad):
    with pytest.raises(RecipeError, match="window_ms"):
        resolve_recipe({"window_ms": bad})


def test_a_range_changes_nothing_but_the_window_of_each_example():
    fixed, ranged = small_recipe(), ranged_recipe()
    frontend = Frontend(FRONTEND)
    f32 = np.dtype(np.float32)
    same = 0
    for index in range(8):
        _, row_fixed, _ = make_example(index, 3, fixed, frontend, f32)
        image, row, params = make_example(index, 3, ranged, frontend, f32)
        window = draw_window_ms(ranged, 3, index)
        assert row["window_ms"] == pytest.approx(window, abs=1e-3)
        assert row_fixed["window_ms"] == pytest.approx(5.0, abs=1e-3)
        assert params["window_ms"] == window
        assert image.shape == (1, 32, 32)
        keys = ("label", "kind", "capture_rate", "offset_hz")
        same += all(row[k] == row_fixed[k] for k in keys)
    # the same scenes from the untouched draw stream, but for one redrawn because it showed
    # nothing in its shorter or longer window (an idle cell between its sync bursts)
    assert same >= 6


def test_a_ranged_build_stores_same_sized_images_and_each_length_in_the_table(tmp_path):
    result = build_dataset(
        tmp_path / "ds", 16, 5, recipe=ranged_recipe(), frontend=FRONTEND, workers=1,
        progress=False,
    )  # fmt: skip
    ds = SpectrogramDataset(result.path)
    assert ds.meta["recipe"]["window_ms"] == [2.0, 8.0]
    assert ds.images(range(16)).shape == (16, 1, 32, 32)
    windows = ds.table["window_ms"]
    assert windows.min() >= 2.0 - 1e-3 and windows.max() <= 8.0 + 1e-3
    assert len(np.unique(np.round(windows, 1))) >= 4
    # the stored image is the example's own window length through the same frontend
    i = int(np.argmax(windows))
    image, _, _ = make_example(i, 5, ds.recipe, Frontend(FRONTEND), np.dtype(np.float32))
    np.testing.assert_allclose(ds.image(i), image, atol=2e-3 * np.abs(image).max())


def test_rates_too_low_for_the_shortest_window_are_dropped(tmp_path):
    # 4096-point frames: a 1 ms window at 1.92 MS/s is 1920 samples, shorter than one frame
    frontend = FrontendConfig(window_ms=5.0, nfft=4096, height=32, width=32)
    recipe = ranged_recipe(1.0, 8.0)
    recipe["capture_rates"] = [1.92e6, 7.68e6]
    result = build_dataset(
        tmp_path / "ds", 2, 5, recipe=recipe, frontend=frontend, workers=1, progress=False
    )
    assert SpectrogramDataset(result.path).meta["recipe"]["capture_rates"] == [7.68e6]


def test_eval_slices_a_ranged_set_by_window_bands():
    from rfclassify.training.evaluate import window_bands

    fixed = np.array([20.0, 20.0, np.nan])
    assert window_bands(fixed) is fixed  # one length: sliced as it is
    bands = window_bands(np.array([10.0, 12.5, 15.0, 20.0, 24.5, 30.0, 40.0, *np.arange(11, 20)]))
    assert list(bands[:7]) == ["< 12.5 ms", "12.5-17.5 ms", "12.5-17.5 ms", "17.5-25 ms",
                               "17.5-25 ms", "25-35 ms", ">= 35 ms"]  # fmt: skip
