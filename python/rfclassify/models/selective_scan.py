"""Mamba's selective scan in plain PyTorch: runs on CPU, exports to ONNX, no CUDA kernels.

The recurrence (Gu & Dao 2023, S6), per channel d and state n:

    h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t        y_t = C_t . h_t + D u_t

Three equivalent forms, all taking ``u, delta (batch, D, L)``, ``A (D, N)`` or ``(batch, D, N)``,
``B, C (batch, N, L)``, ``D (D,)`` or ``(batch, D)`` and returning ``y (batch, D, L)``:

- ``sequential``: the reference, a loop over the L tokens (64 for a 128x128 image in 16x16
  patches); the decay factors and inputs of every step are computed in one vectorised op first,
  so the loop body is one multiply-add.
- ``segsum``: fully parallel. h_t = sum_{s<=t} exp(sum_{s<r<=t} delta_r A) delta_s B_s u_s: an
  (L x L) lower-triangular weight per channel and state (the "segment sum" of Mamba-2's SSD).
  Only sums <= 0 are exponentiated, so it never overflows, unlike the naive log-space
  cumulative product exp(S_t) * cumsum(exp(-S_s) ...).
- ``chunked``: segsum inside chunks of ``chunk`` tokens, the recurrence across chunks
  (SSD's chunked form): L/chunk loop steps, (chunk x chunk) weights.

Which is fastest depends on the backend and batch; ``rfclassify.models.vim`` picks per path
(see docs/models.md for the measured ratios). Every form equals ``sequential`` to 1e-5.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def _discretise(
    u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(delta A, delta B u): ``(batch, D, L, N)`` each; A broadcast over the batch."""
    if A.dim() == 2:
        A = A.unsqueeze(0)
    log_decay = delta.unsqueeze(-1) * A.unsqueeze(2)  # (b, d, l, n)
    drive = (delta * u).unsqueeze(-1) * B.transpose(1, 2).unsqueeze(1)  # (b, d, l, n)
    return log_decay, drive


def _skip(y: torch.Tensor, u: torch.Tensor, D: torch.Tensor) -> torch.Tensor:
    return y + u * (D.unsqueeze(-1) if D.dim() == 2 else D[:, None])


def _recurrence(decay: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
    """h_t = decay_t h_{t-1} + drive_t over dim 2, from h_{-1} = 0: all states (b, d, l, n)."""
    h = torch.zeros_like(drive[:, :, 0])
    states = []
    for t in range(drive.shape[2]):
        h = decay[:, :, t] * h + drive[:, :, t]
        states.append(h)
    return torch.stack(states, dim=2)


class _Recurrence(torch.autograd.Function):
    """The recurrence with a hand-written backward: the reverse scan
    g_t = dL/dh_t + decay_{t+1} g_{t+1}, then dL/d drive_t = g_t and dL/d decay_t = g_t h_{t-1}.
    Autograd through the loop would record 2 L nodes and replay them one by one; this is one
    loop each way. Used for training only (export and inference take the plain loop)."""

    @staticmethod
    def forward(ctx, decay: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
        hs = _recurrence(decay, drive)
        ctx.save_for_backward(decay, hs)
        return hs

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        decay, hs = ctx.saved_tensors
        g = torch.empty_like(grad)
        carry = torch.zeros_like(grad[:, :, 0])
        for t in range(grad.shape[2] - 1, -1, -1):
            carry = grad[:, :, t] + carry
            g[:, :, t] = carry
            carry = decay[:, :, t] * carry
        previous = torch.cat([torch.zeros_like(hs[:, :, :1]), hs[:, :, :-1]], dim=2)
        return g * previous, g


def scan_sequential(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor,
) -> torch.Tensor:
    """The reference: one step per token."""
    log_decay, drive = _discretise(u, delta, A, B)
    decay = torch.exp(log_decay)
    if torch.is_grad_enabled() and (decay.requires_grad or drive.requires_grad):
        hs = _Recurrence.apply(decay, drive)
    else:
        hs = _recurrence(decay, drive)  # (b, d, l, n)
    y = torch.einsum("bdln,bnl->bdl", hs, C)
    return _skip(y, u, D)


def _segsum_weights(log_decay: torch.Tensor) -> torch.Tensor:
    """exp(sum_{s<r<=t} log_decay_r) for s <= t, else 0: ``(..., L, L, N)`` from ``(..., L, N)``.

    The sums are accumulated term by term over each segment (Mamba-2's stable segsum), not as
    the difference S_t - S_s of two running sums: by token 64 those reach hundreds, and their
    float32 difference would lose the 1e-5 this form must keep.
    """
    length = log_decay.shape[-2]
    ones = torch.ones(length, length, dtype=torch.bool, device=log_decay.device)
    terms = log_decay.unsqueeze(-2).expand(*log_decay.shape[:-2], length, length, -1)
    # terms[..., r, s, n] = log_decay[..., r, n], kept where r > s
    terms = terms.masked_fill(~ones.tril(-1).unsqueeze(-1), 0.0)
    sums = torch.cumsum(terms, dim=-3)  # [t, s] = sum over s < r <= t
    sums = sums.masked_fill(~ones.tril().unsqueeze(-1), float("-inf"))
    return torch.exp(sums)


def scan_segsum(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor,
) -> torch.Tensor:
    """All tokens at once through the (L x L) decay matrix."""
    log_decay, drive = _discretise(u, delta, A, B)
    weights = _segsum_weights(log_decay)  # (b, d, t, s, n)
    hs = (weights * drive.unsqueeze(-3)).sum(dim=-2)
    y = torch.einsum("bdtn,bnt->bdt", hs, C)
    return _skip(y, u, D)


def scan_chunked(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor,
    chunk: int = 16,
) -> torch.Tensor:
    """Segsum inside chunks, the recurrence between them."""
    b, d, length = u.shape
    if length % chunk:
        chunk = length  # one chunk: the segsum form
    k = length // chunk
    log_decay, drive = _discretise(u, delta, A, B)
    n = log_decay.shape[-1]
    log_decay = log_decay.reshape(b, d, k, chunk, n)
    drive = drive.reshape(b, d, k, chunk, n)
    weights = _segsum_weights(log_decay)  # (b, d, k, t, s, n)
    local = (weights * drive.unsqueeze(-3)).sum(dim=-2)  # states from zero in each chunk
    carry_in = torch.exp(torch.cumsum(log_decay, dim=3))  # decay from chunk start to t
    h = torch.zeros_like(local[:, :, 0, 0])
    chunks = []
    for i in range(k):
        states = local[:, :, i] + carry_in[:, :, i] * h.unsqueeze(2)
        chunks.append(states)
        h = states[:, :, -1]
    hs = torch.stack(chunks, dim=2).reshape(b, d, length, n)
    y = torch.einsum("bdln,bnl->bdl", hs, C)
    return _skip(y, u, D)


def _recurrence_doubling(decay: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
    """The recurrence as a Hillis-Steele prefix scan: log2(L) vectorised steps.

    (a, b) pairs compose as (a1, b1) then (a2, b2) = (a1 a2, a2 b1 + b2); after the step with
    stride s, position t holds the composition of the 2s tokens ending at t. Costs L log L
    multiply-adds instead of L, but as 6 whole-tensor ops for L = 64 rather than 64 tiny ones:
    ONNX Runtime spends its time per node, not per flop, at these sizes.
    """
    length = drive.shape[2]
    stride = 1
    while stride < length:
        earlier = drive[:, :, : length - stride]
        drive = torch.cat(
            [drive[:, :, :stride], drive[:, :, stride:] + decay[:, :, stride:] * earlier], 2
        )
        if stride * 2 < length:  # the last step needs no products
            decay = torch.cat(
                [decay[:, :, :stride], decay[:, :, stride:] * decay[:, :, : length - stride]], 2
            )
        stride *= 2
    return drive


def scan_tokens_first(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor,
) -> torch.Tensor:
    """The sequential loop laid out ``(token, state, batch, channel)``: every step's slice is
    contiguous, the loop body is exactly one multiply and one add (no gather, squeeze or
    unsqueeze), and the broadcasts run over rows of batch x channel, not 16-element rows.
    Training (gradients wanted) takes ``sequential``, whose recurrence has its own backward."""
    if torch.is_grad_enabled() and any(t.requires_grad for t in (u, delta, A, B, C, D)):
        return scan_sequential(u, delta, A, B, C, D)
    if A.dim() == 2:
        A = A.unsqueeze(0)
    delta_t = delta.permute(2, 0, 1).unsqueeze(1)  # (l, 1, b, d)
    decay = torch.exp(delta_t * A.permute(2, 0, 1).unsqueeze(0))  # (l, n, b, d)
    drive = (delta_t * u.permute(2, 0, 1).unsqueeze(1)) * B.permute(2, 1, 0).unsqueeze(-1)
    decays = torch.split(decay, 1, dim=0)
    drives = torch.split(drive, 1, dim=0)
    h = drives[0]
    states = [h]
    for t in range(1, len(drives)):
        h = decays[t] * h + drives[t]
        states.append(h)
    hs = torch.cat(states, dim=0)  # (l, n, b, d)
    y = (hs * C.permute(2, 1, 0).unsqueeze(-1)).sum(dim=1)  # (l, b, d)
    return _skip(y.permute(1, 2, 0), u, D)


def scan_doubling(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor,
) -> torch.Tensor:
    """The recurrence in log2(L) parallel steps (Hillis-Steele), no loop over tokens."""
    log_decay, drive = _discretise(u, delta, A, B)
    hs = _recurrence_doubling(torch.exp(log_decay), drive)
    y = torch.einsum("bdln,bnl->bdl", hs, C)
    return _skip(y, u, D)


SCANS: dict[str, Callable[..., torch.Tensor]] = {
    "sequential": scan_sequential,
    "doubling": scan_doubling,
    "tokens_first": scan_tokens_first,
    "segsum": scan_segsum,
    "chunked": scan_chunked,
}
