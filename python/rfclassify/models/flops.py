"""Parameter and multiply-accumulate counts, the way the seeds' tables count them.

MACs come from ``torch.utils.flop_counter.FlopCounterMode`` (PyTorch's own operator-level
counter: convolutions, linear layers, matmuls and attention; 2 FLOPs per multiply-add) divided by
two. THOP, which the seeds' table used, counts MACs of conv/linear layers, so "GFLOPs" there are
GMACs here: MobileViT-XXS 0.35 G, ResNet-50 at 256x256 5.4 G. Elementwise operations (norms,
activations, the selective scan's recurrences) are not counted by either.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_macs(model: nn.Module, input_shape: tuple[int, int, int]) -> int:
    """Multiply-accumulates of one forward pass at batch 1 (eval mode)."""
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, *input_shape))
    model.train(was_training)
    return counter.get_total_flops() // 2
