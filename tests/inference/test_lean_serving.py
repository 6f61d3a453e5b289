"""Serving an ONNX model needs neither torch nor the model zoo: a station's process stays small."""

import subprocess
import sys

CODE = """
import sys, resource
import numpy as np
from rfclassify.inference import Classifier
c = Classifier("vim-lte-nr")
noise = np.random.default_rng(0).normal(0, 0.1, (1, 2 * 38400)).astype(np.float32)
probs, valid = c.classify(noise.view(np.complex64), 1.92e6)
assert probs.shape == (1, 4) and valid.all()
print(sorted(m for m in ("torch", "rfclassify.models.registry") if m in sys.modules))
"""


def test_the_onnx_runtime_path_does_not_import_torch():
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
