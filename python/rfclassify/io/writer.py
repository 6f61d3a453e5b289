"""Writing SigMF recordings as samples arrive, with classification results as annotations.

Samples are appended to ``x.sigmf-data`` as they come. ``x.sigmf-meta`` is rewritten atomically
(temp file + ``os.replace``) when the writer opens, on :meth:`RecordingWriter.flush` and on
close. Every version is valid SigMF and only annotates samples already in the data file, so a
recorder that crashes or is killed still leaves a readable recording of what it wrote; at worst
the annotations since the last flush are lost. ``core:sha512`` is written at close only: after a
checkpoint the data file keeps growing, and a stale hash would make sigmf-python refuse the file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import operator
import os
import threading
import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import sigmf
from sigmf import schema as sigmf_schema

from .._version import __version__
from ..errors import RecordingError
from .annotations import EXTENSION, NAMESPACE, result_to_annotation
from .datatypes import from_complex64, normalise_datatype
from .recording import _finite_freq, _positive_rate, sigmf_paths
from .records import ResultRecord, is_iso_utc, iso_from_datetime, iso_from_epoch


@functools.lru_cache(maxsize=1)
def _annotation_validator() -> jsonschema.protocols.Validator:
    item_schema = sigmf_schema.get_schema()["properties"]["annotations"]["items"]
    return jsonschema.Draft202012Validator(item_schema)


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as the Python values JSON and the SigMF schema accept."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _timestamp(where: Path, value: str | float | datetime) -> str:
    """``core:datetime`` (SigMF v1.2 §Captures: ISO-8601, UTC, ``Z``) from any usual form."""
    try:
        if isinstance(value, datetime):
            return iso_from_datetime(value)
        if isinstance(value, str):
            if not is_iso_utc(value):
                raise ValueError(f"{value!r:.80} is not ISO-8601 UTC (YYYY-MM-DDTHH:MM:SS.ffffffZ)")
            return value
        return iso_from_epoch(value)
    except ValueError as exc:
        raise RecordingError(where, f"start_time: {exc}") from None


class RecordingWriter:
    """A SigMF recording being written: ``with RecordingWriter("x", 30.72e6) as w: w.write(iq)``.

    ``extensions`` declares the namespaces (name -> version) of any extra annotation keys besides
    ``core`` and ``rfclassify``, as SigMF requires (v1.2 §"Extension Namespaces"). Methods may be
    called from different threads (a block's ``work()`` and its message handler).
    """

    def __init__(
        self,
        meta_path: str | Path,
        sample_rate: float,
        center_freq: float | None = None,
        datatype: str = "cf32_le",
        description: str | None = None,
        author: str | None = None,
        start_time: str | float | datetime | None = None,
        hw: str | None = None,
        *,
        extensions: Mapping[str, str] | None = None,
    ):
        self.meta_path, self.data_path = sigmf_paths(meta_path)
        self.samples_written = 0
        self._closed = True  # until the data file is open; __del__ relies on it
        self._lock = threading.Lock()
        try:
            self.datatype = normalise_datatype(datatype)
        except ValueError as exc:
            raise RecordingError(self.meta_path, str(exc)) from None
        self.sample_rate = _positive_rate(self.meta_path, sample_rate, "sample rate")
        self.center_freq = _finite_freq(self.meta_path, center_freq, "center frequency")
        self._global: dict[str, Any] = {
            "core:datatype": self.datatype,
            "core:version": sigmf.__specification__,
            "core:sample_rate": self.sample_rate,
            "core:recorder": f"rfclassify {__version__}",
        }
        for key, value in (("description", description), ("author", author), ("hw", hw)):
            if value is not None:
                self._global[f"core:{key}"] = str(value)
        self._capture: dict[str, Any] = {"core:sample_start": 0}
        if self.center_freq is not None:
            self._capture["core:frequency"] = self.center_freq
        if start_time is not None:
            self._capture["core:datetime"] = _timestamp(self.meta_path, start_time)
        self._extensions = {str(k): str(v) for k, v in (extensions or {}).items()}
        self._used_namespaces: set[str] = set()
        self._annotations: list[dict[str, Any]] = []
        self._hash = hashlib.sha512()
        try:
            self._data = open(self.data_path, "wb")  # noqa: SIM115 - held until close()
        except OSError as exc:
            raise RecordingError(self.data_path, f"cannot create: {exc.strerror or exc}") from None
        self._closed = False
        self._write_meta(final=False)

    # -- samples ---------------------------------------------------------------------------

    def write(self, samples: np.ndarray) -> None:
        """Append complex samples, converted to the recording's datatype."""
        arr = np.asarray(samples)
        if arr.ndim != 1:
            raise ValueError(f"samples must be a 1-D complex array, got shape {arr.shape}")
        raw = memoryview(from_complex64(arr, self.datatype)).cast("B")
        with self._lock:
            self._check_open()
            try:
                self._data.write(raw)
            except OSError as exc:
                raise RecordingError(self.data_path, f"cannot write: {exc.strerror}") from None
            self._hash.update(raw)
            self.samples_written += arr.size

    # -- annotations -----------------------------------------------------------------------

    def annotate(
        self,
        sample_start: int,
        sample_count: int | None,
        label: str | None = None,
        comment: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Add a SigMF annotation; ``extra`` holds namespaced keys such as ``"myapp:snr"``."""
        ann: dict[str, Any] = {"core:sample_start": operator.index(sample_start)}
        if sample_count is not None:
            ann["core:sample_count"] = operator.index(sample_count)
        if label is not None:
            ann["core:label"] = _plain(label)
        if comment is not None:
            ann["core:comment"] = _plain(comment)
        namespaces = set()
        for key, value in (extra or {}).items():
            namespace, colon, name = str(key).partition(":")
            if not (namespace and colon and name):
                raise ValueError(f"annotation key {key!r} needs a namespace, as in 'myapp:{key}'")
            if key in ann or key in ("core:sample_start", "core:sample_count"):
                raise ValueError(f"annotation key {key!r} is set by annotate()'s own arguments")
            if namespace not in ("core", NAMESPACE) and namespace not in self._extensions:
                raise ValueError(
                    f"namespace {namespace!r} is not declared: pass "
                    f"extensions={{{namespace!r}: '<version>'}} to RecordingWriter"
                )
            ann[key] = _plain(value)
            namespaces.add(namespace)
        error = jsonschema.exceptions.best_match(_annotation_validator().iter_errors(ann))
        if error is not None:
            raise ValueError(f"not a valid SigMF annotation: {error.message}")
        try:
            json.dumps(ann, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"annotation values must be plain JSON: {exc}") from None
        self._add(ann, namespaces - {"core"})

    def annotate_result(self, record: ResultRecord) -> None:
        """Store a classification result as an annotation over its window."""
        self._add(result_to_annotation(record), {NAMESPACE})

    def _add(self, ann: dict[str, Any], namespaces: set[str]) -> None:
        with self._lock:
            self._check_open()
            self._annotations.append(ann)
            self._used_namespaces |= namespaces

    # -- metadata --------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"RecordingWriter for {self.meta_path} is closed")

    def _metadata(self, final: bool) -> dict[str, Any]:
        """Metadata for the samples written so far. Annotations reaching past them are held back
        (their samples may still come); at close they are dropped with a warning."""

        def fits(a: dict[str, Any]) -> bool:
            return a["core:sample_start"] + a.get("core:sample_count", 0) <= self.samples_written

        kept = [a for a in self._annotations if fits(a)]
        if final and len(kept) < len(self._annotations):
            warnings.warn(
                f"{self.meta_path}: dropped {len(self._annotations) - len(kept)} annotations "
                f"that reach past the {self.samples_written} samples written",
                stacklevel=4,
            )
        info = dict(self._global)
        if final:  # the file keeps growing after a checkpoint, so only the last hash holds
            info["core:sha512"] = self._hash.hexdigest()
        used = sorted(self._used_namespaces)
        if used:
            declared = {**self._extensions, NAMESPACE: EXTENSION["version"]}
            info["core:extensions"] = [
                {"name": ns, "version": declared[ns], "optional": True} for ns in used
            ]
        return {
            "global": info,
            "captures": [dict(self._capture)],
            # SigMF v1.2 §Annotations: "MUST be sorted by ... core:sample_start" (stable sort).
            "annotations": sorted(kept, key=lambda a: a["core:sample_start"]),
        }

    def _write_meta(self, final: bool) -> None:
        meta = self._metadata(final)
        tmp = self.meta_path.with_name(self.meta_path.name + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(meta, fh, indent=2, allow_nan=False)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.meta_path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise RecordingError(self.meta_path, f"cannot write: {exc.strerror or exc}") from None

    def flush(self) -> None:
        """Push buffered samples to disk and rewrite the metadata to match them (a checkpoint)."""
        with self._lock:
            self._check_open()
            self._data.flush()
            self._write_meta(final=False)

    def close(self) -> None:
        """Finish the recording; safe to call twice, and after an error."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._data.close()
            except OSError as exc:  # the last buffered samples did not make it to disk
                failed: OSError | None = exc
            else:
                failed = None
            self._write_meta(final=True)
            if failed is not None:
                raise RecordingError(self.data_path, f"cannot write: {failed.strerror or failed}")

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            warnings.warn(f"{self.meta_path}: RecordingWriter not closed", ResourceWarning, 2)
            with contextlib.suppress(Exception):  # a finaliser has nobody to report to
                self.close()


_SHORT_KEYS = {"sample_start", "sample_count", "label", "comment"}


def _annotation_kwargs(ann: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments of :meth:`RecordingWriter.annotate` from a dict with short or ``core:`` keys."""
    kwargs: dict[str, Any] = {"sample_count": None, "extra": {}}
    for key, value in ann.items():
        short = key[5:] if key.startswith("core:") else key
        if short in _SHORT_KEYS:
            kwargs[short] = value
        else:
            kwargs["extra"][key] = value
    if "sample_start" not in kwargs:
        raise ValueError(f"annotation {dict(ann)!r:.100} has no sample_start")
    return kwargs


def write_recording(
    meta_path: str | Path,
    samples: np.ndarray,
    sample_rate: float,
    center_freq: float | None = None,
    annotations: Iterable[Mapping[str, Any] | ResultRecord] = (),
    datatype: str = "cf32_le",
    **kwargs: Any,
) -> Path:
    """Write a whole recording at once; returns the ``.sigmf-meta`` path.

    ``annotations`` may mix :class:`ResultRecord` objects and dicts with ``sample_start``,
    ``sample_count``, ``label``, ``comment`` (bare or ``core:``-prefixed) and namespaced keys.
    ``kwargs`` go to :class:`RecordingWriter`.
    """
    with RecordingWriter(meta_path, sample_rate, center_freq, datatype, **kwargs) as writer:
        writer.write(samples)
        for ann in annotations:
            if isinstance(ann, ResultRecord):
                writer.annotate_result(ann)
            elif isinstance(ann, Mapping):
                writer.annotate(**_annotation_kwargs(ann))
            else:
                raise TypeError(f"annotations must be dicts or ResultRecords, got {ann!r:.100}")
    return writer.meta_path
