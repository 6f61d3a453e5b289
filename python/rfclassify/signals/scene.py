"""One example as a receiver records it: emitter -> propagation -> placement -> receiver.

The order follows the physics. Multipath, Doppler and carrier offset act on the emitted signal,
so they run at the emitter's native rate; the receiver then tunes and samples it (placement at
the capture rate), and only then do its own flaws appear: thermal noise white over the capture
band, phase noise, IQ imbalance, sample-rate offset (``channel.py``), and last the SDR's filters,
floor shape, LO leakage, spurs, AGC and ADC (``receiver.py``, when the scene has one). Noise
takes the same receiver path as a signal: a quiet band is the receiver's own fingerprint.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .channel import ChannelConfig, add_awgn, apply_channel, awgn_power
from .common import Waveform
from .emitters import EMITTERS, emitter_signal
from .lte import LteConfig, lte_downlink
from .nr import NrConfig, nr_downlink
from .other import receiver_noise
from .placement import combine, place
from .receiver import ReceiverConfig, apply_receiver, needs_spectrum, shape_spectrum

KIND_LABELS: dict[str, str] = {
    "lte": "LTE",
    "nr": "NR",
    "noise": "Noise",
    **{kind: "Other" for kind in EMITTERS},
}
SETTLE_S = 0.5e-3  # >> the longest delay spread (10 us) and resampling filter (~10 us)
_PROPAGATION = ("profile", "doppler_hz", "delay_spread_s", "cfo_hz")
# Bumped whenever a seed would render different samples: a dataset records it with its seed.
# 2: hard-negative emitters, AGC steps and ADC clipping; 3: TD-LTE, NR sync raster and idle
# cells, standards-based Other emitters, the SDR receiver (receiver.py), faster synthesis
GENERATOR_VERSION = 3


@dataclass(frozen=True)
class Scene:
    """Everything that defines one recorded example; ``params`` go to the emitter's generator
    (``LteConfig`` / ``NrConfig`` fields, or the keyword arguments of an "Other" kind);
    ``receiver`` is the SDR that records it (None: none, the samples stay in the generator's
    scale with only the ``channel`` impairments).

    ``start_s`` is how far into the emitter's transmission the recording starts: LTE and NR
    are generated from a frame start, so without it every example would begin on a frame
    boundary and a classifier could learn where the sync signals sit instead of what they are.
    """

    kind: str
    duration_s: float = 0.02
    capture_rate: float | None = None
    offset_hz: float = 0.0
    snr_db: float | None = 20.0
    channel: ChannelConfig = field(default_factory=ChannelConfig)
    params: dict[str, Any] = field(default_factory=dict)
    start_s: float = 0.0
    receiver: ReceiverConfig | None = None

    def __post_init__(self) -> None:
        if self.kind not in KIND_LABELS:
            raise ValueError(f"unknown kind {self.kind!r}; use one of {sorted(KIND_LABELS)}")
        if not self.duration_s > 0:
            raise ValueError(f"duration must be positive, got {self.duration_s}")
        if not 0 <= self.start_s <= 1.0:
            raise ValueError(f"start_s must be in 0..1 s, got {self.start_s}")
        if self.capture_rate is None and self.kind not in ("lte", "nr"):
            raise ValueError(f"kind {self.kind!r} needs a capture rate")
        if self.channel.snr_db is not None:
            raise ValueError("give the SNR as Scene.snr_db (it is applied at the receiver)")

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def emit(scene: Scene, rng: np.random.Generator) -> Waveform:
    """The emitter's signal alone, at its native rate (LTE/NR) or at the capture rate.

    It covers ``start_s + duration_s`` less whatever the generator can skip itself (LTE starts
    at any subframe); ``params["lead_s"]`` is the time still to drop from its beginning.
    """
    lead = scene.start_s
    try:
        if scene.kind == "lte":
            subframes = int(np.floor(lead / 1e-3 + 1e-9))
            lead -= subframes * 1e-3
            wave = lte_downlink(
                LteConfig(**scene.params), lead + scene.duration_s, rng, subframes % 10
            )
        elif scene.kind == "nr":
            wave = nr_downlink(NrConfig(**scene.params), lead + scene.duration_s, rng)
        else:
            assert scene.capture_rate is not None
            duration = lead + scene.duration_s
            if scene.kind == "noise":
                params = dict(scene.params)
                if scene.receiver is not None:  # the receiver shapes the floor and adds the lines
                    params = {"coloured": False, "dc_spur_db": math.nan, **params}
                wave = receiver_noise(duration, scene.capture_rate, rng, **params)
            else:
                wave = emitter_signal(scene.kind, duration, scene.capture_rate, rng, **scene.params)
    except TypeError as exc:  # an unknown keyword in params
        raise ValueError(f"{scene.kind}: {exc}") from None
    wave.params["lead_s"] = max(0.0, lead)
    return wave


def _split_channel(scene: Scene) -> tuple[ChannelConfig, ChannelConfig]:
    """(propagation, receiver): what the air does at the emitter's rate, what the SDR adds."""
    channel = scene.channel
    propagation = dataclasses.replace(
        ChannelConfig(), **{name: getattr(channel, name) for name in _PROPAGATION}
    )
    receiver = dataclasses.replace(
        channel, profile="none", doppler_hz=0.0, cfo_hz=0.0, snr_db=scene.snr_db
    )
    return propagation, receiver


def _drop_lead(wave: Waveform, lead_s: float, duration_s: float) -> Waveform:
    start = round(lead_s * wave.sample_rate)
    stop = start + max(1, round(duration_s * wave.sample_rate))
    return dataclasses.replace(wave, samples=wave.samples[start:stop])


def transmit(scene: Scene, rng: np.random.Generator) -> Waveform:
    """Emitter -> propagation -> placement at the capture rate, cut to the recorded span.

    All of the lead but ``SETTLE_S`` is dropped before propagation (it would only cost time);
    the rest after propagation and resampling, so that the multipath and the resampling
    filters have settled before the first recorded sample.
    """
    wave = emit(scene, rng)
    propagation, _ = _split_channel(scene)
    lead = wave.params.pop("lead_s")
    early = round(max(0.0, lead - SETTLE_S) * wave.sample_rate)
    if early:
        lead -= early / wave.sample_rate
        wave = dataclasses.replace(wave, samples=wave.samples[early:])
    wave = apply_channel(wave, propagation, rng)
    wave.params["propagation"] = wave.params.pop("channel")
    rate = scene.capture_rate or wave.sample_rate
    if rate != wave.sample_rate or scene.offset_hz:
        wave = place(wave, rate, scene.offset_hz)
    wave = _drop_lead(wave, lead, scene.duration_s)
    # How much of the emitter the recording holds (1: on all the time, whole in the view): an
    # idle cell seen for 10 ms, or through a narrow view beside its SSB, may hold nothing at all.
    x = wave.samples
    wave.params["recorded_power"] = float(np.vdot(x, x).real / max(x.size, 1))
    return wave


def _describe(wave: Waveform, scene: Scene) -> Waveform:
    wave.params = {
        **wave.params,
        "kind": scene.kind,
        "snr_db": scene.snr_db,
        "offset_hz": scene.offset_hz,
        "start_s": scene.start_s,
        "capture_rate": wave.sample_rate,
    }
    return wave


def _spectral(scene: Scene, rate: float, rng: np.random.Generator, known: float | None = None):
    """The receiver's frequency-domain stage, for ``apply_channel`` to run inside the
    sample-rate offset's resampling (None: no receiver, or nothing to do there). ``known``:
    the thermal noise power where the caller added the noise itself (a pair)."""
    receiver = scene.receiver
    if receiver is None or not needs_spectrum(receiver):
        return None
    return lambda spectrum, noise_power: shape_spectrum(
        spectrum, spectrum.size, rate, receiver, rng, noise_power if known is None else known
    )


def _record(wave: Waveform, scene: Scene, rng: np.random.Generator) -> Waveform:
    """The SDR's own stage, last: what the ADC stores of the noisy, impaired signal (its
    filters and lines already applied where the sample-rate offset held the spectrum)."""
    noise_power = wave.params.pop("noise_power", None)
    shaped = wave.params.pop("receiver_spectrum", None)
    if scene.receiver is None:
        return wave
    samples, record = apply_receiver(
        wave.samples, wave.sample_rate, scene.receiver, rng, noise_power, shaped
    )
    wave.params["sdr"] = record
    return dataclasses.replace(wave, samples=samples)


def render(scene: Scene, rng: np.random.Generator | int | None = None) -> Waveform:
    """The example as recorded at ``scene.capture_rate`` (native rate when None)."""
    rng = np.random.default_rng(rng)
    _, receiver = _split_channel(scene)
    if scene.kind == "noise":
        # Receiver noise is already the receiver; only its own flaws apply.
        wave = emit(scene, rng)
        wave = _drop_lead(wave, wave.params.pop("lead_s"), scene.duration_s)
        wave = apply_channel(wave, dataclasses.replace(receiver, snr_db=None), rng)
        wave.params["noise_power"] = 1.0  # receiver_noise has unit power
    else:
        wave = transmit(scene, rng)
        wave = apply_channel(wave, receiver, rng, _spectral(scene, wave.sample_rate, rng))
    wave.params["receiver"] = wave.params.pop("channel")
    return _describe(_record(wave, scene, rng), scene)


def render_pair(
    primary: Scene,
    secondary: Scene,
    relative_db: float,
    rng: np.random.Generator | int | None = None,
) -> Waveform:
    """Two carriers side by side in one capture (e.g. an LTE and an NR cell of one operator).

    The secondary arrives ``relative_db`` (normally < 0) against the primary; the label, the SNR
    (over the primary's occupied band) and the receiver impairments are the primary's. The
    secondary's own generation parameters are kept under ``params["secondary"]``.
    """
    rng = np.random.default_rng(rng)
    if primary.kind == "noise" or secondary.kind == "noise":
        raise ValueError("a pair needs two emitters; noise is the receiver's own")
    rate = primary.capture_rate
    if rate is None or secondary.capture_rate != rate:
        raise ValueError("both scenes of a pair need the same, explicit capture rate")
    if abs(primary.duration_s - secondary.duration_s) > 1e-12:
        raise ValueError("both scenes of a pair need the same duration")
    first, second = transmit(primary, rng), transmit(secondary, rng)
    # combine() brings each carrier to unit mean power first: the primary keeps unit power.
    mixed = combine([first, second], [0.0, relative_db])
    _, receiver = _split_channel(primary)
    noise_power = None
    if primary.snr_db is not None:
        # The noise level follows the primary alone: the secondary is interference, not signal.
        duty = float(first.params.get("duty_cycle", 1.0)) or 1.0
        noise_power = awgn_power(1 / duty, primary.snr_db, first.occupied_bandwidth, rate)
        mixed = add_awgn(mixed, primary.snr_db, first.occupied_bandwidth, rate, rng, 1 / duty)
    wave = dataclasses.replace(first, samples=mixed.astype(np.complex64))
    receiver = dataclasses.replace(receiver, snr_db=None)
    wave = apply_channel(wave, receiver, rng, _spectral(primary, rate, rng, noise_power))
    receiver_dict = wave.params.pop("channel")
    receiver_dict["snr_db"] = primary.snr_db
    wave.params["receiver"] = receiver_dict
    if noise_power is not None:
        wave.params["noise_power"] = noise_power
    wave = _describe(_record(wave, primary, rng), primary)
    wave.params["secondary"] = {
        **{k: v for k, v in second.params.items() if k != "channel"},
        "kind": secondary.kind,
        "offset_hz": secondary.offset_hz,
        "relative_db": relative_db,
    }
    return wave
