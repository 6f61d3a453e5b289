"""Signal synthesis: standards-faithful LTE / NR, the other emitters a station meets, the channel.

The flow of one example (``scene.render``): emitter (``lte``, ``nr``, or an "Other" kind from
``emitters``) -> propagation (``channel``: multipath, Doppler, CFO) -> ``placement`` at the
capture rate and offset -> front end (noise at the requested SNR, phase noise, IQ imbalance,
SRO) -> the SDR (``receiver``: filters, floor shape, LO leakage, spurs, AGC, ADC).
"""

from .channel import ChannelConfig, apply_channel
from .common import CLASSES, Waveform
from .emitters import EMITTERS, emitter_signal
from .lte import LteConfig, lte_downlink
from .nr import NrConfig, nr_downlink
from .other import OTHER_KINDS, receiver_noise
from .placement import place
from .scene import GENERATOR_VERSION, KIND_LABELS, Scene, render, render_pair
from .testpattern import Component, test_pattern

__all__ = [
    "CLASSES",
    "EMITTERS",
    "GENERATOR_VERSION",
    "KIND_LABELS",
    "OTHER_KINDS",
    "ChannelConfig",
    "Component",
    "LteConfig",
    "NrConfig",
    "Scene",
    "Waveform",
    "apply_channel",
    "emitter_signal",
    "lte_downlink",
    "nr_downlink",
    "other_signal",
    "place",
    "receiver_noise",
    "render",
    "render_pair",
    "test_pattern",
]

other_signal = emitter_signal  # the name of the first dispatcher, kept for callers of it
