"""Resident-memory readings shared by the benches (Linux /proc; empty elsewhere)."""

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
