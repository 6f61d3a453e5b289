"""Reading SigMF recordings and raw IQ files, chunk by chunk, without loading them whole.

A bad file is a user problem, not a bug: every way a recording can be unusable ends in one
:class:`~rfclassify.errors.RecordingError` line naming the file and what is wrong, never a
traceback out of json, jsonschema, sigmf or numpy.

Sample indices in :meth:`Recording.read` and :meth:`Recording.chunks` count from the first sample
in the data file. SigMF (v1.2 §"Global Object", ``core:offset``) numbers annotation and capture
indices absolutely, from ``core:offset``; it is 0 unless a recording was split across files, and
:attr:`Recording.offset` keeps it for the rare file where it is not.

An empty recording (a data file with no samples) is refused: there is nothing to classify, and
a zero-byte data file is far more often a recorder that failed than a capture meant to be empty.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import stat
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import jsonschema
import numpy as np
from sigmf import validate as sigmf_validate

from ..errors import RecordingError
from .annotations import is_result_annotation, result_from_annotation
from .datatypes import bytes_per_sample, normalise_datatype, numpy_dtype, to_complex64
from .records import ResultRecord

META_EXT = ".sigmf-meta"
DATA_EXT = ".sigmf-data"


@dataclass
class Recording:
    """An open recording: where its samples are, what they are, and what SigMF says about them.

    ``data_offset`` is the number of bytes before the first sample (``core:header_bytes`` of a
    Non-Conforming Dataset); ``offset`` is SigMF's ``core:offset``, the absolute index of sample 0.
    Nothing is held open: each read opens the file, so a Recording is cheap to keep and to copy.
    """

    path: Path
    meta_path: Path | None
    sample_rate: float
    center_freq: float | None
    datatype: str
    num_samples: int
    annotations: list[dict[str, Any]] = field(default_factory=list)
    global_info: dict[str, Any] = field(default_factory=dict)
    captures: list[dict[str, Any]] = field(default_factory=list)
    data_offset: int = 0
    offset: int = 0

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.meta_path = None if self.meta_path is None else Path(self.meta_path)
        self.datatype = normalise_datatype(self.datatype)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.num_samples / self.sample_rate

    def _span(self, start: int, stop: int | None) -> tuple[int, int]:
        start = _index(start, "start")
        stop = self.num_samples if stop is None else _index(stop, "stop")
        if not 0 <= start <= stop <= self.num_samples:
            raise ValueError(
                f"samples [{start}, {stop}) are outside {self.path.name}, which holds "
                f"samples [0, {self.num_samples})"
            )
        return start, stop

    def read(self, start: int = 0, count: int | None = None) -> np.ndarray:
        """``count`` samples (default: all the rest) from index ``start``, as complex64."""
        start, stop = _index(start, "start"), None
        if count is not None:
            if _index(count, "count") < 0:
                raise ValueError(f"count must be >= 0, got {count}")
            stop = start + int(count)
        start, stop = self._span(start, stop)
        with self._open() as fh:
            return self._read_at(fh, start, stop - start)

    def chunks(
        self, chunk_size: int, start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(index, samples)`` covering ``[start, stop)`` once, ``chunk_size`` at a time.

        Only one chunk is in memory at a time (each is a fresh array the caller may keep); the
        last one is shorter when ``chunk_size`` does not divide the span. Arguments are checked
        here, not at the first ``next()``.
        """
        size = _index(chunk_size, "chunk_size")
        if size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        return self._chunks(size, *self._span(start, stop))

    def _chunks(self, size: int, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        if start == stop:
            return
        with self._open() as fh:
            for pos in range(start, stop, size):
                yield pos, self._read_at(fh, pos, min(size, stop - pos))

    def results(self) -> list[ResultRecord]:
        """The rfclassify result records stored in this recording's annotations."""
        out = []
        for ann in self.annotations:
            if is_result_annotation(ann):
                try:
                    out.append(result_from_annotation(ann, self.sample_rate, self.center_freq))
                except ValueError as exc:
                    where = ann.get("core:sample_start")
                    raise RecordingError(self.meta_path, f"annotation at {where}: {exc}") from None
        return out

    def _open(self) -> BinaryIO:
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise RecordingError(self.path, _os_problem(exc)) from None

    def _read_at(self, fh: BinaryIO, start: int, count: int) -> np.ndarray:
        comps = np.empty(2 * count, dtype=numpy_dtype(self.datatype))
        view = memoryview(comps).cast("B")
        try:
            fh.seek(self.data_offset + start * bytes_per_sample(self.datatype))
            got = 0
            while got < len(view):  # readinto may return less than asked (large reads, pipes)
                n = fh.readinto(view[got:])
                if not n:
                    break
                got += n
        except OSError as exc:
            raise RecordingError(self.path, _os_problem(exc)) from None
        if got < len(view):
            have = start + got // bytes_per_sample(self.datatype)
            raise RecordingError(
                self.path,
                f"ends at sample {have}, not {self.num_samples}: it shrank after it was opened",
            )
        return to_complex64(comps, self.datatype)


def _index(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return int(value)


def _probe(check: Callable[[], bool]) -> bool:
    """A ``Path.is_*`` check that answers False where it would raise (EACCES, NUL in name):
    the read that follows then reports the real problem."""
    try:
        return check()
    except (OSError, ValueError):
        return False


def _os_problem(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    return f"cannot read: {exc.strerror or exc}"


def sigmf_paths(path: str | Path) -> tuple[Path, Path]:
    """(``x.sigmf-meta``, ``x.sigmf-data``) for ``x``, ``x.sigmf-meta`` or ``x.sigmf-data``."""
    p = Path(path)
    if p.suffix in (META_EXT, DATA_EXT):
        p = p.with_suffix("")
    return p.with_name(p.name + META_EXT), p.with_name(p.name + DATA_EXT)


def _positive_rate(where: object, value: Any, name: str) -> float:
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
    rate = float(value) if ok and abs(value) < 1e300 else math.nan
    if not (math.isfinite(rate) and rate > 0):
        raise RecordingError(where, f"{name} must be a positive number, got {value!r:.80}")
    return rate


def _finite_freq(where: object, value: Any, name: str) -> float | None:
    if value is None:
        return None
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
    freq = float(value) if ok and abs(value) < 1e300 else math.nan
    if not math.isfinite(freq):
        raise RecordingError(where, f"{name} must be a finite number of Hz, got {value!r:.80}")
    return freq


def _data_size(path: Path, missing: str = "file not found") -> int:
    """Size of a sample file, after checking it is a regular file we may read."""
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(st.st_mode):
            raise RecordingError(path, "is not a regular file (device or pipe?)")
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise RecordingError(path, missing) from None
    except OSError as exc:
        raise RecordingError(path, _os_problem(exc)) from None
    except ValueError:  # a NUL byte in the name
        raise RecordingError(path, "is not a usable file name") from None
    return st.st_size


def _sample_count(path: Path, payload: int, datatype: str) -> int:
    size = bytes_per_sample(datatype)
    if payload == 0:
        raise RecordingError(path, "contains no samples (0 bytes of sample data)")
    count, left = divmod(payload, size)
    if left:
        raise RecordingError(
            path,
            f"{payload} bytes of sample data is not a whole number of {datatype} samples "
            f"({size} bytes each): {left} bytes left over (truncated file or wrong datatype?)",
        )
    return count


def _load_metadata(meta: Path) -> dict[str, Any]:
    try:
        text = meta.read_bytes()
    except OSError as exc:
        problem = _os_problem(exc)
        if isinstance(exc, FileNotFoundError):
            problem = "SigMF metadata file not found"
        raise RecordingError(meta, problem) from None
    except ValueError:  # a NUL byte in the name
        raise RecordingError(meta, "is not a usable file name") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordingError(
            meta, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except UnicodeDecodeError:
        raise RecordingError(meta, "not valid JSON (not UTF-8 text)") from None
    except RecursionError:
        raise RecordingError(meta, "not valid JSON (nested too deeply)") from None
    except ValueError as exc:  # an integer literal past sys.get_int_max_str_digits()
        raise RecordingError(meta, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("global"), dict):
        raise RecordingError(meta, 'is JSON but not SigMF metadata (no "global" object)')
    return data


def _check_global(meta: Path, info: dict[str, Any]) -> tuple[str, float]:
    """The fields rfclassify needs, checked before the schema so the message can say why."""
    datatype = info.get("core:datatype")
    if datatype is None:
        raise RecordingError(meta, "core:datatype is missing (SigMF requires it)")
    try:
        datatype = normalise_datatype(datatype, allow_aliases=False)
    except ValueError as exc:
        raise RecordingError(meta, f"core:datatype: {exc}") from None
    if "core:sample_rate" not in info:
        raise RecordingError(
            meta, "core:sample_rate is missing (optional in SigMF, but needed to classify)"
        )
    rate = _positive_rate(meta, info["core:sample_rate"], "core:sample_rate")
    channels = info.get("core:num_channels", 1)
    if isinstance(channels, float) and channels.is_integer():
        channels = int(channels)  # JSON Schema counts 2.0 as an integer: it is a count too
    if isinstance(channels, int) and not isinstance(channels, bool) and channels != 1:
        raise RecordingError(
            meta, f"has {channels} interleaved channels; only 1-channel recordings are supported"
        )
    if info.get("core:metadata_only") is True:
        raise RecordingError(meta, "is metadata-only (core:metadata_only): it has no samples")
    return datatype, rate


def _check_schema(meta: Path, metadata: dict[str, Any]) -> None:
    """sigmf-python's own validator: JSON schema, then sorted captures and annotations."""
    try:
        with warnings.catch_warnings():
            # Undeclared extension namespaces only warn (DeprecationWarning); we do not mind.
            warnings.simplefilter("ignore")
            sigmf_validate.validate(metadata)
    except jsonschema.exceptions.ValidationError as exc:
        where = f"at {exc.json_path}: " if exc.path else ""
        message = exc.message if len(exc.message) <= 200 else exc.message[:200] + "..."
        raise RecordingError(meta, f"not valid SigMF metadata: {where}{message}") from None


def _check_extent(data: Path, meta: Path, metadata: dict[str, Any], count: int) -> None:
    """Refuse a data file shorter than its annotations and captures say (a truncated copy)."""
    offset = metadata["global"].get("core:offset", 0)
    ends = [c["core:sample_start"] for c in metadata["captures"]]
    ends += [
        a["core:sample_start"] + a.get("core:sample_count", 0) for a in metadata["annotations"]
    ]
    extent = max(ends, default=0) - offset
    if extent > count:
        raise RecordingError(
            data,
            f"holds {count} samples but {meta.name} describes samples up to {extent} "
            "(truncated data file?)",
        )


def _check_sha512(data: Path, expected: str) -> None:
    # SigMF v1.2 core:sha512 covers the whole dataset file, headers included.
    digest = hashlib.sha512()
    try:
        with open(data, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
    except OSError as exc:
        raise RecordingError(data, _os_problem(exc)) from None
    if digest.hexdigest().lower() != expected.lower():
        raise RecordingError(data, "sha512 does not match core:sha512 (corrupted or modified?)")


def open_recording(path: str | Path, verify_checksum: bool = False) -> Recording:
    """Open the SigMF recording ``x`` given as ``x``, ``x.sigmf-meta`` or ``x.sigmf-data``.

    The metadata must pass sigmf-python's validator, need a complex ``core:datatype`` and a
    positive ``core:sample_rate``; ``core:dataset`` (Non-Conforming Datasets) and a first
    capture's ``core:header_bytes`` plus ``core:trailing_bytes`` are honoured. The data file is
    checked for size, not read; ``verify_checksum`` reads it once to check ``core:sha512``.
    """
    given = Path(path)
    if given.suffix in (".sigmf", ".sigmf-collection"):
        raise RecordingError(
            given, "SigMF archives and collections are not read directly: unpack or open a member"
        )
    bare = given.suffix not in (META_EXT, DATA_EXT)
    if bare and _probe(given.is_dir):
        raise RecordingError(given, "is a directory, not a SigMF recording")
    meta, data = sigmf_paths(given)
    if bare and not _probe(meta.exists) and _probe(given.is_file):
        raise RecordingError(
            given, f"has no {meta.name} beside it; a raw IQ file needs open_raw(path, sample_rate)"
        )
    metadata = _load_metadata(meta)
    info = metadata["global"]
    datatype, rate = _check_global(meta, info)
    metadata.setdefault("captures", [])  # both default to [] in the schema
    metadata.setdefault("annotations", [])
    _check_schema(meta, metadata)
    captures, annotations = metadata["captures"], metadata["annotations"]

    if "core:dataset" in info:  # a Non-Conforming Dataset, beside the metadata (SigMF v1.2)
        name = info["core:dataset"]
        if Path(name).name != name or name in (".", ".."):
            raise RecordingError(meta, f"core:dataset {name!r} must be a bare file name")
        data = meta.parent / name
    size = _data_size(data, f"SigMF data file not found (named by {meta.name})")
    if any(c.get("core:header_bytes", 0) for c in captures[1:]):
        raise RecordingError(meta, "core:header_bytes past the first capture is not supported")
    # The schema admits 4.0 for these integer fields (JSON Schema: an integral number is an
    # integer); as floats they would make the sample count and every file offset a float.
    header = int(captures[0].get("core:header_bytes", 0)) if captures else 0
    trailing = int(info.get("core:trailing_bytes", 0))
    if header + trailing > size:
        raise RecordingError(
            data, f"is {size} bytes, fewer than its {header} header + {trailing} trailing bytes"
        )
    count = _sample_count(data, size - header - trailing, datatype)
    _check_extent(data, meta, metadata, count)
    if verify_checksum and "core:sha512" in info:
        _check_sha512(data, info["core:sha512"])
    center = captures[0].get("core:frequency") if captures else None
    return Recording(
        path=data,
        meta_path=meta,
        sample_rate=rate,
        center_freq=_finite_freq(meta, center, "core:frequency"),
        datatype=datatype,
        num_samples=count,
        annotations=annotations,
        global_info=info,
        captures=captures,
        data_offset=header,
        offset=int(info.get("core:offset", 0)),
    )


def open_raw(
    path: str | Path,
    sample_rate: float,
    datatype: str = "cf32_le",
    center_freq: float | None = None,
) -> Recording:
    """Open a headerless IQ file (GNU Radio ``.cfile``, ``.iq``, ``.bin``, rtl_sdr output).

    Raw files carry no metadata, so the caller says what they hold; ``datatype`` also takes the
    usual aliases (``complex64``, ``sc16``, ``rtl``, ...).
    """
    path = Path(path)
    rate = _positive_rate(path, sample_rate, "sample rate")
    center = _finite_freq(path, center_freq, "center frequency")
    try:
        datatype = normalise_datatype(datatype)
    except ValueError as exc:
        raise RecordingError(path, str(exc)) from None
    count = _sample_count(path, _data_size(path), datatype)
    capture: dict[str, Any] = {"core:sample_start": 0}
    if center is not None:
        capture["core:frequency"] = center
    return Recording(
        path=path,
        meta_path=None,
        sample_rate=rate,
        center_freq=center,
        datatype=datatype,
        num_samples=count,
        global_info={"core:datatype": datatype, "core:sample_rate": rate},
        captures=[capture],
    )
