"""Bad IQ in real flowgraphs: every case passes its samples through bit for bit, keeps the
flowgraph running, and either gets a label it deserves or a record that says why it has none."""

from __future__ import annotations

import time

import numpy as np
import pmt
from gnuradio import blocks, gr

from rfclassify.blocks import classifier
from rfclassify.blocks.pmt_records import record_from_pmt
from rfclassify.inference.screening import ALL_ZERO, NON_FINITE, screen

RATE = 1.92e6
WINDOW = 38400  # 20 ms at 1.92 MS/s


def _noise(n: int, seed: int = 0, scale: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * scale).astype(np.complex64)


def _tag(offset: int, key: str, value) -> gr.tag_t:
    tag = gr.tag_t()
    tag.offset, tag.key, tag.value = offset, pmt.intern(key), value
    return tag


def _run(block, data: np.ndarray, tags=()):
    tb = gr.top_block()
    snk = blocks.vector_sink_c()
    tb.connect(blocks.vector_source_c(data, False, 1, list(tags)), block, snk)
    tb.run()
    out = np.asarray(snk.data(), dtype=np.complex64)
    records = [
        record_from_pmt(t.value) for t in snk.tags() if pmt.symbol_to_string(t.key) == "rf_class"
    ]
    return out, records


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_nan_inf_and_zero_windows_are_marked_with_the_reason_and_the_rest_classified():
    data = _noise(6 * WINDOW)
    data[WINDOW + 7] = np.nan
    data[2 * WINDOW + 9] = complex(np.inf, 0)
    data[3 * WINDOW : 4 * WINDOW] = 0  # a whole window of zeros: a source padding an underflow
    data[4 * WINDOW : 4 * WINDOW + WINDOW // 2] = 0  # half a window: still a signal to label
    block = classifier(sample_rate=RATE, mode="offline")
    out, records = _run(block, data)
    assert _same_bits(out, data)  # NaN payloads and all
    assert [r.valid for r in records] == [True, False, False, False, True, True]
    assert [r.reason for r in records] == ["", NON_FINITE, NON_FINITE, ALL_ZERO, "", ""]
    for bad in records[1:4]:
        assert bad.label == "invalid" and bad.probs == {} and bad.confidence == 0.0
    counts = block.counters()
    assert counts["invalid"] == 3 and counts["classified"] == 3 and counts["records"] == 6


def test_clipped_input_is_labelled_and_says_how_much_was_at_full_scale():
    data = _noise(4 * WINDOW, scale=0.02)
    loud = _noise(WINDOW, seed=1, scale=2.0)  # an overloaded front end: the ADC saturates
    data[WINDOW : 2 * WINDOW] = np.clip(loud.real, -1, 1) + 1j * np.clip(loud.imag, -1, 1)
    pinned = np.concatenate([np.abs(loud.real) >= 1, np.abs(loud.imag) >= 1]).mean()
    # large but not pinned: a signal at unit power (as a simulator makes it) is not clipping
    data[2 * WINDOW : 3 * WINDOW] = _noise(WINDOW, seed=2, scale=1.0)
    out, records = _run(classifier(sample_rate=RATE, mode="offline"), data)
    assert _same_bits(out, data)
    assert all(r.valid for r in records) and len(records) == 4
    assert records[0].clipped == records[3].clipped == 0.0
    assert abs(records[1].clipped - pinned) < 1e-9 and records[1].clipped > 0.5
    assert 0 < records[2].clipped <= 2 / (2 * WINDOW)  # its two extremes, once each


def test_a_dc_step_and_a_retune_keep_the_stream_classified_window_by_window():
    data = _noise(6 * WINDOW, scale=0.05)
    data[2 * WINDOW + 1000 :] += np.complex64(0.3 + 0.1j)  # a DC offset appears mid-window
    retune = 4 * WINDOW + 5000
    tags = [
        _tag(0, "rx_freq", pmt.from_double(806e6)),
        _tag(retune, "rx_freq", pmt.from_double(1.8e9)),
    ]
    block = classifier(sample_rate=RATE, mode="offline")
    out, records = _run(block, data, tags)
    assert _same_bits(out, data)
    assert all(r.valid for r in records)
    # windows restart at the retune: none straddles it; the cut-off piece is a counted partial
    starts = [r.start for r in records]
    assert starts == [0, WINDOW, 2 * WINDOW, 3 * WINDOW, retune]
    assert [r.center_freq for r in records] == [806e6] * 4 + [1.8e9]
    assert block.counters()["retunes"] == 1 and block.counters()["partial"] >= 1


def test_a_stream_at_another_rate_than_declared_is_windowed_at_the_tagged_rate():
    """The block is told 7.68 MS/s; the source's rx_rate tag says 1.92 MS/s: the tag wins."""
    data = _noise(3 * WINDOW)
    block = classifier(sample_rate=7.68e6, mode="offline")
    out, records = _run(block, data, [_tag(0, "rx_rate", pmt.from_double(RATE))])
    assert _same_bits(out, data)
    assert [(r.start, r.length, r.sample_rate) for r in records] == [
        (i * WINDOW, WINDOW, RATE) for i in range(3)
    ]


class _Bursts(gr.sync_block):
    """Bursts of ``burst`` samples with ``gap_s`` of silence (no samples at all) between them,
    as a bursty network source or a gated capture delivers."""

    def __init__(self, data: np.ndarray, burst: int, gap_s: float):
        gr.sync_block.__init__(self, "bursts", None, [np.complex64])
        self.data, self.burst, self.gap_s = data, burst, gap_s
        self.sent = 0

    def work(self, input_items, output_items):
        if self.sent >= self.data.size:
            return -1  # WORK_DONE
        if self.sent and self.sent % self.burst == 0:
            time.sleep(self.gap_s)
        n = min(
            len(output_items[0]), self.burst - self.sent % self.burst, self.data.size - self.sent
        )
        output_items[0][:n] = self.data[self.sent : self.sent + n]
        self.sent += n
        return n


def test_bursts_shorter_than_a_window_pass_whole_and_are_counted_as_partial():
    burst = WINDOW // 3
    data = _noise(6 * burst)
    tb = gr.top_block()
    src = _Bursts(data, burst, gap_s=0.3)
    block = classifier(sample_rate=RATE, stall_timeout=0.1)
    snk = blocks.vector_sink_c()
    tb.connect(src, block, snk)
    tb.run()
    assert _same_bits(np.asarray(snk.data(), np.complex64), data)  # nothing held back or lost
    counts = block.counters()
    assert counts["windows"] == 0 and counts["records"] == 0
    assert counts["partial"] == 6  # each burst waited for, then given up after the stall timeout


def test_screen_on_edge_cases():
    assert screen(np.zeros(0, np.complex64)) == (ALL_ZERO, 0.0)
    assert screen(np.full(8, 1 + 1j, np.complex64)) == ("", 1.0)
    assert screen(np.full(8, 1 + 0j, np.complex64)) == ("", 0.5)  # every I pinned, no Q
    assert screen(np.full(8, 0.5 - 0.5j, np.complex64)) == ("", 0.0)
    assert screen(np.array([0, np.nan], np.complex64))[0] == NON_FINITE
    assert screen(np.array([0, -1j], np.complex128)) == ("", 0.25)  # any complex dtype
    rtl = (np.array([127, -128, 3, 127]) / 128).astype(np.float32)  # 8-bit codes at both ends
    assert screen(rtl + 0j) == ("", 3 / 8)


def test_malformed_sdr_tags_are_ignored_and_the_stream_goes_on():
    data = _noise(3 * WINDOW)
    tags = [
        _tag(10, "rx_freq", pmt.intern("806 MHz")),  # a symbol, not a double
        _tag(WINDOW + 10, "rx_rate", pmt.PMT_NIL),
        _tag(2 * WINDOW + 10, "rx_time", pmt.from_double(1.0)),  # not a (uint64, double) tuple
    ]
    block = classifier(sample_rate=RATE, mode="offline")
    out, records = _run(block, data, tags)
    assert _same_bits(out, data)
    assert [r.start for r in records] == [0, WINDOW, 2 * WINDOW] and all(r.valid for r in records)
    assert all(r.center_freq is None and r.sample_rate == RATE for r in records)


def test_a_message_that_is_not_a_record_is_counted_not_fatal():
    from rfclassify.blocks.record_sinks import result_printer

    got = []
    printer = result_printer(got.append)
    tb = gr.top_block()
    strobe = blocks.message_strobe(pmt.intern("hello"), 20)
    tb.msg_connect(strobe, "strobe", printer, "in")
    tb.start()
    deadline = time.monotonic() + 5
    while printer.undecodable < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    tb.stop()
    tb.wait()
    assert printer.undecodable >= 3 and got == []
