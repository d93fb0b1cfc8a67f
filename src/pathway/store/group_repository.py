"""Groups, their current members and their sessions (the rows; attendance lives in the histories)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from pathway.store.statements import Prepared, fetch
from pathway.store.tables import group_members, group_sessions, groups

#: every exit asks (which groups does the participant leave?): a compiled statement
_GROUPS_OF = Prepared(select(group_members.c.group_id)
                      .where(group_members.c.participant_id == bindparam("participant_id"),
                             group_members.c.left_at.is_(None)))


@dataclass(frozen=True)
class GroupRow:
    id: int
    workflow_id: str
    step: str
    name: str
    capacity: int | None
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class SessionRow:
    id: int
    group_id: int
    held_at: datetime
    kind: str
    hours: float


class GroupRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, workflow_id: str, step: str, name: str, capacity: int | None, now: datetime) -> int:
        result = self.connection.execute(insert(groups).values(workflow_id=workflow_id, step=step, name=name,
                                                            capacity=capacity, created_at=now))
        return int(result.inserted_primary_key[0])  # type: ignore[index]  # one row inserted: never None

    def get(self, group_id: int, lock: bool = False) -> GroupRow | None:
        """One group; ``lock`` holds its row for the rest of the transaction (PostgreSQL: FOR UPDATE),
        so two caseworkers adding the last places at once cannot both pass the capacity check."""
        query = select(groups).where(groups.c.id == group_id)
        if lock:
            query = query.with_for_update()
        row = self.connection.execute(query).mappings().first()
        return None if row is None else GroupRow(**row)

    def by_name(self, name: str) -> list[GroupRow]:
        return [GroupRow(**r) for r in self.connection.execute(select(groups).where(groups.c.name == name)).mappings()]

    def all(self, workflow_id: str | None = None) -> list[GroupRow]:
        query = select(groups).order_by(groups.c.id)
        if workflow_id is not None:
            query = query.where(groups.c.workflow_id == workflow_id)
        return [GroupRow(**r) for r in self.connection.execute(query).mappings()]

    def members(self, group_id: int) -> list[int]:
        """The participants in the group now, in the order they joined."""
        query = (select(group_members.c.participant_id)
                 .where(group_members.c.group_id == group_id, group_members.c.left_at.is_(None))
                 .order_by(group_members.c.joined_at, group_members.c.id))
        return [int(pid) for pid in self.connection.execute(query).scalars()]

    def count_members(self, group_id: int) -> int:
        query = select(func.count()).where(group_members.c.group_id == group_id, group_members.c.left_at.is_(None))
        return int(self.connection.execute(query).scalar_one())

    def groups_of(self, participant_id: int) -> list[int]:
        return [int(row[0]) for row in fetch(self.connection, _GROUPS_OF, {"participant_id": participant_id})]

    def join(self, group_id: int, participant_id: int, at: datetime) -> None:
        self.connection.execute(insert(group_members).values(group_id=group_id, participant_id=participant_id,
                                                          joined_at=at))

    def leave(self, group_id: int, participant_id: int, at: datetime) -> None:
        self.connection.execute(update(group_members)
                             .where(group_members.c.group_id == group_id,
                                    group_members.c.participant_id == participant_id,
                                    group_members.c.left_at.is_(None))
                             .values(left_at=at))

    def move(self, group_id: int, step: str, closed_at: datetime | None) -> None:
        self.connection.execute(update(groups).where(groups.c.id == group_id).values(step=step, closed_at=closed_at))

    def add_session(self, group_id: int, held_at: datetime, kind: str, hours: float, recorded_at: datetime,
                    actor: str) -> int:
        result = self.connection.execute(insert(group_sessions).values(
            group_id=group_id, held_at=held_at, kind=kind, hours=hours, recorded_at=recorded_at, actor=actor))
        return int(result.inserted_primary_key[0])  # type: ignore[index]  # one row inserted: never None

    def sessions(self, group_id: int) -> list[SessionRow]:
        query = (select(group_sessions.c.id, group_sessions.c.group_id, group_sessions.c.held_at,
                        group_sessions.c.kind, group_sessions.c.hours)
                 .where(group_sessions.c.group_id == group_id).order_by(group_sessions.c.held_at))
        return [SessionRow(**r) for r in self.connection.execute(query).mappings()]

    def raw(self, group_id: int) -> dict[str, Any]:
        return dict(self.connection.execute(select(groups).where(groups.c.id == group_id)).mappings().one())
