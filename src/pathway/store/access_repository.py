"""The access log (loggkontroll) and case ownership (tables ``access_log`` and ``assignments``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, delete, func, insert, select

from pathway.domain import Deadline
from pathway.store.deadline_repository import COLUMNS as DEADLINE_COLUMNS
from pathway.store.deadline_repository import deadline_from_row
from pathway.store.tables import access_log, assignments, deadlines, participants, users

#: the assignment slot of the responsible caseworker (huvudansvarig handläggare); other slots are
#: agency codes (the named contact at that agency)
RESPONSIBLE = "responsible"


_APPEND = insert(access_log)

#: SQLite allows 999 bound parameters in a statement; lists of ids are sent in chunks below that.
CHUNK = 900


@dataclass(frozen=True)
class CaseloadScope:
    """Which open participants a caseload holds: those ``holder_id`` is responsible for (None: any),
    of the workflows in ``workflows`` (None: any), only the unassigned ones when ``unassigned``."""

    holder_id: int | None = None
    workflows: Collection[str] | None = None
    unassigned: bool = False


@dataclass(frozen=True)
class CaseloadEntry:
    participant_id: int
    ref: str | None
    workflow_id: str
    step: str
    since: datetime  # the last step change (or the enrolment)
    responsible: str | None  # the responsible caseworker's login


_RESPONSIBLE = assignments.alias("responsible")


def _scoped(query: Select[Any], scope: CaseloadScope) -> Select[Any]:
    """``query`` (over participants outer-joined to their responsible caseworker) limited to ``scope``."""
    query = query.where(participants.c.status == "open")
    if scope.holder_id is not None:
        query = query.where(_RESPONSIBLE.c.user_id == scope.holder_id)
    if scope.workflows is not None:
        query = query.where(participants.c.workflow_id.in_(sorted(scope.workflows)))
    if scope.unassigned:
        query = query.where(_RESPONSIBLE.c.user_id.is_(None))
    return query


_WITH_RESPONSIBLE = participants.outerjoin(
    _RESPONSIBLE, and_(_RESPONSIBLE.c.participant_id == participants.c.id, _RESPONSIBLE.c.slot == RESPONSIBLE))


class AccessLogRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def append(self, at: datetime, user_id: int | None, login: str, agency: str | None,
               participant_id: int | None, workflow_id: str | None, what: str, purpose: str | None) -> None:
        # Core on the unit of work's connection (no ORM execute machinery): one cheap INSERT per read
        # Committed durably like any write: the log is what a data-protection officer (and health-care
        # law) relies on, so a read is never shown without a row that survives a server crash; the
        # WAL flush this costs a read on PostgreSQL is measured in bench/README.md
        self.connection.execute(_APPEND, {
            "at": at, "user_id": user_id, "login": login, "agency": agency, "participant_id": participant_id,
            "workflow_id": workflow_id, "what": what, "purpose": purpose})

    def find(self, participant_id: int | None = None, login: str | None = None,
             since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
        query = select(access_log).order_by(access_log.c.at, access_log.c.id)
        if participant_id is not None:
            query = query.where(access_log.c.participant_id == participant_id)
        if login is not None:
            query = query.where(access_log.c.login == login)
        if since is not None:
            query = query.where(access_log.c.at >= since)
        if until is not None:
            query = query.where(access_log.c.at < until)
        return [dict(row._mapping) for row in self.connection.execute(query)]


class AssignmentRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def of(self, participant_id: int) -> dict[str, int]:
        """slot → user id for one participant."""
        rows = self.connection.execute(select(assignments.c.slot, assignments.c.user_id)
                                    .where(assignments.c.participant_id == participant_id))
        return {row.slot: row.user_id for row in rows}

    def of_many(self, participant_ids: Sequence[int], slot: str = RESPONSIBLE) -> dict[int, int]:
        """participant id → user id in ``slot``, for the given participants."""
        if not participant_ids:
            return {}
        found: dict[int, int] = {}
        ids = sorted(set(participant_ids))
        for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
            chunk = ids[start:start + 900]
            rows = self.connection.execute(select(assignments.c.participant_id, assignments.c.user_id).where(
                assignments.c.slot == slot, assignments.c.participant_id.in_(chunk)))
            found.update({row.participant_id: row.user_id for row in rows})
        return found

    def set(self, participant_id: int, slot: str, user_id: int, at: datetime) -> None:
        self.connection.execute(delete(assignments).where(assignments.c.participant_id == participant_id,
                                                       assignments.c.slot == slot))
        self.connection.execute(insert(assignments).values(participant_id=participant_id, slot=slot,
                                                        user_id=user_id, assigned_at=at))

    def participants_of(self, user_id: int, slot: str | None = RESPONSIBLE,
                        workflow_id: str | None = None, open_only: bool = True) -> list[int]:
        """Ids of the participants ``user_id`` holds (in ``slot``; any slot when None)."""
        query = (select(assignments.c.participant_id).distinct()
                 .join(participants, participants.c.id == assignments.c.participant_id)
                 .where(assignments.c.user_id == user_id)
                 .order_by(assignments.c.participant_id))
        if slot is not None:
            query = query.where(assignments.c.slot == slot)
        if workflow_id is not None:
            query = query.where(participants.c.workflow_id == workflow_id)
        if open_only:
            query = query.where(participants.c.status == "open")
        return list(self.connection.scalars(query))

    def unassigned(self, workflow_ids: Sequence[str] | None) -> list[int]:
        """Open participants (of these workflows) with no responsible caseworker."""
        held = select(assignments.c.participant_id).where(assignments.c.slot == RESPONSIBLE)
        query = (select(participants.c.id).where(participants.c.status == "open", participants.c.id.not_in(held))
                 .order_by(participants.c.id))
        if workflow_ids is not None:
            query = query.where(participants.c.workflow_id.in_(list(workflow_ids)))
        return list(self.connection.scalars(query))

    # -- caseloads: one query per page, however many participants ---------------------------

    def caseload(self, scope: CaseloadScope, limit: int | None = None, offset: int = 0) -> list[CaseloadEntry]:
        """One page of a caseload, by participant id, with each one's responsible caseworker."""
        query = _scoped(
            select(participants.c.id, participants.c.ref, participants.c.workflow_id, participants.c.step,
                   func.coalesce(participants.c.last_step_change_at, participants.c.enrolled_at).label("since"),
                   users.c.login)
            .select_from(_WITH_RESPONSIBLE.outerjoin(users, users.c.id == _RESPONSIBLE.c.user_id)),
            scope).order_by(participants.c.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [CaseloadEntry(row.id, row.ref, row.workflow_id, row.step, row.since, row.login)
                for row in self.connection.execute(query)]

    def caseload_size(self, scope: CaseloadScope) -> int:
        query = _scoped(select(func.count()).select_from(_WITH_RESPONSIBLE), scope)
        return int(self.connection.scalar(query) or 0)

    def open_deadlines_of(self, participant_ids: Sequence[int]) -> list[tuple[int, date, str]]:
        """(participant id, due date, title) of the open deadlines with a due date, for these participants."""
        found: list[tuple[int, date, str]] = []
        ids = sorted(set(participant_ids))
        for start in range(0, len(ids), CHUNK):
            query = (select(deadlines.c.participant_id, deadlines.c.due_date, deadlines.c.title)
                     .where(deadlines.c.status == "open", deadlines.c.due_date.is_not(None),
                            deadlines.c.participant_id.in_(ids[start:start + CHUNK])))
            found.extend((row.participant_id, row.due_date, row.title) for row in self.connection.execute(query))
        return found

    def due_by(self, scope: CaseloadScope, last_day: date, limit: int | None = None
               ) -> list[tuple[Deadline, str | None, str]]:
        """Open deadlines due on or before ``last_day`` in a caseload, soonest first, with the
        participant's ref and workflow (one query)."""
        query = _scoped(
            select(*DEADLINE_COLUMNS, participants.c.ref, participants.c.workflow_id)
            .select_from(_WITH_RESPONSIBLE.join(deadlines, deadlines.c.participant_id == participants.c.id)),
            scope).where(deadlines.c.status == "open", deadlines.c.due_date <= last_day).order_by(
                deadlines.c.due_date, deadlines.c.participant_id, deadlines.c.id)
        if limit is not None:
            query = query.limit(limit)
        width = len(DEADLINE_COLUMNS)
        return [(deadline_from_row(row[:width]), row[width], row[width + 1])
                for row in self.connection.execute(query)]

    def load(self, scope: CaseloadScope, today: date) -> tuple[list[tuple[str, int, int]], int]:
        """([(login, open participants held, their deadlines past due)] per responsible caseworker,
        how many nobody holds): two GROUP BY queries over the caseload, whatever its size."""
        held_query = _scoped(select(_RESPONSIBLE.c.user_id, func.count().label("n"))
                             .select_from(_WITH_RESPONSIBLE), scope).group_by(_RESPONSIBLE.c.user_id)
        late_query = _scoped(select(_RESPONSIBLE.c.user_id, func.count().label("n")).select_from(
            _WITH_RESPONSIBLE.join(deadlines, deadlines.c.participant_id == participants.c.id)), scope).where(
                deadlines.c.status == "open", deadlines.c.due_date < today,
                _RESPONSIBLE.c.user_id.is_not(None)).group_by(_RESPONSIBLE.c.user_id)
        held = {row.user_id: int(row.n) for row in self.connection.execute(held_query)}
        late = {row.user_id: int(row.n) for row in self.connection.execute(late_query)}
        unassigned = held.pop(None, 0)
        logins = {row.id: row.login for row in self.connection.execute(
            select(users.c.id, users.c.login).where(users.c.id.in_(sorted(held))))} if held else {}
        rows = [(logins.get(uid, str(uid)), count, late.get(uid, 0)) for uid, count in held.items()]
        return sorted(rows), unassigned

    def count_of(self, user_id: int) -> int:
        query = select(func.count()).select_from(assignments).where(assignments.c.user_id == user_id)
        return self.connection.scalar(query) or 0
