"""A deadline (frist) is a row, not a timer (DESIGN invariant 4).

Each deadline carries its own timeline of actions — a reminder before the due date, the miss at
the end of the due date, then each rung of the escalation ladder — and how far along that timeline
the deadline checks have come (``progress``). A check performs every action whose time has come
and moves ``progress`` on in the same transaction as the events it appends, so no action is ever
performed twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class DeadlineStatus(StrEnum):
    OPEN = "open"
    #: The participant's clocks stand still (sick leave, parental leave …): no due date now.
    PAUSED = "paused"
    MET = "met"
    #: No longer applies (the participant exited, or the rule's condition stopped holding).
    CANCELLED = "cancelled"


class ActionKind(StrEnum):
    REMINDER = "reminder"
    MISSED = "deadline_missed"
    ESCALATED = "escalated"


@dataclass(frozen=True)
class DeadlineAction:
    """One point on a deadline's timeline. ``index`` 0 is the reminder, 1 the miss, 1+k level k."""

    index: int
    kind: str
    level: int
    at: datetime
    role: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "kind": self.kind, "level": self.level,
                "at": self.at.isoformat(), "role": self.role}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> DeadlineAction:
        return cls(value["index"], value["kind"], value["level"],
                   datetime.fromisoformat(value["at"]), value["role"])


@dataclass(eq=False)
class Deadline:
    participant_id: int
    key: str
    rule: str
    title: str
    owner: str
    started_at: datetime
    status: str
    step: str | None = None
    due_date: date | None = None
    due_at: datetime | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    progress: int = 0
    level: int = 0
    next_action_at: datetime | None = None
    met_at: datetime | None = None
    closed_at: datetime | None = None
    workflow_id: str = ""
    id: int | None = None
    version: int = 0

    def timeline(self) -> list[DeadlineAction]:
        return [DeadlineAction.from_json(a) for a in self.actions]

    def reschedule(self) -> None:
        """Point ``next_action_at`` at the first action not yet performed (None when nothing is left)."""
        upcoming = [a for a in self.timeline() if a.index >= self.progress]
        active = self.status == DeadlineStatus.OPEN
        self.next_action_at = min((a.at for a in upcoming), default=None) if active else None

    def due_actions(self, now: datetime) -> list[DeadlineAction]:
        """Actions whose time has come and that were not performed yet, in order."""
        if self.status != DeadlineStatus.OPEN:
            return []
        return sorted((a for a in self.timeline() if a.index >= self.progress and a.at <= now),
                      key=lambda a: a.index)

    def mark_done(self, action: DeadlineAction) -> None:
        self.progress = max(self.progress, action.index + 1)
        self.level = max(self.level, action.level)

    def responsible_role(self) -> str:
        """Who holds the deadline now: the owner, or the role of the highest level reached."""
        levels = {a.level: a.role for a in self.timeline() if a.kind == ActionKind.ESCALATED}
        return levels.get(self.level, self.owner)

    def days_overdue(self, today: date) -> int:
        if self.due_date is None or self.status != DeadlineStatus.OPEN:
            return 0
        return max(0, (today - self.due_date).days)


@dataclass(frozen=True, slots=True)
class DueDeadline:
    """A claimed deadline row as the deadline check reads it: the columns it needs, no more.

    The row is open (the claim selects open rows only) and was read at ``version``.
    """

    id: int
    participant_id: int
    rule: str
    title: str
    due_date: date | None
    due_at: datetime | None
    actions: list[dict[str, Any]]
    progress: int
    level: int
    version: int

    def advance(self, now: datetime) -> tuple[list[tuple[DeadlineAction, bool]], DeadlineProgress]:
        """The actions due by ``now``, each with whether to perform it (a reminder overtaken by
        the miss is skipped), and where the row stands once they are done — what
        :meth:`Deadline.due_actions`, :meth:`Deadline.mark_done` and :meth:`Deadline.reschedule`
        do to an open row, with the timeline parsed once."""
        progress, level = self.progress, self.level
        ahead = [DeadlineAction.from_json(a) for a in self.actions if a["index"] >= progress]
        due = sorted((a for a in ahead if a.at <= now), key=lambda a: a.index)
        for action in due:
            progress = max(progress, action.index + 1)
            level = max(level, action.level)
        upcoming = [a.at for a in ahead if a.index >= progress]
        skip_reminder = len(due) > 1
        steps = [(a, not (skip_reminder and a.kind == ActionKind.REMINDER)) for a in due]
        moved = DeadlineProgress(self.id, self.participant_id, self.version, progress, level,
                                 min(upcoming, default=None))
        return steps, moved


@dataclass(frozen=True, slots=True)
class DeadlineProgress:
    """How far a check moved a claimed row; written only if the row is still at ``version``."""

    id: int
    participant_id: int
    version: int
    progress: int
    level: int
    next_action_at: datetime | None
