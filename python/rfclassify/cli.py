"""The ``rfclassify`` command: one verb per job, each in its own module under ``commands/``.

Heavy imports (torch, onnxruntime, matplotlib) happen inside the verbs, so ``--help`` is instant.
User errors print one line and exit 1; bad arguments exit 2 (argparse's convention).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._version import __version__
from .commands import (
    bench,
    cellsearch,
    classify,
    compare,
    dataset,
    export,
    keys,
    label_study,
    listen,
    models,
    pretrain,
    spectrogram,
    synth,
    train,
)
from .commands import eval as eval_command
from .commands.usage import UsageParser
from .errors import RfclassifyError

VERBS = (
    synth,
    dataset,
    models,
    train,
    pretrain,
    label_study,
    eval_command,
    compare,
    export,
    spectrogram,
    classify,
    cellsearch,
    bench,
    listen,
    keys,
)


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(
        prog="rfclassify",
        description=(
            "Classify radio streams as LTE, 5G NR, noise or other: synthesise data, look at what "
            "the model sees, benchmark the chain."
        ),
        epilog="Run 'rfclassify VERB --help' for the options of one verb.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for module in VERBS:
        module.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except RfclassifyError as exc:
        print(f"rfclassify {args.verb}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"rfclassify {args.verb}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
