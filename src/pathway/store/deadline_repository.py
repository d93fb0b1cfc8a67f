"""Deadline rows and pending notifications: what the services and the deadline check read and write."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from pathway.domain import Deadline, DeadlineProgress, DueDeadline, Participant
from pathway.errors import ConcurrentChange
from pathway.store.tables import deadlines, notifications, participants


#: The partial indexes' own conditions, written as literals: with a bound parameter
#: (``status = ?``) SQLite cannot prove the index applies and scans every deadline instead.
OPEN_ROWS = text("deadlines.status = 'open'")
PENDING_ROWS = text("notifications.status = 'pending'")
RUNNING_ROWS = text("deadlines.status IN ('open', 'paused')")


class DeadlineRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_participant(self, participant_id: int) -> list[Deadline]:
        query = select(Deadline).where(deadlines.c.participant_id == participant_id).order_by(deadlines.c.id)
        return list(self.session.scalars(query))

    def for_plan(self, participant_id: int, keys: Collection[str]) -> list[Deadline]:
        """The participant's running (open, paused) rows and those with the planned ``keys``: what
        reconciling a plan may change — not the closed rows of deadlines no longer planned."""
        wanted = RUNNING_ROWS if not keys else or_(RUNNING_ROWS, deadlines.c.key.in_(sorted(keys)))
        query = select(Deadline).where(deadlines.c.participant_id == participant_id, wanted).order_by(deadlines.c.id)
        return list(self.session.scalars(query))

    def add(self, deadline: Deadline) -> None:
        self.session.add(deadline)

    def claim_due(self, now: datetime, limit: int) -> list[Deadline]:
        """Open deadlines with an action due, locked for this transaction.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent checks split the work and never take
        the same row. SQLite: the transaction already holds the database's write lock
        (``BEGIN IMMEDIATE``), so a second check waits and then sees the rows already moved on.
        """
        query = (
            select(Deadline)
            .where(OPEN_ROWS, deadlines.c.next_action_at <= now)
            .order_by(deadlines.c.next_action_at, deadlines.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(query))

    def claim_due_rows(self, now: datetime, limit: int) -> list[DueDeadline]:
        """:meth:`claim_due` read as plain rows (Core, only the columns the check needs), locked the
        same way; the caller writes what it changed with :meth:`save_progress`."""
        c = deadlines.c
        query = (
            select(c.id, c.participant_id, c.rule, c.title, c.due_date, c.due_at, c.actions, c.progress,
                   c.level, c.version)
            .where(OPEN_ROWS, c.next_action_at <= now)
            .order_by(c.next_action_at, c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [DueDeadline(*row) for row in self.session.execute(query).all()]  # type: ignore[call-arg]

    def save_progress(self, moved: list[DeadlineProgress]) -> None:
        """Write how far the check came on claimed rows (progress, level, next action), each with its
        version checked (one executemany UPDATE); raises :class:`~pathway.errors.ConcurrentChange`
        if any row was changed since it was read."""
        if not moved:
            return
        statement = (update(deadlines)
                     .where(deadlines.c.id == bindparam("b_id"), deadlines.c.version == bindparam("b_version"))
                     .values(progress=bindparam("progress"), level=bindparam("level"),
                             next_action_at=bindparam("next_action_at"), version=bindparam("new_version")))
        result = self.session.execute(statement, [
            {"b_id": m.id, "b_version": m.version, "progress": m.progress, "level": m.level,
             "next_action_at": m.next_action_at, "new_version": m.version + 1} for m in moved])
        if result.rowcount != len(moved):  # type: ignore[attr-defined]
            raise ConcurrentChange(moved[0].participant_id)

    def board(
        self,
        now: datetime,
        overdue_only: bool = False,
        due_before: datetime | None = None,
        workflow_id: str | None = None,
    ) -> list[tuple[Deadline, Participant]]:
        """Open and paused deadlines with their participants, soonest due first."""
        query = (
            select(Deadline, Participant)
            .join(participants, participants.c.id == deadlines.c.participant_id)
            .where(RUNNING_ROWS)
            .order_by(deadlines.c.due_at.is_(None), deadlines.c.due_at, deadlines.c.id)
        )
        if overdue_only:
            query = query.where(deadlines.c.due_at <= now)
        if due_before is not None:
            query = query.where(deadlines.c.due_at <= due_before)
        if workflow_id is not None:
            query = query.where(deadlines.c.workflow_id == workflow_id)
        return [(row[0], row[1]) for row in self.session.execute(query)]

    def without_rule(self, workflow_id: str, steps: Collection[str], rule: str) -> list[Participant]:
        """Open participants of the workflow in ``steps`` that hold no deadline of ``rule`` (none running,
        none ever met): the candidates for the board's "unwatched" list."""
        has_rule = select(deadlines.c.id).where(deadlines.c.participant_id == participants.c.id,
                                                deadlines.c.rule == rule).exists()
        query = (select(Participant)
                 .where(participants.c.workflow_id == workflow_id, participants.c.status == "open",
                        participants.c.step.in_(list(steps)), ~has_rule)
                 .order_by(participants.c.id))
        return list(self.session.scalars(query))

    # -- notifications -----------------------------------------------------------------------

    def add_notifications(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(notifications), rows)

    def claim_notifications(self, now: datetime, limit: int, sinks: Collection[str]) -> list[dict[str, Any]]:
        """Pending notifications for the configured sinks that are due for an attempt, locked."""
        query = (
            select(notifications)
            .where(PENDING_ROWS, notifications.c.next_attempt_at <= now,
                   notifications.c.sink.in_(sorted(sinks)))
            .order_by(notifications.c.next_attempt_at, notifications.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [dict(row) for row in self.session.execute(query).mappings()]

    def lease_notifications(self, ids: list[int], until: datetime) -> None:
        """Keep claimed rows from other deliverers until ``until`` (they stay ``pending``)."""
        if ids:
            self.session.execute(update(notifications).where(notifications.c.id.in_(ids))
                                 .values(next_attempt_at=until))

    def count_due_notifications(self, now: datetime, sinks: Collection[str]) -> int:
        query = (select(func.count()).select_from(notifications)
                 .where(PENDING_ROWS, notifications.c.next_attempt_at <= now,
                        notifications.c.sink.in_(sorted(sinks))))
        return int(self.session.scalar(query) or 0)

    def mark_notification(self, notification_id: int, **values: Any) -> None:
        self.session.execute(update(notifications).where(notifications.c.id == notification_id).values(**values))

    def notification_counts(self) -> dict[str, int]:
        query = select(notifications.c.status, func.count()).group_by(notifications.c.status)
        return {status: count for status, count in self.session.execute(query)}


