"""Frontend throughput, against a straightforward baseline measured in the same run.

The baseline is what a first implementation looks like (and what the seed projects did): one
``scipy.signal.spectrogram`` call per window in float64, then an fftshift and a block-average
resize to the image size. The ratio, not the absolute figure, is what carries from machine to
machine.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from ..dsp import Frontend, FrontendConfig
from .machine import available_cores, machine_info


def baseline_images(windows: np.ndarray, rate: float, config: FrontendConfig) -> np.ndarray:
    """Seed-style per-window spectrogram: correct, simple, slow."""
    from scipy.signal import spectrogram

    out = np.empty((windows.shape[0], config.height, config.width), dtype=np.float32)
    for i, window in enumerate(windows):
        _, _, sxx = spectrogram(
            window.astype(np.complex128),
            fs=rate,
            window=config.window,
            nperseg=config.nfft,
            noverlap=0,
            return_onesided=False,
            mode="psd",
        )
        sxx = np.fft.fftshift(sxx, axes=0)
        db = 10 * np.log10(np.maximum(sxx, 1e-30))
        out[i] = _block_resize(db, config.height, config.width)
    return out


def _block_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    rows = np.linspace(0, image.shape[0], height + 1).astype(int)
    cols = np.linspace(0, image.shape[1], width + 1).astype(int)
    return np.add.reduceat(np.add.reduceat(image, rows[:-1], axis=0), cols[:-1], axis=1) / (
        np.maximum(np.diff(rows), 1)[:, None] * np.maximum(np.diff(cols), 1)[None, :]
    )


def _throughput(fn: Callable[[], object], samples: int, min_seconds: float) -> list[float]:
    """Samples per second of ``fn`` over repeated calls, after one warm-up call."""
    fn()
    rates: list[float] = []
    spent = 0.0
    while spent < min_seconds or len(rates) < 3:
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        spent += dt
        rates.append(samples / dt)
    return rates


def run_frontend_bench(
    config: FrontendConfig | None = None,
    rate: float = 30.72e6,
    batch: int = 8,
    seconds: float = 3.0,
    workers: int = 1,
    cores: int | None = 1,
    baseline: bool = True,
) -> dict:
    """Measure the frontend (and the baseline) on ``batch`` windows of noisy IQ at ``rate``.

    ``cores`` pins the process to that many CPUs for the measurement (``None``: leave as is), so
    "one core" means one core even on a busy machine with idle siblings.
    """
    config = config or FrontendConfig()
    frontend = Frontend(config, workers=workers)
    length = frontend.geometry(rate).window_length
    rng = np.random.default_rng(0)
    windows = rng.standard_normal((batch, 2 * length), dtype=np.float32).view(np.complex64) * 0.1
    total = batch * length

    saved_affinity = _pin(cores)
    try:
        rates = _throughput(lambda: frontend(windows, rate), total, seconds)
        base_rates = (
            _throughput(lambda: baseline_images(windows[:2], rate, config), 2 * length, 1.0)
            if baseline
            else []
        )
    finally:
        if saved_affinity is not None:
            os.sched_setaffinity(0, saved_affinity)
        frontend.close()

    msps = statistics.median(rates) / 1e6
    result = {
        "bench": "frontend",
        "msps": round(msps, 2),
        "msps_min": round(min(rates) / 1e6, 2),
        "msps_max": round(max(rates) / 1e6, 2),
        "runs": len(rates),
        "rate_msps": rate / 1e6,
        "window_samples": length,
        "batch": batch,
        "workers": workers,
        "cores": cores if cores is not None else available_cores(),
        "realtime_factor": round(msps * 1e6 / rate, 2),
        "frontend": config.to_dict(),
        "machine": machine_info(),
    }
    if base_rates:
        base = statistics.median(base_rates) / 1e6
        result["baseline_msps"] = round(base, 2)
        result["speedup_vs_baseline"] = round(msps / base, 1)
    return result


def _pin(cores: int | None) -> set[int] | None:
    if cores is None or not hasattr(os, "sched_setaffinity"):
        return None
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, sorted(saved)[: max(1, cores)])
    return saved
