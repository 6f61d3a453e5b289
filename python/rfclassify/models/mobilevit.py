"""MobileViT v1 (Mehta & Rastegari, ICLR 2022, arXiv:2110.02178): convolutions for local
structure, a small transformer over patches for global context, at mobile cost.

A MobileViT block sees a feature map as P = 2x2 interleaved sub-grids of N = HW/4 patches: the
transformer mixes the N patches (global, every patch sees every other one) while the P pixel
positions inside a patch act as independent batch entries, so attention costs N^2 per sub-grid
instead of (HW)^2. Unfold and fold are pure reshape/transpose (no ``F.unfold``), which keeps the
ONNX graph to Reshape/Transpose and makes ``fold(unfold(x)) == x`` exact.

Module and parameter names follow timm's ``mobilevit`` (a ByobNet): ``stem``, ``stages.i.j``
(inverted residuals ``conv1_1x1 / conv2_kxk / conv3_1x1``, MobileViT blocks ``conv_kxk /
conv_1x1 / transformer.k / norm / conv_proj / conv_fusion``), ``final_conv``, ``head.fc``, each
convolution as ``conv`` + ``bn``. Deviations: the activation is a sibling ``act`` module instead of
living inside timm's ``BatchNormAct2d`` (no parameters, so state dicts still match), and the
transformer blocks are the shared ``layers.Block`` (same ``norm1 / attn.qkv / attn.proj / norm2 /
mlp.fc1 / mlp.fc2`` keys as timm's).

Two configurations of the transformers exist, and the default is the seeds':

- **default, the seeds' table** (1.33 / 2.38 / 5.64 M at 1000 classes, the figures the project's
  benchmarks compare against): 4 heads of 8 channels each whatever d is, MLP ratios 2 / 4 / 4 (as
  chinhsuanwu/mobilevit-pytorch, which the seeds measured): 1.333 / 2.385 / 5.639 M.
- **the paper's / Apple ml-cvnets' / timm's** (4 heads splitting d, MLP hidden 2d):
  ``create_model("mobilevit_xxs", head_dim=None, mlp_ratios=(2, 2, 2))``, 1.27 / 2.32 / 5.58 M.
  Only this one takes timm's checkpoints key for key (same names, same shapes); XXS's count is
  4.4 % below the seeds' table, which is why it is not the default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .layers import Block, trunc_normal_init
from .registry import register_model


@dataclass(frozen=True)
class MobileVitCfg:
    """One variant: stem width, per-stage widths, MV2 expansion, transformer dims and depths."""

    stem_chs: int
    stage_chs: tuple[int, int, int, int, int]
    expansion: float
    transformer_dims: tuple[int, int, int]
    transformer_depths: tuple[int, int, int] = (2, 4, 3)
    num_features: int = 640
    num_heads: int = 4
    head_dim: int | None = 8  # the seeds' table; None: dim / num_heads (the paper, timm)
    mlp_ratios: tuple[float, float, float] = (2.0, 4.0, 4.0)  # the seeds'; (2, 2, 2) the paper
    patch_size: int = 2


CFGS = {
    "xxs": MobileVitCfg(16, (16, 24, 48, 64, 80), 2.0, (64, 80, 96), num_features=320),
    "xs": MobileVitCfg(16, (32, 48, 64, 80, 96), 4.0, (96, 120, 144), num_features=384),
    "s": MobileVitCfg(16, (32, 64, 96, 128, 160), 4.0, (144, 192, 240), num_features=640),
}


class ConvNormAct(nn.Sequential):
    """Conv (no bias) + BatchNorm + SiLU, named ``conv`` / ``bn`` / ``act`` like timm's."""

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel_size: int = 1,
        stride: int = 1,
        groups: int = 1,
        act: bool = True,
    ):
        super().__init__()
        self.conv = nn.Conv2d(
            in_chs, out_chs, kernel_size, stride, kernel_size // 2, groups=groups, bias=False
        )
        self.bn = nn.BatchNorm2d(out_chs)
        self.act = nn.SiLU() if act else nn.Identity()


class InvertedResidual(nn.Module):
    """MobileNetV2 block (MV2): 1x1 expand, 3x3 depthwise (carries the stride), 1x1 linear
    projection; residual only when the shape is kept (timm's ``downsample=''``)."""

    def __init__(self, in_chs: int, out_chs: int, stride: int, expansion: float):
        super().__init__()
        mid = round(in_chs * expansion)
        self.conv1_1x1 = ConvNormAct(in_chs, mid, 1)
        self.conv2_kxk = ConvNormAct(mid, mid, 3, stride, groups=mid)
        self.conv3_1x1 = ConvNormAct(mid, out_chs, 1, act=False)
        self.has_skip = stride == 1 and in_chs == out_chs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv3_1x1(self.conv2_kxk(self.conv1_1x1(x)))
        return x + y if self.has_skip else y


def unfold_patches(x: torch.Tensor, patch: int) -> torch.Tensor:
    """``(B, C, H, W) -> (B*P, N, C)``: P = patch^2 pixel positions, N = (H/p)(W/p) patches.

    Entry ``[b*P + i*p + j, n_h*(W/p) + n_w, c]`` is ``x[b, c, n_h*p + i, n_w*p + j]``.
    """
    b, c, h, w = x.shape
    nh, nw = h // patch, w // patch
    x = x.reshape(b, c, nh, patch, nw, patch).permute(0, 3, 5, 2, 4, 1)  # B, ph, pw, nh, nw, C
    return x.reshape(b * patch * patch, nh * nw, c)


def fold_patches(x: torch.Tensor, batch: int, height: int, width: int, patch: int) -> torch.Tensor:
    """Inverse of ``unfold_patches``: ``(B*P, N, C) -> (B, C, H, W)``."""
    c = x.shape[-1]
    nh, nw = height // patch, width // patch
    x = x.reshape(batch, patch, patch, nh, nw, c).permute(0, 5, 3, 1, 4, 2)  # B, C, nh, ph, nw, pw
    return x.reshape(batch, c, height, width)


class NarrowAttention(nn.Module):
    """Self-attention whose heads span ``num_heads * head_dim`` != ``dim`` channels.

    Only for the seeds' configuration (4 heads of 8, as in the widely copied
    chinhsuanwu/mobilevit-pytorch); the paper splits ``dim`` itself into 4 heads.
    """

    def __init__(self, dim: int, num_heads: int, head_dim: int, attn_drop: float, proj_drop: float):
        super().__init__()
        self.num_heads, self.head_dim = num_heads, head_dim
        self.qkv = nn.Linear(dim, 3 * num_heads * head_dim)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(num_heads * head_dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        drop = self.attn_drop.p if self.training else 0.0
        x = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], dropout_p=drop)
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(b, n, -1)))


class MobileVitBlock(nn.Module):
    """Local 3x3 conv + 1x1 to d, transformer over patches, 1x1 back to C, concat with the input
    and fuse with a 3x3 conv (paper Fig. 1b)."""

    def __init__(
        self,
        chs: int,
        dim: int,
        depth: int,
        num_heads: int = 4,
        head_dim: int | None = None,
        mlp_ratio: float = 2.0,
        patch_size: int = 2,
        drop_path: float | list[float] = 0.0,
        attn_drop: float = 0.0,
        drop: float = 0.0,
    ):
        super().__init__()
        self.patch_size = patch_size
        dpr = drop_path if isinstance(drop_path, list) else [drop_path] * depth
        self.conv_kxk = ConvNormAct(chs, chs, 3)
        self.conv_1x1 = nn.Conv2d(chs, dim, 1, bias=False)
        blocks = []
        for rate in dpr:
            block = Block(
                dim,
                num_heads,
                mlp_ratio,
                qkv_bias=True,
                proj_drop=drop,
                attn_drop=attn_drop,
                drop_path=rate,
                act_layer=nn.SiLU,
            )
            if head_dim is not None and head_dim * num_heads != dim:
                block.attn = NarrowAttention(dim, num_heads, head_dim, attn_drop, drop)
            blocks.append(block)
        self.transformer = nn.Sequential(*blocks)
        self.norm = nn.LayerNorm(dim)
        self.conv_proj = ConvNormAct(dim, chs, 1)
        self.conv_fusion = ConvNormAct(2 * chs, chs, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.conv_1x1(self.conv_kxk(x))
        b, _, h, w = x.shape
        p = self.patch_size
        ph, pw = math.ceil(h / p) * p, math.ceil(w / p) * p
        resized = (ph, pw) != (h, w)
        if resized:  # odd maps (inputs not a multiple of 64): resample like ml-cvnets / timm
            x = F.interpolate(x, size=(ph, pw), mode="bilinear", align_corners=False)
        x = self.norm(self.transformer(unfold_patches(x, p)))
        x = fold_patches(x, b, ph, pw, p)
        if resized:
            x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
        return self.conv_fusion(torch.cat((shortcut, self.conv_proj(x)), dim=1))


class ClassifierHead(nn.Module):
    """Global average pool, dropout, ``fc`` (timm's ``head.fc``)."""

    def __init__(self, in_features: int, num_classes: int, drop_rate: float = 0.0):
        super().__init__()
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.drop(x.mean(dim=(2, 3))))


class MobileViT(nn.Module):
    """Stem (3x3 s2), an MV2 stage at stride 2, three MV2 at stride 4, then three stages of an
    MV2 (s2) + MobileViT block, 1x1 ``final_conv`` to ``num_features``, pooled linear head.

    ``cfg_overrides`` replace fields of ``cfg`` (e.g. ``head_dim=None, mlp_ratios=(2, 2, 2)``
    gives the paper's / timm's configuration). ``drop_path_rate`` grows linearly over the
    transformer layers.
    """

    def no_weight_decay(self) -> set[str]:
        """Nothing beyond the 0-/1-d parameters (norms, biases): no embeddings or tokens here."""
        return set()

    def __init__(
        self,
        cfg: MobileVitCfg,
        num_classes: int = 4,
        in_chans: int = 3,
        img_size: int = 256,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        **cfg_overrides: Any,
    ):
        super().__init__()
        if img_size % 32:
            raise ValueError(f"MobileViT needs a size that is a multiple of 32, got {img_size}")
        cfg = replace(
            cfg, **{k: tuple(v) if isinstance(v, list) else v for k, v in cfg_overrides.items()}
        )
        self.cfg, self.img_size, self.num_classes = cfg, img_size, num_classes
        self.stem = ConvNormAct(in_chans, cfg.stem_chs, 3, stride=2)
        c, e = cfg.stage_chs, cfg.expansion
        layers = sum(cfg.transformer_depths)
        dpr = [drop_path_rate * i / max(layers - 1, 1) for i in range(layers)]
        stages: list[nn.Module] = [
            nn.Sequential(InvertedResidual(cfg.stem_chs, c[0], 1, e)),
            nn.Sequential(
                *[InvertedResidual(c[min(i, 1)], c[1], 2 if i == 0 else 1, e) for i in range(3)]
            ),
        ]
        for i, (dim, depth) in enumerate(
            zip(cfg.transformer_dims, cfg.transformer_depths, strict=True)
        ):
            start = sum(cfg.transformer_depths[:i])
            vit = MobileVitBlock(
                c[i + 2],
                dim,
                depth,
                cfg.num_heads,
                cfg.head_dim,
                cfg.mlp_ratios[i],
                cfg.patch_size,
                dpr[start : start + depth],
            )
            stages.append(nn.Sequential(InvertedResidual(c[i + 1], c[i + 2], 2, e), vit))
        self.stages = nn.Sequential(*stages)
        self.final_conv = ConvNormAct(c[-1], cfg.num_features, 1)
        self.num_features = cfg.num_features
        self.head = ClassifierHead(cfg.num_features, num_classes, drop_rate)
        self.apply(_init_weights)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.final_conv(self.stages(self.stem(x)))

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


def _init_weights(module: nn.Module) -> None:
    """He (fan-out) convolutions, unit BatchNorm, ViT-style truncated-normal linear layers."""
    if isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
    else:
        trunc_normal_init(module)


def _build(variant: str, num_classes: int, img_size: int, in_chans: int, **overrides) -> MobileViT:
    return MobileViT(CFGS[variant], num_classes, in_chans, img_size, **overrides)


@register_model(family="mobilevit", img_size=256, summary="MobileViT-XXS (1.33 M, seeds'), 256")
def mobilevit_xxs(num_classes: int = 4, img_size: int = 256, in_chans: int = 3, **overrides):
    return _build("xxs", num_classes, img_size, in_chans, **overrides)


@register_model(family="mobilevit", img_size=256, summary="MobileViT-XS (2.38 M, seeds'), 256")
def mobilevit_xs(num_classes: int = 4, img_size: int = 256, in_chans: int = 3, **overrides):
    return _build("xs", num_classes, img_size, in_chans, **overrides)


@register_model(family="mobilevit", img_size=256, summary="MobileViT-S (5.64 M, seeds'), 256")
def mobilevit_s(num_classes: int = 4, img_size: int = 256, in_chans: int = 3, **overrides):
    return _build("s", num_classes, img_size, in_chans, **overrides)
