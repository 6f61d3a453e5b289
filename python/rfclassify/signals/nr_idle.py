"""What an NR cell sends whatever its load: TRS and SIB1 (TS 38.211, 38.213 §13, 38.214 §5.1.6.1.1).

Besides the SSB, an idle gNB transmits the tracking reference signal (a periodic NZP CSI-RS) and
SIB1 (a PDCCH in CORESET#0 and the PDSCH it schedules, every 20 ms). This module places both in
a resource grid, and holds the RE-level helpers they share with the data channels of ``nr.py``:
the RE kind codes, a batched Gold sequence, table-lookup QAM and the DMRS positions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .common import QAM_ORDERS, gold_sequence, qam_from_bits

if TYPE_CHECKING:
    from .nr import NrConfig

SYMBOLS_PER_SLOT = 14
RE_KINDS = {
    **{"empty": 0, "pss": 1, "sss": 2, "pbch": 3, "pbch_dmrs": 4},
    **{"pdcch": 5, "pdcch_dmrs": 6, "pdsch": 7, "pdsch_dmrs": 8, "trs": 9},
    **{"sib1_pdcch": 10, "sib1_pdcch_dmrs": 11, "sib1_pdsch": 12, "sib1_pdsch_dmrs": 13},
}
_K = RE_KINDS
TRS_PERIODS_MS = (10, 20, 40, 80)
TRS_SYMBOL_PAIRS = ((4, 8), (5, 9), (6, 10))  # TS 38.214 §5.1.6.1.1, FR1
SIB1_OFFSETS_MS = (0, 2, 5, 7)  # O of TS 38.213 Table 13-11 (FR1), with M = 1
CORESET0_SHAPES = ((24, 2), (48, 1), (48, 2))  # (RBs, symbols), TS 38.213 Tables 13-1 / 13-4


@lru_cache(maxsize=8)
def _gold_basis(length: int) -> tuple[np.ndarray, np.ndarray]:
    """x1's part of c(n) and, per bit b of c_init, x2's part started from 2^b (both linear)."""
    x1 = gold_sequence(0, length)
    basis = np.array([gold_sequence(1 << b, length) ^ x1 for b in range(31)], dtype=np.float32)
    return x1, basis


def gold_bits(c_inits: np.ndarray, length: int) -> np.ndarray:
    """``(K, length)`` Gold sequences c(n) for K values of c_init at once (TS 38.211 §5.2.1).

    x2 is a linear recursion over GF(2), so its output is the XOR of the outputs started from
    each set bit of c_init: one small matrix product instead of K shift-register runs.
    """
    c = np.asarray(c_inits, dtype=np.int64).reshape(-1)
    x1, basis = _gold_basis(max(1024, 1 << (int(length) - 1).bit_length()))  # few sizes
    bits = ((c[:, None] >> np.arange(31)) & 1).astype(np.float32)
    sums = np.rint(bits @ basis[:, :length]).astype(np.int32)
    return (sums & 1).astype(np.uint8) ^ x1[:length]


def gold_qpsk(c_inits: np.ndarray, count: int) -> np.ndarray:
    """``(K, count)`` r(m) = ((1-2c(2m)) + j(1-2c(2m+1))) / √2 (TS 38.211 §7.4.1.1.1)."""
    b = 1.0 - 2.0 * gold_bits(c_inits, 2 * count).astype(np.float32)
    return ((b[:, 0::2] + 1j * b[:, 1::2]) / np.sqrt(2)).astype(np.complex64)


@lru_cache(maxsize=8)
def _qam_table(modulation: str) -> np.ndarray:
    q = QAM_ORDERS[modulation]
    bits = (np.arange(1 << q)[:, None] >> np.arange(q - 1, -1, -1)) & 1
    return qam_from_bits(bits.astype(np.uint8), modulation)


def qam_symbols(rng: np.random.Generator, count: int, modulation: str) -> np.ndarray:
    """``count`` random symbols of ``modulation`` (TS 38.211 §5.1), by table lookup."""
    table = _qam_table(modulation)
    return table[rng.integers(0, table.size, size=count, dtype=np.int32)]


def dmrs_c_init(n_slot: np.ndarray, sym: np.ndarray, n_id: int) -> np.ndarray:
    """PDCCH/PDSCH DMRS c_init, n_SCID = 0 (TS 38.211 §7.4.1.1.1, §7.4.1.3.1)."""
    n_slot, sym = np.asarray(n_slot, dtype=np.int64), np.asarray(sym, dtype=np.int64)
    return (2**17 * (SYMBOLS_PER_SLOT * n_slot + sym + 1) * (2 * n_id + 1) + 2 * n_id) % 2**31


def pdsch_dmrs_symbols(n_dl: int, l0: int, additional: int) -> list[int]:
    """Type-A PDSCH DMRS symbols, single-symbol DMRS, l_d = n_dl (TS 38.211 Table 7.4.1.1.2-3)."""
    table = {8: ([7],) * 3, 10: ([9], [6, 9], [6, 9]), 12: ([9], [6, 9], [5, 8, 11])}
    table |= {9: table[8], 11: table[10], 13: ([11], [7, 11], [5, 8, 11])}
    table[14] = table[13]
    extra = table[n_dl][additional - 1] if additional and n_dl in table else []
    return [l0, *extra]


def _prb_free(kind: np.ndarray, row: int, n_rb: int) -> np.ndarray:
    """PRBs of symbol ``row`` holding nothing but TRS (rate-matched at RE level, §5.1.4)."""
    k = kind[row, : 12 * n_rb].reshape(n_rb, 12)
    return ((k == 0) | (k == _K["trs"])).all(axis=1)


def place_trs(
    grid: np.ndarray, kind: np.ndarray, slot_dl: np.ndarray, c: NrConfig, rng: np.random.Generator
) -> dict:
    """TRS: 1-port CSI-RS, density 3, 2 symbols in 2 consecutive slots every ``trs_period_ms``.

    TS 38.214 §5.1.6.1.1 (FR1: symbols l and l + 4, l in 4..6), TS 38.211 Table 7.4.1.5.3-1 row 1
    (every 4th subcarrier from k0 in 0..3, over the whole carrier) and §7.4.1.5.2 (sequence,
    c_init = 2^10 (14 n_s + l + 1)(2 n_ID + 1) + n_ID). ``slot_dl`` is the DL symbol count of
    every slot of the pattern, repeated; the slot offset is drawn among those whose two slots
    carry both symbols. SSB PRBs are left to the SSB.
    """
    mu, period_ms, n_id = c.mu, c.trs_period_ms, c.cell_id
    n_sym, n_sc = grid.shape
    n_slots, per_frame = n_sym // SYMBOLS_PER_SLOT, 10 << mu
    period = period_ms << mu
    pair = TRS_SYMBOL_PAIRS[int(rng.integers(len(TRS_SYMBOL_PAIRS)))]
    k0 = int(rng.integers(4))
    dl = np.resize(slot_dl, period + 1)
    ok = np.flatnonzero((dl[:period] > pair[1]) & (dl[1 : period + 1] > pair[1]))
    info: dict = {"trs_symbols": list(pair), "trs_k0": k0, "trs_slots": []}
    if ok.size == 0:
        return info
    offset = int(rng.choice(ok))
    slots = [s for s in range(offset, n_slots) if (s - offset) % period in (0, 1)]
    slots = [s for s in slots if slot_dl[s % slot_dl.size] > pair[1]]
    if not slots:
        return info
    rows = np.array([s * SYMBOLS_PER_SLOT + sym for s in slots for sym in pair])
    n_s = rows // SYMBOLS_PER_SLOT % per_frame
    sym = rows % SYMBOLS_PER_SLOT
    c_init = (2**10 * (SYMBOLS_PER_SLOT * n_s + sym + 1) * (2 * n_id + 1) + n_id) % 2**31
    values = gold_qpsk(c_init, n_sc // 4)  # m' = 3n + j: the j-th RE of PRB n
    cols = k0 + 4 * np.arange(n_sc // 4)
    for r, v in zip(rows, values, strict=True):  # a handful of symbols
        keep = np.repeat(_prb_free(kind, int(r), n_sc // 12), 3)
        grid[r, cols[keep]], kind[r, cols[keep]] = v[keep], _K["trs"]
    info["trs_slots"] = slots
    return info


def _coreset0_rbs(rng: np.random.Generator, n_rb: int, ssb_rb: int, n_sym_max: int) -> tuple:
    """CORESET#0 size, symbols and first RB: covering the SSB where the carrier allows."""
    shapes = [s for s in CORESET0_SHAPES if s[0] <= n_rb and s[1] <= n_sym_max]
    n_rb0, n_sym0 = shapes[int(rng.integers(len(shapes)))]
    start = ssb_rb - int(rng.integers(0, n_rb0 - 20 + 1))  # RB offset of Tables 13-1..13-6
    return n_rb0, n_sym0, int(np.clip(start, 0, n_rb - n_rb0))


def _cce_rbs(cces: np.ndarray, n_rb0: int, n_sym0: int, n_id: int) -> np.ndarray:
    """RBs (from the CORESET start) of ``cces``: interleaved mapping, L = 6, R = 2 (§7.3.2.2)."""
    n_bundles = n_rb0 * n_sym0 // 6
    c_cols = n_bundles // 2
    x = np.asarray(cces)  # one bundle of 6 REGs per CCE
    bundle = ((x % 2) * c_cols + x // 2 + n_id) % n_bundles
    per_bundle = 6 // n_sym0  # REGs are numbered time first: a bundle spans 6/N_sym RBs
    return (bundle[:, None] * per_bundle + np.arange(per_bundle)).ravel()


def _sib1_slots(
    slot_dl: np.ndarray, n_slots: int, mu: int, l_max: int, sfn_parity: int, offset_ms: int
) -> list[int]:
    """Slots of the SIB1s: type0-PDCCH occasion n0 = O·2^μ + i of SSB i, or n0 + 1 (§13)."""
    per_frame = 10 << mu
    out: set[int] = set()
    for frame in range(-1, n_slots // per_frame + 2):
        for i in range(l_max):
            n0 = (offset_ms << mu) + i
            if (frame + sfn_parity) % 2 != (n0 // per_frame) % 2:
                continue  # the occasion's frame has SFN_C mod 2 as §13 gives
            for slot in (frame * per_frame + n0 % per_frame + d for d in (0, 1)):
                if slot not in out and slot_dl[slot % slot_dl.size] >= 7:
                    out.add(slot)
                    break
    return sorted(s for s in out if 0 <= s < n_slots)


def _sib1_pdcch(
    grid: np.ndarray,
    kind: np.ndarray,
    base: int,
    n_s: int,
    rbs: np.ndarray,
    cs0: tuple,
    n_id: int,
    rng: np.random.Generator,
) -> None:
    """DCI 1_0 on CCE RBs ``rbs`` of CORESET#0 ``cs0`` = (first RB, RBs, symbols)."""
    start0, n_rb0, n_sym0 = cs0
    k_ref = 12 * start0  # DMRS reference: subcarrier 0 of CORESET#0 (§7.4.1.3.2)
    sc = (12 * rbs[:, None] + np.arange(12)).ravel()
    dm, data = sc[sc % 4 == 1], sc[sc % 4 != 1]
    r = gold_qpsk(dmrs_c_init(n_s, np.arange(n_sym0), n_id), 3 * n_rb0)
    for sym in range(n_sym0):
        grid[base + sym, dm], kind[base + sym, dm] = (
            r[sym, (dm - k_ref) // 4],
            _K["sib1_pdcch_dmrs"],
        )
        grid[base + sym, data] = qam_symbols(rng, data.size, "QPSK")
        kind[base + sym, data] = _K["sib1_pdcch"]


def _sib1_pdsch(
    grid: np.ndarray,
    kind: np.ndarray,
    base: int,
    n_s: int,
    n_dl: int,
    alloc: np.ndarray,
    k_ref: int,
    l0: int,
    n_id: int,
    rng: np.random.Generator,
) -> None:
    """SIB1 PDSCH on RBs ``alloc`` from l0 to symbol n_dl - 1, DMRS l0 + pos2 (§7.4.1.1.2)."""
    n_rb = grid.shape[1] // 12
    dmrs = pdsch_dmrs_symbols(n_dl, l0, 2)
    r = gold_qpsk(dmrs_c_init(n_s, np.array(dmrs), n_id), (12 * (alloc[-1] + 1) - k_ref) // 2)
    for sym in range(l0, n_dl):
        row = base + sym
        rbs = alloc[_prb_free(kind, row, n_rb)[alloc]]
        sc = (12 * rbs[:, None] + np.arange(12)).ravel()
        sc = sc[kind[row, sc] == 0]
        if sym in dmrs:
            sc = sc[sc % 2 == 0]  # type 1, CDM group 0; group 1 left empty (+3 dB)
            values = np.sqrt(2) * r[dmrs.index(sym), (sc - k_ref) // 2]
            grid[row, sc], kind[row, sc] = values, _K["sib1_pdsch_dmrs"]
        else:
            grid[row, sc], kind[row, sc] = qam_symbols(rng, sc.size, "QPSK"), _K["sib1_pdsch"]


def place_sib1(
    grid: np.ndarray,
    kind: np.ndarray,
    slot_dl: np.ndarray,
    c: NrConfig,
    ssb_rb: int,
    sfn_parity: int,
    rng: np.random.Generator,
) -> dict:
    """SIB1 every 20 ms per SSB beam: DCI 1_0 in CORESET#0 and its PDSCH (TS 38.213 §13).

    SSB/CORESET multiplexing pattern 1, M = 1 and O drawn from Table 13-11, so SSB i's PDCCH
    sits in slot O·2^μ + i (or the next) of frames with SFN parity as §13 gives. The PDCCH
    (aggregation level 4 or 8) fills the first CORESET#0 symbols; the PDSCH (QPSK, default
    time allocation: from l0 to the slot's last DL symbol, DMRS l0 + pos2) a contiguous RB
    block inside CORESET#0, off the SSB's PRBs and the TRS REs. ``sfn_parity`` is the SFN of
    the window's first frame, mod 2.
    """
    mu, l_max, n_id, l0 = c.mu, c.ssb_l_max, c.cell_id, c.dmrs_type_a_position
    n_sym, n_sc = grid.shape
    n_rb, n_slots, per_frame = n_sc // 12, n_sym // SYMBOLS_PER_SLOT, 10 << mu
    n_rb0, n_sym0, start0 = _coreset0_rbs(rng, n_rb, ssb_rb, min(2, l0))
    offset_ms = int(rng.choice(SIB1_OFFSETS_MS))
    n_cce = n_rb0 * n_sym0 // 6
    level = int(rng.choice([a for a in (4, 8) if a <= n_cce]))
    first_cce = level * int(rng.integers(n_cce // level))
    pdcch_rb = start0 + _cce_rbs(np.arange(first_cce, first_cce + level), n_rb0, n_sym0, n_id)
    n_alloc = int(rng.integers(4, min(16, n_rb0) + 1))
    alloc = start0 + int(rng.integers(0, n_rb0 - n_alloc + 1)) + np.arange(n_alloc)
    slots = _sib1_slots(slot_dl, n_slots, mu, l_max, sfn_parity, offset_ms)
    for slot in slots:
        base, n_s = slot * SYMBOLS_PER_SLOT, slot % per_frame
        n_dl = int(slot_dl[slot % slot_dl.size])
        _sib1_pdcch(grid, kind, base, n_s, pdcch_rb, (start0, n_rb0, n_sym0), n_id, rng)
        _sib1_pdsch(grid, kind, base, n_s, n_dl, alloc, 12 * start0, l0, n_id, rng)
    return {
        "coreset0_rb_start": start0,
        "coreset0_rbs": n_rb0,
        "coreset0_symbols": n_sym0,
        "sib1_offset_ms": offset_ms,
        "sib1_aggregation_level": level,
        "sib1_pdsch_rbs": [int(alloc[0]), n_alloc],
        "sib1_slots": slots,
    }
