"""The receiver's flowgraph: source -> classifier -> (SigMF recorder | null sink), results to a
callback. One builder, used by ``rfclassify_rx.py`` and by tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from gnuradio import blocks, gr

from ..blocks.classifier import classifier
from ..blocks.record_sinks import result_printer, sigmf_recorder
from ..io.records import ResultRecord
from ..io.writer import RecordingWriter
from .config import FILE_SOURCES, Config, recording_path
from .sources import make_source


class Receiver(gr.top_block):
    """The whole station for one resolved ``Config``; ``emit`` gets every result record."""

    def __init__(self, config: Config, emit: Callable[[ResultRecord], None]):
        gr.top_block.__init__(self, "rfclassify receiver", catch_exceptions=True)
        src, cls, out = config["source"], config["classifier"], config["outputs"]
        self.config = config
        self.from_file = src["kind"] in FILE_SOURCES
        self.realtime = not self.from_file or cls["realtime"]
        self.source, self.sample_rate, self.center_freq = make_source(src, self.realtime)
        self.classifier = classifier(
            model=cls["model"],
            backend=cls["backend"],
            device=cls["device"],
            sample_rate=self.sample_rate,
            window_ms=cls["window_ms"],
            hop_ms=cls["hop_ms"],
            max_batch=cls["max_batch"],
            min_confidence=cls["min_confidence"],
            zmq_address=out["zmq"],
            zmq_format=out["zmq_format"],
            zmq_curve_keys=out["zmq_curve_keys"],
            strict_device=cls["strict_device"],
            mode="realtime" if self.realtime else "offline",
            max_latency_ms=cls["max_latency_ms"],
            threads=cls["threads"],
        )
        if self.center_freq is not None:
            self.classifier.set_center_freq(self.center_freq)
        self.connect(self.source, self.classifier)
        self.recorder = None
        if out["record"]:
            writer = RecordingWriter(
                recording_path(out["record"]),
                self.sample_rate,
                center_freq=self.center_freq,
                start_time=time.time(),
                description=f"rfclassify_rx: {src['kind']} source, model {cls['model']}",
            )
            self.recorder = sigmf_recorder(writer)
            self.connect(self.classifier, self.recorder)
        else:
            self.connect(self.classifier, blocks.null_sink(gr.sizeof_gr_complex))
        self.printer = result_printer(emit)
        self.msg_connect(self.classifier, "classification", self.printer, "in")

    def samples_in(self) -> int:
        """Samples delivered so far (counted at the classifier: hier-block sources such as
        gr-osmosdr's have no item counters of their own)."""
        return self.classifier.nitems_read(0)
