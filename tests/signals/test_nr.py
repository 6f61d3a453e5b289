"""Fidelity of the NR downlink generator, measured on the waveform as a receiver would."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import signal

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
    config = NrConfig(bandwidth_mhz=bw, scs_khz=scs, ssb_case=case, cell_id=cell_id, load=0.8)
    rng = np.random.default_rng(5)
    wf = nr_downlink(config, 0.005, rng)
    x = _awgn(wf.samples, 10.0, rng)
    k0 = 12 * wf.params["ssb_rb_offset"]
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
    config = NrConfig(bandwidth_mhz=20, scs_khz=15, cell_id=123, ssb_period_ms=period, load=1.0)
    wf = nr_downlink(config, 0.010, 3)
    k0 = 12 * wf.params["ssb_rb_offset"]
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


def test_idle_carrier_has_only_ssb_and_coreset() -> None:
    config = NrConfig(bandwidth_mhz=20, scs_khz=15, load=0.0, coreset_symbols=2, cell_id=17)
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
    k0 = 12 * info["ssb_rb_offset"]
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
        wf = nr_downlink(NrConfig(bandwidth_mhz=40, scs_khz=30), 0.0005, seed)
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
        ({"ssb_period_ms": 40}, "ssb_period_ms"),
        ({"ssb_rb_offset": 40, "bandwidth_mhz": 20}, "ssb_rb_offset"),
        ({"duplex": "DDXU"}, "duplex"),
        ({"duplex": "UUU"}, "duplex"),
        ({"load": 1.5}, "load"),
        ({"modulation": "8PSK"}, "modulation"),
        ({"coreset_symbols": 3}, "coreset_symbols"),
        ({"coreset_rbs": 10}, "coreset_rbs"),
        ({"dmrs_type_a_position": 4}, "dmrs_type_a_position"),
    ],
)
def test_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        NrConfig(**kwargs)
