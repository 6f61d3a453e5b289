"""Where the receiver's records go: the console (a message sink) and a SigMF recording.

``result_printer`` takes the classifier's ``classification`` messages and hands each decoded
record to a callback (the receiver prints a line or a JSON record). ``sigmf_recorder`` writes the
IQ that passed the classifier and one SigMF annotation per ``rf_class`` tag on it: the tags travel
with their samples, so an annotation always describes samples that are in the file.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pmt
from gnuradio import gr

from ..io.records import ResultRecord
from ..io.writer import RecordingWriter
from .pmt_records import record_from_pmt


class result_printer(gr.basic_block):  # lower case: the GNU Radio convention
    """Message sink: ``emit(record)`` for every result record on its ``in`` port."""

    def __init__(self, emit: Callable[[ResultRecord], None]):
        gr.basic_block.__init__(self, name="rfclassify_result_printer", in_sig=None, out_sig=None)
        self.emit = emit
        self.undecodable = 0
        self.message_port_register_in(pmt.intern("in"))
        self.set_msg_handler(pmt.intern("in"), self._handle)

    def _handle(self, message) -> None:
        try:
            record = record_from_pmt(message)
        except ValueError as exc:
            self.undecodable += 1
            self.logger.warn(f"ignoring a message that is not a result record: {exc}")
            return
        self.emit(record)


class sigmf_recorder(gr.sync_block):  # lower case: the GNU Radio convention
    """complex64 in: written to ``meta_path`` (SigMF), annotated from ``tag_key`` tags."""

    def __init__(self, writer: RecordingWriter, tag_key: str = "rf_class"):
        gr.sync_block.__init__(
            self, name="rfclassify_sigmf_recorder", in_sig=[np.complex64], out_sig=None
        )
        self.writer = writer
        self.tag_key = pmt.intern(tag_key)
        self.annotated = 0

    def work(self, input_items, output_items):
        samples = input_items[0]
        start = self.nitems_read(0)
        self.writer.write(samples)
        for tag in self.get_tags_in_range(0, start, start + len(samples), self.tag_key):
            try:
                self.writer.annotate_result(record_from_pmt(tag.value))
            except ValueError as exc:
                self.logger.warn(f"tag at {tag.offset} is not a result record: {exc}")
                continue
            self.annotated += 1
        return len(samples)

    def stop(self) -> bool:
        self.writer.close()  # the recording is complete and valid from here on
        return True
