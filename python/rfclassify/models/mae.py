"""Masked autoencoder (He et al. 2022, "MAE") around our ViT, for spectrograms (seeds' 003).

The encoder is a registry ``VisionTransformer`` used as it is (its ``patch_embed``, ``cls_token``,
``pos_embed``, ``blocks`` and ``norm``), so what pretraining learns loads key for key into the
classifier that fine-tunes it (``encoder_state_dict``). It sees only the visible patches; a
lightweight decoder (its own width and depth, fixed 2-D sin-cos positions, a shared learned mask
token) rebuilds every patch, and the loss is the mean squared error over the *masked* patches
only, against per-patch normalised targets (``norm_pix_loss``, MAE's better-performing choice:
each patch's mean and variance removed, so the model learns shapes, not levels).

Masking is MAE's per-sample random shuffle: exactly ``round(N * (1 - ratio))`` patches kept in
every sample, which the tests check.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import Block, trunc_normal_init
from .vit import VisionTransformer


def sincos_2d(dim: int, grid: int) -> torch.Tensor:
    """Fixed 2-D sin-cos position embedding ``(grid * grid, dim)`` (MAE's decoder positions)."""
    if dim % 4:
        raise ValueError(f"sin-cos embedding needs a width divisible by 4, got {dim}")
    quarter = dim // 4
    omega = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter)
    ys, xs = torch.meshgrid(
        torch.arange(grid, dtype=torch.float64),
        torch.arange(grid, dtype=torch.float64),
        indexing="ij",
    )
    parts = []
    for axis in (xs.flatten(), ys.flatten()):
        angles = axis[:, None] * omega[None, :]
        parts += [torch.sin(angles), torch.cos(angles)]
    return torch.cat(parts, dim=1).float()


class MaskedAutoencoder(nn.Module):
    """``forward(images) -> (loss, prediction (B, N, p*p*C), mask (B, N), 1 = masked)``."""

    @torch.jit.ignore
    def no_weight_decay(self) -> set[str]:
        """The encoder's own list under its prefix, and the mask token."""
        inner = (
            self.encoder.no_weight_decay() if hasattr(self.encoder, "no_weight_decay") else set()
        )
        return {f"encoder.{name}" for name in inner} | {"mask_token"}

    def __init__(
        self,
        encoder: VisionTransformer,
        mask_ratio: float = 0.75,
        decoder_dim: int = 128,
        decoder_depth: int = 2,
        decoder_heads: int = 4,
        norm_pix_loss: bool = True,
    ):
        super().__init__()
        if not 0.0 < mask_ratio < 1.0:
            raise ValueError(f"mask ratio must be in (0, 1), got {mask_ratio}")
        embed = encoder.patch_embed
        if not hasattr(embed, "patch_size") or embed.grid_size[0] != embed.grid_size[1]:
            raise ValueError("MAE needs a plain square patch embedding (not a hybrid stem)")
        self.encoder = encoder
        self.mask_ratio = float(mask_ratio)
        self.norm_pix_loss = norm_pix_loss
        self.patch = embed.patch_size[0]
        self.grid = embed.grid_size[0]
        self.in_chans = embed.proj.in_channels
        self.decoder_embed = nn.Linear(encoder.embed_dim, decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        positions = torch.cat([torch.zeros(1, decoder_dim), sincos_2d(decoder_dim, self.grid)])
        self.register_buffer("decoder_pos_embed", positions[None], persistent=False)
        self.decoder_blocks = nn.Sequential(
            *(Block(decoder_dim, decoder_heads, mlp_ratio=4.0) for _ in range(decoder_depth))
        )
        self.decoder_norm = nn.LayerNorm(decoder_dim)
        self.decoder_pred = nn.Linear(decoder_dim, self.patch**2 * self.in_chans)
        nn.init.normal_(self.mask_token, std=0.02)
        for module in (self.decoder_embed, self.decoder_blocks, self.decoder_norm):
            module.apply(trunc_normal_init)
        self.decoder_pred.apply(trunc_normal_init)

    # -- patches ----------------------------------------------------------------------------------

    def patchify(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, N, p*p*C)``, patches in the encoder's row-major order."""
        b, c, p, g = images.shape[0], self.in_chans, self.patch, self.grid
        x = images.reshape(b, c, g, p, g, p)
        return torch.einsum("bchpwq->bhwpqc", x).reshape(b, g * g, p * p * c)

    def unpatchify(self, patches: torch.Tensor) -> torch.Tensor:
        b, c, p, g = patches.shape[0], self.in_chans, self.patch, self.grid
        x = patches.reshape(b, g, g, p, p, c)
        return torch.einsum("bhwpqc->bchpwq", x).reshape(b, c, g * p, g * p)

    def random_masking(
        self, tokens: torch.Tensor, ratio: float, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Keep a random ``round(N (1 - ratio))`` tokens of each sample: ``(kept, mask,
        restore)``, ``mask`` 1 where a patch is hidden, ``restore`` the unshuffling index."""
        b, n, d = tokens.shape
        keep = max(1, round(n * (1.0 - ratio)))
        # drawn where the generator lives (a CPU generator also drives a CUDA run)
        where = generator.device if generator is not None else tokens.device
        noise = torch.rand(b, n, device=where, generator=generator).to(tokens.device)
        shuffle = noise.argsort(dim=1)
        restore = shuffle.argsort(dim=1)
        kept = torch.gather(tokens, 1, shuffle[:, :keep, None].expand(-1, -1, d))
        mask = torch.ones(b, n, device=tokens.device)
        mask[:, :keep] = 0
        return kept, torch.gather(mask, 1, restore), restore

    # -- the two halves -------------------------------------------------------------------------

    def encode(
        self, images: torch.Tensor, ratio: float, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        enc = self.encoder
        tokens = enc.patch_embed(images) + enc.pos_embed[:, 1:]
        kept, mask, restore = self.random_masking(tokens, ratio, generator)
        cls = (enc.cls_token + enc.pos_embed[:, :1]).expand(kept.shape[0], -1, -1)
        latent = enc.norm(enc.blocks(torch.cat([cls, kept], dim=1)))
        return latent, mask, restore

    def decode(self, latent: torch.Tensor, restore: torch.Tensor) -> torch.Tensor:
        x = self.decoder_embed(latent)
        b, visible, d = x.shape[0], x.shape[1] - 1, x.shape[2]
        n = restore.shape[1]
        filler = self.mask_token.expand(b, n - visible, -1)
        patches = torch.cat([x[:, 1:], filler], dim=1)
        patches = torch.gather(patches, 1, restore[:, :, None].expand(-1, -1, d))
        x = torch.cat([x[:, :1], patches], dim=1) + self.decoder_pos_embed
        x = self.decoder_norm(self.decoder_blocks(x))
        return self.decoder_pred(x)[:, 1:]

    def loss(self, images: torch.Tensor, prediction: torch.Tensor, mask: torch.Tensor):
        """Mean squared error over the masked patches (per-patch normalised targets)."""
        target = self.patchify(images)
        if self.norm_pix_loss:
            mean = target.mean(dim=-1, keepdim=True)
            var = target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + 1e-6).sqrt()
        per_patch = (prediction - target).square().mean(dim=-1)
        return (per_patch * mask).sum() / mask.sum()

    def forward(
        self,
        images: torch.Tensor,
        mask_ratio: float | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        ratio = self.mask_ratio if mask_ratio is None else mask_ratio
        latent, mask, restore = self.encode(images, ratio, generator)
        prediction = self.decode(latent, restore)
        return self.loss(images, prediction, mask), prediction, mask

    def reconstruct(self, images: torch.Tensor, prediction: torch.Tensor) -> torch.Tensor:
        """The prediction as images, per-patch statistics put back from the originals (what a
        reconstruction figure shows: the model's shapes at the input's levels)."""
        if self.norm_pix_loss:
            target = self.patchify(images)
            mean = target.mean(dim=-1, keepdim=True)
            std = (target.var(dim=-1, keepdim=True) + 1e-6).sqrt()
            prediction = prediction * std + mean
        return self.unpatchify(prediction)

    def encoder_state_dict(self) -> dict[str, torch.Tensor]:
        """The encoder's weights under the classifier's own names, without its (unused) head."""
        return {
            k: v.detach().clone()
            for k, v in self.encoder.state_dict().items()
            if not k.startswith(("head.", "fc_norm."))
        }
