"""Persistence: tables, repositories, the unit of work, migrations (SQLite and PostgreSQL)."""

from pathway.store.database import make_engine
from pathway.store.uow import SqlUnitOfWork, UnitOfWork

__all__ = ["SqlUnitOfWork", "UnitOfWork", "make_engine"]
