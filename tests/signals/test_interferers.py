"""Hard negatives: non-3GPP OFDM, narrowband links and spur combs are what they claim to be."""

import numpy as np
import pytest
from scipy import signal

from rfclassify.signals.interferers import generic_ofdm, narrowband_carrier, spur_comb


def spectrum(x, fs, nperseg=8192):
    f, p = signal.welch(x, fs, nperseg=nperseg, return_onesided=False, detrend=False)
    order = np.argsort(f)
    return f[order], p[order]


def test_generic_ofdm_never_uses_a_3gpp_subcarrier_spacing():
    for seed in range(60):
        scs = generic_ofdm(0.002, 15.36e6, np.random.default_rng(seed)).params["scs_hz"]
        assert not any(abs(scs - s) / s < 0.09 for s in (15e3, 30e3, 60e3)), scs


def test_generic_ofdm_is_ofdm_with_the_cyclic_prefix_it_reports():
    fs = 7.68e6
    w = generic_ofdm(0.004, fs, np.random.default_rng(1), scs_hz=20e3, cp_fraction=0.125,
                     bursty=False)  # fmt: skip
    nfft, cp = w.params["nfft"], w.params["cp_samples"]
    assert nfft == 384 and cp == 48
    x = w.samples
    for start in range(0, 5 * (nfft + cp), nfft + cp):  # each CP repeats its symbol's tail
        np.testing.assert_allclose(x[start : start + cp], x[start + nfft : start + nfft + cp],
                                   atol=1e-5)  # fmt: skip
    f, p = spectrum(x, fs)
    inside = np.abs(f) < w.occupied_bandwidth / 2 * 0.95
    outside = np.abs(f) > w.occupied_bandwidth / 2 * 1.2
    assert 10 * np.log10(p[inside].mean() / p[outside].mean()) > 20


def test_narrowband_carrier_sits_at_its_offset_with_its_bandwidth():
    fs = 3.84e6
    w = narrowband_carrier(0.05, fs, np.random.default_rng(2), symbol_rate=100e3,
                           offset_hz=600e3, rolloff=0.35, bursty=False)  # fmt: skip
    f, p = spectrum(w.samples, fs)
    centre = np.sum(f * p) / p.sum()
    assert centre == pytest.approx(600e3, abs=10e3)
    c = np.cumsum(p) / p.sum()
    obw = f[np.searchsorted(c, 0.995)] - f[np.searchsorted(c, 0.005)]
    assert obw == pytest.approx(w.params["symbol_rate"] * 1.35, rel=0.15)


def test_spur_comb_lines_are_where_the_parameters_say():
    fs = 15.36e6
    w = spur_comb(0.02, fs, np.random.default_rng(4), count=5)
    f, p = spectrum(w.samples, fs, nperseg=16384)
    floor = np.median(p)
    for line in w.params["frequencies_hz"]:
        near = np.abs(f - line) < 5e3  # the lines wander by up to 2 kHz
        assert p[near].max() > 1e3 * floor, line
    lines = np.asarray(w.params["frequencies_hz"])
    steps = np.diff(lines) / w.params["fundamental_hz"]
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)  # harmonics of one clock


def test_narrowband_carrier_keeps_the_drawn_symbol_rate_exactly():
    """Resampled by the Fourier method at the exact ratio: no rational approximation of it."""
    params = {"offset_hz": 0.0, "rolloff": 0.25, "modulation": "QPSK", "bursty": False}
    w = narrowband_carrier(0.02, 1.92e6, np.random.default_rng(7), symbol_rate=37_123.0, **params)
    assert w.params["symbol_rate"] == 37_123.0
    assert w.samples.dtype == np.complex64 and w.samples.size == round(0.02 * 1.92e6)
    # the power at the symbol rate's spectral lines of |x|^2 (a QPSK envelope's cyclostationarity)
    envelope = np.abs(w.samples.astype(complex)) ** 2
    spectrum = np.abs(np.fft.fft(envelope - envelope.mean()))
    freqs = np.fft.fftfreq(envelope.size, 1 / 1.92e6)
    peak = freqs[np.argmax(spectrum * (freqs > 10e3))]
    assert peak == pytest.approx(37_123.0, abs=1.92e6 / envelope.size)
