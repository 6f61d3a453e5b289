"""The whole chain in a real GNU Radio flowgraph: how fast, how late, how much memory.

Three measurements in one run, on the same pre-generated IQ looped by a ``vector_source``:

- ``max``: no throttle, the classifier in ``offline`` mode (never skips), so the flowgraph runs
  exactly as fast as every window can be classified: the sustained throughput.
- ``paced``: a throttle at ``rate`` and ``realtime`` mode, as on air: windows skipped, latency
  (a window's last sample entering the block -> its record published on ZMQ; p50 / p99), CPU,
  RSS over time (flat?), and a ZMQ subscriber that counts what it gets (lost = seq gaps).
- ``baseline`` (optional): the seed-style pipeline in the work thread of a Python block: one
  ``scipy.signal.spectrogram`` per window, then torch eager at batch 1, no thread, no batching.
"""

from __future__ import annotations

import os
import resource
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .machine import cpu_times, heap_in_use_bytes, machine_info, rss_bytes, steal_percent

SDR_CHUNK_S = 0.001  # the paced source's chunk: about what an SDR driver delivers at a time


def _version(module: str) -> str | None:
    try:
        if module == "gnuradio":
            from gnuradio import gr

            return gr.version()
        return __import__(module).__version__
    except (ImportError, AttributeError):
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_iq(rate: float, window: int, windows: int = 8, seed: int = 0) -> np.ndarray:
    """``windows`` windows of signal to loop: LTE, NR and noise in turn (content does not change
    the cost, but a real mix keeps the model's answers honest)."""
    from ..signals.scene import Scene, render

    rng = np.random.default_rng(seed)
    kinds = []
    if rate >= 1.92e6:
        bw = max(b for b in (1.4, 3.0, 5.0, 10.0, 15.0, 20.0) if b * 1e6 / 0.9 <= rate * 1.001)
        kinds.append(Scene("lte", window / rate, rate, snr_db=20.0, params={"bandwidth_mhz": bw}))
    kinds.append(Scene("noise", window / rate, rate))
    parts = []
    for i in range(windows):
        wave = render(kinds[i % len(kinds)], rng)
        parts.append(wave.samples[:window].astype(np.complex64))
    return np.concatenate(parts)


class _Subscriber(threading.Thread):
    """Reads the ZMQ feed as fast as it comes and counts seq gaps."""

    def __init__(self, address: str):
        import zmq

        super().__init__(name="bench-subscriber", daemon=True)
        self.sock = zmq.Context.instance().socket(zmq.SUB)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"rfclassify")
        self.sock.setsockopt(zmq.RCVHWM, 100000)
        self.sock.connect(address)
        self.received = 0
        self.lost = 0
        self._last: int | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        import json

        while not self._halt.is_set():
            if not self.sock.poll(100):
                continue
            _, body = self.sock.recv_multipart()
            seq = json.loads(body)["seq"]
            if self._last is not None and seq > self._last + 1:
                self.lost += seq - self._last - 1
            self._last = seq
            self.received += 1

    def stop(self) -> None:
        self._halt.set()
        self.join(2)
        self.sock.close(0)


def _run_graph(tb, block, seconds: float, warmup: float, sample_rss: bool) -> dict[str, Any]:
    """Start ``tb``, measure ``block``'s input rate, CPU and RSS between warm-up and end."""
    tb.start()
    time.sleep(warmup)
    stream = getattr(block, "stream", None)
    warm = {}
    if stream is not None:
        stream.latencies.clear()  # latency of the measured interval: start-up is not steady
        warm = block.counters()
    n0, t0, cpu0, machine0 = block.nitems_read(0), time.monotonic(), os.times(), cpu_times()
    rss = [(rss_bytes() or 0)]
    heap = [heap_in_use_bytes()]
    rss_times = [0.0]
    end = t0 + seconds
    while time.monotonic() < end:
        time.sleep(min(0.5, max(0.0, end - time.monotonic())))
        if sample_rss:
            rss.append(rss_bytes() or 0)
            heap.append(heap_in_use_bytes())
            rss_times.append(time.monotonic() - t0)
    n1, t1, cpu1, machine1 = block.nitems_read(0), time.monotonic(), os.times(), cpu_times()
    tb.stop()
    tb.wait()
    wall = t1 - t0
    busy = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    out = {
        "seconds": wall,
        "msps": (n1 - n0) / wall / 1e6,
        "cpu_percent": 100.0 * busy / wall,  # of one core: 200 % = both cores busy
        "steal_percent": steal_percent(machine0, machine1),  # the hypervisor's share
        "skipped_in_warmup": warm.get("skipped", 0),  # of the run's skipped windows
        "rss_start_mb": rss[0] / 2**20,
        "rss_end_mb": rss[-1] / 2**20,
    }
    if len(rss) > 2:
        # growth between the first and the last quarter, so one allocation burst at start is
        # not called a leak
        q = max(1, len(rss) // 4)
        first, last = float(np.mean(rss[:q])), float(np.mean(rss[-q:]))
        out["rss_growth_percent"] = 100.0 * (last - first) / first
        out["rss_series"] = {  # for a plot: is it flat?
            "seconds": [round(t, 2) for t in rss_times],
            "mb": [round(b / 2**20, 2) for b in rss],
        }
        if None not in heap:  # glibc: what the program holds, against what the OS counts
            first, last = float(np.mean(heap[:q])), float(np.mean(heap[-q:]))
            out["heap_growth_percent"] = 100.0 * (last - first) / first
            out["rss_series"]["heap_mb"] = [round(b / 2**20, 2) for b in heap]
    return out


def _classifier(model, backend, device, rate, window_ms, threads, max_batch, **options):
    from ..blocks.classifier import classifier

    return classifier(
        model=model,
        backend=backend,
        device=device,
        sample_rate=rate,
        window_ms=window_ms,
        max_batch=max_batch,
        threads=threads,
        **options,
    )


def measure_max(model, backend, device, rate, window_ms, seconds, threads, max_batch, iq):
    from gnuradio import blocks, gr

    tb = gr.top_block()
    src = blocks.vector_source_c(iq, True)
    clf = _classifier(model, backend, device, rate, window_ms, threads, max_batch, mode="offline")
    tb.connect(src, clf, blocks.null_sink(gr.sizeof_gr_complex))
    out = _run_graph(tb, clf, seconds, warmup=1.0, sample_rss=False)
    counts = clf.counters()
    out.update(
        windows=counts["windows"],
        classified=counts["classified"],
        skipped=counts["skipped"],  # offline mode never skips: 0 unless something is wrong
        # windows cut but still in the worker's stages when the bench stopped the flowgraph
        in_flight_at_stop=counts["windows"] - counts["classified"] - counts["invalid"],
    )
    return out


def measure_paced(model, backend, device, rate, window_ms, seconds, threads, max_batch, iq):
    from gnuradio import blocks, gr

    address = f"tcp://127.0.0.1:{_free_port()}"
    tb = gr.top_block()
    src = blocks.vector_source_c(iq, True)
    throttle = blocks.throttle(gr.sizeof_gr_complex, rate)
    # An SDR source hands over its samples as they come, packet by packet; a throttle left
    # alone fills whole buffers at once (bursts of 100+ ms, i.e. several windows together at
    # 61.44 MS/s). Chunks of 1 ms make it deliver like the radio it stands for.
    throttle.set_max_noutput_items(max(1024, int(rate * SDR_CHUNK_S)))
    clf = _classifier(
        model,
        backend,
        device,
        rate,
        window_ms,
        threads,
        max_batch,
        mode="realtime",
        zmq_address=address,
    )
    tb.connect(src, throttle, clf, blocks.null_sink(gr.sizeof_gr_complex))
    sub = _Subscriber(address)
    sub.start()
    time.sleep(0.3)  # let the subscription reach the publisher
    out = _run_graph(tb, clf, seconds, warmup=1.0, sample_rss=True)
    time.sleep(0.3)
    sub.stop()
    counts = clf.counters()
    out.update(
        windows=counts["windows"],
        classified=counts["classified"],
        skipped=counts["skipped"],
        latency_p50_ms=counts.get("latency_p50_s", float("nan")) * 1e3,
        latency_p99_ms=counts.get("latency_p99_s", float("nan")) * 1e3,
        zmq_sent=counts["zmq_sent"],
        zmq_received=sub.received,
        zmq_lost=sub.lost,
        invalid=counts["invalid"],
        errors=counts["errors"],
        restarts=counts["restarts"],
        unfinished=counts["unfinished"],
        heap_trims=counts.get("heap_trims", 0),
    )
    return out


def measure_baseline(model, rate, window, seconds, iq):
    """Seed-style: scipy spectrogram per window + torch eager batch 1, in work()."""
    import torch
    from gnuradio import blocks, gr

    from ..inference.resolve import resolve_model
    from ..models.card import load_checkpoint
    from .frontend import baseline_images

    net, card = load_checkpoint(resolve_model(model, "torch"))
    config = card.frontend_config()
    channels = card.input_shape[1] if len(card.input_shape) == 4 else 1

    class SeedStyle(gr.sync_block):
        """Fills one window buffer (each sample copied once, as in our block: the baseline
        must not lose to quadratic re-concatenation), then classifies it in ``work()``."""

        def __init__(self):
            gr.sync_block.__init__(self, "seed_style", [np.complex64], [np.complex64])
            self.buf = np.empty(window, np.complex64)
            self.fill = 0
            self.windows = 0

        def work(self, input_items, output_items):
            x = input_items[0]
            used = 0
            while used < x.size:
                take = min(window - self.fill, x.size - used)
                self.buf[self.fill : self.fill + take] = x[used : used + take]
                self.fill += take
                used += take
                if self.fill == window:
                    img = baseline_images(self.buf[None], rate, config)[0]
                    img = (img - img.min()) / max(float(np.ptp(img)), 1e-9)
                    t = torch.from_numpy(np.repeat(img[None, None], channels, axis=1))
                    with torch.inference_mode():
                        net(t)
                    self.fill = 0
                    self.windows += 1
            output_items[0][:] = x
            return len(x)

    tb = gr.top_block()
    block = SeedStyle()
    tb.connect(blocks.vector_source_c(iq, True), block, blocks.null_sink(gr.sizeof_gr_complex))
    out = _run_graph(tb, block, seconds, warmup=1.0, sample_rss=False)
    out["windows"] = block.windows
    return out


def run_stream_bench(
    model: str,
    backend: str = "onnxruntime",
    device: str = "cpu",
    rate: float = 30.72e6,
    window_ms: float = 0.0,
    seconds: float = 10.0,
    threads: int = 1,
    max_batch: int = 8,
    baseline: bool = False,
    progress: Callable[[str], None] = lambda text: None,
    paced_only: bool = False,
) -> dict[str, Any]:
    """The three phases (``paced_only``: the paced one alone, as a soak runs it)."""
    from ..inference.engine import Classifier

    engine = Classifier(model, backend, device, threads, window_ms or None)
    window = engine.window_length(rate)  # refuses a rate the model cannot serve
    progress(f"generating {8 * window / rate * 1e3:.0f} ms of IQ at {rate / 1e6:g} MS/s")
    iq = make_iq(rate, window)
    args = (model, backend, device, rate, window_ms, seconds, threads, max_batch, iq)
    result: dict[str, Any] = {
        "bench": "stream",
        "model": engine.name,
        "backend": engine.backend.describe(),
        "rate_msps": rate / 1e6,
        "window_samples": window,
        "threads": threads,
        "max_batch": max_batch,
        "machine": machine_info(onnxruntime=_version("onnxruntime"), gnuradio=_version("gnuradio")),
    }
    if not paced_only:
        progress("max: offline, no throttle (every window classified)")
        result["max"] = measure_max(*args)
    progress(f"paced: realtime at {rate / 1e6:g} MS/s for {seconds:g} s")
    result["paced"] = measure_paced(*args)
    if baseline:
        progress("baseline: seed-style scipy spectrogram + torch eager batch 1 in work()")
        result["baseline"] = measure_baseline(model, rate, window, seconds, iq)
        result["speedup_vs_baseline"] = result["max"]["msps"] / result["baseline"]["msps"]
    # the kernel's high-water mark, or a sample above it: both read per-thread RSS counters
    # that are synchronised only every 64 page faults, so either can be a little behind
    sampled = result["paced"].get("rss_series", {}).get("mb", [0.0])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["peak_rss_mb"] = max(peak, result["paced"]["rss_end_mb"], max(sampled))
    fast_enough = paced_only or result["max"]["msps"] >= rate / 1e6
    result["realtime"] = fast_enough and result["paced"]["skipped"] == 0
    return result
