"""The seeds' benchmark table for every registry model at its native input, per backend, one run.

The seeds (mobile_ViT's ``benchmark.py``) time torch eager on CPU at batch 1. That is the
baseline, measured again in this run for each model; every row is read against it as a ratio,
because ratios carry from machine to machine and milliseconds do not (DESIGN.md). In detail:

- **FLOPs = 2 x MACs** from ``models.flops.count_macs`` (torch.utils.flop_counter: conv, linear,
  matmul, attention). The seeds' "FLOPs (G)" are THOP MACs, half of these. Elementwise work
  (norms, activations, Vim's scan recurrence) is not counted, so "% of peak" understates models
  that are heavy in it.
- **Latency**: median and p99 of ``runs`` calls at batch 1 after warm-up. **Throughput**: windows/s
  at each batch (median call), the best batch reported. Speed-ups: batch-1 latency and best
  throughput, each over the torch eager fp32 batch-1 baseline (the torch row's first is 1.0).
- **sgemm peak**: the fastest of repeated 1024x1024 float32 ``torch.mm`` on the same threads (the
  BLAS that torch's linear layers and convolutions end in). % of peak = FLOPs per window x
  windows/s at the best batch / peak: how much of the machine's dense-matmul rate a model uses.
- **Peak RSS**: a thread reads /proc/self/statm every 5 ms while a backend loads the model
  (``create_model`` for torch; the ``InferenceSession`` for ONNX Runtime) and runs every batch;
  the row holds the highest sample minus the RSS just before, after ``malloc_trim`` so that memory
  freed by earlier models cannot hide growth. A lower bound: a peak shorter than 5 ms can slip by.
- CUDA rows (only where the runtime sees a GPU) include copying windows in and logits out, as
  serving from a CPU frontend would; their % of peak is of the GPU's sgemm peak.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import math
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import torch

from ..errors import RfclassifyError
from ..models import create_model, list_models, model_spec
from ..models.flops import count_macs, count_params
from ..models.onnx_export import export_onnx
from .machine import available_cores, machine_info, rss_bytes

CPU_BACKENDS = ("torch", "onnxruntime")
BACKENDS = (*CPU_BACKENDS, "onnxruntime-cuda", "torch-cuda")  # measuring order (torch-cuda moves
# the model to the GPU, so it comes after the export the ONNX rows need)
SAMPLE_S = 0.005
Runner = Callable[[np.ndarray], object]


def available_backends() -> list[str]:
    """The CPU backends always; a CUDA one where its runtime sees a GPU."""
    found = list(CPU_BACKENDS)
    if "CUDAExecutionProvider" in ort.get_available_providers():
        found.append("onnxruntime-cuda")
    if torch.cuda.is_available():
        found.append("torch-cuda")
    return found


def check_names(models: Sequence[str] | None, backends: Sequence[str] | None) -> None:
    """Refuse unknown models and backends (ValueError naming the known ones)."""
    for name in models or ():
        model_spec(name)  # ValueError naming the known models
    unknown = [b for b in backends or () if b not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend(s) {', '.join(unknown)}; known: {', '.join(BACKENDS)}")


def check_request(models: Sequence[str] | None, backends: Sequence[str] | None) -> None:
    """Refuse unknown models and backends, and CUDA ones with no GPU, before anything is timed."""
    check_names(models, backends)
    missing = [b for b in backends or () if b not in available_backends()]
    if missing:
        raise ValueError(f"{', '.join(missing)}: no CUDA device visible to that runtime here")


def sgemm_peak_gflops(device: str = "cpu", seconds: float = 1.0) -> float:
    """GFLOP/s of the fastest n x n float32 matmul (2 n^3 FLOPs) over ``seconds`` of repeats."""
    n = 1024 if device == "cpu" else 4096
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    sync = torch.cuda.synchronize if device != "cpu" else (lambda: None)
    for _ in range(3):
        torch.mm(a, b)
    sync()
    best, start = math.inf, time.perf_counter()
    while time.perf_counter() - start < seconds or best == math.inf:
        t = time.perf_counter()
        torch.mm(a, b)
        sync()
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


@contextlib.contextmanager
def rss_growth() -> Iterator[dict[str, float | None]]:
    """Peak RSS growth in MB inside the block (``peak_mb``, set on exit; None without /proc)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc only; elsewhere growth may read low
    result: dict[str, float | None] = {"peak_mb": None}
    start = rss_bytes()
    if start is None:
        yield result
        return
    peak = [start]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(SAMPLE_S):
            peak[0] = max(peak[0], rss_bytes() or 0)

    thread = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result["peak_mb"] = (max(peak[0], rss_bytes() or 0) - start) / 2**20


def _time_batches(
    run: Runner, inputs: dict[int, np.ndarray], runs: int, quick: bool
) -> dict[int, list[float]]:
    """Seconds per call at each batch: ``runs`` calls at batch 1, about ``runs`` windows above."""
    timings = {}
    for batch, x in inputs.items():
        calls = runs if batch == 1 else max(2 if quick else 5, math.ceil(runs / batch))
        for _ in range(1 if quick else (5 if batch == 1 else 2)):  # warm-up
            run(x)
        seconds = []
        for _ in range(calls):
            t = time.perf_counter()
            run(x)
            seconds.append(time.perf_counter() - t)
        timings[batch] = seconds
    return timings


def _torch_runner(model: torch.nn.Module, device: str) -> Runner:
    model = model.to(device)

    def run(x: np.ndarray) -> torch.Tensor:
        with torch.inference_mode():
            return model(torch.from_numpy(x).to(device)).cpu()  # on CUDA this synchronises

    return run


def _ort_runner(path: Path, threads: int, cuda: bool) -> Runner:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = threads  # the same threads torch gets, so rows compare
    options.inter_op_num_threads = 1
    providers = ["CUDAExecutionProvider"] if cuda else []
    session = ort.InferenceSession(
        str(path), options, providers=[*providers, "CPUExecutionProvider"]
    )
    if cuda and "CUDAExecutionProvider" not in session.get_providers():
        raise RfclassifyError("onnxruntime-cuda: CUDAExecutionProvider did not load (CUDA libs?)")
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})


def _measure_model(
    name: str,
    backends: Sequence[str],
    batches: Sequence[int],
    runs: int,
    threads: int,
    quick: bool,
    folder: Path,
    say: Callable[[str], None],
    img_size: int | None = None,
    in_chans: int | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """One model's rows (and skipped backends), the torch batch-1 baseline always measured."""
    spec = model_spec(name)
    shape = (in_chans or spec.in_chans, img_size or spec.img_size, img_size or spec.img_size)
    rng = np.random.default_rng(0)
    inputs = {b: rng.standard_normal((b, *shape), dtype=np.float32) for b in batches}
    torch.manual_seed(0)
    say(f"{name}: torch (baseline{'' if 'torch' in backends else ' only'})")
    with rss_growth() as mem:
        model = create_model(name, img_size=shape[1], in_chans=shape[0]).eval()
        wanted = inputs if "torch" in backends else {1: inputs[1]}
        timings = _time_batches(_torch_runner(model, "cpu"), wanted, runs, quick)
    params, macs = count_params(model), count_macs(model, shape)
    head = {"model": name, "family": spec.family, "params": params, "params_m": params / 1e6}
    head["input"] = list(shape)
    head.update(macs=macs, gflops=2 * macs / 1e9, baseline_ms=_median_ms(timings[1]))
    rows = [_row(head, "torch", timings, mem["peak_mb"])] if "torch" in backends else []
    skipped: list[dict[str, str]] = []
    onnx_path, export_error = folder / f"{name}.onnx", None
    for backend in (b for b in BACKENDS[1:] if b in backends):
        if backend.startswith("onnxruntime") and not onnx_path.exists():
            if export_error is None:
                say(f"{name}: exporting to ONNX")
                try:
                    export_onnx(model, onnx_path, shape)
                except Exception as exc:  # a failed export skips its rows, not the whole table
                    export_error = f"ONNX export failed: {exc}"
                    say(f"{name}: {export_error}")
            if export_error is not None:
                skipped.append({"model": name, "backend": backend, "reason": export_error})
                continue
        say(f"{name}: {backend}")
        with rss_growth() as mem:
            if backend == "torch-cuda":
                torch.cuda.reset_peak_memory_stats()
                run = _torch_runner(model, "cuda")
            else:
                run = _ort_runner(onnx_path, threads, cuda=backend == "onnxruntime-cuda")
            timings = _time_batches(run, inputs, runs, quick)
            del run
        rows.append(_row(head, backend, timings, mem["peak_mb"]))
        if backend == "torch-cuda":
            rows[-1]["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    onnx_path.unlink(missing_ok=True)
    return rows, skipped


def _median_ms(seconds: list[float]) -> float:
    return float(np.median(1e3 * np.asarray(seconds)))


def _row(
    head: dict[str, Any], backend: str, timings: dict[int, list[float]], peak_mb: float | None
) -> dict[str, Any]:
    """One model/backend row; speed-ups are over ``head["baseline_ms"]`` (torch, batch 1)."""
    latency = 1e3 * np.asarray(timings[1])
    per_batch = [
        {"batch": b, "median_ms": _median_ms(s), "windows_per_s": b / float(np.median(s))}
        for b, s in sorted(timings.items())
    ]
    best = max(per_batch, key=lambda r: r["windows_per_s"])
    baseline_ms = head["baseline_ms"]
    return {
        **head,
        "backend": backend,
        "latency_ms_median": _median_ms(timings[1]),
        "latency_ms_p99": float(np.percentile(latency, 99)),
        "latency_runs": len(latency),
        "per_batch": per_batch,
        "best_batch": best["batch"],
        "windows_per_s": float(best["windows_per_s"]),
        "speedup_latency": baseline_ms / _median_ms(timings[1]),  # exactly 1.0 for torch
        # as a ratio of times, so torch's own batch-1 row is exactly 1.0 (no rounding below it)
        "speedup_throughput": max(r["batch"] * baseline_ms / r["median_ms"] for r in per_batch),
        "peak_rss_mb": peak_mb,
    }


def run_models_bench(
    models: Sequence[str] | None = None,
    backends: Sequence[str] | None = None,
    batches: Sequence[int] = (1, 8, 32),
    runs: int | None = None,
    threads: int | None = None,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
    img_size: int | None = None,
    in_chans: int | None = None,
) -> dict[str, Any]:
    """The table as one JSON-ready object: machine, sgemm peak(s), one row per model/backend.

    ``img_size`` / ``in_chans`` replace every model's native input (e.g. 128 and 1, what the
    shipped models serve), so models are compared on the input they would really see.
    """
    check_request(models, backends)
    say = progress or (lambda _text: None)
    names = list(models or list_models())
    chosen = [b for b in BACKENDS if b in (backends or available_backends())]
    batch_list = sorted({1, *batches})  # batch 1 is always timed: latency and the baseline
    runs = runs or (5 if quick else 50)
    threads = threads or available_cores()
    saved_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        say(f"sgemm peak, {threads} thread(s)")
        peaks = {"cpu": sgemm_peak_gflops("cpu", 0.1 if quick else 1.0)}
        if any(b.endswith("cuda") for b in chosen) and torch.cuda.is_available():
            peaks["cuda"] = sgemm_peak_gflops("cuda", 0.1 if quick else 1.0)
        rows, skipped = [], []
        with tempfile.TemporaryDirectory(prefix="rfclassify-bench-") as tmp:
            for name in names:
                got, missed = _measure_model(
                    name,
                    chosen,
                    batch_list,
                    runs,
                    threads,
                    quick,
                    Path(tmp),
                    say,
                    img_size,
                    in_chans,
                )
                rows += got
                skipped += missed
    finally:
        torch.set_num_threads(saved_threads)
    for row in rows:
        peak = peaks.get("cuda" if row["backend"].endswith("cuda") else "cpu")
        achieved = row["gflops"] * row["windows_per_s"]
        row["pct_of_sgemm_peak"] = None if peak is None else 100 * achieved / peak
    return {
        "bench": "models",
        "machine": machine_info(
            threads=threads,
            torch=torch.__version__,
            onnxruntime=ort.__version__,
            cuda=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        ),
        "sgemm_gflops": peaks,
        "runs": runs,
        "batches": batch_list,
        "quick": quick,
        "notes": {
            "flops": "FLOPs = 2 x MACs (torch.utils.flop_counter); the seeds' THOP FLOPs are MACs",
            "baseline": "torch eager, fp32, batch 1, same model, same run",
            "peak_rss_mb": "highest RSS sampled every 5 ms (/proc/self/statm) while the backend "
            "loads the model and runs, minus RSS before (after malloc_trim)",
        },
        "rows": rows,
        "skipped": skipped,
    }


def format_table(result: dict[str, Any]) -> str:
    """The rows as a Markdown table, headed by the machine and the sgemm peak."""
    m = result["machine"]
    peaks = ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in result["sgemm_gflops"].items())
    lines = [
        f"{m['cpu']}, {m['threads']} thread(s) of {m['cores']}; torch {m['torch']}, "
        f"onnxruntime {m['onnxruntime']}; sgemm peak: {peaks}",
        "",
        "| model | backend | params M | GFLOPs | b1 median ms | b1 p99 ms | best batch "
        "| windows/s | speed-up b1 | speed-up best | % sgemm peak | peak RSS MB |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in result["rows"]:
        rss = "" if r["peak_rss_mb"] is None else f"{r['peak_rss_mb']:.0f}"
        pct = "" if r["pct_of_sgemm_peak"] is None else f"{r['pct_of_sgemm_peak']:.1f}"
        lines.append(
            f"| {r['model']} | {r['backend']} | {r['params_m']:.2f} | {r['gflops']:.3f} "
            f"| {r['latency_ms_median']:.2f} | {r['latency_ms_p99']:.2f} | {r['best_batch']} "
            f"| {r['windows_per_s']:.1f} | {r['speedup_latency']:.2f}x "
            f"| {r['speedup_throughput']:.2f}x | {pct} | {rss} |"
        )
    lines += [""] + [f"- {k}: {v}" for k, v in result["notes"].items()]
    lines += [f"- skipped {s['model']} {s['backend']}: {s['reason']}" for s in result["skipped"]]
    return "\n".join(lines)


def plot_models(result: dict[str, Any], path: str | Path) -> None:
    """Throughput against GFLOPs (with lines of equal % of sgemm peak), and batch-1 latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    backends = [b for b in BACKENDS if any(r["backend"] == b for r in rows)]
    models = list(dict.fromkeys(r["model"] for r in rows))
    fig, (ax, lat) = plt.subplots(
        1, 2, figsize=(12, 0.3 * len(models) * len(backends) + 3), layout="constrained"
    )
    for marker, backend in zip("osD^", backends, strict=False):
        mine = [r for r in rows if r["backend"] == backend]
        xs, ys = [r["gflops"] for r in mine], [r["windows_per_s"] for r in mine]
        ax.scatter(xs, ys, marker=marker, label=backend)
        for r in mine:
            ax.annotate(r["model"], (r["gflops"], r["windows_per_s"]), fontsize=7, alpha=0.7)
    flops = np.geomspace(min(r["gflops"] for r in rows) / 2, max(r["gflops"] for r in rows) * 2)
    peak = result["sgemm_gflops"]["cpu"]
    for pct in (1, 10, 100):
        ax.plot(flops, peak * pct / 100 / flops, ":", color="grey", lw=0.8)
        ax.annotate(f"{pct}% of CPU sgemm", (flops[-1], peak * pct / 100 / flops[-1]), fontsize=7)
    ax.set(xscale="log", yscale="log", xlabel="GFLOPs per window (2 x MACs)")
    ax.set(ylabel="windows/s at the best batch", title="throughput")
    height = 0.8 / len(backends)
    for i, backend in enumerate(backends):
        by_model = {r["model"]: r for r in rows if r["backend"] == backend}
        ys = [j + i * height for j, m in enumerate(models) if m in by_model]
        med = [by_model[m]["latency_ms_median"] for m in models if m in by_model]
        p99 = [by_model[m]["latency_ms_p99"] for m in models if m in by_model]
        err = [np.zeros(len(med)), np.maximum(np.subtract(p99, med), 0)]
        lat.barh(ys, med, height, xerr=err, label=backend, capsize=2)
    lat.set_yticks(np.arange(len(models)) + 0.4 - height / 2, models, fontsize=8)
    lat.invert_yaxis()
    spread = max(r["latency_ms_p99"] for r in rows) / min(r["latency_ms_median"] for r in rows)
    lat.set(xscale="log" if spread > 20 else "linear", title="latency at batch 1")
    lat.set(xlabel="ms (bar: median, whisker: p99)")
    m = result["machine"]
    fig.suptitle(f"{m['cpu']}, {m['threads']} thread(s)", fontsize=9)
    for a in (ax, lat):
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    fig.savefig(path, dpi=90)
    plt.close(fig)
