"""The engine: machines built from definitions, guard evaluation, typed values.

The names below load on first use (PEP 562), so importing one light module of the engine (typed
values, the calendar) does not build the workflow models or load ``transitions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathway.engine.machine import Firing, MachineCache, PathwayMachine, TriggerOption

__all__ = ["Firing", "MachineCache", "PathwayMachine", "TriggerOption"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pathway.engine import machine

        return getattr(machine, name)
    raise AttributeError(f"module 'pathway.engine' has no attribute {name!r}")
