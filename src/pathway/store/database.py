"""Connecting to the database, and keeping its schema at the newest migration.

SQLite is the embedded default: WAL journal, foreign keys on, every commit flushed to disk before
the command says it is done (synchronous=FULL, as PostgreSQL's default commit is), and every
transaction opened with ``BEGIN IMMEDIATE`` so two writers queue on SQLite's write lock (with a busy
timeout) instead of failing half-way. PostgreSQL is used through psycopg 3.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError

from pathway.errors import DatabaseNotReady, InvalidValue
from pathway.files import create_private

ACCEPTED_URLS = (
    "use sqlite:///FILE (the default is sqlite:///pathway.db) or "
    "postgresql+psycopg://USER@HOST:PORT/DATABASE"
)
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: PostgreSQL connections are replaced after this long (servers and firewalls drop idle ones).
POOL_RECYCLE_SECONDS = 600

#: Commits made by this process, on any engine: after an unexpected error the CLI can say whether
#: "nothing was written" is true.
commits = 0

#: Execution option for a connection that only reads: on SQLite its transaction does not take the
#: write lock; on PostgreSQL the server refuses any write in it.
READ_ONLY = "pathway_read_only"


def read_only_options(dialect: str) -> dict[str, object]:
    """Execution options for a transaction that only reads and sees one snapshot throughout.

    SQLite's deferred transaction in WAL mode is a snapshot from its first read; PostgreSQL needs
    REPEATABLE READ for that (its default, READ COMMITTED, sees each commit as it happens).
    """
    if dialect == "postgresql":
        return {READ_ONLY: True, "postgresql_readonly": True, "isolation_level": "REPEATABLE READ"}
    return {READ_ONLY: True}


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as psycopg 3 URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database, in-memory SQLite or a malformed URL)."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidValue("database URL", url, ACCEPTED_URLS) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().resolve().parent
            if not folder.is_dir():
                raise InvalidValue("database URL", url, f"the folder {folder} does not exist")
            # readable by its owner only; SQLite gives the -wal and -shm files the same mode
            create_private(Path(parsed.database).expanduser())
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                               hide_parameters=True)
        _configure_sqlite(engine)
        return _counting_commits(engine)
    if parsed.get_backend_name() != "postgresql":
        raise InvalidValue("database URL", url, ACCEPTED_URLS)
    try:
        # no pool_pre_ping: it costs a round trip on every checkout, i.e. per operation. A CLI command
        # is a fresh process; the long-running scheduler recycles connections older than this instead.
        # hide_parameters: an error's text names the statement but never the values (personal data)
        return _counting_commits(create_engine(parsed, pool_recycle=POOL_RECYCLE_SECONDS, hide_parameters=True))
    except ImportError:
        raise InvalidValue("database URL", url, "PostgreSQL needs its driver: pip install 'pathway-rehab[postgres]'") from None
    except ArgumentError as err:
        raise InvalidValue("database URL", url, f"{err}; {ACCEPTED_URLS}") from None


def _counting_commits(engine: Engine) -> Engine:
    @event.listens_for(engine, "commit")
    def _on_commit(_connection: object) -> None:
        global commits
        commits += 1

    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # durable commits: a recorded consent or meeting survives a power cut or an OS crash once the
        # command has said it is done. WAL's NORMAL would not flush the commit (the database stays
        # consistent, but the last commits may be lost); FULL costs each commit one fsync of the WAL.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # a read-only transaction (reports) reads a snapshot without taking the write lock
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        statement = "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE"
        # on the driver's connection: the same statement without SQLAlchemy's per-statement set-up,
        # which cost a tenth of a whole transition; a driver error is raised as SQLAlchemy's
        # (a busy database is an OperationalError, as from any other statement)
        try:
            connection.connection.driver_connection.execute(statement)
        except sqlite3.Error as err:
            raise DBAPIError.instance(statement, (), err, sqlite3.Error, hide_parameters=True,
                                      dialect=connection.dialect) from err


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as err:
        raise DatabaseNotReady(_safe_url(engine), str(err.orig).strip().splitlines()[0]) from None


def _safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def has_tables(engine: Engine) -> bool:
    try:
        return inspect(engine).has_table("participants")
    except SQLAlchemyError:
        return False
