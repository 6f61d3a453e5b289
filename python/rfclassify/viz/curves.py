"""Loss (and accuracy, where there are labels) per epoch: one PNG per run.

Any history row works: every ``*loss`` column is drawn on the loss panel, every ``*acc`` column
on the accuracy panel (which a label-free run such as MAE pretraining does not get), with
``train_`` / ``val_`` shown as training / validation.
"""

from __future__ import annotations

from pathlib import Path

_LABELS = {"train": "training", "val": "validation"}


def _label(column: str) -> str:
    prefix = column.split("_")[0]
    return _LABELS.get(prefix, column)


def plot_curves(history: list[dict], path: str | Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = list(history[0])
    losses = [c for c in columns if c.endswith("loss")]
    accuracies = [c for c in columns if c.endswith("acc")]
    panels = 1 + bool(accuracies)
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.8), layout="constrained")
    axes = [axes] if panels == 1 else list(axes)
    epochs = [r["epoch"] for r in history]
    for column, marker in zip(losses, "os^v", strict=False):
        axes[0].plot(epochs, [r[column] for r in history], f"{marker}-", label=_label(column))
    axes[0].set(xlabel="epoch", ylabel="loss", title="loss")
    if accuracies:
        for column, marker in zip(accuracies, "os^v", strict=False):
            values = [100 * r[column] for r in history]
            axes[1].plot(epochs, values, f"{marker}-", label=_label(column))
        axes[1].set(xlabel="epoch", ylabel="%", title="accuracy")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=90)
    plt.close(fig)
