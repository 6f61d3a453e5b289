"""Coverage-guided fuzz targets (atheris, i.e. libFuzzer for Python) for the three input parsers.

    python tests/fuzz/atheris_targets.py {sigmf,frontend,record} [libFuzzer flags] [corpus dirs]

e.g. ``sigmf -runs=2000`` (what tests/fuzz/test_atheris.py does) or ``record -max_total_time=600
corpus/`` for a longer hunt. The hypothesis tests beside this file draw from strategies someone
wrote; libFuzzer instead mutates inputs towards code it has not yet run, so it reaches cases
nobody thought to write down. Each target lets through only the errors the parser documents;
any other exception, or an AssertionError from a broken invariant, is a crash that libFuzzer
reports with the input that caused it (saved as ``crash-*``; replay it by passing the file).

Seed inputs are written into the first corpus directory given (or a fresh temporary one), so a
run starts from valid SigMF metadata and result records rather than from nothing. Work files go
under ``$TMPDIR``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["rfclassify"]):
    import numpy as np

    from rfclassify.commands.common import record_line
    from rfclassify.commands.listen import _decode, _text
    from rfclassify.dsp import Frontend, FrontendConfig, StftGeometry
    from rfclassify.errors import RecordingError
    from rfclassify.io import ResultRecord, open_recording
    from rfclassify.io.annotations import EXTENSION, result_to_annotation
    from rfclassify.io.publisher import TOPIC

# Splits one fuzz input into its parts (metadata | data file, or ZMQ frames). JSON never holds a
# raw NUL, so mutations rarely make one by chance; the seeds teach libFuzzer where it goes.
SPLIT = b"\x00\xfe\x00"

_WORK = Path(tempfile.mkdtemp(prefix="rfclassify-atheris-"))

_RECORD = ResultRecord(
    "NR", 0.75, {"NR": 0.75, "LTE": 0.25}, 0, 4, 1e6, 2.6e9, "2026-01-01T00:00:00Z", "m", 3
)


# -- SigMF metadata and data --------------------------------------------------------------------


def _sigmf_seeds() -> list[bytes]:
    iq = np.arange(16, dtype=np.int16).tobytes()
    info = {"core:datatype": "ci16_le", "core:version": "1.2.6", "core:sample_rate": 1e6}
    plain = {"global": info, "captures": [{"core:sample_start": 0, "core:frequency": 2.6e9}]}
    rich = {
        "global": {
            **info,
            "core:trailing_bytes": 4,
            "core:sha512": hashlib.sha512(b"HDR!" + iq + b"TAIL").hexdigest(),
            "core:extensions": [EXTENSION],
        },
        "captures": [{"core:sample_start": 0, "core:header_bytes": 4}],
        "annotations": [result_to_annotation(_RECORD)],
    }
    return [
        json.dumps(plain).encode() + SPLIT + iq,
        json.dumps(rich).encode() + SPLIT + b"HDR!" + iq + b"TAIL",
        json.dumps({**plain, "global": {**info, "core:datatype": "cf32_le"}}).encode() + SPLIT,
    ]


def sigmf(data: bytes) -> None:
    """``open_recording`` then every read: RecordingError only, and what opens reads whole."""
    meta, _, payload = data.partition(SPLIT)
    (_WORK / "rec.sigmf-meta").write_bytes(meta)
    (_WORK / "rec.sigmf-data").write_bytes(payload)
    try:
        rec = open_recording(_WORK / "rec", verify_checksum=True)
    except RecordingError:
        return
    samples = rec.read()
    assert samples.dtype == np.complex64 and samples.shape == (rec.num_samples,)
    chunks = [chunk for _, chunk in rec.chunks(5)]
    assert np.array_equal(np.concatenate(chunks), samples, equal_nan=True)
    with contextlib.suppress(RecordingError):
        rec.results()


# -- the spectrogram frontend -------------------------------------------------------------------

_NFFTS = [8, 9, 16, 24, 64, 100, 256]
_HEIGHTS = [4, 5, 6, 8, 9, 12, 16, 25, 32, 64, 128, 256]
_DTYPES = ["complex64", "complex64", "complex128", ">c8", "float32", "int16", "object"]
_ODD_RATES = [0.0, -1.0, float("nan"), float("inf"), 1e-300, 1e300, None, "1e6", [1e6], True]


def frontend(data: bytes) -> None:
    """Any config of modest size, any rate, any array: finite images with a correct mask, or
    ValueError (TypeError for a window that is not complex)."""
    fdp = atheris.FuzzedDataProvider(data)
    nfft = fdp.PickValueInList(_NFFTS)
    length = fdp.ConsumeIntInRange(nfft, 2048)
    config = FrontendConfig(
        window_ms=None,
        window_samples=length,
        nfft=nfft,
        height=fdp.PickValueInList([h for h in _HEIGHTS if nfft % h == 0 or h % nfft == 0]),
        width=fdp.ConsumeIntInRange(4, 40),
        frames_per_column=fdp.PickValueInList([None, 1, 2, 3]),
        overlap=fdp.ConsumeFloatInRange(0.0, 0.99),
        time_pooling=fdp.PickValueInList(["mean", "max"]),
        normalisation=fdp.PickValueInList(["standardize", "minmax", "fixed", "none"]),
        channels=fdp.PickValueInList([1, 3]),
    )
    choice = fdp.ConsumeIntInRange(0, 4)
    if choice <= 1:
        rate = fdp.ConsumeFloatInRange(config.min_rate, config.max_rate)
    elif choice == 2:
        rate = np.float32(fdp.ConsumeFloatInRange(config.min_rate, config.max_rate))
    elif choice == 3:
        rate = fdp.ConsumeFloat()
    else:
        rate = fdp.PickValueInList(_ODD_RATES)
    try:
        StftGeometry.plan(config, rate)  # the rate, and an STFT plan at it
        served = True
    except ValueError:
        served = False
    n = fdp.ConsumeIntInRange(0, 3)
    cols = length + fdp.PickValueInList([0, 0, 0, 0, -1, 1])
    raw = fdp.ConsumeBytes(n * cols * 8).ljust(n * cols * 8, b"\x00")
    windows = np.frombuffer(raw, np.complex64).reshape(n, cols)  # NaN, Inf, huge: any bits
    dtype = fdp.PickValueInList(_DTYPES)
    with np.errstate(over="ignore", invalid="ignore"):
        real = np.dtype(dtype).kind in "fiu"  # a real array: as a caller would pass I alone
        batch = (windows.real if real else windows).astype(dtype)
    as_list = fdp.ConsumeBool()
    # An empty list is no windows at all, of no particular length or type.
    well_formed = (cols == length and np.iscomplexobj(batch)) or (as_list and n == 0)
    try:
        images, valid = Frontend(config).compute_with_mask(list(batch) if as_list else batch, rate)
    except TypeError as exc:
        if np.iscomplexobj(batch) or "must be complex" not in str(exc):
            raise
        return
    except ValueError:
        if served and well_formed:
            raise  # a good rate and good windows must give images
        return
    assert served and well_formed
    assert images.shape == (n, config.channels, config.height, config.width)
    assert np.isfinite(images).all() and not images[~valid].any()
    assert not valid[~np.isfinite(windows).all(axis=1)].any(), "a NaN/Inf window is valid"


# -- the result records rfclassify listen decodes -----------------------------------------------


def _record_seeds() -> list[bytes]:
    good = _RECORD.to_json().encode()
    pretty = json.dumps(_RECORD.to_dict(), indent=2).encode()
    return [TOPIC + SPLIT + good, TOPIC + SPLIT + pretty, TOPIC + SPLIT + good + SPLIT + good]


def record(data: bytes) -> None:
    """``listen._decode`` on any multipart message: a record or ValueError; what the loop then
    prints from a record raises nothing."""
    frames = data.split(SPLIT) if data else []
    try:
        rec = _decode(frames)
    except ValueError:
        return
    assert len(frames) == 2 and frames[0] == TOPIC
    record_line(rec)
    with contextlib.suppress(ValueError):  # --json: a payload not UTF-8 text is counted bad
        _text(frames[1])


TARGETS: dict[str, tuple[Callable[[bytes], None], Callable[[], list[bytes]]]] = {
    "sigmf": (sigmf, _sigmf_seeds),
    "frontend": (frontend, lambda: [bytes(range(256))]),
    "record": (record, _record_seeds),
}


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: {argv[0]} {{{','.join(TARGETS)}}} [libFuzzer flags] [corpus dirs]")
    target, seeds = TARGETS[argv[1]]
    flags = [a for a in argv[2:] if a.startswith("-")]
    corpus = [a for a in argv[2:] if not a.startswith("-")]
    replay = [c for c in corpus if Path(c).is_file()]  # crash files to re-run, not corpora
    if not replay:
        if not corpus:
            corpus = [tempfile.mkdtemp(prefix="rfclassify-corpus-")]
        for i, seed in enumerate(seeds()):
            Path(corpus[0], f"seed-{i}").write_bytes(seed)
    atheris.Setup([argv[0], *flags, *corpus], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
