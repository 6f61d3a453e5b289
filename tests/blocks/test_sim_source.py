"""The simulated SDR source in real flowgraphs: length, SDR tags, ground-truth segments, power,
real-time pacing, a clean stop, and refused parameters."""

from __future__ import annotations

import inspect
import threading
import time
from pathlib import Path

import numpy as np
import pmt
import pytest
import yaml
from gnuradio import blocks, gr

from rfclassify.blocks.sim_source import SIM_LEVEL_DBFS, sim_source
from rfclassify.signals import CLASSES

RATE = 1.92e6  # the narrowest rate the models serve: every clip renders in tens of ms
SEGMENT_S = 0.05
SEGMENT = round(SEGMENT_S * RATE)
CLIP = round(0.02 * RATE)

pytestmark = pytest.mark.timeout(120)


def _run(src: sim_source, items: int) -> tuple[np.ndarray, list]:
    tb = gr.top_block()
    sink = blocks.vector_sink_c()
    tb.connect(src, blocks.head(gr.sizeof_gr_complex, items), sink)
    tb.run()
    return np.asarray(sink.data(), dtype=np.complex64), list(sink.tags())


@pytest.fixture(scope="module")
def offline():
    """Eight segments (two rounds of the four kinds), as fast as synthesis goes."""
    src = sim_source(
        sample_rate=RATE, center_freq=806e6, segment_s=SEGMENT_S, realtime=False, seed=3
    )
    before = time.time()
    data, tags = _run(src, 8 * SEGMENT)
    return data, tags, before


def test_produces_the_requested_samples(offline):
    data, _, _ = offline
    assert data.size == 8 * SEGMENT
    assert np.isfinite(data).all()


def test_first_tags_are_those_of_an_sdr_source(offline):
    _, tags, before = offline
    first = {pmt.symbol_to_string(t.key): t for t in tags[:3]}
    assert sorted(first) == ["rx_freq", "rx_rate", "rx_time"]
    assert all(t.offset == 0 for t in first.values())
    assert pmt.to_double(first["rx_rate"].value) == RATE
    assert pmt.to_double(first["rx_freq"].value) == 806e6
    stamp = first["rx_time"].value
    assert pmt.is_tuple(stamp)
    whole = pmt.to_uint64(pmt.tuple_ref(stamp, 0))
    frac = pmt.to_double(pmt.tuple_ref(stamp, 1))
    assert 0.0 <= frac < 1.0
    assert before - 1 <= whole + frac <= time.time()


def test_sim_label_marks_every_segment_and_covers_every_class(offline):
    _, tags, _ = offline
    labels = [
        (t.offset, pmt.symbol_to_string(t.value))
        for t in tags
        if pmt.symbol_to_string(t.key) == "sim_label"
    ]
    assert [offset for offset, _ in labels] == [i * SEGMENT for i in range(8)]
    # kinds in the order given ("lte,nr,noise,other"), round after round
    assert [label for _, label in labels] == [*CLASSES, *CLASSES]


def test_segments_hold_signal_at_the_expected_power(offline):
    data, _, _ = offline
    for i in range(8):
        segment = data[i * SEGMENT : (i + 1) * SEGMENT]
        power = float(np.mean(np.abs(segment[: 2 * CLIP]) ** 2))  # whole clips: the level's
        # every segment, noise too, is recorded at the SDR level (an 8-bit ADC may clip a bit)
        assert 10 * np.log10(power) == pytest.approx(SIM_LEVEL_DBFS, abs=0.5), i
        # the clip loops sample-exactly: a segment repeats itself every 20 ms
        np.testing.assert_array_equal(segment[CLIP : 2 * CLIP], segment[:CLIP])
    assert not np.array_equal(data[:CLIP], data[4 * SEGMENT : 4 * SEGMENT + CLIP])


def test_the_same_seed_plays_the_same_stream():
    def stream(seed: int) -> np.ndarray:
        src = sim_source(
            sample_rate=RATE, segment_s=SEGMENT_S, realtime=False, seed=seed, kinds="noise,lte"
        )
        return _run(src, 2 * SEGMENT)[0]

    first = stream(7)
    np.testing.assert_array_equal(first, stream(7))
    assert not np.array_equal(first, stream(8))


def test_realtime_is_paced_to_the_sample_rate():
    src = sim_source(sample_rate=RATE, segment_s=0.25, kinds="noise,lte", realtime=True)
    start = time.monotonic()
    data, _ = _run(src, round(0.5 * RATE))
    elapsed = time.monotonic() - start
    assert data.size == round(0.5 * RATE)
    # a busy machine can only make it slower; it must not run ahead of the clock
    assert 0.4 <= elapsed < 10.0


def test_stop_ends_the_synthesis_thread():
    src = sim_source(sample_rate=RATE, segment_s=0.1, realtime=True)
    tb = gr.top_block()
    tb.connect(src, blocks.null_sink(gr.sizeof_gr_complex))
    tb.start()
    time.sleep(0.3)
    tb.stop()
    tb.wait()
    assert src.nitems_written(0) > 0
    assert not [t for t in threading.enumerate() if t.name == "rfclassify-sim-render"]


def test_shuffle_plays_every_kind_once_per_round():
    src = sim_source(sample_rate=RATE, kinds="lte,nr,noise,wifi_ofdm", shuffle=True, seed=1)
    rounds = [[src.kind_of(4 * r + i) for i in range(4)] for r in range(5)]
    assert all(sorted(kinds) == ["lte", "noise", "nr", "wifi_ofdm"] for kinds in rounds)
    assert len({tuple(kinds) for kinds in rounds}) > 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kinds": "lte,umts_typo"}, "kinds"),
        ({"kinds": ""}, "kinds"),
        ({"clip_s": 0.015}, "10 ms"),
        ({"snr_db_min": 20.0, "snr_db_max": 10.0}, "snr_db"),
        ({"sample_rate": 0.0}, "sample_rate"),
        ({"segment_s": 0.0}, "segment_s"),
    ],
)
def test_bad_parameters_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sim_source(**{"sample_rate": RATE, **kwargs})


def test_the_grc_block_makes_the_python_block():
    """Every constructor argument is a GRC parameter, passed by name (they cannot drift)."""
    path = Path(__file__).resolve().parents[2] / "grc" / "rfclassify_sim_source.block.yml"
    spec = yaml.safe_load(path.read_text())
    assert (spec["id"], spec["category"], spec["file_format"]) == (
        "rfclassify_sim_source",
        "[RF Classify]",
        1,
    )
    assert spec["templates"]["imports"] == "from gnuradio import rfclassify"
    params = [p["id"] for p in spec["parameters"]]
    assert params and all(p.get("dtype") and "default" in p for p in spec["parameters"])
    assert sorted(params) == sorted(inspect.signature(sim_source).parameters)
    assert spec["templates"]["make"].startswith("rfclassify.sim_source(")
    assert all(f"{name}=${{{name}}}" in spec["templates"]["make"] for name in params)
    assert spec["outputs"][0]["dtype"] == "complex"
