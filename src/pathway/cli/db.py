"""``pathway db …``: schema migrations (Alembic)."""

from __future__ import annotations

from typing import Annotated

import typer

from pathway.cli.output import console
from pathway.cli.state import state
from pathway.store import make_engine
from pathway.store.migrate import current_revision, head_revision, upgrade as run_upgrade
from pathway.store.database import check_connection

app = typer.Typer(help="Create or migrate the database schema.", no_args_is_help=True)


@app.command()
def upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Option(help="target revision")] = "head",
) -> None:
    """Migrate the database to the newest schema (SQLite is also upgraded automatically).

    Example: pathway --db postgresql+psycopg://postgres@127.0.0.1:5432/pathway db upgrade
    """
    engine = make_engine(state(ctx).settings.database_url)
    before, after = run_upgrade(engine, revision)
    console.print(f"database at revision {after} (was {before or 'empty'})", markup=False)


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the database's schema revision and the newest one this version of pathway knows.

    Example: pathway db current
    """
    engine = make_engine(state(ctx).settings.database_url)
    check_connection(engine)
    console.print(f"current: {current_revision(engine) or 'empty'}  head: {head_revision()}", markup=False)
