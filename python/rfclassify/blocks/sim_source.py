"""A simulated SDR: the project's own generator, played as a live stream with ground truth.

It lets anyone see the classifier work without hardware, and lets tests check it against the
truth: every segment of the stream is one drawn example of one kind, tagged ``sim_label``.

Synthesis at the full rate is far slower than real time (a 20 ms clip at 30.72 MS/s renders in
about 0.1 to 0.35 s on the 2-core build machine), so a background thread renders one short clip
per segment into a small queue, and the segment is filled by playing its clip in a loop. The clip
lasts a whole number of 10 ms radio frames (TS 36.211 §4.1, TS 38.211 §4.3.1), 20 ms by default
(the default NR SS-burst period, TS 38.213 §4.1), so the looped clip keeps the frame structure
seamless: sync signals, reference signals and the TDD pattern recur exactly where a real cell
puts them; only the payload repeats.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pmt
from gnuradio import gr

from ..datasets.recipe import (
    RecipeError,
    draw_example,
    example_rngs,
    occupied_bandwidth,
    resolve_recipe,
)
from ..signals.emitters import EMITTERS
from ..signals.lte import LTE_BANDWIDTHS
from ..signals.scene import KIND_LABELS

FRAME_S = 10e-3  # LTE and NR radio frame
CLASS_KINDS = ("lte", "nr", "noise", "other")
# Every segment is recorded at this RMS level (full-scale units, as an SDR source delivers):
# a drawn level would make the loudness of a segment say which class it is.
SIM_LEVEL_DBFS = -20.0
_QUEUE_DEPTH = 2  # prepared clips waiting: enough to hide one slow render, little memory
_CHUNK_S = 0.05  # real-time pacing: at most this much signal per work() call
_POLL_S = 0.1  # how often a wait checks whether the flowgraph is stopping


@dataclass(frozen=True)
class Clip:
    """One rendered example, ready to loop; ``index`` is its segment number."""

    index: int
    kind: str  # the scene kind (``lte``, ``cw_tones``, ...)
    label: str  # the class (``LTE``, ``NR``, ``Noise``, ``Other``)
    samples: np.ndarray
    summary: str


def parse_kinds(kinds: str | list[str] | tuple[str, ...]) -> list[str]:
    """``"lte,nr,noise,other"`` -> the list; ``other`` means any Other emitter, a specific
    emitter (``wifi_ofdm``, ...) only that one."""
    names = kinds.split(",") if isinstance(kinds, str) else list(kinds)
    names = [n.strip().lower() for n in names if n.strip()]
    allowed = [*CLASS_KINDS, *EMITTERS]
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        raise ValueError(f"kinds {kinds!r}: give a comma-separated list from {allowed}")
    return names


def kind_recipe(kind: str, sample_rate: float, snr_db: tuple[float, float]) -> dict[str, Any]:
    """The dataset recipe narrowed to one kind at one capture rate (validated).

    LTE keeps only the bandwidths that fit the capture and NR draws its own from what fits
    (below 7.68 MS/s no NR carrier fits, so the capture sees part of one, as an RTL-SDR does).
    The sample-rate offset and AGC steps are off: either would repeat at every loop of the clip.
    The receiver (filters, lines, ADC) is drawn per segment, at the level ``SIM_LEVEL_DBFS``.
    """
    room = 0.9 * sample_rate  # the recipe's usable fraction of a capture
    fits = [bw for bw in sorted(LTE_BANDWIDTHS) if _lte_width(bw) <= room]
    label = KIND_LABELS.get(kind, "Other")  # "other": any Other emitter
    override: dict[str, Any] = {
        "classes": {label: 1.0},
        "snr_db": [float(snr_db[0]), float(snr_db[1])],
        "capture_rates": [float(sample_rate)],
        "partial_view": 0.0,
        "pair": 0.0,
        "lte": {"bandwidth_mhz": fits or [min(LTE_BANDWIDTHS)]},
        "channel": {"sro_ppm": [0.0, 0.0]},
        "receiver": {"agc_step": {"bernoulli": 0.0}, "level_dbfs": {"fixed": SIM_LEVEL_DBFS}},
    }
    if kind in EMITTERS:
        override["other"] = {"kinds": {kind: 1.0}}
    try:
        return resolve_recipe(override)
    except RecipeError as exc:
        raise ValueError(f"kind {kind} at {sample_rate / 1e6:g} MS/s: {exc}") from None


def _lte_width(bandwidth_mhz: float) -> float:
    return occupied_bandwidth("lte", {"bandwidth_mhz": bandwidth_mhz})


def render_clip(recipe: dict[str, Any], seed: int, index: int, clip_s: float, rate: float) -> Clip:
    """Segment ``index``'s clip: the same for a given seed whatever was rendered before it."""
    draw, render = example_rngs(seed, index)
    example = draw_example(recipe, draw, clip_s)
    wave = example.render(render)
    # Exactly a whole number of frames, so the loop does not slip against the frame timing.
    samples = np.resize(wave.samples.astype(np.complex64, copy=False), round(clip_s * rate))
    scene = example.scene
    detail = f" {scene.params['bandwidth_mhz']} MHz" if "bandwidth_mhz" in scene.params else ""
    snr = "" if scene.snr_db is None else f", SNR {scene.snr_db:.1f} dB"
    summary = f"{scene.label} ({scene.kind}{detail}, offset {scene.offset_hz / 1e3:+.0f} kHz{snr})"
    return Clip(index, scene.kind, scene.label, samples, summary)


class sim_source(gr.sync_block):  # lower case: the GNU Radio convention for block classes
    """Simulated SDR source: LTE, NR, noise and other emitters in turn, with ground-truth tags.

    Args:
        sample_rate: output rate (S/s); every kind is generated at this capture rate.
        center_freq: tuning frequency reported in the ``rx_freq`` tag (Hz); informative only.
        segment_s: how long each drawn example plays before the next one starts (s).
        kinds: comma-separated kinds, played in this order and then again: ``lte``, ``nr``,
            ``noise``, ``other`` (any Other emitter), or one emitter by name (``wifi_ofdm``...).
        snr_db_min, snr_db_max: the SNR (dB, over the occupied band) is drawn uniformly here.
        seed: the same seed plays the same stream (segment ``i`` is example ``i`` of the seed).
        realtime: pace the output to ``sample_rate`` by the wall clock, like a throttle; when
            False, run as fast as synthesis allows (offline tests, file writing).
        clip_s: the clip looped through a segment; a whole number of 10 ms frames (see above).
        shuffle: play each round of ``kinds`` in a random order (every kind once per round).

    Tags, as a hardware source gives them: ``rx_rate``, ``rx_freq`` and ``rx_time`` (host time
    of the first sample) at offset 0; ``sim_label`` (the class as a symbol: LTE, NR, Noise,
    Other) at the first sample of every segment. If a clip is not ready when its segment is
    due (synthesis slower than real time), a real-time stream replays the previous clip for one
    more segment, counted in ``late_segments``, rather than stall.
    """

    def __init__(
        self,
        sample_rate: float = 30.72e6,
        center_freq: float = 0.0,
        segment_s: float = 1.0,
        kinds: str = "lte,nr,noise,other",
        snr_db_min: float = 5.0,
        snr_db_max: float = 25.0,
        seed: int = 0,
        realtime: bool = True,
        clip_s: float = 0.02,
        shuffle: bool = False,
    ):
        gr.sync_block.__init__(self, "rfclassify_sim_source", None, [np.complex64])
        self.sample_rate = float(sample_rate)
        self.center_freq = float(center_freq)
        if not (math.isfinite(self.sample_rate) and self.sample_rate > 0):
            raise ValueError(f"sample_rate must be a positive rate in S/s, got {sample_rate!r}")
        self.segment_len = round(float(segment_s) * self.sample_rate)
        if self.segment_len < 1:
            raise ValueError(f"segment_s={segment_s} is shorter than one sample")
        frames = float(clip_s) / FRAME_S
        if not (1 <= round(frames) <= 100 and abs(frames - round(frames)) < 1e-6):
            raise ValueError(f"clip_s={clip_s} must be a whole number of 10 ms frames (<= 1 s)")
        self.clip_s = round(frames) * FRAME_S
        self.kinds = parse_kinds(kinds)
        snr = (float(snr_db_min), float(snr_db_max))
        self._recipes = {k: kind_recipe(k, self.sample_rate, snr) for k in set(self.kinds)}
        self.seed = int(seed)
        self.realtime = bool(realtime)
        self.shuffle = bool(shuffle)
        self.late_segments = 0
        self._queue: queue.Queue[Clip | BaseException] = queue.Queue(_QUEUE_DEPTH)
        self._next_index = 0  # the next segment the renderer draws
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._clip: Clip | None = None
        self._segment_pos = 0  # samples played of the current segment
        self._clip_pos = 0  # position in the current clip
        self._t0: float | None = None  # monotonic time of the first sample since start()
        self._played = 0  # samples since then (real-time pacing)

    # -- the renderer thread ------------------------------------------------------------------

    def kind_of(self, index: int) -> str:
        """The kind segment ``index`` plays (each round of ``kinds`` covers every kind)."""
        n = len(self.kinds)
        round_, slot = divmod(index, n)
        if self.shuffle:
            slot = int(np.random.default_rng([self.seed, round_]).permutation(n)[slot])
        return self.kinds[slot]

    def _render_loop(self) -> None:
        while not self._stopping.is_set():
            index = self._next_index
            kind = self.kind_of(index)
            try:
                item: Clip | BaseException = render_clip(
                    self._recipes[kind], self.seed, index, self.clip_s, self.sample_rate
                )
            except Exception as exc:  # handed to work(), which ends the stream with the error
                item = exc
            while not self._stopping.is_set():
                try:
                    self._queue.put(item, timeout=_POLL_S)
                    self._next_index = index + 1
                    break
                except queue.Full:
                    continue
            if isinstance(item, BaseException):
                return

    def start(self) -> bool:
        self._stopping.clear()
        self._t0 = None  # a (re)start is a new stream: tag it and pace it afresh
        self._thread = threading.Thread(
            target=self._render_loop, name="rfclassify-sim-render", daemon=True
        )
        self._thread.start()
        self.logger.info(
            f"simulating {', '.join(self.kinds)} at {self.sample_rate / 1e6:g} MS/s, "
            f"{self.segment_len / self.sample_rate:g} s each ({self.clip_s * 1e3:g} ms clips)"
        )
        return True

    def stop(self) -> bool:
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10.0)
            if thread.is_alive():
                self.logger.warn("the synthesis thread did not end within 10 s")
        return True

    # -- streaming ----------------------------------------------------------------------------

    def _next_clip(self) -> Clip | None:
        """The next segment's clip; None when the flowgraph stops or synthesis failed."""
        if self.realtime and self._clip is not None:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                self.late_segments += 1
                self.logger.warn(
                    f"synthesis is slower than real time: replaying {self._clip.label} "
                    f"({self.late_segments} late segments)"
                )
                return self._clip
        else:
            while True:
                try:
                    item = self._queue.get(timeout=_POLL_S)
                    break
                except queue.Empty:
                    if self._stopping.is_set() or self._thread is None:
                        return None
        if isinstance(item, BaseException):
            self.logger.error(f"synthesis failed, ending the stream: {item!r}")
            return None
        return item

    def _tag(self, offset: int, key: str, value: Any) -> None:
        self.add_item_tag(0, offset, pmt.intern(key), value, pmt.intern(self.alias()))

    def _stamp(self, offset: int) -> None:
        """Start of a stream: the tags an SDR source gives, and the pacing clock."""
        now = time.time()
        self._t0, self._played = time.monotonic(), 0
        self._tag(offset, "rx_rate", pmt.from_double(self.sample_rate))
        self._tag(offset, "rx_freq", pmt.from_double(self.center_freq))
        whole = int(now)
        self._tag(
            offset, "rx_time", pmt.make_tuple(pmt.from_uint64(whole), pmt.from_double(now - whole))
        )

    def work(self, input_items, output_items) -> int:
        out = output_items[0]
        written = self.nitems_written(0)
        new_segment = self._clip is None or self._segment_pos == self.segment_len
        if new_segment:
            clip = self._next_clip()
            if clip is None:
                return -1  # WORK_DONE
            self._clip, self._segment_pos, self._clip_pos = clip, 0, 0
        if self._t0 is None:  # after the first clip is ready, so the clock starts with the data
            self._stamp(written)
        if new_segment:
            self._tag(written, "sim_label", pmt.intern(self._clip.label))
            self.logger.debug(f"segment at sample {written}: {self._clip.summary}")
        n = min(len(out), self.segment_len - self._segment_pos)
        if self.realtime:
            n = min(n, max(1, round(_CHUNK_S * self.sample_rate)))
        samples, pos, done = self._clip.samples, self._clip_pos, 0
        while done < n:  # the clip in a loop, one slice per pass
            take = min(n - done, samples.size - pos)
            out[done : done + take] = samples[pos : pos + take]
            done += take
            pos = (pos + take) % samples.size
        self._clip_pos = pos
        self._segment_pos += n
        self._played += n
        if self.realtime:
            due = self._t0 + self._played / self.sample_rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return n
