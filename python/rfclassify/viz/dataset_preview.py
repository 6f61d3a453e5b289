"""A grid of random dataset examples per class: the quickest check that a recipe makes sense."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .png import save_palette_png

if TYPE_CHECKING:
    from ..datasets.dataset import SpectrogramDataset


def _title(table: dict[str, np.ndarray], i: int) -> str:
    kind = str(table["kind"][i])
    parts = [kind]
    if kind in ("lte", "nr"):
        parts[0] = kind.upper() + f" {table['bandwidth_mhz'][i]:g} MHz"
        if kind == "nr":
            parts.append(f"{table['scs_khz'][i]:g} kHz {table['duplex'][i]}")
    rate = table["capture_rate"][i] / 1e6
    snr = table["snr_db"][i]
    line2 = f"{rate:g} MS/s" + (f", {snr:.0f} dB" if np.isfinite(snr) else "")
    if table["pair_kind"][i]:
        line2 += f", +{str(table['pair_kind'][i]).upper()}"
    if table["visible_fraction"][i] < 0.999:
        line2 += f", {100 * table['visible_fraction'][i]:.0f}% seen"
    return " ".join(parts) + "\n" + line2


def render_preview(
    dataset: SpectrogramDataset, path: str | Path, per_class: int = 6, seed: int = 0
) -> None:
    """Rows = classes, columns = random examples of that class (fewer if the class is small).

    Images are shown as the model sees them (normalised), frequency up, time to the right.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    table = dataset.table
    labels = dataset.labels
    classes = dataset.classes
    fig, axes = plt.subplots(
        len(classes),
        per_class,
        figsize=(2.0 * per_class, 2.3 * len(classes)),
        squeeze=False,
        layout="constrained",
    )
    for row, name in enumerate(classes):
        members = np.flatnonzero(labels == row)
        chosen = rng.choice(members, min(per_class, members.size), replace=False)
        for col in range(per_class):
            ax = axes[row, col]
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(name, fontsize=12, fontweight="bold")
            if col >= chosen.size:
                ax.set_frame_on(False)
                continue
            index = int(chosen[col])
            ax.imshow(dataset.image(index)[0], origin="lower", aspect="auto", cmap="viridis")
            ax.set_title(f"#{index} " + _title(table, index), fontsize=7)
    fig.suptitle(
        f"{dataset.path.name}: {len(dataset)} examples, seed {dataset.seed} "
        "(frequency up, time right, as the model sees them)",
        fontsize=10,
    )
    save_palette_png(fig, path, dpi=80)
    plt.close(fig)
