"""docs/performance.md from saved ``rfclassify bench ... --json`` results (issue 8).

The page is generated, never edited by hand: ``scripts/performance.sh`` runs every benchmark on
an idle machine, saves each JSON object, then ``rfclassify bench report`` renders them. Rendering
is separate from measuring so that a wording or plot change re-renders the same figures without a
10-minute re-run, and so that a results folder holding only some benchmarks (no CUDA rows, no
stream run for a model) still renders: whatever is missing is left out of the page.

Targets are judged from the numbers in the JSON, never typed in, so a verdict cannot disagree
with the table beside it.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RfclassifyError

SCRIPT = "scripts/performance.sh"
RENDER = "rfclassify bench report --results docs/perf/results --out docs/performance.md"
# (served model, MS/s, stretch?): "sustains >= rate" targets of issue 8, via ONNX Runtime
RATE_TARGETS = (
    ("vim-lte-nr", 61.44, False),
    ("vim-lte-nr", 122.88, True),
    ("mobilevit-xxs-lte-nr", 30.72, False),
)
P99_LIMIT_MS = {"vim-lte-nr": 20.0}
SPEEDUP_TARGET = 10.0
RSS_LIMIT_PCT, RSS_SECONDS = 2.0, 60.0
LATENCY_PAIR = ("vim_ultralight", "mobilevit_xxs")  # the served models' architectures


@dataclass(frozen=True)
class Target:
    """One issue-8 target against one measured figure; ``met`` is computed, never stated."""

    goal: str
    measured: str
    value: float
    limit: float
    at_least: bool  # value >= limit meets it; otherwise value <= limit (< when strict)
    strict: bool = False
    relative: bool = True  # margin as % of the limit; else in ``unit`` (limit 0, a % limit)
    unit: str = ""

    @property
    def met(self) -> bool:
        if self.at_least:
            return self.value > self.limit if self.strict else self.value >= self.limit
        return self.value < self.limit if self.strict else self.value <= self.limit

    @property
    def verdict(self) -> str:
        """The word first ('met (+12 %)', 'MISSED by 22 %'): the page reads at a glance."""
        word = "met" if self.met else "MISSED"
        if self.relative and self.limit:
            margin = _num(100 * abs(self.value / self.limit - 1))
            if not self.met:
                return f"MISSED by {margin} %"
            if self.at_least:
                ratio = self.value / self.limit
                return f"met ({ratio:.1f}x the target)" if ratio >= 2 else f"met (+{margin} %)"
            return f"met ({margin} % under)"
        margin = _num(abs(self.value - self.limit))
        if self.limit == 0 and self.unit == "":
            return word
        return f"{word} ({margin} {self.unit} {'to spare' if self.met else 'over'})"


def _num(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}" if abs(x) >= 1 else f"{x:.2f}"


def load_results(folder: Path) -> dict[str, Any]:
    """Every ``*.json`` in ``folder`` by file stem. GNU Radio's logger writes to stdout on
    Debian, so a file saved from ``--json`` may start with log lines: the object is the last
    line that opens with ``{``. A file with no object at all is an error, not a missing bench."""
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        raise RfclassifyError(f"{folder}: no *.json results (run {SCRIPT} first)")
    out: dict[str, Any] = {}
    for path in files:
        text = path.read_text()
        try:
            out[path.stem] = json.loads(text)
            continue
        except json.JSONDecodeError:
            pass
        lines = [line for line in text.splitlines() if line.startswith("{")]
        try:
            out[path.stem] = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError) as exc:
            raise RfclassifyError(f"{path}: not a bench JSON result ({exc})") from None
    return out


def _kind(results: dict[str, Any], bench: str) -> list[dict[str, Any]]:
    return [
        r for _, r in sorted(results.items()) if isinstance(r, dict) and r.get("bench") == bench
    ]


def _rate_targets(streams: list[dict[str, Any]]) -> list[Target]:
    """Sustained MS/s from the unthrottled phase (the nearest rate's run if none ran at the
    target: the frontend may refuse it, e.g. 122.88 MS/s); skips and p99 only from a run paced
    at the target rate itself, since a slower pace proves nothing about a faster one."""
    out = []
    for model, rate, stretch in RATE_TARGETS:
        runs = [s for s in streams if s["model"] == model and s["backend"].startswith("onnx")]
        if not runs:
            continue
        run = min(runs, key=lambda s: (abs(s["rate_msps"] - rate), -s["paced"]["seconds"]))
        paced, top = run["paced"], run["max"]["msps"]
        exact = math.isclose(run["rate_msps"], rate)
        where = f"{paced['seconds']:.0f} s" if exact else f"the {run['rate_msps']:g} MS/s run"
        goal = f"{model} (ONNX Runtime) sustains >= {rate:g} MS/s{' (stretch)' * stretch}"
        out.append(Target(goal, f"{top:.1f} MS/s unthrottled ({where})", top, rate, True))
        if not exact:
            continue
        got = f"{paced['skipped']} of {paced['windows']} windows skipped"
        if paced.get("skipped_in_warmup"):
            got += f" ({paced['skipped_in_warmup']} in the first second)"
        goal = f"{model}: zero skipped windows paced at {rate:g} MS/s"
        out.append(Target(goal, got, paced["skipped"], 0, False, relative=False))
        p99, limit = paced.get("latency_p99_ms", math.nan), P99_LIMIT_MS.get(model)
        if limit is not None and not math.isnan(p99):
            goal = f"{model}: latency p99 <= {limit:g} ms at {rate:g} MS/s"
            got = f"{p99:.1f} ms (p50 {paced['latency_p50_ms']:.1f})"
            out.append(Target(goal, got, p99, limit, False))
    return out


def targets(results: dict[str, Any]) -> list[Target]:
    """Every target issue 8 sets that these results can judge, in the issue's order."""
    streams = _kind(results, "stream")
    out = _rate_targets(streams)
    for s in (s for s in streams if "speedup_vs_baseline" in s):
        run = f"{s['model']}, {s['rate_msps']:g} MS/s"
        goal = f"full chain >= {SPEEDUP_TARGET:g}x the seed-style baseline ({run})"
        got = f"{s['speedup_vs_baseline']:.1f}x ({s['max']['msps']:.1f} vs "
        got += f"{s['baseline']['msps']:.2f} MS/s)"
        out.append(Target(goal, got, s["speedup_vs_baseline"], SPEEDUP_TARGET, True))
    out += _latency_target(_kind(results, "models"))
    grown = [s for s in streams if "rss_growth_percent" in s["paced"]]
    if grown:
        s = max(grown, key=lambda r: r["paced"]["seconds"])
        secs, growth = s["paced"]["seconds"], s["paced"]["rss_growth_percent"]
        note = "" if secs >= 0.95 * RSS_SECONDS else f"; shorter than {RSS_SECONDS:g} s"
        got = f"{growth:+.2f} % over {secs:.0f} s paced ({s['model']}, "
        got += f"{s['rate_msps']:g} MS/s{note})"
        goal = f"RSS growth < {RSS_LIMIT_PCT:g} % over a {RSS_SECONDS:g} s stream run"
        out.append(Target(goal, got, growth, RSS_LIMIT_PCT, False, True, False, "points"))
    return out


def _latency_target(models: list[dict[str, Any]]) -> list[Target]:
    """Vim's batch-1 latency below MobileViT-XXS's: ONNX Runtime rows (served), else torch."""
    vim, mvit = LATENCY_PAIR
    for backend in ("onnxruntime", "torch"):
        rows = {r["model"]: r for m in models for r in m["rows"] if r["backend"] == backend}
        if vim in rows and mvit in rows:
            a, b = rows[vim]["latency_ms_median"], rows[mvit]["latency_ms_median"]
            goal = f"{vim} batch-1 latency below {mvit}'s"
            got = f"{a:.2f} ms vs {b:.2f} ms ({backend}, median)"
            return [Target(goal, got, a, b, False, strict=True)]
    return []


def render_report(results: dict[str, Any], out_md: Path, img_dir: Path) -> None:
    """Write ``out_md`` (and its PNGs under ``img_dir``, linked relatively) from ``results``:
    file stem -> one bench JSON object (``load_results``), plus an optional ``session`` object
    from the script (command, date, commit, load before the first benchmark)."""
    out_md, img_dir = Path(out_md), Path(img_dir)
    out_md.parent.mkdir(parents=True, exist_ok=True)
    img_dir.mkdir(parents=True, exist_ok=True)

    def link(name: str) -> str:
        return Path(os.path.relpath(img_dir / name, out_md.parent)).as_posix()

    streams, models = _kind(results, "stream"), _kind(results, "models")
    frontends = _kind(results, "frontend")
    lines = _header(results)
    found = targets(results)
    if found:
        lines += ["## Targets (issue 8)", "", "| target | measured | verdict |", "|---|---|---|"]
        lines += [f"| {t.goal} | {t.measured} | {t.verdict} |" for t in found]
        lines += [""]
    lines += _headlines(streams, models, frontends)
    if streams:
        lines += _stream_section(streams)
        _plot_stream(streams, img_dir / "stream.png")
        lines += [f"![sustained MS/s against the target rates]({link('stream.png')})", ""]
    for i, result in enumerate(models):
        lines += _models_section(result, i, img_dir, link)
    if frontends:
        lines += _frontend_section(frontends)
    out_md.write_text("\n".join(lines).rstrip() + "\n")


def _header(results: dict[str, Any]) -> list[str]:
    session = next(iter(_kind(results, "session")), {})
    machines = {k: r["machine"] for k, r in sorted(results.items()) if "machine" in r}
    lines = [
        "# Performance",
        "",
        "<!-- generated by rfclassify bench report: do not edit by hand -->",
        "",
        f"Regenerate everything (about 10 minutes, on an otherwise idle machine): "
        f"`{session.get('command', SCRIPT)}`. Re-render this page from the saved JSON "
        f"without measuring again: `{session.get('render', RENDER)}`.",
        "",
        "Dataset synthesis speed (`rfclassify bench synth`) has its own page, "
        "[synthesis-speed.md](synthesis-speed.md).",
        "",
    ]
    if session.get("started"):
        lines += [f"Measured {session['started']} at commit `{session.get('commit', '?')}`.", ""]
    if session.get("quick") or any(r.get("quick") for r in _kind(results, "models")):
        lines += ["> **QUICK=1 smoke settings: these figures are not measurements.**", ""]
    keys = ("cpu", "cores", "cores_available", "python", "numpy", "torch", "onnxruntime")
    keys += ("gnuradio", "cuda")
    lines += ["## Machine", "", "| | |", "|---|---|"]
    for key in keys:
        seen = list(dict.fromkeys(str(m[key]) for m in machines.values() if m.get(key)))
        if seen:
            lines.append(f"| {key.replace('_', ' ')} | {' / '.join(seen)} |")
    loads = {k: m.get("load_average_1min") for k, m in machines.items()}
    loads = {k: v for k, v in loads.items() if v is not None}
    if loads:
        text = ", ".join(f"{k} {v:.2f}" for k, v in loads.items())
        lines.append(f"| load average (1 min) at each measurement | {text} |")
    lines.append("")
    cores = max([m.get("cores_available") or 1 for m in machines.values()] or [1])
    start = session.get("load_average_1min")
    if start is not None and start > max(0.5, 0.25 * cores):
        why = f"the load average was {start:.2f} on {cores} cores before the first benchmark"
    elif start is None and loads and min(loads.values()) > 0.5 * cores:
        why = f"even the least loaded measurement saw a load average of {min(loads.values()):.2f}"
        why += f" on {cores} cores"
    else:
        why = ""
    if why:
        lines += [
            f"> **Busy machine: {why}. These figures understate this code; re-run "
            f"`{SCRIPT}` on an idle machine.**",
            "",
        ]
    lines += [
        "Ratios (against a baseline measured in the same run) carry from machine to machine; "
        "MS/s and milliseconds do not. Each benchmark's own threads count in the load average "
        "it records, so back-to-back runs read higher than the machine's idle load.",
        "",
    ]
    return lines


def _headlines(streams: list, models: list, frontends: list) -> list[str]:
    """The ratios the README quotes."""
    items = [
        f"- the chain ({s['model']}, {s['rate_msps']:g} MS/s) is {s['speedup_vs_baseline']:.1f}x "
        f"the seed-style baseline"
        for s in streams
        if "speedup_vs_baseline" in s
    ]
    items += [
        f"- the frontend is {f['speedup_vs_baseline']:.1f}x per-window scipy "
        f"({f['cores']} core(s), {f['workers']} worker(s))"
        for f in frontends
        if "speedup_vs_baseline" in f
    ]
    for m in models:
        items += [
            f"- {r['model']} on ONNX Runtime: {r['speedup_latency']:.2f}x torch eager at batch 1, "
            f"{r['speedup_throughput']:.2f}x at its best batch"
            for r in m["rows"]
            if r["backend"] == "onnxruntime"
        ]
    for t in _latency_target(models):
        vim, mvit = LATENCY_PAIR
        if t.value <= t.limit:
            items.append(f"- {vim} batch 1 is {t.limit / t.value:.2f}x faster than {mvit}")
        else:
            items.append(f"- {vim} batch 1 is {t.value / t.limit:.2f}x slower than {mvit}")
    return ["## Headline ratios", "", *items, ""] if items else []


def _stream_section(streams: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## The whole chain (`rfclassify bench stream`)",
        "",
        "Unthrottled: offline mode, every window classified, as fast as the chain goes. Paced: a "
        "throttle at the rate handing over 1 ms chunks as an SDR does, realtime mode, ZMQ on. "
        "Skipped windows include results given up as late, and those of the first second (the "
        "warm-up, shown apart); latency is measured after it. RSS growth compares the first "
        "and last quarter of the paced run. Steal: the share of the machine's CPU time the "
        "hypervisor gave to other guests during the paced run (on a virtual machine it is not "
        "ours to win back).",
        "",
        "| model | backend | rate MS/s | unthrottled MS/s | x rate | paced s | windows "
        "| skipped | latency p50 / p99 ms | CPU % (paced) | steal % | RSS growth % "
        "| ZMQ lost / sent | baseline MS/s | speed-up |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for s in sorted(streams, key=_stream_order):
        top, paced = s["max"], s["paced"]
        growth = paced.get("rss_growth_percent")
        base = s.get("baseline", {}).get("msps")
        ratio = s.get("speedup_vs_baseline")
        cells = [
            s["model"],
            s["backend"],
            f"{s['rate_msps']:g}",
            f"{top['msps']:.1f}",
            f"{top['msps'] / s['rate_msps']:.2f}",
            f"{paced['seconds']:.0f}",
            paced["windows"],
            _skipped(paced),
            f"{paced['latency_p50_ms']:.1f} / {paced['latency_p99_ms']:.1f}",
            f"{paced['cpu_percent']:.0f}",
            "" if paced.get("steal_percent") is None else f"{paced['steal_percent']:.1f}",
            "" if growth is None else f"{growth:+.2f}",
            f"{paced['zmq_lost']} / {paced['zmq_sent']}",
            "" if base is None else f"{base:.2f}",
            "" if ratio is None else f"{ratio:.1f}x",
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return [*lines, ""]


def _skipped(paced: dict[str, Any]) -> str:
    warm = paced.get("skipped_in_warmup")
    return f"{paced['skipped']} ({warm} at start)" if warm else str(paced["skipped"])


def _stream_order(run: dict[str, Any]) -> tuple[str, float, float]:
    return run["model"], run["rate_msps"], run["paced"]["seconds"]


def _models_section(result: dict[str, Any], index: int, img_dir: Path, link) -> list[str]:
    from .models import format_table, plot_models

    title = "## Models (`rfclassify bench models`)" + (f", run {index + 1}" if index else "")
    shapes = {tuple(r.get("input", ())) for r in result["rows"]}
    where = (
        "the served input (1x128x128, `--served`)"
        if shapes == {(1, 128, 128)}
        else "its registry-native input (the served cards run 1x128x128)"
    )
    lines = [
        title,
        "",
        f"Each architecture at {where}, timed in one process; speed-ups are over torch eager "
        "fp32 at batch 1 in the same run.",
        "",
        format_table(result),
        "",
    ]
    if result["rows"]:
        name = "models.png" if index == 0 else f"models-{index + 1}.png"
        plot_models(result, img_dir / name)
        lines += [f"![throughput against GFLOPs, and batch-1 latency]({link(name)})", ""]
    return lines


def _frontend_section(frontends: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Frontend (`rfclassify bench frontend`)",
        "",
        "| rate MS/s | cores | workers | batch | MS/s (min-max) | x real time "
        "| scipy baseline MS/s | speed-up |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for f in frontends:
        base = f"{f['baseline_msps']:.2f}" if "baseline_msps" in f else ""
        ratio = f"{f['speedup_vs_baseline']:.1f}x" if "speedup_vs_baseline" in f else ""
        lines.append(
            f"| {f['rate_msps']:g} | {f['cores']} | {f['workers']} | {f['batch']} "
            f"| {f['msps']:.1f} ({f['msps_min']:.1f}-{f['msps_max']:.1f}) "
            f"| {f['realtime_factor']:.2f} | {base} | {ratio} |"
        )
    return [*lines, ""]


def _plot_stream(streams: list[dict[str, Any]], path: Path) -> None:
    """Bars per run (unthrottled, paced, baseline; log scale: the baseline is 10x+ lower) under
    the target rates as horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    runs = sorted(streams, key=_stream_order)
    x, w = np.arange(len(runs)), 0.27
    fig, ax = plt.subplots(figsize=(2.2 * len(runs) + 4, 4.5), layout="constrained")
    ax.bar(x - w, [r["max"]["msps"] for r in runs], w, label="chain, unthrottled")
    ax.bar(x, [r["paced"]["msps"] for r in runs], w, label="chain, paced (realtime)")
    base = [r.get("baseline", {}).get("msps", math.nan) for r in runs]
    ax.bar(x + w, base, w, label="seed-style baseline")
    rates = [r["rate_msps"] for r in runs]
    ax.hlines(rates, x - 1.5 * w, x + 1.5 * w, color="black", lw=1.5, label="the run's rate")
    for model, rate, stretch in RATE_TARGETS:
        ax.axhline(rate, ls=":" if stretch else "--", color="grey", lw=0.9)
        text = f"{rate:g} MS/s: {model}" + (" (stretch)" if stretch else "")
        ax.annotate(text, (x[-1] + 0.5, rate), fontsize=7, va="bottom", ha="right")
    names = [f"{r['model']}\n{r['rate_msps']:g} MS/s, {r['paced']['seconds']:.0f} s" for r in runs]
    ax.set_xticks(x, names, fontsize=8)
    ax.set(yscale="log", ylabel="MS/s (million complex samples/s)", xlim=(-0.6, len(runs) - 0.4))
    m = runs[0]["machine"]
    ax.set_title(f"whole chain: {m['cpu']}, {m['cores_available']} cores", fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, loc="lower left")
    fig.savefig(path, dpi=90)
    plt.close(fig)
