"""LTE downlink, FDD and TDD (TS 36.211): PSS, SSS, CRS, PBCH, control region, PDSCH, CP-OFDM.

The resource grid is the radio frame's fixed part (:mod:`.lte_frame`: frame structure, sync and
reference signals at the standard's RE positions) filled one subframe at a time with random
payloads (PBCH, PDCCH/PCFICH/PHICH, PDSCH) instead of coded channels. Several antenna ports are
summed into one stream, i.e. received through an ideal unit channel.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .common import QAM_ORDERS, Waveform, random_qam
from .lte_frame import (
    CONTROL,
    DUPLEX_MODES,
    EMPTY,
    KIND_NAMES,
    MBSFN_ALLOWED,
    N_SC_RB,
    N_TA_OFFSET_TS,
    PBCH,
    PDSCH,
    SPECIAL_SUBFRAMES,
    crs_subcarriers,
    crs_values,
    frame_layout,
    half_subcarrier_ramp,
    pss,
    special_subframe,
    sss,
    sss_indices,
    subframe_types,
    uplink_grid,
)

__all__ = [
    "CONTROL_MODES",
    "KIND_NAMES",
    "LTE_BANDWIDTHS",
    "LteConfig",
    "cp_lengths",
    "crs_subcarriers",
    "crs_values",
    "lte_downlink",
    "lte_resource_grid",
    "pss",
    "sss",
    "sss_indices",
    "subcarrier_bins",
]

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
CONTROL_MODES = ("auto", "full", "sparse")


@dataclass(frozen=True)
class LteConfig:
    """One LTE cell, FDD or TDD (frame structure type 1 or 2, TS 36.211 §4).

    ``load`` is the mean fraction of PDSCH resource blocks in use (per subframe it is drawn from
    a Beta law with that mean; 0 = idle cell, 1 = full buffer). ``control`` is the PDCCH REG
    occupancy: "auto" follows each subframe's load (nothing in a subframe with no traffic),
    "full" fills every REG, "sparse" sends PCFICH plus ~10 % of REGs. Boosts are EPRE in dB
    relative to data REs. ``ports``: 1, 2 or 4 CRS ports (§6.10.1).

    TDD: ``ul_dl_config`` 0..6 (Table 4.2-2), ``special_subframe_config`` 0..9 at normal CP,
    0..7 at extended CP (Table 4.2-1); ``uplink_leak_db`` (-100..0, TDD only) adds a UE's
    SC-FDMA uplink in U subframes and UpPTS at that power (dB) relative to the downlink's
    (None: silent). ``mbsfn_subframes`` (FDD 1,2,3,6,7,8; TDD 3,4,7,8,9, D subframes only;
    a list is stored as a sorted tuple) carry CRS and control in their first one or two symbols
    and nothing after (an idle MBSFN subframe: no PMCH).
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
    duplex: str = "FDD"
    ul_dl_config: int = 1
    special_subframe_config: int = 7
    mbsfn_subframes: tuple[int, ...] = ()
    uplink_leak_db: float | None = None

    def __post_init__(self) -> None:
        if self.bandwidth_mhz not in LTE_BANDWIDTHS:
            raise ValueError(
                f"bandwidth_mhz={self.bandwidth_mhz!r} is not an LTE bandwidth; "
                f"use one of {sorted(LTE_BANDWIDTHS)}"
            )
        for name, value, lo, hi in (
            ("cell_id", self.cell_id, 0, 503),
            ("ports", self.ports, 1, 4),
            ("cfi", self.cfi, 1, 3),
            ("ul_dl_config", self.ul_dl_config, 0, 6),
            ("special_subframe_config", self.special_subframe_config, 0, 9),
        ):
            _check_int(name, value, lo, hi)
        if self.ports == 3:
            raise ValueError("ports=3: an LTE cell has 1, 2 or 4 CRS ports")
        if self.cp not in ("normal", "extended"):
            raise ValueError(f"cp={self.cp!r}; use 'normal' or 'extended'")
        if self.duplex not in DUPLEX_MODES:
            raise ValueError(f"duplex={self.duplex!r}; use one of {DUPLEX_MODES}")
        n_special = len(SPECIAL_SUBFRAMES[self.cp])
        if self.duplex == "TDD" and self.special_subframe_config >= n_special:
            raise ValueError(
                f"special_subframe_config={self.special_subframe_config} does not exist with "
                f"{self.cp} CP (0..{n_special - 1}, TS 36.211 Table 4.2-1)"
            )
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
            _check_db(name, getattr(self, name), -20, 20)
        if self.uplink_leak_db is not None:
            _check_db("uplink_leak_db", self.uplink_leak_db, -100, 0)
            if self.duplex != "TDD":
                raise ValueError("uplink_leak_db needs duplex='TDD' (FDD uplink is elsewhere)")
        object.__setattr__(self, "mbsfn_subframes", self._checked_mbsfn())

    def _checked_mbsfn(self) -> tuple[int, ...]:
        """Sorted MBSFN subframes; only allowed D subframes (TS 36.211 §6.1, TS 36.331)."""
        if isinstance(self.mbsfn_subframes, (str, bytes)) or not hasattr(
            self.mbsfn_subframes, "__iter__"
        ):
            raise ValueError(f"mbsfn_subframes={self.mbsfn_subframes!r} must be a list of ints")
        allowed = MBSFN_ALLOWED[self.duplex]
        types = self.subframe_types
        for sf in self.mbsfn_subframes:
            _check_int("mbsfn_subframes", sf, 0, 9)
            if sf not in allowed or types[sf] != "D":
                raise ValueError(
                    f"mbsfn_subframes: subframe {sf} cannot be MBSFN in {self.duplex} "
                    f"(allowed {allowed}, D subframes of {types})"
                )
        return tuple(sorted({int(sf) for sf in self.mbsfn_subframes}))

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
    def subframe_types(self) -> str:
        """ "D"/"S"/"U" of subframes 0..9 (TS 36.211 Table 4.2-2; all "D" in FDD)."""
        return subframe_types(self.duplex, self.ul_dl_config)

    @property
    def special_subframe(self) -> tuple[int, int]:
        """(DwPTS, UpPTS) in symbols (TS 36.211 Table 4.2-1)."""
        return special_subframe(self.cp, self.special_subframe_config)

    @property
    def n_id_1(self) -> int:
        return self.cell_id // 3

    @property
    def n_id_2(self) -> int:
        return self.cell_id % 3

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name}={value} is outside {lo}..{hi}")


def _check_db(name: str, value: Any, lo: float, hi: float) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (ok and math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"{name}={value!r} must be a finite number of dB in {lo}..{hi}")


def cp_lengths(nfft: int, cp: str = "normal") -> np.ndarray:
    """CP lengths of one slot's symbols (TS 36.211 Table 6.12-1, 160/144 or 512 at 2048)."""
    if cp == "extended":
        return np.full(6, 512 * nfft // 2048, dtype=np.int64)
    return np.array([160] + [144] * 6, dtype=np.int64) * nfft // 2048


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
    fraction of RBs given to PDSCH in each subframe that can carry it, ``info["dl_symbols"]`` /
    ``info["ul_symbols"]`` flag downlink / uplink time. Values are unnormalised: data/control
    have unit EPRE, CRS and PSS/SSS carry their boosts.
    """
    if n_subframes < 1:
        raise ValueError(f"n_subframes={n_subframes} must be at least 1")
    rng = np.random.default_rng(rng)
    layout = frame_layout(config)
    n_rb, nsym = config.n_rb, config.symbols_per_slot
    rows_sf = 2 * nsym
    sfs = (start_subframe + np.arange(n_subframes)) % 10
    rows = (sfs[:, None] * rows_sf + np.arange(rows_sf)).ravel()
    grid, kind = layout.grid[rows], layout.kind[rows]
    rb_of_k = np.arange(n_rb * N_SC_RB) // N_SC_RB
    centre = slice(n_rb * 6 - 36, n_rb * 6 + 36)
    rbg = _rbg_size(n_rb)
    n_rbg = -(-n_rb // rbg)
    mod_names = list(QAM_ORDERS)
    loads = []
    for i, sf in enumerate(sfs):
        n_ctrl = layout.n_ctrl[sf]
        if n_ctrl == 0:  # uplink subframe
            continue
        g, kd = grid[i * rows_sf : (i + 1) * rows_sf], kind[i * rows_sf : (i + 1) * rows_sf]
        if sf == 0:
            free = kd[nsym : nsym + 4, centre] == PBCH
            g[nsym : nsym + 4, centre][free] = random_qam(rng, int(free.sum()), "QPSK")
        sf_load = _subframe_load(rng, config.load)
        _fill_control(g, kd, config, n_ctrl, sf_load, rng)
        data = kd[n_ctrl:] == EMPTY
        if not data.any():  # MBSFN subframe or short DwPTS
            continue
        n_alloc = round(sf_load * n_rbg)
        rbg_used = np.zeros(n_rbg, dtype=bool)
        rbg_used[rng.choice(n_rbg, n_alloc, replace=False)] = True
        rb_used = rbg_used[np.arange(n_rb) // rbg]
        loads.append(float(rb_used.mean()))
        if n_alloc == 0:
            continue
        r, cols = np.nonzero(data & rb_used[rb_of_k])
        r += n_ctrl
        if config.modulation == "random":  # one modulation per RBG, as for different UEs
            mod_of_re = rng.integers(0, len(mod_names), n_rbg)[cols // N_SC_RB // rbg]
        else:
            mod_of_re = np.full(cols.size, mod_names.index(config.modulation))
        for j in np.unique(mod_of_re):
            sel = mod_of_re == j
            g[r[sel], cols[sel]] = random_qam(rng, int(sel.sum()), mod_names[j])
        kd[r, cols] = PDSCH
    info = {
        "kind": kind,
        "subframe_load": loads,
        "control_symbols": config.control_symbols,
        "dl_symbols": layout.dl[rows],
        "ul_symbols": layout.ul[rows],
    }
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


def _modulate(
    grid: np.ndarray, active: np.ndarray, config: LteConfig, bins: np.ndarray
) -> np.ndarray:
    """CP-OFDM of the ``active`` rows of ``grid`` (others silent), slot by slot (TS 36.211 §6.12).

    Each slot is N_symb bodies with their CPs (Table 6.12-1) copied in place: no gather.
    """
    nfft, nsym = config.nfft, config.symbols_per_slot
    cps = cp_lengths(nfft, config.cp)
    body = np.zeros((grid.shape[0], nfft), dtype=np.complex64)
    spectra = np.zeros((int(active.sum()), nfft), dtype=np.complex64)
    spectra[:, bins] = grid[active]
    body[active] = np.fft.ifft(spectra, axis=1) * np.sqrt(nfft)
    body = body.reshape(-1, nsym, nfft)
    out = np.empty((body.shape[0], int(np.sum(cps + nfft))), dtype=np.complex64)
    runs = np.flatnonzero(np.diff(cps, prepend=-1))  # symbols sharing a CP length, in order
    first = 0
    for a, b in zip(runs, [*runs[1:], nsym], strict=True):
        cp, n = int(cps[a]), b - a
        seg = out[:, first : first + n * (cp + nfft)].reshape(-1, n, cp + nfft)
        seg[:, :, :cp], seg[:, :, cp:] = body[:, a:b, nfft - cp :], body[:, a:b]
        first += n * (cp + nfft)
    return out.ravel()


def _active_power(x: np.ndarray, active: np.ndarray, lengths: np.ndarray) -> tuple[float, float]:
    """Mean power of ``x`` over the ``active`` symbols (``lengths`` samples each, ``x`` may end
    inside one) and the fraction of ``x``'s samples they cover."""
    starts = np.cumsum(lengths) - lengths
    starts = starts[starts < x.size]
    energy = np.add.reduceat(np.abs(x) ** 2, starts, dtype=np.float64)
    count = np.minimum(lengths[: starts.size], x.size - starts)
    on = active[: starts.size]
    n_on = int(count[on].sum())
    return (float(energy[on].sum()) / n_on if n_on else 0.0), n_on / x.size


def lte_downlink(
    config: LteConfig,
    duration_s: float,
    rng: np.random.Generator | int | None = None,
    start_subframe: int = 0,
) -> Waveform:
    """``duration_s`` of the cell's downlink at its native rate, starting at subframe boundary
    ``start_subframe`` (0..9) of a radio frame.

    The samples are scaled to unit mean power over downlink time (all of it in FDD; TDD leaves
    out U subframes, guard period and UpPTS, as ``params["duty_cycle"]`` tells); as the signal
    has no energy outside its N_RB * 12 subcarriers, that is unit power over the occupied band
    (``params["power_scale"]`` is the factor applied to the grid of :func:`lte_resource_grid`).
    """
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ValueError(f"duration_s={duration_s!r} must be a positive number of seconds")
    if not 0 <= start_subframe <= 9:
        raise ValueError(f"start_subframe={start_subframe} must be 0..9")
    fs, nfft = config.sample_rate, config.nfft
    n_samples = max(1, round(duration_s * fs))
    per_subframe = round(fs * 1e-3)
    n_subframes = -(-n_samples // per_subframe)
    rng = np.random.default_rng(rng)
    grid, info = lte_resource_grid(config, n_subframes, rng, start_subframe)
    bins = subcarrier_bins(config.n_rb, nfft)
    dl = info["dl_symbols"]
    x = _modulate(grid, dl, config, bins)[:n_samples]
    lengths = np.tile(cp_lengths(nfft, config.cp) + nfft, grid.shape[0] // config.symbols_per_slot)
    if dl.all():
        duty, power = 1.0, float(np.mean(np.abs(x) ** 2))
    else:
        power, duty = _active_power(x, dl, lengths)
    scale = 1.0 / math.sqrt(power) if power > 0 else 1.0
    x *= np.float32(scale)
    if config.uplink_leak_db is not None and info["ul_symbols"].any():
        x += _uplink_leak(config, info["ul_symbols"], lengths, rng)[:n_samples]
    dwpts, uppts = config.special_subframe if config.duplex == "TDD" else (None, None)
    params = {
        **config.to_dict(),
        "standard": f"LTE {config.duplex} downlink (TS 36.211)",
        "n_rb": config.n_rb,
        "nfft": nfft,
        "sample_rate": fs,
        "n_id_1": config.n_id_1,
        "n_id_2": config.n_id_2,
        "control_symbols": info["control_symbols"],
        "start_subframe": start_subframe,
        "n_subframes": n_subframes,
        "subframe_types": config.subframe_types,
        "dwpts_symbols": dwpts,
        "uppts_symbols": uppts,
        "measured_load": float(np.mean(info["subframe_load"])) if info["subframe_load"] else 0.0,
        "duty_cycle": duty,
        "power_scale": scale,
    }
    bw = config.n_rb * N_SC_RB * SUBCARRIER_SPACING
    return Waveform(x, fs, "LTE", bw, params)


def _uplink_leak(
    config: LteConfig, ul: np.ndarray, lengths: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A UE's SC-FDMA uplink in the ``ul`` symbols, ``uplink_leak_db`` below unit power there.

    Subcarriers sit at (k + 1/2) * 15 kHz around DC (TS 36.211 §5.6) and the UE sends
    N_TA_offset = 624 Ts ahead of the downlink frame (§8.1).
    """
    nfft, nsym = config.nfft, config.symbols_per_slot
    dmrs = 3 if config.cp == "normal" else 2  # PUSCH DMRS symbol of each slot (§5.5.2.1.2)
    grid = uplink_grid(ul, 2 * nsym, config.n_rb, dmrs, rng)
    bins = (np.arange(config.n_rb * N_SC_RB) - config.n_rb * 6) % nfft
    y = _modulate(grid, ul, config, bins)
    slots = y.reshape(ul.size // nsym, -1)
    slots *= half_subcarrier_ramp(cp_lengths(nfft, config.cp), nfft)
    power = _active_power(y, ul, lengths)[0]
    y *= np.float32(10 ** (config.uplink_leak_db / 20) / math.sqrt(power))
    advance = N_TA_OFFSET_TS * nfft // 2048
    return np.concatenate([y[advance:], np.zeros(advance, dtype=np.complex64)])
