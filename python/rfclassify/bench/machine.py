"""What every benchmark result says about the machine it ran on (one JSON shape for all)."""

from __future__ import annotations

import ctypes
import functools
import os
import platform
from typing import Any


def available_cores() -> int:
    """The CPUs this process may run on (affinity), not the machine's count."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def rss_bytes() -> int | None:
    """The process's resident set now (``/proc/self/statm``; None where there is no procfs)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


@functools.cache
def _mallinfo2():
    try:
        call = ctypes.CDLL(None).mallinfo2  # glibc >= 2.33
    except (OSError, AttributeError):
        return None
    call.restype = _MallInfo2
    return call


def heap_in_use_bytes() -> int | None:
    """Bytes the C heap has handed out and not had back (glibc's ``mallinfo2``: blocks in use
    in every arena plus the large ones mapped on their own; None without glibc). Against RSS it
    tells a leak (this grows) from memory the allocator keeps after it was freed (only RSS
    grows)."""
    call = _mallinfo2()
    if call is None:
        return None
    info = call()
    return int(info.uordblks + info.hblkhd)


def cpu_times() -> dict[str, float] | None:
    """Whole-machine CPU seconds by kind (``/proc/stat``; None elsewhere): ``steal`` is time a
    hypervisor gave the virtual CPUs to someone else, which no code here can win back."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:9]
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    return {name: int(value) / tick for name, value in zip(names, fields, strict=False)}


def steal_percent(before: dict[str, float] | None, after: dict[str, float] | None) -> float | None:
    """Share of all CPU time between two ``cpu_times`` readings that was stolen."""
    if not before or not after:
        return None
    total = sum(after.values()) - sum(before.values())
    return 100.0 * (after["steal"] - before["steal"]) / total if total > 0 else None


def machine_info(**extra: Any) -> dict[str, Any]:
    """CPU, core counts, Python and numpy versions, the load when measured (a busy machine makes
    figures that do not carry), plus ``extra`` (library versions, threads, a GPU name)."""
    import numpy as np

    info: dict[str, Any] = {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "cores_available": available_cores(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    info.update(extra)
    return info
