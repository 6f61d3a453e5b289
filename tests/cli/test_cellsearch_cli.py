"""`rfclassify cellsearch` on the real captures: the cells it proves, JSON lines, and silence
where there is no cell."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rfclassify.cli import main
from rfclassify.io import write_recording

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "real-captures"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="no ../shared/real-captures")


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main(["cellsearch", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@needs_real
def test_a_td_lte_capture_gives_its_decoded_cell_as_one_json_line(capsys):
    code, out, _ = run(capsys, REAL / "lte_tdd_b40_2360MHz_hackrf.sigmf-meta", "--rat", "lte",
                       "--json")  # fmt: skip
    assert code == 0
    cells = [json.loads(line) for line in out.splitlines()]
    decoded = [c for c in cells if c["decoded"]]
    assert decoded and decoded[0]["rat"] == "LTE" and decoded[0]["pci"] == 30
    assert decoded[0]["duplex"] == "TDD" and decoded[0]["mib"]["dl_bandwidth_rb"] == 100
    for key in ("n_id_2", "cp", "ssb_index", "freq_offset_hz", "snr_db", "start"):
        assert key in decoded[0]


@needs_real
def test_the_table_names_the_cell_and_its_mib(capsys):
    code, out, _ = run(capsys, REAL / "lte_fdd_b20_796MHz_rtlsdr_centre.sigmf-meta", "--rat", "lte")
    assert code == 0
    header, first = out.splitlines()[:2]
    assert header.split()[:3] == ["RAT", "PCI", "duplex"]
    assert first.split()[:3] == ["LTE", "360", "FDD"] and "50 RB" in first


@needs_real
def test_an_nr_ssb_gives_its_pci_ssb_index_and_mib(capsys):
    code, out, _ = run(capsys, REAL / "nr_fdd_n3_1842MHz_gnb_ssb_1ms.sigmf-meta", "--rat", "nr")
    assert code == 0
    first = out.splitlines()[1]
    assert first.split()[:2] == ["NR", "500"] and "CORESET#0 6" in first


def test_noise_gives_nothing_on_stdout_and_one_line_on_stderr(capsys, tmp_path):
    rng = np.random.default_rng(1)
    noise = (rng.standard_normal(76_800) + 1j * rng.standard_normal(76_800)) * 0.01
    meta = write_recording(tmp_path / "quiet.sigmf-meta", noise.astype(np.complex64), 1.92e6,
                           806e6)  # fmt: skip
    code, out, err = run(capsys, meta)
    assert code == 0 and out == ""
    assert err.count("\n") == 1 and "no LTE or NR cell" in err


def test_a_start_past_the_end_is_refused(capsys, tmp_path):
    meta = write_recording(tmp_path / "short.sigmf-meta", np.zeros(1000, np.complex64), 1.92e6)
    code, _, err = run(capsys, meta, "--start", "1")
    assert code == 1 and "past its end" in err
