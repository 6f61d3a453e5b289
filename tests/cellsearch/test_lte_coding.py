"""LTE cell search building blocks: CRC, tail-biting convolutional code, rate matching, the
sequences (against the training generator's independent implementation), MIB <-> PBCH."""

import numpy as np
import pytest

from rfclassify.cellsearch import coding
from rfclassify.cellsearch.lte_pbch import (
    PBCH_E,
    PORT_MASKS,
    decode_frames,
    mib_bits,
    parse_mib,
    pbch_codeword,
    pbch_positions,
)
from rfclassify.cellsearch.lte_phy import crs, gold_sequence, sss_lead
from rfclassify.cellsearch.lte_sync import pss_sequence, sss_sequence
from rfclassify.cellsearch.lte_transmitter import LteTxConfig, subframe_grid


def test_crc_check_values():
    data = np.unpackbits(np.frombuffer(b"123456789", np.uint8))
    assert coding.int_from_bits(coding.crc(data, coding.CRC16)) == 0x31C3  # CRC-16/XMODEM
    assert coding.int_from_bits(coding.crc(data, coding.CRC24A)) == 0xCDE703  # CRC-24/LTE-A
    word = coding.crc_attach(data, coding.CRC24C)
    assert not coding.crc_check(word, coding.CRC24C).any()
    word[3] ^= 1
    assert coding.crc_check(word, coding.CRC24C).any()


def test_viterbi_round_trip_with_noise():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, (50, 40)).astype(np.uint8)
    coded = coding.conv_encode(bits)
    assert coded.shape == (50, 3, 40)
    llr = (1 - 2.0 * coded) + rng.normal(0, 0.7, coded.shape)
    assert (coding.viterbi_decode(llr) == bits).mean() > 0.999
    # noiseless: exact, whatever the block
    assert (coding.viterbi_decode(1 - 2.0 * coded) == bits).all()


def test_conv_encoder_is_tail_biting():
    bits = np.zeros(40, dtype=np.uint8)
    bits[-1] = 1  # the register starts holding the block's last bits: c_{-1} = c_39
    # the D^1 taps of 133, 171, 165 (octal: 1011011, 1111001, 1110101) are 0, 1, 1
    assert coding.conv_encode(bits)[:, 0].tolist() == [0, 1, 1]
    bits = np.roll(bits, -5)  # c_34 = 1: the D^6 taps, all set
    assert coding.conv_encode(bits)[:, 0].tolist() == [1, 1, 1]


@pytest.mark.parametrize("e", [1920, 1728, 100])
def test_rate_matching_round_trip(e):
    rng = np.random.default_rng(e)
    coded = rng.integers(0, 2, (3, 40)).astype(np.uint8)
    sent = coding.rate_match(coded, e)
    assert sent.shape == (e,)
    back = coding.rate_recover(1 - 2.0 * sent, 40, 0, e)
    seen = back != 0
    assert (np.sign(back[seen]) == 1 - 2.0 * coded[seen]).all()
    if e >= 120:
        assert seen.all()
    # one PBCH frame of four: bits e/4 .. e/2 alone recover every coded bit too
    if e in (1920, 1728):
        q = e // 4
        part = coding.rate_recover(1 - 2.0 * sent[q : 2 * q], 40, q, e)
        assert (np.sign(part) == 1 - 2.0 * coded).all()


def test_subblock_interleaver_first_columns():
    # D = 40: R = 2 rows, 24 dummies; column 1 (first read) holds y1 = dummy and y33 = d9
    idx = coding.rate_match_indices(40, 120)
    assert idx[0] == 9 and idx[1] == 25 and idx.max() == 119


def test_sequences_match_the_generator():
    from rfclassify.signals import lte_frame
    from rfclassify.signals.common import gold_sequence as gen_gold

    assert np.array_equal(gold_sequence(0x12345, 300), gen_gold(0x12345, 300))
    for u in range(3):
        assert np.allclose(pss_sequence(u), lte_frame.pss(u))
    for n1 in (0, 1, 29, 30, 100, 167):
        for sf in (0, 5):
            assert np.allclose(sss_sequence(n1, 2, sf), lte_frame.sss(n1, 2, sf))
    k, val = crs(301, 0, 3, 4, "normal", 25)
    assert np.allclose(val, lte_frame.crs_values(301, 3, 4, 25, "normal"))
    assert k[0] == 301 % 6 + 3


def test_sync_spacing():
    assert sss_lead("FDD", "normal") == 137 and sss_lead("TDD", "normal") == 412
    assert sss_lead("FDD", "extended") == 160 and sss_lead("TDD", "extended") == 480


def test_mib_fields_round_trip():
    bits = mib_bits(75, 1023, "extended", "1/6", spare=0b1000010000)
    mib = parse_mib(bits, 3)
    assert mib["dl_bandwidth_rb"] == 75 and mib["sfn"] == 1023
    assert mib["phich_duration"] == "extended" and mib["phich_resource"] == "1/6"
    assert mib["scheduling_info_sib1_br"] == 16 and mib["system_info_unchanged_br"] is True
    bad = bits.copy()
    bad[:3] = 1  # dl-Bandwidth code 7 is not used
    assert parse_mib(bad, 0) is None


@pytest.mark.parametrize("ports", [1, 2, 4])
def test_pbch_codeword_carries_the_port_mask(ports):
    mib = mib_bits(50, 100)
    e = pbch_codeword(mib, ports, "normal")
    assert e.shape == (PBCH_E["normal"],)
    llr = coding.rate_recover(1 - 2.0 * e, 40, 0, 1920)
    word = coding.viterbi_decode(llr)
    assert coding.int_from_bits(coding.crc_check(word)) == PORT_MASKS[ports]


@pytest.mark.parametrize("cp", ["normal", "extended"])
def test_pbch_positions(cp):
    sym, k = pbch_positions(7, cp)
    assert sym.size == PBCH_E[cp] // 8
    assert not np.any(((k - 7) % 3 == 0) & np.isin(sym % 7 if cp == "normal" else sym % 6, [0, 1]))


@pytest.mark.parametrize(
    ("pci", "ports", "cp", "sfn"),
    [(0, 1, "normal", 0), (503, 2, "normal", 517), (1, 4, "extended", 1022), (2, 2, "extended", 3)],
)
def test_mib_to_pbch_to_mib_noiseless(pci, ports, cp, sfn):
    config = LteTxConfig(pci=pci, n_rb=6, ports=ports, cp=cp, sfn=sfn, phich_resource="2")
    rng = np.random.default_rng(pci)
    gains = np.exp(2j * np.pi * rng.random(ports))
    grids = []
    for frame in range(2):
        g = subframe_grid(config, (sfn + frame) % 1024, 0, rng)
        grids.append(np.tensordot(gains, g, axes=(0, 0)))
    out = decode_frames(grids, pci, cp)
    assert out is not None
    assert out["ports"] == ports and out["frames"] == ([0, 1] if sfn % 4 != 3 else [0])
    assert out["mib"]["sfn"] == sfn and out["mib"]["dl_bandwidth_rb"] == 6
    assert out["mib"]["phich_resource"] == "2"
    # the wrong cell's scrambling never passes
    assert decode_frames(grids, (pci + 3) % 504, cp) is None
