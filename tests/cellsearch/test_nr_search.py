"""NR cell search on the test transmitter: PCI, SSB index and MIB at many PCIs, SSB indices,
SCS/cases, rates, CFOs and raster offsets; negatives (noise, LTE, Other) give no decoded cell."""

import numpy as np
import pytest

from rfclassify.cellsearch import search_nr
from rfclassify.cellsearch.nr_transmitter import nr_ssb_signal
from rfclassify.signals.nr_sync_raster import gscn_frequency, gscns_between

MIB = {"sfn": 613, "k_ssb": 17, "coreset_zero": 9, "search_space_zero": 4}


def _raster_offset(center, rate, scs_khz, pick):
    edge = rate / 2 - 122 * scs_khz * 1e3 - 5e3
    g = gscns_between(center - edge, center + edge)
    return float(gscn_frequency(int(g[pick % g.size]))) - center


CASES = [
    # pci, ssb index, scs, case, rate, cfo, l_max, half frame, centre, raster pick
    (0, 0, 15, "A", 7.68e6, 5e3, 4, 0, 1842.5e6, 0),
    (500, 1, 15, "A", 15.36e6, -5e3, 4, 1, 2135e6, 3),
    (1007, 3, 15, "A", 23.04e6, 2.5e3, 4, 0, 2135e6, -1),
    (333, 2, 30, "B", 30.72e6, -3e3, 4, 1, 880e6, 5),
    (777, 6, 30, "C", 23.04e6, 4e3, 8, 0, 3500e6, 2),
    (42, 1, 15, "A", 30.72e6, -1e3, 4, 0, 2600e6, 7),
    (919, 3, 30, "C", 15.36e6, 0.0, 4, 1, 2600e6, 1),
]


@pytest.mark.parametrize("pci,ssb,scs,case,rate,cfo,l_max,hf,center,pick", CASES)
def test_transmitter_cells_found_and_decoded(
    pci, ssb, scs, case, rate, cfo, l_max, hf, center, pick
):
    offset = _raster_offset(center, rate, scs, pick)
    x, info = nr_ssb_signal(
        pci, (ssb,), MIB, rate, scs, case, l_max, hf, offset, cfo, snr_db=0.0, rng=pci
    )
    cells = search_nr(x, rate, center)
    assert cells, "nothing found"
    c = cells[0]
    assert (c.pci, c.ssb_index, c.decoded) == (pci, ssb, True)
    assert c.mib["sfn"] == MIB["sfn"] and c.mib["k_ssb"] == MIB["k_ssb"]
    assert c.mib["coreset_zero"] == 9 and c.mib["half_frame"] == hf
    assert c.details["l_max"] == l_max and c.details["scs_khz"] == scs
    assert abs(c.freq_offset_hz - (offset + cfo)) < 50 * scs  # 5 % of the SCS at 0 dB
    assert abs(c.start - info["start"][0]) <= rate / (256 * scs * 1e3) * 3
    assert c.rat == "NR" and c.duplex is None and c.n_id_2 == pci % 3


def test_burst_of_ssbs_each_reported():
    offset = _raster_offset(2.1e9, 15.36e6, 15, 2)
    x, _ = nr_ssb_signal(
        123, (0, 1, 2, 3), MIB, 15.36e6, 15, freq_offset_hz=offset, duration_s=2e-3, snr_db=3
    )
    cells = search_nr(x, 15.36e6, 2.1e9)
    assert sorted(c.ssb_index for c in cells if c.decoded and c.pci == 123) == [0, 1, 2, 3]


def test_blind_search_without_centre_frequency():
    x, _ = nr_ssb_signal(
        611, (2,), MIB, 15.36e6, 15, freq_offset_hz=-3.1234e6, cfo_hz=0, snr_db=0, rng=5
    )
    cells = search_nr(x, 15.36e6, None, scs_khz=(15,))
    assert cells and cells[0].decoded and (cells[0].pci, cells[0].ssb_index) == (611, 2)
    assert abs(cells[0].freq_offset_hz + 3.1234e6) < 300


def test_detection_at_minus_3_db():
    """Issue target: found in windows holding an SSB at >= -3 dB (per-RE SNR)."""
    rng = np.random.default_rng(11)
    found = 0
    for trial in range(8):
        pci = int(rng.integers(0, 1008))
        offset = _raster_offset(2135e6, 15.36e6, 15, trial)
        x, _ = nr_ssb_signal(
            pci, (trial % 4,), MIB, 15.36e6, 15, freq_offset_hz=offset,
            cfo_hz=float(rng.uniform(-5e3, 5e3)), snr_db=-3.0, rng=rng,
        )  # fmt: skip
        found += any(c.pci == pci for c in search_nr(x, 15.36e6, 2135e6))
    assert found >= 7


def test_noise_gives_nothing():
    rng = np.random.default_rng(2)
    for _ in range(10):
        x = (rng.standard_normal(15360) + 1j * rng.standard_normal(15360)).astype(np.complex64)
        assert search_nr(x, 15.36e6, 1842.5e6) == []


def test_lte_and_other_give_no_decoded_nr_cell():
    from rfclassify.signals.emitters import EMITTERS, emitter_signal
    from rfclassify.signals.scene import Scene, render

    lte = render(Scene("lte", 0.02, 15.36e6, snr_db=20.0, params={"bandwidth_mhz": 10.0}), 1)
    assert not any(c.decoded for c in search_nr(lte.samples, 15.36e6, 1842.5e6))
    rng = np.random.default_rng(4)
    kinds = [k for k in ("wifi_ofdm", "dvbt_like", "fm_broadcast") if k in EMITTERS]
    kinds += [k for k in sorted(EMITTERS) if k not in kinds][:3]
    for kind in kinds:
        w = emitter_signal(kind, 0.002, 15.36e6, rng)
        x = w.samples + 0.01 * (
            rng.standard_normal(w.samples.size) + 1j * rng.standard_normal(w.samples.size)
        )
        assert not any(c.decoded for c in search_nr(x, 15.36e6, 2.4e9)), kind
