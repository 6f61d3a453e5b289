"""Measurements and the contract every "Other" emitter keeps, shared by the emitter tests.

Not a test module: pytest puts tests/signals on sys.path (no __init__.py, the default
"prepend" import mode), so the tests import it as ``emitter_checks``.
"""

import json
from collections.abc import Callable

import numpy as np
import pytest
from scipy import signal

# --- measurements ----------------------------------------------------------------------------


def psd(x: np.ndarray, fs: float, nperseg: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD over both sides, frequencies ascending."""
    f, p = signal.welch(x, fs, nperseg=min(nperseg, x.size), return_onesided=False, detrend=False)
    order = np.argsort(f)
    return f[order], p[order]


def occupied_bandwidth(
    x: np.ndarray, fs: float, nperseg: int = 4096, fraction: float = 0.99
) -> float:
    """The band holding ``fraction`` of the power, (1 - fraction) / 2 left out on each side."""
    f, p = psd(x, fs, nperseg)
    c = np.cumsum(p) / p.sum()
    tail = (1 - fraction) / 2
    return f[np.searchsorted(c, 1 - tail)] - f[np.searchsorted(c, tail)]


def baseband(w, index: int = 0) -> np.ndarray:
    """``w``'s samples with its carrier ``index`` (``params["offsets_hz"]``) moved to 0 Hz."""
    t = np.arange(w.samples.size) / w.sample_rate
    return w.samples * np.exp(-2j * np.pi * w.params["offsets_hz"][index] * t)


def inst_freq(x: np.ndarray, fs: float) -> np.ndarray:
    """Instantaneous frequency in Hz from sample to sample (an FM discriminator)."""
    x = x.astype(complex)
    return np.angle(x[1:] * np.conj(x[:-1])) * fs / (2 * np.pi)


def runs(on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, lengths) of the True runs of ``on``."""
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return starts, stops - starts


# --- the contract ----------------------------------------------------------------------------


def check_capture(
    w, kind: str, ranges: dict, duration_s: float, rate: float, bursty: bool | None = None
) -> None:
    """What a scene relies on: an "Other" complex64 capture of exactly the samples asked for,
    finite, at unit mean power while on (``duty_cycle`` of the time: required with ``bursty``,
    absent when False), a band inside the view, JSON parameters naming the kind and every
    drawable value."""
    assert w.label == "Other" and w.samples.dtype == np.complex64
    assert w.samples.size == round(duration_s * rate) and np.isfinite(w.samples).all()
    if bursty is not None:
        assert ("duty_cycle" in w.params) == bursty
    duty = w.params.get("duty_cycle", 1.0)
    assert 0 < duty <= 1
    assert np.mean(np.abs(w.samples) ** 2) / duty == pytest.approx(1.0, rel=1e-3)
    assert 0 < w.occupied_bandwidth <= rate
    params = json.loads(json.dumps(w.params))
    assert params["kind"] == kind and set(ranges) <= set(params)


def check_replay(
    emitter: Callable,
    ranges: dict,
    rate: float,
    seed: int,
    duration_s: float = 0.003,
    outputs_too: bool = False,
) -> None:
    """A seed reproduces the signal, and a recipe that passes back the drawn values (with
    ``outputs_too``, every parameter the emitter returned) gets them again under another seed."""
    a = emitter(duration_s, rate, np.random.default_rng(seed))
    b = emitter(duration_s, rate, np.random.default_rng(seed))
    assert np.array_equal(a.samples, b.samples) and a.params == b.params
    given = dict(a.params) if outputs_too else {name: a.params[name] for name in ranges}
    c = emitter(duration_s, rate, np.random.default_rng(seed + 1), **given)
    assert {name: c.params[name] for name in ranges} == {name: a.params[name] for name in ranges}
