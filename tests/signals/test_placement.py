import numpy as np
import pytest
from scipy.signal import welch

from rfclassify.signals.common import Waveform
from rfclassify.signals.placement import combine, place, rational_ratio, resample


def tone_waveform(freq, rate, seconds=0.01, bandwidth=1e3):
    n = round(rate * seconds)
    x = np.exp(2j * np.pi * freq * np.arange(n) / rate)
    return Waveform(x, rate, "Other", bandwidth, {"kind": "cw"})


def wideband_waveform(rate, bandwidth, seconds=0.02, seed=0):
    """Flat noise-like carrier of the given bandwidth (an OFDM stand-in)."""
    rng = np.random.default_rng(seed)
    n = round(rate * seconds)
    spec = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    f = np.fft.fftfreq(n, 1 / rate)
    spec[np.abs(f) > bandwidth / 2] = 0
    return Waveform(np.fft.ifft(spec), rate, "LTE", bandwidth)


def peak_frequency(x, rate):
    f, p = welch(x, fs=rate, nperseg=4096, return_onesided=False)
    return f[np.argmax(p)]


def test_3gpp_rates_resample_with_exact_small_ratios():
    assert rational_ratio(30.72e6, 15.36e6) == 2
    assert rational_ratio(61.44e6, 23.04e6) == pytest.approx(8 / 3)
    assert rational_ratio(2.4e6, 30.72e6) == pytest.approx(2.4 / 30.72)
    x = np.ones(1000, np.complex64)
    assert resample(x, 15.36e6, 30.72e6).size == 2000


@pytest.mark.parametrize(
    "native,capture,offset",
    [(15.36e6, 30.72e6, 5e6), (30.72e6, 30.72e6, -3e6), (30.72e6, 7.68e6, 1e6)],
)
def test_a_tone_lands_at_its_frequency_plus_the_offset(native, capture, offset):
    w = place(tone_waveform(2e6, native), capture, offset)
    assert w.sample_rate == capture
    target = 2e6 + offset
    if abs(target) < capture / 2:
        assert peak_frequency(w.samples, capture) == pytest.approx(target, abs=capture / 4096 * 2)
    assert w.samples.size == pytest.approx(0.01 * capture, abs=2)


def test_partial_view_of_a_wide_carrier_fills_the_narrow_capture_without_aliasing():
    # An RTL-SDR at 2.4 MS/s inside an 18 MHz-wide carrier: flat in band, nothing folded in.
    carrier = wideband_waveform(30.72e6, 18e6)
    w = place(carrier, 2.4e6, offset_hz=4e6)
    f, p = welch(w.samples, fs=2.4e6, nperseg=1024, return_onesided=False, detrend=False)
    order = np.argsort(f)
    f, p = f[order], p[order]
    bands = [p[(f >= lo) & (f < lo + 0.3e6)].mean() for lo in np.arange(-0.9e6, 0.9e6, 0.3e6)]
    assert 10 * np.log10(max(bands) / min(bands)) < 1.0  # flat within 1 dB across the view
    assert w.occupied_bandwidth == pytest.approx(2.4e6)
    assert w.params["visible_fraction"] == pytest.approx(2.4 / 18)


def test_a_carrier_at_the_edge_is_cut_by_the_view():
    carrier = wideband_waveform(15.36e6, 9e6)
    w = place(carrier, 15.36e6, offset_hz=6e6)  # 1.5..10.5 MHz: only 1.5..7.68 visible
    assert w.occupied_bandwidth == pytest.approx(7.68e6 - 1.5e6)
    f, p = welch(w.samples, fs=15.36e6, nperseg=1024, return_onesided=False)
    assert p[(f > -7e6) & (f < 0.5e6)].mean() < p[(f > 2.5e6) & (f < 7e6)].mean() / 100


def test_offsets_outside_the_band_are_refused():
    with pytest.raises(ValueError, match="outside"):
        place(tone_waveform(0, 1.92e6, bandwidth=1e5), 1.92e6, offset_hz=1.1e6)


def test_two_carriers_side_by_side_keep_their_requested_powers():
    a = place(wideband_waveform(15.36e6, 9e6, seed=1), 30.72e6, -7e6)
    b = place(wideband_waveform(15.36e6, 9e6, seed=2), 30.72e6, +7e6)
    mix = combine([a, b], [0.0, -6.0])
    f, p = welch(mix, fs=30.72e6, nperseg=2048, return_onesided=False)
    left = p[(f > -10e6) & (f < -4e6)].mean()
    right = p[(f > 4e6) & (f < 10e6)].mean()
    assert 10 * np.log10(left / right) == pytest.approx(6.0, abs=0.5)
    with pytest.raises(ValueError, match="share one rate"):
        combine([a, tone_waveform(0, 1.92e6)])


@pytest.mark.parametrize(
    ("native", "bandwidth", "capture", "offset"),
    [
        (122.88e6, 98e6, 15.36e6, -9.93e6),  # narrow view into a wide carrier
        (30.72e6, 18e6, 30.72e6, 4e6),  # same rate, band stays inside
        (30.72e6, 18e6, 2.4e6, 3e6),
    ],
)
def test_shift_at_the_native_rate_matches_the_oversampled_path(native, bandwidth, capture, offset):
    """The shortcut (shift at the native rate) gives what shifting at a wider rate gives."""
    from rfclassify.signals.placement import frequency_shift

    w = wideband_waveform(native, bandwidth, seconds=0.004)
    fast = place(w, capture, offset).samples
    high = native * 4
    slow = resample(frequency_shift(resample(w.samples, native, high), offset, high), high, capture)
    n = min(fast.size, slow.size)
    core = slice(200, n - 200)  # the filters' start-up and tail
    error = np.mean(np.abs(fast[core] - slow[core]) ** 2) / np.mean(np.abs(slow[core]) ** 2)
    assert 10 * np.log10(error) < -40


# --- the fast paths: what they must keep of scipy's -------------------------------------------


@pytest.mark.parametrize(
    ("up", "down", "n", "beta"),
    [(2, 1, 10_000, 8.0), (1, 2, 10_001, 8.0), (5, 128, 300_000, 8.0), (3, 4, 777, 8.0),
     (12, 1, 5_000, 8.0), (384, 125, 20_000, 5.0), (168, 25, 9_000, 5.0), (1, 3, 40_000, 5.0)],
)  # fmt: skip
def test_resample_rational_is_resample_poly_in_the_frequency_domain(up, down, n, beta):
    """The same filter, the same length, the same edges (zeros outside): within 2e-4 of the rms
    with beta 8; with beta 5, whose sidelobes stay above 1e-4 further out, within 2e-3."""
    from scipy.signal import resample_poly

    from rfclassify.signals.placement import resample_rational

    rng = np.random.default_rng(up * 1000 + down)
    x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
    ours = resample_rational(x, up, down, beta)
    theirs = resample_poly(x, up, down, window=("kaiser", beta))
    assert ours.dtype == np.complex64 and ours.size == theirs.size
    rms = np.sqrt(np.mean(np.abs(theirs) ** 2))
    assert np.max(np.abs(ours - theirs)) < (2e-4 if beta == 8.0 else 2e-3) * rms


def test_frames_cut_rows_with_zeros_outside_the_signal():
    from rfclassify.signals.placement import frames

    x = np.arange(10, dtype=np.complex64)
    cases = [([-3, 0, 3, 6, 9], 4), ([0, 2, 4, 6], 4), ([-2, 3], 20), ([0, 1, 3, 6], 3), ([], 4)]
    for starts, length in cases:
        got = frames(x, np.array(starts, np.int64), length)
        rows = [[x[i] if 0 <= i < x.size else 0 for i in range(s, s + length)] for s in starts]
        np.testing.assert_array_equal(got, np.array(rows, np.complex64).reshape(-1, length))


@pytest.mark.parametrize("n", [1 << 17, 1_275_000, 1_251_328, 400_006])
def test_four_step_transform_is_the_dft(n):
    from scipy import fft

    from rfclassify.signals.placement import _four_step

    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
    reference = fft.fft(x)
    forward = _four_step(x.copy(), -1).reshape(-1)
    assert np.max(np.abs(forward - reference)) < 1e-5 * np.max(np.abs(reference))
    back = _four_step(reference.astype(np.complex64), 1).reshape(-1)
    assert np.max(np.abs(back - x)) < 1e-4


@pytest.mark.parametrize("n", [77_337, 309_350, 1_237_401])
def test_fast_pairs_are_fast_lengths_on_the_asked_time_axis(n):
    from rfclassify.signals.placement import _fast_lengths, _fast_pair

    lengths, _ = _fast_lengths()
    rng = np.random.default_rng(n)
    for ppm in rng.uniform(2, 20, 20) * rng.choice([-1, 1], 20):  # the recipe's offsets
        ratio = 1 + ppm * 1e-6
        out_n = round(n * ratio)
        big_n, big_m = _fast_pair(n, ratio, out_n)
        assert big_n >= n + 64 and big_m == round(big_n * ratio)
        assert out_n * abs(big_n / big_m - 1 / ratio) <= 0.02
        assert big_n in lengths and big_m in lengths  # no prime factor above 127


def test_time_scale_without_a_fast_pair_is_scipys_fourier_resampling():
    from scipy.signal import resample

    from rfclassify.signals.placement import _fast_pair, time_scale

    n, ratio = 200, 1.005  # too short to pad (under 4 bridges): the lengths as they come
    x = np.exp(2j * np.pi * 0.1 * np.arange(n)).astype(np.complex64)
    np.testing.assert_allclose(time_scale(x, ratio, 201), resample(x, 201), atol=1e-4)
    n = 300_000  # a ratio this close to 1 needs N near 1 / 1e-7: beyond 8n, no pair
    assert _fast_pair(n, 1 + 1e-7, n) is None
