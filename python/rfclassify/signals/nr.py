"""5G NR downlink synthesis: numerology, SS/PBCH block, CORESET/PDCCH and PDSCH (TS 38.211).

The generator builds the resource grid of a carrier slot by slot, then OFDM-modulates it at the
native rate ``nfft * SCS``. What makes it NR rather than LTE, and what a classifier may learn:
no CRS (an idle cell sends only the SSB, SIB1 and the TRS), the SSB on the synchronisation
raster somewhere in the carrier on its own 20 RBs and in bursts 5 to 160 ms apart, the NR CP
rule (one longer CP every 0.5 ms), DMRS only inside scheduled PRBs, and slot-level TDD patterns.
The SSB is in ``nr_sync_raster``, TRS and SIB1 in ``nr_idle``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import scipy.fft

from .common import QAM_ORDERS, Waveform
from .nr_idle import (
    RE_KINDS,
    SYMBOLS_PER_SLOT,
    TRS_PERIODS_MS,
    dmrs_c_init,
    gold_qpsk,
    pdsch_dmrs_symbols,
    place_sib1,
    place_trs,
    qam_symbols,
)
from .nr_sync_raster import (
    SSB_RBS,
    band_l_max,
    pbch_dmrs,
    place_ssbs,
    pss,
    raster_positions,
    ssb_layout,
    ssb_symbol_starts,
    sss,
)

__all__ = ["RE_KINDS", "SSB_RBS", "pbch_dmrs", "pdsch_dmrs_symbols", "pss", "ssb_symbol_starts"]
__all__ += ["NR_BANDWIDTHS", "SSB_PERIODS_MS", "NrConfig", "cp_lengths", "nr_downlink", "sss"]
__all__ += ["nr_resource_grid"]

# TS 38.101-1 Table 5.3.2-1: maximum transmission bandwidth N_RB per SCS (kHz) and channel BW (MHz)
NR_BANDWIDTHS: dict[int, dict[int, int]] = {
    15: {5: 25, 10: 52, 15: 79, 20: 106, 25: 133, 30: 160, 35: 188, 40: 216, 45: 242, 50: 270},
    30: {
        **{5: 11, 10: 24, 15: 38, 20: 51, 25: 65, 30: 78, 35: 92, 40: 106, 45: 119, 50: 133},
        **{60: 162, 70: 189, 80: 217, 90: 245, 100: 273},
    },
}
SSB_CASE_SCS = {"A": 15, "B": 30, "C": 30}  # TS 38.213 §4.1
SSB_PERIODS_MS = (5, 10, 20, 40, 80, 160)  # ssb-periodicityServingCell, TS 38.331
SSB_PLACEMENTS = ("raster", "random", "centre")
FR1_MAX_HZ = 7.125e9
_K = RE_KINDS


@dataclass(frozen=True)
class NrConfig:
    """One NR downlink carrier. ``duplex`` is "FDD" or a TDD slot pattern such as "DDDSU".

    ``ssb_case`` None picks A at 15 kHz and C at 30 kHz; ``ssb_l_max`` SSBs (4 or 8) are sent
    per burst, one burst every ``ssb_period_ms`` in the half frame ``ssb_phase_ms`` / 5 (None:
    drawn per waveform, so the first burst may lie anywhere in the period). ``ssb_placement``:
    "raster" puts the SSB on a GSCN point inside the carrier centred at
    ``carrier_frequency_hz`` (None: a carrier drawn in a band that suits the SCS, SSB case and
    duplex, see ``nr_sync_raster.BANDS``), "random" at any RB offset, "centre" in the middle; an
    explicit ``ssb_rb_offset`` overrides all three. ``coreset_rbs`` None is drawn per waveform.
    ``load`` is the mean PDSCH PRB occupancy; the CORESET's PDCCH occupancy is 0.75·load
    (0.25 + 0.5·load if ``pdcch_when_idle``). An S slot is ``special_dl_symbols`` DL, a guard
    and ``special_ul_symbols`` UL, both silent at the gNB (a real S slot keeps a guard symbol;
    not enforced, so that recipes drawing up to 12 DL symbols keep working). ``sib1`` and
    ``trs_period_ms`` (None: no TRS) set what the cell sends at any load, even when idle.
    """

    bandwidth_mhz: int = 20
    scs_khz: int = 30
    cell_id: int = 0
    carrier_frequency_hz: float | None = None
    ssb_case: str | None = None
    ssb_l_max: int = 4
    ssb_period_ms: int = 20
    ssb_phase_ms: float | None = None
    ssb_placement: str = "raster"
    ssb_rb_offset: int | None = None
    duplex: str = "FDD"
    special_dl_symbols: int = 10
    special_ul_symbols: int = 2
    load: float = 0.5
    modulation: str = "random"
    coreset_symbols: int = 1
    coreset_rbs: int | None = None
    pdcch_when_idle: bool = False
    sib1: bool = True
    trs_period_ms: int | None = 20
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
        for ok, message in self._checks(n_rb):
            if not ok:
                raise ValueError(message)
        self._check_frequency()

    def _checks(self, n_rb: int) -> list[tuple[bool, str]]:
        phase, period = self.ssb_phase_ms, self.ssb_period_ms
        pattern_ok = self.duplex == "FDD" or (set(self.duplex) <= set("DSU") and "D" in self.duplex)
        slots_20ms = 20 << self.mu
        return [
            (self.ssb_l_max in (4, 8), f"ssb_l_max={self.ssb_l_max} must be 4 or 8"),
            (period in SSB_PERIODS_MS, f"ssb_period_ms={period} not one of {SSB_PERIODS_MS}"),
            (
                phase is None or (0 <= phase < period and phase % 5 == 0),
                f"ssb_phase_ms={phase} must be a multiple of 5 (a half frame) in [0, {period})",
            ),
            (
                self.ssb_placement in SSB_PLACEMENTS,
                f"ssb_placement={self.ssb_placement!r} must be one of {SSB_PLACEMENTS}",
            ),
            (
                self.ssb_rb_offset is None or 0 <= self.ssb_rb_offset <= n_rb - SSB_RBS,
                f"ssb_rb_offset={self.ssb_rb_offset} must keep the SSB in 0..{n_rb - SSB_RBS}",
            ),
            (pattern_ok, f"duplex={self.duplex!r} must be 'FDD' or a D/S/U slot pattern with a D"),
            (
                not pattern_ok
                or self.duplex == "FDD"
                or (slots_20ms % len(self.duplex) == 0 and len(self.duplex) <= slots_20ms // 2),
                f"duplex={self.duplex!r}: a TDD period must divide 20 ms and be at most 10 ms "
                f"(TS 38.331 TDD-UL-DL-Pattern); slots are {1 / (1 << self.mu):g} ms",
            ),
            (1 <= self.special_dl_symbols <= 13, "special_dl_symbols must be in 1..13"),
            (0 <= self.special_ul_symbols <= 12, "special_ul_symbols must be in 0..12"),
            (
                "S" not in self.duplex or self.special_dl_symbols + self.special_ul_symbols <= 14,
                "special_dl_symbols + special_ul_symbols exceed the 14 symbols of an S slot",
            ),
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
            (
                self.trs_period_ms is None or self.trs_period_ms in TRS_PERIODS_MS,
                f"trs_period_ms={self.trs_period_ms} must be None or one of {TRS_PERIODS_MS}",
            ),
            (self.dmrs_type_a_position in (2, 3), "dmrs_type_a_position must be 2 or 3"),
            (0 <= self.dmrs_additional_positions <= 3, "dmrs_additional_positions in 0..3"),
        ]

    def _check_frequency(self) -> None:
        f = self.carrier_frequency_hz
        if f is None:
            return
        if not 0 < f <= FR1_MAX_HZ:
            raise ValueError(f"carrier_frequency_hz={f} must be in FR1, (0, {FR1_MAX_HZ:g}] Hz")
        l_max = band_l_max(self.ssb_case, f, self.duplex != "FDD")
        if self.ssb_l_max > l_max:
            raise ValueError(
                f"ssb_l_max={self.ssb_l_max}: case {self.ssb_case} at {f / 1e9:g} GHz allows "
                f"L_max = {l_max} (TS 38.213 §4.1)"
            )
        raster = self.ssb_placement == "raster" and self.ssb_rb_offset is None
        if raster and raster_positions(f, 12 * self.n_rb, self.scs_khz * 1e3)[0].size == 0:
            raise ValueError(
                f"carrier_frequency_hz={f}: no synchronisation raster point (GSCN) puts the SSB "
                f"inside {self.n_rb} RBs (TS 38.104 §5.4.3.1); move the carrier or use "
                "ssb_placement='random'"
            )

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

    @property
    def tdd_period_ms(self) -> float | None:
        """The TDD pattern's period (None for FDD)."""
        return None if self.duplex == "FDD" else len(self.duplex) / (1 << self.mu)


def cp_lengths(nfft: int, mu: int, n_symbols: int) -> np.ndarray:
    """Normal-CP lengths in samples from the frame start (TS 38.211 §5.3.1).

    N_CP = 144·κ·2^-μ, plus 16·κ (not scaled by 2^-μ) for l = 0 and l = 7·2^μ of each subframe
    (every 0.5 ms); with N_u = 2048·κ·2^-μ = nfft these are 144·nfft/2048 and 16·2^μ·nfft/2048
    samples, so that a subframe is exactly nfft·15·2^μ samples.
    """
    long = np.arange(n_symbols) % (7 << mu) == 0
    return 144 * nfft // 2048 + ((16 << mu) * nfft // 2048) * long.astype(np.int64)


def _rbg_size(n_rb: int) -> int:
    """Nominal RBG size P, configuration 1 (TS 38.214 Table 5.1.2.2.1-1)."""
    return 2 if n_rb <= 36 else 4 if n_rb <= 72 else 8 if n_rb <= 144 else 16


def _pattern_dl(config: NrConfig) -> np.ndarray:
    """DL symbols of each slot of the pattern: D 14, S ``special_dl_symbols``, U 0."""
    pattern = "D" if config.duplex == "FDD" else config.duplex
    n_dl = {"D": SYMBOLS_PER_SLOT, "S": config.special_dl_symbols, "U": 0}
    return np.array([n_dl[p] for p in pattern], dtype=np.int64)


def _user_pdcch(
    grid: np.ndarray,
    kind: np.ndarray,
    slot_dl: np.ndarray,
    c: NrConfig,
    cs: tuple,
    p_cce: float,
    rng,
) -> None:
    """CCEs of the CORESET in use with probability ``p_cce``, non-interleaved (§7.3.2.2): CCE j
    covers 6/D RBs x D symbols. DMRS on every 4th subcarrier from 1, referenced to CRB 0."""
    cs_start, cs_rbs = cs
    n_slots, n_rb, n_cs = slot_dl.size, c.n_rb, c.coreset_symbols
    used = rng.random((n_slots, cs_rbs * n_cs // 6)) < p_cce
    if not used.any():
        return
    rb_used = np.zeros((n_slots, n_rb), dtype=bool)
    rb_used[:, cs_start : cs_start + cs_rbs] = np.repeat(used, 6 // n_cs, axis=1)
    k4 = kind.reshape(n_slots, SYMBOLS_PER_SLOT, n_rb, 12)[:, :n_cs]
    rb_used &= (k4 == 0).all(axis=(1, 3))  # RBs free in every CORESET symbol (not SIB1's)
    slot, sym = np.nonzero((np.arange(n_cs) < slot_dl[:, None]) & rb_used.any(axis=1)[:, None])
    rows = slot * SYMBOLS_PER_SLOT + sym
    sc_used = np.repeat(rb_used[slot], 12, axis=1)
    dm = sc_used.copy()
    dm[:, np.arange(12 * n_rb) % 4 != 1] = False
    values = np.zeros(sc_used.shape, dtype=np.complex64)
    values[:, 1::4] = gold_qpsk(dmrs_c_init(slot % (10 << c.mu), sym, c.cell_id), 3 * n_rb)
    data = sc_used & ~dm
    values[data] = qam_symbols(rng, int(data.sum()), "QPSK")
    grid[rows] = np.where(sc_used, values, grid[rows])
    kind[rows] = np.where(dm, _K["pdcch_dmrs"], np.where(data, _K["pdcch"], kind[rows]))


def _user_pdsch(
    grid: np.ndarray, kind: np.ndarray, slot_dl: np.ndarray, c: NrConfig, rng: np.random.Generator
) -> None:
    """PDSCH mapping type A from the end of the CORESET to the last DL symbol of each slot, on
    random RBGs (a load drawn per slot). PRBs with an SSB, SIB1 or PDCCH in a symbol are not
    available there (TS 38.214 §5.1.4); TRS REs are rate-matched around. DMRS type 1, CDM group
    0 at +3 dB (group 1 empty, TS 38.214 Table 4.1-1), referenced to CRB 0."""
    n_slots, n_rb, l0 = slot_dl.size, c.n_rb, c.dmrs_type_a_position
    rbg = _rbg_size(n_rb)
    n_rbg = -(-n_rb // rbg)
    if c.load in (0.0, 1.0):
        load = np.full(n_slots, c.load)
    else:
        load = rng.beta(8 * c.load, 8 * (1 - c.load), size=n_slots)
    rank = rng.random((n_slots, n_rbg)).argsort(axis=1).argsort(axis=1)
    chosen = (rank < np.rint(load * n_rbg)[:, None]) & (slot_dl > l0)[:, None]
    if not chosen.any():
        return
    rb_alloc = np.repeat(chosen, rbg, axis=1)[:, :n_rb]
    sym = np.arange(SYMBOLS_PER_SLOT)
    first = np.minimum(c.coreset_symbols, slot_dl)
    pdsch_sym = (sym >= first[:, None]) & (sym < slot_dl[:, None])
    k4 = kind.reshape(n_slots, SYMBOLS_PER_SLOT, n_rb, 12)
    blocked = ((k4 != 0) & (k4 != _K["trs"])).any(axis=3)
    prb_ok = pdsch_sym[:, :, None] & rb_alloc[:, None, :] & ~blocked
    re_ok = np.repeat(prb_ok, 12, axis=2) & (kind.reshape(n_slots, SYMBOLS_PER_SLOT, -1) == 0)
    dmrs_sym = np.zeros((n_slots, SYMBOLS_PER_SLOT), dtype=bool)
    for n_dl in np.unique(slot_dl[slot_dl > l0]):
        at = pdsch_dmrs_symbols(int(n_dl), l0, c.dmrs_additional_positions)
        dmrs_sym[np.ix_(slot_dl == n_dl, at)] = True
    re_ok = re_ok.reshape(n_slots * SYMBOLS_PER_SLOT, -1)
    dmrs_row = dmrs_sym.ravel() & re_ok.any(axis=1)
    rows = np.flatnonzero(dmrs_row)
    values = np.zeros((rows.size, 12 * n_rb), dtype=np.complex64)
    r = gold_qpsk(
        dmrs_c_init(rows // SYMBOLS_PER_SLOT % (10 << c.mu), rows % 14, c.cell_id), 6 * n_rb
    )
    values[:, 0::2] = np.sqrt(2) * r
    dm = re_ok[rows] & (np.arange(12 * n_rb) % 2 == 0)
    grid[rows] = np.where(dm, values, grid[rows])
    kind[rows] = np.where(dm, _K["pdsch_dmrs"], kind[rows])
    idx = np.flatnonzero(re_ok & ~dmrs_sym.ravel()[:, None])
    if c.modulation == "random":
        per_slot = rng.integers(len(QAM_ORDERS), size=n_slots)
        mods = per_slot[idx // (SYMBOLS_PER_SLOT * 12 * n_rb)]
    else:
        mods = np.full(idx.size, list(QAM_ORDERS).index(c.modulation))
    values = np.empty(idx.size, dtype=np.complex64)
    for m, name in enumerate(QAM_ORDERS):
        sel = mods == m
        values[sel] = qam_symbols(rng, int(sel.sum()), name)
    grid.reshape(-1)[idx], kind.reshape(-1)[idx] = values, _K["pdsch"]


def nr_resource_grid(
    config: NrConfig, n_slots: int, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, dict]:
    """The downlink resource grid ``(n_slots * 14, N_RB * 12)`` from the start of a frame.

    Filled in order SSB, TRS, SIB1, PDCCH, PDSCH, each leaving what is taken. ``info`` holds
    the drawn layout, the per-symbol DL flags, the SSBs placed (absolute first symbol, index),
    what SIB1 and TRS did and ``re_kind``, the :data:`RE_KINDS` code of every RE. RE values are
    at unit EPRE (PDSCH DMRS +3 dB: two CDM groups without data, TS 38.214 Table 4.1-1).
    """
    rng = np.random.default_rng(rng)
    c = config
    n_sym, n_sc = n_slots * SYMBOLS_PER_SLOT, 12 * c.n_rb
    grid = np.zeros((n_sym, n_sc), dtype=np.complex64)
    kind = np.zeros((n_sym, n_sc), dtype=np.int8)
    slot_dl = np.resize(_pattern_dl(c), n_slots)
    dl = (np.arange(SYMBOLS_PER_SLOT) < slot_dl[:, None]).ravel()
    layout = ssb_layout(c, rng)
    cs_rbs = c.coreset_rbs or 6 * int(rng.integers(min(4, c.n_rb // 6), c.n_rb // 6 + 1))
    cs_start = 6 * int(rng.integers(0, (c.n_rb - cs_rbs) // 6 + 1))
    ssbs = place_ssbs(grid, kind, dl, c, layout, rng)
    info: dict = {"trs_slots": [], "sib1_slots": []}
    if c.trs_period_ms is not None:
        info |= place_trs(grid, kind, _pattern_dl(c), c, rng)
    if c.sib1:
        # SFN parity of frame 0: a burst period >= 20 ms starts in an even frame (TS 38.213 §4.1)
        burst_frame = layout["ssb_phase_ms"] // 10
        parity = burst_frame % 2 if c.ssb_period_ms >= 20 else int(rng.integers(2))
        ssb_rb = layout["ssb_subcarrier_offset"] // 12
        info |= place_sib1(grid, kind, _pattern_dl(c), c, ssb_rb, parity, rng)
    p_cce = 0.25 + 0.5 * c.load if c.pdcch_when_idle else 0.75 * c.load
    if p_cce > 0:
        _user_pdcch(grid, kind, slot_dl, c, (cs_start, cs_rbs), p_cce, rng)
    if c.load > 0:
        _user_pdsch(grid, kind, slot_dl, c, rng)
    info |= layout | {
        "ssb_rb_offset": layout["ssb_subcarrier_offset"] // 12,
        "coreset_rb_start": cs_start,
        "coreset_rbs": cs_rbs,
        "pdcch_cce_probability": p_cce,
        "dl_symbols": dl,
        "ssbs": ssbs,
        "re_kind": kind,
    }
    return grid, info


def _modulate(grid: np.ndarray, gain: float, nfft: int, mu: int) -> np.ndarray:
    """OFDM symbols of ``grid`` (subcarrier N_sc/2 at DC) with NR CPs, as ``ofdm_modulate`` but
    by slices: every 0.5 ms holds 7·2^μ symbols, the first with the longer CP."""
    n_sym, n_sc = grid.shape
    half = n_sc // 2
    spectra = np.zeros((n_sym, nfft), dtype=np.complex64)
    g = np.float32(gain * np.sqrt(nfft))
    spectra[:, :half] = grid[:, half:] * g
    spectra[:, nfft - half :] = grid[:, :half] * g
    per = 7 << mu
    body = scipy.fft.ifft(spectra, axis=1, overwrite_x=True).reshape(-1, per, nfft)
    cp_long, cp = (int(x) for x in cp_lengths(nfft, mu, 2))
    out = np.empty((body.shape[0], cp_long + nfft + (per - 1) * (cp + nfft)), dtype=np.complex64)
    out[:, :cp_long] = body[:, 0, nfft - cp_long :]
    out[:, cp_long : cp_long + nfft] = body[:, 0]
    rest = out[:, cp_long + nfft :].reshape(-1, per - 1, cp + nfft)  # a view: rows split evenly
    rest[:, :, :cp] = body[:, 1:, nfft - cp :]
    rest[:, :, cp:] = body[:, 1:]
    return out.reshape(-1)


def _symbol_times(config: NrConfig, symbols: list[int]) -> list[float]:
    """Start (CP included) of each of ``symbols`` in seconds from the frame start."""
    if not symbols:
        return []
    lengths = cp_lengths(config.nfft, config.mu, max(symbols) + 1) + config.nfft
    starts = np.concatenate([[0], np.cumsum(lengths)])
    return [float(starts[s] / config.sample_rate) for s in symbols]


def nr_downlink(
    config: NrConfig, duration_s: float, seed_or_rng: np.random.Generator | int | None = None
) -> Waveform:
    """``duration_s`` of an NR downlink carrier from a frame start, at ``nfft * SCS``.

    Subcarrier k of the carrier sits at (k - N_RB·12/2)·SCS (TS 38.211 §5.4: no DC null). The
    samples are scaled to unit mean power over the active DL symbols (U slots and the guard/UL
    part of S slots excluded), measured on the grid (Parseval); ``params["duty_cycle"]`` is
    their share of the symbols.
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
    samples = _modulate(grid, scale, nfft, c.mu)[:n_total]
    k0 = info["ssb_subcarrier_offset"]
    firsts = [s["symbol"] for s in info["ssbs"]]
    half = SYMBOLS_PER_SLOT * (5 << c.mu)
    bursts = sorted({s // half for s in firsts})
    present = {"ssb": firsts, "sib1": info["sib1_slots"], "trs": info["trs_slots"]}
    skip = ("dl_symbols", "ssbs", "re_kind")
    params = asdict(c) | {key: value for key, value in info.items() if key not in skip}
    params |= {
        "n_rb": c.n_rb,
        "nfft": nfft,
        "tdd_period_ms": c.tdd_period_ms,
        "special_guard_symbols": 14 - c.special_dl_symbols - c.special_ul_symbols,
        "ssb_k_ssb": (k0 % 12) * c.scs_khz // 15,
        "ssb_center_offset_hz": float((k0 + 120 - n_sc // 2) * c.scs_khz * 1e3),
        "ssb_first_symbols": firsts,
        "ssb_burst_times_s": _symbol_times(c, [b * half for b in bursts]),
        "always_on_signals": [name for name, on in present.items() if on],
        # the DL share of the time, as LTE and the bursty emitters report it: the SNR is set
        # over the time the cell transmits, whatever its TDD pattern
        "duty_cycle": float(dl.mean()),
    }
    return Waveform(samples, fs, "NR", c.n_rb * 12 * c.scs_khz * 1e3, params)
