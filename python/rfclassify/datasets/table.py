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
    "ul_dl_config": float,
    "special_subframe_config": float,
    "ssb_case": str,
    "ssb_placement": str,
    "filter_shape": str,
    "filter_edge": float,
    "bb_filter": str,
    "adc_bits": float,
    "level_dbfs": float,
    "lo_leak_dbc": float,
    "spurs": float,
    "agc_step_db": float,
    "clip_fraction": float,
    "pair_kind": str,
    "pair_relative_db": float,
    "window_ms": float,
}


def table_row(
    index: int, example: Example, wave: Waveform, window_ms: float | None = None
) -> dict[str, Any]:
    """The row of example ``index`` (``wave`` is its rendering, for what the draw left open;
    ``window_ms`` the length of the window imaged)."""
    scene, p = example.scene, wave.params
    propagation = scene.channel
    carrier = scene.kind in ("lte", "nr")
    tdd_lte = scene.kind == "lte" and scene.params.get("duplex") == "TDD"
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
        "ul_dl_config": scene.params.get("ul_dl_config") if tdd_lte else None,
        "special_subframe_config": scene.params.get("special_subframe_config") if tdd_lte else None,
        "ssb_case": p.get("ssb_case") if scene.kind == "nr" else None,
        "ssb_placement": scene.params.get("ssb_placement") if scene.kind == "nr" else None,
        **_receiver_columns(scene, p.get("sdr")),
        "pair_kind": example.secondary.kind if example.secondary else None,
        "pair_relative_db": example.relative_db if example.secondary else None,
        "window_ms": window_ms,
    }
    assert set(row) == set(COLUMNS)
    return row


def _receiver_columns(scene: Any, sdr: dict[str, Any] | None) -> dict[str, Any]:
    """The SDR's main traits (all of them are in ``params.jsonl``); empty without a receiver."""
    r = scene.receiver
    if r is None:
        empty = ("filter_shape", "filter_edge", "bb_filter", "adc_bits", "level_dbfs")
        return {**dict.fromkeys(empty), "lo_leak_dbc": None, "spurs": None,
                "agc_step_db": None, "clip_fraction": None}  # fmt: skip
    return {
        "filter_shape": r.filter_shape,
        "filter_edge": r.filter_edge if r.filter_shape != "none" else None,
        "bb_filter": str(r.bb_filter),
        "adc_bits": r.adc_bits,
        "level_dbfs": r.level_dbfs,
        "lo_leak_dbc": r.lo_leak_dbc if r.lo_leak else None,
        "spurs": len(r.spur_freqs),
        "agc_step_db": r.agc_step_db,
        "clip_fraction": sdr.get("clip_fraction") if sdr else None,
    }


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest exact form: the table round-trips bit for bit
    return str(value)


def row_cells(row: dict[str, Any]) -> list[str]:
    """One row as the table's text cells, in column order."""
    return [_cell(row[name]) for name in COLUMNS]


def write_table(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(map(row_cells, rows))


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
