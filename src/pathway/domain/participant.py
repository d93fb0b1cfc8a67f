"""A participant (deltagare) and the events of their history.

The events are the truth (DESIGN invariant 1); :class:`Participant` is the projection of them that
is kept in the same transaction for fast reads, with a version counter for optimistic concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ParticipantStatus(StrEnum):
    OPEN = "open"
    EXITED = "exited"


class EventType(StrEnum):
    """What happened; new kinds are added, never renamed (reports and exports read them)."""

    ENROLLED = "enrolled"
    TRANSITION = "transition"
    ATTRIBUTES_SET = "attributes_set"
    #: moved to another version of its workflow (``pathway workflow migrate``)
    MIGRATED = "migrated"
    # appended by the deadline checks, never by a caseworker
    REMINDER = "reminder"
    DEADLINE_MISSED = "deadline_missed"
    ESCALATED = "escalated"


@dataclass(eq=False)
class Event:
    """One appended fact in a participant's history; never updated or deleted."""

    seq: int
    type: str
    effective_at: datetime
    recorded_at: datetime
    actor: str
    workflow_id: str
    workflow_version: int
    trigger: str | None = None
    from_step: str | None = None
    to_step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    participant_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Participant:
    """The current state of one participant on one workflow version (a projection of events)."""

    workflow_id: str
    workflow_version: int
    step: str
    enrolled_at: datetime
    ref: str | None = None
    status: str = ParticipantStatus.OPEN
    attributes: dict[str, Any] = field(default_factory=dict)
    last_step_change_at: datetime | None = None
    exited_at: datetime | None = None
    exit_reason: str | None = None
    id: int | None = None
    version: int = 0
    #: Sequence number of the newest event; kept on the projection so appending an event never
    #: needs the whole history loaded.
    last_seq: int = 0

    @property
    def is_open(self) -> bool:
        return self.status == ParticipantStatus.OPEN

    @property
    def new_events(self) -> list[Event]:
        """Events recorded in this unit of work and not yet written (the repository writes them)."""
        pending = self.__dict__.get("_new_events")
        if pending is None:
            pending = self.__dict__["_new_events"] = []
        return pending

    def record(self, event: Event) -> Event:
        """Append an event to this participant's history with the next sequence number."""
        self.last_seq += 1
        event.seq = self.last_seq
        event.participant_id = self.id
        self.new_events.append(event)
        return event
