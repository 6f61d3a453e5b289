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


def plot_suite(result: dict[str, Any], path: str | Path) -> None:
    """One bar per suite set (window accuracy for recordings), the held-out set as a line:
    where a model fails to generalise is where a bar falls short of the line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result["sets"] if r["accuracy"] is not None]
    colours = {"held_out": "black", "shift": "tab:blue", "noise_battery": "tab:green",
               "real": "tab:red"}  # fmt: skip
    fig, ax = plt.subplots(figsize=(7.0, 0.22 * len(rows) + 1.2), layout="constrained")
    y = range(len(rows))
    ax.barh(y, [100 * r["accuracy"] for r in rows], color=[colours[r["group"]] for r in rows])
    ax.set_yticks(y, [r["name"] for r in rows], fontsize=7)
    ax.invert_yaxis()
    held = next((r for r in rows if r["group"] == "held_out"), None)
    if held is not None:
        ax.axvline(100 * held["accuracy"], color="black", ls="--", lw=1, label="held-out")
        ax.legend(loc="lower right", fontsize=8)
    met, judged = result["targets_met"], result["targets_judged"]
    ax.set(xlim=(0, 100), xlabel="accuracy, all SNRs (%)")
    ax.set_title(f"{Path(result['model']).stem} on the suite: {met} of {judged} targets met",
                 fontsize=9)  # fmt: skip
    ax.grid(axis="x", alpha=0.3)
    fig.savefig(path, dpi=100)
    plt.close(fig)
