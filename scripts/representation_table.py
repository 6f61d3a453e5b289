"""The representation A/B table (scripts/representation_ab.sh): one row per variant, every
figure as the mean of the seeds with each seed's value beside it, in Markdown.

    .venv/bin/python scripts/representation_table.py ROOT MODEL base median peak rows256
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

COLUMNS = (
    ("val accuracy", lambda v, s: v["accuracy"]),
    ("val >= 0 dB", lambda v, s: v["snr_ge_0"]["accuracy"]),
    ("Noise/Other called a carrier (>= 0 dB)", lambda v, s: v["false_carrier_rate_snr_ge_0"]),
    ("noise battery: Noise", lambda v, s: _set(s, "noise_battery")["noise_fraction"]),
    ("real captures: windows right", lambda v, s: _set(s, "real")["accuracy"]),
)


def _set(suite: dict, name: str) -> dict:
    return next(row for row in suite["sets"] if row["name"] == name)


def _cell(values: list[float]) -> str:
    each = " / ".join(f"{100 * x:.1f}" for x in values)
    return f"**{100 * statistics.mean(values):.1f}** ({each})"


def table(root: Path, model: str, variants: list[str]) -> str:
    head = ["variant", *(name for name, _ in COLUMNS), "train s (each)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for variant in variants:
        runs = sorted((root / variant / "runs").glob(f"{model}-s*"))
        done = [
            r for r in runs if (r / "eval-val.json").exists() and (r / "eval-suite.json").exists()
        ]
        if not done:
            lines.append(f"| {variant} | " + " | ".join(["not run"] * (len(head) - 1)) + " |")
            continue
        evals = [
            (
                json.loads((r / "eval-val.json").read_text()),
                json.loads((r / "eval-suite.json").read_text()),
            )
            for r in done
        ]
        cells = [_cell([get(v, s) for v, s in evals]) for _, get in COLUMNS]
        seconds = [json.loads((r / "summary.json").read_text())["train_seconds"] for r in done]
        cells.append(" / ".join(f"{s:.0f}" for s in seconds))
        seeds = f"{len(done)} seed" + ("s" if len(done) > 1 else "")
        lines.append(f"| {variant} ({seeds}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, model = Path(argv[0]), argv[1]
    text = table(root, model, argv[2:])
    (root / f"ab-table-{model}.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
