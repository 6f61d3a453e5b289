"""Where an interrupted dataset build stands, so ``dataset build --resume`` continues it.

A build writes examples in index order into its files (``params.jsonl`` and ``examples.csv``
line by line, labels and images into memory-mapped arrays); every few seconds it flushes them
and records in ``progress.json`` how many leading examples are on disk. A resumed build cuts the
text files back to that many lines and makes the rest: since an example depends only on the
seed and its index, the finished folder is byte for byte the one an uninterrupted build writes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

PROGRESS = "progress.json"
# what must match for a folder to be continued: the same examples, stored the same way
SAME_BUILD = ("format_version", "classes", "count", "seed", "split", "generator_version",
              "recipe", "frontend", "image_shape", "dtype", "shards")  # fmt: skip


def read_done(folder: Path) -> int:
    """How many leading examples an interrupted build left complete (0: none recorded)."""
    try:
        return int(json.loads((folder / PROGRESS).read_text())["done"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def write_done(folder: Path, done: int) -> None:
    tmp = folder / (PROGRESS + ".tmp")
    tmp.write_text(json.dumps({"done": done}) + "\n")
    os.replace(tmp, folder / PROGRESS)


def truncate_lines(path: Path, keep: int) -> None:
    """Cut a text file after its first ``keep`` lines (an error if it has fewer)."""
    with open(path, "rb+") as f:
        for number in range(keep):
            if not f.readline():
                raise ValueError(f"{path} holds {number} lines, fewer than the {keep} recorded")
        f.truncate(f.tell())


def sync(*files) -> None:
    """Flush Python's buffers and the OS's, so that what ``progress.json`` claims is on disk."""
    for f in files:
        f.flush()
        os.fsync(f.fileno())


def mismatch(old: dict, new: dict) -> list[str]:
    """The settings in which an existing, unfinished build differs from the one asked for."""
    new = json.loads(json.dumps(new))  # tuples as lists, as the file holds them
    return [key for key in SAME_BUILD if not _same(key, old.get(key), new.get(key))]


def _same(key: str, old, new) -> bool:
    """Equal settings, reading a file written before a key with a default was added."""
    from ..dsp import FrontendConfig
    from .recipe import RecipeError, resolve_recipe

    try:
        if key == "frontend":
            return FrontendConfig.from_dict(old) == FrontendConfig.from_dict(new)
        if key == "recipe":
            return resolve_recipe(old) == resolve_recipe(new)
    except (ValueError, TypeError, RecipeError):
        return False
    return old == new
