"""LTE cell search on real over-the-air captures (../shared/real-captures/, skipped when absent):
each LTE file holds a cell whose PBCH decodes with a passing CRC, which is the proof of its
PCI; the NR, Wi-Fi and noise files hold none."""

from pathlib import Path

import pytest

from rfclassify.cellsearch.lte_search import search_lte
from rfclassify.io.recording import open_recording

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "real-captures"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-captures is absent")

# name: (PCI, duplex, ports, dl-Bandwidth in RB), as decoded (CRC passed) from the first 40 ms
LTE_FILES = {
    "lte_fdd_b3_1815MHz_hackrf": (301, "FDD", 2, 100),
    "lte_tdd_b40_2360MHz_hackrf": (30, "TDD", 1, 100),
    "lte_fdd_b20_796MHz_rtlsdr_centre": (360, "FDD", 2, 50),
}
OTHER_FILES = [
    "nr_fdd_n1_2135MHz_operator_ssb_1ms",
    "nr_fdd_n1_2135MHz_operator_sib1_1ms",
    "nr_fdd_n1_2135MHz_operator_pdsch_1ms",
    "nr_fdd_n3_1842MHz_gnb_ssb_1ms",
    "wifi_80211n_20MHz_usrp_1ms",
    "wifi_80211n_20MHz_usrp_8ms",
    "noise_gps_l1_usrp_4ms",
]


def _read(name):
    rec = open_recording(REAL / f"{name}.sigmf-meta")
    return rec, rec.read()


@pytest.mark.parametrize("name", sorted(LTE_FILES))
def test_real_lte_cell_decodes(name):
    pci, duplex, ports, n_rb = LTE_FILES[name]
    rec, x = _read(name)
    cells = search_lte(x, rec.sample_rate, rec.center_freq)
    decoded = [c for c in cells if c.decoded]
    assert decoded, f"{name}: no decoded cell"
    cell = decoded[0]
    assert (cell.pci, cell.duplex, cell.cp) == (pci, duplex, "normal")
    assert cell.details["ports"] == ports and cell.mib["dl_bandwidth_rb"] == n_rb
    assert cell.details["carrier_freq_hz"] == rec.center_freq  # each capture is centred on it
    assert abs(cell.details["cfo_hz"]) < 60e3  # the SDRs' oscillator errors (RTL-SDR ~ -62 ppm)
    # the second half of the capture: the same cell, its SFN four frames on
    half = round(0.04 * rec.sample_rate)
    later = [c for c in search_lte(x[half:], rec.sample_rate, rec.center_freq) if c.decoded]
    assert later and later[0].pci == pci
    assert later[0].mib["sfn"] == (cell.mib["sfn"] + 4) % 1024


@pytest.mark.parametrize("name", OTHER_FILES)
def test_real_non_lte_gives_no_decoded_cell(name):
    rec, x = _read(name)
    cells = search_lte(x, rec.sample_rate, rec.center_freq)
    assert not any(c.decoded for c in cells)
