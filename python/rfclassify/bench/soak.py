"""The soak: a long paced run judged against what an unattended station needs.

Targets (issue 10): no window skipped in the whole run, resident memory flat (growth between
the first and last quarter under 2 %), no ZMQ message lost to a reader that keeps up (every
record sent was received), and no inference error or worker restart. A run either meets all of
them or says which it missed and by how much.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

RSS_GROWTH_LIMIT_PERCENT = 2.0


def soak_checks(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target: ``name``, ``target``, ``observed``, ``met``."""
    paced = result["paced"]
    growth = paced.get("rss_growth_percent")
    received, sent = paced["zmq_received"], paced["zmq_sent"]
    rows = [
        (
            "skipped windows",
            "0",
            f"{paced['skipped']} of {paced['windows']}",
            paced["skipped"] == 0,
        ),
        (
            "RSS growth (first -> last quarter)",
            f"< {RSS_GROWTH_LIMIT_PERCENT:g} %",
            "not measured" if growth is None else f"{growth:+.2f} %",
            growth is not None and growth < RSS_GROWTH_LIMIT_PERCENT,
        ),
        (
            "ZMQ messages lost by a reader that keeps up",
            "0",
            f"{paced['zmq_lost']} lost, {received} of {sent} received",
            paced["zmq_lost"] == 0 and received == sent and sent > 0,
        ),
        (
            "inference errors / worker restarts",
            "0 / 0",
            f"{paced.get('errors', 0)} / {paced.get('restarts', 0)}",
            paced.get("errors", 0) == 0 and paced.get("restarts", 0) == 0,
        ),
    ]
    return [dict(name=n, target=t, observed=o, met=bool(m)) for n, t, o, m in rows]


def plot_soak(result: dict[str, Any], out: str | Path) -> None:
    """RSS over the run, with the two quarters the growth compares: flat or not, at a glance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..viz.png import save_palette_png

    paced = result["paced"]
    series = paced["rss_series"]
    t = series["seconds"]
    panels = [("RSS", series["mb"], "resident memory, MB", "tab:blue")]
    if "heap_mb" in series:  # below it, what the program holds: a leak grows here too
        panels.append(("heap in use", series["heap_mb"], "malloc in use, MB", "tab:purple"))
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.2 + 1.8 * len(panels)), sharex=True)
    axes = list(axes) if len(panels) > 1 else [axes]
    for ax, (name, mb, ylabel, colour) in zip(axes, panels, strict=True):
        q = max(1, len(mb) // 4)
        ax.plot(t, mb, lw=1.2, color=colour, label=name)
        quarters = (
            (slice(0, q), "tab:green", "first quarter"),
            (slice(len(mb) - q, len(mb)), "tab:red", "last quarter"),
        )
        for part, line, label in quarters:
            mean = sum(mb[part]) / len(mb[part])
            ax.hlines(
                mean, t[part][0], t[part][-1], colors=line, lw=2, label=f"{label}: {mean:.1f} MB"
            )
        ax.set_ylabel(ylabel)
        low, high = min(mb), max(mb)
        pad = max(5.0, 0.05 * high)
        ax.set_ylim(low - pad, high + pad)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    growth = paced.get("rss_growth_percent", float("nan"))
    heap = paced.get("heap_growth_percent")
    axes[0].set_title(
        f"{result['model']}, {result['rate_msps']:g} MS/s paced, {paced['seconds']:.0f} s: "
        f"RSS {growth:+.2f} %"
        + (f", heap in use {heap:+.2f} %" if heap is not None else "")
        + f", {paced['skipped']} skipped, {paced['zmq_lost']} ZMQ lost",
        fontsize=9,
    )
    axes[-1].set_xlabel("seconds since warm-up")
    fig.tight_layout()
    save_palette_png(fig, out, dpi=110)
    plt.close(fig)


def checks_table(checks: list[dict[str, Any]]) -> str:
    """The checks as a Markdown table (docs/reliability.md's soak summary)."""
    lines = ["| target | required | observed | |", "|---|---|---|---|"]
    for c in checks:
        lines.append(
            f"| {c['name']} | {c['target']} | {c['observed']} | {'met' if c['met'] else 'MISSED'} |"
        )
    return "\n".join(lines)
