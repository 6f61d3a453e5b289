"""Fidelity of the NR downlink generator, measured on the waveform as a receiver would."""

from __future__ import annotations

import json
from itertools import pairwise

import numpy as np
import pytest
from scipy import signal

from rfclassify.signals.common import gold_sequence, ofdm_modulate
from rfclassify.signals.nr import (
    NR_BANDWIDTHS,
    RE_KINDS,
    NrConfig,
    cp_lengths,
    nr_downlink,
    nr_resource_grid,
    pbch_dmrs,
    pdsch_dmrs_symbols,
    pss,
    ssb_symbol_starts,
    sss,
)
from rfclassify.signals.nr_idle import gold_bits


def _symbol_starts(config: NrConfig, n_symbols: int) -> np.ndarray:
    """Sample index of each symbol's CP start (and one past the last)."""
    lengths = cp_lengths(config.nfft, config.mu, n_symbols) + config.nfft
    return np.concatenate([[0], np.cumsum(lengths)])


def _bins(config: NrConfig, k: np.ndarray) -> np.ndarray:
    """FFT bins of carrier subcarriers ``k`` (subcarrier N_sc/2 at DC)."""
    return (np.asarray(k) - 6 * config.n_rb) % config.nfft


def _demod(config: NrConfig, x: np.ndarray, symbol: int, k: np.ndarray) -> np.ndarray:
    """Subcarriers ``k`` of OFDM symbol ``symbol`` (CP removed), at the generator's scaling."""
    start = (
        _symbol_starts(config, symbol + 1)[symbol]
        + cp_lengths(config.nfft, config.mu, symbol + 1)[-1]
    )
    spec = np.fft.fft(x[start : start + config.nfft]) / np.sqrt(config.nfft)
    return spec[_bins(config, k)]


def _awgn(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    p = np.mean(np.abs(x) ** 2) / 10 ** (snr_db / 10)
    return x + np.sqrt(p / 2) * (rng.standard_normal(x.size) + 1j * rng.standard_normal(x.size))


def test_pss_sss_sequences_are_the_standard_ones() -> None:
    # TS 38.211 §7.4.2.2.1: x(0..6) = 0 1 1 0 1 1 1, so d(0..6) for N_ID2 = 0 is 1 -1 -1 1 -1 -1 -1
    np.testing.assert_array_equal(pss(0)[:7], [1, -1, -1, 1, -1, -1, -1])
    assert all(np.isin(pss(n), (-1, 1)).all() for n in range(3))
    seqs = np.array([sss(n1, n2) for n1 in range(336) for n2 in range(3)])
    assert np.unique(seqs, axis=0).shape[0] == 1008
    cross = seqs @ seqs.T / 127
    assert np.abs(cross - np.eye(1008)).max() < 0.2


def _mseq(tap: int, init: list[int]) -> np.ndarray:
    x = list(init)
    while len(x) < 127:
        x.append((x[-7 + tap] + x[-7]) % 2)
    return 1 - 2 * np.array(x)


@pytest.mark.parametrize(("n_id_1", "n_id_2"), [(0, 0), (111, 1), (112, 2), (335, 1)])
def test_pss_sss_match_the_spec_formulas(n_id_1: int, n_id_2: int) -> None:
    n = np.arange(127)
    d_pss = _mseq(4, [0, 1, 1, 0, 1, 1, 1])[(n + 43 * n_id_2) % 127]
    np.testing.assert_array_equal(pss(n_id_2), d_pss)
    m0, m1 = 15 * (n_id_1 // 112) + 5 * n_id_2, n_id_1 % 112
    x0, x1 = _mseq(4, [1, 0, 0, 0, 0, 0, 0]), _mseq(1, [1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(sss(n_id_1, n_id_2), x0[(n + m0) % 127] * x1[(n + m1) % 127])


def test_ssb_symbol_starts_by_case() -> None:
    np.testing.assert_array_equal(ssb_symbol_starts("A"), [2, 8, 16, 22])
    np.testing.assert_array_equal(ssb_symbol_starts("B"), [4, 8, 16, 20])
    np.testing.assert_array_equal(ssb_symbol_starts("C"), [2, 8, 16, 22])
    np.testing.assert_array_equal(ssb_symbol_starts("B", 8), [4, 8, 16, 20, 32, 36, 44, 48])
    np.testing.assert_array_equal(ssb_symbol_starts("A", 8)[4:], [30, 36, 44, 50])


@pytest.mark.parametrize(
    ("bw", "scs", "case", "cell_id"),
    [(10, 15, "A", 301), (20, 30, "B", 599), (20, 30, "C", 1007)],
)
def test_pss_time_correlation_and_sss_detection(bw: int, scs: int, case: str, cell_id: int) -> None:
    config = NrConfig(
        bandwidth_mhz=bw, scs_khz=scs, ssb_case=case, cell_id=cell_id, load=0.8, ssb_phase_ms=0
    )
    rng = np.random.default_rng(5)
    wf = nr_downlink(config, 0.005, rng)
    x = _awgn(wf.samples, 10.0, rng)
    k0 = wf.params["ssb_subcarrier_offset"]
    pss_k = k0 + 56 + np.arange(127)

    peaks = {}
    for n_id_2 in range(3):
        spec = np.zeros(config.nfft, dtype=complex)
        spec[_bins(config, pss_k)] = pss(n_id_2)
        ref = np.fft.ifft(spec)
        corr = np.abs(signal.fftconvolve(x, np.conj(ref[::-1]), mode="valid"))
        peaks[n_id_2] = corr
    best = max(peaks, key=lambda n: peaks[n].max())
    assert best == cell_id % 3

    # the four largest well-separated peaks sit at the useful-part starts the case dictates
    corr = peaks[best].copy()
    found = []
    for _ in range(4):
        i = int(np.argmax(corr))
        found.append(i)
        corr[max(0, i - config.nfft) : i + config.nfft] = 0
    starts = _symbol_starts(config, 70 << config.mu)
    cps = cp_lengths(config.nfft, config.mu, 70 << config.mu)
    expected = [starts[s] + cps[s] for s in ssb_symbol_starts(case)]
    assert sorted(found) == expected

    # SSS, two symbols later: max correlation over all 336 N_ID1 candidates
    rx = _demod(config, x, int(ssb_symbol_starts(case)[0]) + 2, pss_k)
    scores = [abs(np.vdot(sss(n1, best), rx)) for n1 in range(336)]
    assert int(np.argmax(scores)) == cell_id // 3


@pytest.mark.parametrize("period", [5, 20])
def test_pbch_dmrs_values_and_positions(period: int) -> None:
    config = NrConfig(
        bandwidth_mhz=20, scs_khz=15, cell_id=123, ssb_period_ms=period, ssb_phase_ms=0, load=1.0
    )
    wf = nr_downlink(config, 0.010, 3)
    k0 = wf.params["ssb_subcarrier_offset"]
    v = config.cell_id % 4
    k = np.arange(240)
    dm = [k % 4 == v, (k % 4 == v) & ((k < 48) | (k >= 192)), k % 4 == v]
    n_ssb = 0
    for s in wf.params["ssb_first_symbols"]:
        half, l_first = divmod(s, 70)
        i_ssb = list(ssb_symbol_starts("A")).index(l_first)
        pss_rx = _demod(config, wf.samples, s, k0 + 56 + np.arange(127))
        gain = np.mean(pss_rx / pss(config.cell_id % 3))  # the generator's normalisation
        rx = np.concatenate(
            [_demod(config, wf.samples, s + j, k0 + k[dm[j - 1]]) for j in (1, 2, 3)]
        )
        expected = pbch_dmrs(config.cell_id, i_ssb, n_hf=half % 2)
        assert np.max(np.abs(rx / gain - expected)) < 1e-4
        n_ssb += 1
    assert n_ssb == (8 if period == 5 else 4)


@pytest.mark.parametrize(("bw", "scs"), [(100, 30), (20, 15)])
def test_occupied_bandwidth(bw: int, scs: int) -> None:
    config = NrConfig(bandwidth_mhz=bw, scs_khz=scs, load=1.0)
    wf = nr_downlink(config, 0.004, 7)
    f, p = signal.welch(wf.samples, fs=wf.sample_rate, nperseg=4096, return_onesided=False)
    order = np.argsort(f)
    f, cum = f[order], np.cumsum(p[order]) / p.sum()
    obw = f[np.searchsorted(cum, 0.995)] - f[np.searchsorted(cum, 0.005)]
    expected = NR_BANDWIDTHS[scs][bw] * 12 * scs * 1e3
    assert wf.occupied_bandwidth == expected
    assert abs(obw - expected) / expected < 0.03


@pytest.mark.parametrize(
    ("scs", "nfft", "short", "long"), [(15, 2048, 144, 160), (30, 2048, 144, 176)]
)
def test_cp_lengths_long_every_half_ms(scs: int, nfft: int, short: int, long: int) -> None:
    mu = scs // 30
    cp = cp_lengths(nfft, mu, 28 << mu)
    is_long = np.arange(cp.size) % (7 << mu) == 0
    assert (cp[is_long] == long).all() and (cp[~is_long] == short).all()
    assert (cp + nfft).sum() == 2 * nfft * scs  # exactly 2 ms per 28·2^μ symbols


@pytest.mark.parametrize("scs", [15, 30])
def test_each_cp_is_the_tail_of_its_symbol(scs: int) -> None:
    config = NrConfig(bandwidth_mhz=10, scs_khz=scs, load=1.0)
    wf = nr_downlink(config, 0.001, 1)
    x = wf.samples
    n_sym = 14 << config.mu
    starts = _symbol_starts(config, n_sym)
    cps = cp_lengths(config.nfft, config.mu, n_sym)
    assert starts[-1] == x.size  # 1 ms exactly
    for s in range(n_sym):
        a, cp = starts[s], cps[s]
        np.testing.assert_allclose(
            x[a : a + cp], x[a + config.nfft : a + config.nfft + cp], atol=1e-5
        )
        if s:  # one sample earlier is no longer a copy: the CP is no longer than this
            assert abs(x[a - 1] - x[a + config.nfft - 1]) > 1e-4
    assert cps[0] > cps[1] and cps[7 << config.mu] == cps[0]


def test_tdd_pattern_silences_uplink() -> None:
    config = NrConfig(bandwidth_mhz=20, scs_khz=30, duplex="DDDSU", special_dl_symbols=10, load=1.0)
    wf = nr_downlink(config, 0.005, 2)
    starts = _symbol_starts(config, 140)
    power = np.array(
        [np.mean(np.abs(wf.samples[starts[i] : starts[i + 1]]) ** 2) for i in range(140)]
    )
    per_slot = power.reshape(10, 14)
    for slot, kind in enumerate("DDDSU" * 2):
        if kind == "D":
            assert (per_slot[slot] > 0.1).all()
        elif kind == "S":
            assert (per_slot[slot, :10] > 0.1).all() and (per_slot[slot, 10:] == 0).all()
        else:
            assert (per_slot[slot] == 0).all()
    dl = power > 0
    assert abs(power[dl].mean() - 1) < 0.02  # unit power over the active DL symbols


def test_tdd_15khz_pattern_grid() -> None:
    config = NrConfig(bandwidth_mhz=10, scs_khz=15, duplex="DDDDDDDSUU", special_dl_symbols=6)
    grid, _ = nr_resource_grid(config, 10, 0)
    per_slot = np.abs(grid).reshape(10, 14, -1).sum(axis=2)
    assert (per_slot[8:] == 0).all() and (per_slot[7, 6:] == 0).all() and per_slot[7, 0] > 0


def test_pdcch_when_idle_keeps_the_old_ssb_and_coreset_idle_cell() -> None:
    config = NrConfig(
        bandwidth_mhz=20,
        scs_khz=15,
        load=0.0,
        coreset_symbols=2,
        cell_id=17,
        pdcch_when_idle=True,
        sib1=False,
        trs_period_ms=None,
        ssb_phase_ms=0,
    )
    grid, info = nr_resource_grid(config, 20, 4)
    kind = info["re_kind"]
    on = np.abs(grid) > 0
    allowed = {RE_KINDS[n] for n in ("pss", "sss", "pbch", "pbch_dmrs", "pdcch", "pdcch_dmrs")}
    assert set(np.unique(kind[on])) <= allowed
    # PDCCH only in the CORESET: first 2 symbols of a slot, within its RB block
    rows, cols = np.nonzero(np.isin(kind, [RE_KINDS["pdcch"], RE_KINDS["pdcch_dmrs"]]))
    assert (rows % 14 < 2).all()
    rb = cols // 12
    assert rb.min() >= info["coreset_rb_start"]
    assert rb.max() < info["coreset_rb_start"] + info["coreset_rbs"]
    # no CRS-like pattern: symbols 4, 7, 11 (LTE CRS) of slots without an SSB are empty
    ssb_slots = {s["symbol"] // 14 for s in info["ssbs"]}
    for slot in set(range(20)) - ssb_slots:
        assert not on[slot * 14 + np.array([4, 7, 11])].any()
    # measured on the waveform, too: an SSB-free slot's non-CORESET symbols carry no energy
    wf = nr_downlink(config, 0.010, 4)
    starts = _symbol_starts(config, 140)
    for s in range(4 * 14 + 2, 5 * 14):  # slot 4 of frame 0 has no SSB in case A
        assert np.max(np.abs(wf.samples[starts[s] : starts[s + 1]])) == 0


def test_pdsch_respects_ssb_and_carries_dmrs() -> None:
    config = NrConfig(bandwidth_mhz=20, scs_khz=30, ssb_case="C", load=1.0, modulation="64QAM")
    grid, info = nr_resource_grid(config, 4, 9)
    kind = info["re_kind"]
    k0 = info["ssb_subcarrier_offset"]
    for s in info["ssbs"]:
        block = kind[s["symbol"] : s["symbol"] + 4, k0 : k0 + 240]
        assert block.max() <= RE_KINDS["pbch_dmrs"]
    assert np.isin(RE_KINDS["pdsch"], kind)
    # DMRS type 1 at l0 = 2 and l = 11 (TS 38.211 Table 7.4.1.1.2-3), even subcarriers, +3 dB
    assert pdsch_dmrs_symbols(14, 2, 1) == [2, 11]
    dmrs_rows = np.unique(np.nonzero(kind == RE_KINDS["pdsch_dmrs"])[0] % 14)
    np.testing.assert_array_equal(dmrs_rows, [2, 11])
    cols = np.nonzero(kind == RE_KINDS["pdsch_dmrs"])[1]
    assert (cols % 2 == 0).all()
    assert np.allclose(np.abs(grid[kind == RE_KINDS["pdsch_dmrs"]]) ** 2, 2.0, atol=1e-5)


def test_ssb_is_off_centre_and_inside() -> None:
    offsets = set()
    for seed in range(20):
        config = NrConfig(bandwidth_mhz=40, scs_khz=30, ssb_placement="random")
        wf = nr_downlink(config, 0.0005, seed)
        off = wf.params["ssb_rb_offset"]
        assert 0 <= off <= 106 - 20 and abs(2 * off - 86) > 1
        offsets.add(off)
    assert len(offsets) > 5


def test_determinism_and_json_params() -> None:
    config = NrConfig(bandwidth_mhz=20, scs_khz=30, duplex="DDDSU", load=0.4)
    a, b = nr_downlink(config, 0.002, 11), nr_downlink(config, 0.002, 11)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, nr_downlink(config, 0.002, 12).samples)
    assert a.label == "NR" and a.sample_rate == 30.72e6 and a.samples.size == 61440
    assert json.loads(json.dumps(a.params))["ssb_case"] == "C"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scs_khz": 60}, "scs_khz"),
        ({"bandwidth_mhz": 60, "scs_khz": 15}, "bandwidth_mhz"),
        ({"bandwidth_mhz": 5, "scs_khz": 30}, "SS/PBCH"),
        ({"cell_id": 1008}, "cell_id"),
        ({"ssb_case": "A", "scs_khz": 30}, "ssb_case"),
        ({"ssb_period_ms": 30}, "ssb_period_ms"),
        ({"ssb_rb_offset": 40, "bandwidth_mhz": 20}, "ssb_rb_offset"),
        ({"duplex": "DDXU"}, "duplex"),
        ({"duplex": "UUU"}, "duplex"),
        ({"load": 1.5}, "load"),
        ({"modulation": "8PSK"}, "modulation"),
        ({"coreset_symbols": 3}, "coreset_symbols"),
        ({"coreset_rbs": 10}, "coreset_rbs"),
        ({"dmrs_type_a_position": 4}, "dmrs_type_a_position"),
        ({"ssb_phase_ms": 20}, "ssb_phase_ms"),
        ({"ssb_phase_ms": 7, "ssb_period_ms": 80}, "ssb_phase_ms"),
        ({"ssb_placement": "edge"}, "ssb_placement"),
        ({"carrier_frequency_hz": 30e9}, "carrier_frequency_hz"),
        ({"bandwidth_mhz": 5, "scs_khz": 15, "carrier_frequency_hz": 2040.75e6}, "GSCN"),
        ({"ssb_l_max": 8, "carrier_frequency_hz": 2.1e9}, "L_max"),
        ({"ssb_l_max": 8, "ssb_case": "B", "carrier_frequency_hz": 2.9e9}, "L_max"),
        ({"duplex": "DDDSUUU"}, "20 ms"),
        ({"duplex": "DDDSU", "special_dl_symbols": 13, "special_ul_symbols": 2}, "14 symbols"),
        ({"special_ul_symbols": 13}, "special_ul_symbols"),
        ({"trs_period_ms": 30}, "trs_period_ms"),
    ],
)
def test_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        NrConfig(**kwargs)


def test_every_ssb_case_period_and_tdd_pattern_validates() -> None:
    for case, scs in (("A", 15), ("B", 30), ("C", 30)):
        for l_max in (4, 8):
            NrConfig(scs_khz=scs, ssb_case=case, ssb_l_max=l_max)
    for period in (5, 10, 20, 40, 80, 160):
        assert NrConfig(ssb_period_ms=period, ssb_phase_ms=period - 5).ssb_phase_ms == period - 5
    periods = {"DDDSU": 2.5, "DDDDDDDSUU": 5.0, "DDSUU": 2.5, "DSUUU": 2.5, "FDD": None}
    for pattern, ms in periods.items():
        assert (
            NrConfig(duplex=pattern, special_dl_symbols=6, special_ul_symbols=4).tdd_period_ms == ms
        )
    assert NrConfig(scs_khz=15, duplex="DDDDDDDSUU").tdd_period_ms == 10.0
    # L_max 8 above 3 GHz (case C unpaired: above 1.88 GHz, TS 38.213 §4.1)
    NrConfig(ssb_case="B", ssb_l_max=8, carrier_frequency_hz=3.5e9)
    NrConfig(ssb_l_max=8, duplex="DDDSU", carrier_frequency_hz=2.6e9)


@pytest.mark.parametrize(
    ("scs", "pattern", "dl", "ul"),
    [(30, "DDDSU", 10, 2), (30, "DDDDDDDSUU", 6, 4), (30, "DDSUU", 12, 0), (15, "DSUUU", 8, 2)],
)
def test_tdd_patterns_silence_uplink_and_guard_and_repeat(scs, pattern, dl, ul) -> None:
    config = NrConfig(
        bandwidth_mhz=10, scs_khz=scs, duplex=pattern, special_dl_symbols=dl,
        special_ul_symbols=ul, load=1.0,
    )  # fmt: skip
    wf = nr_downlink(config, 0.010, 6)
    n_sym = 140 << config.mu
    starts = _symbol_starts(config, n_sym)
    energy = np.array([np.sum(np.abs(wf.samples[a:b]) ** 2) for a, b in pairwise(starts)])
    on = (energy > 0).reshape(-1, 14)
    for slot, row in enumerate(on):
        n_dl = {"D": 14, "S": dl, "U": 0}[pattern[slot % len(pattern)]]
        assert row[1:n_dl].all() and not row[n_dl:].any()  # symbol 0: PDCCH, if any DCI
    # the per-symbol energy repeats with the pattern's period, and with no shorter one
    on = on[:, 1:]
    period = next(p for p in range(1, on.shape[0]) if (on[p:] == on[:-p]).all())
    assert period / (1 << config.mu) == wf.params["tdd_period_ms"] == len(pattern) / (scs // 15)
    assert wf.params["special_ul_symbols"] == ul


def _demodulated_grid(config: NrConfig, x: np.ndarray, n_sym: int) -> np.ndarray:
    starts = _symbol_starts(config, n_sym)
    cps = cp_lengths(config.nfft, config.mu, n_sym)
    useful = np.stack(
        [x[a + cp : a + cp + config.nfft] for a, cp in zip(starts, cps, strict=False)]
    )
    return np.fft.fft(useful, axis=1)[:, _bins(config, np.arange(12 * config.n_rb))]


def test_idle_cell_sends_only_ssb_sib1_and_trs() -> None:
    config = NrConfig(bandwidth_mhz=20, scs_khz=15, load=0.0, cell_id=77, trs_period_ms=10)
    n_slots = 25
    wf = nr_downlink(config, 0.025, 4)
    _, info = nr_resource_grid(config, n_slots, 4)  # the same draws as the waveform's
    kind = info["re_kind"]
    y = np.abs(_demodulated_grid(config, wf.samples, 14 * n_slots)) ** 2
    on = y > 1e-3 * y.max()
    np.testing.assert_array_equal(on, kind != 0)  # energy exactly where the RE kinds say
    idle = ("pss", "sss", "pbch", "pbch_dmrs", "trs", "sib1_pdcch", "sib1_pdcch_dmrs")
    idle += ("sib1_pdsch", "sib1_pdsch_dmrs")
    assert set(np.unique(kind[on])) == {RE_KINDS[n] for n in idle}
    assert wf.params["always_on_signals"] == ["ssb", "sib1", "trs"]
    assert wf.params["pdcch_cce_probability"] == 0.0
    # TRS: every 4th subcarrier from k0 (density 3), symbols l, l+4 of 2 consecutive slots,
    # every 10 ms (TS 38.214 §5.1.6.1.1)
    rows, cols = np.nonzero(kind == RE_KINDS["trs"])
    slots, k0, pair = wf.params["trs_slots"], wf.params["trs_k0"], wf.params["trs_symbols"]
    assert (cols % 4 == k0).all() and set(rows % 14) == set(pair) and pair[1] - pair[0] == 4
    assert sorted(set(rows // 14)) == slots and len(slots) >= 4
    assert slots[1] == slots[0] + 1 and slots[2] == slots[0] + 10 and slots[3] == slots[0] + 11
    per_symbol = np.bincount(rows, minlength=kind.shape[0])[rows[0]]
    assert per_symbol == 3 * config.n_rb or rows[0] // 14 in {
        s["symbol"] // 14 for s in info["ssbs"]
    }
    # SIB1: PDCCH in the first symbols of CORESET#0, repeated every 20 ms
    rows, cols = np.nonzero(kind == RE_KINDS["sib1_pdcch"])
    assert (rows % 14 < wf.params["coreset0_symbols"]).all()
    start0, rbs0 = wf.params["coreset0_rb_start"], wf.params["coreset0_rbs"]
    assert (cols // 12 >= start0).all() and (cols // 12 < start0 + rbs0).all()
    sib1 = wf.params["sib1_slots"]
    assert sib1 and all(s + 20 in sib1 for s in sib1 if s + 20 < n_slots)


def test_pdcch_occupancy_scales_with_load_from_zero() -> None:
    def pdcch_share(load: float, **kw) -> float:
        config = NrConfig(bandwidth_mhz=20, scs_khz=30, load=load, coreset_rbs=48, sib1=False, **kw)
        _, info = nr_resource_grid(config, 80, 2)
        kind = info["re_kind"]
        pdcch = np.isin(kind, [RE_KINDS["pdcch"], RE_KINDS["pdcch_dmrs"]])
        return pdcch.sum() / (80 * 48 * 12)

    assert pdcch_share(0.0) == 0.0
    assert pdcch_share(0.2) == pytest.approx(0.15, abs=0.03)
    assert pdcch_share(0.8) == pytest.approx(0.60, abs=0.03)
    assert pdcch_share(0.0, pdcch_when_idle=True) == pytest.approx(0.25, abs=0.03)


def test_100_mhz_carrier_at_122_88_msps() -> None:
    config = NrConfig(bandwidth_mhz=100, scs_khz=30, duplex="DDDSU", load=0.7)
    wf = nr_downlink(config, 0.025, 1)
    assert (config.n_rb, config.nfft, wf.sample_rate) == (273, 4096, 122.88e6)
    assert wf.samples.size == 25 * 122880 and wf.samples.dtype == np.complex64
    assert wf.occupied_bandwidth == 273 * 12 * 30e3
    spec = np.abs(np.fft.fft(wf.samples[: 1 << 20])) ** 2
    f = np.fft.fftfreq(1 << 20, 1 / wf.sample_rate)
    inside = np.abs(f) < 0.5 * wf.occupied_bandwidth
    assert spec[inside].sum() / spec.sum() > 0.995
    assert spec[np.abs(f) > 0.5 * wf.occupied_bandwidth + 1e6].sum() / spec.sum() < 1e-4


def test_batched_gold_sequences_and_sliced_ofdm_match_the_reference() -> None:
    c_inits = np.array([0, 1, 12345, 2**31 - 1, 987654321])
    for length in (100, 1638, 3000):
        expected = np.array([gold_sequence(int(c), length) for c in c_inits])
        np.testing.assert_array_equal(gold_bits(c_inits, length), expected)
    for scs in (15, 30):
        config = NrConfig(bandwidth_mhz=20, scs_khz=scs, load=0.5)
        wf = nr_downlink(config, 0.002, 5)
        grid, _ = nr_resource_grid(config, 2 << config.mu, 5)
        spectra = np.zeros((grid.shape[0], config.nfft), dtype=complex)
        spectra[:, _bins(config, np.arange(grid.shape[1]))] = grid
        ref = ofdm_modulate(spectra, cp_lengths(config.nfft, config.mu, grid.shape[0]))
        gain = np.vdot(ref, wf.samples) / np.vdot(ref, ref)
        np.testing.assert_allclose(wf.samples, gain * ref, atol=2e-5)
