"""Deadline rows and pending notifications: what the services and the deadline check read and write.

Deadlines are plain objects (:class:`pathway.domain.Deadline`), not ORM-mapped. The rows a use case
may change (:meth:`DeadlineRepository.for_plan`, :meth:`~DeadlineRepository.for_participant`,
:meth:`~DeadlineRepository.claim_due`) are remembered as read; at commit the unit of work calls
:meth:`DeadlineRepository.write`, which inserts the new ones and updates the changed ones, each
with its version checked (compiled statements, :mod:`pathway.store.statements`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text, union_all, update

from pathway.domain import Deadline, DeadlineProgress, DeadlineStatus, DueDeadline, Participant
from pathway.errors import ConcurrentChange
from pathway.store.repository import COLUMNS as PARTICIPANT_COLUMNS
from pathway.store.repository import RUNNING_ROWS, StaleRow, meeting_rows_of, participant_from_row
from pathway.store.statements import Prepared, fetch, run, run_many
from pathway.store.tables import deadlines, notifications, participants


#: The partial indexes' own conditions, written as literals: with a bound parameter
#: (``status = ?``) SQLite cannot prove the index applies and scans every deadline instead
#: (RUNNING_ROWS, ix_deadlines_running's, comes from the participant repository, whose read of a
#: participant asks whether it has any).
OPEN_ROWS = text("deadlines.status = 'open'")
PENDING_ROWS = text("notifications.status = 'pending'")


#: A deadline row's columns, in the order they are selected (every field of Deadline).
_FIELDS = tuple(c.key for c in deadlines.c)
COLUMNS = list(deadlines.c)
#: What an UPDATE writes (all but the keys; the version moves on with the check).
_STATE = tuple(name for name in _FIELDS if name not in ("id", "participant_id", "version"))
_OF_PARTICIPANT = Prepared(select(*COLUMNS).where(deadlines.c.participant_id == bindparam("participant_id"))
                           .order_by(deadlines.c.id))
_INSERT = Prepared(insert(deadlines).returning(deadlines.c.id), column_keys=[*_STATE, "participant_id", "version"])
_UPDATE = Prepared(update(deadlines).where(deadlines.c.id == bindparam("b_id"),
                                           deadlines.c.version == bindparam("b_version")),
                   column_keys=[*_STATE, "version"])
#: The deadline check's claim: the columns it needs of due open rows (the partial index's literal
#: condition, so SQLite uses the index), locked, skipping rows another check holds.
_CLAIM = Prepared(select(deadlines.c.id, deadlines.c.participant_id, deadlines.c.rule, deadlines.c.title,
                         deadlines.c.due_date, deadlines.c.due_at, deadlines.c.actions, deadlines.c.progress,
                         deadlines.c.level, deadlines.c.version)
                  .where(OPEN_ROWS, deadlines.c.next_action_at <= bindparam("now"))
                  .order_by(deadlines.c.next_action_at, deadlines.c.id)
                  .limit(bindparam("limit"))
                  .with_for_update(skip_locked=True))
#: How far the check came on a claimed row, version-checked.
_PROGRESS = Prepared(update(deadlines).where(deadlines.c.id == bindparam("b_id"),
                                             deadlines.c.version == bindparam("b_version")),
                     column_keys=["progress", "level", "next_action_at", "version"])
#: Notifications by the columns their rows name (the notifier's rows all name the same ones).
_NOTIFY: dict[tuple[str, ...], Prepared] = {}
#: :meth:`DeadlineRepository.for_plan`'s statement for a plan of n keys, with the running rows or not
_FOR_PLAN: dict[tuple[int, bool], Prepared] = {}


def _for_plan(n: int, running: bool = True) -> Prepared:
    """The running rows (the partial index ix_deadlines_running) and, after them, those of n keys
    (the unique index): one OR of the two visited every row of the participant (a row per met
    occurrence), so a plan's read grew with its history. A running row with a planned key comes twice.
    Without ``running``: the rows of the n keys only (n > 0)."""
    found = _FOR_PLAN.get((n, running))
    if found is None:
        of_participant = deadlines.c.participant_id == bindparam("participant_id")
        running_rows = select(*COLUMNS).where(of_participant, RUNNING_ROWS)
        keyed = select(*COLUMNS).where(of_participant, deadlines.c.key.in_([bindparam(f"key_{i}") for i in range(n)]))
        if not running:
            statement: Any = keyed
        else:
            statement = union_all(running_rows, keyed) if n else running_rows
        found = _FOR_PLAN[(n, running)] = Prepared(statement)
    return found


def deadline_from_row(row: Sequence[Any]) -> Deadline:
    return Deadline(**dict(zip(_FIELDS, row)))


def _state(d: Deadline) -> tuple[Any, ...]:
    return tuple([dict(a) for a in value] if name == "actions" else value
                 for name, value in ((name, getattr(d, name)) for name in _STATE))


class DeadlineRepository:
    """``without_running``: the participants read with no running row (the participant repository
    fills it, :class:`pathway.store.repository.Tracked`); :meth:`for_plan` reads no running row
    of these, and :meth:`write` takes out each participant it writes a row for."""

    def __init__(self, connection: Connection, without_running: set[int] | None = None) -> None:
        self.connection = connection
        self.without_running: set[int] = set() if without_running is None else without_running
        #: rows read in this unit of work (one object per row) and what each held then
        self._by_id: dict[int, Deadline] = {}
        self._rows: dict[int, tuple[Any, ...]] = {}
        self._new: list[Deadline] = []
        #: participants this unit of work inserted and wrote no deadline row for yet: they have none
        self.created: set[int] = set()
        #: participant id → whether the rows read of it (all its running ones) held an open one:
        #: only an open row can be claimed by a deadline check (see SqlUnitOfWork._lock_written)
        self.open_read: dict[int, bool] = {}

    def _adopt(self, rows: Sequence[Sequence[Any]]) -> list[Deadline]:
        adopted = []
        for row in rows:
            found = self._by_id.get(row[0])
            if found is None:
                found = self._by_id[row[0]] = deadline_from_row(row)
                self._rows[row[0]] = _state(found)
            adopted.append(found)
        return adopted

    def for_participant(self, participant_id: int) -> list[Deadline]:
        return self._adopt(fetch(self.connection, _OF_PARTICIPANT, {"participant_id": participant_id}))

    def for_plan(self, participant_id: int, keys: Collection[str]) -> list[Deadline]:
        """The participant's running (open, paused) rows and those with the planned ``keys``: what
        reconciling a plan may change — not the closed rows of deadlines no longer planned."""
        if participant_id in self.created:  # enrolled in this unit of work: no row to read
            self.open_read[participant_id] = False
            return []
        ordered = sorted(set(keys))
        running = participant_id not in self.without_running
        if not running and not ordered:  # nothing running, nothing planned: no row to read
            self.open_read[participant_id] = False
            return []
        values = {"participant_id": participant_id, **{f"key_{i}": key for i, key in enumerate(ordered)}}
        rows = {row[0]: row for row in fetch(self.connection, _for_plan(len(ordered), running), values)}
        found = self._adopt([rows[row_id] for row_id in sorted(rows)])
        self.open_read[participant_id] = any(d.status == DeadlineStatus.OPEN for d in found)
        return found

    def add(self, deadline: Deadline) -> None:
        self._new.append(deadline)

    def write(self, connection: Connection) -> None:
        """Insert the rows added (each gets its id and version 1) and update the rows changed since
        they were read, each only if still at its version (:class:`StaleRow` otherwise)."""
        for deadline in self._new:
            self.created.discard(deadline.participant_id)
            self.without_running.discard(deadline.participant_id)
            state = _state(deadline)
            cursor = run(connection, _INSERT, {**dict(zip(_STATE, state)), "participant_id": deadline.participant_id,
                                               "version": 1})
            deadline.id = int(cursor.fetchone()[0])
            cursor.close()
            deadline.version = 1
            self._by_id[deadline.id] = deadline
            self._rows[deadline.id] = state
        self._new.clear()
        changed = []
        for row_id, deadline in self._by_id.items():
            state = _state(deadline)
            if state != self._rows[row_id]:
                changed.append((deadline, state))
                self.without_running.discard(deadline.participant_id)  # it may run again
        if not changed:
            return
        values = [{**dict(zip(_STATE, state)), "version": d.version + 1, "b_id": d.id, "b_version": d.version}
                  for d, state in changed]
        if len(values) == 1:
            cursor = run(connection, _UPDATE, values[0])
            count = cursor.rowcount
            cursor.close()
        else:
            count = run_many(connection, _UPDATE, values)
        if count != len(values):
            raise StaleRow("deadline", changed[0][0].id or 0)
        for deadline, state in changed:
            deadline.version += 1
            self._rows[deadline.id or 0] = state

    def claim_due(self, now: datetime, limit: int) -> list[Deadline]:
        """Open deadlines with an action due, locked for this transaction.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent checks split the work and never take
        the same row. SQLite: the transaction already holds the database's write lock
        (``BEGIN IMMEDIATE``), so a second check waits and then sees the rows already moved on.
        """
        query = (
            select(*COLUMNS)
            .where(OPEN_ROWS, deadlines.c.next_action_at <= now)
            .order_by(deadlines.c.next_action_at, deadlines.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self._adopt(self.connection.execute(query).all())

    def claim_due_rows(self, now: datetime, limit: int) -> list[DueDeadline]:
        """:meth:`claim_due` read as plain rows (Core, only the columns the check needs), locked the
        same way; the caller writes what it changed with :meth:`save_progress`."""
        rows = fetch(self.connection, _CLAIM, {"now": now, "limit": limit})
        return [DueDeadline(*row) for row in rows]

    def save_progress(self, moved: list[DeadlineProgress]) -> None:
        """Write how far the check came on claimed rows (progress, level, next action), each with its
        version checked (one executemany UPDATE); raises :class:`~pathway.errors.ConcurrentChange`
        if any row was changed since it was read."""
        if not moved:
            return
        count = run_many(self.connection, _PROGRESS, [
            {"b_id": m.id, "b_version": m.version, "progress": m.progress, "level": m.level,
             "next_action_at": m.next_action_at, "version": m.version + 1} for m in moved])
        if count != len(moved):
            raise ConcurrentChange(moved[0].participant_id)

    def board(
        self,
        now: datetime,
        overdue_only: bool = False,
        due_before: datetime | None = None,
        workflow_id: str | None = None,
    ) -> list[tuple[Deadline, Participant]]:
        """Open and paused deadlines with their participants, soonest due first (read only: not
        written back by the unit of work)."""
        query = (
            select(*COLUMNS, *PARTICIPANT_COLUMNS)
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
        width = len(COLUMNS)
        return [(deadline_from_row(row[:width]),
                 participant_from_row(row[width:], meeting_rows_of(row[width:], self.connection)))
                for row in self.connection.execute(query)]

    def without_rule(self, workflow_id: str, steps: Collection[str], rule: str) -> list[Participant]:
        """Open participants of the workflow in ``steps`` that hold no deadline of ``rule`` (none running,
        none ever met): the candidates for the board's "unwatched" list (read only)."""
        has_rule = select(deadlines.c.id).where(deadlines.c.participant_id == participants.c.id,
                                                deadlines.c.rule == rule).exists()
        query = (select(*PARTICIPANT_COLUMNS)
                 .where(participants.c.workflow_id == workflow_id, participants.c.status == "open",
                        participants.c.step.in_(list(steps)), ~has_rule)
                 .order_by(participants.c.id))
        return [participant_from_row(row, meeting_rows_of(row, self.connection))
                for row in self.connection.execute(query)]

    # -- notifications -----------------------------------------------------------------------

    def add_notifications(self, rows: list[dict[str, Any]]) -> None:
        """Queue notifications (one INSERT; every row names the same columns)."""
        if rows:
            keys = tuple(rows[0])
            statement = _NOTIFY.get(keys)
            if statement is None:
                statement = _NOTIFY[keys] = Prepared(insert(notifications), column_keys=list(keys))
            run_many(self.connection, statement, rows)

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
        return [dict(row) for row in self.connection.execute(query).mappings()]

    def lease_notifications(self, ids: list[int], until: datetime) -> None:
        """Keep claimed rows from other deliverers until ``until`` (they stay ``pending``)."""
        if ids:
            self.connection.execute(update(notifications).where(notifications.c.id.in_(ids))
                                 .values(next_attempt_at=until))

    def count_due_notifications(self, now: datetime, sinks: Collection[str]) -> int:
        query = (select(func.count()).select_from(notifications)
                 .where(PENDING_ROWS, notifications.c.next_attempt_at <= now,
                        notifications.c.sink.in_(sorted(sinks))))
        return int(self.connection.scalar(query) or 0)

    def mark_notification(self, notification_id: int, **values: Any) -> None:
        self.connection.execute(update(notifications).where(notifications.c.id == notification_id).values(**values))

    def notification_counts(self) -> dict[str, int]:
        query = select(notifications.c.status, func.count()).group_by(notifications.c.status)
        return {status: count for status, count in self.connection.execute(query)}


