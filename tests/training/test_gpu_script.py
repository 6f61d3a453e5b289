"""scripts/gpu_train.sh, the one call for a lent GPU machine, in its tiny CPU form (TINY=1)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_gpu_script_builds_trains_exports_and_compares_in_tiny_form(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "TINY": "1", "OUT": str(out), "PYTHON": sys.executable,
           "WORK": str(tmp_path / "work")}  # fmt: skip
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_train.sh")], env=env,
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    names = {p.name for p in out.iterdir()}
    # what the device tool brings back: at most 8 files; the small models' ONNX, every card
    assert names == {
        "gpu_train.log", "compare.md", "vim-lte-nr.onnx", "vim-lte-nr.json",
        "mobilevit-xxs-lte-nr.onnx", "mobilevit-xxs-lte-nr.json",
        "resnet50-rf-lte-nr.json", "vit-b16-lte-nr.json",
    }  # fmt: skip
    for name in ("vim-lte-nr", "resnet50-rf-lte-nr"):
        card = json.loads((out / f"{name}.json").read_text())
        assert card["metrics"]["test"]["data"]["seed"] == 3
    table = (out / "compare.md").read_text()
    assert table.count("| ") > 4 * 8 and "resnet50_rf" in table
    assert "torch" in (out / "gpu_train.log").read_text()
