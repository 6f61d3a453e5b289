"""The recordings of the evaluation suite: a noise battery, the real captures, and their scores.

Synthetic test sets share the training generator's blind spots; a suite that measures
generalisation (issue 19) also needs files. Two kinds, both plain SigMF read by ``io``:

- the *noise battery*: what a quiet band looks like in every sample format an SDR writes, from
  a too-low gain (8-bit codes mostly zero) to a saturated ADC (0 dBFS clips). A classifier that
  calls these LTE or NR raises false alarms on every idle channel;
- the *real captures* (``../shared/real-captures``): over-the-air files labelled by their
  annotation's ``core:label``, as that folder's README describes.

``score_recordings`` classifies each file as ``rfclassify classify`` does: the model's
``Classifier`` (its own frontend), its windows (``inference.recording``: contiguous from sample 0,
restarted at a retune, a SigMF capture with a new ``core:frequency``), and all-zero or
non-finite windows refused (``screening``), never labelled. No GNU Radio here.
"""

from __future__ import annotations

import json
import math
import os
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import islice, product
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RfclassifyError
from ..io import (
    from_complex64,
    is_result_annotation,
    normalise_datatype,
    numpy_dtype,
    open_recording,
    write_recording,
)
from ..signals.common import CLASSES
from ..signals.receiver import apply_receiver, draw_receiver

NOISE_LEVELS_DBFS = (-80, -60, -40, -20, -6, 0)
NOISE_FORMATS = ("cf32_le", "ci16_le", "ci8", "cu8")
FILTERS = ("white", "receiver")
INVALID = "invalid"  # a window the engine refuses to label (all zeros, NaN/Inf)
_BATCH = 8  # windows per inference call, as ``rfclassify classify --max-batch`` defaults


def _full_scale_codes(datatype: str) -> float | None:
    """Codes from the centre to full scale (None for float): the LSB is 1 / this."""
    dtype = numpy_dtype(datatype)
    if dtype.kind == "f":
        return None
    bits = 8 * dtype.itemsize
    return (2.0**bits - 1) / 2 if dtype.kind == "u" else 2.0 ** (bits - 1)


def _clip_fraction(samples: np.ndarray, datatype: str, receiver: dict | None) -> float:
    """Share of I/Q values stored at the format's extreme codes; a float file clips only in
    its receiver's ADC."""
    codes = from_complex64(samples, datatype)
    if codes.dtype.kind == "f":
        return float(receiver["clip_fraction"]) if receiver else 0.0
    info = np.iinfo(codes.dtype)
    return float(np.count_nonzero((codes == info.min) | (codes == info.max)) / max(codes.size, 1))


def _noise(rng: np.random.Generator, n: int, level_dbfs: float) -> np.ndarray:
    """Complex white Gaussian noise whose RMS is exactly ``level_dbfs`` (0 dBFS: a full-scale
    complex tone's power), so the battery's level is the one written, not one drawn near it."""
    x = rng.standard_normal(2 * n, dtype=np.float32).view(np.complex64)
    return x * np.float32(10 ** (level_dbfs / 20) / math.sqrt(np.vdot(x, x).real / n))


def _quiet_band(
    rng: np.random.Generator, n: int, rate: float, level: float, fmt: str, filt: str
) -> tuple[np.ndarray, dict[str, Any] | None]:
    """One quiet band in full-scale units, and the receiver that shaped it (None: white)."""
    if filt == "white":
        return _noise(rng, n, level), None
    config = draw_receiver(rng, given={"level_dbfs": float(level)})
    if _full_scale_codes(fmt) is not None:
        # The file's integer codes are the ADC's: quantising twice (at the drawn bits, then at
        # the format's) would misplace cu8's offset-binary codes. Float files keep the drawn ADC.
        config = replace(config, adc_bits=None)
    x = rng.standard_normal(2 * n, dtype=np.float32).view(np.complex64) * np.float32(math.sqrt(0.5))
    return apply_receiver(x, rate, config, rng, noise_power=1.0)


def build_noise_battery(
    out_dir: Path,
    seed: int,
    sample_rate: float = 30.72e6,
    duration_s: float = 0.045,
    levels_dbfs: Sequence[float] = NOISE_LEVELS_DBFS,
    formats: Sequence[str] = NOISE_FORMATS,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Write the noise battery (format x level x {white, receiver}) to ``out_dir`` as SigMF,
    with ``index.json`` listing the entries; returns that list.

    Levels are RMS dBFS. Integer formats clip at 0 dBFS and 8-bit ones record mostly zero codes
    at -60 and -80 dBFS (``lsb_rms`` < 0.5): both are kept, they are how a quiet band arrives at
    a wrong gain. ``progress(done, total)`` is called after each file.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n = round(duration_s * sample_rate)
    jobs = list(product(map(normalise_datatype, formats), map(float, levels_dbfs), FILTERS))
    entries = []
    for done, (fmt, level, filt) in enumerate(jobs, 1):
        name = f"noise_{fmt}_{level:g}dBFS_{filt}.sigmf-meta"
        # Seeded by the file's name, not its place: a file is the same whatever else is built.
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        samples, receiver = _quiet_band(rng, n, sample_rate, level, fmt, filt)
        how = "white Gaussian" if receiver is None else "a drawn SDR receiver's (index.json)"
        write_recording(
            out_dir / name,
            samples,
            sample_rate,
            datatype=fmt,
            description=f"noise battery: a quiet band, {how} noise at {level:g} dBFS RMS",
            author=f"rfclassify build_noise_battery(seed={seed})",
            annotations=[{"sample_start": 0, "sample_count": n, "label": "Noise"}],
        )
        codes = _full_scale_codes(fmt)
        entries.append(
            {
                "file": name,
                "label": "Noise",
                "format": fmt,
                "level_dbfs": level,
                "filter": filt,
                "receiver": receiver,
                "samples": n,
                "sample_rate": float(sample_rate),
                "lsb_rms": None if codes is None else 10 ** (level / 20) * codes,
                "clip_fraction": _clip_fraction(samples, fmt, receiver),
            }
        )
        if progress is not None:
            progress(done, len(jobs))
    (out_dir / "index.json").write_text(json.dumps(entries, indent=1, allow_nan=False) + "\n")
    return entries


def _truth(annotations: list[dict[str, Any]]) -> tuple[str | None, str]:
    """The file's ground-truth label from its annotations' ``core:label`` (classification
    results written by rfclassify are not truth), or None and why not."""
    labels = {
        a.get("core:label")
        for a in annotations
        if not is_result_annotation(a) and a.get("core:label") is not None
    }
    if not labels:
        return None, "no core:label annotation"
    if len(labels) > 1:
        return None, f"several labels {sorted(map(str, labels))}: not one class per file"
    (label,) = labels
    if label not in CLASSES:
        return None, f"label {label!r} is not one of {', '.join(CLASSES)}"
    return label, ""


def index_real_captures(
    src_dir: Path, min_samples: int | Callable[[float], int]
) -> list[dict[str, Any]]:
    """Entries for every ``*.sigmf-meta`` in ``src_dir`` (none if it is absent), ``short`` when
    a file holds fewer than ``min_samples`` samples.

    ``min_samples`` may be a function of the sample rate (``Classifier.window_length``): the
    captures differ in rate, and one window is a fixed duration. A file without a usable label
    or that cannot be read is listed with ``label`` None and the reason in ``skipped``.
    """
    src_dir = Path(src_dir)
    if not src_dir.is_dir():
        return []
    entries = []
    for meta in sorted(src_dir.glob("*.sigmf-meta")):
        entry: dict[str, Any] = {"file": str(meta.resolve()), "label": None}
        try:
            rec = open_recording(meta)
        except RfclassifyError as exc:
            entries.append({**entry, "skipped": f"unreadable: {exc}"})
            continue
        info = rec.global_info
        source = info.get("real:source") or info.get("core:description") or info.get("core:author")
        least = min_samples(rec.sample_rate) if callable(min_samples) else min_samples
        entry |= {
            "sample_rate": rec.sample_rate,
            "samples": rec.num_samples,
            "short": rec.num_samples < least,
            "source": source,
        }
        label, why = _truth(rec.annotations)
        entries.append({**entry, "label": label} if label else {**entry, "skipped": why})
    return entries


def _window_labels(engine, rec, window: int, max_windows: int | None) -> tuple[list[str], Any]:
    """The label of every window of ``rec`` (``INVALID`` where the engine refuses one), and
    the class probabilities summed over the classified windows."""
    from ..inference import recording_windows

    windows = (samples for _, samples, _ in islice(recording_windows(rec, window), max_windows))
    labels: list[str] = []
    total = np.zeros(len(engine.classes))
    while batch := list(islice(windows, _BATCH)):
        probs, valid = engine.classify(batch, rec.sample_rate)
        total += probs[valid].sum(axis=0)
        for p, ok in zip(probs, valid, strict=True):
            labels.append(engine.classes[int(p.argmax())] if ok else INVALID)
    return labels, total


def _score(engine, entry: dict[str, Any], root: Path, max_windows: int | None) -> dict[str, Any]:
    row = {**entry, "windows": 0, "correct": 0, "accuracy": None, "majority": None}
    row |= {"pass": None, "predicted": dict.fromkeys(engine.classes, 0), INVALID: 0}
    if entry.get("label") is None:
        return row
    try:
        rec = open_recording(Path(root) / entry["file"])
        window = engine.window_length(rec.sample_rate)
    except RfclassifyError as exc:  # unreadable, or a rate the model cannot serve
        return {**row, "error": str(exc)}
    if rec.num_samples < window:
        return {**row, "short": True}
    labels, total = _window_labels(engine, rec, window, max_windows)
    counts = Counter(labels)
    row["predicted"] |= {c: counts[c] for c in engine.classes}
    classified = len(labels) - counts[INVALID]
    row |= {"windows": len(labels), INVALID: counts[INVALID], "short": False}
    row["correct"] = counts[entry["label"]]
    if classified:  # a tie in count goes to the higher summed probability
        order = range(len(engine.classes))
        majority = engine.classes[max(order, key=lambda i: (counts[engine.classes[i]], total[i]))]
        row |= {"accuracy": row["correct"] / classified, "majority": majority}
        row["pass"] = majority == entry["label"]
    return row


def score_recordings(
    model,
    entries: list[dict[str, Any]],
    root: Path,
    max_windows: int | None = None,
    *,
    threads: int | None = None,
) -> list[dict[str, Any]]:
    """One row per entry: its windows' labels counted (``predicted``, ``invalid``), the share
    right among classified windows (``accuracy``), and ``pass``: the majority label is the truth
    (a tie goes to the higher summed probability, not to whichever class is listed first).

    ``model`` is what ``rfclassify classify --model`` takes (a shipped name, a .onnx /
    .safetensors / card path) or a loaded ``Classifier``. Files are ``root / entry["file"]``.
    Rows for what cannot be scored have ``pass`` None: unlabelled entries, files shorter than
    one window (``short``), errors (``error``) and files whose every window was refused.
    ``max_windows`` caps the windows per file (the first ones).
    """
    from ..inference import Classifier

    engine = model
    if not isinstance(model, Classifier):
        threads = threads or min(8, len(os.sched_getaffinity(0)))
        engine = Classifier(str(model), threads=threads)
    return [_score(engine, entry, root, max_windows) for entry in entries]


def _group_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    windows = sum(r["windows"] for r in rows)
    invalid = sum(r[INVALID] for r in rows)
    correct = sum(r["correct"] for r in rows)
    scored = [r for r in rows if r["pass"] is not None]
    out: dict[str, Any] = {
        "recordings": len(rows),
        "scored": len(scored),
        "passed": sum(bool(r["pass"]) for r in scored),
        "windows": windows,
        "invalid": invalid,
        "window_accuracy": correct / (windows - invalid) if windows > invalid else None,
    }
    noise = [r for r in rows if r.get("label") == "Noise"]
    classified = sum(r["windows"] - r[INVALID] for r in noise)
    if noise:
        called = Counter()
        for r in noise:
            called.update(r["predicted"])
        out["noise_windows"] = classified
        out["noise_fraction"] = called["Noise"] / classified if classified else None
        alarms = called["LTE"] + called["NR"]
        out["false_alarm_fraction"] = alarms / classified if classified else None
    return out


def summarise_recordings(rows: list[dict[str, Any]], by: str = "label") -> dict[str, Any]:
    """Totals per value of ``rows[i][by]`` and over ``"all"``: windows, window accuracy,
    recordings passed / scored; over Noise rows the share of windows called Noise (issue 19's
    target: >= 99.5 %) and called LTE or NR (false alarms). Window shares count classified
    windows: a window the engine refuses (``invalid``, e.g. all-zero codes) is counted apart,
    since refusing to label a dead input is the engine's intended answer, not a miss."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row.get(by)), []).append(row)
    out = {key: _group_totals(group) for key, group in sorted(groups.items())}
    out["all"] = _group_totals(rows)
    return out
