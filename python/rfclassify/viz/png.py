"""Compact PNGs for figures that go into the repository."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any


def save_palette_png(fig: Any, out: str | Path, dpi: int) -> None:
    """Save a matplotlib figure as an 8-bit palette PNG.

    Spectrogram noise in full RGB compresses badly (a 4x4 grid is megabytes); 256 colours
    median-cut from the figure look the same and make it several times smaller.
    """
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format="png")
    image = Image.open(buffer).convert("RGB")
    palette = image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    palette.save(out, optimize=True)
