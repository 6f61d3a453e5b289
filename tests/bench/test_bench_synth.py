"""``rfclassify bench synth``: the plumbing (both generators run, the figures add up), not a
timing: timings belong in the benchmark's report, not in tests."""

import json
import subprocess
from pathlib import Path

import pytest

from rfclassify.bench.synth import DEFAULT_BASELINE, resolve_commit
from rfclassify.cli import main
from rfclassify.errors import RfclassifyError

REPO = Path(__file__).resolve().parents[2]


def _has_commit(ref: str) -> bool:
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            capture_output=True,
        )
    except FileNotFoundError:
        return False
    return done.returncode == 0


needs_history = pytest.mark.skipif(
    not _has_commit(DEFAULT_BASELINE),
    reason=f"git history with {DEFAULT_BASELINE} unavailable (not a checkout, or shallow)",
)


@needs_history
def test_bench_synth_runs_both_generators_side_by_side(capsys):
    code = main(["bench", "synth", "--n", "2", "--runs", "1", "--json"])
    assert code == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["bench"] == "synth" and result["examples_per_run"] == 2
    assert result["pairs"] == 1 and result["workers"] == 1
    assert result["baseline_commit"].startswith(DEFAULT_BASELINE)
    base, cur = result["baseline"], result["current"]
    assert base["examples"] == [2] and cur["examples"] == [2]  # both made every example
    for side in (base, cur):
        assert side["examples_per_s_min"] <= side["examples_per_s"] <= side["examples_per_s_max"]
        assert side["examples_per_s"] > 0 and side["examples_per_cpu_s"] > 0
    # the baseline ran the archived code, the current side this checkout's
    assert "rfclassify-synth-" in base["package"]
    assert Path(cur["package"]).resolve() == (REPO / "python" / "rfclassify").resolve()
    assert result["ratio"] == pytest.approx(cur["examples_per_s"] / base["examples_per_s"])
    assert result["ratio_min"] <= result["ratio"] <= result["ratio_max"]
    steal = result["steal_percent"]
    assert steal is None or 0 <= steal <= 100
    assert "baseline: 2/2" in captured.err and "current: 2/2" in captured.err  # progress


@needs_history
def test_an_unknown_baseline_is_a_clear_error(capsys):
    assert main(["bench", "synth", "--n", "1", "--baseline", "no-such-ref-xyz"]) != 0
    assert "unknown baseline 'no-such-ref-xyz'" in capsys.readouterr().err


def test_outside_a_git_checkout_is_a_clear_error(tmp_path):
    with pytest.raises(RfclassifyError, match="not in a git checkout"):
        from rfclassify.bench.synth import repository_root

        repository_root(tmp_path)
    with pytest.raises(RfclassifyError):
        resolve_commit(tmp_path, DEFAULT_BASELINE)
