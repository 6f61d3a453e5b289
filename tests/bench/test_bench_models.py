"""``rfclassify bench models``: the table's shape and bookkeeping, never its timings.

One smoke run (vim_ultralight, torch and ONNX Runtime, batches 1 and 2, 5 runs) serves every
test; the figures it measures are not asserted, only that each is there, positive and consistent
with the counts and the baseline it claims.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from rfclassify.cli import main

MODEL = "vim_ultralight"


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, Path]:
    """(the JSON result, stderr, the --plot file) of one in-process smoke run (capsys is
    function-scoped, so this module-wide run captures by hand)."""
    plot = tmp_path_factory.mktemp("bench") / "models.png"
    out, err = io.StringIO(), io.StringIO()
    argv = ["bench", "models", "--models", MODEL, "--backends", "torch,onnxruntime"]
    argv += ["--batches", "1,2", "--runs", "5", "--threads", "1", "--quick", "--json"]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, "--plot", str(plot)])
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue()), err.getvalue(), plot


def test_every_requested_row_is_there_with_positive_figures(bench):
    result, stderr, _ = bench
    rows = {r["backend"]: r for r in result["rows"]}
    assert set(rows) == {"torch", "onnxruntime"} and len(result["rows"]) == 2
    assert result["skipped"] == []
    for backend, row in rows.items():
        assert row["model"] == MODEL
        assert f"{MODEL}: {backend}" in stderr  # progress names model and backend
        for key in ("latency_ms_median", "latency_ms_p99", "windows_per_s", "speedup_throughput"):
            assert row[key] > 0, (backend, key)
        assert row["latency_ms_p99"] >= row["latency_ms_median"]
        assert row["latency_runs"] == 5
        assert [b["batch"] for b in row["per_batch"]] == [1, 2]
        assert row["best_batch"] in (1, 2)
        assert row["peak_rss_mb"] is not None and row["peak_rss_mb"] >= 0
        assert 0 < row["pct_of_sgemm_peak"] < 100


def test_the_torch_batch_1_row_is_the_baseline(bench):
    rows = {r["backend"]: r for r in bench[0]["rows"]}
    assert rows["torch"]["speedup_latency"] == 1.0
    assert rows["torch"]["speedup_throughput"] >= 1.0  # batch 1 is among its candidates
    ort = rows["onnxruntime"]
    assert ort["speedup_latency"] == pytest.approx(
        rows["torch"]["latency_ms_median"] / ort["latency_ms_median"]
    )


def test_params_and_flops_are_the_project_counts(bench):
    from rfclassify.models import create_model, model_spec
    from rfclassify.models.flops import count_macs, count_params

    spec = model_spec(MODEL)
    model = create_model(MODEL)
    macs = count_macs(model, (spec.in_chans, spec.img_size, spec.img_size))
    for row in bench[0]["rows"]:
        assert row["params"] == count_params(model)
        assert row["macs"] == macs
        assert row["gflops"] == pytest.approx(2 * macs / 1e9)  # FLOPs = 2 x MACs


def test_machine_and_sgemm_peak_are_reported(bench):
    result = bench[0]
    assert result["sgemm_gflops"]["cpu"] > 0
    assert result["machine"]["threads"] == 1
    assert result["machine"]["torch"] and result["machine"]["onnxruntime"]
    assert result["batches"] == [1, 2] and result["runs"] == 5


def test_the_table_is_markdown_with_a_row_per_measurement(bench):
    from rfclassify.bench.models import format_table

    table = format_table(bench[0])
    lines = [line for line in table.splitlines() if line.startswith(f"| {MODEL} |")]
    assert len(lines) == 2
    assert "| torch |" in lines[0] and "1.00x" in lines[0]
    assert "| model | backend | params M | GFLOPs |" in table


def test_plot_writes_a_png(bench):
    plot = bench[2]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--models", "no_such_model"], "unknown model"),
        (["--backends", "tensorflow"], "unknown backend"),
    ],
)
def test_bad_requests_fail_before_anything_is_timed(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:  # a usage error
        main(["bench", "models", *argv, "--quick"])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_a_cuda_backend_without_a_gpu_is_refused(capsys):
    from rfclassify.bench.models import available_backends

    if "torch-cuda" in available_backends():
        pytest.skip("a GPU is visible here")
    assert main(["bench", "models", "--backends", "torch-cuda", "--quick"]) == 1
    assert "no CUDA device" in capsys.readouterr().err


def test_batches_must_be_positive_integers(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "models", "--batches", "1,0"])
    assert exc.value.code == 2


def test_a_failed_export_skips_the_onnx_rows_and_keeps_the_rest(monkeypatch):
    from rfclassify.bench import models as bench_models

    def broken(*_args, **_kwargs):
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(bench_models, "export_onnx", broken)
    result = bench_models.run_models_bench(
        [MODEL], ["torch", "onnxruntime"], batches=[1], runs=2, threads=1, quick=True
    )
    assert [r["backend"] for r in result["rows"]] == ["torch"]
    assert result["skipped"] == [
        {
            "model": MODEL,
            "backend": "onnxruntime",
            "reason": "ONNX export failed: unsupported operator",
        }
    ]


def test_served_times_every_model_on_the_shipped_input(capsys):
    from rfclassify.models import create_model
    from rfclassify.models.flops import count_macs

    argv = ["bench", "models", "--models", "mobilevit_xxs", "--backends", "onnxruntime"]
    argv += ["--batches", "1", "--runs", "3", "--quick", "--threads", "1", "--served", "--json"]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {tuple(r["input"]) for r in rows} == {(1, 128, 128)}
    model = create_model("mobilevit_xxs", img_size=128, in_chans=1)
    assert rows[0]["macs"] == count_macs(model, (1, 128, 128))
