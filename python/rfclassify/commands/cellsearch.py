"""``rfclassify cellsearch``: the LTE and NR cells in a recording, from their sync signals to a
decoded MIB (``rfclassify.cellsearch``): a second opinion beside the classifier's label."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import RfclassifyError
from .common import add_recording_arguments, non_negative_float, open_recording_from_args

EXAMPLES = """examples:
  rfclassify cellsearch capture.sigmf-meta
  rfclassify cellsearch capture.sigmf-meta --rat nr --json | jq .pci
  rfclassify cellsearch dump.cu8 --rate 1.92e6 --dtype cu8 --center-freq 796e6
"""


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "cellsearch",
        help="find the LTE / NR cells in a recording: PCI, SSB, decoded MIB",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Search a recording for LTE cells (PSS/SSS to the PCI, the PBCH to the MIB) and NR\n"
            "SS/PBCH blocks (PSS/SSS/DM-RS to PCI and SSB index, the PBCH to the MIB). A cell is\n"
            "'decoded' only when its broadcast channel's CRC passed: that is proof a cell of\n"
            "that standard is on the air. With the centre frequency known (SigMF core:frequency\n"
            "or --center-freq) the search looks at the LTE 100 kHz raster and the NR GSCN raster\n"
            "inside the capture; without it, across the band. No cell found: exit 0, nothing on\n"
            "stdout, one line on stderr (see docs/cell-search.md)."
        ),
        epilog=EXAMPLES,
    )
    add_recording_arguments(parser)
    parser.add_argument(
        "--rat", choices=["lte", "nr", "both"], default="both", help="what to search for"
    )
    parser.add_argument(
        "--start", type=non_negative_float, default=0.0, metavar="S", help="seconds to skip"
    )
    parser.add_argument(
        "--duration",
        type=non_negative_float,
        default=0.04,
        metavar="S",
        help="seconds searched (default: %(default)s: four LTE frames, two NR SSB periods)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per cell")
    parser.set_defaults(run=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..cellsearch import search_lte
    from ..cellsearch.nr_search import search_nr

    rec = open_recording_from_args(args, parser)
    name = rec.meta_path or rec.path
    center = args.center_freq if args.center_freq is not None else rec.center_freq
    first = round(args.start * rec.sample_rate)
    if first >= rec.num_samples:
        raise RfclassifyError(f"{name}: --start {args.start:g} s is past its end")
    count = min(rec.num_samples - first, max(1, round(args.duration * rec.sample_rate)))
    samples = rec.read(first, count)
    cells = []
    if args.rat in ("lte", "both"):
        cells += search_lte(
            samples, rec.sample_rate, center, max_duration_s=count / rec.sample_rate
        )
    if args.rat in ("nr", "both"):
        cells += search_nr(samples, rec.sample_rate, center)
    cells = [c for c in cells if c.decoded] + [c for c in cells if not c.decoded]
    if not cells:
        what = {"lte": "LTE", "nr": "NR", "both": "LTE or NR"}[args.rat]
        print(
            f"rfclassify cellsearch: no {what} cell in {name} "
            f"({count / rec.sample_rate * 1e3:.3g} ms from {args.start:g} s)",
            file=sys.stderr,
        )
        return 0
    for cell in cells:
        cell = cell.__class__(**{**cell.to_dict(), "start": cell.start + first})
        if args.json:
            print(json.dumps(cell.to_dict(), default=float))
    if not args.json:
        print(table(cells, rec.sample_rate, first))
    return 0


def _mib_text(cell) -> str:
    if not cell.decoded:
        return "-"
    mib = cell.mib
    if cell.rat == "LTE":
        rb, sfn = mib.get("dl_bandwidth_rb"), mib.get("sfn")
        return f"{rb} RB, SFN {sfn}, PHICH {mib.get('phich_resource')}"
    return (
        f"SFN {mib.get('sfn')}, SCS common {mib.get('subcarrier_spacing_common_khz')} kHz, "
        f"k_SSB {mib.get('k_ssb')}, CORESET#0 {mib.get('coreset_zero')}"
    )


def table(cells, sample_rate: float, first: int = 0) -> str:
    head = ("RAT", "PCI", "duplex", "CP", "SSB", "offset kHz", "SNR dB", "at ms", "MIB")
    rows = [head]
    for c in cells:
        rows.append(
            (
                c.rat,
                str(c.pci),
                c.duplex or "-",
                c.cp,
                "-" if c.ssb_index is None else str(c.ssb_index),
                f"{c.freq_offset_hz / 1e3:+.1f}",
                f"{c.snr_db:.1f}",
                f"{(c.start + first) / sample_rate * 1e3:.2f}",
                _mib_text(c),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows)
    return "\n".join(line.rstrip() for line in lines)
