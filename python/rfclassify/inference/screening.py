"""What a window's samples say about the input itself, before any model looks at them.

Two cases must not become a label (DESIGN.md: never a silent wrong label): samples that are not
numbers (NaN/Inf: a driver fault, a bad file) and a window of exact zeros (a source that pads
with zeros on underflow, a muted or dead front end: "noise" would be a wrong answer, there is no
signal at all). A third is worth saying alongside the label: samples at full scale, where the ADC
clipped and the spectrum grows images and harmonics that no training example had.

Float IQ from SDR sources (UHD, SoapySDR, gr-osmosdr) is scaled so that the converter's extremes
are +-1; an RTL-SDR's 8-bit codes reach 127.5/128 = 0.996. ``FULL_SCALE`` sits just below both.
The check costs one max and one min pass over the window (no allocation); the clipped share is
counted only when the peak reaches full scale.
"""

from __future__ import annotations

import numpy as np

FULL_SCALE = 0.99
NON_FINITE = "non-finite samples (NaN/Inf)"
ALL_ZERO = "all-zero samples (no signal from the source)"


def screen(window: np.ndarray) -> tuple[str, float]:
    """``(reason, clipped)``: why the window cannot be classified ("" when it can), and the
    share of its samples with I or Q at full scale (0..1)."""
    parts = np.ascontiguousarray(window, dtype=np.complex64).view(np.float32)
    if parts.size == 0:
        return ALL_ZERO, 0.0
    high, low = float(parts.max()), float(parts.min())
    if not (np.isfinite(high) and np.isfinite(low)):
        return NON_FINITE, 0.0
    if high == 0.0 and low == 0.0:
        return ALL_ZERO, 0.0
    if high < FULL_SCALE and -low < FULL_SCALE:
        return "", 0.0
    at_full_scale = (np.abs(parts) >= FULL_SCALE).reshape(-1, 2).any(axis=1)
    return "", float(np.count_nonzero(at_full_scale)) / at_full_scale.size
