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
