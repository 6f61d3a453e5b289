"""Blind check of TD-LTE (frame structure type 2, TS 36.211 §4.2) on the generated time signal.

Everything the signal is compared with is written here from the standard, not taken from the
generator: Table 4.2-2 (uplink-downlink configurations), Table 4.2-1 (DwPTS / UpPTS in Ts),
Table 6.12-1 (cyclic prefixes), the PSS (§6.11.1), the SSS (§6.11.2), the CRS (§6.10.1) and
N_TA_offset (§8.1). The signal is demodulated at the symbol boundaries these give.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from rfclassify.signals.lte import LteConfig, lte_downlink

TS_PER_SUBFRAME = 30720  # Ts = 1 / (15000 * 2048) s
UL_DL_CONFIGS = {  # Table 4.2-2
    0: "DSUUUDSUUU",
    1: "DSUUDDSUUD",
    2: "DSUDDDSUDD",
    3: "DSUUUDDDDD",
    4: "DSUUDDDDDD",
    5: "DSUDDDDDDD",
    6: "DSUUUDSUUD",
}
DWPTS_TS = {  # Table 4.2-1, by special subframe configuration
    "normal": (6592, 19760, 21952, 24144, 26336, 6592, 19760, 21952, 24144, 13168),
    "extended": (7680, 20480, 23040, 25600, 7680, 20480, 23040, 12800),
}
UPPTS_TS = {"normal": (2192,) * 5 + (4384,) * 5, "extended": (2560,) * 4 + (5120,) * 4}
N_TA_OFFSET_TS = 624


def _symbol_ts(cp: str) -> np.ndarray:
    """CP + body of the 14 / 12 symbols of a subframe in Ts (Table 6.12-1)."""
    slot = [160 + 2048] + [144 + 2048] * 6 if cp == "normal" else [512 + 2048] * 6
    return np.array(slot * 2)


def _whole_symbols(length_ts: int, cp: str, from_end: bool = False) -> int:
    """How many symbols of the subframe (from its start or end) make exactly ``length_ts``."""
    sym = _symbol_ts(cp)[::-1] if from_end else _symbol_ts(cp)
    hits = np.flatnonzero(np.cumsum(sym) == length_ts)
    assert hits.size == 1, f"{length_ts} Ts is not a whole number of symbols"
    return int(hits[0]) + 1


def _pss(n_id_2: int) -> np.ndarray:
    u = (25, 29, 34)[n_id_2]
    n = np.arange(62)
    return np.where(
        n < 31,
        np.exp(-1j * np.pi * u * n * (n + 1) / 63),
        np.exp(-1j * np.pi * u * (n + 1) * (n + 2) / 63),
    )


def _msequence(feedback: tuple[int, ...]) -> np.ndarray:
    x = [0, 0, 0, 0, 1]
    for i in range(26):
        x.append(sum(x[i + j] for j in feedback) % 2)
    return 1 - 2 * np.array(x)


def _sss(n_id_1: int, n_id_2: int, subframe: int) -> np.ndarray:
    q1 = n_id_1 // 30
    q = (n_id_1 + q1 * (q1 + 1) // 2) // 30
    mp = n_id_1 + q * (q + 1) // 2
    m0 = mp % 31
    m1 = (m0 + mp // 31 + 1) % 31
    s, c, z = _msequence((0, 2)), _msequence((0, 3)), _msequence((0, 1, 2, 4))
    n = np.arange(31)
    s0, s1 = s[(n + m0) % 31], s[(n + m1) % 31]
    c0, c1 = c[(n + n_id_2) % 31], c[(n + n_id_2 + 3) % 31]
    z0, z1 = z[(n + m0 % 8) % 31], z[(n + m1 % 8) % 31]
    d = np.empty(62)
    if subframe == 0:
        d[0::2], d[1::2] = s0 * c0, s1 * c1 * z0
    else:
        d[0::2], d[1::2] = s1 * c0, s0 * c1 * z1
    return d


def _gold(c_init: int, length: int) -> np.ndarray:
    """c(n) of TS 36.211 §7.2, bit by bit."""
    x1, x2 = [1] + [0] * 30, [(c_init >> i) & 1 for i in range(31)]
    for n in range(1600 + length - 31):
        x1.append((x1[n + 3] + x1[n]) % 2)
        x2.append((x2[n + 3] + x2[n + 2] + x2[n + 1] + x2[n]) % 2)
    return np.array([(x1[n + 1600] + x2[n + 1600]) % 2 for n in range(length)])


def _crs(cfg: LteConfig, ns: int, sym: int) -> np.ndarray:
    n_cp = 1 if cfg.cp == "normal" else 0
    c = _gold(
        2**10 * (7 * (ns + 1) + sym + 1) * (2 * cfg.cell_id + 1) + 2 * cfg.cell_id + n_cp, 440
    )
    r = ((1 - 2 * c[0::2]) + 1j * (1 - 2 * c[1::2])) / np.sqrt(2)
    return r[110 - cfg.n_rb : 110 + cfg.n_rb]


def _crs_k(cfg: LteConfig, port: int, sym: int, ns: int) -> np.ndarray:
    v = [3 * (sym != 0), 3 * (sym == 0), 3 * (ns % 2), 3 + 3 * (ns % 2)][port]
    return 6 * np.arange(2 * cfg.n_rb) + (v + cfg.cell_id % 6) % 6


class Frame:
    """The signal cut at its symbol boundaries: spectra, time energy and role of every symbol."""

    def __init__(self, cfg: LteConfig, x: np.ndarray, start_subframe: int, n_subframes: int):
        scale = cfg.nfft / 2048
        sym_ts = np.tile(_symbol_ts(cfg.cp), n_subframes)
        cp = (sym_ts - 2048) * scale
        ends = (np.cumsum(sym_ts) * scale).astype(int)
        self.starts, self.ends = ends - (sym_ts * scale).astype(int), ends
        body = ends - cfg.nfft
        half = cfg.n_rb * 6
        k = np.arange(2 * half)
        bins = np.where(k < half, cfg.nfft - half + k, k - half + 1)
        self.grid = np.fft.fft(x[body[:, None] + np.arange(cfg.nfft)], axis=1)[:, bins]
        self.grid /= np.sqrt(cfg.nfft)
        self.power = np.array(
            [np.mean(np.abs(x[a:b]) ** 2) for a, b in zip(self.starts, ends, strict=True)]
        )
        per_sf = len(_symbol_ts(cfg.cp))
        self.subframe = (start_subframe + np.arange(sym_ts.size) // per_sf) % 10
        self.ns = 2 * self.subframe + (np.arange(sym_ts.size) % per_sf) // (per_sf // 2)
        self.l_sf = np.arange(sym_ts.size) % per_sf  # symbol in the subframe
        types = np.array(list(UL_DL_CONFIGS[cfg.ul_dl_config]))[self.subframe]
        dwpts = _whole_symbols(DWPTS_TS[cfg.cp][cfg.special_subframe_config], cfg.cp)
        uppts = _whole_symbols(UPPTS_TS[cfg.cp][cfg.special_subframe_config], cfg.cp, True)
        self.dl = (types == "D") | ((types == "S") & (self.l_sf < dwpts))
        self.uppts = (types == "S") & (self.l_sf >= per_sf - uppts)
        self.ul = (types == "U") | self.uppts
        self.dwpts, self.cp_len = dwpts, cp

    def correlation(self, rows: np.ndarray, seq: np.ndarray) -> np.ndarray:
        centre = self.grid[rows][:, self.grid.shape[1] // 2 - 31 : self.grid.shape[1] // 2 + 31]
        norm = np.linalg.norm(centre, axis=1) * np.linalg.norm(seq) + 1e-30
        return np.abs(centre @ np.conj(seq)) / norm


def _generate(cfg: LteConfig, start: int, ms: int = 12, seed: int = 0):
    wf = lte_downlink(cfg, ms * 1e-3, rng=seed, start_subframe=start)
    return wf, Frame(cfg, wf.samples, start, ms)


COMBOS = [  # (bandwidth, cell id, UL/DL config, special subframe config, CP, start subframe)
    (1.4, 17, 0, 0, "normal", 0),
    (5.0, 301, 1, 7, "normal", 3),
    (3.0, 500, 2, 4, "extended", 0),
    (1.4, 88, 6, 9, "normal", 6),
    (1.4, 2, 3, 7, "extended", 1),
    (3.0, 45, 5, 3, "extended", 9),
    (20.0, 123, 4, 8, "normal", 2),
]


@pytest.mark.parametrize(("bw", "cell_id", "ul_dl", "special", "cp", "start"), COMBOS)
def test_sync_dwpts_and_silent_uplink_time(bw, cell_id, ul_dl, special, cp, start):
    cfg = LteConfig(
        bandwidth_mhz=bw,
        cell_id=cell_id,
        cp=cp,
        load=1.0,
        control="full",
        duplex="TDD",
        ul_dl_config=ul_dl,
        special_subframe_config=special,
    )
    wf, fr = _generate(cfg, start)
    rows = np.arange(fr.l_sf.size)
    # PSS exactly in the 3rd symbol of subframes 1 and 6 (§6.11.1.2)
    pss_rows = rows[fr.correlation(rows, _pss(cell_id % 3)) > 0.9]
    expected = rows[np.isin(fr.subframe, (1, 6)) & (fr.l_sf == 2)]
    np.testing.assert_array_equal(pss_rows, expected)
    # SSS in the last symbol of subframes 0 and 5, three symbols before the PSS (§6.11.2.2)
    last = fr.l_sf == fr.l_sf.max()
    for sf in (0, 5):
        sss = _sss(cell_id // 3, cell_id % 3, sf)
        found = rows[fr.correlation(rows, sss) > 0.9]
        np.testing.assert_array_equal(found, rows[(fr.subframe == sf) & last])
        assert np.all(np.isin(found + 3, pss_rows) | (found + 3 >= rows.size))
    # DwPTS: the first symbols of S subframes carry energy, the rest (GP, UpPTS) none; U silent
    dl_power = np.sum(fr.power[fr.dl] * (fr.ends - fr.starts)[fr.dl]) / np.sum(
        (fr.ends - fr.starts)[fr.dl]
    )
    assert dl_power == pytest.approx(1.0, rel=1e-3)
    assert np.all(fr.power[fr.dl] > 1e-2 * dl_power)
    assert np.all(fr.power[~fr.dl] < 1e-6 * dl_power)  # < -60 dB
    special_rows = np.flatnonzero(np.array(list(UL_DL_CONFIGS[ul_dl]))[fr.subframe] == "S")
    on = fr.power[special_rows] > 1e-6 * dl_power
    assert np.all(on == (fr.l_sf[special_rows] < fr.dwpts))
    # duty cycle from Table 4.2-1 / 4.2-2 alone
    types = "".join(UL_DL_CONFIGS[ul_dl][(start + i) % 10] for i in range(12))
    dl_ts = types.count("D") * TS_PER_SUBFRAME + types.count("S") * DWPTS_TS[cp][special]
    assert wf.params["duty_cycle"] == pytest.approx(dl_ts / (12 * TS_PER_SUBFRAME))
    assert wf.params["subframe_types"] == UL_DL_CONFIGS[ul_dl]
    assert wf.params["dwpts_symbols"] == fr.dwpts
    assert (wf.params["duplex"], wf.params["ul_dl_config"]) == ("TDD", ul_dl)
    assert wf.params["special_subframe_config"] == special
    assert json.loads(json.dumps(wf.params))["uppts_symbols"] == wf.params["uppts_symbols"]


@pytest.mark.parametrize("leak_db", [-40.0, -20.0])
def test_uplink_leak_is_sc_fdma_at_the_requested_level(leak_db):
    kw = {"bandwidth_mhz": 5.0, "cell_id": 9, "duplex": "TDD", "ul_dl_config": 0, "load": 0.5}
    cfg = LteConfig(**kw, special_subframe_config=5, uplink_leak_db=leak_db)
    leaky, fr = _generate(cfg, 0, ms=10, seed=4)
    quiet, _ = _generate(LteConfig(**kw, special_subframe_config=5), 0, ms=10, seed=4)
    ue = leaky.samples - quiet.samples  # the same seed draws the same downlink first
    dl = np.repeat(fr.dl, fr.ends - fr.starts)
    assert not ue[dl].any()  # downlink symbols untouched
    u_subframes = np.repeat(np.array(list(UL_DL_CONFIGS[0])) == "U", ue.size // 10)
    level = np.mean(np.abs(ue[u_subframes]) ** 2) / np.mean(np.abs(quiet.samples[dl]) ** 2)
    assert 10 * np.log10(level) == pytest.approx(leak_db, abs=1.0)
    advance = N_TA_OFFSET_TS * cfg.nfft // 2048  # the UE sends N_TA_offset early
    uppts = np.flatnonzero(fr.uppts)
    assert len(uppts) == 4  # 2 symbols (4384 Ts) in subframes 1 and 6
    assert all(np.abs(ue[fr.starts[r] - advance : fr.ends[r] - advance]).min() > 0 for r in uppts)
    # a U symbol demodulated at (k + 1/2) * 15 kHz: a contiguous set of whole RBs, nothing else
    nfft = cfg.nfft
    row = np.flatnonzero((fr.subframe == 3) & (fr.l_sf == 1))[0]
    at = fr.ends[row] - nfft - advance
    spectrum = np.fft.fft(ue[at : at + nfft] * np.exp(-1j * np.pi * np.arange(nfft) / nfft))
    k = (np.arange(cfg.n_rb * 12) - cfg.n_rb * 6) % nfft  # uplink subcarrier k, lowest first
    power = np.abs(spectrum) ** 2
    assert np.delete(power, k).max() < 1e-8 * power.max()
    used = power[k] > 1e-6 * power.max()
    first, n = int(np.argmax(used)), int(used.sum())
    assert used[first : first + n].all() and first % 12 == 0 and n % 12 == 0


def _idle_allowed(cfg: LteConfig, fr: Frame) -> np.ndarray:
    """PSS, SSS, CRS (DwPTS / D symbols only) and PBCH REs (§6.6.4, §6.10.1.2, §6.11)."""
    allowed = np.zeros(fr.grid.shape, dtype=bool)
    nsym = 7 if cfg.cp == "normal" else 6
    centre = slice(cfg.n_rb * 6 - 36, cfg.n_rb * 6 + 36)
    for row in np.flatnonzero(fr.dl):
        sf, l_sf, ns = fr.subframe[row], fr.l_sf[row], fr.ns[row]
        for port in range(cfg.ports):
            if (l_sf % nsym) in ((0, nsym - 3) if port < 2 else (1,)):
                allowed[row, _crs_k(cfg, port, l_sf % nsym, ns)] = True
        if (sf in (0, 5) and l_sf == 2 * nsym - 1) or (sf in (1, 6) and l_sf == 2):
            allowed[row, centre] = True
        if sf == 0 and nsym <= l_sf < nsym + 4:
            allowed[row, centre] = True
    return allowed


@pytest.mark.parametrize(
    ("ports", "cp", "special"), [(2, "normal", 0), (1, "extended", 7), (4, "normal", 9)]
)
def test_idle_tdd_cell_sends_only_sync_crs_and_pbch(ports, cp, special):
    cfg = LteConfig(
        bandwidth_mhz=1.4,
        cell_id=203,
        cp=cp,
        ports=ports,
        load=0.0,
        duplex="TDD",
        ul_dl_config=1,
        special_subframe_config=special,
    )
    wf, fr = _generate(cfg, 0, ms=10, seed=2)
    energy = np.abs(fr.grid) ** 2
    allowed = _idle_allowed(cfg, fr)
    assert energy[~allowed].max() < 1e-9 * energy[allowed].mean()
    nsym = 7 if cp == "normal" else 6
    for r in np.flatnonzero(fr.dl & np.isin(fr.l_sf % nsym, (0, nsym - 3)))[::5]:
        ref = _crs(cfg, fr.ns[r], fr.l_sf[r] % nsym) * wf.params["power_scale"]
        got = fr.grid[r, _crs_k(cfg, 0, fr.l_sf[r] % nsym, fr.ns[r])]
        np.testing.assert_allclose(got, ref, atol=1e-4)


@pytest.mark.parametrize(("cfi", "ports", "region"), [(1, 1, 1), (3, 2, 2), (1, 4, 2)])
def test_tdd_mbsfn_subframes_carry_nothing_after_the_control_region(cfi, ports, region):
    cfg = LteConfig(
        bandwidth_mhz=3.0,
        cell_id=71,
        cfi=cfi,
        ports=ports,
        load=1.0,
        control="full",
        duplex="TDD",
        ul_dl_config=2,
        mbsfn_subframes=[9, 3, 4],
    )
    assert cfg.mbsfn_subframes == (3, 4, 9)
    wf, fr = _generate(cfg, 2, ms=10, seed=3)
    mbsfn = np.isin(fr.subframe, (3, 4, 9))
    assert np.all(fr.power[mbsfn & (fr.l_sf < region)] > 0.05)
    assert np.all(fr.power[mbsfn & (fr.l_sf >= region)] < 1e-12)
    normal_d = (fr.subframe == 8) & (fr.l_sf == 4)
    assert np.all(fr.power[normal_d] > 0.05)
    row = np.flatnonzero(mbsfn & (fr.l_sf == 0))[0]  # CRS of the non-MBSFN region
    ref = _crs(cfg, fr.ns[row], 0) * wf.params["power_scale"]
    np.testing.assert_allclose(fr.grid[row, _crs_k(cfg, 0, 0, fr.ns[row])], ref, atol=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duplex": "TDD", "ul_dl_config": 7}, "ul_dl_config=7"),
        ({"duplex": "TDD", "ul_dl_config": -1}, "ul_dl_config=-1"),
        ({"duplex": "TDD", "special_subframe_config": 10}, "special_subframe_config=10"),
        ({"duplex": "TDD", "cp": "extended", "special_subframe_config": 8}, "extended CP"),
        ({"duplex": "TDD", "cp": "extended", "special_subframe_config": 9}, "extended CP"),
        ({"duplex": "HDX"}, "duplex="),
        ({"mbsfn_subframes": [0]}, "subframe 0 cannot be MBSFN"),
        ({"mbsfn_subframes": (5,)}, "subframe 5 cannot be MBSFN"),
        ({"mbsfn_subframes": [4]}, "subframe 4 cannot be MBSFN in FDD"),
        ({"duplex": "TDD", "mbsfn_subframes": [1]}, "subframe 1 cannot be MBSFN in TDD"),
        ({"duplex": "TDD", "ul_dl_config": 0, "mbsfn_subframes": [3]}, "subframe 3"),
        ({"mbsfn_subframes": [1.0]}, "mbsfn_subframes must be an integer"),
        ({"mbsfn_subframes": 3}, "mbsfn_subframes="),
        ({"uplink_leak_db": -30.0}, "needs duplex='TDD'"),
        ({"duplex": "TDD", "uplink_leak_db": float("inf")}, "uplink_leak_db"),
        ({"duplex": "TDD", "uplink_leak_db": 5.0}, "uplink_leak_db"),
        ({"ports": 3}, "ports=3"),
    ],
)
def test_invalid_tdd_and_mbsfn_configs_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LteConfig(**kwargs)


def test_fdd_extended_cp_special_configs_are_not_checked():
    assert LteConfig(cp="extended", special_subframe_config=9).duplex == "FDD"
    assert LteConfig(duplex="TDD", cp="extended", special_subframe_config=7).special_subframe
