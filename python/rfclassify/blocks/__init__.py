"""The GNU Radio blocks: thin adapters over the GNU-Radio-free core (gr-satellites style).

``from gnuradio import rfclassify`` (CMake install) or ``import rfclassify`` (pip) exposes them
as ``rfclassify.classifier``, ``rfclassify.spectrogram`` and ``rfclassify.sim_source``.
"""

from .classifier import classifier
from .sim_source import sim_source
from .spectrogram import spectrogram

__all__ = ["classifier", "sim_source", "spectrogram"]
