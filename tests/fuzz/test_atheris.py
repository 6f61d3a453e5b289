"""Run each coverage-guided target (atheris_targets.py) for a bounded number of inputs.

A short, seeded run on every test run: it replays the seeds and a few thousand mutations, so a
regression in any parser's error handling fails here, and the harness itself cannot rot. A real
hunt runs the same file for longer by hand (see its docstring). atheris is optional (a wheel
exists for CPython < 3.12 on Linux x86-64 only): without it these tests are skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris", reason="atheris (optional, the dev extra) is not installed")

HARNESS = Path(__file__).with_name("atheris_targets.py")

# Inputs per target, sized so all three take well under a minute on a 2-core machine; the
# per-target time cap keeps a slow machine from turning that into a timeout.
RUNS = {"sigmf": 10000, "frontend": 15000, "record": 100000}


@pytest.mark.parametrize("target", sorted(RUNS))
def test_target_runs_clean(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the harness's work files
    flags = [f"-runs={RUNS[target]}", "-seed=1", "-max_total_time=40", "-timeout=20",
             "-rss_limit_mb=2048", f"-artifact_prefix={tmp_path}/"]  # fmt: skip
    result = subprocess.run(
        [sys.executable, str(HARNESS), target, *flags, str(corpus)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    assert "Done" in result.stderr  # libFuzzer finished its runs, it did not stop early
    assert any(corpus.iterdir())  # the seeds were written and read


def test_an_unknown_target_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, str(HARNESS), "nope"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "usage" in result.stderr
