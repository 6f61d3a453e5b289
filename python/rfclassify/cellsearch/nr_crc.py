"""CRC-24C of NR (TS 38.212 §5.1): g(D) = D^24 + D^23 + D^21 + D^20 + D^17 + D^15 + D^13 +
D^12 + D^8 + D^4 + D^2 + D + 1, the CRC of the PBCH and of DCI.

Computed as a linear map of the message bits (a K x 24 matrix over GF(2), built once per K),
so that many candidate messages are checked in one product.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

CRC24C_POLY = 0xB2B117  # the coefficients of D^23 .. D^0
CRC_LEN = 24


def _crc_int(bits: np.ndarray) -> int:
    reg = 0
    for b in bits:
        top = ((reg >> 23) & 1) ^ int(b)
        reg = (reg << 1) & 0xFFFFFF
        if top:
            reg ^= CRC24C_POLY
    return reg


@lru_cache(maxsize=16)
def _matrix(k: int) -> np.ndarray:
    """Row i: the CRC of the message whose only 1 is bit i."""
    out = np.zeros((k, CRC_LEN), dtype=np.uint8)
    for i in range(k):
        unit = np.zeros(k, dtype=np.uint8)
        unit[i] = 1
        reg = _crc_int(unit)
        out[i] = (reg >> np.arange(CRC_LEN - 1, -1, -1)) & 1
    return out


def crc24c(bits: np.ndarray) -> np.ndarray:
    """The 24 parity bits p_0..p_23 of a message a_0..a_{A-1} (or of each row of a 2-D array)."""
    a = np.asarray(bits, dtype=np.uint8)
    return ((a.astype(np.int64) @ _matrix(a.shape[-1])) % 2).astype(np.uint8)


def attach_crc24c(bits: np.ndarray) -> np.ndarray:
    """b = a followed by its CRC-24C (§5.1)."""
    a = np.asarray(bits, dtype=np.uint8)
    return np.concatenate([a, crc24c(a)], axis=-1)


def check_crc24c(block: np.ndarray) -> np.ndarray:
    """True where a block (message + 24 parity bits; 1-D or one per row) has a good CRC."""
    b = np.asarray(block, dtype=np.uint8)
    return np.all(crc24c(b[..., :-CRC_LEN]) == b[..., -CRC_LEN:], axis=-1)
