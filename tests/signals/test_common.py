import numpy as np
import pytest

from rfclassify.signals.common import (
    gold_sequence,
    ofdm_modulate,
    qam_from_bits,
    qpsk_from_bits,
    random_qam,
)


def reference_gold(c_init: int, length: int) -> list[int]:
    """TS 36.211 §7.2 written out bit by bit, the way the standard states it."""
    nc = 1600
    x1 = [1] + [0] * 30
    x2 = [(c_init >> i) & 1 for i in range(31)]
    for n in range(length + nc):
        x1.append((x1[n + 3] + x1[n]) % 2)
        x2.append((x2[n + 3] + x2[n + 2] + x2[n + 1] + x2[n]) % 2)
    return [(x1[n + nc] + x2[n + nc]) % 2 for n in range(length)]


@pytest.mark.parametrize("c_init", [0, 1, 0x1234567, 2**31 - 1, 503 * 1024 + 7])
@pytest.mark.parametrize("length", [1, 27, 28, 29, 400])
def test_gold_sequence_matches_the_standard_bit_by_bit(c_init, length):
    assert gold_sequence(c_init, length).tolist() == reference_gold(c_init, length)


def test_gold_sequence_rejects_wide_seeds():
    with pytest.raises(ValueError, match="31 bits"):
        gold_sequence(2**31, 10)


def test_qpsk_table():
    got = qpsk_from_bits(np.array([0, 0, 0, 1, 1, 0, 1, 1]))
    expected = np.array([1 + 1j, 1 - 1j, -1 + 1j, -1 - 1j]) / np.sqrt(2)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_16qam_matches_ts_36_211_table_7_1_3_1():
    # A few rows of the table: b0b1b2b3 -> I, Q (times sqrt 10)
    rows = {
        "0000": (1, 1),
        "0001": (1, 3),
        "0010": (3, 1),
        "0011": (3, 3),
        "1000": (-1, 1),
        "1111": (-3, -3),
    }
    for bits, (i, q) in rows.items():
        got = qam_from_bits(np.array([int(b) for b in bits]), "16QAM")[0] * np.sqrt(10)
        assert got == pytest.approx(complex(i, q), abs=1e-5), bits


def test_64qam_corner_and_256qam_levels():
    # 64QAM "000000" -> (3 + 3j)/sqrt 42 per TS 36.211 Table 7.1.4-1
    assert qam_from_bits(np.zeros(6, int), "64QAM")[0] * np.sqrt(42) == pytest.approx(3 + 3j)
    rng = np.random.default_rng(0)
    sym = random_qam(rng, 20_000, "256QAM") * np.sqrt(170)
    assert sorted(set(np.round(sym.real).astype(int))) == list(range(-15, 16, 2))


@pytest.mark.parametrize("mod", ["QPSK", "16QAM", "64QAM", "256QAM"])
def test_every_constellation_has_unit_average_power(mod):
    sym = random_qam(np.random.default_rng(1), 50_000, mod)
    assert np.mean(np.abs(sym) ** 2) == pytest.approx(1.0, rel=0.02)


def test_unknown_modulation():
    with pytest.raises(ValueError, match="unknown modulation"):
        qam_from_bits(np.zeros(4), "8PSK")


def test_ofdm_modulate_prefixes_each_symbol_with_its_own_tail():
    rng = np.random.default_rng(2)
    nfft = 128
    spectra = rng.standard_normal((3, nfft)) + 1j * rng.standard_normal((3, nfft))
    cps = np.array([10, 9, 9])
    x = ofdm_modulate(spectra, cps)
    assert x.size == cps.sum() + 3 * nfft
    start = 0
    for s in range(3):
        cp, body = x[start : start + cps[s]], x[start + cps[s] : start + cps[s] + nfft]
        np.testing.assert_allclose(cp, body[-cps[s] :], atol=1e-5)
        np.testing.assert_allclose(np.fft.fft(body) / np.sqrt(nfft), spectra[s], atol=1e-4)
        start += cps[s] + nfft


def test_ofdm_modulate_handles_prefixes_longer_than_the_symbol_and_mixed_ones():
    """Wi-Fi's L-STF has a 96-sample prefix on a 64-point symbol: the prefix wraps around."""
    rng = np.random.default_rng(3)
    nfft = 64
    spectra = rng.standard_normal((4, nfft)) + 1j * rng.standard_normal((4, nfft))
    cps = np.array([96, 32, 0, 16])
    x = ofdm_modulate(spectra, cps)
    assert x.dtype == np.complex64 and x.size == cps.sum() + 4 * nfft
    body = np.fft.ifft(spectra, axis=1) * np.sqrt(nfft)
    start = 0
    for s, cp in enumerate(cps):
        expected = body[s][np.arange(-cp, nfft) % nfft]  # the symbol, periodically extended
        np.testing.assert_allclose(x[start : start + cp + nfft], expected, atol=1e-5)
        start += cp + nfft


def test_complex_gaussian_is_circular_unit_power_white_and_reproducible():
    from scipy import stats

    from rfclassify.signals.common import complex_gaussian

    z = complex_gaussian(np.random.default_rng(0), 1_000_000, 2.0)
    assert z.dtype == np.complex64
    assert np.mean(np.abs(z) ** 2) == pytest.approx(4.0, rel=0.01)
    parts = np.stack([z.real, z.imag]) / np.sqrt(2.0)  # each N(0, 1)
    assert np.abs(parts.mean(axis=1)).max() < 0.01 and abs(np.mean(parts[0] * parts[1])) < 0.01
    for part in parts:
        assert np.var(part) == pytest.approx(1.0, rel=0.01)
        assert stats.kurtosis(part) == pytest.approx(0.0, abs=0.03)
        assert stats.kstest(part[:200_000], "norm").pvalue > 1e-3
    spectrum = np.mean(np.abs(np.fft.fft(z[: 1 << 19].reshape(-1, 256), axis=1)) ** 2, axis=0)
    assert spectrum.max() / spectrum.min() < 1.3  # white: no bin stands out
    again = complex_gaussian(np.random.default_rng(0), 1_000_000, 2.0)
    assert np.array_equal(z, again)


def test_unit_power_counts_only_the_on_time():
    from rfclassify.signals.common import unit_power

    x = np.zeros(1000, np.complex64)
    x[:250] = 3.0
    assert np.mean(np.abs(unit_power(x, 0.25)[:250]) ** 2) == pytest.approx(1.0, rel=1e-5)
    assert np.array_equal(unit_power(np.zeros(4, np.complex64)), np.zeros(4))
