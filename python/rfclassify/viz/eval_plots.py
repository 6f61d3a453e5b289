"""The two figures of an evaluation: the confusion matrix and accuracy against SNR."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_confusion(result: dict[str, Any], names: list[str], path: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    m = np.asarray(result["confusion"], dtype=float)
    rows = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(4.8, 4.2), layout="constrained")
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(names)):
        for j in range(len(names)):
            colour = "white" if rows[i, j] > 0.6 else "black"
            ax.text(j, i, f"{100 * rows[i, j]:.1f}%\n{int(m[i, j])}", ha="center", va="center",
                    fontsize=8, color=colour)  # fmt: skip
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    title = f"accuracy {100 * result['accuracy']:.2f} %, macro-F1 {result['macro_f1']:.3f}"
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_accuracy_vs_snr(result: dict[str, Any], names: list[str], path: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = result["by_snr"]["bins"]
    fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    x = [b["snr_db"] for b in bins]
    for name in [*names, "accuracy"]:
        pts = [(xi, 100 * b[name]) for xi, b in zip(x, bins, strict=True) if b[name] is not None]
        if not pts:
            continue
        style = {"lw": 2.5, "color": "black"} if name == "accuracy" else {"marker": "o"}
        label = "all classes" if name == "accuracy" else name
        ax.plot(*zip(*pts, strict=True), label=label, **style)
    ax.set(xlabel="SNR over the occupied band (dB)", ylabel="accuracy (%)", ylim=(0, 101))
    ax.set_title("accuracy against SNR (Noise has no SNR: its line is absent)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.savefig(path, dpi=100)
    plt.close(fig)
