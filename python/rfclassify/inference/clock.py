"""When a sample was received: from the SDR's ``rx_time`` tags, else from the host clock.

t(n) = anchor time + (n - anchor offset) / rate. An ``rx_time`` tag (gr-uhd, and gr-soapy when
the driver has hardware time) anchors the clock to the radio's own time; they come again after
every overflow and retune, and each one re-anchors. Without them the host clock is sampled when a
chunk of samples arrives (``time_source`` says which one a record's time came from).
"""

from __future__ import annotations

import time


class SampleClock:
    """Maps absolute sample indices to POSIX seconds."""

    def __init__(self, sample_rate: float):
        self.rate = float(sample_rate)
        self._offset: int | None = None
        self._seconds = 0.0
        self.source = "host"
        self.rx_time_tags = 0

    def set_rate(self, sample_rate: float, offset: int) -> None:
        """A new rate from ``offset`` on (an ``rx_rate`` tag); the time there carries over."""
        if self._offset is not None:
            self._seconds = self.seconds_at(offset)
            self._offset = offset
        self.rate = float(sample_rate)

    def rx_time(self, offset: int, seconds: float) -> None:
        """An ``rx_time`` tag: sample ``offset`` was received at ``seconds`` (radio time)."""
        self._offset, self._seconds, self.source = int(offset), float(seconds), "rx_time"
        self.rx_time_tags += 1

    def host(self, offset: int, now: float | None = None) -> None:
        """Chunk arrival: sample ``offset`` is here now (ignored once radio time is known)."""
        if self.source == "host":
            self._offset = int(offset)
            self._seconds = time.time() if now is None else float(now)

    def seconds_at(self, offset: int) -> float:
        if self._offset is None:
            self.host(offset)
        assert self._offset is not None
        return self._seconds + (offset - self._offset) / self.rate
