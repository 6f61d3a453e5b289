"""Starting a classifier from pretrained encoder weights (``rfclassify train --init-from``).

Strict on purpose: a fine-tune that silently started from scratch would make a pretraining
study measure nothing, so every encoder weight must find its place or the run stops.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from ..errors import RfclassifyError

HEAD_PREFIXES = ("head.", "fc_norm.")  # a classifier's own parts, not a pretrained encoder's


def load_pretrained(model: nn.Module, path: str | Path, linear_probe: bool = False) -> list[str]:
    """Load encoder weights (safetensors) into ``model``; every one must find its place.

    Only the classification head may be left as initialised; a weight the file lacks, one the
    model lacks or a shape that differs stops the run with the names, so a fine-tune never
    silently starts from scratch. ``linear_probe`` then freezes all but the head. Returns the
    keys left to the model's own initialisation.
    """
    from safetensors.torch import load_file

    try:
        weights = load_file(str(path))
    except Exception as exc:  # missing, truncated or not safetensors
        raise RfclassifyError(f"--init-from {path}: cannot read it ({exc})") from None
    own = model.state_dict()
    unexpected = sorted(set(weights) - set(own))
    missing = sorted(k for k in set(own) - set(weights) if not k.startswith(HEAD_PREFIXES))
    shapes = [
        f"{k} {tuple(weights[k].shape)} vs {tuple(own[k].shape)}"
        for k in sorted(set(weights) & set(own))
        if weights[k].shape != own[k].shape
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} model weights not in the file ({', '.join(missing[:5])})")
    if unexpected:
        problems.append(f"{len(unexpected)} file weights the model lacks ({unexpected[:5]})")
    if shapes:
        problems.append(f"{len(shapes)} shapes differ ({'; '.join(shapes[:3])})")
    if problems:
        raise RfclassifyError(
            f"--init-from {path} does not fit this model: {'; '.join(problems)}. Pretrain the "
            "same architecture at the same image size and channels."
        )
    model.load_state_dict(weights, strict=False)
    if linear_probe:
        for name, param in model.named_parameters():
            param.requires_grad = name.startswith(HEAD_PREFIXES)
    return sorted(k for k in own if k not in weights)
