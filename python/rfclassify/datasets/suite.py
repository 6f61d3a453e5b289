"""The evaluation suite: what a model is judged by, beyond the held-out set of its own recipe.

A model scores well on data drawn like its training data; that says little about the air. The
suite holds, in one folder, each set a dataset or a folder of recordings:

- ``held_out``: the default recipe at ``SUITE_SEED``, a seed no training set may use;
- shift sets, each a change the training recipe did not make: every "Other" kind alone, TD-LTE
  alone, NR channel bandwidths and TDD patterns the recipe leaves out (``NR_HELD_OUT_MHZ``,
  ``NR_HELD_OUT_PATTERNS``), a receiver outside the recipe's ranges, capture rates the recipe
  never uses (19.2, 20, 25, 46.08, 56 MS/s);
- ``noise_battery``: quiet-band SigMF files in cf32/ci16/ci8/cu8 from -80 to 0 dBFS;
- ``real``: the labelled real captures (``../shared/real-captures``), indexed, not copied.

``suite.json`` lists the sets; ``rfclassify eval MODEL --suite DIR`` scores a model on all of
them (``training/suite_eval.py``). The datasets are made with one model's frontend, as every
test set is, and the suite says which.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..dsp import FrontendConfig
from ..errors import RfclassifyError
from ..signals.emitters import EMITTERS
from .builder import SUITE_SEED, build_dataset
from .recipe import NR_HELD_OUT_MHZ, NR_HELD_OUT_PATTERNS, RECIPE_VERSION
from .suite_recordings import build_noise_battery, index_real_captures

SUITE_FORMAT = "rfclassify-suite"
SUITE_VERSION = 1
SHIFT_RATES = (19.2e6, 20e6, 25e6, 46.08e6, 56e6)
DEFAULT_REAL_CAPTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "real-captures"

# A receiver unlike any the recipe draws: a filter edge well inside the band, a poor stopband,
# strong LO leakage and spurs, a steep floor, big AGC steps, a coarse ADC at a low level.
_ROUGH_RECEIVER = {
    "filter_shape": {"weights": {"butterworth": 1, "elliptic": 1, "cic": 1}},
    "filter_edge": {"uniform": [0.5, 0.7]},
    "stopband_db": {"uniform": [-30, -20]},
    "floor_tilt_db": {"choice": [-6.0, 6.0]},
    "floor_ripple_db": {"uniform": [1.5, 3.0]},
    "lo_leak": {"bernoulli": 1.0},
    "lo_leak_dbc": {"uniform": [-10, 0]},
    "spurs": {"weights": {"5": 1, "8": 1}},
    "spur_db": {"uniform": [15, 25]},
    "agc_step": {"bernoulli": 0.5},
    "agc_step_db": {"uniform": [10, 20]},
    "adc_bits": {"weights": {"8": 1}},
    "level_dbfs": {"uniform": [-45, -30]},
}


@dataclass(frozen=True)
class SuiteSet:
    """One set of the suite: a recipe override (a dataset) or a folder of recordings."""

    name: str
    group: str  # "held_out", "shift", "noise_battery" or "real"
    description: str
    override: dict[str, Any] = field(default_factory=dict)
    share: float = 1.0  # examples, as a fraction of the held-out set's


def _one_class(label: str, **override: Any) -> dict[str, Any]:
    return {"classes": {label: 1.0}, **override}


def suite_sets() -> list[SuiteSet]:
    """Every set, in the order the report lists them."""
    sets = [SuiteSet("held_out", "held_out", "the default recipe, the suite's seed")]
    sets += [
        SuiteSet(
            f"other_{kind}",
            "shift",
            f'"Other": {kind} alone',
            _one_class("Other", other={"kinds": {kind: 1.0}}),
            0.05,
        )
        for kind in EMITTERS
    ]
    nr_widths = {str(scs): list(widths) for scs, widths in NR_HELD_OUT_MHZ.items()}
    sets += [
        SuiteSet(
            "lte_tdd",
            "shift",
            "TD-LTE alone (every UL/DL and special subframe configuration)",
            _one_class("LTE", lte={"duplex": {"TDD": 1.0}}),
            0.25,
        ),
        SuiteSet(
            "nr_held_out_bandwidths",
            "shift",
            f"NR channel bandwidths the training recipe leaves out: {nr_widths} MHz",
            _one_class("NR", nr={"bandwidth_mhz": nr_widths}),
            0.25,
        ),
        SuiteSet(
            "nr_held_out_patterns",
            "shift",
            f"NR TDD patterns the training recipe leaves out: {', '.join(NR_HELD_OUT_PATTERNS)}",
            _one_class("NR", nr={"duplex": dict.fromkeys(NR_HELD_OUT_PATTERNS, 1.0)}),
            0.25,
        ),
        SuiteSet(
            "receiver_out_of_range",
            "shift",
            "every class through a receiver outside the recipe's ranges (8-bit, edge 0.5-0.7, "
            "LO leak -10..0 dBc, 5-8 spurs, AGC steps of 10-20 dB)",
            {"receiver": _ROUGH_RECEIVER},
            0.5,
        ),
    ]
    sets += [
        SuiteSet(
            f"rate_{rate / 1e6:g}",
            "shift",
            f"every class at {rate / 1e6:g} MS/s, a rate the training recipe never uses",
            {"capture_rates": [rate]},
            0.25,
        )
        for rate in SHIFT_RATES
    ]
    sets.append(SuiteSet("noise_battery", "noise_battery", "quiet bands in every SigMF format"))
    sets.append(SuiteSet("real", "real", "labelled real captures (not copied)"))
    return sets


def _write(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def build_suite(
    out: Path,
    frontend: FrontendConfig,
    count: int = 2000,
    real_captures: Path | None = DEFAULT_REAL_CAPTURES,
    workers: int | None = None,
    only: list[str] | None = None,
    resume: bool = False,
    progress: Callable[[str], None] | None = None,
    frontend_source: str = "",
) -> dict[str, Any]:
    """Build the suite into ``out`` (``count`` held-out examples; the other sets in proportion).

    A set whose dataset is complete is kept when ``resume`` is set, so a build cut short
    continues where it stopped; without it an existing suite is refused.
    """
    out = Path(out)
    index_path = out / "suite.json"
    if index_path.exists() and not resume:
        raise RfclassifyError(f"{out} already holds a suite; pass --resume to complete it")
    out.mkdir(parents=True, exist_ok=True)
    chosen = suite_sets()
    if only:
        unknown = set(only) - {s.name for s in chosen}
        if unknown:
            names = ", ".join(s.name for s in chosen)
            raise RfclassifyError(f"no suite set {sorted(unknown)}; the sets: {names}")
        chosen = [s for s in chosen if s.name in only]
    say = progress or (lambda text: None)
    entries = []
    for number, item in enumerate(chosen, 1):
        say(f"[{number}/{len(chosen)}] {item.name}: {item.description}")
        entry: dict[str, Any] = {
            "name": item.name,
            "group": item.group,
            "description": item.description,
        }
        if item.group == "noise_battery":
            battery = out / item.name
            if not (resume and (battery / "index.json").exists()):
                build_noise_battery(battery, SUITE_SEED)
            entry |= {"kind": "recordings", "path": item.name, "index": "index.json"}
        elif item.group == "real":
            source = Path(real_captures) if real_captures else None
            rows = index_real_captures(source, frontend.window_length) if source else []
            _write(out / "real.json", {"source": str(source), "recordings": rows})
            entry |= {"kind": "recordings", "path": ".", "index": "real.json"}
            if not rows:
                entry["note"] = f"no real captures found in {source}"
        else:
            n = max(8, round(count * item.share))
            path = out / item.name
            if not (resume and _complete(path)):
                build_dataset(
                    path,
                    n,
                    SUITE_SEED,
                    recipe={"version": RECIPE_VERSION, **item.override},
                    frontend=frontend,
                    workers=workers,
                    split="suite",
                    overwrite=not resume,
                    resume=resume,
                    progress=progress is not None,
                    command=f"rfclassify dataset suite (set {item.name})",
                )
            entry |= {"kind": "dataset", "path": item.name, "count": n, "override": item.override}
        entries.append(entry)
    index = {
        "format": SUITE_FORMAT,
        "version": SUITE_VERSION,
        "seed": SUITE_SEED,
        "frontend": frontend.to_dict(),
        "frontend_source": frontend_source,
        "sets": entries,
    }
    _write(index_path, index)
    return index


def _complete(path: Path) -> bool:
    try:
        return bool(json.loads((path / "dataset.json").read_text()).get("complete"))
    except (OSError, ValueError):
        return False


def load_suite(path: Path) -> dict[str, Any]:
    """``suite.json`` of a suite folder, checked."""
    try:
        index = json.loads((Path(path) / "suite.json").read_text())
    except OSError:
        raise RfclassifyError(
            f"{path} holds no suite.json: build one with 'rfclassify dataset suite --out {path}'"
        ) from None
    except ValueError as exc:
        raise RfclassifyError(f"{path}/suite.json is not valid JSON: {exc}") from None
    if index.get("format") != SUITE_FORMAT or index.get("version") != SUITE_VERSION:
        raise RfclassifyError(f"{path}/suite.json is not a version-{SUITE_VERSION} suite")
    return index
