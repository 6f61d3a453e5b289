"""Result records as SigMF annotations, and back.

SigMF v1.2 §"Annotation Segment Objects" has core fields for where a label applies (sample span,
``core:freq_lower_edge``/``upper_edge``) and what it is (``core:label``); everything else a result
carries lives in the ``rfclassify`` extension namespace, declared in the global
``core:extensions`` as the spec's §"Extension Namespaces" requires. Any SigMF tool shows the
labels; rfclassify reads the full records back.
"""

from __future__ import annotations

from typing import Any

from .records import SCHEMA_VERSION, ResultRecord

NAMESPACE = "rfclassify"
# The namespace is versioned with the result record it mirrors.
EXTENSION = {"name": NAMESPACE, "version": f"{SCHEMA_VERSION}.0.0", "optional": True}

# Result fields with no core equivalent, stored as "rfclassify:<field>".
_EXTENSION_FIELDS = (
    "confidence",
    "probs",
    "model",
    "seq",
    "time",
    "time_source",
    "skipped",
    "valid",
    "reason",
    "clipped",
)


def result_to_annotation(record: ResultRecord) -> dict[str, Any]:
    """The SigMF annotation for ``record``; its band is the whole captured span, when known."""
    ann: dict[str, Any] = {
        "core:sample_start": record.start,
        "core:sample_count": record.length,
        "core:label": record.label,
        "core:generator": "rfclassify",
    }
    if record.center_freq is not None:
        ann["core:freq_lower_edge"] = record.center_freq - record.sample_rate / 2
        ann["core:freq_upper_edge"] = record.center_freq + record.sample_rate / 2
    for name in _EXTENSION_FIELDS:
        value = getattr(record, name)
        ann[f"{NAMESPACE}:{name}"] = dict(value) if isinstance(value, dict) else value
    return ann


def is_result_annotation(annotation: Any) -> bool:
    """Whether an annotation was written by :func:`result_to_annotation`."""
    return isinstance(annotation, dict) and f"{NAMESPACE}:confidence" in annotation


def result_from_annotation(
    annotation: dict[str, Any], sample_rate: float, center_freq: float | None = None
) -> ResultRecord:
    """The record behind a result annotation; ValueError if it is not one or is damaged.

    The sample rate is the recording's (an annotation has none); the centre frequency is the
    middle of the annotation's band when it has one, else ``center_freq``.
    """
    if not is_result_annotation(annotation):
        raise ValueError(f"annotation has no {NAMESPACE}:confidence, so it is not a result")
    data: dict[str, Any] = {
        name: annotation[f"{NAMESPACE}:{name}"]
        for name in _EXTENSION_FIELDS
        if f"{NAMESPACE}:{name}" in annotation
    }
    lower = annotation.get("core:freq_lower_edge")
    upper = annotation.get("core:freq_upper_edge")
    if isinstance(lower, (int, float)) and isinstance(upper, (int, float)):
        center_freq = (lower + upper) / 2
    data.update(
        label=annotation.get("core:label"),
        start=annotation.get("core:sample_start"),
        length=annotation.get("core:sample_count"),
        sample_rate=sample_rate,
        center_freq=center_freq,
    )
    return ResultRecord.from_dict(data)
