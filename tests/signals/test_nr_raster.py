"""Where the NR SSB lies: on the synchronisation raster in frequency, in its bursts in time.

Measured on the waveform as a cell search would: PSS correlation in time, then in frequency.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from rfclassify.signals.nr import NrConfig, cp_lengths, nr_downlink, nr_resource_grid, pss
from rfclassify.signals.nr_sync_raster import (
    BANDS,
    choose_raster_position,
    gscn_frequency,
    gscns_between,
    raster_positions,
    ssb_symbol_starts,
)


def _starts(config: NrConfig, n_symbols: int) -> np.ndarray:
    """Sample index where each symbol's useful part (after the CP) starts."""
    cps = cp_lengths(config.nfft, config.mu, n_symbols)
    return np.concatenate([[0], np.cumsum(cps + config.nfft)])[:-1] + cps


def _pss_correlation(config: NrConfig, x: np.ndarray, n_id_2: int, k_pss: int) -> np.ndarray:
    """|x ⋆ PSS| with the PSS's first subcarrier at carrier subcarrier ``k_pss``."""
    spec = np.zeros(config.nfft, dtype=complex)
    spec[(k_pss + np.arange(127) - 6 * config.n_rb) % config.nfft] = pss(n_id_2)
    ref = np.fft.ifft(spec)
    return np.abs(signal.fftconvolve(x, np.conj(ref[::-1]), mode="valid"))


def _peaks(corr: np.ndarray, count: int, spacing: int) -> list[int]:
    corr, found = corr.copy(), []
    for _ in range(count):
        i = int(np.argmax(corr))
        found.append(i)
        corr[max(0, i - spacing) : i + spacing] = 0
    return sorted(found)


def _pss_subcarrier(config: NrConfig, x: np.ndarray, start: int, n_id_2: int) -> int:
    """Frequency search at a PSS symbol: the carrier subcarrier where the PSS starts."""
    spec = np.fft.fft(x[start : start + config.nfft])
    n_sc = 12 * config.n_rb
    y = spec[(np.arange(n_sc) - n_sc // 2) % config.nfft]
    scores = np.abs(np.correlate(y, pss(n_id_2).astype(complex), mode="valid"))
    return int(np.argmax(scores))


def test_gscn_frequencies_follow_table_5_4_3_1_1() -> None:
    # N*1200 kHz + M*50 kHz below 3 GHz (GSCN = 3N + (M-3)/2), 3000 MHz + N*1.44 MHz above
    np.testing.assert_array_equal(
        gscn_frequency([2, 3, 4, 5279, 7498, 7499, 7711, 22255]),
        [1.25e6, 1.35e6, 1.45e6, 2112.05e6, 2999.05e6, 3000e6, 3305.28e6, 24248.64e6],
    )
    # 2110.85, 2110.95, 2111.05 (N = 1759), 2112.05, 2112.15, 2112.25, 2113.25 MHz
    np.testing.assert_array_equal(gscns_between(2110e6, 2113.3e6), np.arange(5276, 5283))
    with pytest.raises(ValueError, match="GSCN"):
        gscn_frequency(1)


def test_reference_carriers_put_the_ssb_where_ts_38_508_does() -> None:
    # n1, 5 MHz at 2112.5 MHz: GSCN 5279 (2112.05 MHz), the SSB at the carrier's lower edge
    rng = np.random.default_rng(0)
    assert choose_raster_position(2112.5e6, 300, 15e3, rng) == (5279, 0, 0.0)
    # 10 MHz at 2115 MHz: GSCN 5280 is one of the points on the carrier's subcarrier grid
    g, k, residual = raster_positions(2115e6, 624, 15e3)
    assert 5280 in g[residual == 0] and k[g == 5280][0] == 312 - 120 - 190
    chosen = {choose_raster_position(2115e6, 624, 15e3, rng)[0] for _ in range(20)}
    assert chosen <= set(g[residual == 0]) and len(chosen) > 1
    # off the grid, the nearest subcarrier and the residual
    gscn, k0, res = choose_raster_position(2115.004e6, 624, 15e3, rng)
    assert abs(res) <= 7.5e3 and res != 0
    assert gscn_frequency(gscn) - 2115.004e6 == pytest.approx((k0 + 120 - 312) * 15e3 + res)


@pytest.mark.parametrize(
    ("scs", "duplex", "bands"),
    [(15, "FDD", {"n1", "n3", "n28"}), (30, "DDDSU", {"n41", "n77", "n78"})],
)
def test_drawn_carriers_sit_in_typical_bands_with_the_ssb_on_the_raster(scs, duplex, bands):
    seen = set()
    for seed in range(12):
        config = NrConfig(bandwidth_mhz=20, scs_khz=scs, duplex=duplex)
        _, info = nr_resource_grid(config, 1, seed)
        band = next(b for b in BANDS if b.name == info["band"] and b.ssb_scs_khz == scs)
        f_c, k0 = info["carrier_frequency_hz"], info["ssb_subcarrier_offset"]
        assert band.dl_low_hz <= f_c - 10e6 and f_c + 10e6 <= band.dl_high_hz
        assert f_c % band.raster_hz == 0
        n_sc = 12 * config.n_rb
        assert 0 <= k0 <= n_sc - 240 and info["ssb_raster_residual_hz"] == 0.0
        assert gscn_frequency(info["gscn"]) - f_c == (k0 + 120 - n_sc // 2) * scs * 1e3
        seen.add(band.name)
    assert seen <= bands and len(seen) > 1


@pytest.mark.parametrize(
    ("scs", "bw", "case", "l_max", "extra"),
    [
        (15, 10, "A", 4, {}),
        (30, 40, "B", 8, {"carrier_frequency_hz": 3.5e9}),
        (30, 20, "C", 8, {"duplex": "DDDDDDDSUU"}),
    ],
)
def test_cell_search_finds_the_ssb_at_the_recorded_offset_and_symbols(scs, bw, case, l_max, extra):
    config = NrConfig(
        bandwidth_mhz=bw, scs_khz=scs, ssb_case=case, ssb_l_max=l_max, cell_id=422, load=0.6,
        ssb_phase_ms=0, **extra,
    )  # fmt: skip
    rng = np.random.default_rng(3)
    wf = nr_downlink(config, 0.005, rng)
    p = wf.params
    x = wf.samples + 0.3 * (rng.standard_normal(wf.samples.size) + 1j * rng.standard_normal(1))
    k_pss = p["ssb_subcarrier_offset"] + 56
    # time: the L_max largest PSS peaks at the case's symbols (TS 38.213 §4.1)
    found = _peaks(_pss_correlation(config, x, 422 % 3, k_pss), l_max, config.nfft)
    starts = _starts(config, 70 << config.mu)
    assert found == [starts[s] for s in ssb_symbol_starts(case, l_max)]
    assert p["ssb_first_symbols"] == list(ssb_symbol_starts(case, l_max))
    # frequency: at each found symbol the PSS sits at the recorded subcarrier and offset
    for start in found:
        k = _pss_subcarrier(config, x, start, 422 % 3)
        assert k == k_pss
        offset = (k - 56 + 120 - 6 * config.n_rb) * scs * 1e3
        assert offset == p["ssb_center_offset_hz"]
    # and that offset is the raster point's, relative to the carrier centre
    ss_ref = gscn_frequency(p["gscn"])
    assert (
        ss_ref - p["carrier_frequency_hz"]
        == p["ssb_center_offset_hz"] + p["ssb_raster_residual_hz"]
    )
    assert p["ssb_l_max_band"] == 8 or case == "A"


@pytest.mark.parametrize("placement", ["centre", "random"])
def test_centre_and_random_placement(placement: str) -> None:
    offsets = set()
    for seed in range(8):
        config = NrConfig(bandwidth_mhz=20, scs_khz=15, ssb_placement=placement)
        _, info = nr_resource_grid(config, 1, seed)
        offsets.add(info["ssb_subcarrier_offset"])
        assert info["gscn"] is None and info["carrier_frequency_hz"] is None
    assert offsets == {636 - 120} if placement == "centre" else len(offsets) > 3


def test_a_long_ssb_period_can_leave_a_window_without_ssb() -> None:
    base = {"bandwidth_mhz": 10, "scs_khz": 15, "load": 0.0, "cell_id": 5, "ssb_period_ms": 80}
    peaks = {}
    for phase in (0, 15, 40):
        config = NrConfig(**base, ssb_phase_ms=phase)
        wf = nr_downlink(config, 0.020, 8)
        k_pss = wf.params["ssb_subcarrier_offset"] + 56
        corr = _pss_correlation(config, wf.samples, 5 % 3, k_pss)
        peaks[phase] = corr.max()
        bursts = wf.params["ssb_burst_times_s"]
        assert bursts == ([] if phase == 40 else [phase / 1e3])
        if phase == 15:  # the burst's first SSB: symbol 2 of half frame 3
            assert int(np.argmax(corr)) == _starts(config, 3 * 70 + 3)[3 * 70 + 2]
    assert wf.params["ssb_first_symbols"] == []
    assert peaks[40] < 0.2 * min(peaks[0], peaks[15])  # PSS-like energy only by chance


def test_random_phase_puts_the_first_burst_anywhere_in_the_period() -> None:
    phases = set()
    for seed in range(200):
        _, info = nr_resource_grid(NrConfig(bandwidth_mhz=10, ssb_period_ms=80), 1, seed)
        phases.add(info["ssb_phase_ms"])
    assert phases == set(range(0, 80, 5))
