"""Training configuration: the seeds' per-model defaults, a config file, then the flags.

Resolution order (later wins): ``TrainConfig`` defaults < the family's defaults (below) < a JSON
or TOML ``--config`` file < command-line flags. The resolved config is saved as ``config.json``
in the run folder, so a run can always be repeated exactly.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RfclassifyError

# The seeds' table (../shared/seeds/000_*.txt) for Vim, ResNet-50 and ViT; MobileViT and
# EfficientNet follow their papers' recipes scaled down to a small dataset (AdamW + cosine,
# batch 64) since the seeds give none.
FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "vim": {"optimizer": "adamw", "lr": 5e-4, "weight_decay": 0.05, "scheduler": "cosine",
            "batch_size": 32, "epochs": 200, "patience": 10},
    "resnet": {"optimizer": "adam", "lr": 1e-4, "weight_decay": 0.0, "scheduler": "none",
               "batch_size": 75, "epochs": 10, "patience": 0},
    "vit": {"optimizer": "adam", "lr": 1e-4, "weight_decay": 0.0, "scheduler": "none",
            "batch_size": 8, "epochs": 10, "patience": 0},
    "hybrid": {"optimizer": "adam", "lr": 1e-4, "weight_decay": 0.0, "scheduler": "none",
               "batch_size": 8, "epochs": 10, "patience": 0},
    "mobilevit": {"optimizer": "adamw", "lr": 1e-3, "weight_decay": 0.01, "scheduler": "cosine",
                  "batch_size": 64, "epochs": 100, "patience": 10, "warmup_epochs": 2},
    "efficientnet": {"optimizer": "adamw", "lr": 1e-3, "weight_decay": 1e-5,
                     "scheduler": "cosine", "batch_size": 64, "epochs": 100, "patience": 10,
                     "warmup_epochs": 2},
}  # fmt: skip


@dataclass
class TrainConfig:
    """Everything a run depends on. ``patience`` 0 disables early stopping."""

    model: str = "vim_ultralight"
    data: str = ""
    val: str = ""
    out: str = ""
    device: str = "auto"
    epochs: int = 10
    batch_size: int = 32
    optimizer: str = "adamw"
    lr: float = 5e-4
    weight_decay: float = 0.05
    decay_all: bool = False  # decay every parameter, as before 2026-12-03: for comparison only
    scheduler: str = "cosine"
    warmup_epochs: int = 0
    patience: int = 10
    grad_clip: float = 1.0
    label_smoothing: float = 0.0
    amp: bool = True  # on CUDA only
    seed: int = 0
    deterministic: bool = False
    workers: int = 0
    val_fraction: float = 0.1  # held out of --data when there is no --val
    max_steps_per_epoch: int = 0  # 0: the whole training set every epoch
    steps_per_epoch: int = 0  # > 0: exactly this many batches per epoch, a small set repeated
    label_fraction: float = 1.0  # < 1: train on a stratified subset of --data's labels
    generate: int = 0  # > 0: render this many training examples per epoch on the fly
    generate_seed: int = 1  # the stream's seed (not the validation set's)
    recipe: str = ""  # recipe file for on-the-fly examples (default: the validation set's)
    model_overrides: dict[str, Any] = field(default_factory=dict)
    augment: dict[str, Any] = field(default_factory=dict)  # see augment.AugmentConfig
    init_from: str = ""  # pretrained encoder weights (safetensors), e.g. an MAE run's
    linear_probe: bool = False  # with init_from: train the head only, the encoder frozen

    def validate(self) -> None:
        checks = [
            (self.epochs >= 1, "epochs must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.lr > 0, "lr must be > 0"),
            (self.optimizer in ("adam", "adamw", "sgd"), "optimizer: adam, adamw or sgd"),
            (self.scheduler in ("cosine", "none"), "scheduler: cosine or none"),
            (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:"),
             "device: auto, cpu or cuda[:N]"),
            (0 <= self.val_fraction < 1, "val_fraction must be in [0, 1)"),
            (self.grad_clip >= 0, "grad_clip must be >= 0 (0: off)"),
            (0 <= self.label_smoothing < 1, "label_smoothing must be in [0, 1)"),
            (not (self.data and self.generate), "give --data or --generate, not both"),
            (self.generate >= 0, "generate must be >= 0"),
            (0 < self.label_fraction <= 1, "label_fraction must be in (0, 1]"),
            (not (self.generate and self.label_fraction < 1),
             "label_fraction subsets a --data folder, not a --generate stream"),
            (self.steps_per_epoch >= 0, "steps_per_epoch must be >= 0"),
        ]  # fmt: skip
        for ok, message in checks:
            if not ok:
                raise RfclassifyError(f"invalid training config: {message}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise RfclassifyError(f"cannot read {path}: {exc.strerror}") from None
    try:
        if path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # JSON or TOML syntax
        raise RfclassifyError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise RfclassifyError(f"{path} must hold a table of training settings")
    return data


def resolve_config(
    model: str, file: str | Path | None = None, flags: dict[str, Any] | None = None
) -> TrainConfig:
    """Defaults < the family's defaults < ``file`` < ``flags`` (None values are ignored)."""
    from ..models import model_spec

    try:
        family = model_spec(model).family
    except ValueError as exc:
        raise RfclassifyError(str(exc)) from None
    values: dict[str, Any] = {"model": model, **FAMILY_DEFAULTS.get(family, {})}
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    layers = [_read(Path(file)) if file else {}, {k: v for k, v in (flags or {}).items()}]
    for layer in layers:
        for key, value in layer.items():
            if key not in known:
                raise RfclassifyError(f"unknown training setting {key!r}; known: {sorted(known)}")
            if value is not None:
                values[key] = value
    config = TrainConfig(**values)
    config.validate()
    return config
