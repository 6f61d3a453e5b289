"""Channel coding of the LTE broadcast channel (TS 36.212): CRCs, the tail-biting convolutional
code with its wrap-around Viterbi decoder, and the convolutional code's rate matching.

Everything works on numpy bit arrays (uint8 0/1, most significant bit first) with any leading
batch dimensions, and on soft values (log-likelihood ratios, positive when a bit is more likely
0), so that a decoder can try many hypotheses (frame phases, antenna ports) in one call. Each
encoder has its decoder here so that tests can round-trip them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Generator polynomials without their leading x^L term (TS 36.212 §5.1.1).
CRC16 = (0x1021, 16)  # D^16 + D^12 + D^5 + 1
CRC24A = (0x864CFB, 24)  # D^24 + D^23 + D^18 + D^17 + D^14 + D^11 + D^10 + D^7 + D^6 + ... + 1
CRC24B = (0x800063, 24)  # D^24 + D^23 + D^6 + D^5 + D + 1
CRC24C = (0xB2B117, 24)  # D^24 + D^23 + D^21 + D^20 + D^17 + D^15 + D^13 + D^12 + ... + 1
CRC8 = (0x9B, 8)  # D^8 + D^7 + D^4 + D^3 + D + 1

# Tail-biting convolutional code, constraint length 7, rate 1/3 (TS 36.212 §5.1.3.1): the
# octal generators 133, 171, 165; their first (most significant) tap multiplies the input bit.
CONV_GENERATORS = (0o133, 0o171, 0o165)
CONV_K = 7
_N_STATES = 1 << (CONV_K - 1)

# Inter-column permutation of the convolutional code's sub-block interleaver (§5.1.4.2.1,
# Table 5.1.4-2).
CONV_PERMUTATION = (1, 17, 9, 25, 5, 21, 13, 29, 3, 19, 11, 27, 7, 23, 15, 31,
                    0, 16, 8, 24, 4, 20, 12, 28, 2, 18, 10, 26, 6, 22, 14, 30)  # fmt: skip
_COLUMNS = 32


def bits_from_int(value: int, width: int) -> np.ndarray:
    """``width`` bits of ``value``, most significant first."""
    return ((int(value) >> np.arange(width - 1, -1, -1)) & 1).astype(np.uint8)


def int_from_bits(bits: np.ndarray) -> np.ndarray | int:
    """The integer(s) the last axis of ``bits`` spells, most significant bit first."""
    bits = np.asarray(bits, dtype=np.int64)
    weights = 1 << np.arange(bits.shape[-1] - 1, -1, -1, dtype=np.int64)
    out = bits @ weights
    return int(out) if np.ndim(out) == 0 else out


def crc(bits: np.ndarray, poly: tuple[int, int] = CRC16) -> np.ndarray:
    """The CRC parity bits p_0..p_{L-1} of ``bits`` (last axis) for generator ``poly``.

    Shift register initialised to zero, as TS 36.212 §5.1.1 computes them: appending the parity
    to the bits gives a word that the generator divides.
    """
    generator, length = poly
    bits = np.asarray(bits, dtype=np.uint8)
    taps = bits_from_int(generator, length).astype(bool)
    reg = np.zeros((*bits.shape[:-1], length), dtype=np.uint8)
    for k in range(bits.shape[-1]):
        feedback = reg[..., 0] ^ bits[..., k]
        reg[..., :-1] = reg[..., 1:]
        reg[..., -1] = 0
        reg[..., taps] ^= feedback[..., None]
    return reg


def crc_attach(bits: np.ndarray, poly: tuple[int, int] = CRC16) -> np.ndarray:
    bits = np.asarray(bits, dtype=np.uint8)
    return np.concatenate([bits, crc(bits, poly)], axis=-1)


def crc_check(word: np.ndarray, poly: tuple[int, int] = CRC16) -> np.ndarray:
    """The received parity XOR the parity recomputed from the payload (last axis of ``word``):
    all zero when the CRC passes, else the mask that was applied (e.g. the PBCH's port mask)."""
    word = np.asarray(word, dtype=np.uint8)
    length = poly[1]
    return word[..., -length:] ^ crc(word[..., :-length], poly)


def _tap_lists() -> list[np.ndarray]:
    """For each generator, the delays j (0 = the input bit) whose register bit it adds."""
    return [
        np.array([j for j in range(CONV_K) if (g >> (CONV_K - 1 - j)) & 1]) for g in CONV_GENERATORS
    ]


def conv_encode(bits: np.ndarray) -> np.ndarray:
    """Tail-biting encoding of the last axis: (..., K) -> (..., 3, K), the streams d^(0..2).

    The register starts holding the last six bits of the block (§5.1.3.1), so output k uses
    c_k, c_{k-1}, ..., c_{k-6} with indices taken modulo K.
    """
    bits = np.asarray(bits, dtype=np.uint8)
    streams = []
    for taps in _tap_lists():
        acc = np.zeros_like(bits)
        for j in taps:
            acc ^= np.roll(bits, j, axis=-1)
        streams.append(acc)
    return np.stack(streams, axis=-2)


@lru_cache(maxsize=1)
def _trellis() -> np.ndarray:
    """Signs (+1 for an output bit 0) of the three outputs of each 7-bit register value.

    The register value is ``(state << 1) | input`` with bit j holding c_{k-j}; a state holds
    c_{k-1} in bit 0 ... c_{k-6} in bit 5, so the next state is the register's low six bits.
    """
    reg = np.arange(1 << CONV_K)
    signs = np.empty((1 << CONV_K, 3))
    for i, taps in enumerate(_tap_lists()):
        parity = np.zeros_like(reg)
        for j in taps:
            parity ^= (reg >> j) & 1
        signs[:, i] = 1 - 2 * parity
    return signs


def viterbi_decode(llr: np.ndarray, passes: int = 3) -> np.ndarray:
    """Wrap-around Viterbi decoding of tail-biting codewords: (..., 3, K) soft values -> (..., K).

    The soft values are taken as a circle walked ``passes`` times from all-equal state metrics;
    the survivor path is traced back from the best final state and the decisions of the middle
    pass kept, which by then no longer depend on the arbitrary start (for the 40-bit PBCH block,
    several constraint lengths on either side).
    """
    llr = np.asarray(llr, dtype=np.float64)
    batch, k = llr.shape[:-2], llr.shape[-1]
    flat = llr.reshape(-1, 3, k)
    b = flat.shape[0]
    signs = _trellis()  # (128, 3)
    # branch metrics for every register value at every step: (b, K, 128)
    branch = np.einsum("bik,ri->bkr", flat, signs)
    next_states = np.arange(_N_STATES)
    metric = np.zeros((b, _N_STATES))
    steps = passes * k
    choice = np.empty((steps, b, _N_STATES), dtype=np.uint8)
    for t in range(steps):
        bm = branch[:, t % k, :]
        # into state s' from (s' >> 1) (x = 0) or (s' >> 1) | 32 (x = 1); register s' + 64 x
        m0 = metric[:, next_states >> 1] + bm[:, next_states]
        m1 = metric[:, (next_states >> 1) | 32] + bm[:, next_states + 64]
        pick = m1 > m0
        choice[t] = pick
        metric = np.where(pick, m1, m0)
        metric -= metric.max(axis=1, keepdims=True)
    state = metric.argmax(axis=1)
    decoded = np.empty((steps, b), dtype=np.uint8)
    rows = np.arange(b)
    for t in range(steps - 1, -1, -1):
        decoded[t] = state & 1
        state = (state >> 1) | (choice[t, rows, state].astype(np.int64) << 5)
    middle = decoded[(passes // 2) * k : (passes // 2 + 1) * k].T
    return middle.reshape(*batch, k)


@lru_cache(maxsize=32)
def _interleaved_positions(d: int) -> np.ndarray:
    """Positions in one stream (0..D-1, or -1 for a dummy bit) of the interleaver's output."""
    rows = -(-d // _COLUMNS)
    dummies = rows * _COLUMNS - d
    y = np.concatenate([np.full(dummies, -1), np.arange(d)]).reshape(rows, _COLUMNS)
    return y[:, list(CONV_PERMUTATION)].T.reshape(-1)


@lru_cache(maxsize=32)
def rate_match_indices(d: int, e: int) -> np.ndarray:
    """For each of the ``e`` rate-matched bits, the coded bit it carries as an index into the
    streams flattened stream by stream (i * D + k for d^(i)_k): sub-block interleaving of each
    stream, bit collection w = [v0 v1 v2] and circular selection from k0 = 0 skipping dummies
    (§5.1.4.2)."""
    pos = _interleaved_positions(d)
    w = np.concatenate([np.where(pos < 0, -1, pos + i * d) for i in range(3)])
    valid = w[w >= 0]
    reps = -(-e // valid.size)
    return np.tile(valid, reps)[:e]


def rate_match(coded: np.ndarray, e: int) -> np.ndarray:
    """(..., 3, D) coded bits -> (..., E) transmitted bits."""
    coded = np.asarray(coded)
    d = coded.shape[-1]
    flat = coded.reshape(*coded.shape[:-2], 3 * d)
    return flat[..., rate_match_indices(d, e)]


def rate_recover(
    llr: np.ndarray, d: int, offset: int = 0, e_total: int | None = None
) -> np.ndarray:
    """(..., n) soft values of the rate-matched bits offset..offset+n-1 -> (..., 3, D), the soft
    values of each coded bit summed over its repetitions (zero for a bit never received).

    ``e_total`` is the whole rate-matched length E the bits belong to (the PBCH's E spans four
    radio frames; one frame holds bits offset..offset+E/4-1)."""
    llr = np.asarray(llr, dtype=np.float64)
    n = llr.shape[-1]
    e_total = offset + n if e_total is None else e_total
    idx = rate_match_indices(d, e_total)[offset : offset + n]
    flat = llr.reshape(-1, n)
    out = np.zeros((flat.shape[0], 3 * d))
    for row in range(flat.shape[0]):
        out[row] = np.bincount(idx, weights=flat[row], minlength=3 * d)
    return out.reshape(*llr.shape[:-1], 3, d)
