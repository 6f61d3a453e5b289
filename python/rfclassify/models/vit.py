"""Vision Transformer (Dosovitskiy et al. 2021) with the seeds' "optimised ViT" options.

Module and parameter names are timm's (``patch_embed.proj``, ``cls_token``, ``pos_embed``,
``blocks.N.attn.qkv``, ``blocks.N.ls1.gamma``, ``norm``, ``fc_norm``, ``head``), so a timm
``vit_*`` state dict loads key for key (input size, patch size and channels matching). The seeds'
optimisations are constructor options: LayerScale (``init_values``), fused attention
(``F.scaled_dot_product_attention``, always on in ``layers.Attention``), stochastic depth
(``drop_path_rate``, rising linearly over the blocks as in timm) and dropout.

The encoder parts (``patch_embed``, ``cls_token``, ``pos_embed``, ``blocks``, ``norm``) are
plain attributes on purpose: a masked autoencoder runs them on a subset of the patch tokens.

Registered sizes: ViT-Ti/S/B with 16x16 patches at 224x224, and three for 32x32 spectrograms:
``vit_base_patch16_32`` (the seeds' ViT-B-32x32-16: 4 patches + cls, 86 M parameters mostly in
the blocks), ``vit_base_patch32_32`` (ViT-B-32x32-32: a single patch) and the genuinely small
``vit_tiny_patch4_32`` (ViT-Ti dims, 4x4 patches, 64 patches + cls, 5.4 M).

Deviations from timm: ``cls_token`` is initialised with a truncated normal of std 0.02 (timm
0.4 / DeiT / MAE; timm >= 0.6 uses normal std 1e-6); only ``global_pool`` 'token' and 'avg'
(like timm, 'avg' averages the patch tokens without the cls token and moves the final norm to
``fc_norm``, leaving ``norm`` an Identity); no dynamic image size, no register tokens.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import Block, PatchEmbed, trunc_normal_init
from .registry import register_model

_POOLS = ("token", "avg")


class VisionTransformer(nn.Module):
    """ViT classifier: patch tokens + cls token + learned positions, pre-norm blocks, linear head.

    ``drop_rate`` is the dropout before the head, ``pos_drop_rate`` after adding positions,
    ``proj_drop_rate`` after the attention projection and in the MLP, ``attn_drop_rate`` on the
    attention weights (timm >= 0.9 semantics).
    """

    def __init__(
        self,
        img_size: int = 224,
        patch_size: int = 16,
        in_chans: int = 3,
        num_classes: int = 1000,
        global_pool: str = "token",
        embed_dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        init_values: float | None = None,
        drop_rate: float = 0.0,
        pos_drop_rate: float = 0.0,
        proj_drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        embed_layer: nn.Module | None = None,
        norm_layer: type[nn.Module] = nn.LayerNorm,
    ):
        super().__init__()
        if global_pool not in _POOLS:
            raise ValueError(f"global_pool must be one of {_POOLS}, got {global_pool!r}")
        if embed_layer is None and img_size % patch_size:
            raise ValueError(f"img_size {img_size} must be a multiple of patch_size {patch_size}")
        self.num_classes = num_classes
        self.global_pool = global_pool
        self.num_features = self.embed_dim = embed_dim
        self.num_prefix_tokens = 1
        self.img_size = img_size

        # ``embed_layer``: any image -> (B, N, D) module with ``num_patches`` and ``img_size``
        # (the hybrid's CNN stem); default the strided-convolution patch embedding
        self.patch_embed = embed_layer or PatchEmbed(img_size, patch_size, in_chans, embed_dim)
        num_patches = self.patch_embed.num_patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        self.pos_drop = nn.Dropout(pos_drop_rate)

        # stochastic depth rises linearly, 0 for the first block (timm's linspace, in Python so
        # that the model also builds on the meta device)
        rates = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = nn.Sequential(
            *(
                Block(
                    embed_dim,
                    num_heads,
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    proj_drop=proj_drop_rate,
                    attn_drop=attn_drop_rate,
                    init_values=init_values,
                    drop_path=rates[i],
                    norm_layer=norm_layer,
                )
                for i in range(depth)
            )
        )
        use_fc_norm = global_pool == "avg"
        self.norm = nn.Identity() if use_fc_norm else norm_layer(embed_dim)
        self.fc_norm = norm_layer(embed_dim) if use_fc_norm else nn.Identity()
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        self._init_weights()

    def _init_weights(self) -> None:
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        self.apply(trunc_normal_init)

    @torch.jit.ignore
    def no_weight_decay(self) -> set[str]:
        """Parameters an optimiser should not decay (timm's convention)."""
        return {"pos_embed", "cls_token"}

    def _pos_embed(self, x: torch.Tensor) -> torch.Tensor:
        """Patch tokens ``(B, N, D)`` -> cls + patches with positions, ``(B, N + 1, D)``."""
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        return self.pos_drop(torch.cat((cls, x), dim=1) + self.pos_embed)

    def _tokens(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != self.patch_embed.img_size:
            raise ValueError(
                f"input is {tuple(x.shape[-2:])}, this ViT was built for "
                f"{self.patch_embed.img_size} (pos_embed is sized for it)"
            )
        return self._pos_embed(self.patch_embed(x))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Image ``(B, C, H, W)`` -> normalised tokens ``(B, 1 + N, D)``, cls token first."""
        return self.norm(self.blocks(self._tokens(x)))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Tokens -> logits (or the pooled, normalised features with ``pre_logits``)."""
        avg = self.global_pool == "avg"
        x = x[:, self.num_prefix_tokens :].mean(dim=1) if avg else x[:, 0]
        x = self.head_drop(self.fc_norm(x))
        return x if pre_logits else self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def get_attention_maps(self, x: torch.Tensor, layer_idx: int = -1) -> torch.Tensor:
        """Softmax attention of block ``layer_idx`` (Python indexing), ``[B, heads, T, T]``.

        Tokens ``T`` are the cls token followed by the patches in row-major order, so
        ``maps[:, :, 0, 1:]`` reshaped to the patch grid shows where the classifier looks.
        """
        depth = len(self.blocks)
        if not -depth <= layer_idx < depth:
            raise IndexError(f"layer_idx {layer_idx} out of range for {depth} blocks")
        idx = layer_idx % depth
        x = self._tokens(x)
        for block in self.blocks[:idx]:
            x = block(x)
        block = self.blocks[idx]
        return block.attn.attention_map(block.norm1(x))


def _vit(
    img_size: int,
    in_chans: int,
    num_classes: int,
    patch_size: int,
    embed_dim: int,
    depth: int,
    num_heads: int,
    overrides: dict,
) -> VisionTransformer:
    """The named size, with any of its dimensions overridden (e.g. a shallower ViT-Ti)."""
    kwargs = dict(patch_size=patch_size, embed_dim=embed_dim, depth=depth, num_heads=num_heads)
    kwargs.update(overrides)
    return VisionTransformer(
        img_size=img_size, in_chans=in_chans, num_classes=num_classes, **kwargs
    )


@register_model(family="vit", img_size=224, summary="ViT-Ti/16 (5.7 M), 224x224")
def vit_tiny_patch16(
    num_classes: int = 4, img_size: int = 224, in_chans: int = 3, **overrides
) -> nn.Module:
    return _vit(img_size, in_chans, num_classes, 16, 192, 12, 3, overrides)


@register_model(family="vit", img_size=224, summary="ViT-S/16 (22.1 M), 224x224")
def vit_small_patch16(
    num_classes: int = 4, img_size: int = 224, in_chans: int = 3, **overrides
) -> nn.Module:
    return _vit(img_size, in_chans, num_classes, 16, 384, 12, 6, overrides)


@register_model(family="vit", img_size=224, summary="ViT-B/16 (86.6 M), 224x224")
def vit_base_patch16(
    num_classes: int = 4, img_size: int = 224, in_chans: int = 3, **overrides
) -> nn.Module:
    return _vit(img_size, in_chans, num_classes, 16, 768, 12, 12, overrides)


@register_model(
    family="vit", img_size=32, summary="ViT-B/16 at 32x32 (seeds' ViT-B-32x32-16), 4 patches"
)
def vit_base_patch16_32(
    num_classes: int = 4, img_size: int = 32, in_chans: int = 3, **overrides
) -> nn.Module:
    return _vit(img_size, in_chans, num_classes, 16, 768, 12, 12, overrides)


@register_model(
    family="vit", img_size=32, summary="ViT-B/32 at 32x32 (seeds' ViT-B-32x32-32), 1 patch"
)
def vit_base_patch32_32(
    num_classes: int = 4, img_size: int = 32, in_chans: int = 3, **overrides
) -> nn.Module:
    return _vit(img_size, in_chans, num_classes, 32, 768, 12, 12, overrides)


@register_model(family="vit", img_size=32, summary="ViT-Ti/4 (5.4 M), 32x32, 64 patches")
def vit_tiny_patch4_32(
    num_classes: int = 4, img_size: int = 32, in_chans: int = 3, **overrides
) -> nn.Module:
    return _vit(img_size, in_chans, num_classes, 4, 192, 12, 3, overrides)
