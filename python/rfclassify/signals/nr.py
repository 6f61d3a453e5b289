"""5G NR downlink synthesis: numerology, SS/PBCH block, CORESET/PDCCH and PDSCH (TS 38.211).

The generator builds the resource grid of a carrier slot by slot, then OFDM-modulates it at the
native rate ``nfft * SCS``. What makes it NR rather than LTE, and what a classifier may learn:
no CRS (only the SSB is always on), the SSB placed off-centre on its own 20 RBs, the NR CP rule
(one longer CP every 0.5 ms), DMRS only inside scheduled PRBs, and slot-level TDD patterns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from .common import QAM_ORDERS, Waveform, gold_sequence, ofdm_modulate, qpsk_from_bits, random_qam

# TS 38.101-1 Table 5.3.2-1: maximum transmission bandwidth N_RB per SCS (kHz) and channel BW (MHz)
NR_BANDWIDTHS: dict[int, dict[int, int]] = {
    15: {5: 25, 10: 52, 15: 79, 20: 106, 25: 133, 30: 160, 35: 188, 40: 216, 45: 242, 50: 270},
    30: {
        **{5: 11, 10: 24, 15: 38, 20: 51, 25: 65, 30: 78, 35: 92, 40: 106, 45: 119, 50: 133},
        **{60: 162, 70: 189, 80: 217, 90: 245, 100: 273},
    },
}
SSB_CASE_SCS = {"A": 15, "B": 30, "C": 30}  # TS 38.213 §4.1
SYMBOLS_PER_SLOT = 14
SSB_RBS = 20
RE_KINDS = {
    **{"empty": 0, "pss": 1, "sss": 2, "pbch": 3, "pbch_dmrs": 4},
    **{"pdcch": 5, "pdcch_dmrs": 6, "pdsch": 7, "pdsch_dmrs": 8},
}
_K = RE_KINDS


@dataclass(frozen=True)
class NrConfig:
    """One NR downlink carrier. ``duplex`` is "FDD" or a TDD slot pattern such as "DDDSU".

    ``ssb_case`` None picks A at 15 kHz and C at 30 kHz; ``ssb_rb_offset`` / ``coreset_rbs`` None
    are drawn per waveform. ``load`` is the mean PDSCH PRB occupancy, ``special_dl_symbols`` the
    DL part of an S slot (the rest, guard and UL, is silent at the gNB).
    """

    bandwidth_mhz: int = 20
    scs_khz: int = 30
    cell_id: int = 0
    ssb_case: str | None = None
    ssb_l_max: int = 4
    ssb_period_ms: int = 20
    ssb_rb_offset: int | None = None
    duplex: str = "FDD"
    special_dl_symbols: int = 10
    load: float = 0.5
    modulation: str = "random"
    coreset_symbols: int = 1
    coreset_rbs: int | None = None
    dmrs_type_a_position: int = 2
    dmrs_additional_positions: int = 1

    def __post_init__(self) -> None:
        if self.scs_khz not in NR_BANDWIDTHS:
            raise ValueError(
                f"scs_khz={self.scs_khz} not supported; use one of {list(NR_BANDWIDTHS)}"
            )
        table = NR_BANDWIDTHS[self.scs_khz]
        if self.bandwidth_mhz not in table:
            raise ValueError(
                f"bandwidth_mhz={self.bandwidth_mhz} not defined at {self.scs_khz} kHz "
                f"(TS 38.101-1 Table 5.3.2-1): use one of {list(table)}"
            )
        n_rb = table[self.bandwidth_mhz]
        if n_rb < SSB_RBS:
            raise ValueError(f"{n_rb} RBs cannot hold the {SSB_RBS}-RB SS/PBCH block")
        if not 0 <= self.cell_id <= 1007:
            raise ValueError(f"cell_id={self.cell_id} must be in 0..1007 (TS 38.211 §7.4.2.1)")
        case = self.ssb_case or ("A" if self.scs_khz == 15 else "C")
        if SSB_CASE_SCS.get(case) != self.scs_khz:
            raise ValueError(f"ssb_case={case!r} does not fit {self.scs_khz} kHz: {SSB_CASE_SCS}")
        object.__setattr__(self, "ssb_case", case)
        checks = [
            (self.ssb_l_max in (4, 8), f"ssb_l_max={self.ssb_l_max} must be 4 or 8"),
            (self.ssb_period_ms in (5, 10, 20), f"ssb_period_ms={self.ssb_period_ms} not 5/10/20"),
            (
                self.ssb_rb_offset is None or 0 <= self.ssb_rb_offset <= n_rb - SSB_RBS,
                f"ssb_rb_offset={self.ssb_rb_offset} must keep the SSB in 0..{n_rb - SSB_RBS}",
            ),
            (
                self.duplex == "FDD" or (set(self.duplex) <= set("DSU") and "D" in self.duplex),
                f"duplex={self.duplex!r} must be 'FDD' or a D/S/U slot pattern with a D",
            ),
            (1 <= self.special_dl_symbols <= 13, "special_dl_symbols must be in 1..13"),
            (0.0 <= self.load <= 1.0, f"load={self.load} must be in [0, 1]"),
            (
                self.modulation == "random" or self.modulation in QAM_ORDERS,
                f"modulation={self.modulation!r}: use 'random' or one of {list(QAM_ORDERS)}",
            ),
            (self.coreset_symbols in (1, 2), "coreset_symbols must be 1 or 2"),
            (
                self.coreset_rbs is None
                or (self.coreset_rbs % 6 == 0 and 6 <= self.coreset_rbs <= n_rb),
                f"coreset_rbs={self.coreset_rbs} must be a multiple of 6 in 6..{n_rb}",
            ),
            (self.dmrs_type_a_position in (2, 3), "dmrs_type_a_position must be 2 or 3"),
            (0 <= self.dmrs_additional_positions <= 3, "dmrs_additional_positions in 0..3"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def mu(self) -> int:
        return (self.scs_khz // 15).bit_length() - 1

    @property
    def n_rb(self) -> int:
        return NR_BANDWIDTHS[self.scs_khz][self.bandwidth_mhz]

    @property
    def nfft(self) -> int:
        """Smallest power of two with ``nfft * SCS`` >= the channel bandwidth (guard included)."""
        need = self.bandwidth_mhz * 1000 / self.scs_khz
        return max(128, 1 << int(np.ceil(np.log2(need))))

    @property
    def sample_rate(self) -> float:
        return float(self.nfft * self.scs_khz * 1000)


def cp_lengths(nfft: int, mu: int, n_symbols: int) -> np.ndarray:
    """Normal-CP lengths in samples from the frame start (TS 38.211 §5.3.1).

    N_CP = 144·κ·2^-μ, plus 16·κ (not scaled by 2^-μ) for l = 0 and l = 7·2^μ of each subframe
    (every 0.5 ms); with N_u = 2048·κ·2^-μ = nfft these are 144·nfft/2048 and 16·2^μ·nfft/2048
    samples, so that a subframe is exactly nfft·15·2^μ samples.
    """
    long = np.arange(n_symbols) % (7 << mu) == 0
    return 144 * nfft // 2048 + ((16 << mu) * nfft // 2048) * long.astype(np.int64)


def _m_sequence(tap: int, init: tuple[int, ...]) -> np.ndarray:
    """x(i+7) = (x(i+tap) + x(i)) mod 2, 127 bits from x(0..6) = ``init``."""
    x = list(init)
    for i in range(120):
        x.append((x[i + tap] + x[i]) % 2)
    return np.array(x, dtype=np.int8)


_PSS_X = _m_sequence(4, (0, 1, 1, 0, 1, 1, 1))
_SSS_X0 = _m_sequence(4, (1, 0, 0, 0, 0, 0, 0))
_SSS_X1 = _m_sequence(1, (1, 0, 0, 0, 0, 0, 0))


def pss(n_id_2: int) -> np.ndarray:
    """PSS d(n) = 1 - 2x(m), m = (n + 43 N_ID^(2)) mod 127 (TS 38.211 §7.4.2.2.1)."""
    m = (np.arange(127) + 43 * n_id_2) % 127
    return (1 - 2 * _PSS_X[m]).astype(np.float32)


def sss(n_id_1: int, n_id_2: int) -> np.ndarray:
    """SSS d(n) = [1 - 2x0((n+m0) mod 127)][1 - 2x1((n+m1) mod 127)] (TS 38.211 §7.4.2.3.1)."""
    n = np.arange(127)
    m0 = 15 * (n_id_1 // 112) + 5 * n_id_2
    m1 = n_id_1 % 112
    return ((1 - 2 * _SSS_X0[(n + m0) % 127]) * (1 - 2 * _SSS_X1[(n + m1) % 127])).astype(
        np.float32
    )


def pbch_dmrs(n_cell_id: int, i_ssb: int, n_hf: int = 0, l_max: int = 4) -> np.ndarray:
    """The 144 PBCH DMRS values of one SSB (TS 38.211 §7.4.1.4.1).

    c_init = 2^11 (ī+1)(⌊N_ID/4⌋+1) + 2^6 (ī+1) + (N_ID mod 4), with ī = i_SSB + 4 n_hf for
    L_max = 4 and ī = i_SSB (its 3 LSBs) for L_max = 8.
    """
    ibar = i_ssb + 4 * n_hf if l_max == 4 else i_ssb % 8
    c_init = 2**11 * (ibar + 1) * (n_cell_id // 4 + 1) + 2**6 * (ibar + 1) + n_cell_id % 4
    return qpsk_from_bits(gold_sequence(c_init, 288))


def ssb_symbol_starts(case: str, l_max: int = 4) -> np.ndarray:
    """First OFDM symbols of the candidate SSBs in a half frame (TS 38.213 §4.1).

    Case A / C: {2, 8} + 14n (n = 0, 1 for L_max = 4; 0..3 for 8); Case B: {4, 8, 16, 20} + 28n
    (n = 0 for L_max = 4; 0, 1 for 8).
    """
    base, step = ((2, 8), 14) if case in ("A", "C") else ((4, 8, 16, 20), 28)
    n = np.arange(l_max // len(base))
    return (np.add.outer(step * n, base)).ravel()


@lru_cache(maxsize=128)
def _ssb_template(n_cell_id: int, ibar_key: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """PSS, SSS and PBCH DMRS of one SSB in its 4 x 240 block, and the RE kind map (§7.4.3.1)."""
    i_ssb, n_hf, l_max = ibar_key
    kind = np.zeros((4, 240), dtype=np.int8)
    kind[0, 56:183] = _K["pss"]
    kind[2, 56:183] = _K["sss"]
    kind[[1, 3], :] = _K["pbch"]
    kind[2, :48] = kind[2, 192:] = _K["pbch"]
    v = n_cell_id % 4
    dmrs = (kind == _K["pbch"]) & (np.arange(240) % 4 == v)
    kind[dmrs] = _K["pbch_dmrs"]
    block = np.zeros((4, 240), dtype=np.complex64)
    block[0, 56:183] = pss(n_cell_id % 3)
    block[2, 56:183] = sss(n_cell_id // 3, n_cell_id % 3)
    block[dmrs] = pbch_dmrs(n_cell_id, i_ssb, n_hf, l_max)  # row-major: k first, then l
    return block, kind


@lru_cache(maxsize=4096)
def _gold_qpsk(c_init: int, count: int) -> np.ndarray:
    """r(m) = ((1-2c(2m)) + j(1-2c(2m+1))) / √2, the DMRS sequence of TS 38.211 §7.4.1.1.1."""
    return qpsk_from_bits(gold_sequence(c_init, 2 * count))


def _dmrs_c_init(n_slot: int, sym: int, n_id: int) -> int:
    """PDCCH/PDSCH DMRS c_init, n_SCID = 0 (TS 38.211 §7.4.1.1.1, §7.4.1.3.1)."""
    return (2**17 * (SYMBOLS_PER_SLOT * n_slot + sym + 1) * (2 * n_id + 1) + 2 * n_id) % 2**31


def pdsch_dmrs_symbols(n_dl: int, l0: int, additional: int) -> list[int]:
    """Type-A PDSCH DMRS symbols, single-symbol DMRS, l_d = n_dl (TS 38.211 Table 7.4.1.1.2-3)."""
    table = {8: ([7],) * 3, 10: ([9], [6, 9], [6, 9]), 12: ([9], [6, 9], [5, 8, 11])}
    table |= {9: table[8], 11: table[10], 13: ([11], [7, 11], [5, 8, 11])}
    table[14] = table[13]
    extra = table[n_dl][additional - 1] if additional and n_dl in table else []
    return [l0, *extra]


def _rbg_size(n_rb: int) -> int:
    """Nominal RBG size P, configuration 1 (TS 38.214 Table 5.1.2.2.1-1)."""
    return 2 if n_rb <= 36 else 4 if n_rb <= 72 else 8 if n_rb <= 144 else 16


def _dl_symbols(config: NrConfig, n_slots: int) -> np.ndarray:
    """Per-symbol DL flag: D slots all 14, S slots the first ``special_dl_symbols``, U none."""
    pattern = "D" if config.duplex == "FDD" else config.duplex
    n_dl = {"D": SYMBOLS_PER_SLOT, "S": config.special_dl_symbols, "U": 0}
    counts = np.array([n_dl[pattern[s % len(pattern)]] for s in range(n_slots)])
    return (np.arange(SYMBOLS_PER_SLOT)[None, :] < counts[:, None]).ravel()


def _draw_layout(config: NrConfig, rng: np.random.Generator) -> tuple[int, int, int]:
    """SSB RB offset (off-centre unless the carrier leaves no choice) and the CORESET block."""
    n_rb = config.n_rb
    ssb_rb = config.ssb_rb_offset
    if ssb_rb is None:
        choices = np.arange(n_rb - SSB_RBS + 1)
        off_centre = choices[np.abs(2 * choices - (n_rb - SSB_RBS)) > 1]
        ssb_rb = int(rng.choice(off_centre if off_centre.size else choices))
    cs_rbs = config.coreset_rbs or 6 * int(rng.integers(min(4, n_rb // 6), n_rb // 6 + 1))
    cs_start = 6 * int(rng.integers(0, (n_rb - cs_rbs) // 6 + 1))
    return ssb_rb, cs_rbs, cs_start


def nr_resource_grid(
    config: NrConfig, n_slots: int, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, dict]:
    """The downlink resource grid ``(n_slots * 14, N_RB * 12)`` from the start of a frame.

    ``info`` holds the drawn layout, the per-symbol DL flags, the SSBs placed (absolute first
    symbol, index) and ``re_kind``, the :data:`RE_KINDS` code of every RE. RE values are at unit
    EPRE (PDSCH DMRS +3 dB: two CDM groups without data, TS 38.214 Table 4.1-1).
    """
    rng = np.random.default_rng(rng)
    c = config
    n_rb, n_sc, mu = c.n_rb, 12 * c.n_rb, c.mu
    n_sym = n_slots * SYMBOLS_PER_SLOT
    grid = np.zeros((n_sym, n_sc), dtype=np.complex64)
    kind = np.zeros((n_sym, n_sc), dtype=np.int8)
    ssb_rb, cs_rbs, cs_start = _draw_layout(c, rng)
    dl = _dl_symbols(c, n_slots)
    k0 = 12 * ssb_rb

    # SS/PBCH bursts: first half frame of every period (TS 38.213 §4.1)
    half = SYMBOLS_PER_SLOT * (5 << mu)
    ssbs = []
    for h in range(0, -(-n_sym // half), c.ssb_period_ms // 5):
        for i_ssb, first in enumerate(ssb_symbol_starts(c.ssb_case, c.ssb_l_max)):
            s = h * half + int(first)
            if s + 4 > n_sym or not dl[s : s + 4].all():
                continue
            block, bkind = _ssb_template(c.cell_id, (i_ssb, h % 2, c.ssb_l_max))
            block = block.copy()
            pbch = bkind == _K["pbch"]
            block[pbch] = random_qam(rng, int(pbch.sum()), "QPSK")  # MIB payload: random bits
            grid[s : s + 4, k0 : k0 + 240] = block
            kind[s : s + 4, k0 : k0 + 240] = bkind
            ssbs.append({"symbol": s, "i_ssb": i_ssb})

    sc = np.arange(n_sc)
    p_cce = 0.25 + 0.5 * c.load
    rbg = _rbg_size(n_rb)
    n_rbg = -(-n_rb // rbg)
    for slot in range(n_slots):
        rows = slice(slot * SYMBOLS_PER_SLOT, (slot + 1) * SYMBOLS_PER_SLOT)
        g, kd = grid[rows], kind[rows]  # views
        n_dl = int(dl[rows].sum())
        n_s = slot % (10 << mu)
        if n_dl == 0:
            continue
        # CORESET, non-interleaved CCE-to-REG mapping (TS 38.211 §7.3.2.2): CCE j covers 6/D RBs x D
        n_cs = min(c.coreset_symbols, n_dl)
        used = rng.random(cs_rbs * c.coreset_symbols // 6) < p_cce
        rb_used = np.zeros(n_rb, dtype=bool)
        rb_used[cs_start : cs_start + cs_rbs] = np.repeat(used, 6 // c.coreset_symbols)
        sc_used = np.repeat(rb_used, 12)
        for sym in range(n_cs):
            row = np.zeros(n_sc, dtype=np.complex64)
            row[1::4] = _gold_qpsk(_dmrs_c_init(n_s, sym, c.cell_id), n_sc // 4)
            dm = sc_used & (sc % 4 == 1)
            g[sym, dm], kd[sym, dm] = row[dm], _K["pdcch_dmrs"]
            data = sc_used & ~dm
            g[sym, data] = random_qam(rng, int(data.sum()), "QPSK")
            kd[sym, data] = _K["pdcch"]

        # PDSCH, mapping type A from the end of the CORESET to the last DL symbol
        l0 = c.dmrs_type_a_position
        if n_dl <= l0:
            continue
        load = c.load if c.load in (0.0, 1.0) else rng.beta(8 * c.load, 8 * (1 - c.load))
        chosen = rng.choice(n_rbg, round(load * n_rbg), replace=False)
        rbg_mask = np.zeros(n_rbg, dtype=bool)
        rbg_mask[chosen] = True
        sc_alloc = np.repeat(np.repeat(rbg_mask, rbg)[:n_rb], 12)
        pdsch_sym = (np.arange(SYMBOLS_PER_SLOT) >= n_cs) & (np.arange(SYMBOLS_PER_SLOT) < n_dl)
        avail = pdsch_sym[:, None] & sc_alloc[None, :]
        # PRBs holding an SSB are not available in its symbols (TS 38.214 §5.1.4)
        ssb_sym = (kd[:, k0 : k0 + 240] != 0).any(axis=1)
        avail[np.ix_(ssb_sym, np.arange(k0, k0 + 240))] = False
        dmrs_sym = np.zeros(SYMBOLS_PER_SLOT, dtype=bool)
        dmrs_sym[pdsch_dmrs_symbols(n_dl, l0, c.dmrs_additional_positions)] = True
        for sym in np.flatnonzero(dmrs_sym):
            row = np.zeros(n_sc, dtype=np.complex64)
            r = _gold_qpsk(_dmrs_c_init(n_s, int(sym), c.cell_id), n_sc // 2)
            row[0::2] = np.sqrt(2) * r
            dm = avail[sym] & (sc % 2 == 0)  # type 1, CDM group 0; group 1 left empty
            g[sym, dm], kd[sym, dm] = row[dm], _K["pdsch_dmrs"]
        data = avail & ~dmrs_sym[:, None]
        mod = c.modulation if c.modulation != "random" else str(rng.choice(list(QAM_ORDERS)))
        g[data] = random_qam(rng, int(data.sum()), mod)
        kd[data] = _K["pdsch"]

    info = {
        "ssb_rb_offset": ssb_rb,
        "coreset_rb_start": cs_start,
        "coreset_rbs": cs_rbs,
        "dl_symbols": dl,
        "ssbs": ssbs,
        "re_kind": kind,
    }
    return grid, info


def nr_downlink(
    config: NrConfig, duration_s: float, seed_or_rng: np.random.Generator | int | None = None
) -> Waveform:
    """``duration_s`` of an NR downlink carrier from a frame start, at ``nfft * SCS``.

    Subcarrier k of the carrier sits at (k - N_RB·12/2)·SCS (TS 38.211 §5.4: no DC null). The
    samples are scaled to unit mean power over the active DL symbols (U slots and the guard/UL
    part of S slots excluded), measured on the grid (Parseval).
    """
    c = config
    rng = np.random.default_rng(seed_or_rng)
    fs, nfft, n_sc = c.sample_rate, c.nfft, 12 * c.n_rb
    n_total = round(duration_s * fs)
    slot_len = int(fs * 1e-3) >> c.mu
    n_slots = max(1, -(-n_total // slot_len))
    grid, info = nr_resource_grid(c, n_slots, rng)
    dl = info["dl_symbols"]
    power = float(np.mean(np.sum(np.abs(grid[dl]) ** 2, axis=1))) / nfft
    scale = 1.0 / np.sqrt(power) if power > 0 else 1.0
    spectra = np.zeros((grid.shape[0], nfft), dtype=np.complex64)
    spectra[:, (np.arange(n_sc) - n_sc // 2) % nfft] = grid * np.float32(scale)
    samples = ofdm_modulate(spectra, cp_lengths(nfft, c.mu, grid.shape[0]))[:n_total]
    k0 = 12 * info["ssb_rb_offset"]
    params = asdict(c) | {
        "n_rb": c.n_rb,
        "nfft": nfft,
        "ssb_rb_offset": info["ssb_rb_offset"],
        "ssb_center_offset_hz": float((k0 + 120 - n_sc // 2) * c.scs_khz * 1e3),
        "ssb_first_symbols": [s["symbol"] for s in info["ssbs"]],
        "coreset_rb_start": info["coreset_rb_start"],
        "coreset_rbs": info["coreset_rbs"],
    }
    return Waveform(samples, fs, "NR", c.n_rb * 12 * c.scs_khz * 1e3, params)
