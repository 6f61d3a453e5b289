"""The parameter table of a dataset: one row per example, so accuracy can be sliced by anything.

Columns are fixed (an empty cell means "does not apply": no SCS for LTE, no SNR for noise), so
a table reads the same into a spreadsheet, pandas or :func:`read_table`. The full generation
parameters, nested and complete, go to ``params.jsonl`` next to it.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..signals.common import CLASSES, Waveform
from .recipe import Example

# name -> type of the column (float columns read back as float64 with NaN for empty cells)
COLUMNS: dict[str, type] = {
    "index": int,
    "label": str,
    "class_index": int,
    "kind": str,
    "snr_db": float,
    "capture_rate": float,
    "offset_hz": float,
    "visible_fraction": float,
    "start_s": float,
    "bandwidth_mhz": float,
    "scs_khz": float,
    "duplex": str,
    "cp": str,
    "ports": float,
    "cell_id": float,
    "load": float,
    "ssb_period_ms": float,
    "channel": str,
    "doppler_hz": float,
    "delay_spread_s": float,
    "cfo_hz": float,
    "sro_ppm": float,
    "phase_noise_dbc_hz": float,
    "iq_gain_db": float,
    "iq_phase_deg": float,
    "agc_step_db": float,
    "clip_db": float,
    "pair_kind": str,
    "pair_relative_db": float,
}


def table_row(index: int, example: Example, wave: Waveform) -> dict[str, Any]:
    """The row of example ``index`` (``wave`` is its rendering, for what the draw left open)."""
    scene, p = example.scene, wave.params
    propagation = scene.channel
    carrier = scene.kind in ("lte", "nr")
    row: dict[str, Any] = {
        "index": index,
        "label": scene.label,
        "class_index": CLASSES.index(scene.label),
        "kind": scene.kind,
        "snr_db": scene.snr_db,
        "capture_rate": wave.sample_rate,
        "offset_hz": scene.offset_hz,
        # the part of the carrier inside the view; unknown for the Other kinds
        "visible_fraction": p.get("visible_fraction", 1.0 if carrier else None),
        "start_s": scene.start_s,
        "bandwidth_mhz": scene.params["bandwidth_mhz"] if carrier else None,
        "scs_khz": scene.params.get("scs_khz", 15) if carrier else None,
        "duplex": scene.params.get("duplex", "FDD") if carrier else None,
        "cp": scene.params.get("cp", "normal") if carrier else None,
        "ports": scene.params.get("ports") if scene.kind == "lte" else None,
        "cell_id": scene.params.get("cell_id") if carrier else None,
        "load": scene.params.get("load") if carrier else None,
        "ssb_period_ms": scene.params.get("ssb_period_ms") if scene.kind == "nr" else None,
        "channel": propagation.profile,
        "doppler_hz": propagation.doppler_hz,
        "delay_spread_s": propagation.delay_spread_s if propagation.profile != "none" else None,
        "cfo_hz": propagation.cfo_hz,
        "sro_ppm": propagation.sro_ppm,
        "phase_noise_dbc_hz": propagation.phase_noise,
        "iq_gain_db": propagation.iq_gain_db,
        "iq_phase_deg": propagation.iq_phase_deg,
        "agc_step_db": propagation.agc_step_db,
        "clip_db": propagation.clip_db,
        "pair_kind": example.secondary.kind if example.secondary else None,
        "pair_relative_db": example.relative_db if example.secondary else None,
    }
    assert set(row) == set(COLUMNS)
    return row


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest exact form: the table round-trips bit for bit
    return str(value)


def write_table(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_cell(row[name]) for name in COLUMNS])


def read_table(path: str | Path) -> dict[str, np.ndarray]:
    """Columns as arrays: int64, float64 (NaN where empty) or str (``""`` where empty)."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path} is empty")
        cells = list(reader)
    columns: dict[str, np.ndarray] = {}
    for j, name in enumerate(header):
        raw = [line[j] for line in cells]
        kind = COLUMNS.get(name, str)
        if kind is int:
            columns[name] = np.array([int(v) for v in raw], dtype=np.int64)
        elif kind is float:
            columns[name] = np.array([float(v) if v else np.nan for v in raw], dtype=np.float64)
        else:
            columns[name] = np.array(raw, dtype=object)
    return columns
