"""Plain domain classes: what a participant, an event and a duration are.

Imports nothing from the rest of pathway (nor SQLAlchemy, YAML or the CLI), so the rules about
them can be read and tested on their own.

The names below load on first use (PEP 562): importing one light module of the domain (durations,
for the limits every command checks; agencies; records) does not create the participant's and the
deadlines' dataclasses, which ``workflow validate`` never uses (Python 3.11 compiles each
dataclass's methods when the class is made: ~0.5 ms a class).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathway.domain.deadline import (
        ActionKind,
        Deadline,
        DeadlineAction,
        DeadlineProgress,
        DeadlineStatus,
        DueDeadline,
    )
    from pathway.domain.duration import Duration
    from pathway.domain.participant import Event, EventType, Participant, ParticipantHead, ParticipantStatus

#: each name → the module that defines it
_MODULE_OF = {
    **dict.fromkeys(["ActionKind", "Deadline", "DeadlineAction", "DeadlineProgress", "DeadlineStatus",
                     "DueDeadline"], "pathway.domain.deadline"),
    "Duration": "pathway.domain.duration",
    **dict.fromkeys(["Event", "EventType", "Participant", "ParticipantHead", "ParticipantStatus"],
                    "pathway.domain.participant"),
}

__all__ = [
    "ActionKind",
    "Deadline",
    "DeadlineAction",
    "DeadlineProgress",
    "DeadlineStatus",
    "DueDeadline",
    "Duration",
    "Event",
    "EventType",
    "Participant",
    "ParticipantHead",
    "ParticipantStatus",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'pathway.domain' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # found once; later look-ups do not come here
    return value
