"""NR cell search on real captures (../shared/real-captures/, skipped when absent): the two
operator/gNB subframes holding an SS/PBCH block give their PCI and a decoded MIB; the subframes
without an SSB, LTE, Wi-Fi and noise give no decoded NR cell."""

from pathlib import Path

import pytest

from rfclassify.cellsearch import search_nr
from rfclassify.io.recording import open_recording

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "real-captures"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-captures is absent")


def _search(name, seconds=None, center=True, **kw):
    rec = open_recording(REAL / f"{name}.sigmf-meta")
    count = None if seconds is None else min(rec.num_samples, round(seconds * rec.sample_rate))
    x = rec.read(0, count)
    return search_nr(x, rec.sample_rate, rec.center_freq if center else None, **kw)


def test_operator_n1_ssb_pci_191_mib_decoded():
    cells = _search("nr_fdd_n1_2135MHz_operator_ssb_1ms")
    assert [c.pci for c in cells] == [191]
    c = cells[0]
    assert c.decoded and c.ssb_index == 0 and c.details["scs_khz"] == 15
    assert c.mib["subcarrier_spacing_common_khz"] == 15 and c.mib["message"] == "mib"
    assert c.details["gscn"] == 5336  # SS_REF 2134.85 MHz, 150 kHz below the capture centre
    assert abs(c.freq_offset_hz + 150e3) < 500


def test_gnb_n3_ssb_pci_500_mib_decoded():
    cells = _search("nr_fdd_n3_1842MHz_gnb_ssb_1ms")
    assert [c.pci for c in cells] == [500]
    c = cells[0]
    assert c.decoded and c.ssb_index == 0
    assert c.mib["coreset_zero"] == 6  # the file's name says CORESET#0 index 6
    assert abs(c.details["ss_ref_hz"] - 1842.05e6) < 500  # its description: SSB at 1842.05 MHz


def test_blind_search_finds_the_operator_cell_too():
    cells = _search("nr_fdd_n1_2135MHz_operator_ssb_1ms", center=False, scs_khz=(15,))
    assert cells and cells[0].decoded and cells[0].pci == 191


@pytest.mark.parametrize(
    "name", ["nr_fdd_n1_2135MHz_operator_sib1_1ms", "nr_fdd_n1_2135MHz_operator_pdsch_1ms"]
)
def test_subframes_without_ssb(name):
    assert not any(c.decoded and c.pci != 191 for c in _search(name))


@pytest.mark.parametrize(
    "name,seconds",
    [
        ("lte_fdd_b3_1815MHz_hackrf", 0.01),
        ("lte_tdd_b40_2360MHz_hackrf", 0.01),
        ("lte_fdd_b20_796MHz_rtlsdr_centre", 0.02),
        ("noise_gps_l1_usrp_4ms", None),
        ("wifi_80211n_20MHz_usrp_1ms", None),
    ],
)
def test_not_nr(name, seconds):
    assert not any(c.decoded for c in _search(name, seconds))


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["lte_fdd_b3_1815MHz_hackrf", "lte_tdd_b40_2360MHz_hackrf", "wifi_80211n_20MHz_usrp_8ms"],
)
def test_not_nr_whole_files(name):
    assert not any(c.decoded for c in _search(name))
