"""The NR PBCH from MIB to resource elements and back (TS 38.212 §7.1, TS 38.211 §7.3.3,
§7.4.3.1; the MIB of TS 38.331 §6.2.2).

Transmit: MIB fields -> 24-bit BCCH-BCH message + 8 timing bits (SFN LSBs, half frame, k_SSB MSB)
-> payload interleaving (Table 7.1.1-1) -> scrambling with the SFN's 2nd/3rd LSBs (§7.1.2) ->
CRC-24C -> polar code N = 512, K = 56, E = 864 -> scrambling with the SSB index (38.211
§7.3.3.1) -> QPSK on the 432 PBCH REs of an SS/PBCH block.
Receive: 864 LLRs -> the same steps backwards; ``decoded`` only when the CRC passes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..signals.common import gold_sequence, qpsk_from_bits
from . import polar
from .nr_crc import attach_crc24c, check_crc24c

PBCH_E = 864  # coded bits per SSB
PBCH_K = 56  # payload 32 + CRC 24
PAYLOAD_A = 32
_MIB_BITS = 24
# Table 7.1.1-1: PBCH payload interleaver pattern G(j)
PAYLOAD_PATTERN = np.array(
    [16, 23, 18, 17, 8, 30, 10, 6, 24, 7, 0, 5, 3, 2, 1, 4,
     9, 11, 12, 13, 14, 15, 19, 20, 21, 22, 25, 26, 27, 28, 29, 31],
    dtype=np.int64,
)  # fmt: skip

MIB_DEFAULTS: dict[str, Any] = {
    "sfn": 0,
    "subcarrier_spacing_common_khz": 15,
    "k_ssb": 0,
    "dmrs_type_a_position": 2,
    "coreset_zero": 0,
    "search_space_zero": 0,
    "cell_barred": "notBarred",
    "intra_freq_reselection": "allowed",
    "spare": 0,
}


def _bits(value: int, width: int) -> list[int]:
    return [(int(value) >> (width - 1 - i)) & 1 for i in range(width)]


def _value(bits: np.ndarray) -> int:
    out = 0
    for b in bits:
        out = 2 * out + int(b)
    return out


@lru_cache(maxsize=4)
def _payload_order() -> np.ndarray:
    """position[i]: where payload bit a_i goes in a' (§7.1.1), the same for every L_max."""
    pos = np.empty(PAYLOAD_A, dtype=np.int64)
    j_sfn, j_hrf, j_ssb, j_other = 0, 10, 11, 14
    a = _MIB_BITS
    for i in range(PAYLOAD_A):
        if 1 <= i <= 6 or a <= i <= a + 3:  # SFN bits: 6 MSBs in the MIB, 4 LSBs after it
            pos[i], j_sfn = PAYLOAD_PATTERN[j_sfn], j_sfn + 1
        elif i == a + 4:
            pos[i] = PAYLOAD_PATTERN[j_hrf]
        elif a + 5 <= i <= a + 7:
            pos[i], j_ssb = PAYLOAD_PATTERN[j_ssb], j_ssb + 1
        else:
            pos[i], j_other = PAYLOAD_PATTERN[j_other], j_other + 1
    return pos


def mib_payload(mib: dict[str, Any], half_frame: int, l_max: int = 4) -> np.ndarray:
    """a_0..a_31: the BCCH-BCH message (choice ``mib`` + the MIB, ASN.1 UPER) and the PBCH's
    own bits: SFN 4th..1st LSB, half frame, k_SSB MSB and two reserved zeros (L_max 4/8)."""
    if l_max == 64:
        raise ValueError("L_max = 64 (FR2) is not supported")
    m = MIB_DEFAULTS | dict(mib)
    sfn, k_ssb = int(m["sfn"]), int(m["k_ssb"])
    if not 0 <= sfn < 1024 or not 0 <= k_ssb < 32:
        raise ValueError(f"sfn {sfn} or k_ssb {k_ssb} out of range")
    scs_bit = {15: 0, 60: 0, 30: 1, 120: 1}[int(m["subcarrier_spacing_common_khz"])]
    bits = [0, *_bits(sfn >> 4, 6), scs_bit, *_bits(k_ssb & 15, 4)]
    bits += [int(m["dmrs_type_a_position"]) - 2, *_bits(m["coreset_zero"], 4)]
    bits += [*_bits(m["search_space_zero"], 4), int(m["cell_barred"] == "notBarred")]
    bits += [int(m["intra_freq_reselection"] == "notAllowed"), int(m["spare"]) & 1]
    bits += [*_bits(sfn & 15, 4), int(half_frame) & 1, k_ssb >> 4, 0, 0]
    return np.array(bits, dtype=np.uint8)


def parse_payload(a: np.ndarray) -> dict[str, Any]:
    """The MIB fields and timing bits of a_0..a_31 (L_max 4/8)."""
    a = np.asarray(a, dtype=np.uint8)
    return {
        "message": "mib" if a[0] == 0 else "messageClassExtension",
        "sfn": (_value(a[1:7]) << 4) | _value(a[24:28]),
        "subcarrier_spacing_common_khz": 30 if a[7] else 15,
        "k_ssb": _value(a[8:12]) | (int(a[29]) << 4),
        "dmrs_type_a_position": 3 if a[12] else 2,
        "coreset_zero": _value(a[13:17]),
        "search_space_zero": _value(a[17:21]),
        "cell_barred": "notBarred" if a[21] else "barred",
        "intra_freq_reselection": "notAllowed" if a[22] else "allowed",
        "spare": int(a[23]),
        "half_frame": int(a[28]),
        "reserved": [int(a[30]), int(a[31])],
    }


@lru_cache(maxsize=64)
def _pbch_prbs(pci: int, length: int) -> np.ndarray:
    return gold_sequence(pci, length)


def _unscrambled(l_max: int) -> np.ndarray:
    """Positions of a' left unscrambled (§7.1.2): half frame, SFN 2nd and 3rd LSBs (and the
    SSB index MSBs for L_max = 64)."""
    j = [7, 8, 10] + ([11, 12, 13] if l_max == 64 else [])
    return PAYLOAD_PATTERN[j]


def _payload_scrambling(a_int: np.ndarray, pci: int, l_max: int) -> np.ndarray:
    """s_0..s_31 of §7.1.2 for an interleaved payload a' (whose SFN bits give v)."""
    m = PAYLOAD_A - (6 if l_max == 64 else 3)
    v = 2 * int(a_int[PAYLOAD_PATTERN[7]]) + int(a_int[PAYLOAD_PATTERN[8]])
    c = _pbch_prbs(pci, 4 * m)
    s = np.zeros(PAYLOAD_A, dtype=np.uint8)
    keep = np.ones(PAYLOAD_A, dtype=bool)
    keep[_unscrambled(l_max)] = False
    s[keep] = c[v * m : v * m + m]
    return s


def bch_encode(mib: dict[str, Any], pci: int, half_frame: int, l_max: int = 4) -> np.ndarray:
    """The 864 coded bits of one PBCH (38.212 §7.1.1-7.1.5)."""
    a = mib_payload(mib, half_frame, l_max)
    a_int = np.empty_like(a)
    a_int[_payload_order()] = a
    scrambled = a_int ^ _payload_scrambling(a_int, pci, l_max)
    return polar.encode(attach_crc24c(scrambled), PBCH_E)


def _ssb_v(ssb_index: int, l_max: int) -> int:
    """v of 38.211 §7.3.3.1: the SSB index's 2 (L_max 4) or 3 LSBs."""
    return int(ssb_index) % (4 if l_max == 4 else 8)


def pbch_symbols(
    mib: dict[str, Any], pci: int, ssb_index: int, half_frame: int, l_max: int = 4
) -> np.ndarray:
    """The 432 QPSK symbols of one PBCH (38.211 §7.3.3: scrambling, then QPSK)."""
    bits = bch_encode(mib, pci, half_frame, l_max)
    v = _ssb_v(ssb_index, l_max)
    c = _pbch_prbs(pci, 8 * PBCH_E)[v * PBCH_E : (v + 1) * PBCH_E]
    return qpsk_from_bits(bits ^ c)


def pbch_decode(llr: np.ndarray, pci: int, ssb_index: int, l_max: int = 4) -> dict | None:
    """864 LLRs of the PBCH's QPSK bits (positive: 0) to the payload fields, or None when the
    CRC fails. ``ssb_index`` sets the 38.211 descrambling (its 2 or 3 LSBs)."""
    v = _ssb_v(ssb_index, l_max)
    c = _pbch_prbs(pci, 8 * PBCH_E)[v * PBCH_E : (v + 1) * PBCH_E]
    llr = np.asarray(llr, dtype=np.float64) * (1.0 - 2.0 * c)
    block, ok = polar.decode(llr, PBCH_K, check_crc24c)
    if not ok:
        return None
    scrambled = block[:PAYLOAD_A]
    a_int = scrambled ^ _payload_scrambling(scrambled, pci, l_max)
    return parse_payload(a_int[_payload_order()])
