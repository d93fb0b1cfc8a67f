"""Users and the audit of their changes (tables ``users`` and ``user_changes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from pathway.domain.users import User
from pathway.store.tables import user_changes, users


def _user(row: Any) -> User:
    return User(id=row.id, login=row.login, display_name=row.display_name, agency=row.agency,
                roles=frozenset(row.roles or ()), workflows=frozenset(row.workflows or ()),
                active=bool(row.active))


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def count(self) -> int:
        return self.connection.scalar(select(func.count()).select_from(users)) or 0

    def get(self, user_id: int) -> User | None:
        row = self.connection.execute(select(users).where(users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def get_by_login(self, login: str) -> User | None:
        row = self.connection.execute(select(users).where(users.c.login == login)).first()
        return None if row is None else _user(row)

    def by_ids(self, ids: set[int]) -> dict[int, User]:
        if not ids:
            return {}
        rows = self.connection.execute(select(users).where(users.c.id.in_(sorted(ids))))
        return {row.id: _user(row) for row in rows}

    def all(self) -> list[User]:
        return [_user(row) for row in self.connection.execute(select(users).order_by(users.c.login))]

    def add(self, user: User, at: datetime) -> User:
        new_id = self.connection.execute(insert(users).values(
            login=user.login, display_name=user.display_name, agency=user.agency,
            roles=sorted(user.roles), workflows=sorted(user.workflows), active=user.active,
            created_at=at, updated_at=at,
        ).returning(users.c.id)).scalar_one()
        return User(user.login, user.display_name, user.agency, user.roles, user.workflows, user.active, new_id)

    def save(self, user: User, at: datetime) -> None:
        self.connection.execute(update(users).where(users.c.id == user.id).values(
            display_name=user.display_name, agency=user.agency, roles=sorted(user.roles),
            workflows=sorted(user.workflows), active=user.active, updated_at=at,
        ))

    def record_change(self, user_id: int, change: str, data: dict[str, Any], actor: str,
                      actor_id: int | None, at: datetime) -> None:
        self.connection.execute(insert(user_changes).values(
            user_id=user_id, change=change, data=data, actor=actor, actor_id=actor_id, at=at))

    def changes(self, user_id: int) -> list[dict[str, Any]]:
        query = select(user_changes).where(user_changes.c.user_id == user_id).order_by(user_changes.c.id)
        return [dict(row._mapping) for row in self.connection.execute(query)]
