"""Building a dataset: bit-identical for a seed, whatever the workers; readable; self-describing."""

import json

import numpy as np
import pytest

from rfclassify.datasets.builder import build_dataset, make_example
from rfclassify.datasets.dataset import DatasetError, SpectrogramDataset, check_held_out
from rfclassify.datasets.recipe import load_recipe
from rfclassify.datasets.table import COLUMNS
from rfclassify.dsp import FrontendConfig
from rfclassify.errors import RfclassifyError

DATA_FILES = ("dataset.json", "labels.npy", "examples.csv", "params.jsonl")


def small_recipe():
    """Low capture rates keep the examples small; every class and a pair still occur."""
    recipe = load_recipe()
    recipe["capture_rates"] = [1.92e6, 2.4e6, 3.84e6, 7.68e6, 15.36e6]
    recipe["pair"] = 0.3
    return recipe


FRONTEND = FrontendConfig(window_ms=5.0, height=32, width=32)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("datasets")
    kwargs = dict(recipe=small_recipe(), frontend=FRONTEND, shard_size=7, progress=False)
    one = build_dataset(root / "one", 24, 1, workers=1, **kwargs)
    two = build_dataset(root / "two", 24, 1, workers=2, chunk=3, **kwargs)
    other = build_dataset(root / "other", 24, 2, workers=2, **kwargs)
    return one.path, two.path, other.path


def test_same_seed_gives_bit_identical_files_whatever_the_workers(built):
    one, two, other = built
    names = [*DATA_FILES, *(f"images-{i:05d}.npy" for i in range(4))]
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert (one / "images-00000.npy").read_bytes() != (other / "images-00000.npy").read_bytes()


def test_shards_labels_table_and_params_agree(built):
    ds = SpectrogramDataset(built[0])
    assert len(ds) == 24
    assert [s["count"] for s in ds.meta["shards"]] == [7, 7, 7, 3]
    assert ds.image_shape == (1, 32, 32)
    assert ds.classes == ["LTE", "NR", "Noise", "Other"]
    images = ds.images(range(24))
    assert images.dtype == np.float32 and images.shape == (24, 1, 32, 32)
    assert np.isfinite(images).all()
    # standardised per window: zero mean, unit variance (to float16 precision)
    assert np.abs(images.mean(axis=(1, 2, 3))).max() < 0.01
    table = ds.table
    assert list(table) == list(COLUMNS)
    np.testing.assert_array_equal(table["index"], np.arange(24))
    np.testing.assert_array_equal(table["class_index"], ds.labels)
    for i in (0, 9, 23):
        p = ds.params(i)
        assert p["index"] == i and p["label"] == table["label"][i]
        assert p["capture_rate"] == table["capture_rate"][i]
    assert set(table["label"]) == {"LTE", "NR", "Noise", "Other"}
    noise = table["kind"] == "noise"
    assert np.isnan(table["snr_db"][noise]).all() and np.isfinite(table["snr_db"][~noise]).all()


def test_stored_image_is_the_frontend_of_the_rendered_example(built):
    ds = SpectrogramDataset(built[0])
    from rfclassify.dsp import Frontend

    image, row, _ = make_example(5, 1, ds.recipe, Frontend(ds.frontend), np.dtype(np.float32))
    np.testing.assert_allclose(ds.image(5), image, atol=2e-3 * np.abs(image).max())
    assert row["index"] == 5 and row["class_index"] == ds.labels[5]


def test_the_description_holds_recipe_seed_version_and_frontend(built):
    meta = json.loads((built[0] / "dataset.json").read_text())
    assert meta["complete"] is True
    assert meta["seed"] == 1 and meta["count"] == 24
    assert meta["generator_version"] >= 1
    assert FrontendConfig.from_dict(meta["frontend"]) == FRONTEND
    assert meta["recipe"]["capture_rates"] == small_recipe()["capture_rates"]
    build = json.loads((built[1] / "build.json").read_text())
    assert build["workers"] == 2 and build["examples_per_s"] > 0


def test_summary_counts_classes_and_parameters(built):
    summary = SpectrogramDataset(built[0]).summary()
    assert sum(summary["classes"].values()) == 24
    assert summary["pairs"] >= 1
    assert summary["capture_rates"] and max(summary["capture_rates"]) <= 15.36e6


def test_held_out_data_must_come_from_another_seed(built):
    one, two, other = (SpectrogramDataset(p) for p in built)
    with pytest.raises(DatasetError, match="same seed"):
        check_held_out(one, two)
    check_held_out(one, other)


def test_an_existing_dataset_is_kept_unless_forced(built, tmp_path):
    with pytest.raises(RfclassifyError, match="--force"):
        build_dataset(built[0], 2, 1, progress=False)
    assert SpectrogramDataset(built[0]).meta["count"] == 24


def test_rates_the_frontend_cannot_serve_are_dropped_or_refused(tmp_path):
    exact = FrontendConfig(
        window_ms=2.0, height=16, width=16, rate_policy="exact", sample_rate=3.84e6
    )
    result = build_dataset(
        tmp_path / "a", 4, 0, recipe=small_recipe(), frontend=exact, workers=1, progress=False
    )
    ds = SpectrogramDataset(result.path)
    assert ds.recipe["capture_rates"] == [3.84e6]
    assert set(ds.table["capture_rate"]) == {3.84e6}
    recipe = small_recipe()
    recipe["capture_rates"] = [1.92e6]
    with pytest.raises(RfclassifyError, match="suits the frontend"):
        build_dataset(tmp_path / "b", 4, 0, recipe=recipe, frontend=exact, progress=False)


def test_incomplete_or_foreign_folders_are_refused(built, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    with pytest.raises(DatasetError, match=r"no dataset\.json"):
        SpectrogramDataset(broken)
    meta = json.loads((built[0] / "dataset.json").read_text())
    (broken / "dataset.json").write_text(json.dumps({**meta, "complete": False}))
    with pytest.raises(DatasetError, match="incomplete"):
        SpectrogramDataset(broken)
    (broken / "dataset.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(DatasetError, match="not an rfclassify-dataset"):
        SpectrogramDataset(broken)
    (broken / "dataset.json").write_text(json.dumps(meta))
    with pytest.raises(DatasetError, match=r"images-00000\.npy"):
        SpectrogramDataset(broken)


def test_an_example_depends_only_on_seed_and_index(built, tmp_path):
    """The first examples of a small build are those of a bigger one with the same seed."""
    small = build_dataset(
        tmp_path / "small", 5, 1, small_recipe(), FRONTEND, workers=1, progress=False
    )
    big, head = SpectrogramDataset(built[0]), SpectrogramDataset(small.path)
    np.testing.assert_array_equal(head.images(range(5)), big.images(range(5)))
    np.testing.assert_array_equal(head.labels, big.labels[:5])


_INTERRUPTED = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from rfclassify.datasets import builder, checkpoint
from test_dataset_builder import FRONTEND, small_recipe

real = checkpoint.write_done
def write_done(folder, done):  # the build is killed once 10 examples are on disk
    real(folder, done)
    if done >= 10:
        os.kill(os.getpid(), signal.SIGKILL)
checkpoint.write_done = write_done
builder.build_dataset(Path({out!r}), 24, 1, recipe=small_recipe(), frontend=FRONTEND,
                      shard_size=7, progress=False, workers=1, chunk=2, checkpoint_s=0.0)
"""


def test_a_killed_build_resumes_to_the_bytes_of_an_uninterrupted_one(built, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    out = tmp_path / "cut"
    script = _INTERRUPTED.format(tests=str(Path(__file__).parent), out=str(out))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]  # SIGKILL: no clean-up ran
    done = json.loads((out / "progress.json").read_text())["done"]
    assert 10 <= done < 24 and not json.loads((out / "dataset.json").read_text())["complete"]
    with pytest.raises(RfclassifyError, match="--resume"):
        build_dataset(out, 24, 1, recipe=small_recipe(), frontend=FRONTEND, shard_size=7,
                      progress=False)  # fmt: skip
    with pytest.raises(RfclassifyError, match="seed"):
        build_dataset(out, 24, 2, recipe=small_recipe(), frontend=FRONTEND, shard_size=7,
                      progress=False, resume=True)  # fmt: skip
    result = build_dataset(out, 24, 1, recipe=small_recipe(), frontend=FRONTEND, shard_size=7,
                           progress=False, workers=2, resume=True)  # fmt: skip
    assert result.count == 24 - done and not (out / "progress.json").exists()
    names = [*DATA_FILES, *(f"images-{i:05d}.npy" for i in range(4))]
    for name in names:  # dataset.json too: complete, and the same description
        assert (out / name).read_bytes() == (built[0] / name).read_bytes(), name
    again = build_dataset(out, 24, 1, recipe=small_recipe(), frontend=FRONTEND, shard_size=7,
                          progress=False, resume=True)  # fmt: skip
    assert again.count == 24 and again.workers == 0  # finished: nothing to do
