"""rfclassify.classifier in real GNU Radio flowgraphs: passthrough, tags, messages, ZMQ, SDR tags,
skipping when the worker is behind."""

from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pmt
import pytest
import zmq
from gnuradio import blocks, gr, zeromq

from rfclassify.blocks import classifier
from rfclassify.blocks.pmt_records import record_from_pmt
from rfclassify.errors import RfclassifyError
from rfclassify.io.records import ResultRecord
from rfclassify.signals.scene import Scene, render

RATE = 1.92e6
WINDOW = 38400  # 20 ms at 1.92 MS/s, the shipped model's default window


def _noise(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.1).astype(np.complex64)


def _tag(offset: int, key: str, value) -> gr.tag_t:
    tag = gr.tag_t()
    tag.offset, tag.key, tag.value = offset, pmt.intern(key), value
    return tag


def _run(block, data: np.ndarray, tags=()) -> tuple[np.ndarray, list, list]:
    """vector_source -> block -> vector_sink (+ message_debug): output, our tags, messages."""
    tb = gr.top_block()
    src = blocks.vector_source_c(data, False, 1, list(tags))
    snk = blocks.vector_sink_c()
    dbg = blocks.message_debug()
    tb.connect(src, block, snk)
    tb.msg_connect(block, "classification", dbg, "store")
    tb.run()
    ours = [t for t in snk.tags() if pmt.symbol_to_string(t.key) == "rf_class"]
    messages = [dbg.get_message(i) for i in range(dbg.num_messages())]
    return np.asarray(snk.data(), dtype=np.complex64), ours, messages


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlowClassifier:
    """A real classifier whose batches take ``delay`` seconds more (a stalled backend)."""

    def __init__(self, inner, delay: float):
        self.inner, self.delay = inner, delay

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def images(self, windows, rate, *started):
        time.sleep(self.delay)
        return self.inner.images(windows, rate, *started)


def _slow(block, delay: float):
    block.stream.classifier = SlowClassifier(block.stream.classifier, delay)
    return block


# -- passthrough, tags, labels, messages ---------------------------------------------------------


def _segments(rate: float) -> tuple[np.ndarray, list[str]]:
    """Two windows each of clear LTE, NR and Noise at ``rate``."""
    length = round(0.02 * rate)
    scenes = {
        "LTE": Scene("lte", 0.04, rate, snr_db=25.0, params={"bandwidth_mhz": 5.0}),
        "NR": Scene("nr", 0.04, rate, snr_db=25.0, params={"bandwidth_mhz": 5, "scs_khz": 15}),
        "Noise": Scene("noise", 0.04, rate),
    }
    parts, truth = [], []
    for seed, (label, scene) in enumerate(scenes.items(), 1):
        parts.append(render(scene, seed).samples[: 2 * length].astype(np.complex64))
        truth += [label, label]
    return np.concatenate(parts), truth


def test_offline_passthrough_is_bit_exact_tags_sit_on_window_starts_with_the_right_labels():
    rate = 7.68e6
    data, truth = _segments(rate)
    block = classifier(sample_rate=rate, mode="offline")
    out, tags, messages = _run(block, data)

    assert out.dtype == np.complex64 and np.array_equal(out, data)  # bit for bit
    length = round(0.02 * rate)
    assert [t.offset for t in tags] == [i * length for i in range(len(truth))]
    records = [record_from_pmt(t.value) for t in tags]
    assert [r.label for r in records] == truth
    assert [r.seq for r in records] == list(range(len(truth)))
    assert all(r.length == length and r.sample_rate == rate and r.valid for r in records)
    assert all(r.model == "vim-lte-nr" and r.time_source == "host" for r in records)
    assert all(abs(sum(r.probs.values()) - 1) < 1e-4 for r in records)
    # The message port carries exactly the tag values.
    assert len(messages) == len(tags)
    assert all(pmt.equal(m, t.value) for m, t in zip(messages, tags, strict=True))
    counts = block.counters()
    assert counts["windows"] == counts["classified"] == counts["records"] == len(truth)
    assert counts["skipped"] == 0


def test_many_small_work_calls_and_a_partial_last_window_lose_nothing():
    data = _noise(5 * WINDOW + 1234)  # the tail never fills a window
    block = classifier(sample_rate=RATE, mode="offline")
    block.set_max_noutput_items(5000)  # dozens of work() calls per window
    out, tags, _ = _run(block, data)
    assert np.array_equal(out, data)
    assert [t.offset for t in tags] == [i * WINDOW for i in range(5)]
    assert block.counters()["partial"] == 1


def test_overlapping_windows_follow_the_hop():
    data = _noise(3 * WINDOW)
    block = classifier(sample_rate=RATE, mode="offline", hop_ms=10.0)
    out, tags, _ = _run(block, data)
    assert np.array_equal(out, data)
    assert [t.offset for t in tags] == [i * WINDOW // 2 for i in range(5)]


def test_nan_samples_give_an_invalid_record_never_a_label():
    data = _noise(3 * WINDOW)
    data[WINDOW + 100] = np.nan
    out, tags, _ = _run(classifier(sample_rate=RATE, mode="offline"), data)
    assert np.array_equal(out, data, equal_nan=True)
    records = [record_from_pmt(t.value) for t in tags]
    assert [r.valid for r in records] == [True, False, True]
    assert records[1].label == "invalid" and records[1].probs == {}


def test_min_confidence_above_every_result_publishes_nothing_and_counts():
    block = classifier(sample_rate=RATE, mode="offline", min_confidence=1.0)
    out, tags, messages = _run(block, _noise(3 * WINDOW))
    assert tags == [] and messages == [] and np.array_equal(out, _noise(3 * WINDOW))
    assert block.counters()["below_confidence"] == 3


# -- SDR tags ------------------------------------------------------------------------------------


def test_rx_time_and_rx_freq_timestamp_records_and_a_retune_restarts_windowing():
    data = _noise(6 * WINDOW)
    retune = 2 * WINDOW + WINDOW // 2
    tags = [
        _tag(0, "rx_time", pmt.make_tuple(pmt.from_uint64(1_700_000_000), pmt.from_double(0.25))),
        _tag(0, "rx_freq", pmt.from_double(806e6)),
        _tag(retune, "rx_freq", pmt.from_double(1.8e9)),
    ]
    block = classifier(sample_rate=RATE, mode="offline")
    out, ours, _ = _run(block, data, tags)
    assert np.array_equal(out, data)
    starts = [t.offset for t in ours]
    assert starts == [0, WINDOW, retune, retune + WINDOW, retune + 2 * WINDOW]
    records = [record_from_pmt(t.value) for t in ours]
    assert [r.center_freq for r in records] == [806e6, 806e6, 1.8e9, 1.8e9, 1.8e9]
    assert all(r.time_source == "rx_time" for r in records)
    expected = 1_700_000_000.25 + retune / RATE
    stamp = records[2].time  # ISO-8601 UTC, microseconds
    assert stamp == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(expected))) + (
        f".{round((expected % 1) * 1e6):06d}Z"
    )
    # Two incomplete windows: the one the retune cut, and the stream's tail.
    assert block.counters()["partial"] == 2 and block.counters()["retunes"] == 1


def test_a_rate_change_restarts_windows_at_the_new_length_and_an_unservable_rate_pauses():
    first, second = 2 * WINDOW, 2 * 2 * WINDOW  # at 3.84 MS/s a 20 ms window is 76800 samples
    data = _noise(first + second + 50_000)
    tags = [
        _tag(first, "rx_rate", pmt.from_double(3.84e6)),
        _tag(first + second, "rx_rate", pmt.from_double(123.0)),  # no model serves this
    ]
    block = classifier(sample_rate=RATE, mode="offline")
    out, ours, _ = _run(block, data, tags)
    assert np.array_equal(out, data)
    records = [record_from_pmt(t.value) for t in ours]
    assert [r.start for r in records] == [0, WINDOW, first, first + 2 * WINDOW]
    assert [r.sample_rate for r in records] == [RATE, RATE, 3.84e6, 3.84e6]
    assert [r.length for r in records] == [WINDOW, WINDOW, 2 * WINDOW, 2 * WINDOW]


# -- realtime: skipping, stalls ------------------------------------------------------------------


def test_when_the_worker_is_behind_windows_are_skipped_untagged_and_counted():
    windows = 24
    block = _slow(classifier(sample_rate=RATE, max_batch=1, max_latency_ms=5000.0), 0.03)
    out, tags, messages = _run(block, _noise(windows * WINDOW))
    assert np.array_equal(out, _noise(windows * WINDOW))
    counts = block.counters()
    tagged = [t.offset for t in tags]
    records = [record_from_pmt(t.value) for t in tags]
    assert counts["windows"] == windows and 0 < counts["skipped"] < windows
    assert len(tagged) + counts["skipped"] == windows
    # Each record reports the windows skipped since the one before it; none is lost.
    starts = [i * WINDOW for i in range(windows)]
    previous = -1
    for offset, record in zip(tagged, records, strict=True):
        between = [s for s in starts if previous < s < offset]
        assert record.skipped == len(between)
        previous = offset
    trailing = len([s for s in starts if s > previous])
    assert sum(r.skipped for r in records) + trailing == counts["skipped"]
    assert [r.seq for r in records] == list(range(len(records)))
    assert len(messages) == len(tags)


def test_a_stalled_backend_costs_skipped_windows_not_the_sources_rate():
    seconds = 1.5
    tb = gr.top_block()
    src = blocks.vector_source_c(_noise(WINDOW), True)
    throttle = blocks.throttle(gr.sizeof_gr_complex, RATE)
    block = _slow(classifier(sample_rate=RATE, max_latency_ms=50.0), 5.0)  # never in time
    head = blocks.head(gr.sizeof_gr_complex, int(seconds * RATE))
    snk = blocks.null_sink(gr.sizeof_gr_complex)
    tb.connect(src, throttle, block, head, snk)
    began = time.monotonic()
    tb.start()
    while head.nitems_written(0) < int(seconds * RATE) and time.monotonic() - began < 10:
        time.sleep(0.01)
    elapsed = time.monotonic() - began
    tb.stop()
    tb.wait()
    assert elapsed < seconds + 0.5  # the output kept (close to) the source's pace
    counts = block.counters()
    assert counts["skipped"] >= counts["windows"] - 1 and counts["windows"] >= 60
    assert counts["records"] == 0


def test_a_live_paced_stream_never_looks_stalled():
    """Input arriving between releases must reset the stall clock (no false partial drops)."""
    tb = gr.top_block()
    src = blocks.vector_source_c(_noise(WINDOW), True)
    throttle = blocks.throttle(gr.sizeof_gr_complex, RATE)
    block = classifier(sample_rate=RATE, max_latency_ms=500.0, stall_timeout=0.05)
    head = blocks.head(gr.sizeof_gr_complex, int(1.5 * RATE))
    tb.connect(src, throttle, block, head, blocks.null_sink(gr.sizeof_gr_complex))
    tb.run()
    counts = block.counters()
    assert counts["windows"] >= 60 and counts["partial"] == 0
    # every window is accounted for: a result, a skip, or (at most a queue's worth) still being
    # classified when the flowgraph stopped
    assert counts["records"] + counts["skipped"] + counts["unfinished"] == counts["windows"]
    assert counts["unfinished"] <= 2 * 8


def test_a_running_flowgraph_trims_the_heap_and_stops_trimming_with_it():
    import threading

    from rfclassify.inference.heap import TRIMMER

    if not TRIMMER.available:
        pytest.skip("needs glibc's malloc_trim")
    tb = gr.top_block()
    src = blocks.vector_source_c(_noise(WINDOW), True)
    throttle = blocks.throttle(gr.sizeof_gr_complex, RATE)
    block = classifier(sample_rate=RATE, heap_trim_s=0.05)
    idle = classifier(sample_rate=RATE, heap_trim_s=0)  # 0: this one holds nothing
    head = blocks.head(gr.sizeof_gr_complex, int(0.6 * RATE))
    tb.connect(src, throttle, block, idle, head, blocks.null_sink(gr.sizeof_gr_complex))
    before = TRIMMER.trims
    tb.run()
    assert block.counters()["heap_trims"] - before >= 3  # 0.6 s at one trim per 50 ms
    assert block.counters()["windows"] >= 20
    assert not any(t.name == "rfclassify-heap-trim" for t in threading.enumerate())
    assert TRIMMER.period is None
    with pytest.raises(RfclassifyError, match="heap trim period must be >= 0"):
        classifier(sample_rate=RATE, heap_trim_s=-1)


# -- ZMQ -----------------------------------------------------------------------------------------


def test_zmq_json_subscriber_gets_every_record_in_order():
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    block = classifier(sample_rate=RATE, mode="offline", zmq_address=address)
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"rfclassify")
    sub.setsockopt(zmq.RCVTIMEO, 5000)
    sub.connect(address)
    time.sleep(0.3)  # let the subscription reach the publisher (ZMQ's slow joiner)
    _, tags, _ = _run(block, _noise(8 * WINDOW))
    received = [ResultRecord.from_json(sub.recv_multipart()[1]) for _ in tags]
    sub.close(0)
    assert [r.seq for r in received] == list(range(8))
    assert [r.start for r in received] == [t.offset for t in tags]
    assert received == [record_from_pmt(t.value) for t in tags]
    assert block.counters()["zmq_sent"] == 8 and block.counters()["zmq_dropped"] == 0


def test_zmq_pmt_frames_are_read_by_a_stock_gnuradio_sub_msg_source():
    address = f"tcp://127.0.0.1:{_free_port()}"
    block = classifier(sample_rate=RATE, mode="offline", zmq_address=address, zmq_format="pmt")
    listener = gr.top_block()
    source = zeromq.sub_msg_source(address, 100, False)
    store = blocks.message_debug()
    listener.msg_connect(source, "out", store, "store")
    listener.start()
    time.sleep(0.5)
    _, tags, _ = _run(block, _noise(5 * WINDOW))
    deadline = time.monotonic() + 5
    while store.num_messages() < len(tags) and time.monotonic() < deadline:
        time.sleep(0.05)
    listener.stop()
    listener.wait()
    got = [record_from_pmt(store.get_message(i)) for i in range(store.num_messages())]
    assert got == [record_from_pmt(t.value) for t in tags] and len(got) == 5


# -- refusals ------------------------------------------------------------------------------------


def test_bad_settings_are_refused_at_construction_with_a_clear_message():
    with pytest.raises(RfclassifyError, match=r"sample rate 0.1 MS/s is not supported.*MS/s"):
        classifier(sample_rate=100e3)
    with pytest.raises(RfclassifyError, match="mode 'fast'"):
        classifier(sample_rate=RATE, mode="fast")
    with pytest.raises(RfclassifyError, match="ZMQ format 'xml'"):
        classifier(sample_rate=RATE, zmq_format="xml")
    with pytest.raises(RfclassifyError, match="min confidence"):
        classifier(sample_rate=RATE, min_confidence=1.5)
    with pytest.raises(RfclassifyError, match="window_ms=80"):
        classifier(sample_rate=RATE, window_ms=80.0)
    with pytest.raises(RfclassifyError, match="no model 'nope'"):
        classifier(model="nope", sample_rate=RATE)


def test_a_zmq_port_in_use_is_named_in_the_error():
    holder = zmq.Context.instance().socket(zmq.PUB)
    port = holder.bind_to_random_port("tcp://127.0.0.1")
    try:
        with pytest.raises(RfclassifyError, match=f"tcp://127.0.0.1:{port} is already in use"):
            classifier(sample_rate=RATE, zmq_address=f"tcp://127.0.0.1:{port}")
    finally:
        holder.close(0)


def test_the_block_is_reachable_as_rfclassify_classifier_and_its_worker_lives_with_the_graph():
    import rfclassify

    assert rfclassify.classifier is classifier
    block = classifier(sample_rate=RATE, mode="offline")
    assert block.stream.worker is None  # nothing runs before the flowgraph starts
    _run(block, _noise(2 * WINDOW))
    assert block.stream.worker is None  # stop() ended it
    assert "rfclassify-inference" not in [t.name for t in threading.enumerate()]
