"""Schema migrations (Alembic driven from code) on both back ends."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from pathway.errors import DatabaseNotReady
from pathway.store import migrate
from pathway.store.migrate import SCRIPT_LOCATION, current_revision, ensure_schema, head_revision, upgrade
from pathway.store.schema import metadata  # the tables and their partial indexes


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["engine"] = engine
    return config


def _revisions() -> list[str]:
    """Every migration, oldest first."""
    script = ScriptDirectory.from_config(_config(None))  # type: ignore[arg-type]
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_schema_head_constant_is_alembics_head() -> None:
    """The start-up check's SCHEMA_HEAD names the newest migration in the folder."""
    assert migrate.SCHEMA_HEAD == head_revision() == _revisions()[-1]


def test_upgrade_from_empty_to_head_and_back_to_base(new_engine: Callable[[], Engine]) -> None:
    """upgrade() builds every table of tables.py from an empty database; downgrading to base removes them all."""
    engine = new_engine()
    assert _tables(engine) == set() and current_revision(engine) is None
    assert upgrade(engine) == (None, head_revision())
    assert _tables(engine) == set(metadata.tables)
    assert current_revision(engine) == head_revision()
    assert upgrade(engine) == (head_revision(), head_revision())  # idempotent at head

    command.downgrade(_config(engine), "base")
    assert _tables(engine) == set() and current_revision(engine) is None
    upgrade(engine)
    assert _tables(engine) == set(metadata.tables)


def test_migrated_schema_matches_the_table_definitions(engine: Engine) -> None:
    """After upgrade to head, Alembic's autogenerate finds no difference from tables.py (no missing migration)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_every_migration_steps_up_and_down(new_engine: Callable[[], Engine]) -> None:
    """Each revision can be applied and reverted one at a time, in order."""
    engine = new_engine()
    revisions = _revisions()
    for revision in revisions:
        command.upgrade(_config(engine), revision)
        assert current_revision(engine) == revision
    for previous in reversed([None, *revisions[:-1]]):
        command.downgrade(_config(engine), "-1")
        assert current_revision(engine) == previous
    assert _tables(engine) == set()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_ensure_schema_upgrades_sqlite_by_itself(new_engine: Callable[[], Engine]) -> None:
    """The embedded SQLite database is migrated automatically at start-up."""
    engine = new_engine()
    ensure_schema(engine)
    assert _tables(engine) == set(metadata.tables) and current_revision(engine) == head_revision()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_ensure_schema_refuses_an_unmigrated_server_database(new_engine: Callable[[], Engine]) -> None:
    """A shared PostgreSQL is only migrated on purpose: ensure_schema says to run 'pathway db upgrade'."""
    engine = new_engine()
    with pytest.raises(DatabaseNotReady, match=r"has no pathway tables; run 'pathway db upgrade'"):
        ensure_schema(engine)
    assert _tables(engine) == set()
    first, *later = _revisions()
    if later:  # a database left at an older revision is named with both revisions
        upgrade(engine, first)
        with pytest.raises(DatabaseNotReady, match=rf"is at revision {first}, not {head_revision()}"):
            ensure_schema(engine)
    upgrade(engine)
    ensure_schema(engine)  # at head: nothing to say
