"""Worker results -> result records (DESIGN.md): the one place a record's fields are filled."""

from __future__ import annotations

import time

from ..io.records import ResultRecord, iso_from_epoch
from .worker import Done

INVALID_LABEL = "invalid"


class RecordMaker:
    """Numbers records (``seq``) and carries the skip count into the next one."""

    def __init__(self, classes: list[str], model: str):
        self.classes = list(classes)
        self.model = model
        self.seq = 0
        self.skipped_since_last = 0

    def skipped(self, count: int = 1) -> None:
        """Windows dropped (worker behind, result too late): the next record reports them."""
        self.skipped_since_last += count

    def make(self, done: Done) -> ResultRecord:
        """The record for one finished window. An unclassifiable window (NaN or all-zero input,
        a failed batch) gets ``valid=False``, label ``invalid``, no probabilities and the
        ``reason``: never a guess. ``clipped`` says how much of the input was at full scale."""
        job = done.job
        ctx = job.context
        if done.valid and done.probs is not None:
            best = int(done.probs.argmax())
            label, confidence = self.classes[best], float(done.probs[best])
            probs = {c: float(p) for c, p in zip(self.classes, done.probs, strict=True)}
        else:
            label, confidence, probs = INVALID_LABEL, 0.0, {}
        record = ResultRecord(
            label=label,
            confidence=confidence,
            probs=probs,
            start=job.start,
            length=int(job.samples.size),
            sample_rate=job.sample_rate,
            center_freq=ctx.get("center_freq"),
            time=iso_from_epoch(ctx["time"] if "time" in ctx else time.time()),
            model=self.model,
            seq=self.seq,
            time_source=ctx.get("time_source", "host"),
            skipped=self.skipped_since_last,
            valid=done.valid and done.probs is not None,
            reason=done.reason if not (done.valid and done.probs is not None) else "",
            clipped=done.clipped,
        )
        self.seq += 1
        self.skipped_since_last = 0
        return record
