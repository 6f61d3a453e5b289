"""The label-efficiency study: does MAE pretraining pay, and with how many labels?

One grid, every cell a real training run under the same budget: for each label fraction and
seed, a ViT trained from scratch, the same ViT fine-tuned from an MAE encoder, and (optionally)
a linear probe of that encoder. A seed fixes the labelled subset *and* the run's randomness, so
``scratch`` and ``finetune`` at one (fraction, seed) see exactly the same examples in the same
order: their difference is the pretraining's doing, and is reported paired, seed by seed.

Every run is evaluated once on the held-out test set (another seed than training); the run
folders stay, so an interrupted study continues where it stopped and every figure can be
traced back to its run.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RfclassifyError

METHODS = ("scratch", "finetune", "probe")
METHOD_LABELS = {
    "scratch": "from scratch",
    "finetune": "MAE + fine-tune",
    "probe": "MAE + linear probe",
}


@dataclass
class StudyConfig:
    model: str
    data: str
    val: str
    test: str
    out: str
    encoder: str = ""  # an MAE run's encoder.safetensors (needed by finetune and probe)
    fractions: list[float] = field(default_factory=lambda: [0.01, 0.1, 1.0])
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    methods: list[str] = field(default_factory=lambda: ["scratch", "finetune"])
    model_overrides: dict[str, Any] = field(default_factory=dict)
    # the budget every run gets, whatever its method and fraction
    epochs: int = 10
    steps_per_epoch: int = 40
    batch_size: int = 32
    optimizer: str = "adamw"
    lr: float = 3e-4
    probe_lr: float = 3e-3  # a frozen encoder's head wants a larger step
    weight_decay: float = 0.05
    warmup_epochs: int = 1
    label_smoothing: float = 0.1
    device: str = "cpu"

    def validate(self) -> None:
        unknown = sorted(set(self.methods) - set(METHODS))
        if unknown:
            raise RfclassifyError(f"unknown methods {unknown}; known: {list(METHODS)}")
        if not self.methods or not self.fractions or not self.seeds:
            raise RfclassifyError("the study needs at least one method, fraction and seed")
        if any(not 0 < f <= 1 for f in self.fractions):
            raise RfclassifyError(f"label fractions must be in (0, 1], got {self.fractions}")
        if set(self.methods) & {"finetune", "probe"} and not self.encoder:
            raise RfclassifyError("finetune and probe need --encoder (an MAE encoder.safetensors)")
        if self.encoder and not Path(self.encoder).is_file():
            raise RfclassifyError(f"--encoder {self.encoder}: no such file")


def run_name(method: str, fraction: float, seed: int) -> str:
    return f"{method}-{100 * fraction:g}pct-seed{seed}"


def train_config(study: StudyConfig, method: str, fraction: float, seed: int):
    """The ``TrainConfig`` of one cell: the shared budget, the method's start, the subset."""
    from .config import resolve_config

    flags = {
        "data": study.data,
        "val": study.val,
        "out": str(Path(study.out) / run_name(method, fraction, seed)),
        "device": study.device,
        "epochs": study.epochs,
        "steps_per_epoch": study.steps_per_epoch,
        "batch_size": study.batch_size,
        "optimizer": study.optimizer,
        "lr": study.probe_lr if method == "probe" else study.lr,
        "weight_decay": study.weight_decay,
        "scheduler": "cosine",
        "warmup_epochs": study.warmup_epochs,
        "label_smoothing": study.label_smoothing,
        "patience": 0,  # the same budget for all: no early stop (the best epoch is kept)
        "seed": seed,
        "label_fraction": fraction,
        "model_overrides": study.model_overrides,
        "init_from": study.encoder if method != "scratch" else None,
        "linear_probe": True if method == "probe" else None,
    }
    return resolve_config(study.model, flags=flags)


def run_study(study: StudyConfig, progress: bool = True) -> dict[str, Any]:
    """Train and evaluate every cell not already done; returns (and saves) the results."""
    from tqdm import tqdm

    from .compare import run_row
    from .trainer import train

    study.validate()
    out = Path(study.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "study.json").write_text(json.dumps(asdict(study), indent=2) + "\n")
    # seed by seed: a study stopped early still covers every fraction and method
    cells = [(m, f, s) for s in study.seeds for f in study.fractions for m in study.methods]
    rows = []
    with tqdm(total=len(cells), unit="run", disable=not progress, dynamic_ncols=True) as bar:
        for method, fraction, seed in cells:
            name = run_name(method, fraction, seed)
            bar.set_description(name)
            run = out / name
            if not (run / "summary.json").exists():
                resume = (run / "last.pt").exists()
                train(train_config(study, method, fraction, seed), resume=resume, progress=False)
            row = run_row(run, Path(study.test))
            card = json.loads((run / "best.json").read_text())
            labelled = card["data"]["train"].get("labelled_count", card["data"]["train"]["count"])
            rows.append(
                {
                    "method": method,
                    "fraction": fraction,
                    "seed": seed,
                    "labelled": labelled,
                    **{k: row[k] for k in ("run", "accuracy", "macro_f1", "best_epoch")},
                    "train_seconds": row["train_seconds"],
                    "measured_on": row["measured_on"],
                }
            )
            bar.write(
                f"{name}: {labelled} labelled, held-out accuracy {100 * row['accuracy']:.2f} %, "
                f"macro-F1 {row['macro_f1']:.4f} ({row['train_seconds']:.0f} s)"
            )
            bar.update()
            results = _save(study, rows, out)  # after every run: a stopped study keeps its part
    return results


def _save(study: StudyConfig, rows: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    results = {"config": asdict(study), "runs": rows, "summary": summarise(rows)}
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "table.md").write_text(markdown(results))
    plot_study(results, out / "label-efficiency.png")
    return results


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and spread per (method, fraction), and each method's paired gain over scratch."""
    cells: dict[tuple[str, float], list[dict]] = {}
    for row in rows:
        cells.setdefault((row["method"], row["fraction"]), []).append(row)
    by_key = {(r["method"], r["fraction"], r["seed"]): r for r in rows}
    summary = []
    for (method, fraction), members in cells.items():
        entry = {
            "method": method,
            "fraction": fraction,
            "labelled": members[0]["labelled"],
            "accuracy": _spread([r["accuracy"] for r in members]),
            "macro_f1": _spread([r["macro_f1"] for r in members]),
        }
        pairs = [(r, by_key.get(("scratch", fraction, r["seed"]))) for r in members]
        pairs = [(r, base) for r, base in pairs if base is not None]
        if method != "scratch" and pairs:
            entry["gain_over_scratch"] = {
                "accuracy": _spread([r["accuracy"] - b["accuracy"] for r, b in pairs]),
                "macro_f1": _spread([r["macro_f1"] - b["macro_f1"] for r, b in pairs]),
            }
        summary.append(entry)
    summary.sort(key=lambda e: (e["fraction"], METHODS.index(e["method"])))
    return summary


def markdown(results: dict[str, Any]) -> str:
    """The study's table: mean +- standard deviation over seeds, and the paired gain."""
    lines = [
        "| labels | examples | method | accuracy (%) | macro-F1 | gain over scratch "
        "(accuracy, points) | seeds |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in results["summary"]:
        acc, f1 = e["accuracy"], e["macro_f1"]
        gain = e.get("gain_over_scratch")
        gain_text = (
            f"{100 * gain['accuracy']['mean']:+.2f} +- {100 * gain['accuracy']['std']:.2f}"
            if gain
            else ""
        )
        lines.append(
            f"| {100 * e['fraction']:g} % | {e['labelled']} | {METHOD_LABELS[e['method']]} | "
            f"{100 * acc['mean']:.2f} +- {100 * acc['std']:.2f} | "
            f"{f1['mean']:.4f} +- {f1['std']:.4f} | {gain_text} | {acc['n']} |"
        )
    measured = sorted({r["measured_on"] for r in results["runs"]})
    lines += [
        "",
        "Held-out test set: " + "; ".join(measured) + ". Spread: sample standard "
        "deviation over seeds; the gain is paired (same seed, same labelled subset).",
    ]
    return "\n".join(lines) + "\n"


def plot_study(results: dict[str, Any], path: str | Path) -> None:
    """Accuracy and macro-F1 against the label fraction, one line per method, every seed shown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    methods = [m for m in METHODS if any(e["method"] == m for e in results["summary"])]
    for ax, metric, label in (
        (axes[0], "accuracy", "held-out accuracy (%)"),
        (axes[1], "macro_f1", "held-out macro-F1"),
    ):
        scale = 100 if metric == "accuracy" else 1
        for i, method in enumerate(methods):
            entries = [e for e in results["summary"] if e["method"] == method]
            xs = [100 * e["fraction"] for e in entries]
            means = [scale * e[metric]["mean"] for e in entries]
            stds = [scale * e[metric]["std"] for e in entries]
            color = f"C{i}"
            ax.errorbar(xs, means, yerr=stds, marker="o", capsize=4, color=color,
                        label=METHOD_LABELS[method])  # fmt: skip
            runs = [r for r in results["runs"] if r["method"] == method]
            ax.scatter([100 * r["fraction"] for r in runs], [scale * r[metric] for r in runs],
                       s=12, alpha=0.4, color=color)  # fmt: skip
        ax.set(xscale="log", xlabel="labelled training examples used", ylabel=label)
        fractions = sorted({e["fraction"] for e in results["summary"]})
        ax.set_xticks([100 * f for f in fractions], [f"{100 * f:g} %" for f in fractions])
        ax.minorticks_off()
        ax.grid(alpha=0.3)
    axes[0].legend()
    config = results["config"]
    model = config["model"] + "".join(f", {k} {v}" for k, v in config["model_overrides"].items())
    fig.suptitle(f"Label efficiency, {model}: mean +- std over seeds (dots: single runs)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
