"""Alembic, driven from code: the user never needs an alembic.ini.

``pathway db upgrade`` calls :func:`upgrade`; the embedded SQLite default is upgraded
automatically at start-up, while a shared PostgreSQL is only migrated on purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from pathway.errors import DatabaseNotReady
from pathway.store.database import check_connection, is_sqlite

if TYPE_CHECKING:
    from alembic.config import Config

    from pathway.store.identity_crypto import IdentityKeys

SCRIPT_LOCATION = "pathway.store:migrations"

#: The newest migration. Every command checks the database against it at start-up, so it is a
#: constant rather than a scan of the migrations folder (Alembic is imported only to migrate);
#: a test keeps it equal to Alembic's head.
SCHEMA_HEAD = "0015"


def _config(engine: Engine, identity_keys: IdentityKeys | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["engine"] = engine
    # a migration that encrypts stored identity numbers (0005) reads the key from here
    config.attributes["identity_keys"] = identity_keys
    return config


def head_revision() -> str:
    """Alembic's own idea of the newest migration (scans the migrations folder)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return ScriptDirectory.from_config(config).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head",
            identity_keys: IdentityKeys | None = None) -> tuple[str | None, str]:
    """Migrate to ``revision``; returns (revision before, revision after)."""
    check_connection(engine)
    from alembic import command

    before = current_revision(engine)
    command.upgrade(_config(engine, identity_keys), revision)
    return before, current_revision(engine) or ""


def ensure_schema(engine: Engine, identity_keys: IdentityKeys | None = None) -> None:
    """Upgrade SQLite automatically; ask for ``pathway db upgrade`` on a server database."""
    check_connection(engine)
    current = current_revision(engine)
    head = SCHEMA_HEAD
    if current == head:
        return
    if is_sqlite(engine):
        upgrade(engine, identity_keys=identity_keys)
        return
    state = "has no pathway tables" if current is None else f"is at revision {current}, not {head}"
    raise DatabaseNotReady(
        engine.url.render_as_string(hide_password=True),
        f"the schema {state}; run 'pathway db upgrade' (with the same --db) first",
    )
