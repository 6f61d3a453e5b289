"""What a window's samples say about the input itself, before any model looks at them.

Two cases must not become a label (DESIGN.md: never a silent wrong label): samples that are not
numbers (NaN/Inf: a driver fault, a bad file) and a window of exact zeros (a source that pads
with zeros on underflow, a muted or dead front end: "noise" would be a wrong answer, there is no
signal at all). A third is worth saying alongside the label: an ADC driven past full scale,
whose samples pile up at its extreme codes, and whose spectrum grows images and harmonics that
no training example had.

Float IQ from SDR sources (UHD, SoapySDR, gr-osmosdr) is scaled so that the converter's extremes
are +-1; an RTL-SDR's 8-bit codes reach 127.5/128 = 0.996. A value is *pinned* when its magnitude
is at least ``FULL_SCALE`` (just below both) and equal to the window's extreme on its side: a
clipping converter returns that same extreme code again and again, while a signal that merely
has large values (a simulator at unit power, a recording scaled otherwise) reaches its maximum
once. ``clipped`` is the share of the window's I and Q values that are pinned.

The check costs one max and one min pass over the window (no allocation); values are counted
only when an extreme reaches full scale.
"""

from __future__ import annotations

import numpy as np

FULL_SCALE = 0.99
NON_FINITE = "non-finite samples (NaN/Inf)"
ALL_ZERO = "all-zero samples (no signal from the source)"


def screen(window: np.ndarray) -> tuple[str, float]:
    """``(reason, clipped)``: why the window cannot be classified ("" when it can), and the
    share of its I and Q values pinned at a full-scale extreme (0..1)."""
    parts = np.ascontiguousarray(window, dtype=np.complex64).view(np.float32)
    if parts.size == 0:
        return ALL_ZERO, 0.0
    high, low = float(parts.max()), float(parts.min())
    if not (np.isfinite(high) and np.isfinite(low)):
        return NON_FINITE, 0.0
    if high == 0.0 and low == 0.0:
        return ALL_ZERO, 0.0
    pinned = 0
    if high >= FULL_SCALE:
        pinned += int(np.count_nonzero(parts >= np.float32(high)))
    if -low >= FULL_SCALE:
        pinned += int(np.count_nonzero(parts <= np.float32(low)))
    return "", pinned / parts.size
