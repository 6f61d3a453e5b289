"""NR PBCH coding: CRC-24C, polar code (38.212 §5.3.1, §5.4.1), PBCH payload (§7.1)."""

import numpy as np
import pytest

from rfclassify.cellsearch import nr_pbch, polar
from rfclassify.cellsearch.nr_crc import attach_crc24c, check_crc24c, crc24c


def test_crc24c_is_the_polynomial_and_catches_errors():
    # a message that is the generator itself, shifted: D^24 + ... leaves remainder 0
    g = np.array([1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 1])
    assert not crc24c(g).any()
    assert not crc24c(np.zeros(40, dtype=np.uint8)).any()
    one = np.zeros(32, dtype=np.uint8)
    one[-1] = 1  # the remainder of D^24 is the polynomial's low 24 bits
    assert "".join(map(str, crc24c(one))) == format(0xB2B117, "024b")
    rng = np.random.default_rng(0)
    for _ in range(20):
        block = attach_crc24c(rng.integers(0, 2, 32).astype(np.uint8))
        assert check_crc24c(block)
        for i in rng.choice(56, 5, replace=False):
            bad = block.copy()
            bad[i] ^= 1
            assert not check_crc24c(bad)
    rows = np.stack([attach_crc24c(rng.integers(0, 2, 32).astype(np.uint8)) for _ in range(4)])
    rows[1, 3] ^= 1
    assert check_crc24c(rows).tolist() == [True, False, True, True]


def test_polar_tables():
    assert sorted(polar.RELIABILITY.tolist()) == list(range(1024))
    assert polar.RELIABILITY[:8].tolist() == [0, 1, 2, 4, 8, 16, 32, 3]
    assert polar.RELIABILITY[-3:].tolist() == [1021, 1022, 1023]
    assert sorted(polar.INTERLEAVER_MAX.tolist()) == list(range(164))
    assert sorted(polar.SUBBLOCK_PATTERN.tolist()) == list(range(32))
    assert sorted(polar.input_interleaver(56).tolist()) == list(range(56))
    assert polar.code_length(56, 864) == 512
    assert sorted(polar.subblock_interleaver(512).tolist()) == list(range(512))


@pytest.mark.parametrize("k,e", [(56, 864), (40, 108), (64, 100), (30, 512), (25, 40)])
def test_polar_round_trip_noiseless(k, e):
    rng = np.random.default_rng(k + e)
    for _ in range(3):
        c = attach_crc24c(rng.integers(0, 2, k - 24).astype(np.uint8))
        f = polar.encode(c, e)
        assert f.size == e
        out, ok = polar.decode(4.0 * (1.0 - 2.0 * f), k, check_crc24c)
        assert ok and np.array_equal(out, c)


def test_polar_list_decoder_corrects_noise():
    rng = np.random.default_rng(7)
    good = 0
    for _ in range(10):
        c = attach_crc24c(rng.integers(0, 2, 32).astype(np.uint8))
        s = 1.0 - 2.0 * polar.encode(c, 864)
        sigma = 10 ** (3 / 20)  # Es/N0 = -3 dB per coded bit (BPSK)
        y = s + sigma * rng.standard_normal(s.size)
        out, ok = polar.decode(2 * y / sigma**2, 56, check_crc24c)
        good += ok and np.array_equal(out, c)
    assert good >= 9
    # noise alone: the CRC rejects
    bad = sum(polar.decode(rng.standard_normal(864), 56, check_crc24c)[1] for _ in range(10))
    assert bad == 0


MIB = {
    "sfn": 781,
    "subcarrier_spacing_common_khz": 30,
    "k_ssb": 23,
    "dmrs_type_a_position": 3,
    "coreset_zero": 12,
    "search_space_zero": 5,
    "cell_barred": "barred",
    "intra_freq_reselection": "notAllowed",
    "spare": 1,
}


def test_payload_bits_round_trip():
    a = nr_pbch.mib_payload(MIB, half_frame=1)
    assert a.size == 32 and a[0] == 0
    out = nr_pbch.parse_payload(a)
    assert {k: out[k] for k in MIB} == MIB
    assert out["half_frame"] == 1
    assert sorted(nr_pbch._payload_order().tolist()) == list(range(32))


@pytest.mark.parametrize("pci,ssb,hf,l_max", [(0, 0, 0, 4), (500, 3, 1, 4), (1007, 6, 1, 8)])
def test_pbch_encode_decode_noiseless(pci, ssb, hf, l_max):
    sym = nr_pbch.pbch_symbols(MIB, pci, ssb, hf, l_max)
    assert sym.size == 432
    llr = np.stack([sym.real, sym.imag], axis=1).ravel() * 10
    out = nr_pbch.pbch_decode(llr, pci, ssb, l_max)
    assert out is not None
    assert {k: out[k] for k in MIB} == MIB and out["half_frame"] == hf
    # a wrong PCI or SSB index (its scrambling) fails the CRC
    assert nr_pbch.pbch_decode(llr, (pci + 1) % 1008, ssb, l_max) is None
    assert nr_pbch.pbch_decode(llr, pci, (ssb + 1) % 4, l_max) is None
