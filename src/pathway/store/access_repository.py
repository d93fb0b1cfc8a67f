"""The access log (loggkontroll) and case ownership (tables ``access_log`` and ``assignments``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from pathway.store.tables import access_log, assignments, participants

#: the assignment slot of the responsible caseworker (huvudansvarig handläggare); other slots are
#: agency codes (the named contact at that agency)
RESPONSIBLE = "responsible"


_APPEND = insert(access_log)


class AccessLogRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, at: datetime, user_id: int | None, login: str, agency: str | None,
               participant_id: int | None, workflow_id: str | None, what: str, purpose: str | None) -> None:
        # Core on the session's connection (no ORM execute machinery): one cheap INSERT per read
        # Committed durably like any write: the log is what a data-protection officer (and health-care
        # law) relies on, so a read is never shown without a row that survives a server crash; the
        # WAL flush this costs a read on PostgreSQL is measured in bench/README.md
        self.session.connection().execute(_APPEND, {
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
        return [dict(row._mapping) for row in self.session.execute(query)]


class AssignmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of(self, participant_id: int) -> dict[str, int]:
        """slot → user id for one participant."""
        rows = self.session.execute(select(assignments.c.slot, assignments.c.user_id)
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
            rows = self.session.execute(select(assignments.c.participant_id, assignments.c.user_id).where(
                assignments.c.slot == slot, assignments.c.participant_id.in_(chunk)))
            found.update({row.participant_id: row.user_id for row in rows})
        return found

    def set(self, participant_id: int, slot: str, user_id: int, at: datetime) -> None:
        self.session.execute(delete(assignments).where(assignments.c.participant_id == participant_id,
                                                       assignments.c.slot == slot))
        self.session.execute(insert(assignments).values(participant_id=participant_id, slot=slot,
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
        return list(self.session.scalars(query))

    def unassigned(self, workflow_ids: Sequence[str] | None) -> list[int]:
        """Open participants (of these workflows) with no responsible caseworker."""
        held = select(assignments.c.participant_id).where(assignments.c.slot == RESPONSIBLE)
        query = (select(participants.c.id).where(participants.c.status == "open", participants.c.id.not_in(held))
                 .order_by(participants.c.id))
        if workflow_ids is not None:
            query = query.where(participants.c.workflow_id.in_(list(workflow_ids)))
        return list(self.session.scalars(query))

    def count_of(self, user_id: int) -> int:
        query = select(func.count()).select_from(assignments).where(assignments.c.user_id == user_id)
        return self.session.scalar(query) or 0
