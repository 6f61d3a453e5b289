"""``rfclassify bench stream``: the measurement plumbing (no timing assertions: timings belong in
benchmarks, not tests)."""

import json

from rfclassify.cli import main


def test_bench_stream_reports_every_phase_consistently(capsys):
    code = main(
        [
            "bench",
            "stream",
            "--model",
            "vim-lte-nr",
            "--rate",
            "1.92e6",
            "--seconds",
            "1.5",
            "--baseline",
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bench"] == "stream" and result["window_samples"] == 38400
    top, paced, base = result["max"], result["paced"], result["baseline"]
    assert top["msps"] > 0 and top["classified"] > 0 and top["skipped"] == 0
    # offline: every window classified but those in the worker when the bench stopped it
    assert top["classified"] + top["in_flight_at_stop"] == top["windows"]
    assert 0 <= top["in_flight_at_stop"] <= 2 * 8 + 2 * 8  # queue + the two stages' batches
    assert paced["classified"] + paced["skipped"] <= paced["windows"]
    assert paced["zmq_received"] + paced["zmq_lost"] <= paced["zmq_sent"]
    assert paced["zmq_received"] > 0 and paced["latency_p99_ms"] >= paced["latency_p50_ms"] > 0
    assert base["windows"] > 0
    assert abs(result["speedup_vs_baseline"] - top["msps"] / base["msps"]) < 1e-9
    assert result["peak_rss_mb"] >= paced["rss_end_mb"] > 0


def test_a_short_soak_judges_every_target_and_draws_the_rss(tmp_path, capsys):
    plot = tmp_path / "rss.png"
    argv = ["bench", "stream", "--soak", "--rate", "1.92e6", "--seconds", "2", "--json"]
    code = main([*argv, "--plot", str(plot)])
    result = json.loads(capsys.readouterr().out)
    assert "max" not in result and "baseline" not in result  # the paced phase alone
    names = [c["name"] for c in result["soak"]]
    assert names == [
        "skipped windows",
        "RSS growth (first -> last quarter)",
        "ZMQ messages lost by a reader that keeps up",
        "inference errors / worker restarts",
    ]
    assert result["soak_met"] == all(c["met"] for c in result["soak"])
    assert code == (0 if result["soak_met"] else 1)
    paced = result["paced"]
    series = paced["rss_series"]
    assert len(series["seconds"]) == len(series["mb"]) >= 3
    assert paced["errors"] == paced["restarts"] == 0
    # glibc here: what the heap holds is sampled with RSS, and is a part of it
    assert len(series["heap_mb"]) == len(series["mb"])
    assert all(0 < heap < rss for heap, rss in zip(series["heap_mb"], series["mb"], strict=True))
    assert abs(paced["heap_growth_percent"]) < 100
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_heap_in_use_counts_what_is_allocated_and_given_back():
    from rfclassify.bench.machine import heap_in_use_bytes

    before = heap_in_use_bytes()
    block = bytearray(64 * 2**20)  # one block, from glibc's malloc
    during = heap_in_use_bytes()
    del block
    after = heap_in_use_bytes()
    assert during - before >= 64 * 2**20
    assert during - after >= 64 * 2**20


def test_soak_options_that_do_not_go_together_are_usage_errors(capsys):
    import pytest

    for argv in (["--soak", "--baseline"], ["--plot", "x.png"]):
        with pytest.raises(SystemExit) as exc:
            main(["bench", "stream", *argv])
        assert exc.value.code == 2
    assert "--soak" in capsys.readouterr().err
