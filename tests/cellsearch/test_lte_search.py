"""LTE cell search end to end on the test transmitter (PCI, duplex, CP, MIB at several rates,
bandwidths, port counts, CFOs and raster offsets), on the training generator's LTE, and on
signals that must give no decoded LTE cell. The broad SNR sweep is
scripts/cellsearch_lte_curve.py (docs/cell-search.md)."""

import time

import numpy as np
import pytest

from rfclassify.cellsearch import Cell, search_lte
from rfclassify.cellsearch.lte_search import frequency_hypotheses
from rfclassify.cellsearch.lte_transmitter import LteTxConfig, awgn, lte_transmit, shift

CENTER = 1.8e9


def _capture(config, rate, snr_db, offset_hz, seed, duration=0.02, start_subframe=3, cut=1234):
    rng = np.random.default_rng(seed)
    x = lte_transmit(config, duration + 0.003, rate, rng, start_subframe=start_subframe)
    x = x[round(cut * rate / 1.92e6) :][: round(duration * rate)]
    return awgn(shift(x, offset_hz, rate), snr_db, rng)


CASES = [
    # config, capture rate, carrier offset (raster + CFO), centre known
    (LteTxConfig(pci=0, n_rb=6, sfn=40), 1.92e6, 3e3, True),
    (LteTxConfig(pci=1, n_rb=6, ports=4, cp="extended", duplex="TDD", sfn=7), 1.92e6, -5e3, True),
    (LteTxConfig(pci=2, n_rb=25, ports=2, cp="extended", sfn=1021), 7.68e6, 200e3 + 4e3, True),
    (LteTxConfig(pci=503, n_rb=100, ports=2, duplex="TDD", sfn=300), 30.72e6, -300e3 - 2e3, True),
    (LteTxConfig(pci=251, n_rb=50, ports=4, sfn=77), 15.36e6, 1.1e6 + 1.5e3, True),
    (LteTxConfig(pci=100, n_rb=25, ports=2, sfn=900), 1.92e6, -4.5e3, True),  # centre 6 RB
    (LteTxConfig(pci=333, n_rb=6, duplex="TDD", sfn=5), 1.92e6, 5e3, False),  # blind offset
]


@pytest.mark.parametrize(("config", "rate", "offset", "known"), CASES)
def test_cell_found_and_mib_decoded_at_0db(config, rate, offset, known):
    x = _capture(config, rate, 0.0, offset, seed=config.pci)
    cells = search_lte(x, rate, CENTER if known else None, max_duration_s=0.02)
    assert cells, "no cell"
    cell = cells[0]
    assert isinstance(cell, Cell) and cell.rat == "LTE"
    assert cell.pci == config.pci and cell.n_id_2 == config.pci % 3
    assert cell.duplex == config.duplex and cell.cp == config.cp
    assert cell.decoded and cell.details["ports"] == config.ports
    assert cell.mib["dl_bandwidth_rb"] == config.n_rb
    # the first subframe 0 in the window: the frame after the one the capture starts in
    assert cell.mib["sfn"] == (config.sfn + 1) % 1024
    assert abs(cell.freq_offset_hz - offset) < 150
    if known:
        assert cell.details["carrier_freq_hz"] == pytest.approx(CENTER + round(offset, -5))
    assert -3 < cell.snr_db < 4
    assert len([c for c in cells if c.decoded]) == 1


def test_detection_at_minus_6_db_in_20_ms():
    config = LteTxConfig(pci=167 * 3 + 2, n_rb=6, ports=2, sfn=12)
    found = 0
    for seed in range(3):
        x = _capture(config, 1.92e6, -6.0, 2e3, seed=seed, cut=4000 * seed)
        found += any(c.pci == config.pci for c in search_lte(x, 1.92e6, CENTER))
    assert found >= 2


def test_short_capture_finds_the_pci():
    config = LteTxConfig(pci=77, n_rb=6, sfn=3)
    x = _capture(config, 1.92e6, 10.0, 0.0, seed=1, duration=0.006, start_subframe=4, cut=0)
    cells = search_lte(x, 1.92e6, CENTER)
    assert [c.pci for c in cells] == [77]  # no subframe 0 inside: found, not decoded
    assert not cells[0].decoded and cells[0].mib == {}


def test_search_speed_20ms_at_1_92_msps():
    config = LteTxConfig(pci=9, n_rb=6)
    x = _capture(config, 1.92e6, 5.0, 1e3, seed=2)
    search_lte(x, 1.92e6, CENTER)  # warm the caches
    t0 = time.perf_counter()
    cells = search_lte(x, 1.92e6, CENTER)
    elapsed = time.perf_counter() - t0
    assert cells and cells[0].decoded
    assert elapsed < 1.5  # ~0.2 s alone on this CPU; generous for a loaded CI


def test_frequency_hypotheses_on_the_raster():
    offs, raster = frequency_hypotheses(1.92e6, 796.03e6)
    assert set(np.round(raster)) == {-30e3 + 100e3 * k for k in range(-3, 5)}
    assert np.allclose(np.diff(np.unique(offs - raster)), 5e3)
    blind, _ = frequency_hypotheses(1.92e6, None)
    assert blind.min() == -420e3 and blind.max() == 420e3


def test_generator_lte_pci_found():
    from rfclassify.signals.scene import Scene, render

    wave = render(
        Scene("lte", 0.02, 7.68e6, snr_db=10.0, params={"bandwidth_mhz": 5, "cell_id": 123}), 1
    )
    cells = search_lte(wave.samples, wave.sample_rate, CENTER)
    assert [c.pci for c in cells] == [123]
    assert not cells[0].decoded  # the generator's PBCH carries random bits, not a MIB


# ---------------------------------------------------------------------------- negatives


def test_noise_gives_no_cell():
    rng = np.random.default_rng(7)
    for i in range(8):
        rate = 1.92e6 if i % 3 else 7.68e6
        n = round(0.02 * rate)
        x = (rng.normal(size=n) + 1j * rng.normal(size=n)).astype(np.complex64)
        assert search_lte(x, rate, None if i % 4 == 1 else CENTER) == []


@pytest.mark.parametrize("kind", ["nr", "gsm", "wcdma", "generic_ofdm", "wifi_ofdm", "cw_tones"])
def test_other_signals_give_no_decoded_lte_cell(kind):
    from rfclassify.signals.scene import Scene, render

    if kind == "nr":
        scene = Scene("nr", 0.02, 15.36e6, snr_db=20.0, params={"bandwidth_mhz": 10, "scs_khz": 15})
    else:
        scene = Scene(kind, 0.02, 7.68e6, snr_db=20.0)
    wave = render(scene, 1)
    cells = search_lte(wave.samples, wave.sample_rate, CENTER)
    assert not any(c.decoded for c in cells)
