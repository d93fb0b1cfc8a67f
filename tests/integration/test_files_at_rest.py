"""Files holding personal data are the owner's only (0600), and 'db backup' is a consistent copy."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pathway.errors import BadInput
from pathway.services.context import ServiceContext
from pathway.services.notify import OutboxFileSink
from pathway.services.participants import enrol
from pathway.store import make_engine
from pathway.store.backup import backup
from pathway.store.database import read_only_options
from pathway.store.migrate import upgrade


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> object:
    """Run with the common umask 022, which would leave new files world-readable."""
    import os

    old = os.umask(0o022)
    yield
    os.umask(old)


def test_every_sqlite_connection_commits_durably(tmp_path: Path) -> None:
    """WAL with synchronous=FULL (2): a commit is flushed before the command says it is done, so a
    recorded fact survives a power cut (NORMAL, 1, would keep the database consistent but could
    lose the last commits). Every pooled connection gets it, not only the first."""
    engine = make_engine(f"sqlite:///{tmp_path / 'durable.db'}")
    upgrade(engine)
    reading = engine.execution_options(**read_only_options("sqlite"))  # two at once: no write lock
    first, second = reading.connect(), reading.connect()
    try:
        for conn in (first, second):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        first.close()
        second.close()
        engine.dispose()


def test_the_sqlite_database_and_its_wal_are_owner_only(tmp_path: Path, loose_umask: object) -> None:
    """A new database file, its -wal and -shm are created 0600 even under umask 022."""
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(engine)
    with engine.connect() as conn:  # keeps the WAL files in place while looking
        conn.exec_driver_sql("SELECT count(*) FROM participants")
        for name in ("new.db", "new.db-wal", "new.db-shm"):
            assert mode(tmp_path / name) == 0o600, name
    engine.dispose()


def test_the_outbox_is_created_owner_only(tmp_path: Path, loose_umask: object) -> None:
    """The notification outbox file is created 0600."""
    outbox = tmp_path / "outbox.jsonl"
    OutboxFileSink(outbox).send({"kind": "reminder"})
    assert mode(outbox) == 0o600 and outbox.read_text().count("\n") == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_backup_holds_what_is_still_in_the_wal(ctx: ServiceContext, engine: Engine, tmp_path: Path,
                                               loose_umask: object) -> None:
    """A file copy of a WAL database misses committed rows; the online backup has them all, is 0600 and self-contained."""
    for n in range(5):
        enrol(ctx, "demo", ref=f"B-{n}")
    database = Path(engine.url.database or "")
    with engine.connect() as conn:  # an open connection keeps the WAL from being checkpointed away
        conn.exec_driver_sql("SELECT 1")
        copied = tmp_path / "copied.db"
        shutil.copyfile(database, copied)
        result = backup(engine, tmp_path / "backup.db")
    with sqlite3.connect(copied) as plain:
        assert plain.execute("SELECT count(*) FROM sqlite_master WHERE name = 'participants'").fetchone()[0] in (0, 1)
        try:
            naive = plain.execute("SELECT count(*) FROM participants").fetchone()[0]
        except sqlite3.DatabaseError:
            naive = -1
    assert naive != 5  # the naive copy is not a backup
    assert mode(result.target) == 0o600 and result.pages > 0
    with sqlite3.connect(result.target) as restored:
        assert restored.execute("SELECT count(*) FROM participants").fetchone()[0] == 5
        assert restored.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not (tmp_path / "backup.db-wal").exists()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_backup_never_overwrites(engine: Engine, tmp_path: Path) -> None:
    """An existing file is refused and left as it was."""
    target = tmp_path / "exists.db"
    target.write_text("keep")
    with pytest.raises(BadInput, match="already exists"):
        backup(engine, target)
    assert target.read_text() == "keep"


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_backup_of_postgresql_points_to_pg_dump(engine: Engine, tmp_path: Path) -> None:
    """PostgreSQL is not copied by pathway: the error says to use pg_dump, and no file is made."""
    with pytest.raises(BadInput, match="pg_dump"):
        backup(engine, tmp_path / "pg.db")
    assert not (tmp_path / "pg.db").exists()


def _access_rows(engine: Engine) -> int:
    from sqlalchemy import func, select

    from pathway.store.tables import access_log

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(access_log)).scalar_one())


@pytest.mark.parametrize("login,roles,allowed", [
    ("anna", {"caseworker", "coordinator"}, False), ("frida", {"funder"}, False), ("dora", {"dpo"}, False),
    ("root", {"admin"}, True), ("cron", {"service"}, True),
])
def test_backup_needs_an_admin_or_a_service_account(ctx: ServiceContext, engine: Engine, tmp_path: Path,
                                                    login: str, roles: set[str], allowed: bool) -> None:
    """db.backup: staff, funders and the dpo are refused before any file or log row; admins and service
    accounts get the copy (SQLite) or the pg_dump advice (PostgreSQL, nothing logged), and a log row."""
    from dataclasses import replace

    from pathway.domain.users import User
    from pathway.errors import NotPermitted
    from pathway.services.backup import backup_database

    enrol(ctx, "demo", ref="B-1")
    user = User(login, login.title(), "coordination", roles=frozenset(roles), workflows=frozenset({"demo"}), id=1)
    acting = replace(ctx, user=user, actor=login)
    target = tmp_path / "backup.db"
    before = _access_rows(engine)
    if not allowed:
        with pytest.raises(NotPermitted, match="permission db.backup"):
            backup_database(acting, engine, target)
        assert not target.exists() and _access_rows(engine) == before
    elif engine.dialect.name == "sqlite":
        assert backup_database(acting, engine, target).target == target
        with sqlite3.connect(target) as copy:  # the copy holds the row that says who took it
            assert copy.execute("SELECT login, what FROM access_log").fetchall()[-1] == (login, "database backup")
    else:
        with pytest.raises(BadInput, match="pg_dump"):
            backup_database(acting, engine, target)
        assert not target.exists() and _access_rows(engine) == before


def test_backup_in_single_user_mode_is_allowed(ctx: ServiceContext, engine: Engine, tmp_path: Path) -> None:
    """No users registered: the one person at the terminal may back up (PostgreSQL: pg_dump advice)."""
    from pathway.services.backup import backup_database

    assert ctx.user is None
    if engine.dialect.name == "sqlite":
        assert backup_database(ctx, engine, tmp_path / "b.db").pages > 0
    else:
        with pytest.raises(BadInput, match="pg_dump"):
            backup_database(ctx, engine, tmp_path / "b.db")
