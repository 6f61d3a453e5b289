"""Fixtures for hand-made SigMF files: the bad-file tests need metadata no writer would produce."""

import json
from pathlib import Path

import numpy as np
import pytest


def _sigmf_meta(**global_fields):
    info = {"core:datatype": "cf32_le", "core:version": "1.2.6", "core:sample_rate": 1e6}
    info.update(global_fields)
    return {
        "global": {k: v for k, v in info.items() if v is not None},
        "captures": [{"core:sample_start": 0, "core:frequency": 2.6e9}],
        "annotations": [],
    }


def _iq(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-0.99, 0.99, n) + 1j * rng.uniform(-0.99, 0.99, n)).astype(np.complex64)


@pytest.fixture
def sigmf_meta():
    """sigmf_meta(**globals): a minimal valid cf32_le, 1 MS/s metadata dict; None drops a key."""
    return _sigmf_meta


@pytest.fixture
def iq():
    """iq(n, seed=0): complex64 samples inside the unit square, so no integer format clips."""
    return _iq


@pytest.fixture
def make_recording(tmp_path):
    """make_recording(meta=dict|str, data=bytes|None, name="rec") -> the base Path."""

    def make(meta=None, data=b"", name="rec"):
        base = tmp_path / name
        meta = _sigmf_meta() if meta is None else meta
        text = meta if isinstance(meta, str) else json.dumps(meta)
        Path(f"{base}.sigmf-meta").write_text(text)
        if data is not None:
            Path(f"{base}.sigmf-data").write_bytes(data)
        return base

    return make
