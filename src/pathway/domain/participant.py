"""A participant (deltagare) and the events of their history.

The events are the truth (DESIGN invariant 1); :class:`Participant` is the projection of them that
is kept in the same transaction for fast reads, with a version counter for optimistic concurrency.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathway.domain.folded import Folded


class ParticipantStatus(StrEnum):
    OPEN = "open"
    EXITED = "exited"
    #: enrolled by mistake (felregistrering): kept in the history, left out of every report
    VOIDED = "voided"


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
    #: a free-text entry of an earlier event was replaced by '(raderad)' (who, when, why; never the text)
    REDACTED = "redacted"
    #: a responsible caseworker or an agency's named contact was assigned (``participant assign``,
    #: ``reassign``)
    ASSIGNED = "assigned"
    #: a caseworker's correction of an earlier event (see :mod:`pathway.domain.corrections`)
    CORRECTED = "corrected"


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
    #: the acting user's id and agency (None in single-user mode); secrecy filters by the agency
    actor_id: int | None = None
    actor_agency: str | None = None


@dataclass(frozen=True, slots=True)
class ParticipantHead:
    """A participant's row as the deadline check reads it: where its history stands (``last_seq``,
    read at ``version``) and what an appended event names, none of the folded history."""

    id: int
    ref: str | None
    workflow_id: str
    workflow_version: int
    step: str
    last_seq: int
    version: int


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

    #: What guards, pauses and the deadline planner read from the history, folded (see
    #: :mod:`pathway.domain.folded`): kept on the row so a transition never reads the history.
    folded: Folded = field(default_factory=lambda: _empty_fold(), repr=False)

    #: Events recorded in this unit of work and not yet written (the unit of work writes them).
    #: Not a column: a participant read from the store starts with none.
    new_events: list[Event] = field(default_factory=list, repr=False)
    #: Whether :attr:`folded` changed in this unit of work (the store writes it only then).
    folded_changed: bool = field(default=False, repr=False)

    @property
    def is_open(self) -> bool:
        return self.status == ParticipantStatus.OPEN

    def record(self, event: Event, terminal_steps: Collection[str] = (),
               history: Sequence[Event] | None = None) -> Event:
        """Append an event to this participant's history with the next sequence number, and apply it.

        ``terminal_steps``: the steps of the participant's workflow version that end the pathway (a
        transition into one of them exits the participant). ``history``: the stored events, needed
        only to record a correction (see :meth:`apply`); events recorded earlier in this unit of
        work are added to it here.
        """
        event.seq = self.last_seq + 1
        event.participant_id = self.id
        self.apply(event, terminal_steps, None if history is None else [*history, *self.new_events])
        self.new_events.append(event)
        return event

    def apply(self, event: Event, terminal_steps: Collection[str] = (),
              history: Sequence[Event] | None = None) -> None:
        """Move the projection by one event: the one place that says what an event does to it.

        Recording, migration, the dry run and :meth:`replay` all go through here, so the row kept
        beside the history is by construction what the history says (DESIGN invariant 1).
        ``history`` (every event before this one) is needed for a correction only: it changes what
        earlier events count for, so the folded state is rebuilt from the history.
        """
        self.last_seq = event.seq
        if event.type == EventType.CORRECTED:
            if history is None:
                raise ValueError("recording a correction needs the participant's history")
            self.refold([*history, event])
        elif self.folded.apply(event):
            self.folded_changed = True
        if event.type == EventType.ENROLLED:
            self.workflow_id, self.workflow_version = event.workflow_id, event.workflow_version
            self.step = event.to_step or self.step
            self.enrolled_at = self.last_step_change_at = event.effective_at
            self.ref = event.data.get("ref")
            self.attributes = dict(event.data.get("attributes", {}))
            self.status, self.exited_at, self.exit_reason = ParticipantStatus.OPEN.value, None, None
        elif event.type == EventType.TRANSITION and event.to_step is not None:
            self.step, self.last_step_change_at = event.to_step, event.effective_at
            if event.to_step in terminal_steps:
                self.status = ParticipantStatus.EXITED.value
                self.exited_at, self.exit_reason = event.effective_at, event.data.get("reason")
        elif event.type == EventType.MIGRATED:
            self.workflow_version = event.workflow_version
            if event.to_step is not None and event.to_step != event.from_step:
                self.step, self.last_step_change_at = event.to_step, event.effective_at
        elif event.type == EventType.ATTRIBUTES_SET:
            self.attributes = {**self.attributes, **event.data.get("set", {})}
        elif event.type == EventType.CORRECTED:
            self._apply_correction(event)

    def refold(self, events: Iterable[Event]) -> None:
        """Rebuild the folded state from the whole history (after a correction or a redaction)."""
        from pathway.domain.folded import Folded

        self.folded = Folded.rebuild(events)
        self.folded_changed = True

    def _apply_correction(self, event: Event) -> None:
        """What a correction does to the row; the events it corrects stay in the history as they were."""
        kind, data = event.data.get("kind"), event.data
        if kind in ("undo", "reopen"):
            if event.to_step is not None:
                self.step = event.to_step
            restored = (data.get("restored") or {}).get("last_step_change_at")
            self.last_step_change_at = datetime.fromisoformat(restored) if restored else self.last_step_change_at
            if kind == "reopen":
                self.status, self.exited_at, self.exit_reason = ParticipantStatus.OPEN.value, None, None
        elif kind == "exit":
            self.exit_reason = data.get("reason")
        elif kind == "attribute":
            self.attributes = {**self.attributes, **data.get("set", {})}
        elif kind == "void":
            self.status = ParticipantStatus.VOIDED.value

    @classmethod
    def replay(cls, events: Iterable[Event], terminal_steps: Collection[str] = ()) -> Participant:
        """The projection rebuilt from the history alone (in sequence order)."""
        ordered = sorted(events, key=lambda e: e.seq)
        if not ordered:
            raise ValueError("a participant's history starts with its enrolment; no events given")
        first = ordered[0]
        participant = cls(workflow_id=first.workflow_id, workflow_version=first.workflow_version,
                          step=first.to_step or "", enrolled_at=first.effective_at,
                          id=first.participant_id)
        for n, event in enumerate(ordered):
            participant.apply(event, terminal_steps, ordered[:n] if event.type == EventType.CORRECTED else None)
        participant.folded_changed = False
        return participant


def _empty_fold() -> Folded:
    from pathway.domain.folded import Folded

    return Folded()
