"""LTE frame structure and physical signals (TS 36.211 §4, §6.6.4, §6.10, §6.11).

What a cell sends at fixed places every radio frame, independent of traffic: the subframe types
(FDD all downlink; TDD, frame structure type 2, D / S (DwPTS, guard period, UpPTS) / U), PSS,
SSS, CRS and the PBCH's REs, MBSFN subframes. The eNB is silent in U subframes, the guard period
and UpPTS; there a nearby UE's SC-FDMA uplink may leak in (:func:`uplink_grid`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .common import gold_sequence, qpsk_from_bits, random_qam

if TYPE_CHECKING:
    from .lte import LteConfig

N_SC_RB = 12
N_RB_MAX = 110  # N_RB^max,DL, offsets the CRS sequence (TS 36.211 §6.10.1.2)
PSS_ROOTS = (25, 29, 34)  # TS 36.211 Table 6.11.1.1-1

# what each RE of the grid carries (info["kind"]); RESERVED = left empty on purpose,
# OFF = not downlink time (TDD U subframes, guard period, UpPTS)
EMPTY, CRS, PSS, SSS, PBCH, CONTROL, PDSCH, RESERVED, OFF = range(9)
KIND_NAMES = ("empty", "crs", "pss", "sss", "pbch", "control", "pdsch", "reserved", "off")

DUPLEX_MODES = ("FDD", "TDD")

# uplink-downlink configuration -> subframe types 0..9, TS 36.211 Table 4.2-2
UL_DL_CONFIGS = (
    "DSUUUDSUUU",
    "DSUUDDSUUD",
    "DSUDDDSUDD",
    "DSUUUDDDDD",
    "DSUUDDDDDD",
    "DSUDDDDDDD",
    "DSUUUDSUUD",
)

# special subframe configuration -> (DwPTS, UpPTS) in OFDM/SC-FDMA symbols, TS 36.211 Table 4.2-1
# (DwPTS 6592/19760/21952/24144/26336/13168 Ts at normal CP, 7680/20480/23040/25600/12800 Ts at
# extended CP; UpPTS 2192/4384 Ts or 2560/5120 Ts: whole symbols of the slot's CP pattern)
SPECIAL_SUBFRAMES = {
    "normal": ((3, 1), (9, 1), (10, 1), (11, 1), (12, 1), (3, 2), (9, 2), (10, 2), (11, 2), (6, 2)),
    "extended": ((3, 1), (8, 1), (9, 1), (10, 1), (3, 2), (8, 2), (9, 2), (5, 2)),
}

# subframes that may be MBSFN subframes (TS 36.211 §6.1 / TS 36.331 MBSFN-SubframeConfig)
MBSFN_ALLOWED = {"FDD": (1, 2, 3, 6, 7, 8), "TDD": (3, 4, 7, 8, 9)}

N_TA_OFFSET_TS = 624  # a TDD UE sends its uplink 624 Ts early (TS 36.211 §8.1, Table 8.1-1)
UL_MODULATIONS = ("QPSK", "16QAM", "64QAM")


def subframe_types(duplex: str, ul_dl_config: int) -> str:
    """Types of subframes 0..9: all "D" in FDD, Table 4.2-2 in TDD."""
    return "D" * 10 if duplex == "FDD" else UL_DL_CONFIGS[ul_dl_config]


def special_subframe(cp: str, config: int) -> tuple[int, int]:
    """(DwPTS, UpPTS) length in symbols of special subframe ``config`` (TS 36.211 Table 4.2-1)."""
    return SPECIAL_SUBFRAMES[cp][config]


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@lru_cache(maxsize=3)
def pss(n_id_2: int) -> np.ndarray:
    """The 62 PSS values d(0..61): Zadoff-Chu root 25/29/34, d(31) skipped (TS 36.211 §6.11.1.1)."""
    if n_id_2 not in (0, 1, 2):
        raise ValueError(f"n_id_2={n_id_2!r} must be 0, 1 or 2")
    n = np.arange(62)
    m = np.where(n < 31, n, n + 1)  # n >= 31 uses (n+1)(n+2): the ZC element 31 (DC) is skipped
    return _frozen(np.exp(-1j * np.pi * PSS_ROOTS[n_id_2] * m * (m + 1) / 63).astype(np.complex64))


def _m_sequence(taps: tuple[int, ...]) -> np.ndarray:
    """±1 m-sequence of length 31: x(i+5) = sum of x(i+t), x(0..4) = 0,0,0,0,1 (§6.11.2.1)."""
    x = [0, 0, 0, 0, 1]
    for i in range(26):
        x.append(sum(x[i + t] for t in taps) % 2)
    return 1 - 2 * np.array(x, dtype=np.int8)


_S_TILDE = _m_sequence((0, 2))
_C_TILDE = _m_sequence((0, 3))
_Z_TILDE = _m_sequence((0, 1, 2, 4))


def sss_indices(n_id_1: int) -> tuple[int, int]:
    """(m0, m1) of N_ID_1 (TS 36.211 §6.11.2.1, Table 6.11.2.1-1)."""
    q_prime = n_id_1 // 30
    q = (n_id_1 + q_prime * (q_prime + 1) // 2) // 30
    m_prime = n_id_1 + q * (q + 1) // 2
    m0 = m_prime % 31
    return m0, (m0 + m_prime // 31 + 1) % 31


@lru_cache(maxsize=1024)
def sss(n_id_1: int, n_id_2: int, subframe: int) -> np.ndarray:
    """The 62 SSS values d(0..61) for subframe 0 or 5 (TS 36.211 §6.11.2.1)."""
    if not 0 <= n_id_1 <= 167 or n_id_2 not in (0, 1, 2):
        raise ValueError(f"n_id_1={n_id_1} must be 0..167 and n_id_2={n_id_2} 0..2")
    if subframe not in (0, 5):
        raise ValueError(f"the SSS is sent in subframes 0 and 5, not {subframe}")
    m0, m1 = sss_indices(n_id_1)
    n = np.arange(31)
    s0, s1 = _S_TILDE[(n + m0) % 31], _S_TILDE[(n + m1) % 31]
    c0, c1 = _C_TILDE[(n + n_id_2) % 31], _C_TILDE[(n + n_id_2 + 3) % 31]
    z1_m0, z1_m1 = _Z_TILDE[(n + m0 % 8) % 31], _Z_TILDE[(n + m1 % 8) % 31]
    d = np.empty(62, dtype=np.float32)
    if subframe == 0:
        d[0::2], d[1::2] = s0 * c0, s1 * c1 * z1_m0
    else:
        d[0::2], d[1::2] = s1 * c0, s0 * c1 * z1_m1
    return _frozen(d.astype(np.complex64))


@lru_cache(maxsize=4096)
def _crs_sequence(cell_id: int, slot: int, symbol: int, n_cp: int) -> np.ndarray:
    c_init = 2**10 * (7 * (slot + 1) + symbol + 1) * (2 * cell_id + 1) + 2 * cell_id + n_cp
    return _frozen(qpsk_from_bits(gold_sequence(c_init, 4 * N_RB_MAX)))


def crs_values(cell_id: int, slot: int, symbol: int, n_rb: int, cp: str = "normal") -> np.ndarray:
    """r(m'), m' = m + N_RB^max - N_RB for the 2 N_RB CRS REs of one symbol (TS 36.211 §6.10.1).

    ``slot`` is n_s (0..19), ``symbol`` is l within the slot; the values are the same for every
    port, which differ only in their subcarriers (:func:`crs_subcarriers`).
    """
    if not 0 <= slot < 20:
        raise ValueError(f"slot={slot} must be 0..19")
    r = _crs_sequence(cell_id, slot, symbol, 1 if cp == "normal" else 0)
    return r[N_RB_MAX - n_rb : N_RB_MAX + n_rb]


_X1 = gold_sequence(0, 4 * N_RB_MAX)  # with c_init = 0, x2 is all zero: c(n) = x1(n + 1600)


@lru_cache(maxsize=64)
def _crs_frame(cell_id: int, n_cp: int, symbols: tuple[int, ...]) -> np.ndarray:
    """r(m) of ``symbols`` in all 20 slots, ``(20, len(symbols), 2 N_RB^max)``: one batched
    x2 LFSR for the 20 * len(symbols) Gold sequences (TS 36.211 §7.2, §6.10.1.1)."""
    ns, sym = np.meshgrid(np.arange(20), np.array(symbols), indexing="ij")
    c_init = (2**10 * (7 * (ns + 1) + sym + 1) * (2 * cell_id + 1) + 2 * cell_id + n_cp).ravel()
    total = 4 * N_RB_MAX + 1600
    x2 = np.zeros((c_init.size, total + 31), dtype=np.uint8)
    x2[:, :31] = (c_init[:, None] >> np.arange(31)) & 1
    for n in range(0, total, 28):  # x2(n+31) = x2(n+3) ^ x2(n+2) ^ x2(n+1) ^ x2(n)
        m = min(28, total - n)
        x2[:, n + 31 : n + 31 + m] = (
            x2[:, n : n + m] ^ x2[:, n + 1 : n + 1 + m] ^ x2[:, n + 2 : n + 2 + m]
        ) ^ x2[:, n + 3 : n + 3 + m]
    c = _X1 ^ x2[:, 1600:total]
    r = qpsk_from_bits(c.reshape(-1, 2)).reshape(20, len(symbols), 2 * N_RB_MAX)
    return _frozen(r)


def crs_symbols(port: int, symbols_per_slot: int) -> tuple[int, ...]:
    """Symbols l of a slot with CRS of ``port``: 0 and N_symb - 3, or 1 (TS 36.211 §6.10.1.2)."""
    return (0, symbols_per_slot - 3) if port < 2 else (1,)


def crs_subcarriers(cell_id: int, port: int, symbol: int, n_rb: int, slot: int = 0) -> np.ndarray:
    """k = 6m + (v + v_shift) mod 6, v by port, symbol and slot n_s (TS 36.211 §6.10.1.2)."""
    v = 3 * ((symbol != 0) ^ port) if port < 2 else 3 * (slot % 2 + port - 2)
    return 6 * np.arange(2 * n_rb) + (v + cell_id % 6) % 6


@dataclass(frozen=True)
class FrameLayout:
    """The fixed part of one radio frame, rows = 10 subframes * 2 slots * N_symb.

    ``grid``/``kind`` hold CRS, PSS and SSS; PBCH REs are marked (payload drawn per frame),
    RESERVED REs stay empty, OFF marks symbols that are not downlink time (U subframes, guard
    period, UpPTS). ``n_ctrl`` is each subframe's control region (0 in U subframes); ``dl`` and
    ``ul`` flag downlink symbols and uplink symbols (U subframes, UpPTS).
    """

    grid: np.ndarray
    kind: np.ndarray
    n_ctrl: tuple[int, ...]
    dl: np.ndarray
    ul: np.ndarray


def _control_symbols(config: LteConfig, sf: int, n_dl: int) -> int:
    """Control region per subframe (TS 36.211 Table 6.7-1): at most 2 symbols in MBSFN
    subframes (2 with 4 ports) and in subframes 1 and 6 of frame structure type 2."""
    n = config.control_symbols
    if sf in config.mbsfn_subframes:
        n = 2 if config.ports == 4 else min(n, 2)
    elif config.duplex == "TDD" and sf in (1, 6):
        n = min(n, 2)
    return min(n, n_dl)


def _sync_rows(config: LteConfig, sf: int) -> dict[int, int]:
    """Row in the subframe -> PSS/SSS: FDD last two symbols of slots 0 and 10; TDD SSS in the last
    symbol of subframes 0 and 5, PSS in the third of 1 and 6 (TS 36.211 §6.11.1.2, §6.11.2.2)."""
    nsym = config.symbols_per_slot
    if config.duplex == "FDD":
        return {nsym - 1: PSS, nsym - 2: SSS} if sf in (0, 5) else {}
    if sf in (0, 5):
        return {2 * nsym - 1: SSS}
    return {2: PSS} if sf in (1, 6) else {}


def frame_layout(config: LteConfig) -> FrameLayout:
    """:class:`FrameLayout` of the cell (cached on the fields that shape it)."""
    free = {"load": 0.5, "modulation": "random", "control": "auto", "uplink_leak_db": None}
    return _frame_layout(replace(config, **free))


@lru_cache(maxsize=16)
def _frame_layout(config: LteConfig) -> FrameLayout:
    nsym, n_rb, cell = config.symbols_per_slot, config.n_rb, config.cell_id
    n_sc, rows_sf = n_rb * N_SC_RB, 2 * config.symbols_per_slot
    grid = np.zeros((10 * rows_sf, n_sc), dtype=np.complex64)
    kind = np.zeros(grid.shape, dtype=np.int8)
    dl = np.zeros(10 * rows_sf, dtype=bool)
    ul = np.zeros(10 * rows_sf, dtype=bool)
    centre = slice(n_sc // 2 - 36, n_sc // 2 + 36)  # 6 central RBs (PBCH, sync guard)
    sync = slice(n_sc // 2 - 31, n_sc // 2 + 31)
    # REG mapping and PBCH rate matching assume CRS of ports 0,1 (and 2,3 for PBCH) everywhere
    reg_reserved = np.arange(n_sc) % 3 == cell % 3
    crs_rows = (0, 1, nsym - 3)
    crs = _crs_frame(cell, 1 if config.cp == "normal" else 0, crs_rows)
    crs = crs[:, :, N_RB_MAX - n_rb : N_RB_MAX + n_rb] * np.float32(
        10 ** (config.crs_boost_db / 20)
    )
    sync_gain = np.float32(10 ** (config.sync_boost_db / 20))
    dwpts, uppts = config.special_subframe
    n_ctrl = []
    for sf, sf_type in enumerate(config.subframe_types):
        n_dl, n_ul = {"D": (rows_sf, 0), "S": (dwpts, uppts), "U": (0, rows_sf)}[sf_type]
        rows = slice(sf * rows_sf, (sf + 1) * rows_sf)
        g, kd = grid[rows], kind[rows]
        dl[rows][:n_dl], ul[rows][rows_sf - n_ul :] = True, True
        kd[n_dl:] = OFF
        n_ctrl.append(_control_symbols(config, sf, n_dl))
        if n_dl == 0:
            continue
        mbsfn = sf in config.mbsfn_subframes
        crs_end = n_ctrl[-1] if mbsfn else n_dl  # MBSFN region: no CRS (§6.10.1.2)
        for slot, port in np.ndindex(2, config.ports):
            for sym in crs_symbols(port, nsym):
                if slot * nsym + sym < crs_end:
                    kk = crs_subcarriers(cell, port, sym, n_rb, slot)
                    g[slot * nsym + sym, kk] = crs[2 * sf + slot, crs_rows.index(sym)]
                    kd[slot * nsym + sym, kk] = CRS
        kd[0, reg_reserved & (kd[0] == EMPTY)] = RESERVED
        for row, what in _sync_rows(config, sf).items():
            kd[row, centre] = RESERVED
            seq = pss(config.n_id_2) if what == PSS else sss(config.n_id_1, config.n_id_2, sf)
            g[row, sync], kd[row, sync] = sync_gain * seq, what
        if sf == 0:  # PBCH: symbols 0..3 of slot 1, 72 central subcarriers (§6.6.4)
            for r in (r for r in crs_rows if r < 4):
                sub = kd[nsym + r, centre]
                sub[reg_reserved[centre] & (sub == EMPTY)] = RESERVED
            region = kd[nsym : nsym + 4, centre]
            region[region == EMPTY] = PBCH
        if mbsfn or n_dl <= 3:  # MBSFN region idle; no PDSCH in a 3-symbol DwPTS (36.213 §7.1)
            data = kd[n_ctrl[-1] : n_dl]
            data[data == EMPTY] = RESERVED
    return FrameLayout(_frozen(grid), _frozen(kind), tuple(n_ctrl), _frozen(dl), _frozen(ul))


def pusch_rb_counts(n_rb: int) -> np.ndarray:
    """Allowed PUSCH allocations M_RB = 2^a 3^b 5^c <= N_RB (TS 36.211 §5.3.3)."""
    m = np.arange(1, n_rb + 1)
    rest = m.copy()
    for p in (2, 3, 5):
        for _ in range(7):
            rest = np.where(rest % p == 0, rest // p, rest)
    return m[rest == 1]


def _dmrs_like(m_sc: int, rng: np.random.Generator) -> np.ndarray:
    """Zadoff-Chu base sequence, N_ZC the largest prime < M_sc, cyclically extended (§5.5.1.1)."""
    n_zc = next(p for p in range(m_sc - 1, 1, -1) if all(p % d for d in range(2, int(p**0.5) + 1)))
    q = int(rng.integers(1, n_zc))
    m = np.arange(m_sc) % n_zc
    return np.exp(-1j * np.pi * q * m * (m + 1) / n_zc).astype(np.complex64)


def uplink_grid(
    ul_symbols: np.ndarray,
    symbols_per_subframe: int,
    n_rb: int,
    dmrs_symbol: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """A UE's PUSCH-like uplink on the ``ul_symbols`` rows: ``(rows, N_RB*12)`` complex64.

    Each UL burst (one subframe's UL symbols) takes a random contiguous set of M_RB RBs and
    one modulation; data symbols are DFT-spread (SC-FDMA, TS 36.211 §5.3.3), symbol
    ``dmrs_symbol`` of each slot of a full UL subframe carries a Zadoff-Chu DMRS (§5.5.2.1.2).
    Every UL symbol has the same power whatever M_RB (power scaled by N_RB / M_RB).
    """
    n_sc = 12 * n_rb
    grid = np.zeros((ul_symbols.size, n_sc), dtype=np.complex64)
    sizes = pusch_rb_counts(n_rb)
    for first in range(0, ul_symbols.size, symbols_per_subframe):
        rows = first + np.flatnonzero(ul_symbols[first : first + symbols_per_subframe])
        if rows.size == 0:
            continue
        m_rb = int(rng.choice(sizes))
        k0, m_sc = 12 * int(rng.integers(0, n_rb - m_rb + 1)), 12 * m_rb
        data = random_qam(rng, rows.size * m_sc, str(rng.choice(UL_MODULATIONS)))
        block = np.fft.fft(data.reshape(rows.size, m_sc), axis=1) / np.sqrt(m_sc)
        if rows.size == symbols_per_subframe:  # a whole UL subframe: DMRS in each slot
            block[(dmrs_symbol, dmrs_symbol + symbols_per_subframe // 2), :] = _dmrs_like(m_sc, rng)
        grid[rows, k0 : k0 + m_sc] = block * np.sqrt(n_sc / m_sc)
    return grid


def half_subcarrier_ramp(cps: np.ndarray, nfft: int) -> np.ndarray:
    """exp(j pi p / N) over each symbol, p = -N_CP .. N-1: the uplink's 7.5 kHz shift (§5.6)."""
    lengths = cps + nfft
    p = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - nfft, lengths)
    return np.exp(1j * np.pi * p / nfft).astype(np.complex64)
