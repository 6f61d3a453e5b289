"""Dataset synthesis speed per core, against the generator of an earlier commit, in one run.

``rfclassify dataset build`` spends its time making examples (``make_example``: draw a scene
from the recipe, render it, take its spectrogram). This benchmark makes N examples of the
default recipe with one worker, one thread, with the code of this checkout and with the code
of git commit ``baseline`` (on that commit's own default recipe), each in its own Python
process, alternating the two (baseline, current, baseline, current, ...) so that both see the
same host load; the medians and ranges of examples/s, their ratio, and the CPU time the
hypervisor stole meanwhile are the result. The baseline is ``git archive REF python/rfclassify``
unpacked in a temporary folder; the child script finds the builder in either layout
(``rfclassify.datasets`` now, ``rfclassify.training`` before).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import RfclassifyError
from .machine import cpu_times, machine_info, steal_percent

DEFAULT_BASELINE = "5f4ba29"
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")

# Run in a child process with PYTHONPATH set to one version's python/ folder; prints one JSON
# line. Kept to what every version of the builder has had: make_example, _usable_rates,
# load_recipe, Frontend.
_CHILD = r"""
import json, os, sys, time
import numpy as np
try:
    from rfclassify.datasets.builder import _usable_rates, make_example
    from rfclassify.datasets.recipe import load_recipe
except ImportError:
    from rfclassify.training.builder import _usable_rates, make_example
    from rfclassify.training.recipe import load_recipe
from rfclassify.dsp import Frontend, FrontendConfig
try:  # the dataset workers' allocator settings, where this version has them
    from rfclassify.datasets.builder import prepare_worker
    prepare_worker()
except ImportError:
    pass
try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    pass
count, seed, label, progress = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
recipe = load_recipe()
config = FrontendConfig()
recipe["capture_rates"] = _usable_rates(recipe, config)
frontend = Frontend(config)
for i in range(2):  # warm-up: imports, caches, first-call costs; another seed
    make_example(i, seed + 1, recipe, frontend, np.dtype("float16"))
wall, cpu = time.perf_counter(), time.process_time()
step = max(1, count // 10)
for i in range(count):
    make_example(i, seed, recipe, frontend, np.dtype("float16"))
    if progress and (i + 1) % step == 0:
        print(f"    {label}: {i + 1}/{count}", file=sys.stderr, flush=True)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
import rfclassify
print(json.dumps({"examples": count, "seconds": wall, "cpu_seconds": cpu,
                  "package": os.path.dirname(rfclassify.__file__)}))
"""


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise RfclassifyError(
            "bench synth needs git to fetch the baseline; it is not installed"
        ) from None


def repository_root(start: Path | None = None) -> Path:
    """The git checkout this package runs from; a clear error when there is none."""
    start = start or Path(__file__).resolve().parent
    done = _git(start, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise RfclassifyError(
            f"bench synth compares against a git commit, but {start} is not in a git checkout"
        )
    return Path(done.stdout.decode().strip())


def resolve_commit(repo: Path, ref: str) -> str:
    """The full hash of ``ref``; a clear error when this clone does not have it."""
    done = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise RfclassifyError(
            f"unknown baseline {ref!r}: no such commit in {repo} "
            "(a shallow clone lacks old commits: git fetch --unshallow)"
        )
    return done.stdout.decode().strip()


def extract_baseline(repo: Path, commit: str, into: Path) -> Path:
    """``git archive commit python/rfclassify`` unpacked under ``into``; its python/ folder."""
    done = _git(repo, "archive", "--format=tar", commit, "python/rfclassify")
    if done.returncode != 0:
        raise RfclassifyError(
            f"git archive {commit[:12]} python/rfclassify failed: {done.stderr.decode().strip()}"
        )
    archive = into / "baseline.tar"
    archive.write_bytes(done.stdout)
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: refuse links out, devices
            tar.extractall(into / "baseline", filter="data")
        else:  # our own repository's archive: plain files and folders only
            tar.extractall(into / "baseline", [m for m in tar if m.isfile() or m.isdir()])
    archive.unlink()
    return into / "baseline" / "python"


def _run_child(
    python_dir: Path, script: Path, label: str, count: int, seed: int, progress: bool
) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(python_dir), "PYTHONNOUSERSITE": "1"}
    env.update({name: "1" for name in ONE_THREAD})
    argv = [sys.executable, str(script), str(count), str(seed), label, "1" if progress else "0"]
    child = subprocess.Popen(
        argv, cwd=script.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    tail: list[str] = []
    assert child.stderr is not None and child.stdout is not None
    for line in child.stderr:  # forwarded live: the progress lines, or a traceback
        if progress and line.startswith("    "):
            print(line, end="", file=sys.stderr, flush=True)
        tail = [*tail[-20:], line]
    out = child.stdout.read()
    if child.wait() != 0:
        raise RfclassifyError(f"the {label} generator failed:\n{''.join(tail).rstrip()}")
    result = json.loads(out.strip().splitlines()[-1])
    result["examples_per_s"] = result["examples"] / result["seconds"]
    result["examples_per_cpu_s"] = result["examples"] / max(result["cpu_seconds"], 1e-9)
    return result


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    rates = [r["examples_per_s"] for r in runs]
    cpu = [r["examples_per_cpu_s"] for r in runs]
    return {
        "examples_per_s": statistics.median(rates),
        "examples_per_s_min": min(rates),
        "examples_per_s_max": max(rates),
        "examples_per_cpu_s": statistics.median(cpu),
        "examples": [r["examples"] for r in runs],
        "package": runs[0]["package"],
        "runs": [
            {k: r[k] for k in ("seconds", "cpu_seconds", "examples_per_s", "steal_percent")}
            for r in runs
        ],
    }


def run_synth_bench(
    count: int = 200,
    baseline: str = DEFAULT_BASELINE,
    runs: int = 3,
    seconds: float = 0.0,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Examples/s of ``make_example`` with one worker, baseline commit vs this checkout.

    ``runs`` pairs (baseline then current), more while fewer than ``seconds`` have passed.
    The ratio is the current median over the baseline median; its range pairs the extremes.
    """
    if count < 1 or runs < 1:
        raise RfclassifyError("bench synth needs --n >= 1 and --runs >= 1")
    say = progress or (lambda text: None)
    repo = repository_root()
    commit = resolve_commit(repo, baseline)
    current_dir = Path(__file__).resolve().parents[2]  # .../python
    started, before = time.perf_counter(), cpu_times()
    sides: dict[str, list[dict[str, Any]]] = {"baseline": [], "current": []}
    with tempfile.TemporaryDirectory(prefix="rfclassify-synth-") as tmp:
        say(f"extracting {baseline} ({commit[:12]}) from {repo}")
        dirs = {"baseline": extract_baseline(repo, commit, Path(tmp)), "current": current_dir}
        script = Path(tmp) / "synth_child.py"
        script.write_text(_CHILD)
        pair = 0
        while pair < runs or time.perf_counter() - started < seconds:
            pair += 1
            for side in ("baseline", "current"):
                say(f"run {pair}: {side}, {count} examples")
                t0 = cpu_times()
                result = _run_child(dirs[side], script, side, count, seed, progress is not None)
                result["steal_percent"] = steal_percent(t0, cpu_times())
                sides[side].append(result)
                say(f"run {pair}: {side} {result['examples_per_s']:.2f} examples/s")
    base, cur = _summary(sides["baseline"]), _summary(sides["current"])
    return {
        "bench": "synth",
        "examples_per_run": count,
        "pairs": pair,
        "workers": 1,
        "threads": 1,
        "seed": seed,
        "baseline_ref": baseline,
        "baseline_commit": commit,
        "baseline": base,
        "current": cur,
        "ratio": cur["examples_per_s"] / base["examples_per_s"],
        "ratio_min": cur["examples_per_s_min"] / base["examples_per_s_max"],
        "ratio_max": cur["examples_per_s_max"] / base["examples_per_s_min"],
        "ratio_cpu": cur["examples_per_cpu_s"] / base["examples_per_cpu_s"],
        "steal_percent": steal_percent(before, cpu_times()),
        "seconds": time.perf_counter() - started,
        "machine": machine_info(),
    }


def format_synth(result: dict[str, Any]) -> str:
    """The table ``bench synth`` prints."""
    base, cur = result["baseline"], result["current"]
    steal = result["steal_percent"]
    lines = [
        f"dataset synthesis, default recipe, 1 worker x 1 thread, {result['examples_per_run']} "
        f"examples per run, {result['pairs']} alternating pairs",
        f"  baseline {result['baseline_ref']} ({result['baseline_commit'][:10]}): "
        f"{base['examples_per_s']:.2f} examples/s per core "
        f"(range {base['examples_per_s_min']:.2f}-{base['examples_per_s_max']:.2f})",
        f"  current:                      {cur['examples_per_s']:.2f} examples/s per core "
        f"(range {cur['examples_per_s_min']:.2f}-{cur['examples_per_s_max']:.2f})",
        f"  ratio {result['ratio']:.2f}x (range {result['ratio_min']:.2f}-"
        f"{result['ratio_max']:.2f}; by CPU time {result['ratio_cpu']:.2f}x), steal "
        + ("n/a" if steal is None else f"{steal:.1f} %"),
    ]
    return "\n".join(lines)
