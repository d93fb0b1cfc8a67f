"""Integration fixtures: one store suite run against SQLite (a temp file) and PostgreSQL.

Every test gets a database of its own: a fresh SQLite file, or a PostgreSQL schema
``pathway_test_<random>`` (reached through ``search_path``). A migrated one (``engine``) is a copy of
a SQLite file migrated once per session, or a schema migrated once and emptied after each test that
used it (:class:`PostgresPool`): running the migrations for every test cost most of the suite's time.
PostgreSQL comes from ``PATHWAY_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); when it cannot be reached the PostgreSQL
runs are skipped — or fail, when ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from pathway.clock import FixedClock
from pathway.files import PRIVATE_FILE
from pathway.services.catalog import WorkflowCatalog
from pathway.services.context import ServiceContext
from pathway.store import SqlUnitOfWork, make_engine
from pathway.store.database import normalise_url
from pathway.store.migrate import SCHEMA_HEAD, upgrade
from tests.keys import TEST_KEYS

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: A start time with microseconds, to prove they survive the round trip.
START = datetime(2026, 3, 2, 8, 30, 15, 123456, tzinfo=timezone.utc)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]

DEMO_WORKFLOW = """\
id: demo
version: 1
title: Demo
roles:
  - {id: coach, title: Coach}
attributes:
  gender: {type: choice, choices: [female, male, other]}
  ready: {type: boolean}
  start_date: {type: date}
  hours: {type: number}
exit_reasons:
  - {code: work, label: Arbete, category: work}
  - {code: studies, label: Studier, category: studies}
  - {code: ended, label: Avbrott, category: other}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true}
  - {id: mapping, title: Kartläggning, kind: assessment, owner: coach}
  - {id: training, title: Praktik, kind: placement, owner: coach}
  - {id: studies, title: Studier, kind: guidance, owner: coach}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: assess, from: referral, to: mapping}
  - trigger: place
    from: mapping
    to: training
    guards:
      - {name: attributes_true, args: {attributes: [ready]}}
      - {name: data_in, args: {field: track, values: [work]}}
    data: {track: {type: choice, choices: [work, study], required: true}}
  - trigger: place
    from: mapping
    to: studies
    guards:
      - {name: attributes_true, args: {attributes: [ready]}}
      - {name: data_in, args: {field: track, values: [study]}}
    data: {track: {type: choice, choices: [work, study], required: true}}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
"""


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server to test against; skip (or fail on CI) when it cannot be reached."""
    url = normalise_url(os.environ.get("PATHWAY_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)
    probe = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, ImportError) as err:
        lines = str(getattr(err, "orig", None) or err).strip().splitlines()
        detail = lines[0] if lines else type(err).__name__
        message = (
            f"PostgreSQL at {probe.url.render_as_string(hide_password=True)} is not reachable ({detail}); "
            "start PostgreSQL on 127.0.0.1:5432 with a database 'test', or set PATHWAY_TEST_POSTGRES_URL"
        )
        if os.environ.get("CI", "").strip().lower() in {"true", "1"}:
            pytest.fail(f"CI=true, so the PostgreSQL tests must run: {message}", pytrace=False)
        pytest.skip(message)
    finally:
        probe.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The back end under test: 'sqlite' or 'postgresql'."""
    return request.param


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session: a test that wants a migrated database gets a
    copy (a file copy costs milliseconds; running the migrations costs a third of a second)."""
    path = tmp_path_factory.mktemp("template") / "pathway.db"
    template = make_engine(f"sqlite:///{path}")
    upgrade(template)
    template.dispose()  # the last connection checkpoints the WAL into the file: the file is the database
    assert not path.with_name(path.name + "-wal").exists(), "the template's WAL was not checkpointed"
    return path


class PostgresPool:
    """Schemas migrated to head, reused by one test after another.

    A test takes a schema (a new one is created and migrated only when none is free) and gives it
    back emptied: every row deleted in foreign-key order and every used sequence restarted, which is
    what the migrations leave (they insert nothing but ``alembic_version``). A schema that comes back
    changed (another revision, other tables) or cannot be emptied is dropped instead of reused.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = create_engine(url)
        self.free: list[str] = []
        self.taken: set[str] = set()
        self.tables: list[str] = []  # children first: the order to delete in

    def take(self) -> str:
        if self.free:
            schema = self.free.pop()
        else:
            schema = f"pathway_test_{uuid.uuid4().hex[:12]}"
            with self.admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            owner = create_engine(self.url, connect_args={"options": f"-csearch_path={schema}"})
            try:
                upgrade(owner)
                if not self.tables:
                    order = [name for name, _ in inspect(owner).get_sorted_table_and_fkc_names() if name]
                    self.tables = [t for t in reversed(order) if t != "alembic_version"]
            finally:
                owner.dispose()
        self.taken.add(schema)
        return schema

    def give_back(self, schema: str) -> None:
        self.taken.discard(schema)
        try:
            with self.admin.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '5s'"))
                conn.execute(text(f'SET LOCAL search_path TO "{schema}"'))
                found = set(conn.execute(text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": schema}).scalars())
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                    if "alembic_version" in found else None
                if revision != SCHEMA_HEAD or found != {*self.tables, "alembic_version"}:
                    raise LookupError(f"schema {schema} came back at {revision} with other tables")
                for table in self.tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
                used = conn.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = :s "
                                         "AND last_value IS NOT NULL"), {"s": schema}).scalars().all()
                for sequence in used:
                    conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
        except (SQLAlchemyError, LookupError):
            self.drop(schema)
            return
        self.free.append(schema)

    def drop(self, schema: str) -> None:
        with self.admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def close(self) -> None:
        for schema in [*self.free, *self.taken]:
            self.drop(schema)
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_pool(postgres_url: str) -> Iterator[PostgresPool]:
    """Migrated PostgreSQL schemas, reused test after test (see :class:`PostgresPool`)."""
    pool = PostgresPool(postgres_url)
    try:
        yield pool
    finally:
        pool.close()


class EngineFactory:
    """Makes engines on one database of this test's own; ``migrated`` says it is at head already."""

    def __init__(self, make: Callable[[], Engine], migrated: bool) -> None:
        self.make = make
        self.migrated = migrated
        self.engines: list[Engine] = []

    def __call__(self) -> Engine:
        self.engines.append(self.make())
        return self.engines[-1]

    def dispose(self) -> None:
        for engine in self.engines:
            engine.dispose()


@pytest.fixture
def new_engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Engine]]:
    """A factory of engines on one fresh database of this test's own: empty (unmigrated), unless the
    test also uses ``engine`` — then a copy of the session's migrated template (SQLite) or an emptied
    migrated schema from the pool (PostgreSQL), which is what migrating an empty database gives."""
    migrated = "engine" in request.fixturenames
    if backend == "sqlite":
        path = tmp_path / "pathway.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            os.chmod(path, PRIVATE_FILE)
        url = f"sqlite:///{path}"
        factory = EngineFactory(lambda: make_engine(url), migrated)
        yield factory
        factory.dispose()
        return

    pg_url = request.getfixturevalue("postgres_url")
    pool: PostgresPool | None = request.getfixturevalue("postgres_pool") if migrated else None
    if pool is not None:
        schema = pool.take()
    else:
        schema = f"pathway_test_{uuid.uuid4().hex[:12]}"
        with create_engine(pg_url).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    factory = EngineFactory(lambda: create_engine(pg_url, connect_args={"options": f"-csearch_path={schema}"}), migrated)
    try:
        yield factory
    finally:
        factory.dispose()
        if pool is not None:
            pool.give_back(schema)
        else:
            admin = create_engine(pg_url)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture
def engine(new_engine: Callable[[], Engine]) -> Engine:
    """An engine on a fresh database migrated to head."""
    eng = new_engine()
    if not getattr(new_engine, "migrated", False):
        upgrade(eng)
    return eng


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at START until a test moves it."""
    return FixedClock(START)


@pytest.fixture
def workflows(tmp_path: Path) -> Path:
    """A workflows folder holding demo.yaml (named after its id)."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "demo.yaml").write_text(DEMO_WORKFLOW, encoding="utf-8")
    return folder


def make_context(engine: Engine, workflows: Path, clock: FixedClock, actor: str = "anna") -> ServiceContext:
    """A ServiceContext wired by hand, as pathway.bootstrap does, on the given engine."""
    return ServiceContext(
        uow=lambda: SqlUnitOfWork(engine, TEST_KEYS),
        catalog=WorkflowCatalog(workflows, clock),
        clock=clock,
        actor=actor,
    )


@pytest.fixture
def ctx(engine: Engine, workflows: Path, clock: FixedClock) -> ServiceContext:
    return make_context(engine, workflows, clock)


#: (login, display name, agency, roles, workflows) of a registered user
Person = tuple[str, str, str, list[str], list[str]]
Team = Callable[[str], ServiceContext]


def make_team(engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext,
              people: Iterable[Person]) -> Team:
    """Register an admin ``root`` and ``people`` (as ``pathway user add`` would); ``team(login)`` is then
    that user's context, resolved from the users table as the CLI resolves the OS user."""
    from pathway.services import users

    users.add_user(ctx, "root", "Rut Root", "coordination", admin=True)

    def as_(login: str) -> ServiceContext:
        acting = make_context(engine, workflows, clock, actor=login)
        users.resolve(acting, login)
        return acting

    admin = as_("root")
    for login, name, agency, roles, member_of in people:
        users.add_user(admin, login, name, agency, roles, member_of)
    return as_


def _tables(engine: Engine) -> list[str]:
    return sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every pathway table, for 'nothing was written' assertions."""
    with engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))] for t in _tables(engine)}


def counts(engine: Engine) -> dict[str, int]:
    """Row counts of every pathway table."""
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in _tables(engine)}
