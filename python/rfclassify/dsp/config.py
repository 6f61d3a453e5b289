"""The frontend configuration: everything that turns IQ into the image a model was trained on.

It is saved with every model (ONNX metadata and model card), so a model is never served with a
frontend other than the one it learned from (DESIGN.md rule 1). It is frozen and round-trips to
JSON; unknown keys are rejected rather than ignored, so a card written by a newer version fails
loudly instead of silently serving a different frontend.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import warnings
from dataclasses import dataclass
from typing import Any, Literal

SCHEMA_VERSION = 1

TimePooling = Literal["mean", "max"]
Normalisation = Literal["standardize", "median", "minmax", "fixed", "none"]
ExtraPlane = Literal["none", "peak"]
NORMALISATIONS = ("standardize", "median", "minmax", "fixed", "none")
EXTRA_PLANES = ("none", "peak")
MEDIAN_SCALE_DB = 10.0  # "median": dB above the window's median, in units of 10 dB
RatePolicy = Literal["any", "exact"]

# The capture rates the project is built for: LTE 1.4 MHz (1.92 MS/s) up to two 30.72 MS/s
# LTE/NR carriers side by side, or one 50 MHz NR carrier (61.44 MS/s).
MIN_SUPPORTED_RATE = 1.92e6
MAX_SUPPORTED_RATE = 61.44e6
MIN_WINDOW_SECONDS = 1e-3
MAX_WINDOW_SECONDS = 40e-3
# Far beyond any real use, but finite: a card asking for more would fail later with MemoryError
# (the taper is made at once) or OverflowError (the STFT plan) instead of a reason.
MAX_NFFT = 1 << 20
MAX_WINDOW_SAMPLES = 1 << 32


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_finite(value: Any) -> bool:
    """A finite real number (not a bool; a 400-digit int is not finite as a float either)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


_OPTIONAL = ("window_ms", "window_samples", "frames_per_column", "sample_rate")


@dataclass(frozen=True)
class FrontendConfig:
    """How one window of IQ becomes a ``(channels, height, width)`` float32 image.

    Frequency runs along the rows (row 0 is the most negative frequency, DC sits at row
    ``height // 2``), time along the columns (column 0 is the start of the window).

    Attributes:
        window_ms: duration of one window in milliseconds; the sample count follows from the
            rate. Exactly one of ``window_ms`` and ``window_samples`` is set.
        window_samples: fixed window length in samples (its duration then depends on the rate).
        nfft: FFT size of one STFT frame.
        window: frame taper, any name ``scipy.signal.get_window`` knows (``"hann"``, ...).
        overlap: least fraction by which consecutive frames overlap (0 <= overlap < 1): the hop
            is at most ``nfft * (1 - overlap)``, shortened just enough that the frames tile the
            image columns exactly (see ``StftGeometry``). 0 suits the default heavy time pooling:
            overlap would cost FFTs and show nothing a pooled column does not.
        frames_per_column: STFT frames pooled into one image column; ``None`` picks the smallest
            count that honours ``overlap`` and covers the whole window (frames then overlap
            slightly rather than leave gaps). With ``1`` every column is one frame.
        time_pooling: how the frames of a column combine: ``"mean"`` (average power, what a
            spectrum analyser's averaging shows) or ``"max"`` (peak hold: keeps short bursts).
        height, width: output image size; every rate and window length gives exactly this.
        channels: 1, or 3 (the same plane replicated) for models built for RGB images.
        extra_plane: ``"none"``, or ``"peak"``: a last plane of peak-hold (max-pooled) power,
            normalised with the first plane's statistics, so a burst shorter than a column (an
            SSB, a PSS, a radar pulse) and the crest of each cell show beside the average.
        db_floor: power (dB relative to a full-scale tone) below which values are clipped; keeps
            the log finite for all-zero input.
        normalisation: ``"standardize"`` (per-window zero mean, unit variance: gain-invariant),
            ``"median"`` (dB above the window's median, divided by a fixed 10 dB: gain-invariant
            too, but a flat noise floor stays flat instead of being stretched to unit variance),
            ``"minmax"`` (per-window to [0, 1]), ``"fixed"`` (``fixed_range_db`` to [0, 1],
            clipped: keeps absolute level), ``"none"`` (dB as they are).
        fixed_range_db: the dB range mapped to [0, 1] by ``"fixed"``.
        rate_policy: ``"any"``: any capture rate in [``min_rate``, ``max_rate``] (the image
            always spans the full captured band); ``"exact"``: only ``sample_rate`` (within
            ``rate_tolerance``, relative).
        sample_rate: the rate the model was trained at (required by ``"exact"``; informative
            otherwise).
    """

    window_ms: float | None = 20.0
    window_samples: int | None = None
    nfft: int = 256
    window: str = "hann"
    overlap: float = 0.0
    frames_per_column: int | None = None
    time_pooling: TimePooling = "mean"
    height: int = 128
    width: int = 128
    channels: int = 1
    extra_plane: ExtraPlane = "none"
    db_floor: float = -150.0
    normalisation: Normalisation = "standardize"
    fixed_range_db: tuple[float, float] = (-120.0, 0.0)
    rate_policy: RatePolicy = "any"
    sample_rate: float | None = None
    min_rate: float = MIN_SUPPORTED_RATE
    max_rate: float = MAX_SUPPORTED_RATE
    rate_tolerance: float = 1e-6

    def __post_init__(self) -> None:
        # JSON has no tuples: accept a list and freeze it.
        span = self.fixed_range_db
        if not (isinstance(span, list | tuple) and len(span) == 2 and all(map(_is_finite, span))):
            raise ValueError(
                f"invalid frontend config: fixed_range_db={span!r:.80} must be two finite numbers"
            )
        object.__setattr__(self, "fixed_range_db", tuple(float(v) for v in span))
        self._validate()

    # -- validation ---------------------------------------------------------------------------

    def _validate(self) -> None:
        def bad(msg: str) -> None:
            raise ValueError(f"invalid frontend config: {msg}")

        # Types first, so that a card with "nfft": "256" or 256.0 gets a reason, not a TypeError
        # from a comparison here or a float array shape in the frontend.
        for name in ("nfft", "height", "width", "channels", "window_samples", "frames_per_column"):
            value = getattr(self, name)
            if not (_is_int(value) or (value is None and name in _OPTIONAL)):
                bad(f"{name} must be an integer, got {value!r:.80}")
        for name in ("window_ms", "overlap", "db_floor", "sample_rate", "min_rate", "max_rate"):
            value = getattr(self, name)
            if not (_is_finite(value) or (value is None and name in _OPTIONAL)):
                bad(f"{name} must be a finite number, got {value!r:.80}")
        if not (_is_finite(self.rate_tolerance) and self.rate_tolerance >= 0):
            bad(f"rate_tolerance={self.rate_tolerance!r:.80} must be a number >= 0")
        if self.sample_rate is not None and self.sample_rate <= 0:
            bad(f"sample_rate={self.sample_rate} must be positive")
        if (self.window_ms is None) == (self.window_samples is None):
            bad("set exactly one of window_ms and window_samples")
        if self.window_ms is not None and not (
            MIN_WINDOW_SECONDS * 1e3 <= self.window_ms <= MAX_WINDOW_SECONDS * 1e3
        ):
            bad(f"window_ms={self.window_ms} is outside 1..40 ms")
        if self.window_samples is not None and self.window_samples < self.nfft:
            bad(f"window_samples={self.window_samples} is shorter than nfft={self.nfft}")
        if self.window_samples is not None and self.window_samples > MAX_WINDOW_SAMPLES:
            bad(f"window_samples={self.window_samples} is above {MAX_WINDOW_SAMPLES}")
        if not 8 <= self.nfft <= MAX_NFFT:
            bad(f"nfft={self.nfft} is outside 8..{MAX_NFFT}")
        if not 0.0 <= self.overlap < 1.0:
            bad(f"overlap={self.overlap} must be in [0, 1)")
        if self.frames_per_column is not None and self.frames_per_column < 1:
            bad("frames_per_column must be >= 1 (or null for automatic)")
        if self.time_pooling not in ("mean", "max"):
            bad(f"time_pooling={self.time_pooling!r}; use 'mean' or 'max'")
        for name in ("height", "width"):
            if not 4 <= getattr(self, name) <= 4096:
                bad(f"{name}={getattr(self, name)} is outside 4..4096")
        if self.nfft % self.height and self.height % self.nfft:
            bad(f"nfft={self.nfft} and height={self.height}: one must divide the other")
        if self.channels not in (1, 3):
            bad(f"channels={self.channels}; use 1 or 3")
        if self.normalisation not in NORMALISATIONS:
            bad(f"normalisation={self.normalisation!r}; use one of {NORMALISATIONS}")
        if self.extra_plane not in EXTRA_PLANES:
            bad(f"extra_plane={self.extra_plane!r}; use one of {EXTRA_PLANES}")
        if self.extra_plane != "none" and self.channels != 1:
            bad("an extra plane needs channels=1 (the planes are not replicated)")
        if not -300.0 <= self.db_floor <= 300.0:  # 10 ** (floor / 10) must be a float32 power
            bad(f"db_floor={self.db_floor} is outside -300..300 dB")
        lo, hi = self.fixed_range_db
        if not lo < hi:
            bad(f"fixed_range_db={self.fixed_range_db} must be increasing")
        if self.rate_policy not in ("any", "exact"):
            bad(f"rate_policy={self.rate_policy!r}; use 'any' or 'exact'")
        if self.rate_policy == "exact" and not self.sample_rate:
            bad("rate_policy='exact' needs sample_rate")
        if not 0 < self.min_rate <= self.max_rate:
            bad(f"min_rate={self.min_rate}, max_rate={self.max_rate}")
        try:
            import numpy as np
            from scipy.signal import get_window

            with warnings.catch_warnings():  # a NaN taper is refused just below
                warnings.simplefilter("ignore", RuntimeWarning)
                taper = get_window(self.window, self.nfft)
        except (ValueError, TypeError, OverflowError) as exc:
            bad(f"unknown window {self.window!r:.80} ({exc})")
        # A number is a Kaiser beta to scipy: a huge one (or a zero-width Gaussian) gives NaN,
        # which would silently mark every window invalid.
        if not (np.isfinite(taper).all() and taper.sum() > 0):
            bad(f"window {self.window!r:.80} gives a taper that is not finite and positive")

    @property
    def planes(self) -> int:
        """Planes of the image: ``channels``, plus one for an extra plane."""
        return self.channels + (self.extra_plane != "none")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.planes, self.height, self.width)

    # -- rates and lengths --------------------------------------------------------------------

    def supported_rates_text(self) -> str:
        if self.rate_policy == "exact":
            return f"exactly {self.sample_rate / 1e6:g} MS/s"
        return f"{self.min_rate / 1e6:g} to {self.max_rate / 1e6:g} MS/s"

    def check_rate(self, sample_rate: float) -> None:
        """Refuse a capture rate this frontend (and so its model) was not made for."""
        # Any real number, numpy scalars included (np.float32(30.72e6) is a rate, not "not a
        # number"); a bool is not a rate.
        if not _is_finite(sample_rate):
            raise ValueError(f"sample rate {sample_rate!r:.80} is not a number")
        if self.rate_policy == "exact":
            assert self.sample_rate is not None
            if abs(sample_rate - self.sample_rate) > self.rate_tolerance * self.sample_rate:
                raise ValueError(
                    f"sample rate {sample_rate / 1e6:g} MS/s is not supported: "
                    f"this frontend serves {self.supported_rates_text()}"
                )
        elif not (
            self.min_rate * (1 - self.rate_tolerance)
            <= sample_rate
            <= self.max_rate * (1 + self.rate_tolerance)
        ):
            raise ValueError(
                f"sample rate {sample_rate / 1e6:g} MS/s is not supported: "
                f"this frontend serves {self.supported_rates_text()}"
            )

    def window_length(self, sample_rate: float) -> int:
        """Samples in one window at ``sample_rate`` (after checking the rate is served)."""
        self.check_rate(sample_rate)
        if self.window_samples is not None:
            return int(self.window_samples)
        assert self.window_ms is not None
        n = round(self.window_ms * 1e-3 * float(sample_rate))  # an int, even for a numpy rate
        if n < self.nfft:
            raise ValueError(
                f"a {self.window_ms:g} ms window at {sample_rate / 1e6:g} MS/s is {n} samples, "
                f"shorter than nfft={self.nfft}"
            )
        return n

    # -- serialisation ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["fixed_range_db"] = list(self.fixed_range_db)
        return {"v": SCHEMA_VERSION, **d}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrontendConfig:
        data = dict(data)
        version = data.pop("v", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ValueError(f"frontend config version {version} (this software reads v1)")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"invalid frontend config: unknown keys {unknown}")
        return cls(**data)

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> FrontendConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"frontend config is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError("frontend config must be a JSON object")
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> FrontendConfig:
        return dataclasses.replace(self, **changes)
