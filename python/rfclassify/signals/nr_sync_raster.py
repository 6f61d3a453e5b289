"""The NR SS/PBCH block: its sequences, its place in time (TS 38.213 §4.1) and in frequency.

In frequency an SSB sits on the synchronisation raster (TS 38.104 §5.4.3.1): its subcarrier 120
(RB 10, subcarrier 0) lies at SS_REF, numbered by the GSCN, and its subcarriers on the carrier's
subcarrier grid, so the SSB starts at an integer subcarrier of the carrier (k_SSB need not be a
multiple of 12). :data:`BANDS` holds a few bands operators use, to draw a carrier frequency when
none is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .common import gold_sequence, qpsk_from_bits
from .nr_idle import RE_KINDS, SYMBOLS_PER_SLOT, qam_symbols

if TYPE_CHECKING:
    from .nr import NrConfig

_K = RE_KINDS
SSB_SUBCARRIERS = 240
SSB_RBS = 20
GSCN_RANGE = (2, 22255)  # TS 38.104 Table 5.4.3.1-1, 0 - 24250 MHz
_LOW_EDGE = 7499  # the first GSCN at or above 3000 MHz


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


def band_l_max(case: str, frequency_hz: float, unpaired: bool) -> int:
    """L_max, the number of SSB candidates (TS 38.213 §4.1): 8 above 3 GHz, else 4.

    Case C in unpaired spectrum switches at 1.88 GHz instead (Rel-16; Rel-15 said 2.4 GHz).
    """
    threshold = 1.88e9 if case == "C" and unpaired else 3e9
    return 8 if frequency_hz > threshold else 4


@lru_cache(maxsize=128)
def ssb_template(n_cell_id: int, ibar_key: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """PSS, SSS and PBCH DMRS of one SSB in its 4 x 240 block, and the RE kind map (§7.4.3.1).

    ``ibar_key`` is (i_SSB, n_hf, L_max); the PBCH data REs are left for the caller's payload.
    """
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


def gscn_frequency(gscn: np.ndarray | int) -> np.ndarray:
    """SS_REF in Hz of a GSCN (TS 38.104 Table 5.4.3.1-1).

    Below 3 GHz: SS_REF = N·1200 kHz + M·50 kHz, GSCN = 3N + (M - 3)/2, M in {1, 3, 5};
    3 - 24.25 GHz: SS_REF = 3000 MHz + N·1.44 MHz, GSCN = 7499 + N.
    """
    g = np.asarray(gscn, dtype=np.int64)
    if ((g < GSCN_RANGE[0]) | (g > GSCN_RANGE[1])).any():
        raise ValueError(f"GSCN must be in {GSCN_RANGE[0]}..{GSCN_RANGE[1]}")
    n = (g + 1) // 3
    low = n * 1_200_000 + (3 + 2 * (g - 3 * n)) * 50_000
    high = 3_000_000_000 + (g - _LOW_EDGE) * 1_440_000
    return np.where(g < _LOW_EDGE, low, high)


def gscns_between(f_low: float, f_high: float) -> np.ndarray:
    """Every GSCN whose SS_REF lies in [f_low, f_high] Hz, ascending."""

    def approx(f: float) -> float:
        return 3 * f / 1.2e6 if f < 3e9 else _LOW_EDGE + (f - 3e9) / 1.44e6

    lo = max(GSCN_RANGE[0], int(np.floor(approx(f_low))) - 3)
    hi = min(GSCN_RANGE[1], int(np.ceil(approx(f_high))) + 3)
    g = np.arange(lo, hi + 1)
    f = gscn_frequency(g) if g.size else np.zeros(0)
    return g[(f >= f_low) & (f <= f_high)]


def raster_positions(
    carrier_hz: float, n_sc: int, scs_hz: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GSCNs whose SSB fits inside a carrier, the SSB's first subcarrier and the residual (Hz).

    The SSB starts at k = N_sc/2 - 120 + round((SS_REF - f_c) / SCS), the carrier subcarrier
    nearest the raster point; it fits when 0 <= k <= N_sc - 240. The residual is SS_REF minus
    where subcarrier 120 of the SSB then lies (|residual| <= SCS/2; 0 on a real network).
    """
    half = (n_sc // 2 - 120 + 0.5) * scs_hz
    g = gscns_between(carrier_hz - half, carrier_hz + half)
    offset = gscn_frequency(g) - carrier_hz
    k = n_sc // 2 - 120 + np.rint(offset / scs_hz).astype(np.int64)
    fits = (k >= 0) & (k <= n_sc - SSB_SUBCARRIERS)
    residual = offset - (k + 120 - n_sc // 2) * scs_hz
    return g[fits], k[fits], residual[fits]


def choose_raster_position(
    carrier_hz: float, n_sc: int, scs_hz: float, rng: np.random.Generator
) -> tuple[int, int, float]:
    """(GSCN, first subcarrier, residual Hz): random among the fitting raster points that lie
    closest to the carrier's subcarrier grid (exactly on it where any does, as operators pick)."""
    g, k, residual = raster_positions(carrier_hz, n_sc, scs_hz)
    if g.size == 0:
        raise ValueError(
            f"no synchronisation raster point (GSCN) puts a 20-RB SSB inside a carrier of "
            f"{n_sc // 12} RBs at {carrier_hz / 1e6:.4f} MHz (TS 38.104 Table 5.4.3.1-1)"
        )
    best = np.flatnonzero(np.abs(residual) <= np.abs(residual).min() + 1.0)
    i = int(rng.choice(best))
    return int(g[i]), int(k[i]), float(residual[i])


@dataclass(frozen=True)
class Band:
    """An operating band's DL range and its SSB (TS 38.101-1 Tables 5.2-1, 5.4.3.3-1)."""

    name: str
    duplex: str  # "FDD" or "TDD"
    dl_low_hz: float
    dl_high_hz: float
    ssb_scs_khz: int
    ssb_case: str
    raster_hz: int  # channel raster ΔF_Raster
    m3_only: bool = False  # the band's sync raster keeps only M = 3 (GSCN step 3)


BANDS = (
    Band("n1", "FDD", 2110e6, 2170e6, 15, "A", 100_000),
    Band("n3", "FDD", 1805e6, 1880e6, 15, "A", 100_000),
    Band("n28", "FDD", 758e6, 803e6, 15, "A", 100_000),
    Band("n41", "TDD", 2496e6, 2690e6, 15, "A", 15_000, m3_only=True),
    Band("n5", "FDD", 869e6, 894e6, 30, "B", 100_000),
    Band("n66", "FDD", 2110e6, 2200e6, 30, "B", 100_000),
    Band("n41", "TDD", 2496e6, 2690e6, 30, "C", 30_000, m3_only=True),
    Band("n77", "TDD", 3300e6, 4200e6, 30, "C", 30_000),
    Band("n78", "TDD", 3300e6, 3800e6, 30, "C", 30_000),
)


def choose_band(
    scs_khz: int, case: str, duplex: str, channel_hz: float, l_max: int, rng: np.random.Generator
) -> Band:
    """A band that holds the channel and allows ``l_max`` SSBs, preferring those whose SSB has
    this SCS and case (n1/n3/n28 for A, n5/n66 for B, n41/n77/n78 for C), then the same duplex.

    Where no listed band matches (e.g. case B with L_max = 8, above 3 GHz), the carrier goes
    to the frequencies of another listed band that holds it.
    """
    unpaired = duplex != "FDD"
    fits = [
        b
        for b in BANDS
        if b.dl_high_hz - b.dl_low_hz >= channel_hz
        and band_l_max(case, b.dl_low_hz, unpaired) >= l_max
    ]
    score = [
        2 * (b.ssb_scs_khz == scs_khz and b.ssb_case == case) + ((b.duplex == "FDD") != unpaired)
        for b in fits
    ]
    best = [b for b, s in zip(fits, score, strict=True) if s == max(score)]
    return best[int(rng.integers(len(best)))]


def draw_raster_carrier(
    band: Band, n_sc: int, scs_khz: int, channel_hz: float, rng: np.random.Generator
) -> tuple[float, int, int]:
    """(carrier centre Hz, GSCN, SSB first subcarrier): a raster point of ``band`` and a carrier
    on the band's channel raster that holds its SSB on the carrier's subcarrier grid, the
    carrier inside the band. Both are drawn uniformly among what fits."""
    scs = scs_khz * 1000
    raster = band.raster_hz if band.ssb_scs_khz == scs_khz else scs
    margin = 120 * scs
    g = gscns_between(band.dl_low_hz + margin, band.dl_high_hz - margin)
    if band.m3_only and band.ssb_scs_khz == scs_khz:
        g = g[(g >= _LOW_EDGE) | (g % 3 == 0)]
    k = np.arange(n_sc - SSB_SUBCARRIERS + 1)
    for gscn in rng.permutation(g):
        ss_ref = int(gscn_frequency(int(gscn)))
        f_c = ss_ref - (k + 120 - n_sc // 2) * scs  # integer Hz
        ok = (f_c % raster == 0) & (f_c - channel_hz / 2 >= band.dl_low_hz)
        ok &= f_c + channel_hz / 2 <= band.dl_high_hz
        if ok.any():
            i = int(rng.choice(np.flatnonzero(ok)))
            return float(f_c[i]), int(gscn), int(k[i])
    raise ValueError(f"no carrier of {n_sc // 12} RBs fits band {band.name} with its SSB")


def ssb_layout(c: NrConfig, rng: np.random.Generator) -> dict:
    """Where the SSB goes: first subcarrier, burst phase (ms), L_max of the band and, for
    raster placement, the carrier frequency (drawn in a band when not given), band and GSCN."""
    n_sc, channel = 12 * c.n_rb, c.bandwidth_mhz * 1e6
    out = {"carrier_frequency_hz": c.carrier_frequency_hz, "band": None, "gscn": None}
    out["ssb_raster_residual_hz"] = None
    if c.ssb_rb_offset is not None:
        k0 = 12 * c.ssb_rb_offset
    elif c.ssb_placement == "centre":
        k0 = n_sc // 2 - 120
    elif c.ssb_placement == "random":  # any RB offset, off-centre unless the carrier is too narrow
        choices = np.arange(c.n_rb - SSB_RBS + 1)
        off_centre = choices[np.abs(2 * choices - (c.n_rb - SSB_RBS)) > 1]
        k0 = 12 * int(rng.choice(off_centre if off_centre.size else choices))
    elif c.carrier_frequency_hz is None:
        band = choose_band(c.scs_khz, c.ssb_case, c.duplex, channel, c.ssb_l_max, rng)
        f_c, gscn, k0 = draw_raster_carrier(band, n_sc, c.scs_khz, channel, rng)
        out |= {"carrier_frequency_hz": f_c, "band": band.name, "gscn": gscn}
        out["ssb_raster_residual_hz"] = 0.0
    else:
        gscn, k0, residual = choose_raster_position(
            c.carrier_frequency_hz, n_sc, c.scs_khz * 1e3, rng
        )
        out |= {"gscn": gscn, "ssb_raster_residual_hz": residual}
    f = out["carrier_frequency_hz"]
    l_band = band_l_max(c.ssb_case, f, c.duplex != "FDD") if f is not None else c.ssb_l_max
    out |= {"ssb_subcarrier_offset": k0, "ssb_l_max_band": max(l_band, c.ssb_l_max)}
    phase = c.ssb_phase_ms if c.ssb_phase_ms is not None else 5 * rng.integers(c.ssb_period_ms // 5)
    out["ssb_phase_ms"] = int(phase)
    return out


def place_ssbs(
    grid: np.ndarray,
    kind: np.ndarray,
    dl: np.ndarray,
    c: NrConfig,
    layout: dict,
    rng: np.random.Generator,
) -> list[dict]:
    """SS/PBCH bursts in half frames phase, phase + period, ... (TS 38.213 §4.1); an SSB whose
    symbols are not all DL (TDD) is not sent. PBCH DMRS from the band's L_max."""
    half, k0 = SYMBOLS_PER_SLOT * (5 << c.mu), layout["ssb_subcarrier_offset"]
    n_sym = grid.shape[0]
    ssbs = []
    for h in range(layout["ssb_phase_ms"] // 5, -(-n_sym // half), c.ssb_period_ms // 5):
        for i_ssb, first in enumerate(ssb_symbol_starts(c.ssb_case, c.ssb_l_max)):
            s = h * half + int(first)
            if s + 4 > n_sym or not dl[s : s + 4].all():
                continue
            block, bkind = ssb_template(c.cell_id, (i_ssb, h % 2, layout["ssb_l_max_band"]))
            block = block.copy()
            pbch = bkind == _K["pbch"]
            block[pbch] = qam_symbols(rng, int(pbch.sum()), "QPSK")  # MIB payload: random bits
            grid[s : s + 4, k0 : k0 + 240] = block
            kind[s : s + 4, k0 : k0 + 240] = bkind
            ssbs.append({"symbol": s, "i_ssb": i_ssb})
    return ssbs
