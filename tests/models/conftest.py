"""Shared checks of the model-family tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rfclassify.models.onnx_export import export_onnx, onnx_outputs


def _export_and_check(model, tmp_path, shape) -> None:
    """Export ``model`` at ``shape``; ONNX Runtime must match torch to 1e-4 (batch 2 and 1)."""
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((2, *shape)).astype(np.float32)
    report = export_onnx(model, tmp_path / "m.onnx", shape, parity_inputs=inputs)
    assert report.max_abs_diff <= 1e-4
    one = inputs[:1]
    with torch.no_grad():
        expected = model(torch.from_numpy(one)).numpy()
    np.testing.assert_allclose(onnx_outputs(report.path, one), expected, atol=1e-4, rtol=0)


@pytest.fixture
def export_and_check():
    return _export_and_check
