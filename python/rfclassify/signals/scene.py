"""One example as a receiver records it: emitter -> propagation -> placement -> receiver.

The order follows the physics. Multipath, Doppler and carrier offset act on the emitted signal,
so they run at the emitter's native rate; the receiver then tunes and samples it (placement at
the capture rate), and only then do its own flaws appear: thermal noise white over the capture
band, phase noise, IQ imbalance, DC offset, sample-rate offset.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .channel import ChannelConfig, apply_channel
from .common import Waveform
from .lte import LteConfig, lte_downlink
from .nr import NrConfig, nr_downlink
from .other import OTHER_KINDS, other_signal, receiver_noise
from .placement import place

KIND_LABELS: dict[str, str] = {
    "lte": "LTE",
    "nr": "NR",
    "noise": "Noise",
    **{kind: "Other" for kind in OTHER_KINDS},
}
_PROPAGATION = ("profile", "doppler_hz", "delay_spread_s", "cfo_hz")


@dataclass(frozen=True)
class Scene:
    """Everything that defines one recorded example; ``params`` go to the emitter's generator
    (``LteConfig`` / ``NrConfig`` fields, or the keyword arguments of an "Other" kind)."""

    kind: str
    duration_s: float = 0.02
    capture_rate: float | None = None
    offset_hz: float = 0.0
    snr_db: float | None = 20.0
    channel: ChannelConfig = field(default_factory=ChannelConfig)
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KIND_LABELS:
            raise ValueError(f"unknown kind {self.kind!r}; use one of {sorted(KIND_LABELS)}")
        if not self.duration_s > 0:
            raise ValueError(f"duration must be positive, got {self.duration_s}")
        if self.capture_rate is None and self.kind not in ("lte", "nr"):
            raise ValueError(f"kind {self.kind!r} needs a capture rate")
        if self.channel.snr_db is not None:
            raise ValueError("give the SNR as Scene.snr_db (it is applied at the receiver)")

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def emit(scene: Scene, rng: np.random.Generator) -> Waveform:
    """The emitter's signal alone, at its native rate (LTE/NR) or at the capture rate."""
    try:
        if scene.kind == "lte":
            return lte_downlink(LteConfig(**scene.params), scene.duration_s, rng)
        if scene.kind == "nr":
            return nr_downlink(NrConfig(**scene.params), scene.duration_s, rng)
        assert scene.capture_rate is not None
        if scene.kind == "noise":
            return receiver_noise(scene.duration_s, scene.capture_rate, rng, **scene.params)
        return other_signal(scene.kind, scene.duration_s, scene.capture_rate, rng, **scene.params)
    except TypeError as exc:  # an unknown keyword in params
        raise ValueError(f"{scene.kind}: {exc}") from None


def render(scene: Scene, rng: np.random.Generator | int | None = None) -> Waveform:
    """The example as recorded at ``scene.capture_rate`` (native rate when None)."""
    rng = np.random.default_rng(rng)
    wave = emit(scene, rng)
    channel = scene.channel
    propagation = dataclasses.replace(
        ChannelConfig(), **{name: getattr(channel, name) for name in _PROPAGATION}
    )
    receiver = dataclasses.replace(
        channel, profile="none", doppler_hz=0.0, cfo_hz=0.0, snr_db=scene.snr_db
    )
    if scene.kind == "noise":
        # Receiver noise is already the receiver; only its own flaws apply.
        return apply_channel(wave, dataclasses.replace(receiver, snr_db=None), rng)
    wave = apply_channel(wave, propagation, rng)
    wave.params["propagation"] = wave.params.pop("channel")
    rate = scene.capture_rate or wave.sample_rate
    if rate != wave.sample_rate or scene.offset_hz:
        wave = place(wave, rate, scene.offset_hz)
    wave = apply_channel(wave, receiver, rng)
    wave.params["receiver"] = wave.params.pop("channel")
    wave.params = {
        **wave.params,
        "kind": scene.kind,
        "snr_db": scene.snr_db,
        "offset_hz": scene.offset_hz,
        "capture_rate": rate,
    }
    return wave
