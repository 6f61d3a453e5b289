"""Which selective-scan form runs Vim fastest, in torch and in ONNX Runtime, on this machine.

Every form is measured in the same run on the same weights and inputs: the whole
``vim_ultralight`` model (the scan is most of its time), at batch 1 (latency) and a larger batch
(throughput), median of repeated calls after warm-up, on the threads torch / ONNX Runtime choose.
Each form's output is checked against the sequential reference before it is timed.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ..models import create_model
from ..models.onnx_export import export_onnx, ort_session
from ..models.selective_scan import SCANS


def _median_ms(fn: Callable[[], object], min_seconds: float, min_runs: int = 10) -> float:
    fn()
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_seconds:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


def run_scan_bench(
    batches: tuple[int, ...] = (1, 8),
    seconds: float = 2.0,
    onnx: bool = True,
    workdir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Median forward time (ms) of vim_ultralight per scan form, backend and batch."""
    say = progress or (lambda _text: None)
    torch.manual_seed(0)
    model = create_model("vim_ultralight", in_chans=1).eval()
    rng = np.random.default_rng(0)
    inputs = {b: rng.standard_normal((b, 1, 128, 128)).astype(np.float32) for b in batches}
    with torch.no_grad():
        model.set_scan("sequential")
        reference = {b: model(torch.from_numpy(x)).numpy() for b, x in inputs.items()}
    rows = []
    tmp = tempfile.TemporaryDirectory() if workdir is None else None
    folder = Path(workdir or tmp.name)  # type: ignore[union-attr]
    try:
        for scan in SCANS:
            model.set_scan(scan)
            for b, x in inputs.items():
                tensor = torch.from_numpy(x)
                with torch.no_grad():
                    diff = float(np.abs(model(tensor).numpy() - reference[b]).max())

                    def run(tensor: torch.Tensor = tensor) -> object:
                        with torch.no_grad():
                            return model(tensor)

                    say(f"torch {scan} batch {b}")
                    rows.append(_row("torch", scan, b, _median_ms(run, seconds), diff))
            if not onnx:
                continue
            say(f"exporting {scan}")
            path = folder / f"vim_{scan}.onnx"
            export_onnx(model, path, (1, 128, 128))
            session = ort_session(path)
            name = session.get_inputs()[0].name
            for b, x in inputs.items():
                diff = float(np.abs(session.run(None, {name: x})[0] - reference[b]).max())
                say(f"onnxruntime {scan} batch {b}")
                ms = _median_ms(lambda s=session, n=name, x=x: s.run(None, {n: x}), seconds)
                rows.append(_row("onnxruntime", scan, b, ms, diff))
    finally:
        if tmp is not None:
            tmp.cleanup()
    for row in rows:
        base = next(
            r["ms"]
            for r in rows
            if (r["backend"], r["batch"], r["scan"]) == (row["backend"], row["batch"], "sequential")
        )
        row["speedup_vs_sequential"] = round(base / row["ms"], 3)
    fastest = {}
    for backend in {r["backend"] for r in rows}:
        mine = [r for r in rows if r["backend"] == backend]
        totals = {s: sum(r["ms"] for r in mine if r["scan"] == s) for s in SCANS}
        fastest[backend] = min(totals, key=totals.get)
    return {
        "model": "vim_ultralight",
        "threads": torch.get_num_threads(),
        "rows": rows,
        "fastest": fastest,
    }


def _row(backend: str, scan: str, batch: int, ms: float, diff: float) -> dict:
    return {
        "backend": backend,
        "scan": scan,
        "batch": batch,
        "ms": round(ms, 3),
        "windows_per_s": round(1e3 * batch / ms, 1),
        "max_abs_diff_vs_sequential": diff,
    }


def run_train_step_bench(batch: int = 32, steps: int = 3) -> dict:
    """Seconds per training step (forward, backward, AdamW) of vim_ultralight at 128x128, with
    the hand-written backward of the scan against autograd through the loop, same run."""
    from ..models import selective_scan

    def step_seconds() -> float:
        torch.manual_seed(0)
        model = create_model("vim_ultralight", in_chans=1)
        optimizer = torch.optim.AdamW(model.parameters(), 1e-3)
        x, y = torch.randn(batch, 1, 128, 128), torch.randint(0, 4, (batch,))
        times = []
        for i in range(steps + 2):  # two warm-up steps
            t = time.perf_counter()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if i >= 2:
                times.append(time.perf_counter() - t)
        return statistics.median(times)

    fast = step_seconds()
    # autograd through the loop: shadow the Function's (inherited) apply, then remove the shadow
    selective_scan._Recurrence.apply = staticmethod(selective_scan._recurrence)
    try:
        slow = step_seconds()
    finally:
        del selective_scan._Recurrence.apply
    return {
        "batch": batch,
        "hand_written_backward_s": round(fast, 6),
        "autograd_loop_s": round(slow, 6),
        "speedup": round(slow / fast, 2),
        "examples_per_s": round(batch / fast, 1),
    }
