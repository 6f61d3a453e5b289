"""ResNet-50 (He et al. 2016) and the seeds' RF variant with a dense 512-unit head.

The network is ResNet v1.5 as in torchvision and timm: the stride of a downsampling bottleneck
sits on its 3x3 convolution (v1, e.g. Keras' ``ResNet50``, puts it on the first 1x1; same
parameters, slightly more accurate). Module and parameter names are timm's (``conv1, bn1,
act1, maxpool, layer1..layer4`` of bottlenecks ``conv1/bn1/conv2/bn2/conv3/bn3/downsample.0/.1``,
``global_pool, fc``), so a timm ``resnet50`` state dict loads key for key. Deviations:

* ``global_pool`` is a plain spatial mean (timm's ``SelectAdaptivePool2d`` holds no parameters,
  so nothing is lost; a mean exports to ONNX as a single ReduceMean).
* ``resnet50_rf`` replaces ``fc`` with ``head`` = ``fc1`` (2048 -> 512), ``act`` (ReLU),
  ``fc2`` (512 -> classes): the seeds' Keras head "Flatten -> Dense 512 ReLU -> Softmax" (the
  softmax is left to the loss / the caller; models return logits). Keras' ResNet50 convolutions
  carry biases and its BN keeps its running statistics as weights, hence the seeds' "~24.5 M"
  versus 24.56 M trainable here at 4 classes.

Initialisation follows timm: He-normal (fan-out) convolutions, unit BN, and ``zero_init_last``
(on by default) zeroes the last BN gamma of every bottleneck, so each residual block starts as
the identity, which helps training from scratch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .registry import register_model

EXPANSION = 4


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (strided) -> 1x1 expand, plus the (projected) shortcut."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        outplanes = planes * EXPANSION
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.act2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(planes, outplanes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(outplanes)
        self.act3 = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or inplanes != outplanes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, outplanes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(outplanes),
            )

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.bn3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        return self.act3(x + shortcut)


def make_layer(inplanes: int, planes: int, blocks: int, stride: int) -> nn.Sequential:
    """One stage: the first block changes width / resolution, the rest keep it."""
    layers = [Bottleneck(inplanes, planes, stride)]
    layers += [Bottleneck(planes * EXPANSION, planes) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class GlobalAvgPool(nn.Module):
    """``(B, C, H, W) -> (B, C)``: average pooling then flatten (the seeds' "Flatten")."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


class DenseHead(nn.Module):
    """The seeds' RF head: Dense(hidden, ReLU) -> Dense(classes); returns logits."""

    def __init__(self, in_features: int, hidden: int, num_classes: int, drop_rate: float = 0.0):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.act = nn.ReLU(inplace=True)
        self.drop = nn.Dropout(drop_rate)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(self.act(self.fc1(x))))


class ResNet(nn.Module):
    """Bottleneck ResNet with a 7x7/2 stem and a 3x3/2 max-pool (input stride 4, output 32).

    ``head_hidden`` > 0 swaps the linear ``fc`` for ``DenseHead`` (named ``head``).
    """

    def no_weight_decay(self) -> set[str]:
        """Nothing beyond the 0-/1-d parameters (norms, biases): no embeddings or tokens here."""
        return set()

    def __init__(
        self,
        layers: Sequence[int] = (3, 4, 6, 3),
        num_classes: int = 1000,
        in_chans: int = 3,
        head_hidden: int = 0,
        drop_rate: float = 0.0,
        zero_init_last: bool = True,
    ):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chans, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = 64
        for i, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers, strict=True)):
            stage = make_layer(inplanes, planes, blocks, stride=1 if i == 0 else 2)
            self.add_module(f"layer{i + 1}", stage)
            inplanes = planes * EXPANSION
        self.num_features = inplanes
        self.global_pool = GlobalAvgPool()
        self.head_hidden = head_hidden
        if head_hidden:
            self.head = DenseHead(inplanes, head_hidden, num_classes, drop_rate)
        else:
            self.drop = nn.Dropout(drop_rate)
            self.fc = nn.Linear(inplanes, num_classes)
        self._init_weights(zero_init_last)

    def _init_weights(self, zero_init_last: bool) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_last:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    m.zero_init_last()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The trunk: ``(B, C, H, W) -> (B, 2048, H/32, W/32)`` (rounded up)."""
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        x = self.global_pool(x)
        return self.head(x) if self.head_hidden else self.fc(self.drop(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


@register_model(family="resnet", img_size=224, summary="ResNet-50 v1.5 (25.6 M), 224x224")
def resnet50(
    num_classes: int = 4, img_size: int = 224, in_chans: int = 3, **overrides
) -> nn.Module:
    """ResNet-50; ``img_size`` is only the native input (any size >= 32 works)."""
    return ResNet((3, 4, 6, 3), num_classes=num_classes, in_chans=in_chans, **overrides)


@register_model(
    family="resnet",
    img_size=180,
    summary="ResNet-50 + Dense 512 ReLU head, the seeds' RF CNN (24.6 M at 4 classes), 180x180",
)
def resnet50_rf(
    num_classes: int = 4, img_size: int = 180, in_chans: int = 3, **overrides
) -> nn.Module:
    """The seeds' RF ResNet-50: trunk, global average pool, Dense 512 ReLU, Dense classes."""
    overrides.setdefault("head_hidden", 512)
    return ResNet((3, 4, 6, 3), num_classes=num_classes, in_chans=in_chans, **overrides)
