"""A run's history, one row per epoch: ``history.json``, ``history.csv`` and ``curves.png``,
rewritten after every epoch by ``train`` and ``pretrain`` alike."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any


def write_history(out: Path, history: list[dict[str, Any]], title: str = "") -> None:
    from ..viz.curves import plot_curves

    (out / "history.json").write_text(json.dumps(history, indent=2) + "\n")
    with open(out / "history.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)
    plot_curves(history, out / "curves.png", title)
