"""``build_dataset``: draw scenes from a recipe, render them, turn them into spectrograms, store.

A dataset folder holds::

    dataset.json        what it is: classes, count, seed, recipe, frontend, generator version,
                        shards; deterministic (the same seed writes the same bytes)
    images-00000.npy    (count, C, H, W) spectrograms, float16 by default (np.load(mmap_mode="r"))
    labels.npy          (N,) int8 class indices, in ``classes`` order
    examples.csv        one row of parameters per example (see ``table.COLUMNS``)
    params.jsonl        every generation parameter of every example, one JSON object per line
    build.json          how the build went (time, examples/s, workers): the only file that varies

Examples are made in parallel by worker processes, ``chunk`` at a time, each from its own seed
(``recipe.example_rngs``), so the bytes do not depend on the worker count or on scheduling.
``dataset.json`` says ``"complete": false`` until the last byte is written, so an interrupted
build is never mistaken for a finished one.
"""

from __future__ import annotations

import csv
import functools
import json
import multiprocessing
import os
import platform
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..dsp import Frontend, FrontendConfig
from ..errors import RfclassifyError
from ..signals.common import CLASSES
from ..signals.scene import GENERATOR_VERSION
from . import checkpoint
from .recipe import (
    RecipeError,
    draw_recorded,
    draw_window_ms,
    example_rngs,
    load_recipe,
    resolve_recipe,
)
from .table import COLUMNS, row_cells, table_row

FORMAT = "rfclassify-dataset"
FORMAT_VERSION = 1
STORAGE_DTYPES = ("float16", "float32")
SUITE_SEED = 1919  # the evaluation suite's seed (suite.py): refused for any other split


@dataclass(frozen=True)
class BuildResult:
    path: Path
    count: int
    seconds: float
    workers: int

    @property
    def examples_per_s(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")


def make_example(
    index: int, seed: int, recipe: dict, frontend: Frontend, dtype: np.dtype
) -> tuple[np.ndarray, dict, dict]:
    """Example ``index``: its image ``(C, H, W)``, its table row and its full parameters.

    With a recipe ``window_ms`` range the example is recorded for its own drawn length and
    imaged by ``frontend``'s config at that length (the image size is the same).
    """
    draw_rng, render_rng = example_rngs(seed, index)
    window_ms = draw_window_ms(recipe, seed, index)
    if window_ms is not None:
        frontend = frontend_at(frontend.config, window_ms)

    def duration(rate: float) -> float:
        # a little extra: a sample-rate offset shortens the recording by up to its ppm
        return frontend.config.window_length(rate) / rate * 1.002 + 1e-4

    example, wave = draw_recorded(recipe, draw_rng, render_rng, duration)
    rate = wave.sample_rate
    n = frontend.config.window_length(rate)
    x = wave.samples[:n]
    if x.size < n:
        x = np.concatenate([x, np.zeros(n - x.size, np.complex64)])
    image = frontend(x[None], rate)[0].astype(dtype)
    params = {"index": index, "label": example.label, **wave.params}
    if window_ms is not None:
        params["window_ms"] = window_ms
    row = table_row(index, example, wave, window_ms=round(n / rate * 1e3, 6))
    return image, row, params


@functools.lru_cache(maxsize=128)
def frontend_at(config: FrontendConfig, window_ms: float) -> Frontend:
    """``config``'s frontend at another window length (one per length drawn, kept)."""
    return Frontend(config.replace(window_ms=window_ms, window_samples=None))


_WORKER: dict[str, Any] = {}


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def prepare_worker() -> None:
    """Keep freed memory in the process instead of returning it to the kernel at each free.

    An example allocates and frees tens of arrays of 1-20 MB; glibc serves those with mmap and
    trims the heap after each free, so every array costs thousands of page faults (about 10 %
    of a worker's time). Raising both thresholds keeps the pages mapped and reused. Linux/glibc
    only; elsewhere nothing changes.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's maximum on 64-bit
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    except (OSError, AttributeError):
        pass


def _init_worker(seed: int, recipe: dict, frontend: dict, dtype: str) -> None:
    prepare_worker()
    _WORKER.update(
        seed=seed,
        recipe=recipe,
        frontend=Frontend(FrontendConfig.from_dict(frontend)),
        dtype=np.dtype(dtype),
    )


def _make_chunk(start: int, stop: int) -> tuple[int, np.ndarray, list[dict], list[str]]:
    w = _WORKER
    made = [
        make_example(i, w["seed"], w["recipe"], w["frontend"], w["dtype"])
        for i in range(start, stop)
    ]
    images = np.stack([m[0] for m in made])
    lines = [json.dumps(m[2], sort_keys=True) for m in made]
    return start, images, [m[1] for m in made], lines


def _chunks(count: int, chunk: int, first: int = 0) -> Iterator[tuple[int, int]]:
    for start in range(first, count, chunk):
        yield start, min(count, start + chunk)


def _results(
    count: int, chunk: int, workers: int, init_args: tuple, first: int = 0
) -> Iterator[tuple[int, np.ndarray, list[dict], list[str]]]:
    """Chunk results in completion order, from ``workers`` processes (or this one)."""
    if workers == 1:
        _init_worker(*init_args)
        for start, stop in _chunks(count, chunk, first):
            yield _make_chunk(start, stop)
        return
    # fork (as torch's DataLoader does on Linux): no re-import of the caller's __main__, so a
    # script without a main guard works; spawn where fork does not exist
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(workers, context, _init_worker, init_args) as pool:
        pending: set[Future] = set()
        todo = _chunks(count, chunk, first)
        try:
            for start, stop in todo:  # keep a bounded queue: memory stays flat for any N
                pending.add(pool.submit(_make_chunk, start, stop))
                if len(pending) >= 3 * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()


class _InOrder:
    """Writes lines in index order although chunks finish out of order."""

    def __init__(self, write: Callable[[list], None], first: int = 0):
        self._write = write
        self._next = first
        self._pending: dict[int, list] = {}

    @property
    def next(self) -> int:
        """How many leading items are written."""
        return self._next

    def add(self, start: int, items: list) -> None:
        self._pending[start] = items
        while self._next in self._pending:
            items = self._pending.pop(self._next)
            self._write(items)
            self._next += len(items)


def _describe(
    count: int, seed: int, recipe: dict, config: FrontendConfig, dtype: str, shard: int, split: str
) -> dict[str, Any]:
    shape = list(config.image_shape)
    shards = [
        {"file": f"images-{i:05d}.npy", "start": start, "count": min(shard, count - start)}
        for i, start in enumerate(range(0, count, shard))
    ]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "classes": list(CLASSES),
        "count": count,
        "seed": seed,
        "split": split,
        "generator_version": GENERATOR_VERSION,
        "rfclassify_version": __version__,
        "recipe": recipe,
        "frontend": config.to_dict(),
        "image_shape": shape,
        "dtype": dtype,
        "shards": shards,
        "complete": False,
    }


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


CHECKPOINT_S = 20.0  # how often an unfinished build records what is on disk


def _checkpoint(out: Path, done: int, shards: list, labels, *files) -> None:
    for array in (*shards, labels):
        array.flush()
    checkpoint.sync(*files)
    checkpoint.write_done(out, done)


def _resume_point(out: Path, meta: dict, overwrite: bool, resume: bool) -> int:
    """How many examples an earlier, interrupted build of the same settings left (0: start)."""
    path = out / "dataset.json"
    if not path.exists() or overwrite:
        return 0
    if not resume:
        raise RfclassifyError(
            f"{out} already holds a dataset; pass --force to replace it (or --resume to "
            "continue an interrupted build)"
        )
    try:
        old = json.loads(path.read_text())
    except ValueError:
        raise RfclassifyError(f"{path} is damaged; rebuild with --force") from None
    differ = checkpoint.mismatch(old, meta)
    if differ:
        raise RfclassifyError(
            f"{out} was built with other settings ({', '.join(differ)}): --resume continues "
            "only the same build; pass --force to replace it"
        )
    if old.get("complete"):
        return meta["count"]
    done = checkpoint.read_done(out)
    try:
        checkpoint.truncate_lines(out / "params.jsonl", done)
        checkpoint.truncate_lines(out / "examples.csv", done + 1)  # + the header
    except (OSError, ValueError) as exc:
        raise RfclassifyError(f"cannot resume {out}: {exc}; rebuild with --force") from None
    return done


def _usable_rates(recipe: dict, config: FrontendConfig) -> list[float]:
    """The recipe's rates at which every window length it draws fits the frontend."""
    configs = [config]
    if recipe.get("window_ms") is not None:
        configs = [config.replace(window_ms=float(ms), window_samples=None)
                   for ms in recipe["window_ms"]]  # fmt: skip
    usable = []
    for rate in recipe["capture_rates"]:
        try:
            for each in configs:
                each.window_length(rate)
        except ValueError:
            continue
        usable.append(rate)
    if not usable:
        raise RfclassifyError(
            f"none of the recipe's capture rates {recipe['capture_rates']} suits the frontend "
            f"({config.supported_rates_text()})"
        )
    return usable


def build_dataset(
    out: str | Path,
    count: int,
    seed: int,
    recipe: dict | None = None,
    frontend: FrontendConfig | None = None,
    workers: int | None = None,
    shard_size: int = 4096,
    dtype: str = "float16",
    split: str = "",
    chunk: int = 8,
    overwrite: bool = False,
    progress: bool = True,
    command: str = "",
    resume: bool = False,
    checkpoint_s: float = CHECKPOINT_S,
) -> BuildResult:
    """Build ``count`` examples into folder ``out``; see the module docstring for the layout.

    ``recipe`` None is the default recipe; capture rates the frontend cannot serve are dropped
    from it (the saved recipe says which were used). ``workers`` None uses every core.
    ``command`` (the command line that asked for it) is kept so model cards can cite it.
    ``resume`` continues an interrupted build of the same settings in ``out`` where it stopped
    (``checkpoint.py``): the result is the bytes an uninterrupted build writes. What is on
    disk is recorded every ``checkpoint_s`` seconds.
    """
    out = Path(out)
    if count < 1:
        raise RfclassifyError(f"--n must be at least 1, got {count}")
    if dtype not in STORAGE_DTYPES:
        raise RfclassifyError(f"dtype {dtype!r}: use one of {STORAGE_DTYPES}")
    if shard_size < 1:
        raise RfclassifyError("shard size must be at least 1")
    if seed == SUITE_SEED and split != "suite":
        raise RfclassifyError(
            f"seed {SUITE_SEED} is the evaluation suite's; a model trained or validated on it "
            "would be judged on its own data. Use another seed"
        )
    try:
        recipe = load_recipe() if recipe is None else resolve_recipe(recipe)
    except RecipeError as exc:
        raise RfclassifyError(str(exc)) from None
    config = frontend or FrontendConfig()
    recipe["capture_rates"] = _usable_rates(recipe, config)
    workers = max(1, min(workers or os.cpu_count() or 1, -(-count // chunk)))
    meta = _describe(count, seed, recipe, config, dtype, shard_size, split)
    if command:
        meta["command"] = command
    done = _resume_point(out, meta, overwrite, resume)
    if done == count:
        return BuildResult(out, count, 0.0, 0)
    out.mkdir(parents=True, exist_ok=True)
    mode = "r+" if done else "w+"
    if not done:
        for stale in [*out.glob("images-*.npy"), out / "build.json", out / checkpoint.PROGRESS]:
            stale.unlink(missing_ok=True)
        _write_json(out / "dataset.json", meta)
    shape = tuple(meta["image_shape"])
    shards = [
        np.lib.format.open_memmap(out / s["file"], mode, dtype, (s["count"], *shape))
        for s in meta["shards"]
    ]
    labels = np.lib.format.open_memmap(out / "labels.npy", mode, np.int8, (count,))
    started = time.perf_counter()
    bar = _progress_bar(count, progress)
    bar.update(done)
    init = (seed, recipe, config.to_dict(), dtype)
    text_mode = "a" if done else "w"
    with (
        open(out / "params.jsonl", text_mode) as params_file,
        open(out / "examples.csv", text_mode, newline="") as table_file,
    ):
        table_writer = csv.writer(table_file, lineterminator="\n")
        if not done:
            table_writer.writerow(COLUMNS)
        params = _InOrder(lambda lines: params_file.write("".join(f"{s}\n" for s in lines)), done)
        table = _InOrder(lambda rows: table_writer.writerows(map(row_cells, rows)), done)
        saved = time.monotonic()
        for start, images, chunk_rows, lines in _results(count, chunk, workers, init, done):
            for offset, image in enumerate(images):
                index = start + offset
                shards[index // shard_size][index % shard_size] = image
            labels[start : start + len(chunk_rows)] = [r["class_index"] for r in chunk_rows]
            params.add(start, lines)
            table.add(start, chunk_rows)
            bar.update(len(chunk_rows))
            if time.monotonic() - saved >= checkpoint_s:
                _checkpoint(out, table.next, shards, labels, params_file, table_file)
                saved = time.monotonic()
    bar.close()
    for shard in shards:
        shard.flush()
    labels.flush()
    del shards, labels
    (out / checkpoint.PROGRESS).unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    _write_json(out / "dataset.json", {**meta, "complete": True})
    result = BuildResult(out, count - done, seconds, workers)
    _write_json(
        out / "build.json",
        {
            "seconds": round(seconds, 3),
            "examples_per_s": round(result.examples_per_s, 3),
            "workers": workers,
            "cpu_count": os.cpu_count(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )
    return result


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="ex",
        desc="building",
        disable=not enabled,
        smoothing=0.1,
        dynamic_ncols=True,
    )


def sample_images(
    frontend: FrontendConfig,
    count: int,
    seed: int = 0,
    capture_rates: tuple[float, ...] = (1.92e6, 3.84e6, 7.68e6),
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` real spectrograms (float32) and labels from the default recipe, quickly: low
    capture rates only. For parity checks and quantisation calibration, not for training."""
    recipe = load_recipe()
    recipe["capture_rates"] = _usable_rates(
        {**recipe, "capture_rates": list(capture_rates)}, frontend
    )
    engine = Frontend(frontend)
    made = [make_example(i, seed, recipe, engine, np.dtype(np.float32)) for i in range(count)]
    return np.stack([m[0] for m in made]), np.array([m[1]["class_index"] for m in made])
