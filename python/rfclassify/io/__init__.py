"""Recordings in and out (SigMF and raw IQ) and the result record every sink shares.

See DESIGN.md "Contracts other parts rely on" for the result record; nothing here imports GNU Radio.
"""

from .annotations import is_result_annotation, result_from_annotation, result_to_annotation
from .datatypes import (
    DATATYPE_ALIASES,
    SUPPORTED_DATATYPES,
    bytes_per_sample,
    from_complex64,
    normalise_datatype,
    numpy_dtype,
    to_complex64,
)
from .recording import Recording, open_raw, open_recording, sigmf_paths
from .records import (
    ResultRecord,
    is_iso_utc,
    iso_from_datetime,
    iso_from_epoch,
    utc_now_iso,
)
from .writer import RecordingWriter, write_recording

__all__ = [
    "DATATYPE_ALIASES",
    "SUPPORTED_DATATYPES",
    "Recording",
    "RecordingWriter",
    "ResultRecord",
    "bytes_per_sample",
    "from_complex64",
    "is_iso_utc",
    "is_result_annotation",
    "iso_from_datetime",
    "iso_from_epoch",
    "normalise_datatype",
    "numpy_dtype",
    "open_raw",
    "open_recording",
    "result_from_annotation",
    "result_to_annotation",
    "sigmf_paths",
    "to_complex64",
    "utc_now_iso",
    "write_recording",
]
