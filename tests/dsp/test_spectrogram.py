"""The frontend puts energy where physics says it is, at every rate and window length."""

import numpy as np
import pytest

from rfclassify.dsp import Frontend, FrontendConfig, normalise, sliding_windows

RATES = [1.92e6, 7.68e6, 15.36e6, 30.72e6, 61.44e6]


def tone(freq: float, rate: float, n: int, amplitude: float = 1.0) -> np.ndarray:
    t = np.arange(n) / rate
    return (amplitude * np.exp(2j * np.pi * freq * t)).astype(np.complex64)


def noise(n: int, power_db: float = -60.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scale = np.sqrt(10 ** (power_db / 10) / 2)
    return (scale * (rng.standard_normal(n) + 1j * rng.standard_normal(n))).astype(np.complex64)


def bin_centre(freq: float, rate: float, nfft: int) -> float:
    return round(freq * nfft / rate) * rate / nfft


@pytest.mark.parametrize("rate", [1.92e6, 30.72e6, 61.44e6])
@pytest.mark.parametrize("fraction", [-0.37, -0.1, 0.0, 0.05, 0.31, 0.45])
def test_tone_lands_in_its_frequency_row(rate, fraction):
    cfg = FrontendConfig(window_ms=5.0)
    fe = Frontend(cfg)
    geo = fe.geometry(rate)
    f = bin_centre(fraction * rate, rate, cfg.nfft)
    x = tone(f, rate, geo.window_length) + noise(geo.window_length)
    db, valid = fe.power_db(x, rate)
    assert valid.all()
    row_profile = db[0].mean(axis=1)
    expected = geo.row_of_frequency(f)
    assert int(np.argmax(row_profile)) == expected
    # Rows are ordered by frequency: DC in the middle, negative below, positive above.
    if fraction == 0.0:
        assert expected == cfg.height // 2
    elif fraction < 0:
        assert expected < cfg.height // 2
    else:
        assert expected > cfg.height // 2
    # The physical row frequency agrees with the tone within one row's bandwidth.
    row_hz = rate / cfg.height
    assert abs(geo.row_frequencies()[expected] - f) <= row_hz


def test_full_scale_tone_reads_zero_dbfs():
    rate = 30.72e6
    fe = Frontend(FrontendConfig(height=256, nfft=256))
    geo = fe.geometry(rate)
    f = bin_centre(3e6, rate, 256)
    db, _ = fe.power_db(tone(f, rate, geo.window_length), rate)
    assert db[0].max() == pytest.approx(0.0, abs=0.1)


@pytest.mark.parametrize("height,nfft", [(128, 1024), (256, 64)])
def test_tone_row_when_fft_and_image_sizes_differ(height, nfft):
    rate = 15.36e6
    fe = Frontend(FrontendConfig(height=height, nfft=nfft, window_ms=4.0))
    geo = fe.geometry(rate)
    f = bin_centre(-2.5e6, rate, nfft)
    db, _ = fe.power_db(tone(f, rate, geo.window_length) + noise(geo.window_length), rate)
    profile = db[0].mean(axis=1)
    peak_rows = np.flatnonzero(profile > profile.max() - 1.0)
    assert geo.row_of_frequency(f) in peak_rows
    assert peak_rows.size == max(1, height // nfft)


@pytest.mark.parametrize("rate", [1.92e6, 30.72e6])
@pytest.mark.parametrize("where", [0.1, 0.5, 0.83])
@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_burst_lands_in_its_time_column(rate, where, pooling):
    cfg = FrontendConfig(window_ms=10.0, time_pooling=pooling)
    fe = Frontend(cfg)
    geo = fe.geometry(rate)
    column = int(where * cfg.width)
    first, last = geo.column_span(column)
    x = noise(geo.window_length, power_db=-70)
    f = bin_centre(1e5, rate, cfg.nfft)
    x[first:last] += tone(f, rate, last - first)
    db, _ = fe.power_db(x, rate)
    assert int(np.argmax(db[0][geo.row_of_frequency(f)])) == column
    assert geo.column_of_sample((first + last) // 2) == column
    assert geo.column_times()[column] == pytest.approx((first + last) / 2 / rate)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("window_ms", [1.0, 2.5, 20.0, 40.0])
@pytest.mark.parametrize("size", [(128, 128), (256, 256), (64, 96)])
def test_output_shape_and_dtype_for_any_rate_and_duration(rate, window_ms, size):
    h, w = size
    cfg = FrontendConfig(window_ms=window_ms, height=h, width=w, nfft=256)
    fe = Frontend(cfg)
    geo = fe.geometry(rate)
    x = noise(2 * geo.window_length).reshape(2, -1)
    img = fe(x, rate)
    assert img.shape == (2, 1, h, w)
    assert img.dtype == np.float32
    assert np.isfinite(img).all()
    # Frames never leave gaps; the integer hop leaves at most frames-1 samples at the ends,
    # and none at all for short windows (one frame per column, zero-padded instead).
    assert geo.hop <= geo.nfft
    assert geo.coverage >= 1 - (geo.frames - 1) / geo.window_length
    assert geo.coverage >= 1 - 2 / geo.nfft
    if geo.frames_per_column == 1:
        assert geo.coverage == 1.0
    assert geo.frames == w * geo.frames_per_column


def test_three_channels_replicate_one_plane():
    rate = 7.68e6
    fe1 = Frontend(FrontendConfig(window_ms=2.0))
    fe3 = Frontend(FrontendConfig(window_ms=2.0, channels=3))
    x = noise(fe1.geometry(rate).window_length)
    one, three = fe1(x, rate), fe3(x, rate)
    assert three.shape == (1, 3, 128, 128)
    for c in range(3):
        np.testing.assert_array_equal(three[0, c], one[0, 0])


def test_batch_equals_one_by_one_and_threads_agree():
    rate = 15.36e6
    cfg = FrontendConfig(window_ms=3.0)
    geo = Frontend(cfg).geometry(rate)
    x = noise(5 * geo.window_length, power_db=-20, seed=3).reshape(5, -1)
    batch = Frontend(cfg)(x, rate)
    threaded = Frontend(cfg, workers=2)(x, rate)
    single = np.concatenate([Frontend(cfg)(row, rate) for row in x])
    listed = Frontend(cfg)([x[0], x[1:3], x[3], x[4]], rate)  # separate windows, not stacked
    np.testing.assert_allclose(batch, single, rtol=0, atol=1e-6)
    np.testing.assert_allclose(threaded, single, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(listed, batch)


def test_overlapping_windows_from_a_stream_view():
    rate = 1.92e6
    cfg = FrontendConfig(window_ms=2.0)
    fe = Frontend(cfg)
    length = fe.geometry(rate).window_length
    stream = noise(10 * length, seed=4)
    windows = sliding_windows(stream, length, length // 2)
    assert windows.shape == (19, length)
    assert not windows.flags.writeable
    img = fe(windows, rate)
    np.testing.assert_allclose(img[2], fe(stream[length : 2 * length], rate)[0], atol=1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, complex(0, np.nan)])
def test_non_finite_samples_raise_a_clear_error(bad):
    rate = 1.92e6
    fe = Frontend(FrontendConfig(window_ms=2.0))
    length = fe.geometry(rate).window_length
    x = noise(3 * length).reshape(3, -1)
    x[1, 100] = bad
    with pytest.raises(ValueError, match=r"1 of 3 windows contain NaN/Inf samples.*windows 1"):
        fe(x, rate)
    images, valid = fe.compute_with_mask(x, rate)
    assert valid.tolist() == [True, False, True]
    assert np.isfinite(images).all()
    assert not images[1].any()


def test_all_zero_input_gives_a_constant_finite_image():
    rate = 1.92e6
    fe = Frontend(FrontendConfig(window_ms=2.0))
    x = np.zeros(fe.geometry(rate).window_length, np.complex64)
    db, valid = fe.power_db(x, rate)
    assert valid.all()
    assert (db == fe.config.db_floor).all()
    img = fe(x, rate)
    assert np.isfinite(img).all() and not img.any()


def test_wrong_dtype_and_shape_are_refused():
    rate = 1.92e6
    fe = Frontend(FrontendConfig(window_ms=2.0))
    length = fe.geometry(rate).window_length
    with pytest.raises(TypeError, match="must be complex"):
        fe(np.zeros(length, np.int16), rate)
    with pytest.raises(ValueError, match=f"needs {length}"):
        fe(np.zeros(length + 1, np.complex64), rate)
    with pytest.raises(ValueError, match="shape"):
        fe(np.zeros((1, 1, length), np.complex64), rate)
    # complex128 is accepted and gives the same image as complex64
    x = noise(length)
    np.testing.assert_allclose(fe(x.astype(np.complex128), rate), fe(x, rate), atol=1e-6)


def test_unsupported_rate_names_what_is_supported():
    fe = Frontend(FrontendConfig(rate_policy="exact", sample_rate=30.72e6))
    with pytest.raises(ValueError, match=r"20 MS/s is not supported.*exactly 30.72 MS/s"):
        fe.geometry(20e6)
    with pytest.raises(ValueError, match=r"1.92 to 61.44 MS/s"):
        Frontend(FrontendConfig()).geometry(122.88e6)


@pytest.mark.parametrize("mode", ["standardize", "median", "minmax", "fixed", "none"])
def test_normalisation_modes(mode):
    cfg = FrontendConfig(normalisation=mode, fixed_range_db=(-100.0, 0.0))
    rng = np.random.default_rng(0)
    db = rng.uniform(-120, 10, size=(3, 1, 8, 8)).astype(np.float32)
    out = normalise(db, cfg)
    assert out.dtype == np.float32 and out.shape == db.shape
    if mode == "standardize":
        np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), 0, atol=1e-5)
        np.testing.assert_allclose(out.std(axis=(1, 2, 3)), 1, atol=1e-4)
    elif mode == "median":
        np.testing.assert_allclose(np.median(out, axis=(1, 2, 3)), 0, atol=1e-6)
        # a fixed scale: 10 dB apart in the input is 1 apart in the image, in every window
        np.testing.assert_allclose(out - out[:, :, :1, :1], (db - db[:, :, :1, :1]) / 10, atol=1e-5)
    elif mode == "minmax":
        np.testing.assert_allclose(out.min(axis=(1, 2, 3)), 0, atol=1e-6)
        np.testing.assert_allclose(out.max(axis=(1, 2, 3)), 1, atol=1e-6)
    elif mode == "fixed":
        assert out.min() == 0.0 and out.max() == 1.0
        i = np.unravel_index(np.argmin(np.abs(db + 50)), db.shape)
        assert out[i] == pytest.approx((db[i] + 100) / 100, abs=1e-5)
    else:
        np.testing.assert_array_equal(out, db)


def test_median_normalisation_keeps_a_flat_floor_flat_where_standardising_stretches_it():
    rate, rng = 7.68e6, np.random.default_rng(3)
    noise = (rng.standard_normal(153_600) + 1j * rng.standard_normal(153_600)) * 0.01
    images = {
        mode: Frontend(FrontendConfig(normalisation=mode))(noise.astype(np.complex64), rate)
        for mode in ("standardize", "median")
    }
    assert images["standardize"].std() == pytest.approx(1.0, abs=1e-3)
    # receiver noise averaged over ~4 frames a column: a spread of about 2 dB, 0.2 in the image
    assert 0.05 < images["median"].std() < 0.4


def test_a_peak_plane_holds_a_burst_the_average_dilutes():
    rate, n = 7.68e6, 153_600  # 20 ms: 4 or 5 frames of 256 pooled per column
    rng = np.random.default_rng(4)
    x = ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 1e-3).astype(np.complex64)
    x[40_000:40_256] += np.exp(2j * np.pi * 0.1 * np.arange(256)).astype(np.complex64)  # 33 us
    config = FrontendConfig(extra_plane="peak")
    assert config.planes == 2 and config.image_shape == (2, 128, 128)
    image = Frontend(config)(x, rate)[0]
    assert image.shape == (2, 128, 128)
    plain = Frontend(FrontendConfig())(x, rate)[0, 0]
    np.testing.assert_allclose(image[0], plain, atol=1e-5)  # the first plane is unchanged
    assert (image[1] >= image[0] - 1e-4).all()  # a peak is never below the average
    row, col = np.unravel_index(np.argmax(image[1]), image[1].shape)
    assert image[1, row, col] - image[0, row, col] > 0.3  # the burst stands out more in the peak
    with pytest.raises(ValueError, match="extra plane needs channels=1"):
        FrontendConfig(extra_plane="peak", channels=3)
    with pytest.raises(ValueError, match="extra_plane='x'"):
        FrontendConfig(extra_plane="x")


def test_standardized_images_do_not_depend_on_receiver_gain():
    rate = 7.68e6
    fe = Frontend(FrontendConfig(window_ms=2.0))
    n = fe.geometry(rate).window_length
    x = tone(bin_centre(1e6, rate, 256), rate, n, 0.1) + noise(n, power_db=-40)
    np.testing.assert_allclose(fe(x * 100, rate), fe(x, rate), atol=1e-3)


@pytest.mark.parametrize("edge", ["start", "end"])
def test_short_window_edges_are_seen(edge):
    rate = 1.92e6
    fe = Frontend(FrontendConfig(window_ms=1.0, height=128, width=256))
    geo = fe.geometry(rate)
    assert geo.pad_before > 0
    n = geo.window_length
    x = noise(n, power_db=-90)
    f = bin_centre(2e5, rate, 256)
    burst = slice(0, 16) if edge == "start" else slice(n - 16, n)
    x[burst] = tone(f, rate, 16)
    db, _ = fe.power_db(x, rate)
    expected_col = 0 if edge == "start" else geo.width - 1
    assert db[0][geo.row_of_frequency(f), expected_col] > -60


@pytest.mark.parametrize("overlap", [0.0, 0.25, 0.5, 0.75])
@pytest.mark.parametrize("rate", [1.92e6, 30.72e6])
def test_requested_overlap_is_honoured_and_frames_tile_the_columns(overlap, rate):
    cfg = FrontendConfig(window_ms=20.0, overlap=overlap)
    fe = Frontend(cfg)
    geo = fe.geometry(rate)
    assert geo.overlap >= overlap
    assert geo.hop <= cfg.nfft * (1 - overlap)
    # ... but not needlessly more overlap than asked (costs FFTs): within one frame per column.
    frames_needed = (geo.window_length - cfg.nfft) / (cfg.nfft * (1 - overlap)) + 1
    assert geo.frames < frames_needed + cfg.width
    img = fe(noise(geo.window_length), rate)
    assert img.shape == (1, 1, cfg.height, cfg.width)


@pytest.mark.parametrize("rate", [7.68e6, 61.44e6])
@pytest.mark.parametrize("pieces", [1, 3, 17])
def test_a_spectrogram_begun_while_the_window_arrives_equals_the_batch_one(rate, pieces):
    cfg = FrontendConfig(window_ms=5.0)
    frontend = Frontend(cfg)
    length = frontend.geometry(rate).window_length
    window = noise(length, power_db=-20, seed=5) + tone(1e6, rate, length, 0.1)
    window[length // 3] = np.nan  # an invalid window must stay invalid
    clean = window.copy()
    clean[length // 3] = 0
    for x in (window, clean):
        begun = frontend.begin(rate)
        done = [begun.advance(x[:end]) for end in np.linspace(0, length, pieces + 1, dtype=int)]
        assert done == sorted(done) and done[-1] == frontend.geometry(rate).width
        got = frontend.compute_with_mask([x], rate, started=[begun])
        want = frontend.compute_with_mask(x[None], rate)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    partial = frontend.begin(rate)
    partial.advance(clean[: length // 2])
    assert 0 < partial.columns < frontend.geometry(rate).width  # half the columns, not all
    np.testing.assert_array_equal(
        frontend.compute_with_mask([clean], rate, started=[partial])[0],
        frontend.compute_with_mask(clean[None], rate)[0],
    )


def test_short_windows_with_overhanging_frames_are_not_begun_early():
    frontend = Frontend(FrontendConfig(window_ms=1.0))
    assert frontend.geometry(1.92e6).pad_before > 0
    assert frontend.begin(1.92e6) is None


@pytest.mark.parametrize("workers", [float("inf"), float("nan"), "two", None])
def test_workers_that_are_not_a_whole_number_are_a_clear_error(workers):
    with pytest.raises(ValueError, match="frontend workers must be a whole number"):
        Frontend(FrontendConfig(), workers=workers)
