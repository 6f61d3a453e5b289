"""Draw frontend images side by side with time and frequency in real units."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from ..dsp.geometry import StftGeometry


def render_spectrogram(
    images: np.ndarray,
    geo: StftGeometry,
    out: Path,
    *,
    start_time: float = 0.0,
    center_freq: float | None = None,
    title: str = "",
    colorbar_label: str = "",
    annotations: Iterable[Mapping] = (),
    invalid: np.ndarray | None = None,
) -> None:
    """Write ``images`` (``(N, H, W)``, consecutive windows) as one PNG.

    Time runs left to right in ms from the recording's start; frequency bottom to top, absolute
    in MHz when the centre frequency is known. SigMF annotations that fall in view are drawn as
    labelled boxes (or time spans when they carry no frequency edges).
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    n = images.shape[0]
    window_s = geo.window_length / geo.sample_rate
    t0_ms = start_time * 1e3
    t1_ms = (start_time + n * window_s) * 1e3
    bin_hz = geo.sample_rate / geo.nfft
    f_off = center_freq or 0.0
    f_lo = (f_off + (-geo.nfft / 2 - 0.5) * bin_hz) / 1e6
    f_hi = (f_off + (geo.nfft / 2 - 0.5) * bin_hz) / 1e6
    tiled = np.concatenate(list(images), axis=1)

    width_in = min(4.0 + 2.2 * n, 18.0)
    fig, ax = plt.subplots(figsize=(width_in, 5.0), dpi=110)
    mesh = ax.imshow(
        tiled,
        origin="lower",
        aspect="auto",
        extent=(t0_ms, t1_ms, f_lo, f_hi),
        cmap="viridis",
        interpolation="nearest",
    )
    for i in range(1, n):
        ax.axvline(t0_ms + i * window_s * 1e3, color="white", lw=0.6, ls="--", alpha=0.7)
    if invalid is not None:
        for i in np.flatnonzero(invalid):
            x0 = t0_ms + i * window_s * 1e3
            ax.add_patch(
                Rectangle((x0, f_lo), window_s * 1e3, f_hi - f_lo, color="red", alpha=0.35)
            )
            ax.text(x0 + window_s * 5e2, (f_lo + f_hi) / 2, "NaN/Inf", color="white", ha="center")

    rate = geo.sample_rate
    for ann in annotations:
        start = ann.get("core:sample_start", 0) / rate * 1e3
        count = ann.get("core:sample_count")
        stop = t1_ms if count is None else start + count / rate * 1e3
        if stop <= t0_ms or start >= t1_ms:
            continue
        lo, hi = ann.get("core:freq_lower_edge"), ann.get("core:freq_upper_edge")
        y0, y1 = (lo / 1e6, hi / 1e6) if lo is not None and hi is not None else (f_lo, f_hi)
        x0, x1 = max(start, t0_ms), min(stop, t1_ms)
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="white", lw=0.8, ls=":"))
        label = ann.get("core:label") or ann.get("core:comment")
        if label:
            ax.text(x0, y1, f" {label}", color="white", fontsize=7, va="top", clip_on=True)

    ax.set_xlabel("time (ms)")
    ax.set_ylabel("frequency (MHz)" if center_freq else "baseband frequency (MHz)")
    subtitle = (
        f"{rate / 1e6:g} MS/s, {n} x {window_s * 1e3:g} ms window{'s' if n != 1 else ''}, "
        f"{geo.height}x{geo.width} px each, nfft {geo.nfft}, "
        f"{geo.frames_per_column} frame(s)/column"
    )
    ax.set_title(f"{title}\n{subtitle}" if title else subtitle, fontsize=9)
    fig.colorbar(mesh, ax=ax, label=colorbar_label, pad=0.01)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
