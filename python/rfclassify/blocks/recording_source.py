"""A recording played as an SDR stream: SigMF or raw IQ of any datatype, with the SDR's tags.

GNU Radio's file source reads one item type and knows nothing of SigMF; this block reads any
SigMF datatype in bounded chunks (``io.Recording``), converts to complex64 and tags sample 0 with
``rx_rate``, ``rx_freq`` (when the metadata has it) and ``rx_time`` (from ``core:datetime``), so
the classifier downstream timestamps and labels its records exactly as it would live. The stream
ends at the end of the file. ``realtime`` paces it to the sample rate (a replay that a realtime
classifier may fall behind on, as it would on air).
"""

from __future__ import annotations

import time

import numpy as np
import pmt
from gnuradio import gr

from ..io.recording import Recording
from ..io.records import epoch_from_iso, is_iso_utc

_CHUNK = 1 << 18  # samples per read: bounded memory, few Python calls


class recording_source(gr.sync_block):  # lower case: the GNU Radio convention
    """complex64 out: the samples of ``recording`` (an opened ``io.Recording``), once."""

    def __init__(self, recording: Recording, realtime: bool = False):
        gr.sync_block.__init__(
            self, name="rfclassify_recording_source", in_sig=None, out_sig=[np.complex64]
        )
        self.recording = recording
        self.realtime = bool(realtime)
        self._chunks = recording.chunks(_CHUNK)
        self._pending = np.empty(0, np.complex64)
        self._began: float | None = None
        self._tagged = False
        self.set_output_multiple(1)

    def _tag_start(self) -> None:
        rec = self.recording
        self.add_item_tag(0, 0, pmt.intern("rx_rate"), pmt.from_double(rec.sample_rate))
        if rec.center_freq is not None:
            self.add_item_tag(0, 0, pmt.intern("rx_freq"), pmt.from_double(rec.center_freq))
        stamp = next((c.get("core:datetime") for c in rec.captures if "core:datetime" in c), None)
        if is_iso_utc(stamp):
            seconds = epoch_from_iso(stamp)
            whole = int(seconds // 1)
            value = pmt.make_tuple(pmt.from_uint64(whole), pmt.from_double(seconds - whole))
            self.add_item_tag(0, 0, pmt.intern("rx_time"), value)
        self._tagged = True

    def work(self, input_items, output_items):
        out = output_items[0]
        if not self._tagged:
            self._tag_start()
        if self._pending.size == 0:
            try:
                _, self._pending = next(self._chunks)
            except StopIteration:
                return -1  # WORK_DONE: the end of the recording ends the stream
        n = min(len(out), self._pending.size)
        if self.realtime:
            n = self._pace(n)
        out[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _pace(self, n: int) -> int:
        """Hold the output to the sample rate against the wall clock."""
        now = time.monotonic()
        if self._began is None:
            self._began = now
        due = self.nitems_written(0) + n
        ahead = due / self.recording.sample_rate - (now - self._began)
        if ahead > 0:
            time.sleep(min(ahead, 0.05))
            allowed = int((time.monotonic() - self._began) * self.recording.sample_rate)
            n = max(1, min(n, allowed - self.nitems_written(0)))
        return n
