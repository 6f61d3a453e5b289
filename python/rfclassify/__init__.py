"""gr-rfclassify: says, continuously, whether a radio stream carries LTE, 5G NR, noise or other.

The core (signals, dsp, models, training, inference, io) imports no GNU Radio; only ``blocks``
and the apps do. Inside the package every import is relative, because the CMake install places
the same sources at ``gnuradio.rfclassify``.
"""

__version__ = "0.1.0"
