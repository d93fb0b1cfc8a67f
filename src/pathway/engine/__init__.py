"""The engine: machines built from definitions, guard evaluation, typed values."""

from pathway.engine.machine import Firing, MachineCache, PathwayMachine, TriggerOption

__all__ = ["Firing", "MachineCache", "PathwayMachine", "TriggerOption"]
