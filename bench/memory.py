"""Readings shared by the benches: resident memory (Linux /proc; empty elsewhere) and the machine."""

from __future__ import annotations


def proc_status_kib(*keys: str) -> dict[str, int]:
    """Resident memory from /proc/self/status (Linux), in KiB; empty elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            found = {k: v for k, _, v in (line.partition(":") for line in status)}
        return {k: int(found[k].split()[0]) for k in keys if k in found}
    except OSError:
        return {}


def reset_rss_peak() -> bool:
    """Reset VmHWM (peak resident set) for this process; Linux ≥ 4.0."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def environment(**extra: object) -> dict[str, object]:
    """What the numbers were measured on (recorded with every result file), plus ``extra``."""
    import os
    import platform
    import sqlite3

    import sqlalchemy

    env: dict[str, object] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "nproc": os.cpu_count(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            env["mem_total_kib"] = int(meminfo.readline().split()[1])
    except OSError:
        pass
    return {**env, **extra}
