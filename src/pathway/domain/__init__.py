"""Plain domain classes: what a participant, an event and a duration are.

Imports nothing from the rest of pathway (nor SQLAlchemy, YAML or the CLI), so the rules about
them can be read and tested on their own.
"""

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
