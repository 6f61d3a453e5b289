"""SigMF sample formats: which ones we read, and how they become complex64.

SigMF v1.2 §"Dataset Format" names a sample format ``<c|r><f|i|u><bits>[_le|_be]``: ``c`` for
complex (interleaved I, Q) and ``r`` for real, then the component type, then the byte order,
which the spec leaves off 8-bit types. rfclassify classifies I/Q, so only complex formats are
supported; a real recording is refused with a clear message rather than misread as I/Q pairs.

Integer samples are scaled to roughly [-1, 1], the range the frontend's normalisation expects:
signed ``n``-bit values are divided by ``2**(n-1)`` (so ``ci16`` is ``x / 32768``), unsigned ones
are centred on the mid-code, ``(x - m) / m`` with ``m = (2**n - 1) / 2``, which for ``cu8`` is
the rtl-sdr convention ``(x - 127.5) / 127.5`` (DC at 127.5, not 128 as sigmf-python assumes).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

# The formats other code names most often come first.
SUPPORTED_DATATYPES: tuple[str, ...] = (
    "cf32_le",
    "ci16_le",
    "ci8",
    "cu8",
    "cf64_le",
    "ci32_le",
    "cu16_le",
    "cu32_le",
    "cf32_be",
    "cf64_be",
    "ci32_be",
    "ci16_be",
    "cu32_be",
    "cu16_be",
)

# Names raw-file users reach for (GNU Radio, SoapySDR, UHD, rtl_sdr) -> SigMF datatype.
DATATYPE_ALIASES: dict[str, str] = {
    "complex64": "cf32_le",
    "complex": "cf32_le",
    "cfile": "cf32_le",
    "fc32": "cf32_le",
    "cf32": "cf32_le",
    "complex128": "cf64_le",
    "fc64": "cf64_le",
    "cf64": "cf64_le",
    "sc16": "ci16_le",
    "cs16": "ci16_le",
    "int16": "ci16_le",
    "ci16": "ci16_le",
    "sc8": "ci8",
    "cs8": "ci8",
    "int8": "ci8",
    "uint8": "cu8",
    "rtl": "cu8",
    "cs32": "ci32_le",
    "sc32": "ci32_le",
    "int32": "ci32_le",
    "ci32": "ci32_le",
    "cu16": "cu16_le",
    "uint16": "cu16_le",
}

_SIGMF_DATATYPE = re.compile(
    r"^(?P<kind>[cr])(?P<comp>[fiu])(?P<bits>8|16|32|64)(?P<order>_le|_be)?$"
)


@dataclass(frozen=True)
class _Format:
    component: np.dtype  # one real component, in file byte order
    signed_int: bool
    unsigned_int: bool
    scale: float  # file value * scale (after centring) -> [-1, 1]
    centre: float  # mid-code of an unsigned format, 0 otherwise


def _supported_text() -> str:
    return ", ".join(SUPPORTED_DATATYPES)


def normalise_datatype(name: str, allow_aliases: bool = True) -> str:
    """The SigMF datatype ``name`` stands for, or ValueError saying what is supported.

    ``allow_aliases=False`` is for SigMF metadata, whose ``core:datatype`` must already be a
    spec name; aliases are a convenience for raw files only.
    """
    if not isinstance(name, str):
        raise ValueError(f"datatype must be a string, got {name!r}")
    key = name.strip().lower()
    if allow_aliases:
        key = DATATYPE_ALIASES.get(key, key)
    if key in ("ci8_le", "ci8_be", "cu8_le", "cu8_be"):
        key = key[:3]  # the spec drops the byte order of 8-bit types; tolerate it being there
    if key in SUPPORTED_DATATYPES:
        return key
    match = _SIGMF_DATATYPE.match(key)
    if match and match["kind"] == "r":
        raise ValueError(
            f"datatype {name!r} is real-valued; rfclassify needs complex I/Q samples "
            f"(supported: {_supported_text()})"
        )
    if match and match["order"] is None and match["bits"] != "8":
        raise ValueError(
            f"datatype {name!r} lacks the _le/_be byte order SigMF requires for types wider "
            f"than 8 bits (supported: {_supported_text()})"
        )
    hint = f"; for raw files also {', '.join(sorted(DATATYPE_ALIASES))}" if allow_aliases else ""
    raise ValueError(f"unknown datatype {name!r} (supported: {_supported_text()}{hint})")


@functools.cache
def _format(datatype: str) -> _Format:
    match = _SIGMF_DATATYPE.match(datatype)
    assert match is not None, datatype  # only called with normalised names
    bits = int(match["bits"])
    order = ">" if match["order"] == "_be" else "<"
    component = np.dtype(f"{order if bits > 8 else '|'}{match['comp']}{bits // 8}")
    if match["comp"] == "i":
        return _Format(component, True, False, 2.0 ** -(bits - 1), 0.0)
    if match["comp"] == "u":
        centre = (2.0**bits - 1) / 2
        return _Format(component, False, True, 1.0 / centre, centre)
    return _Format(component, False, False, 1.0, 0.0)


def _lookup(datatype: str) -> tuple[str, _Format]:
    name = normalise_datatype(datatype)
    return name, _format(name)


def numpy_dtype(datatype: str) -> np.dtype:
    """The numpy dtype of ONE real component (I or Q) of ``datatype``, in file byte order."""
    return _lookup(datatype)[1].component


def bytes_per_sample(datatype: str) -> int:
    """Bytes of one complex sample: two components (SigMF: I then Q, interleaved)."""
    return 2 * _lookup(datatype)[1].component.itemsize


def _as_components(raw: object, fmt: _Format) -> np.ndarray:
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raw = np.frombuffer(raw, dtype=np.uint8)
    arr = np.asarray(raw)
    if arr.dtype != fmt.component:
        if arr.dtype != np.uint8:
            raise ValueError(
                f"raw components must be {fmt.component.str} (or raw bytes as uint8), "
                f"got {arr.dtype.str}"
            )
        arr = np.ascontiguousarray(arr).reshape(-1)
        if arr.size % fmt.component.itemsize:
            raise ValueError(f"{arr.size} bytes is not a whole number of {fmt.component.str}")
        arr = arr.view(fmt.component)
    arr = arr.reshape(-1)
    if arr.size % 2:
        raise ValueError(f"{arr.size} components cannot be interleaved I/Q pairs (odd count)")
    return arr


def to_complex64(raw: object, datatype: str) -> np.ndarray:
    """Interleaved I/Q components (or their raw bytes) -> complex64 scaled to about [-1, 1].

    ``cf32_le`` on a little-endian host comes back as a zero-copy view of ``raw`` (read-only if
    ``raw`` is); every other format costs one float32 pass, or two for unsigned integers.
    """
    _, fmt = _lookup(datatype)
    comps = _as_components(raw, fmt)
    if fmt.signed_int or fmt.unsigned_int:
        out = comps.astype(np.float32)
        if fmt.centre:
            out -= np.float32(fmt.centre)
        out *= np.float32(fmt.scale)
    elif comps.dtype == np.dtype(np.float32):
        out = np.ascontiguousarray(comps)
    else:
        out = comps.astype(np.float32)  # byte swap and/or float64 -> float32
    return out.view(np.complex64)


def from_complex64(x: np.ndarray, datatype: str) -> np.ndarray:
    """Complex samples -> interleaved components of ``numpy_dtype(datatype)``, for writing.

    Integer formats are rounded to the nearest code and clipped to the format's range (full
    scale +1.0 saturates one code short of 2**(n-1)); NaN becomes 0, +-inf saturates.
    """
    _, fmt = _lookup(datatype)
    arr = np.asarray(x)
    if not np.iscomplexobj(arr):
        raise ValueError(f"samples must be complex, got {arr.dtype}")
    if arr.dtype not in (np.complex64, np.complex128):
        arr = arr.astype(np.complex128)
    comps = np.ascontiguousarray(arr).reshape(-1).view(arr.real.dtype)
    if not (fmt.signed_int or fmt.unsigned_int):
        return comps.astype(fmt.component, copy=False)
    # 32-bit codes do not fit float32's 24-bit mantissa: scale those in float64.
    work = np.float64 if fmt.component.itemsize >= 4 else np.float32
    scaled = comps.astype(work) * work(1.0 / fmt.scale)
    if fmt.centre:
        scaled += work(fmt.centre)
    np.nan_to_num(scaled, copy=False, nan=fmt.centre)
    np.rint(scaled, out=scaled)
    info = np.iinfo(fmt.component)
    np.clip(scaled, info.min, info.max, out=scaled)
    return scaled.astype(fmt.component)
