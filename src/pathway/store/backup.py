"""``pathway db backup``: a consistent copy of the embedded SQLite database.

A file copy of a database in WAL mode is not a backup: the newest transactions may still be in
``-wal`` and the copy can catch the file half-way through a checkpoint. SQLite's online backup API
(:meth:`sqlite3.Connection.backup`) copies the pages of one consistent snapshot while other
processes go on reading and writing. PostgreSQL is backed up with its own tool, ``pg_dump``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from pathway.errors import BadInput
from pathway.files import create_private

PG_DUMP_HINT = (
    "PostgreSQL is backed up with its own tool: pg_dump --format=custom --file=FILE DATABASE-URL "
    "(restore with pg_restore); see README 'Backups'"
)


@dataclass(frozen=True)
class BackupResult:
    target: Path
    pages: int
    size: int


def check_target(engine: Engine, target: Path) -> Path:
    """The database file to copy, or :class:`BadInput` saying why ``target`` cannot be made from it."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        raise BadInput(f"'pathway db backup' copies an SQLite database file; {PG_DUMP_HINT}")
    if target.exists():
        raise BadInput(f"{target} already exists; give a new file name (a backup never overwrites one)")
    if not target.parent.is_dir():
        raise BadInput(f"cannot write {target}: the folder {target.parent} does not exist")
    source_path = Path(engine.url.database)
    if not source_path.exists():
        raise BadInput(f"there is no database at {source_path}")
    return source_path


def backup(engine: Engine, target: Path) -> BackupResult:
    """Copy the SQLite database behind ``engine`` to ``target`` (a new file, mode 0600) and check it."""
    source_path = check_target(engine, target)
    try:
        create_private(target)
    except OSError as err:
        raise BadInput(f"cannot write {target}: {err.strerror}") from None
    source = sqlite3.connect(source_path, timeout=30)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
        # a backup that is not in WAL mode is one self-contained file
        destination.execute("PRAGMA journal_mode=DELETE")
        check = destination.execute("PRAGMA integrity_check").fetchone()[0]
        pages = destination.execute("PRAGMA page_count").fetchone()[0]
    except sqlite3.Error as err:
        destination.close()
        target.unlink(missing_ok=True)
        raise BadInput(f"backup of {source_path} failed: {err}; nothing was kept") from None
    finally:
        source.close()
    destination.close()
    if check != "ok":
        target.unlink(missing_ok=True)
        raise BadInput(f"the copy of {source_path} failed SQLite's integrity check ({check}); nothing was kept")
    return BackupResult(target, pages, target.stat().st_size)
