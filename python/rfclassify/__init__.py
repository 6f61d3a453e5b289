"""gr-rfclassify: says, continuously, whether a radio stream carries LTE, 5G NR, noise or other.

The core (signals, dsp, models, training, inference, io) imports no GNU Radio; only ``blocks``
and the apps do. Inside the package every import is relative, because the CMake install places
the same sources at ``gnuradio.rfclassify``.
"""

from ._version import __version__

__all__ = ["__version__"]
_BLOCKS = ("classifier", "sim_source", "spectrogram")


def __getattr__(name: str):
    """The GNU Radio blocks, imported on first use so the core never needs GNU Radio."""
    if name in _BLOCKS:
        from . import blocks

        return getattr(blocks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
