"""``pathway db backup``: the use case around :mod:`pathway.store.backup`.

A backup is a copy of every participant's data, so it is not a housekeeping chore anyone may run:
the access policy asks for ``db.backup`` (an admin, or a service account such as the cron job that
takes the nightly copy) before the file is created, and the copy is written to the access log (who,
when; never the file's contents). A refusal raises :class:`~pathway.errors.NotPermitted` (CLI exit
3) and no file is made. In single-user mode, as everywhere, it is allowed.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.store.backup import BackupResult, backup, check_target


def backup_database(ctx: ServiceContext, engine: Engine, target: Path) -> BackupResult:
    """Check the policy, log the read, then copy the SQLite database behind ``engine`` to ``target``."""
    policy.require(ctx, "db.backup")
    check_target(engine, target)  # a request that cannot be done is refused before it is logged
    # logged before the copy, so the copy holds the row that says who took it
    policy.log_read_apart(ctx, None, "database backup")
    return backup(engine, target)


__all__ = ["backup_database"]
