"""docs/access.md's PostgreSQL roles do what the docs say: the operator writes but never changes the
history or the access log; the reporting role reads the history, never identities, and never writes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import ProgrammingError, InternalError

from pathway.store.migrate import upgrade

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"


@pytest.fixture
def roles(postgres_url: str) -> Iterator[tuple[Engine, str, str, str]]:
    """The doc's SQL run on a scratch schema, with role names of this test's own (dropped after)."""
    tag = uuid.uuid4().hex[:8]
    schema, operator, reporting = f"roles_{tag}", f"pathway_operator_{tag}", f"pathway_reporting_{tag}"
    owner = create_engine(postgres_url, connect_args={"options": f"-csearch_path={schema}"})
    with owner.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    upgrade(owner)
    sql = re.search(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)  # type: ignore[union-attr]
    database = owner.url.database
    sql = (sql.replace("pathway_operator", operator).replace("pathway_reporting", reporting)
           .replace("SCHEMA public", f'SCHEMA "{schema}"').replace("DATABASE pathway", f'DATABASE "{database}"'))
    code = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    with owner.begin() as conn:
        for statement in [s for s in code.split(";") if s.strip()]:
            conn.execute(text(statement))
    try:
        yield owner, schema, operator, reporting
    finally:
        with owner.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            for role in (operator, reporting):
                conn.execute(text(f'DROP OWNED BY "{role}"'))
                conn.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()


def _as(owner: Engine, schema: str, role: str, statement: str) -> None:
    with owner.begin() as conn:
        conn.execute(text(f'SET LOCAL ROLE "{role}"'))
        conn.execute(text(f'SET LOCAL search_path = "{schema}"'))
        if role.startswith("pathway_reporting"):
            conn.execute(text("SET LOCAL default_transaction_read_only = on"))
            conn.execute(text("SET TRANSACTION READ ONLY"))
        conn.execute(text(statement))


def test_operator_and_reporting_roles_do_what_the_docs_say(roles: tuple[Engine, str, str, str]) -> None:
    """Operator: inserts users and log rows, may not delete the access log. Reporting: reads events,
    may not read identities, may not write."""
    owner, schema, operator, reporting = roles
    now = "'2026-03-02T09:00:00+00'"
    _as(owner, schema, operator, "INSERT INTO users (login, display_name, agency, roles, workflows, active, "
        f"created_at, updated_at) VALUES ('a', 'A', 'soc', '[]', '[]', true, {now}, {now})")
    _as(owner, schema, operator, f"INSERT INTO access_log (at, login, what) VALUES ({now}, 'a', 'show')")
    with pytest.raises(ProgrammingError, match="permission denied"):
        _as(owner, schema, operator, "DELETE FROM access_log")
    _as(owner, schema, reporting, "SELECT count(*) FROM events")
    with pytest.raises(ProgrammingError, match="permission denied"):
        _as(owner, schema, reporting, "SELECT count(*) FROM identities")
    with pytest.raises((ProgrammingError, InternalError)):
        _as(owner, schema, reporting, "DELETE FROM participants")
