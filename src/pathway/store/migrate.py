"""Alembic, driven from code: the user never needs an alembic.ini.

``pathway db upgrade`` calls :func:`upgrade`; the embedded SQLite default is upgraded
automatically at start-up, while a shared PostgreSQL is only migrated on purpose.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from pathway.errors import DatabaseNotReady
from pathway.store.database import check_connection, is_sqlite

SCRIPT_LOCATION = "pathway.store:migrations"


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config_without_engine()).get_current_head() or ""


def _config_without_engine() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Migrate to ``revision``; returns (revision before, revision after)."""
    check_connection(engine)
    before = current_revision(engine)
    command.upgrade(_config(engine), revision)
    return before, current_revision(engine) or ""


def ensure_schema(engine: Engine) -> None:
    """Upgrade SQLite automatically; ask for ``pathway db upgrade`` on a server database."""
    check_connection(engine)
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if is_sqlite(engine):
        upgrade(engine)
        return
    state = "has no pathway tables" if current is None else f"is at revision {current}, not {head}"
    raise DatabaseNotReady(
        engine.url.render_as_string(hide_password=True),
        f"the schema {state}; run 'pathway db upgrade' (with the same --db) first",
    )
