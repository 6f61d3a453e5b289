"""Fidelity of the LTE downlink generator, FDD and TDD, measured on its time signal (TS 36.211).

FDD structure, sequences, 4-port CRS and MBSFN subframes here; TDD frame structure type 2 is
checked blind, from the standard's tables, in ``test_lte_tdd.py``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import signal

from rfclassify.signals.common import gold_sequence
from rfclassify.signals.lte import (
    LTE_BANDWIDTHS,
    LteConfig,
    crs_values,
    lte_downlink,
    lte_resource_grid,
    pss,
    sss,
    sss_indices,
)


def _cps(cfg: LteConfig, n_sym: int) -> np.ndarray:
    """CP of every symbol, straight from TS 36.211 Table 6.12-1."""
    slot = [512] * 6 if cfg.cp == "extended" else [160] + [144] * 6
    return np.tile(np.array(slot) * cfg.nfft // 2048, n_sym // len(slot))


def _bins(cfg: LteConfig) -> np.ndarray:
    half = cfg.n_rb * 6
    k = np.arange(2 * half)
    return np.where(k < half, cfg.nfft - half + k, k - half + 1)


def _demodulate(x: np.ndarray, cfg: LteConfig, n_sym: int) -> np.ndarray:
    """FFT of each symbol body at the known boundaries -> (n_sym, N_RB*12) grid."""
    cps = _cps(cfg, n_sym)
    body_start = np.cumsum(cps + cfg.nfft) - cfg.nfft
    idx = body_start[:, None] + np.arange(cfg.nfft)
    spectra = np.fft.fft(x[idx], axis=1) / np.sqrt(cfg.nfft)
    return spectra[:, _bins(cfg)]


def _reference_crs(cell_id: int, ns: int, sym: int, n_rb: int, n_cp: int) -> np.ndarray:
    """r(m') of TS 36.211 §6.10.1.1, computed here from the Gold sequence."""
    c_init = 2**10 * (7 * (ns + 1) + sym + 1) * (2 * cell_id + 1) + 2 * cell_id + n_cp
    c = gold_sequence(c_init, 4 * 110).astype(float)
    r = ((1 - 2 * c[0::2]) + 1j * (1 - 2 * c[1::2])) / np.sqrt(2)
    return r[110 - n_rb : 110 + n_rb]


def _crs_k(cell_id: int, port: int, sym: int, n_rb: int, ns: int = 0) -> np.ndarray:
    """k = 6m + (v + v_shift) mod 6 (TS 36.211 §6.10.1.2); ports 2, 3 alternate by slot n_s."""
    v = [[0, 3], [3, 0], [3 * (ns % 2)] * 2, [3 + 3 * (ns % 2)] * 2][port][sym != 0]
    return 6 * np.arange(2 * n_rb) + (v + cell_id % 6) % 6


# -- sequences -------------------------------------------------------------------------------


def test_pss_is_the_punctured_zadoff_chu_sequence():
    n = np.arange(63)
    for n_id_2, u in enumerate((25, 29, 34)):
        zc = np.exp(-1j * np.pi * u * n * (n + 1) / 63)
        np.testing.assert_allclose(pss(n_id_2), np.delete(zc, 31), atol=1e-6)
    np.testing.assert_allclose(pss(2), np.conj(pss(1)), atol=1e-6)  # roots 29 + 34 = 63
    with pytest.raises(ValueError, match="n_id_2"):
        pss(3)


def test_sss_indices_match_table_and_sequences_are_distinct():
    table = {0: (0, 1), 28: (28, 29), 30: (0, 2), 58: (28, 30), 59: (0, 3), 167: (2, 9)}
    for n_id_1, m in table.items():
        assert sss_indices(n_id_1) == m
    all_sss = np.array([sss(n1, n2, sf) for n1 in range(168) for n2 in range(3) for sf in (0, 5)])
    assert set(np.unique(all_sss.real)) == {-1.0, 1.0} and not all_sss.imag.any()
    assert np.unique(all_sss.real, axis=0).shape[0] == all_sss.shape[0]
    with pytest.raises(ValueError, match="subframes 0 and 5"):
        sss(0, 0, 1)


def test_crs_values_follow_the_gold_sequence():
    for cell_id, ns, sym, n_rb, cp in ((0, 0, 0, 100, "normal"), (503, 19, 3, 6, "extended")):
        ref = _reference_crs(cell_id, ns, sym, n_rb, 1 if cp == "normal" else 0)
        np.testing.assert_allclose(crs_values(cell_id, ns, sym, n_rb, cp), ref, atol=1e-6)


# -- synchronisation on a received signal ----------------------------------------------------


def _received(cfg: LteConfig, seed: int, delay: int, snr_db: float) -> np.ndarray:
    """Cell downlink, delayed, through a static 3-tap EPA-like channel, AWGN at in-band SNR."""
    rng = np.random.default_rng(seed)
    wf = lte_downlink(cfg, 12e-3, rng, start_subframe=3)
    taps = np.zeros(5, dtype=complex)
    taps[[0, 1, 4]] = np.array([1.0, 0.6, 0.3]) * np.exp(2j * np.pi * rng.random(3))
    y = np.convolve(np.concatenate([np.zeros(delay), wf.samples]), taps)[: delay + wf.samples.size]
    y /= np.sqrt(np.sum(np.abs(taps) ** 2))
    noise_var = 10 ** (-snr_db / 10) * wf.sample_rate / wf.occupied_bandwidth
    noise = rng.normal(size=(y.size, 2)) @ np.array([1, 1j]) * np.sqrt(noise_var / 2)
    return y + noise


@pytest.mark.parametrize(("bandwidth", "cell_id", "delay"), [(5.0, 301, 1234), (1.4, 77, 4321)])
def test_pss_sss_find_cell_id_and_frame_timing(bandwidth, cell_id, delay):
    cfg = LteConfig(bandwidth_mhz=bandwidth, cell_id=cell_id, load=0.7)
    y = _received(cfg, seed=cell_id, delay=delay, snr_db=10.0)
    nfft, bins62 = cfg.nfft, _bins(cfg)[cfg.n_rb * 6 - 31 : cfg.n_rb * 6 + 31]
    templates = np.zeros((3, nfft), dtype=complex)
    templates[:, bins62] = [pss(n) for n in range(3)]
    templates = np.fft.ifft(templates, axis=1)
    corr = np.array([np.abs(signal.correlate(y, t, mode="valid", method="fft")) for t in templates])
    n_id_2, start = np.unravel_index(np.argmax(corr), corr.shape)
    assert n_id_2 == cell_id % 3
    cp0, cp = 160 * nfft // 2048, 144 * nfft // 2048
    pss_offset = cp0 + 6 * cp + 6 * nfft  # PSS body in slot 0 / 10 (normal CP)
    half_frame = 5 * 15 * nfft
    # subframe 0 of the next frame begins 7 ms into the signal (it starts at subframe 3)
    expected = (delay + 7 * 15 * nfft + pss_offset) % half_frame
    assert abs(int(start) % half_frame - expected) <= 2

    def spectrum(at: int) -> np.ndarray:
        return np.fft.fft(y[at : at + nfft])[bins62]

    channel = spectrum(start) / pss(n_id_2)
    sss_eq = spectrum(start - cp - nfft) * np.conj(channel)
    candidates = np.array([[sss(n1, n_id_2, sf) for sf in (0, 5)] for n1 in range(168)])
    metric = np.abs(candidates.real @ sss_eq)
    n_id_1, which = np.unravel_index(np.argmax(metric), metric.shape)
    assert 3 * n_id_1 + n_id_2 == cell_id
    frame_start = int(start) - pss_offset - which * half_frame
    assert abs(frame_start % (2 * half_frame) - (delay + 7 * 15 * nfft)) <= 2


# -- resource elements of the time signal ------------------------------------------------------


@pytest.mark.parametrize(
    "cfg",
    [
        LteConfig(bandwidth_mhz=20.0, cell_id=301, load=0.6, cfi=3),
        LteConfig(bandwidth_mhz=5.0, cell_id=7, ports=2, cp="extended", crs_boost_db=3.0),
        LteConfig(bandwidth_mhz=1.4, cell_id=500, ports=2, sync_boost_db=-2.0, control="full"),
    ],
)
def test_reference_and_sync_signals_at_their_resource_elements(cfg):
    wf = lte_downlink(cfg, 10e-3, rng=5, start_subframe=2)
    nsym = cfg.symbols_per_slot
    grid = _demodulate(wf.samples, cfg, 20 * nsym) / wf.params["power_scale"]
    n_cp = 1 if cfg.cp == "normal" else 0
    crs_gain, sync_gain = 10 ** (cfg.crs_boost_db / 20), 10 ** (cfg.sync_boost_db / 20)
    errors = []
    for slot in range(20):
        ns = (slot + 4) % 20
        for sym in (0, nsym - 3):
            ref = crs_gain * _reference_crs(cfg.cell_id, ns, sym, cfg.n_rb, n_cp)
            for port in range(cfg.ports):
                got = grid[slot * nsym + sym, _crs_k(cfg.cell_id, port, sym, cfg.n_rb)]
                errors.append(np.max(np.abs(got - ref)))
    assert max(errors) < 1e-4
    sync = slice(cfg.n_rb * 6 - 31, cfg.n_rb * 6 + 31)
    for slot, sf in ((6, 5), (16, 0)):  # subframes 5 and 0 of a signal starting at subframe 2
        got_pss = grid[slot * nsym + nsym - 1, sync] / sync_gain
        got_sss = grid[slot * nsym + nsym - 2, sync] / sync_gain
        np.testing.assert_allclose(got_pss, pss(cfg.n_id_2), atol=1e-4)
        np.testing.assert_allclose(got_sss, sss(cfg.n_id_1, cfg.n_id_2, sf), atol=1e-4)


def _idle_allowed(cfg: LteConfig, n_sym: int, start_subframe: int) -> np.ndarray:
    """PSS/SSS/CRS/PBCH REs of TS 36.211 §6.10, §6.11, §6.6.4."""
    nsym, n_sc = cfg.symbols_per_slot, cfg.n_rb * 12
    allowed = np.zeros((n_sym, n_sc), dtype=bool)
    centre = slice(n_sc // 2 - 36, n_sc // 2 + 36)
    for slot in range(n_sym // nsym):
        ns = (slot + 2 * start_subframe) % 20
        for sym in (0, nsym - 3):
            for port in range(cfg.ports):
                allowed[slot * nsym + sym, _crs_k(cfg.cell_id, port, sym, cfg.n_rb)] = True
        if ns in (0, 10):
            allowed[slot * nsym + nsym - 2 : slot * nsym + nsym, centre] = True
        if ns == 1:
            allowed[slot * nsym : slot * nsym + 4, centre] = True
    return allowed


@pytest.mark.parametrize("cfg", [LteConfig(cell_id=11, load=0.0), LteConfig(5.0, 4, ports=2)])
def test_idle_cell_sends_only_sync_crs_and_pbch(cfg):
    cfg = LteConfig(**{**cfg.to_dict(), "load": 0.0})
    wf = lte_downlink(cfg, 20e-3, rng=1, start_subframe=7)
    n_sym = 40 * cfg.symbols_per_slot
    energy = np.abs(_demodulate(wf.samples, cfg, n_sym)) ** 2
    allowed = _idle_allowed(cfg, n_sym, 7)
    assert energy[~allowed].max() < 1e-9 * energy[allowed].mean()
    on_air = np.count_nonzero(energy[allowed] > 0.1 * energy[allowed].mean())
    crs_res = 2 * 40 * 2 * cfg.n_rb * cfg.ports
    assert on_air == crs_res + 4 * 2 * 62 + 2 * 240  # two frames' PSS, SSS and PBCH
    sparse = lte_downlink(LteConfig(**{**cfg.to_dict(), "control": "sparse"}), 20e-3, rng=1)
    energy = np.abs(_demodulate(sparse.samples, cfg, n_sym)) ** 2
    extra = (energy > 1e-6 * energy.max()) & ~_idle_allowed(cfg, n_sym, 0)
    in_control = np.isin(
        np.nonzero(extra)[0] % (2 * cfg.symbols_per_slot), range(cfg.control_symbols)
    )
    assert extra.any() and in_control.all()


@pytest.mark.parametrize("cp", ["normal", "extended"])
def test_four_port_crs_at_their_resource_elements(cp):
    cfg = LteConfig(bandwidth_mhz=3.0, cell_id=137, cp=cp, ports=4, load=0.0)
    wf = lte_downlink(cfg, 10e-3, rng=6, start_subframe=1)
    nsym = cfg.symbols_per_slot
    grid = _demodulate(wf.samples, cfg, 20 * nsym) / wf.params["power_scale"]
    n_cp = 1 if cp == "normal" else 0
    for slot in range(20):
        ns = (slot + 2) % 20
        for port, sym in ((0, 0), (1, 0), (0, nsym - 3), (1, nsym - 3), (2, 1), (3, 1)):
            ref = _reference_crs(cfg.cell_id, ns, sym, cfg.n_rb, n_cp)
            got = grid[slot * nsym + sym, _crs_k(cfg.cell_id, port, sym, cfg.n_rb, ns)]
            np.testing.assert_allclose(got, ref, atol=1e-4)
    # idle: symbol 1 carries ports 2 and 3 alone, k = v_shift mod 3 (but for the PBCH in slot 1
    # of subframe 0, the 19th slot of a signal starting at subframe 1)
    sym1 = np.delete(np.abs(grid[1::nsym]) ** 2, 19, axis=0)
    on_k = np.arange(cfg.n_rb * 12) % 3 == cfg.cell_id % 3
    assert np.all(sym1[:, on_k] > 0.1) and np.all(sym1[:, ~on_k] < 1e-9)


@pytest.mark.parametrize(("cfi", "ports", "region"), [(2, 1, 2), (1, 2, 1), (3, 4, 2)])
def test_fdd_mbsfn_subframes_have_no_crs_or_pdsch_after_the_control_region(cfi, ports, region):
    cfg = LteConfig(
        bandwidth_mhz=5.0, cell_id=55, cfi=cfi, ports=ports, load=1.0, mbsfn_subframes=(1, 7)
    )
    wf = lte_downlink(cfg, 10e-3, rng=8)
    nsym = cfg.symbols_per_slot
    grid = _demodulate(wf.samples, cfg, 20 * nsym) / wf.params["power_scale"]
    power = np.mean(np.abs(grid) ** 2, axis=1).reshape(10, 2 * nsym)
    assert np.all(power[[1, 7], :region] > 0.1)  # CRS + control (PDCCH follows the load)
    assert np.all(power[[1, 7], region:] < 1e-12)
    assert np.all(power[[0, 2, 3, 4, 5, 6, 8, 9]] > 0.1)  # other subframes: full buffer
    for sf in (1, 7):
        ref = _reference_crs(cfg.cell_id, 2 * sf, 0, cfg.n_rb, 1)
        got = grid[sf * 2 * nsym, _crs_k(cfg.cell_id, 0, 0, cfg.n_rb)]
        np.testing.assert_allclose(got, ref, atol=1e-4)
    assert wf.params["mbsfn_subframes"] == (1, 7) and wf.params["duty_cycle"] == 1.0


def test_load_follows_the_mean_and_skips_fixed_signals():
    cfg = LteConfig(bandwidth_mhz=10.0, cell_id=5, load=0.3, modulation="64QAM")
    grid, info = lte_resource_grid(cfg, 200, rng=3)
    assert abs(np.mean(info["subframe_load"]) - 0.3) < 0.05
    assert np.std(info["subframe_load"]) > 0.05  # time-varying
    kind = info["kind"]
    pdsch = grid[kind == 6]
    levels = np.unique(np.round(pdsch.real * np.sqrt(42)))
    np.testing.assert_array_equal(levels, [-7, -5, -3, -1, 1, 3, 5, 7])
    control_rows = np.arange(kind.shape[0]) % 14 < cfg.control_symbols
    assert not np.any(kind[control_rows] == 6)


# -- spectrum and time structure ---------------------------------------------------------------


@pytest.mark.parametrize("bandwidth", sorted(LTE_BANDWIDTHS))
def test_occupied_bandwidth_is_n_rb_times_180_khz(bandwidth):
    cfg = LteConfig(bandwidth_mhz=bandwidth, load=1.0, control="full")
    wf = lte_downlink(cfg, 5e-3, rng=2)
    f, psd = signal.welch(wf.samples, wf.sample_rate, nperseg=2 * cfg.nfft, return_onesided=False)
    order = np.argsort(f)
    f, cum = f[order], np.cumsum(psd[order]) / psd.sum()
    obw = f[np.searchsorted(cum, 0.995)] - f[np.searchsorted(cum, 0.005)]
    assert abs(obw / (cfg.n_rb * 180e3) - 1) < 0.025
    assert wf.occupied_bandwidth == cfg.n_rb * 180e3
    assert abs(np.mean(np.abs(wf.samples) ** 2) - 1) < 1e-3


@pytest.mark.parametrize("cp", ["normal", "extended"])
def test_every_cyclic_prefix_repeats_its_symbol_tail(cp):
    cfg = LteConfig(bandwidth_mhz=15.0, cp=cp, load=0.8)
    wf = lte_downlink(cfg, 1e-3, rng=4)
    n_sym = 2 * cfg.symbols_per_slot
    cps = _cps(cfg, n_sym)
    assert wf.samples.size == np.sum(cps + cfg.nfft) == 15 * cfg.nfft
    ends = np.cumsum(cps + cfg.nfft)
    for cp_len, end in zip(cps, ends, strict=True):
        np.testing.assert_array_equal(
            wf.samples[end - cfg.nfft - cp_len : end - cfg.nfft], wf.samples[end - cp_len : end]
        )


# -- API -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bandwidth_mhz": 7.0}, "not an LTE bandwidth"),
        ({"cell_id": 504}, "cell_id=504"),
        ({"cell_id": 1.5}, "cell_id must be an integer"),
        ({"cp": "long"}, "cp="),
        ({"ports": 3}, "ports=3"),
        ({"ports": 5}, "ports=5"),
        ({"cfi": 0}, "cfi=0"),
        ({"load": 1.5}, "load="),
        ({"load": True}, "load="),
        ({"modulation": "8PSK"}, "modulation="),
        ({"control": "busy"}, "control="),
        ({"crs_boost_db": float("nan")}, "crs_boost_db"),
    ],
)
def test_invalid_configs_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LteConfig(**kwargs)


def test_invalid_calls_are_rejected():
    with pytest.raises(ValueError, match="duration_s"):
        lte_downlink(LteConfig(), 0.0)
    with pytest.raises(ValueError, match="start_subframe"):
        lte_downlink(LteConfig(), 1e-3, start_subframe=10)


def test_same_seed_same_samples_and_json_params():
    cfg = LteConfig(bandwidth_mhz=3.0, cell_id=42, load=0.5)
    a, b = lte_downlink(cfg, 2.5e-3, rng=9), lte_downlink(cfg, 2.5e-3, rng=9)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, lte_downlink(cfg, 2.5e-3, rng=10).samples)
    assert a.samples.size == round(2.5e-3 * 3.84e6) and a.label == "LTE"
    assert json.loads(json.dumps(a.params))["cell_id"] == 42
    assert a.params["n_rb"] == 15 and a.params["sample_rate"] == 3.84e6
    assert a.params["duplex"] == "FDD" and a.params["subframe_types"] == "D" * 10
    assert a.params["duty_cycle"] == 1.0 and a.params["dwpts_symbols"] is None
