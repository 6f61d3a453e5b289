"""Vision Mamba (Zhu et al. 2024, "Vim"), the seeds' Ultra-Light configuration, CPU- and ONNX-ready.

Structure and names follow the official Vim code (``patch_embed.proj``, ``pos_embed``,
``layers.N.mixer.{in_proj, conv1d, conv1d_b, x_proj, x_proj_b, dt_proj, dt_proj_b, A_log, A_b_log,
D, D_b, out_proj}``, ``layers.N.norm``, ``norm_f``, ``head``) so its checkpoints map key for key.

- **Bidirectional blocks, bimamba v2**: one ``in_proj`` and one ``out_proj`` shared by both
  directions; the backward direction has its own ``conv1d_b``, ``x_proj_b``, ``dt_proj_b``,
  ``A_b_log`` and ``D_b`` and scans the flipped sequence; its output is flipped back, added to the
  forward output and halved (Vim's ``if_devide_out``) before ``out_proj``.
- **expand = 1**: the seeds give ~0.3 M parameters for patch 16, dim 96, depth 6, d_state 16,
  dt_rank 6; that is expand 1 (324,100 parameters with 3 input channels and 4 classes; Mamba's
  usual expand 2 gives 567,172; with 1 input channel 274,948). ``expand`` can be overridden.
- **Mean pooling** over the tokens, not Vim's middle class token: a spectrogram's content can sit
  anywhere in time, the bidirectional scan already lets every token see the whole sequence, and
  mean pooling has no position to learn. ``global_pool="token"`` gives Vim's middle class token.
- **The selective scan** is plain PyTorch (``selective_scan``); ``scan`` picks the form
  ("sequential", "tokens_first", "doubling", "segsum", "chunked"). The default, "auto", takes
  the fastest measured on CPU for each path: the plain loop in torch, the tokens-first loop when
  exported to ONNX (docs/models.md); every form equals the sequential reference to 1e-5.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .layers import DropPath, PatchEmbed
from .registry import register_model
from .selective_scan import SCANS

DEFAULT_SCAN = "auto"
# Measured fastest per path (rfclassify bench scan; docs/models.md): torch eager runs the plain
# loop fastest, ONNX Runtime the tokens-first loop (2.9x the plain one at batch 1).
AUTO_SCAN = {"eager": "sequential", "export": "tokens_first"}
SCAN_CHOICES = ("auto", *SCANS)


def softplus(x: torch.Tensor) -> torch.Tensor:
    """``F.softplus`` (threshold 20) from Exp, Log and Where: ONNX Runtime's own Softplus kernel
    is not vectorised (4.5x slower on the scan's step sizes, measured). The clamp keeps the
    unused branch finite, so its gradient is too."""
    return torch.where(x > 20.0, x, torch.log1p(torch.exp(x.clamp(max=20.0))))


_SSM_STATE = ("A_log", "A_b_log", "D", "D_b")


class RMSNorm(nn.Module):
    """x / rms(x) * weight (Mamba's norm); written out so that any ONNX opset exports it."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class BiMamba(nn.Module):
    """Mamba mixer scanning both ways (bimamba v2)."""

    def __init__(
        self,
        d_model: int,
        d_state: int = 16,
        d_conv: int = 4,
        expand: int = 1,
        dt_rank: int | None = None,
        dt_min: float = 1e-3,
        dt_max: float = 0.1,
        scan: str = DEFAULT_SCAN,
    ):
        super().__init__()
        if scan not in SCAN_CHOICES:
            raise ValueError(f"scan {scan!r}: use one of {', '.join(SCAN_CHOICES)}")
        self.scan = scan
        self.d_inner = d_inner = expand * d_model
        self.d_state = d_state
        self.dt_rank = dt_rank or math.ceil(d_model / 16)
        self.in_proj = nn.Linear(d_model, 2 * d_inner, bias=False)
        self.out_proj = nn.Linear(d_inner, d_model, bias=False)
        for suffix in ("", "_b"):
            conv = nn.Conv1d(d_inner, d_inner, d_conv, groups=d_inner, padding=d_conv - 1)
            x_proj = nn.Linear(d_inner, self.dt_rank + 2 * d_state, bias=False)
            dt_proj = nn.Linear(self.dt_rank, d_inner, bias=True)
            _init_dt(dt_proj, self.dt_rank, dt_min, dt_max)
            # S4D-real init: A = -(1, 2, ..., N) for every channel
            a = torch.arange(1, d_state + 1, dtype=torch.float32).repeat(d_inner, 1)
            setattr(self, f"conv1d{suffix}", conv)
            setattr(self, f"x_proj{suffix}", x_proj)
            setattr(self, f"dt_proj{suffix}", dt_proj)
            self.register_parameter(f"A{suffix}_log", nn.Parameter(torch.log(a)))
            self.register_parameter(f"D{suffix}", nn.Parameter(torch.ones(d_inner)))

    def _inputs(
        self, xz: torch.Tensor, suffix: str
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(u, delta, B, C, z) of one direction from ``xz`` ``(batch, 2 d_inner, L)``."""
        length = xz.shape[-1]
        x, z = xz.chunk(2, dim=1)
        u = F.silu(getattr(self, f"conv1d{suffix}")(x)[..., :length])
        dbc = getattr(self, f"x_proj{suffix}")(u.transpose(1, 2))  # (b, l, r + 2n)
        dt, B, C = torch.split(dbc, [self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = softplus(getattr(self, f"dt_proj{suffix}")(dt)).transpose(1, 2)
        return u, delta, B.transpose(1, 2), C.transpose(1, 2), z

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        batch = hidden.shape[0]
        xz = self.in_proj(hidden).transpose(1, 2)  # (b, 2 d_inner, l)
        fwd = self._inputs(xz, "")
        bwd = self._inputs(xz.flip(-1), "_b")
        # both directions in one scan: stacked along the batch, each with its own A and D
        u, delta, B, C, z = (torch.cat([f, b]) for f, b in zip(fwd, bwd, strict=True))
        A = torch.cat(
            [
                (-torch.exp(self.A_log)).expand(batch, -1, -1),
                (-torch.exp(self.A_b_log)).expand(batch, -1, -1),
            ]
        )
        D = torch.cat([self.D.expand(batch, -1), self.D_b.expand(batch, -1)])
        form = self.scan
        if form == "auto":
            form = AUTO_SCAN["export" if torch.compiler.is_exporting() else "eager"]
        y = SCANS[form](u, delta, A, B, C, D) * F.silu(z)
        y = (y[:batch] + y[batch:].flip(-1)) / 2
        return self.out_proj(y.transpose(1, 2))


def _init_dt(dt_proj: nn.Linear, dt_rank: int, dt_min: float, dt_max: float) -> None:
    """Mamba's init: softplus(bias) log-uniform in [dt_min, dt_max]."""
    nn.init.uniform_(dt_proj.weight, -(dt_rank**-0.5), dt_rank**-0.5)
    dt = torch.exp(
        torch.rand(dt_proj.out_features) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
    ).clamp(min=1e-4)
    with torch.no_grad():
        dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # inverse softplus


class VimBlock(nn.Module):
    """Pre-norm residual block: x + DropPath(mixer(norm(x)))."""

    def __init__(self, dim: int, drop_path: float = 0.0, **mixer_kwargs):
        super().__init__()
        self.norm = RMSNorm(dim)
        self.mixer = BiMamba(dim, **mixer_kwargs)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop_path(self.mixer(self.norm(x)))


class VisionMamba(nn.Module):
    def __init__(
        self,
        img_size: int = 128,
        patch_size: int = 16,
        in_chans: int = 3,
        num_classes: int = 4,
        embed_dim: int = 96,
        depth: int = 6,
        d_state: int = 16,
        dt_rank: int = 6,
        expand: int = 1,
        d_conv: int = 4,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        global_pool: str = "mean",
        scan: str = DEFAULT_SCAN,
    ):
        super().__init__()
        if global_pool not in ("mean", "token"):
            raise ValueError(f"global_pool {global_pool!r}: use 'mean' or 'token'")
        self.global_pool = global_pool
        self.num_classes = num_classes
        self.patch_embed = PatchEmbed(img_size, patch_size, in_chans, embed_dim)
        tokens = self.patch_embed.num_patches
        self.token_position = tokens // 2  # Vim's middle class token
        if global_pool == "token":
            self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
            tokens += 1
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, embed_dim))
        self.pos_drop = nn.Dropout(drop_rate)
        rates = torch.linspace(0, drop_path_rate, depth).tolist()
        self.layers = nn.ModuleList(
            VimBlock(
                embed_dim,
                drop_path=rate,
                d_state=d_state,
                dt_rank=dt_rank,
                expand=expand,
                d_conv=d_conv,
                scan=scan,
            )
            for rate in rates
        )
        self.norm_f = RMSNorm(embed_dim)
        self.head_drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(embed_dim, num_classes)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        if global_pool == "token":
            nn.init.trunc_normal_(self.cls_token, std=0.02)

    @torch.jit.ignore
    def no_weight_decay(self) -> set[str]:
        """Not decayed (as the reference Vim): positions, the class token, and every block's
        ``A_log`` / ``A_b_log`` (state decay rates) and ``D`` / ``D_b`` (skip gains)."""
        scan = {n for n, _ in self.named_parameters() if n.rsplit(".", 1)[-1] in _SSM_STATE}
        return {"pos_embed", "cls_token"} | scan

    def set_scan(self, scan: str) -> None:
        """Switch every block to another scan form (same weights, same results)."""
        if scan not in SCAN_CHOICES:
            raise ValueError(f"scan {scan!r}: use one of {', '.join(SCAN_CHOICES)}")
        for layer in self.layers:
            layer.mixer.scan = scan

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        if self.global_pool == "token":
            cls = self.cls_token.expand(x.shape[0], -1, -1)
            p = self.token_position
            x = torch.cat([x[:, :p], cls, x[:, p:]], dim=1)
        x = self.pos_drop(x + self.pos_embed)
        for layer in self.layers:
            x = layer(x)
        return self.norm_f(x)

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, self.token_position] if self.global_pool == "token" else x.mean(dim=1)
        return self.head(self.head_drop(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


@register_model(
    family="vim",
    img_size=128,
    summary="Ultra-Light Vision Mamba: patch 16, dim 96, depth 6, d_state 16, expand 1 (0.33 M)",
)
def vim_ultralight(
    num_classes: int = 4, img_size: int = 128, in_chans: int = 3, **overrides
) -> nn.Module:
    return VisionMamba(img_size=img_size, in_chans=in_chans, num_classes=num_classes, **overrides)
