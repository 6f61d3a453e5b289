"""``rfclassify_rx.py`` / ``rfclassify-rx``: the headless receiver a station runs unattended.

Results go to stdout (a compact line each, or ``--json`` records), a status line to stderr every
few seconds, optionally ZMQ and a SigMF recording. SIGINT / SIGTERM stop it cleanly: the
flowgraph drains, the recording is closed and valid. Errors a user can fix are one line on
stderr and exit status 1; bad arguments exit 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence

from ..commands.common import record_line, results_own_stdout
from ..commands.usage import UsageParser
from ..errors import RfclassifyError
from ..io.records import ResultRecord
from .config import add_arguments, resolve, to_toml

PROG = "rfclassify_rx.py"
EXAMPLES = """examples:
  rfclassify_rx.py --source sim                               # no hardware: the simulator
  rfclassify_rx.py --source soapy --driver rtlsdr --freq 806e6 --rate 1.92e6 --gain 30
  rfclassify_rx.py --source soapy --device-args "driver=uhd,type=b200" --freq 2.14e9 \\
      --rate 15.36e6 --zmq tcp://127.0.0.1:5557 --record station.sigmf-meta
  rfclassify_rx.py --source osmosdr --device-args rtl_tcp=127.0.0.1:1234 --freq 806e6
  rfclassify_rx.py --source sigmf --input capture.sigmf-meta --json
  rfclassify_rx.py --config station.toml --print-config
"""


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(
        prog=PROG,
        description=(
            "Classify a live radio stream (or a recording) as LTE, 5G NR, noise or other, window "
            "by window, and report every result: stdout, ZMQ, a SigMF recording. Settings come "
            "from defaults, then --config FILE (TOML, sections [source] [classifier] "
            "[outputs]), then the flags."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


class Printer:
    """Writes each record as it comes (from GNU Radio's message thread)."""

    def __init__(self, stream, as_json: bool):
        self.stream = stream
        self.as_json = as_json
        self.count = 0
        self.labels: dict[str, int] = {}
        self.reader_left = False

    def __call__(self, record: ResultRecord) -> None:
        self.count += 1
        self.labels[record.label] = self.labels.get(record.label, 0) + 1
        if self.reader_left:
            return
        text = record.to_json() if self.as_json else record_line(record)
        try:
            print(text, file=self.stream, flush=True)
        except BrokenPipeError:  # `| head`: the reader left; stop printing, keep running
            self.reader_left = True


class Status:
    """The stderr status line: achieved rate, windows, queue, overflows, latency."""

    def __init__(self, receiver, expected_rate: float | None):
        self.receiver = receiver
        self.expected = expected_rate
        self.began = time.monotonic()
        self.last = (self.began, 0)

    def line(self) -> str:
        now, samples = time.monotonic(), self.receiver.samples_in()
        t0, s0 = self.last
        self.last = (now, samples)
        rate = (samples - s0) / max(now - t0, 1e-9)
        c = self.receiver.classifier.counters()
        parts = [f"[{now - self.began:7.1f} s]", f"{rate / 1e6:.3f} MS/s"]
        if self.expected:
            share = rate / self.expected
            parts[-1] += f" ({share:.0%} of {self.expected / 1e6:g})"
            if share < 0.98 and t0 > self.began:  # not over the start-up interval
                parts.append("WARNING: the source delivers under 98 % of its rate")
        parts += [
            f"windows {c['classified']} classified, {c['skipped']} skipped",
            f"queue {c['queue_depth']}",
            f"overflows {max(0, c['rx_time_tags'] - 1)}",
        ]
        if c["invalid"]:  # NaN/Inf or all-zero input, or a failed batch: marked, not labelled
            parts.append(f"invalid {c['invalid']}")
        if c["errors"] or c["restarts"]:
            parts.append(f"inference errors {c['errors']} (worker restarts {c['restarts']})")
        if "latency_p50_s" in c:
            p50, p99 = c["latency_p50_s"] * 1e3, c["latency_p99_s"] * 1e3
            parts.append(f"latency p50 {p50:.1f} ms p99 {p99:.1f} ms")
        return "  ".join(parts)


STOP_TIMEOUT_S = 10.0


def _stop(receiver, finished: threading.Event) -> None:
    """Stop the flowgraph; a source that never returns (gr-osmosdr on a dead rtl_tcp link loops
    in its work()) must not hang the station: close the recording and report it."""
    receiver.stop()
    if finished.wait(STOP_TIMEOUT_S):
        return
    if receiver.recorder is not None:
        receiver.recorder.writer.close()  # the recording stays valid
    print(
        f"{PROG}: error: the source did not stop within {STOP_TIMEOUT_S:g} s (a network SDR "
        "that went away?); exiting",
        file=sys.stderr,
        flush=True,
    )
    sys.stdout.flush()
    os._exit(1)  # the stuck source thread would block a normal interpreter exit


def run(config) -> int:
    with results_own_stdout() as stream:
        return _run(config, Printer(stream, config["outputs"]["json"]))


def _run(config, printer: Printer) -> int:
    from .flowgraph import Receiver

    out = config["outputs"]
    stop = threading.Event()
    finished = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    # before the (seconds-long, on a cold start) set-up: a stop asked meanwhile is clean too
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        receiver = Receiver(config, printer)
    except BaseException:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        raise
    status = Status(receiver, None if not receiver.realtime else receiver.sample_rate)
    print(
        f"{PROG}: {config['source']['kind']} at {receiver.sample_rate / 1e6:g} MS/s -> "
        f"{receiver.classifier.stream.classifier.describe()}, "
        f"{'realtime' if receiver.realtime else 'offline (every window)'}",
        file=sys.stderr,
    )
    receiver.start()
    waiter = threading.Thread(target=lambda: (receiver.wait(), finished.set()), daemon=True)
    waiter.start()
    began = time.monotonic()
    next_status = began + (out["status_every"] or float("inf"))
    try:
        while not stop.is_set() and not finished.is_set():
            now = time.monotonic()
            if out["duration"] and now - began >= out["duration"]:
                break
            if now >= next_status:
                print(status.line(), file=sys.stderr, flush=True)
                next_status = now + out["status_every"]
            stop.wait(0.1)
    finally:
        _stop(receiver, finished)
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    c = receiver.classifier.counters()
    summary = ", ".join(f"{k} {v}" for k, v in sorted(printer.labels.items()))
    print(
        f"{PROG}: stopped after {time.monotonic() - began:.1f} s: {printer.count} results "
        f"({summary or 'none'}), {c['skipped']} windows skipped, {c['partial']} partial",
        file=sys.stderr,
    )
    if receiver.recorder is not None:
        print(f"{PROG}: recorded {receiver.recorder.writer.meta_path}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = resolve(args)
        if args.print_config:
            try:
                print(to_toml(config), flush=True)
            except BrokenPipeError:  # `| head`
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        return run(config)
    except RfclassifyError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
