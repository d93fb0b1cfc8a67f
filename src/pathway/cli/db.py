"""``pathway db …``: schema migrations (Alembic)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pathway.cli.output import console, print_note
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
    settings = state(ctx).settings
    engine = make_engine(settings.database_url)
    before, after = run_upgrade(engine, revision, settings.identity_keys())
    console.print(f"database at revision {after} (was {before or 'empty'})", markup=False)
    if before is None:
        from pathway.services.users import SINGLE_USER_NOTE

        print_note(SINGLE_USER_NOTE)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create a new database on purpose (SQLite file or an empty PostgreSQL database) at the newest schema.

    Other commands refuse to create a fresh SQLite file where there is no workflows folder and no
    pathway.toml (a command run in the wrong folder); this one does it on purpose.

    Example: pathway --db sqlite:///pathway.db db init
    """
    url = state(ctx).settings.database_url
    engine = make_engine(url)
    check_connection(engine)
    existing = current_revision(engine)
    if existing is not None:
        console.print(f"database {engine.url.render_as_string(hide_password=True)} already exists "
                      f"(revision {existing}); nothing done — 'pathway db upgrade' migrates it", markup=False)
        return
    _before, after = run_upgrade(engine)
    console.print(f"created database {engine.url.render_as_string(hide_password=True)} at revision {after}",
                  markup=False)
    from pathway.services.users import SINGLE_USER_NOTE

    print_note(SINGLE_USER_NOTE)


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the database's schema revision and the newest one this version of pathway knows.

    Example: pathway db current
    """
    engine = make_engine(state(ctx).settings.database_url)
    check_connection(engine)
    console.print(f"current: {current_revision(engine) or 'empty'}  head: {head_revision()}", markup=False)


@app.command()
def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="the backup file to create (never overwritten; mode 0600)")],
) -> None:
    """Back up the SQLite database with SQLite's online backup (consistent while others write).

    A plain copy of a database in WAL mode is not a backup. For PostgreSQL use pg_dump
    (see README 'Backups'). Needs an admin or a service account (permission db.backup); the copy is
    written to the access log.

    Example: pathway db backup /var/backups/pathway/pathway-2026-12-06.db
    """
    from pathway.services.backup import backup_database

    cli_state = state(ctx)
    engine = make_engine(cli_state.settings.database_url)
    result = backup_database(cli_state.services(), engine, file)
    console.print(f"backed up {engine.url.database} to {result.target} ({result.pages} pages, "
                  f"{result.size} bytes; integrity check ok)", markup=False)
