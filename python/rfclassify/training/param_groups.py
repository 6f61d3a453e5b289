"""Which parameters weight decay applies to: the same rule for training and MAE pretraining.

Decay pulls weights towards zero; that is regularisation for a convolution or a linear map, but
harm for what has a meaningful non-zero value: biases and norm scales (every 0-/1-d tensor),
position embeddings and class tokens, and the selective scan's ``A_log`` and ``D`` (the state
matrix's decay rates and the skip gain, which decay to ``A = -1`` and no skip). As in timm and
the reference Vim/MAE code: each model names its own exceptions in ``no_weight_decay()``.
"""

from __future__ import annotations

from typing import Any

from torch import nn


def no_decay_names(model: nn.Module) -> set[str]:
    """Full names of the parameters not to decay: 0-/1-d ones and the model's own list."""
    listed = set(model.no_weight_decay()) if hasattr(model, "no_weight_decay") else set()
    return {
        name
        for name, param in model.named_parameters()
        if param.ndim <= 1 or name in listed or name.rsplit(".", 1)[-1] in listed
    }


def param_groups(
    model: nn.Module, weight_decay: float, decay_all: bool = False
) -> list[dict[str, Any]]:
    """Two optimiser groups, decayed and not, of the trainable parameters (empty ones dropped).

    ``decay_all``: one decayed group of everything, the old rule, kept to measure the new one.
    """
    skip = set() if decay_all else no_decay_names(model)
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (no_decay if name in skip else decay).append(param)
    groups = [{"params": decay, "weight_decay": weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]  # fmt: skip
    return [g for g in groups if g["params"]]
