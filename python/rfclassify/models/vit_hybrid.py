"""R50+ViT-B/16 hybrid (Dosovitskiy et al. 2021, sec. 3.1): ResNet features as ViT tokens.

The seeds' "ViT-Hyb" rows combine a ResNet trunk with a ViT encoder. As in the ViT paper and
timm's ``vit_base_r50_s16_224``, the ResNet-50 keeps its stem and first three stages (stage 4 is
removed, stage 3 extended from 6 to 9 bottlenecks) and stops at stride 16: a 14x14 map of 1024
channels at 224 input (2x2 at the seeds' 32x32). A 1x1 convolution (``patch_embed.proj``)
turns every position into a token; then it is ViT-B: class token, learned position embedding,
12 pre-norm blocks (768 wide, 12 heads, MLP 4x), final LayerNorm and a linear head on the class
token.

Two backbones (``backbone=`` override):

* ``"bit"`` (default): the paper's / BiT's ResNet v1.5 with GroupNorm(32) and weight-standardised
  convolutions with TF "same" padding, named as timm's ``ResNetV2`` (``stem.conv, stem.norm,
  stages.N.blocks.M.conv1/norm1/.../downsample.conv/.norm``), so a timm ``vit_base_r50_s16_224``
  state dict maps key for key (names and shapes checked against timm's source, not a download).
  GroupNorm also does not depend on the batch, which suits small batches of large inputs. As in
  timm's hybrid, the last norm of each bottleneck is not zero-initialised (``zero_init_last``).
* ``"bn"``: the plain BatchNorm ResNet-50 of ``resnet.py`` (``conv1, bn1, layer1..layer3``), so
  a trained ResNet-50 trunk can be moved in; default ``backbone_layers`` is then (3, 4, 6).

Deviations from timm: none in the parameters; ``pos_drop``/``head_drop`` exist, the parameter-free
identities timm keeps (``norm_pre``, ``fc_norm``, ``patch_drop``) are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .registry import register_model
from .resnet import EXPANSION, make_layer
from .vit import VisionTransformer

STAGE_WIDTHS = (256, 512, 1024, 2048)  # output channels of ResNet-50 stages 1..4


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF "same" padding (before, after) so that the output is ceil(size / stride)."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_same(x: torch.Tensor, kernel: int, stride: int, value: float = 0.0) -> torch.Tensor:
    # Shapes other than the batch are static when exporting, so these are plain ints.
    ph, pw = same_padding(x.shape[-2], kernel, stride), same_padding(x.shape[-1], kernel, stride)
    if ph == (0, 0) and pw == (0, 0):
        return x
    return F.pad(x, (*pw, *ph), value=value)


class StdConv2dSame(nn.Conv2d):
    """Weight-standardised conv (Qiao et al. 2019; BiT) with TF "same" padding, no bias.

    Each filter is normalised to zero mean, unit (biased) variance before use; with GroupNorm
    this replaces BatchNorm without any batch statistics.
    """

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int, stride: int = 1, eps=1e-8):
        super().__init__(in_chs, out_chs, kernel_size, stride=stride, padding=0, bias=False)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var, mean = torch.var_mean(self.weight, dim=(1, 2, 3), keepdim=True, unbiased=False)
        weight = (self.weight - mean) / torch.sqrt(var + self.eps)
        x = pad_same(x, self.kernel_size[0], self.stride[0])
        return F.conv2d(x, weight, None, self.stride)


class GroupNormAct(nn.GroupNorm):
    """GroupNorm(32) optionally followed by ReLU; parameters named like timm's (weight, bias)."""

    def __init__(self, num_channels: int, apply_act: bool = True, num_groups: int = 32):
        super().__init__(num_groups, num_channels, eps=1e-5)
        self.act = nn.ReLU(inplace=True) if apply_act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(super().forward(x))


class MaxPool2dSame(nn.Module):
    """3x3/2 max-pool with TF "same" padding (pads with -inf, as timm does)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(pad_same(x, 3, 2, value=float("-inf")), 3, 2)


class DownsampleConv(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, stride: int):
        super().__init__()
        self.conv = StdConv2dSame(in_chs, out_chs, 1, stride=stride)
        self.norm = GroupNormAct(out_chs, apply_act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(x))


class BottleneckGN(nn.Module):
    """timm ``resnetv2.Bottleneck`` (non-pre-activation): stride on the 3x3, GN + WS convs."""

    def __init__(self, in_chs: int, out_chs: int, stride: int = 1):
        super().__init__()
        mid = out_chs // EXPANSION
        self.downsample = None
        if stride != 1 or in_chs != out_chs:
            self.downsample = DownsampleConv(in_chs, out_chs, stride)
        self.conv1 = StdConv2dSame(in_chs, mid, 1)
        self.norm1 = GroupNormAct(mid)
        self.conv2 = StdConv2dSame(mid, mid, 3, stride=stride)
        self.norm2 = GroupNormAct(mid)
        self.conv3 = StdConv2dSame(mid, out_chs, 1)
        self.norm3 = GroupNormAct(out_chs, apply_act=False)
        self.act3 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.norm3(self.conv3(self.norm2(self.conv2(self.norm1(self.conv1(x))))))
        return self.act3(x + shortcut)


class ResNetStage(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, depth: int, stride: int):
        super().__init__()
        self.blocks = nn.Sequential(
            *(BottleneckGN(in_chs if i == 0 else out_chs, out_chs, stride if i == 0 else 1)
              for i in range(depth))
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


class ResNetV2Backbone(nn.Module):
    """BiT ResNet trunk without head (timm ``ResNetV2(preact=False, stem_type="same")``)."""

    def __init__(
        self, layers: Sequence[int] = (3, 4, 9), in_chans: int = 3, zero_init_last: bool = False
    ):
        super().__init__()
        self.stem = nn.Sequential()
        self.stem.add_module("conv", StdConv2dSame(in_chans, 64, 7, stride=2))
        self.stem.add_module("norm", GroupNormAct(64))
        self.stem.add_module("pool", MaxPool2dSame())
        chs, stages = 64, []
        for i, depth in enumerate(layers):
            stages.append(ResNetStage(chs, STAGE_WIDTHS[i], depth, 1 if i == 0 else 2))
            chs = STAGE_WIDTHS[i]
        self.stages = nn.Sequential(*stages)
        self.num_features = chs
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif zero_init_last and isinstance(m, BottleneckGN):
                nn.init.zeros_(m.norm3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


class ResNetBNBackbone(nn.Module):
    """The BatchNorm ResNet-50 of ``resnet.py`` cut after ``len(layers)`` stages."""

    def __init__(
        self, layers: Sequence[int] = (3, 4, 6), in_chans: int = 3, zero_init_last: bool = False
    ):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chans, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        chs = 64
        for i, depth in enumerate(layers):
            planes = STAGE_WIDTHS[i] // EXPANSION
            self.add_module(f"layer{i + 1}", make_layer(chs, planes, depth, 1 if i == 0 else 2))
            chs = STAGE_WIDTHS[i]
        self.num_stages = len(layers)
        self.num_features = chs
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif zero_init_last and hasattr(m, "zero_init_last"):
                m.zero_init_last()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        for i in range(self.num_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return x


class HybridEmbed(nn.Module):
    """CNN feature map -> tokens by a 1x1 conv: ``(B, C, H, W) -> (B, N, D)``."""

    def __init__(self, backbone: nn.Module, img_size: int, num_stages: int, embed_dim: int):
        super().__init__()
        self.backbone = backbone
        grid = img_size
        for _ in range(num_stages + 1):  # stem conv, stem pool, one stride 2 per later stage
            grid = math.ceil(grid / 2)
        self.grid_size = (grid, grid)
        self.num_patches = grid * grid
        self.img_size = (img_size, img_size)
        self.proj = nn.Conv2d(backbone.num_features, embed_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.backbone(x)).flatten(2).transpose(1, 2)


class VisionTransformerHybrid(VisionTransformer):
    """The ViT of ``vit.py`` whose patch embedding is a ResNet: every ViT method (attention
    maps, avg pooling, LayerScale) applies unchanged."""

    def __init__(
        self,
        img_size: int = 224,
        in_chans: int = 3,
        num_classes: int = 1000,
        backbone: str = "bit",
        backbone_layers: Sequence[int] | None = None,
        embed_dim: int = 768,
        zero_init_last: bool = False,
        drop_rate: float = 0.0,
        **vit_kwargs: Any,
    ):
        stages = len(backbone_layers or (3, 4, 9))
        if not 1 <= stages <= 4:
            raise ValueError(f"backbone_layers must name 1..4 stages, got {backbone_layers}")
        if backbone == "bit":
            cnn = ResNetV2Backbone(backbone_layers or (3, 4, 9), in_chans, zero_init_last)
        elif backbone == "bn":
            cnn = ResNetBNBackbone(backbone_layers or (3, 4, 6), in_chans, zero_init_last)
        else:
            raise ValueError(f"backbone must be 'bit' or 'bn', got {backbone!r}")
        super().__init__(
            img_size=img_size,
            in_chans=in_chans,
            num_classes=num_classes,
            embed_dim=embed_dim,
            drop_rate=drop_rate,
            pos_drop_rate=drop_rate,
            proj_drop_rate=drop_rate,
            embed_layer=HybridEmbed(cnn, img_size, stages, embed_dim),
            norm_layer=partial(nn.LayerNorm, eps=1e-6),
            **vit_kwargs,
        )
        nn.init.normal_(self.cls_token, std=1e-6)  # as timm's hybrid
        # ViT's init touches only Linear and LayerNorm layers: the CNN keeps its He init


@register_model(
    family="hybrid", img_size=224, summary="R50+ViT-B/16 hybrid (98.7 M at 1k classes), 224x224"
)
def vit_hybrid_r50(
    num_classes: int = 4, img_size: int = 224, in_chans: int = 3, **overrides
) -> nn.Module:
    """ViT-B on ResNet-50 features at stride 16 (timm ``vit_base_r50_s16_224``).

    Overrides: ``embed_dim``, ``depth``, ``num_heads`` (a small hybrid), ``backbone`` ("bit" or
    "bn"), ``backbone_layers``, ``init_values`` (LayerScale), ``drop_rate``, ``drop_path_rate``,
    ``zero_init_last`` (zero the last norm gamma of each bottleneck; off, as in timm's hybrid).
    """
    return VisionTransformerHybrid(
        img_size=img_size, in_chans=in_chans, num_classes=num_classes, **overrides
    )
