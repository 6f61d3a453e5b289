"""The frontend on anything: every config it accepts, every rate, every array a caller might pass.

The contract (``Frontend.compute_with_mask``, ``FrontendConfig``): a bad config, rate or window
shape is a ``ValueError`` saying why; a window that is not complex is a ``TypeError`` ("must be
complex"); a model's ``Classifier.window_length`` says ``RfclassifyError``. Everything else comes
back as finite ``(N, C, H, W)`` float32 images with a validity mask that is False exactly for the
windows holding NaN/Inf samples (or samples whose power overflows float32), whose images are zero.
No RuntimeWarning escapes: an overflowing window is expected and reported by the mask.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from rfclassify.dsp import Frontend, FrontendConfig, StftGeometry, sliding_windows
from rfclassify.errors import RfclassifyError

FUZZ = settings(
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Finite samples below this cannot overflow float32 power for the FFT sizes drawn here
# ((nfft * 1.5 * 1e12) ** 2 * 4 frames << 3.4e38): such a window must be valid.
SAFE_AMPLITUDE = 1e12

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([10**400, 0, -1, 8, 256.0, 2**20 + 1, 2**40])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
wild_rates = st.one_of(
    st.sampled_from([0, 0.0, -1.0, -1.92e6, math.nan, math.inf, -math.inf, 1e-300, 1e300,
                     10**400, True, False, None, "1.92e6", b"x", 1.92e6 + 0j, [1.92e6], {},
                     np.array(1.92e6), np.array([1.92e6]), np.float32(math.nan)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
)  # fmt: skip


@st.composite
def configs(draw: st.DrawFn) -> FrontendConfig:
    """Valid configs of modest size: odd and non-power-of-two FFTs, rows that merge or repeat
    bins, one or several frames per column, every pooling, normalisation and rate policy."""
    nfft = draw(st.sampled_from([8, 9, 16, 24, 64, 100, 256]))
    heights = [h for h in (4, 5, 6, 8, 9, 12, 16, 25, 32, 50, 64, 128, 256, 512)]
    height = draw(st.sampled_from([h for h in heights if nfft % h == 0 or h % nfft == 0]))
    fields: dict[str, Any] = dict(
        nfft=nfft,
        height=height,
        width=draw(st.integers(4, 40)),
        frames_per_column=draw(st.none() | st.integers(1, 4)),
        overlap=draw(st.sampled_from([0.0, 0.5, 0.75]) | st.floats(0.0, 0.99)),
        window=draw(st.sampled_from(["hann", "boxcar", "blackmanharris", "hamming"])),
        time_pooling=draw(st.sampled_from(["mean", "max"])),
        channels=draw(st.sampled_from([1, 3])),
        db_floor=draw(st.sampled_from([-150.0, -300.0, -20.0, 0.0])),
        normalisation=draw(st.sampled_from(["standardize", "minmax", "fixed", "none"])),
        fixed_range_db=draw(st.sampled_from([(-120.0, 0.0), (-1e-3, 1e-3), (50.0, 60.0)])),
        min_rate=draw(st.sampled_from([1e3, 1.92e6])),
    )
    fields["max_rate"] = fields["min_rate"] * draw(st.sampled_from([1.0, 2.0, 100.0]))
    if draw(st.booleans()):
        fields.update(window_ms=None, window_samples=draw(st.integers(nfft, 6000)))
    else:  # few enough samples per window at the rates drawn below
        fields["window_ms"] = draw(st.floats(1.0, 40.0))
        fields["min_rate"], fields["max_rate"] = 2e4, draw(st.sampled_from([2e4, 5e4, 1.5e5]))
    if draw(st.integers(0, 3)) == 0:
        fields.update(rate_policy="exact", sample_rate=fields["min_rate"])
    return FrontendConfig(**fields)


def _rate_for(draw: st.DrawFn, config: FrontendConfig) -> Any:
    """A rate the config serves (as float, numpy float32/64 or int), or anything at all."""
    low = config.sample_rate if config.rate_policy == "exact" else config.min_rate
    high = config.sample_rate if config.rate_policy == "exact" else config.max_rate
    rate = draw(st.floats(low, high))
    kind = draw(st.sampled_from(["float", "float", "float64", "float32", "int", "wild"]))
    if kind == "wild":
        return draw(wild_rates)
    if kind == "int" and rate.is_integer():
        return int(rate)
    return {"float32": np.float32, "float64": np.float64}.get(kind, float)(rate)


@dataclass
class Batch:
    """What is handed to the frontend, and what the mask must say about it."""

    windows: Any
    complex_rows: list[np.ndarray] | None  # per window, as complex64; None if not well formed
    well_formed: bool  # right length, complex, 1-D or 2-D (or a list of such)
    is_complex: bool


def _content(draw: st.DrawFn, n: int, length: int) -> np.ndarray:
    """``(n, length)`` complex128: noise, zeros, full-scale tone or constant, at any level,
    with NaN/Inf dropped in at a few places."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["noise", "zeros", "tone", "constant"]))
    scale = draw(st.sampled_from([1.0, 1.0, 0.0, 1e-30, 1e-3, 32767.0, 1e20, 1e30, 1e300]))
    if kind == "noise":
        x = rng.standard_normal((n, length)) + 1j * rng.standard_normal((n, length))
    elif kind == "zeros":
        x = np.zeros((n, length), np.complex128)
    elif kind == "tone":
        x = np.exp(2j * np.pi * rng.uniform(-0.5, 0.5) * np.arange(length))[None].repeat(n, 0)
    else:
        x = np.full((n, length), 1 + 1j)
    x = x * scale
    bad = st.sampled_from([complex(math.nan, 0), complex(0, math.inf), complex(-math.inf, 1)])
    for _ in range(draw(st.integers(0, 3)) if n and length else 0):
        x[draw(st.integers(0, n - 1)), draw(st.integers(0, length - 1))] = draw(bad)
    return x


@st.composite
def batches(draw: st.DrawFn, length: int) -> Batch:
    """Windows of ``length`` samples in every form a caller may pass, right or wrong."""
    n = draw(st.sampled_from([0, 1, 1, 2, 3]))
    x = _content(draw, n, length)
    form = draw(
        st.sampled_from(["complex64", "complex64", "complex128", "clongdouble", ">c8",
                         "strided", "fortran", "sliding", "list", "list of lists", "1-D",
                         "float32", "int16", "object", "3-D", "short", "long", "scalars"])
    )  # fmt: skip
    rows = [r.astype(np.complex64) for r in _with_errstate(x)]
    good = Batch(None, rows, True, True)
    if form in ("complex64", "complex128", "clongdouble", ">c8"):
        good.windows = _with_errstate(x, form)
    elif form == "strided":  # every other sample of a twice-as-long array: not contiguous
        wide = np.zeros((n, 2 * length), np.complex64)
        wide[:, ::2] = np.reshape(rows, (n, length))
        good.windows = wide[:, ::2]
    elif form == "fortran":
        good.windows = np.asfortranarray(np.array(rows, np.complex64).reshape(n, length))
    elif form == "sliding":  # overlapping read-only rows of one stream, as the windower makes
        hop = draw(st.integers(1, length))
        stream = np.concatenate([np.ravel(rows), np.zeros(length, np.complex64)])
        good.windows = sliding_windows(stream, length, hop)[:n]
        good.complex_rows = list(good.windows)
    elif form == "list":
        good.windows = list(rows)
    elif form == "list of lists":
        good.windows = [list(r) for r in rows]
    elif form == "1-D":
        if n != 1:
            return Batch(np.zeros(0, np.complex64), None, False, True)
        good.windows = rows[0]
    else:
        wrong = {
            "float32": lambda: _with_errstate(x.real, "float32"),
            "int16": lambda: np.zeros((n, length), np.int16),
            "object": lambda: np.array(rows, dtype=object).reshape(n, length),
            "3-D": lambda: np.zeros((n, length, 1), np.complex64),
            "short": lambda: np.zeros((max(n, 1), length - 1), np.complex64),
            "long": lambda: np.zeros((max(n, 1), length + 1), np.complex64),
            "scalars": lambda: [complex(v) for v in np.ravel(rows)][: length + 1] or [0j],
        }[form]()
        complex_ = form not in ("float32", "int16", "object")
        return Batch(wrong, None, False, complex_)
    return good


def _served_length(config: FrontendConfig, rate: Any) -> int | None:
    """Samples per window, or None where the rate (or the STFT plan at it) is refused."""
    try:
        return StftGeometry.plan(config, rate).window_length
    except ValueError:
        return None


def _with_errstate(x: np.ndarray, dtype: str = "complex64") -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):  # the test's own casts may overflow
        return x.astype(np.dtype(dtype))


def _check_images(config: FrontendConfig, batch: Batch, images: np.ndarray, valid: np.ndarray):
    rows = batch.complex_rows
    assert rows is not None
    n = len(rows)
    assert images.shape == (n, config.channels, config.height, config.width)
    assert images.dtype == np.float32 and np.isfinite(images).all()
    assert valid.shape == (n,) and valid.dtype == bool
    for i, row in enumerate(rows):
        finite = bool(np.isfinite(row).all())
        if not finite:
            assert not valid[i], f"window {i} holds NaN/Inf but is marked valid"
        elif np.abs(row).max(initial=0.0) <= SAFE_AMPLITUDE:
            assert valid[i], f"window {i} is finite and small but is marked invalid"
    assert not images[~valid].any(), "an invalid window's image is not zero"
    if config.normalisation in ("fixed", "minmax"):
        assert images.min(initial=0.0) >= 0.0 and images.max(initial=0.0) <= 1.0 + 1e-5


def _run(compute: Any, batch: Batch, length: int | None) -> tuple[np.ndarray, np.ndarray] | None:
    """``compute(windows)`` (``compute_with_mask`` at a rate) under the contract: its result, or
    None where it refused as it should; ``length`` is None where the rate is not served."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            out = compute(batch.windows)
    except TypeError as exc:
        assert not batch.is_complex and "must be complex" in str(exc), exc
        event("refused: not complex")
        return None
    except ValueError as exc:
        assert not (length is not None and batch.well_formed), f"refused a good batch: {exc}"
        assert str(exc)
        event("refused: " + ("rate" if length is None else "shape"))
        return None
    assert length is not None and batch.well_formed, "accepted a bad rate or batch"
    valid = out[1]
    event("images: " + ("empty" if not valid.size else "all valid" if valid.all() else "some bad"))
    return out


@FUZZ
@given(configs(), st.data(), st.sampled_from([1, 2]))
def test_any_rate_and_any_array_give_good_images_or_a_documented_error(config, data, workers):
    rate = _rate_for(data.draw, config)
    length = _served_length(config, rate)
    batch = data.draw(batches(length or config.nfft))
    frontend = Frontend(config, workers=workers)
    try:
        out = _run(lambda w: frontend.compute_with_mask(w, rate), batch, length)
    finally:
        frontend.close()
    if out is None:
        return
    images, valid = out
    _check_images(config, batch, images, valid)
    if valid.all():  # __call__ is the same, or the ValueError naming the bad windows
        np.testing.assert_array_equal(Frontend(config)(batch.windows, rate), images)
    else:
        with pytest.raises(ValueError, match="NaN/Inf"):
            Frontend(config)(batch.windows, rate)


@FUZZ
@given(configs(), st.data())
def test_a_spectrogram_begun_while_the_window_arrives_matches_the_batch(config, data):
    """The streaming path (``begin``, ``advance`` on growing prefixes, ``started=``) gives the
    same images and mask as the batch path for any content, in any number of steps."""
    rate = config.sample_rate or config.max_rate
    length = _served_length(config, rate)
    assume(length is not None)  # not a window shorter than one FFT, say
    frontend = Frontend(config)
    begun = frontend.begin(rate)
    if begun is None:  # short windows: the frames overhang them, nothing to begin
        return
    window = _with_errstate(_content(data.draw, 1, length))[0]
    for cut in sorted(data.draw(st.lists(st.integers(0, length), max_size=4))):
        begun.advance(window[:cut])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        streamed = frontend.compute_with_mask([window], rate, started=[begun])
    batch = Frontend(config).compute_with_mask([window], rate)
    np.testing.assert_array_equal(streamed[0], batch[0])
    np.testing.assert_array_equal(streamed[1], batch[1])


FIELDS = sorted(FrontendConfig().to_dict())


@settings(deadline=None, max_examples=300)
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, min_size=1, max_size=3))
def test_a_damaged_config_is_refused_as_value_error(changes):
    """A model card's frontend comes from a JSON file: any field of any JSON type is refused as
    ValueError, and a config that is accepted builds a frontend and plans its STFT."""
    data = {**FrontendConfig().to_dict(), **changes}
    try:
        config = FrontendConfig.from_json(json.dumps(data))
    except ValueError as exc:
        assert "frontend config" in str(exc)
        return
    frontend = Frontend(config)
    rate = config.sample_rate or config.min_rate
    try:
        geometry = frontend.geometry(rate)
    except ValueError:
        return
    assert geometry.width == config.width and geometry.frames >= config.width
    assert FrontendConfig.from_json(config.to_json()) == config
    if geometry.window_length * geometry.nfft <= 2**24:  # small enough to run: noise is valid
        rng = np.random.default_rng(0)
        noise = rng.standard_normal((2, geometry.window_length)).astype(np.complex64)
        images, valid = frontend.compute_with_mask(noise, rate)
        assert valid.all() and np.isfinite(images).all()


@pytest.fixture(scope="module")
def classifier():
    """The default shipped model: its card's frontend is what ``rfclassify classify`` uses."""
    from rfclassify.inference import Classifier

    return Classifier()


@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_classifier_images_path_on_any_rate_and_array(classifier, data):
    """``Classifier.window_length`` refuses with RfclassifyError, ``images`` (the first half of
    ``classify``) holds to the frontend's contract, and ``probabilities`` is NaN exactly where
    the mask says invalid."""
    config = classifier.frontend_config
    rate = data.draw(st.floats(config.min_rate, 2.5e6) | wild_rates)
    try:
        length = classifier.window_length(rate)
    except RfclassifyError as exc:
        assert classifier.name in str(exc)
        length = None
    batch = data.draw(batches(length or 38_400))
    out = _run(lambda w: classifier.images(w, rate), batch, length)
    if out is None:
        return
    images, valid = out
    _check_images(config, batch, images, valid)
    probs = classifier.probabilities(images, valid)
    assert np.isnan(probs[~valid]).all() and np.isfinite(probs[valid]).all()


# -- what these fuzzers found, pinned -----------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [{"nfft": 256.0}, {"nfft": "256"}, {"height": 128.0}, {"window_ms": "20"}, {"overlap": None},
     {"db_floor": 10**400}, {"fixed_range_db": 5}, {"fixed_range_db": [None, 0]},
     {"min_rate": "a"}, {"rate_tolerance": math.nan}, {"nfft": 2**40}, {"window": 1e300},
     {"window": 10**400}, {"window_ms": None, "window_samples": 10**400},
     {"rate_policy": "exact", "sample_rate": math.nan}, {"sample_rate": -1.0},
     {"db_floor": 3083}, {"db_floor": 386}, {"db_floor": -1e300}],
)  # fmt: skip
def test_a_card_field_of_the_wrong_type_or_size_is_a_value_error(changes: dict[str, Any]):
    """From a model card these were TypeError (a comparison, a float array shape), MemoryError
    (a 2**40-point taper), OverflowError, a NaN taper (every window invalid), or an exact rate
    policy with a NaN rate that served every rate; a db_floor past float32 made inf images or
    an OverflowError."""
    with pytest.raises(ValueError, match="invalid frontend config"):
        FrontendConfig.from_dict({**FrontendConfig().to_dict(), **changes})


def test_a_numpy_rate_is_a_rate_and_an_unhashable_one_is_refused() -> None:
    frontend = Frontend(FrontendConfig(window_ms=1.0))
    window = np.ones(1920, np.complex64)
    for rate in (np.float32(1.92e6), np.int64(1_920_000), np.float64(1.92e6)):
        assert frontend.compute_with_mask(window, rate)[1].all()
    for rate in ([1.92e6], np.array([1.92e6])):  # was TypeError: unhashable type
        with pytest.raises(ValueError, match="not a number"):
            frontend.compute_with_mask(window, rate)


def test_nan_where_no_frame_looks_still_makes_the_window_invalid() -> None:
    """With one frame per column the frames of a long window leave gaps: a NaN in one was
    missed, and the window was classified though the docs say it is not."""
    config = FrontendConfig(window_ms=None, window_samples=4096, nfft=16, height=16, width=8,
                            frames_per_column=1)  # fmt: skip
    frontend = Frontend(config)
    window = np.ones((2, 4096), np.complex64)
    window[1, 100] = np.nan  # between the first and second frame (hop 582)
    images, valid = frontend.compute_with_mask(window, 1.92e6)
    assert valid.tolist() == [True, False] and not images[1].any()


def test_a_window_of_exactly_nfft_samples_can_be_begun() -> None:
    """hop is 0 there (every frame is the same one): ``advance`` divided by it."""
    frontend = Frontend(FrontendConfig(window_ms=None, window_samples=16, nfft=16, height=16,
                                       width=4))  # fmt: skip
    begun = frontend.begin(1.92e6)
    window = np.exp(0.3j * np.arange(16)).astype(np.complex64)
    assert begun is not None and begun.advance(window[:8]) == 0
    assert begun.advance(window) == 4
    streamed = frontend.compute_with_mask([window], 1.92e6, started=[begun])
    np.testing.assert_array_equal(streamed[0], frontend.compute_with_mask(window, 1.92e6)[0])


def test_overflowing_samples_are_invalid_without_a_warning() -> None:
    frontend = Frontend(FrontendConfig(window_ms=1.0))
    windows = np.full((2, 1920), 1e30 + 0j)  # complex128: float32 overflows in the cast
    windows[1] = 1e20  # finite in float32, but its power is not
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        images, valid = frontend.compute_with_mask(windows, 1.92e6)
    assert not valid.any() and not images.any()


@pytest.mark.parametrize("frames_per_column", [2**40, 10**400])
def test_more_frames_per_column_than_a_window_holds_is_refused(frames_per_column: int) -> None:
    """Every frame at the same place (hop 0): was a 2 PiB scratch buffer or an OverflowError."""
    frontend = Frontend(FrontendConfig(frames_per_column=frames_per_column))
    with pytest.raises(ValueError, match="do not fit in a window of 38400 samples"):
        frontend.compute_with_mask(np.zeros(38400, np.complex64), 1.92e6)
