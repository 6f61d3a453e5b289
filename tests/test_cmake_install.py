"""The CMake install (gr_modtool layout) serves `from gnuradio import rfclassify`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not installed")


def test_cmake_install_into_a_prefix_serves_gnuradio_rfclassify(tmp_path):
    build, prefix = tmp_path / "build", tmp_path / "prefix"
    subprocess.run(
        ["cmake", "-S", str(ROOT), "-B", str(build), f"-DCMAKE_INSTALL_PREFIX={prefix}"],
        check=True,
        capture_output=True,
    )
    subprocess.run(["cmake", "--build", str(build)], check=True, capture_output=True)
    subprocess.run(["cmake", "--install", str(build)], check=True, capture_output=True)

    packages = list(prefix.glob("lib/python3*/*-packages/gnuradio/rfclassify/__init__.py"))
    assert len(packages) == 1, list(prefix.rglob("__init__.py"))[:5]
    site = packages[0].parents[2]
    code = (
        "from gnuradio import rfclassify; "
        "from gnuradio.rfclassify.dsp import Frontend, FrontendConfig; "
        "import numpy as np; "
        "img = Frontend(FrontendConfig(window_ms=1.0))(np.ones(1920, np.complex64), 1.92e6); "
        "print(rfclassify.__file__, img.shape)"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    # Run outside the source tree so the editable install cannot be what answers.
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert str(prefix) in proc.stdout
    assert "(1, 1, 128, 128)" in proc.stdout
