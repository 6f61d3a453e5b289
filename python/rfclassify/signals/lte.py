"""LTE FDD downlink (TS 36.211): PSS, SSS, CRS, PBCH, control region and PDSCH on CP-OFDM.

The resource grid is built one subframe at a time with the standard's RE positions and sequences;
only the payloads (PBCH, PDCCH/PCFICH/PHICH, PDSCH) are random symbols instead of coded channels.
Several antenna ports are summed into one stream, i.e. received through an ideal unit channel.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .common import QAM_ORDERS, Waveform, gold_sequence, ofdm_modulate, qpsk_from_bits, random_qam

# channel bandwidth (MHz) -> (N_RB, FFT size), TS 36.104 Table 5.6-1; sample rate = FFT * 15 kHz
LTE_BANDWIDTHS: dict[float, tuple[int, int]] = {
    1.4: (6, 128),
    3.0: (15, 256),
    5.0: (25, 512),
    10.0: (50, 1024),
    15.0: (75, 1536),
    20.0: (100, 2048),
}
SUBCARRIER_SPACING = 15e3
N_SC_RB = 12
N_RB_MAX = 110  # N_RB^max,DL, offsets the CRS sequence (TS 36.211 §6.10.1.2)
PSS_ROOTS = (25, 29, 34)  # TS 36.211 Table 6.11.1.1-1
CONTROL_MODES = ("auto", "full", "sparse")

# what each RE of the grid carries (info["kind"]); RESERVED = left empty on purpose
EMPTY, CRS, PSS, SSS, PBCH, CONTROL, PDSCH, RESERVED = range(8)
KIND_NAMES = ("empty", "crs", "pss", "sss", "pbch", "control", "pdsch", "reserved")


@dataclass(frozen=True)
class LteConfig:
    """One LTE FDD cell.

    ``load`` is the mean fraction of PDSCH resource blocks in use (per subframe it is drawn from
    a Beta law with that mean; 0 = idle cell, 1 = full buffer). ``control`` is the PDCCH REG
    occupancy: "auto" follows each subframe's load (nothing in a subframe with no traffic),
    "full" fills every REG, "sparse" sends PCFICH plus ~10 % of REGs. Boosts are EPRE in dB
    relative to data REs.
    """

    bandwidth_mhz: float = 20.0
    cell_id: int = 0
    cp: str = "normal"
    ports: int = 1
    cfi: int = 2
    load: float = 0.5
    modulation: str = "random"
    control: str = "auto"
    crs_boost_db: float = 0.0
    sync_boost_db: float = 0.0

    def __post_init__(self) -> None:
        if self.bandwidth_mhz not in LTE_BANDWIDTHS:
            raise ValueError(
                f"bandwidth_mhz={self.bandwidth_mhz!r} is not an LTE bandwidth; "
                f"use one of {sorted(LTE_BANDWIDTHS)}"
            )
        for name, value, lo, hi in (
            ("cell_id", self.cell_id, 0, 503),
            ("ports", self.ports, 1, 2),
            ("cfi", self.cfi, 1, 3),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{name} must be an integer, got {value!r}")
            if not lo <= value <= hi:
                raise ValueError(f"{name}={value} is outside {lo}..{hi}")
        if self.cp not in ("normal", "extended"):
            raise ValueError(f"cp={self.cp!r}; use 'normal' or 'extended'")
        if isinstance(self.load, bool) or not (
            isinstance(self.load, (int, float)) and 0.0 <= self.load <= 1.0
        ):
            raise ValueError(f"load={self.load!r} must be a number in [0, 1]")
        if self.modulation != "random" and self.modulation not in QAM_ORDERS:
            raise ValueError(
                f"modulation={self.modulation!r}; use 'random' or one of {sorted(QAM_ORDERS)}"
            )
        if self.control not in CONTROL_MODES:
            raise ValueError(f"control={self.control!r}; use one of {CONTROL_MODES}")
        for name in ("crs_boost_db", "sync_boost_db"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and abs(value) <= 20):
                raise ValueError(f"{name}={value!r} must be a finite number of dB within ±20")

    @property
    def n_rb(self) -> int:
        return LTE_BANDWIDTHS[self.bandwidth_mhz][0]

    @property
    def nfft(self) -> int:
        return LTE_BANDWIDTHS[self.bandwidth_mhz][1]

    @property
    def sample_rate(self) -> float:
        return self.nfft * SUBCARRIER_SPACING

    @property
    def symbols_per_slot(self) -> int:
        return 7 if self.cp == "normal" else 6

    @property
    def control_symbols(self) -> int:
        """PDCCH symbols: CFI, or CFI + 1 when N_RB <= 10 (TS 36.211 Table 6.7-1)."""
        return self.cfi + (1 if self.n_rb <= 10 else 0)

    @property
    def n_id_1(self) -> int:
        return self.cell_id // 3

    @property
    def n_id_2(self) -> int:
        return self.cell_id % 3

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cp_lengths(nfft: int, cp: str = "normal") -> np.ndarray:
    """CP lengths of one slot's symbols (TS 36.211 Table 6.12-1, 160/144 or 512 at 2048)."""
    if cp == "extended":
        return np.full(6, 512 * nfft // 2048, dtype=np.int64)
    return np.array([160] + [144] * 6, dtype=np.int64) * nfft // 2048


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


def crs_subcarriers(cell_id: int, port: int, symbol: int, n_rb: int) -> np.ndarray:
    """k = 6m + (v + v_shift) mod 6, v = 0/3 by port and symbol (TS 36.211 §6.10.1.2)."""
    v = (0 if symbol == 0 else 3) if port == 0 else (3 if symbol == 0 else 0)
    return 6 * np.arange(2 * n_rb) + (v + cell_id % 6) % 6


def subcarrier_bins(n_rb: int, nfft: int) -> np.ndarray:
    """FFT bin of each grid subcarrier k: lower half below DC, DC unused (TS 36.211 §6.12)."""
    k = np.arange(n_rb * N_SC_RB)
    half = n_rb * N_SC_RB // 2
    return np.where(k < half, nfft + k - half, k - half + 1)


def _rbg_size(n_rb: int) -> int:
    """Resource block group size P of allocation type 0 (TS 36.213 Table 7.1.6.1-1)."""
    return 1 if n_rb <= 10 else 2 if n_rb <= 26 else 3 if n_rb <= 63 else 4


def _subframe_load(rng: np.random.Generator, load: float) -> float:
    if load <= 0.0 or load >= 1.0:
        return float(load)
    return float(rng.beta(6.0 * load, 6.0 * (1.0 - load)))


def lte_resource_grid(
    config: LteConfig,
    n_subframes: int,
    rng: np.random.Generator | int | None = None,
    start_subframe: int = 0,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The downlink grid, ``(n_symbols, N_RB*12)`` complex64 (k = 0 lowest subcarrier), and info.

    ``info["kind"]`` tells what each RE carries (``KIND_NAMES``), ``info["subframe_load"]`` the
    fraction of RBs given to PDSCH in each subframe. Values are unnormalised: data/control have
    unit EPRE, CRS and PSS/SSS carry their boosts.
    """
    if n_subframes < 1:
        raise ValueError(f"n_subframes={n_subframes} must be at least 1")
    rng = np.random.default_rng(rng)
    n_rb, nsym = config.n_rb, config.symbols_per_slot
    n_sc, n_ctrl = n_rb * N_SC_RB, config.control_symbols
    grid = np.zeros((n_subframes * 2 * nsym, n_sc), dtype=np.complex64)
    kind = np.zeros(grid.shape, dtype=np.int8)
    k = np.arange(n_sc)
    centre = slice(n_sc // 2 - 36, n_sc // 2 + 36)  # 6 central RBs (PBCH, sync guard)
    sync = slice(n_sc // 2 - 31, n_sc // 2 + 31)
    v_shift = config.cell_id % 6
    crs_gain = np.float32(10 ** (config.crs_boost_db / 20))
    sync_gain = np.float32(10 ** (config.sync_boost_db / 20))
    crs_symbols = (0, nsym - 3)
    # REG mapping and PBCH rate matching assume CRS of ports 0,1 (and 2,3 for PBCH) everywhere
    reg_reserved = k % 3 == v_shift % 3
    pbch_reserved_rows = [r for r in (0, 1, nsym - 3) if r < 4]
    rbg = _rbg_size(n_rb)
    n_rbg = -(-n_rb // rbg)
    mod_names = list(QAM_ORDERS)
    loads = []
    for i in range(n_subframes):
        sf = (start_subframe + i) % 10
        g, kd = grid[i * 2 * nsym : (i + 1) * 2 * nsym], kind[i * 2 * nsym : (i + 1) * 2 * nsym]
        for slot in (0, 1):
            for sym in crs_symbols:
                r = crs_gain * crs_values(config.cell_id, 2 * sf + slot, sym, n_rb, config.cp)
                for port in range(config.ports):
                    kk = crs_subcarriers(config.cell_id, port, sym, n_rb)
                    g[slot * nsym + sym, kk], kd[slot * nsym + sym, kk] = r, CRS
        kd[0, reg_reserved & (kd[0] == EMPTY)] = RESERVED
        if sf in (0, 5):  # FDD: SSS and PSS in the last two symbols of slots 0 and 10
            kd[nsym - 2 : nsym, centre] = RESERVED
            g[nsym - 1, sync], kd[nsym - 1, sync] = sync_gain * pss(config.n_id_2), PSS
            g[nsym - 2, sync] = sync_gain * sss(config.n_id_1, config.n_id_2, sf)
            kd[nsym - 2, sync] = SSS
        if sf == 0:  # PBCH: symbols 0..3 of slot 1, 72 central subcarriers (§6.6.4)
            for r in pbch_reserved_rows:
                sub = kd[nsym + r, centre]
                sub[reg_reserved[centre] & (sub == EMPTY)] = RESERVED
            region = kd[nsym : nsym + 4, centre]
            free = region == EMPTY
            g[nsym : nsym + 4, centre][free] = random_qam(rng, int(free.sum()), "QPSK")
            region[free] = PBCH
        sf_load = _subframe_load(rng, config.load)
        _fill_control(g, kd, config, n_ctrl, sf_load, rng)
        n_alloc = round(sf_load * n_rbg)
        rb_used = np.isin(np.arange(n_rb) // rbg, rng.choice(n_rbg, n_alloc, replace=False))
        loads.append(float(rb_used.mean()))
        if n_alloc == 0:
            continue
        rows, cols = np.nonzero((kd[n_ctrl:] == EMPTY) & rb_used[k // N_SC_RB])
        rows += n_ctrl
        if config.modulation == "random":  # one modulation per RBG, as for different UEs
            mod_of_re = rng.integers(0, len(mod_names), n_rbg)[cols // N_SC_RB // rbg]
        else:
            mod_of_re = np.full(cols.size, mod_names.index(config.modulation))
        for j in np.unique(mod_of_re):
            sel = mod_of_re == j
            g[rows[sel], cols[sel]] = random_qam(rng, int(sel.sum()), mod_names[j])
        kd[rows, cols] = PDSCH
    info = {"kind": kind, "subframe_load": loads, "control_symbols": n_ctrl}
    return grid, info


def _fill_control(
    g: np.ndarray,
    kd: np.ndarray,
    config: LteConfig,
    n_ctrl: int,
    sf_load: float,
    rng: np.random.Generator,
) -> None:
    """QPSK on the control region's REGs (4 free REs each, TS 36.211 §6.2.4), PCFICH at its REGs."""
    if config.control == "full":
        fraction = 1.0
    elif config.control == "sparse":
        fraction = 0.1
    else:
        fraction = 0.0 if sf_load == 0 else 0.2 + 0.8 * sf_load
    if fraction == 0:
        return
    n_rb = config.n_rb
    for sym in range(n_ctrl):
        free = np.flatnonzero(kd[sym] == EMPTY)
        n_reg = free.size // 4
        active = rng.random(n_reg) < fraction
        if sym == 0:  # PCFICH: REG k_bar + floor(i N_RB / 2) * 6, i = 0..3 (§6.7.4)
            first = config.cell_id % (2 * n_rb)
            active[(first + np.arange(4) * n_rb // 2) % (2 * n_rb)] = True
        res = free[: 4 * n_reg].reshape(n_reg, 4)[active].ravel()
        g[sym, res], kd[sym, res] = random_qam(rng, res.size, "QPSK"), CONTROL


def lte_downlink(
    config: LteConfig,
    duration_s: float,
    rng: np.random.Generator | int | None = None,
    start_subframe: int = 0,
) -> Waveform:
    """``duration_s`` of the cell's downlink at its native rate, starting at subframe boundary
    ``start_subframe`` (0..9) of a radio frame.

    The samples are scaled to unit mean power; as the signal has no energy outside its N_RB * 12
    subcarriers, that is unit power over the occupied band (``params["power_scale"]`` is the
    factor applied to the grid of :func:`lte_resource_grid` after ``ofdm_modulate``).
    """
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ValueError(f"duration_s={duration_s!r} must be a positive number of seconds")
    if not 0 <= start_subframe <= 9:
        raise ValueError(f"start_subframe={start_subframe} must be 0..9")
    fs = config.sample_rate
    n_samples = max(1, round(duration_s * fs))
    per_subframe = round(fs * 1e-3)
    n_subframes = -(-n_samples // per_subframe)
    grid, info = lte_resource_grid(config, n_subframes, rng, start_subframe)
    spectra = np.zeros((grid.shape[0], config.nfft), dtype=np.complex64)
    spectra[:, subcarrier_bins(config.n_rb, config.nfft)] = grid
    cps = np.tile(cp_lengths(config.nfft, config.cp), grid.shape[0] // config.symbols_per_slot)
    x = ofdm_modulate(spectra, cps)[:n_samples]
    power = float(np.mean(np.abs(x) ** 2))
    scale = 1.0 / math.sqrt(power) if power > 0 else 1.0
    x *= np.float32(scale)
    params = {
        **config.to_dict(),
        "standard": "LTE FDD downlink (TS 36.211)",
        "n_rb": config.n_rb,
        "nfft": config.nfft,
        "sample_rate": fs,
        "n_id_1": config.n_id_1,
        "n_id_2": config.n_id_2,
        "control_symbols": info["control_symbols"],
        "start_subframe": start_subframe,
        "n_subframes": n_subframes,
        "measured_load": float(np.mean(info["subframe_load"])),
        "power_scale": scale,
    }
    bw = config.n_rb * N_SC_RB * SUBCARRIER_SPACING
    return Waveform(x, fs, "LTE", bw, params)
