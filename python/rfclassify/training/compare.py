"""The seeds' comparison of training runs: size, cost, accuracy and resources, side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import RfclassifyError


def run_row(run: Path, test: Path | None = None, progress: bool = False) -> dict[str, Any]:
    """One run's figures; accuracy from ``test`` (evaluated, cached) or the validation set."""
    from ..models.card import load_checkpoint
    from ..models.flops import count_macs, count_params

    summary_path = run / "summary.json"
    if not summary_path.exists():
        raise RfclassifyError(f"{run} is not a finished training run (no summary.json)")
    summary = json.loads(summary_path.read_text())
    model, card = load_checkpoint(run / "best.safetensors")
    row: dict[str, Any] = {
        "run": run.name,
        "model": card.architecture["name"],
        "input": list(card.input_shape),
        "params": count_params(model),
        "macs": count_macs(model, card.input_shape),
        "epochs": summary["epochs_run"],
        "best_epoch": summary["best_epoch"],
        "train_seconds": summary["train_seconds"],
        "peak_memory_bytes": summary["peak_memory_bytes"],
        "memory_kind": "GPU allocated" if summary["device"].startswith("cuda") else "RSS",
        "device": summary["device"],
    }
    if test is None:
        row.update(accuracy=summary["best_val_acc"], macro_f1=None, measured_on="validation")
        return row
    from ..datasets.dataset import SpectrogramDataset
    from .evaluate import Predictor, evaluate

    dataset = SpectrogramDataset(test)
    cache = run / f"eval-{dataset.path.name}-seed{dataset.seed}.json"
    if cache.exists():
        result = json.loads(cache.read_text())
    else:
        result = evaluate(Predictor(run / "best.safetensors"), dataset, progress=progress)
        result.pop("predictions")
        cache.write_text(json.dumps(result, indent=2) + "\n")
    row.update(
        accuracy=result["accuracy"],
        macro_f1=result["macro_f1"],
        accuracy_by_snr=[
            [b["snr_db"], b["accuracy"]] for b in result["by_snr"]["bins"] if b["count"]
        ],
        measured_on=f"{dataset.path.name} (seed {dataset.seed}, {dataset.meta['count']})",
    )
    return row


def markdown_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| run | model | params (M) | GMACs | accuracy | macro-F1 | train time | epochs | "
        "peak memory |\n|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        f1 = "" if r["macro_f1"] is None else f"{r['macro_f1']:.4f}"
        lines.append(
            f"| {r['run']} | `{r['model']}` | {r['params'] / 1e6:.3f} | {r['macs'] / 1e9:.3f} | "
            f"{100 * r['accuracy']:.2f} % | {f1} | {r['train_seconds'] / 60:.1f} min | "
            f"{r['epochs']} | {r['peak_memory_bytes'] / 2**20:.0f} MiB {r['memory_kind']} |"
        )
    measured = {r["measured_on"] for r in rows}
    lines.append("")
    lines.append("Accuracy measured on: " + "; ".join(sorted(measured)) + ".")
    return "\n".join(lines) + "\n"


def plot_comparison(rows: list[dict[str, Any]], path: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_snr = [r for r in rows if r.get("accuracy_by_snr")]
    panels = 4 if by_snr else 3
    fig, axes = plt.subplots(1, panels, figsize=(4.4 * panels, 3.8), layout="constrained")
    names = [r["run"] for r in rows]
    acc = [100 * r["accuracy"] for r in rows]
    for ax, key, label in (
        (axes[0], "macs", "GMACs per window"),
        (axes[1], "params", "parameters (M)"),
    ):
        scale = 1e9 if key == "macs" else 1e6
        xs = [r[key] / scale for r in rows]
        ax.scatter(xs, acc)
        for x, y, name in zip(xs, acc, names, strict=True):
            ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.set(xscale="log", xlabel=label, ylabel="accuracy (%)")
        ax.grid(alpha=0.3)
    axes[2].bar(names, [r["train_seconds"] / 60 for r in rows])
    axes[2].set(ylabel="training time (min)")
    axes[2].tick_params(axis="x", rotation=30)
    if by_snr:
        for r in by_snr:
            snr, acc_snr = zip(*r["accuracy_by_snr"], strict=True)
            axes[3].plot(snr, [100 * a for a in acc_snr], marker="o", label=r["run"])
        axes[3].set(xlabel="SNR (dB)", ylabel="accuracy (%)", title="held-out test set")
        axes[3].grid(alpha=0.3)
        axes[3].legend(fontsize=8)
    fig.savefig(path, dpi=100)
    plt.close(fig)
