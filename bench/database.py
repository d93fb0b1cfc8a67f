"""The set-up the service benches share: a workflows folder, a migrated database of their own (a
temporary SQLite file, or a PostgreSQL schema made for the run and dropped after it) and a service
context on it, as the CLI wires one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text

from pathway.clock import FixedClock
from pathway.services.catalog import WorkflowCatalog
from pathway.services.context import ServiceContext
from pathway.store import SqlUnitOfWork, make_engine
from pathway.store.migrate import upgrade


def workflows_folder(tmp: str | Path, **workflows: str) -> Path:
    """``tmp/workflows`` holding each ``name=yaml_text`` as ``name.yaml``."""
    folder = Path(tmp) / "workflows"
    folder.mkdir(exist_ok=True)
    for name, yaml_text in workflows.items():
        (folder / f"{name}.yaml").write_text(yaml_text, encoding="utf-8")
    return folder


@contextmanager
def bench_database(tmp: str | Path, url: str | None, prefix: str = "bench", *, name: str = "bench",
                   normal_sync: bool = False) -> Iterator[Engine]:
    """A migrated database for one run: ``tmp/NAME.db``, or a fresh schema in the PostgreSQL ``url``
    (dropped afterwards, so a bench never touches another run's or a test's tables). Both are made by
    :func:`pathway.store.make_engine`, as the CLI makes them; ``normal_sync``: SQLite with
    synchronous=NORMAL (the commit not flushed to disk) instead of the engine's durable FULL."""
    if not url:
        engine = make_engine(f"sqlite:///{Path(tmp) / (name + '.db')}")
        if normal_sync:
            _normal_sync(engine)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
        return
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _normal_sync(engine: Engine) -> None:
    """synchronous=NORMAL on every new SQLite connection (after the engine's own hook sets FULL)."""
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def service_context(engine: Engine, folder: Path, clock: FixedClock, actor: str = "bench") -> ServiceContext:
    """A context on ``engine`` as :func:`pathway.bootstrap.bootstrap` wires one (no identity keys)."""
    return ServiceContext(uow=lambda: SqlUnitOfWork(engine), catalog=WorkflowCatalog(folder, clock),
                          clock=clock, actor=actor)
