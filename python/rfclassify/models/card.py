"""Model cards and checkpoints: what a model is, what it expects, and its weights, without pickle.

A checkpoint is two files side by side: ``NAME.safetensors`` (the weights; safetensors cannot
execute code, unlike a pickled ``.pt``) and ``NAME.json`` (the card). The card names the
architecture with everything ``create_model`` needs to rebuild it, the classes in output order,
the frontend the model was trained with (DESIGN.md rule 1), and, once known, its training data
and metrics. Exported ONNX files carry the same card in their metadata.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..dsp import FrontendConfig
from ..errors import RfclassifyError
from ..signals.common import CLASSES

if TYPE_CHECKING:  # torch loads only where a network is built or saved, not to read a card
    from torch import nn

CARD_VERSION = 1


@dataclass
class ModelCard:
    architecture: dict[str, Any]  # create_model arguments: name, num_classes, img_size, ...
    classes: list[str] = field(default_factory=lambda: list(CLASSES))
    frontend: dict[str, Any] = field(default_factory=dict)
    params: int | None = None
    macs: int | None = None
    data: dict[str, Any] = field(default_factory=dict)  # recipe, seed, generator version
    metrics: dict[str, Any] = field(default_factory=dict)
    onnx: dict[str, Any] = field(default_factory=dict)  # file, sha256, opset, precision
    reproduce: list[str] = field(default_factory=list)  # the commands that made it, in order
    name: str = ""
    version: int = CARD_VERSION

    @property
    def input_shape(self) -> tuple[int, int, int]:
        a = self.architecture
        return (int(a["in_chans"]), int(a["img_size"]), int(a["img_size"]))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "input_shape": list(self.input_shape)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        data = {k: v for k, v in data.items() if k != "input_shape"}
        if data.get("version", CARD_VERSION) != CARD_VERSION:
            raise RfclassifyError(
                f"model card version {data.get('version')}; this software reads {CARD_VERSION}"
            )
        try:
            card = cls(**data)
        except TypeError as exc:
            raise RfclassifyError(f"invalid model card: {exc}") from None
        for key in ("name", "num_classes", "img_size", "in_chans"):
            if key not in card.architecture:
                raise RfclassifyError(f"invalid model card: architecture has no {key!r}")
        if len(card.classes) != card.architecture["num_classes"]:
            raise RfclassifyError(
                f"invalid model card: {len(card.classes)} classes for a "
                f"{card.architecture['num_classes']}-output model"
            )
        return card

    def frontend_config(self) -> FrontendConfig:
        """The frontend the model was trained with (default + the image size if unrecorded)."""
        if self.frontend:
            return FrontendConfig.from_dict(self.frontend)
        c, h, w = self.input_shape
        return FrontendConfig(height=h, width=w, channels=c)

    def trained_window_ms(self) -> tuple[float, float] | None:
        """The window lengths (ms) the model was trained over: its training recipe's
        ``window_ms`` range, else the frontend's one length (None: fixed sample windows)."""
        bounds = self.data.get("train", {}).get("recipe", {}).get("window_ms")
        if bounds is not None:
            return float(bounds[0]), float(bounds[1])
        window = self.frontend_config().window_ms
        return None if window is None else (window, window)

    def trained_window_text(self) -> str:
        """``"20 ms"`` or ``"10-40 ms"``: the trained lengths, for messages."""
        trained = self.trained_window_ms()
        if trained is None:
            return f"{self.frontend_config().window_samples}-sample"
        lo, hi = trained
        return f"{lo:g} ms" if lo == hi else f"{lo:g}-{hi:g} ms"

    def serves(self, frontend: FrontendConfig) -> bool:
        """Whether images made by ``frontend`` are what the model was trained on: its own
        frontend, or that frontend at another window length within ``trained_window_ms``."""
        own = self.frontend_config()
        if frontend == own:
            return True
        trained = self.trained_window_ms()
        if trained is None or frontend.window_ms is None:
            return False
        lo, hi = trained
        window = frontend.window_ms
        return lo <= window <= hi and frontend == own.replace(window_ms=window, window_samples=None)


def card_for(model: nn.Module, classes: list[str] | None = None, **fields: Any) -> ModelCard:
    """A card for a model made by ``create_model`` (it remembers how it was made)."""
    from .flops import count_params

    spec = getattr(model, "rfclassify_spec", None)
    if spec is None:
        raise RfclassifyError("this model was not made by rfclassify.models.create_model")
    classes = list(classes or CLASSES[: spec["num_classes"]])
    if len(classes) != spec["num_classes"]:
        raise RfclassifyError(f"{len(classes)} class names for {spec['num_classes']} outputs")
    c, size = spec["in_chans"], spec["img_size"]
    frontend = (
        fields.pop("frontend", None)
        or FrontendConfig(height=size, width=size, channels=c).to_dict()
    )
    return ModelCard(
        architecture=dict(spec),
        classes=classes,
        frontend=frontend,
        params=count_params(model),
        name=fields.pop("name", spec["name"]),
        **fields,
    )


def save_checkpoint(model: nn.Module, card: ModelCard, path: str | Path) -> Path:
    """Write ``path.safetensors`` and ``path.json``; returns the weights path."""
    from safetensors.torch import save_file

    base = Path(path).with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    weights = base.with_suffix(".safetensors")
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(weights), metadata={"format": "pt", "rfclassify_card": card.to_json()})
    base.with_suffix(".json").write_text(card.to_json() + "\n")
    return weights


def load_checkpoint(path: str | Path) -> tuple[nn.Module, ModelCard]:
    """Rebuild a model from ``X.safetensors`` (+ ``X.json``); every weight must fit exactly."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .registry import create_model

    weights = Path(path)
    if weights.suffix == ".json":
        weights = weights.with_suffix(".safetensors")
    if weights.suffix != ".safetensors":
        raise RfclassifyError(
            f"{path}: checkpoints are .safetensors files (pickled .pt/.pth are not loaded: "
            "unpickling runs code)"
        )
    card_path = weights.with_suffix(".json")
    try:
        card = ModelCard.from_dict(json.loads(card_path.read_text()))
    except FileNotFoundError:
        raise RfclassifyError(f"{weights}: no model card {card_path.name} next to it") from None
    except json.JSONDecodeError as exc:
        raise RfclassifyError(f"{card_path}: not valid JSON ({exc})") from None
    a = card.architecture
    model = create_model(
        a["name"], a["num_classes"], a["img_size"], a["in_chans"], **a.get("overrides", {})
    )
    try:
        state = load_file(str(weights))
    except (OSError, SafetensorError) as exc:
        raise RfclassifyError(f"{weights}: cannot read weights ({exc})") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "mismatch"
        raise RfclassifyError(f"{weights} does not fit {a['name']}: {first}") from None
    return model.eval(), card


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_any(
    source: str, num_classes: int = 4, in_chans: int | None = None
) -> tuple[nn.Module, ModelCard]:
    """A registry name (fresh weights) or a checkpoint path."""
    from .registry import create_model, list_models

    if source in list_models():
        model = create_model(source, num_classes=num_classes, in_chans=in_chans)
        return model.eval(), card_for(model)
    if Path(source).suffix in (".safetensors", ".json", ".pt", ".pth", ".ckpt"):
        return load_checkpoint(source)
    raise RfclassifyError(
        f"{source!r} is neither a registered model (see 'rfclassify models') nor a checkpoint "
        "(.safetensors with its .json card)"
    )
