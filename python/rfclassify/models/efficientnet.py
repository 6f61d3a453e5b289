"""EfficientNet B0..B3 (Tan & Le 2019): MBConv stages scaled by width, depth and resolution.

The B0 block table and the compound scaling follow the reference TF implementation
(``round_filters``: channels x width, rounded to a multiple of 8 and never more than 10 % down;
``round_repeats``: ceil of repeats x depth), which timm and torchvision reproduce, so the
parameter counts equal theirs (B0 5,288,548 at 1000 classes).

Names follow timm (``conv_stem, bn1, blocks.{stage}.{block}.{conv_dw, bn1, se.conv_reduce, ...},
conv_head, bn2, global_pool, classifier``) and ``bn*`` carry their activation like timm's
``BatchNormAct2d``, so a timm ``efficientnet_b*`` checkpoint maps in key for key. Deviations:
padding is symmetric ``k // 2`` (what timm's PyTorch-trained ``efficientnet_b*`` use, not the TF
'same' padding of ``tf_efficientnet_b*``), and BatchNorm defaults to the reference's eps 1e-3 /
momentum 0.01 rather than timm's PyTorch defaults (1e-5 / 0.1); both are constructor arguments.
The SE block reduces to 1/4 of the *block input* channels, as in the reference.
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import nn

from .layers import DropPath
from .registry import register_model

# B0 stages: (block type, repeats, kernel, stride, expand ratio, out channels); SE ratio 0.25.
B0_STAGES: tuple[tuple[str, int, int, int, int, int], ...] = (
    ("ds", 1, 3, 1, 1, 16),
    ("ir", 2, 3, 2, 6, 24),
    ("ir", 2, 5, 2, 6, 40),
    ("ir", 3, 3, 2, 6, 80),
    ("ir", 3, 5, 1, 6, 112),
    ("ir", 4, 5, 2, 6, 192),
    ("ir", 1, 3, 1, 6, 320),
)
SE_RATIO = 0.25
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280


def round_filters(channels: float, width_mult: float = 1.0, divisor: int = 8) -> int:
    """Reference ``round_filters``: scale, round to a multiple of ``divisor``, lose <= 10 %."""
    scaled = channels * width_mult
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def round_repeats(repeats: int, depth_mult: float = 1.0) -> int:
    """Reference ``round_repeats``: ceil, so a stage never loses a block to scaling."""
    return math.ceil(depth_mult * repeats)


class BatchNormAct2d(nn.BatchNorm2d):
    """BatchNorm followed by an activation in one module, as timm's ``BatchNormAct2d``."""

    def __init__(self, num_features: int, act: bool = True, eps: float = 1e-3, momentum=0.01):
        super().__init__(num_features, eps=eps, momentum=momentum)
        self.act = nn.SiLU(inplace=True) if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(super().forward(x))


class SqueezeExcite(nn.Module):
    """Channel gating from the global average: x * sigmoid(expand(silu(reduce(mean x))))."""

    def __init__(self, channels: int, rd_channels: int):
        super().__init__()
        self.conv_reduce = nn.Conv2d(channels, rd_channels, 1, bias=True)
        self.act1 = nn.SiLU(inplace=True)
        self.conv_expand = nn.Conv2d(rd_channels, channels, 1, bias=True)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * self.gate(self.conv_expand(self.act1(self.conv_reduce(s))))


def _conv(cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, stride, padding=k // 2, groups=groups, bias=False)


class DepthwiseSeparableConv(nn.Module):
    """First-stage block (expand ratio 1): depthwise conv, SE, pointwise projection."""

    def __init__(self, cin, cout, k, stride, drop_path: float, norm_layer) -> None:
        super().__init__()
        self.has_skip = stride == 1 and cin == cout
        self.conv_dw = _conv(cin, cin, k, stride, groups=cin)
        self.bn1 = norm_layer(cin)
        self.se = SqueezeExcite(cin, round(cin * SE_RATIO))
        self.conv_pw = _conv(cin, cout)
        self.bn2 = norm_layer(cout, act=False)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv_pw(self.se(self.bn1(self.conv_dw(x)))))
        return x + self.drop_path(y) if self.has_skip else y


class InvertedResidual(nn.Module):
    """MBConv: 1x1 expansion, depthwise conv, SE, linear 1x1 projection, residual if shapes keep."""

    def __init__(self, cin, cout, k, stride, expand, drop_path: float, norm_layer) -> None:
        super().__init__()
        mid = cin * expand
        self.has_skip = stride == 1 and cin == cout
        self.conv_pw = _conv(cin, mid)
        self.bn1 = norm_layer(mid)
        self.conv_dw = _conv(mid, mid, k, stride, groups=mid)
        self.bn2 = norm_layer(mid)
        self.se = SqueezeExcite(mid, round(cin * SE_RATIO))
        self.conv_pwl = _conv(mid, cout)
        self.bn3 = norm_layer(cout, act=False)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv_dw(self.bn1(self.conv_pw(x))))
        y = self.bn3(self.conv_pwl(self.se(y)))
        return x + self.drop_path(y) if self.has_skip else y


class EfficientNet(nn.Module):
    """EfficientNet for ``(B, in_chans, H, W)`` inputs; any H, W (global pooling at the end).

    ``drop_path_rate`` is the stochastic-depth rate of the last block, growing linearly from 0
    at the first (reference ``drop_connect_rate``); ``drop_rate`` is dropout before the classifier.
    """

    def no_weight_decay(self) -> set[str]:
        """Nothing beyond the 0-/1-d parameters (norms, biases): no embeddings or tokens here."""
        return set()

    def __init__(
        self,
        width_mult: float = 1.0,
        depth_mult: float = 1.0,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.2,
        drop_path_rate: float = 0.2,
        bn_eps: float = 1e-3,
        bn_momentum: float = 0.01,
    ) -> None:
        super().__init__()
        norm_layer = partial(BatchNormAct2d, eps=bn_eps, momentum=bn_momentum)
        stem = round_filters(STEM_CHANNELS, width_mult)
        self.conv_stem = _conv(in_chans, stem, 3, 2)
        self.bn1 = norm_layer(stem)

        repeats = [round_repeats(s[1], depth_mult) for s in B0_STAGES]
        total, idx, cin = sum(repeats), 0, stem
        stages: list[nn.Module] = []
        for (kind, _, k, stride, expand, cout), n in zip(B0_STAGES, repeats, strict=True):
            cout = round_filters(cout, width_mult)
            blocks: list[nn.Module] = []
            for i in range(n):
                s, dp = (stride if i == 0 else 1), drop_path_rate * idx / total
                if kind == "ds":
                    blocks.append(DepthwiseSeparableConv(cin, cout, k, s, dp, norm_layer))
                else:
                    blocks.append(InvertedResidual(cin, cout, k, s, expand, dp, norm_layer))
                cin, idx = cout, idx + 1
            stages.append(nn.Sequential(*blocks))
        self.blocks = nn.Sequential(*stages)

        self.num_features = round_filters(HEAD_CHANNELS, width_mult)
        self.conv_head = _conv(cin, self.num_features)
        self.bn2 = norm_layer(self.num_features)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.drop_rate = drop_rate
        self.dropout = nn.Dropout(drop_rate)
        self.classifier = nn.Linear(self.num_features, num_classes)
        self.apply(_init_weights)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn1(self.conv_stem(x))
        return self.bn2(self.conv_head(self.blocks(x)))

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.global_pool(x).flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


def _init_weights(m: nn.Module) -> None:
    """The reference (and timm ``_init_weight_goog``) fan-out initialisation."""
    if isinstance(m, nn.Conv2d):
        fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
        nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_out))
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        bound = 1.0 / math.sqrt(m.weight.size(0))
        nn.init.uniform_(m.weight, -bound, bound)
        nn.init.zeros_(m.bias)


# name: (width, depth, native resolution, dropout)
CONFIGS: dict[str, tuple[float, float, int, float]] = {
    "efficientnet_b0": (1.0, 1.0, 224, 0.2),
    "efficientnet_b1": (1.0, 1.1, 240, 0.2),
    "efficientnet_b2": (1.1, 1.2, 260, 0.3),
    "efficientnet_b3": (1.2, 1.4, 300, 0.3),
}


def _build(name: str, num_classes: int, in_chans: int, **overrides) -> EfficientNet:
    width, depth, _, dropout = CONFIGS[name]
    overrides.setdefault("drop_rate", dropout)
    return EfficientNet(width, depth, num_classes=num_classes, in_chans=in_chans, **overrides)


@register_model(family="efficientnet", img_size=224, summary="EfficientNet-B0 (5.3 M), 224x224")
def efficientnet_b0(
    num_classes: int = 4, img_size: int = 224, in_chans: int = 3, **overrides
) -> nn.Module:
    return _build("efficientnet_b0", num_classes, in_chans, **overrides)


@register_model(family="efficientnet", img_size=240, summary="EfficientNet-B1 (7.8 M), 240x240")
def efficientnet_b1(
    num_classes: int = 4, img_size: int = 240, in_chans: int = 3, **overrides
) -> nn.Module:
    return _build("efficientnet_b1", num_classes, in_chans, **overrides)


@register_model(family="efficientnet", img_size=260, summary="EfficientNet-B2 (9.1 M), 260x260")
def efficientnet_b2(
    num_classes: int = 4, img_size: int = 260, in_chans: int = 3, **overrides
) -> nn.Module:
    return _build("efficientnet_b2", num_classes, in_chans, **overrides)


@register_model(family="efficientnet", img_size=300, summary="EfficientNet-B3 (12 M), 300x300")
def efficientnet_b3(
    num_classes: int = 4, img_size: int = 300, in_chans: int = 3, **overrides
) -> nn.Module:
    return _build("efficientnet_b3", num_classes, in_chans, **overrides)
