"""Sample times from rx_time tags or the host, and records built from worker results."""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.inference.clock import SampleClock
from rfclassify.inference.results import RecordMaker
from rfclassify.inference.worker import Done, Job


def test_rx_time_anchors_and_reanchors_the_sample_clock():
    clock = SampleClock(1e6)
    clock.host(0, now=100.0)
    assert clock.source == "host" and clock.seconds_at(500_000) == pytest.approx(100.5)
    clock.rx_time(1000, 1_700_000_000.25)  # the radio's time at sample 1000
    assert clock.source == "rx_time"
    assert clock.seconds_at(3000) == pytest.approx(1_700_000_000.252)
    clock.host(5000, now=5.0)  # host arrivals no longer move a radio-anchored clock
    assert clock.seconds_at(3000) == pytest.approx(1_700_000_000.252)
    clock.rx_time(9000, 1_700_000_001.0)  # after an overflow: re-anchored
    assert clock.seconds_at(10_000) == pytest.approx(1_700_000_001.001)
    clock.set_rate(2e6, 10_000)  # the time at the change carries over
    assert clock.seconds_at(12_000) == pytest.approx(1_700_000_001.002)
    assert clock.rx_time_tags == 2


def _done(probs, valid=True, start=0):
    context = {"center_freq": 806e6, "time": 1_700_000_000.5, "time_source": "rx_time"}
    job = Job(start, np.zeros(100, np.complex64), 1e6, context)
    return Done(job, None if probs is None else np.asarray(probs, np.float32), valid, 0.01)


def test_records_number_themselves_carry_skips_and_never_guess():
    maker = RecordMaker(["LTE", "NR", "Noise", "Other"], "vim-lte-nr")
    first = maker.make(_done([0.1, 0.7, 0.1, 0.1]))
    assert (first.label, first.seq, first.skipped) == ("NR", 0, 0)
    assert first.confidence == pytest.approx(0.7) and first.center_freq == 806e6
    assert first.time == "2023-11-14T22:13:20.500000Z" and first.time_source == "rx_time"
    maker.skipped(3)
    second = maker.make(_done(None, valid=False, start=100))
    assert (second.seq, second.skipped, second.valid, second.label) == (1, 3, False, "invalid")
    assert second.probs == {} and second.confidence == 0.0
    assert maker.make(_done([1, 0, 0, 0], start=200)).skipped == 0
