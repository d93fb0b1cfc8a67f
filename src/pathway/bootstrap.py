"""The one place that wires settings, database, clock and logging into a :class:`ServiceContext`.

The CLI calls :func:`bootstrap` once per command; tests call it with a temporary database and a
fixed clock.
"""

from __future__ import annotations

from pathway import limits
from pathway.clock import Clock, make_clock
from pathway.config import Settings, _os_user, settings_file
from pathway.errors import NoDatabaseHere
from pathway.log import configure_logging
from pathway.services.catalog import WorkflowCatalog
from pathway.services.context import ServiceContext
from pathway.services import users
from pathway.services.notify import Notifier, notifier_from_settings
from pathway.store import SqlUnitOfWork, make_engine
from pathway.store.database import is_sqlite, sqlite_file
from pathway.store.migrate import current_revision, ensure_schema


__all__ = ["bootstrap", "make_clock", "refuse_accidental_database"]


def refuse_accidental_database(settings: Settings) -> None:
    """A command run in the wrong folder (no database file, no workflows folder, no settings file)
    must not silently create and use a fresh, empty SQLite database: a cron job started there would
    check nothing and say all is well. ``pathway db init`` creates one on purpose."""
    path = sqlite_file(settings.database_url)
    if path is None or path.exists():
        return
    if settings.workflows.is_dir() or settings_file().is_file():
        return
    raise NoDatabaseHere(str(path.resolve()), f"'{settings.workflows}'", f"'{settings_file()}'")


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None,
              notifier: Notifier | None = None, notes: list[str] | None = None) -> ServiceContext:
    """Wire the services and resolve the acting user (see :func:`pathway.services.users.resolve`).

    ``notes`` collects what the user should be told once: single-user mode, when this call created
    the database.
    """
    settings = settings or Settings()
    limits.check_actor(settings.actor)
    if settings.purpose is not None:  # kept in the access log for years: one line, and no personnummer
        limits.check_text("--purpose / PATHWAY_PURPOSE", settings.purpose, limits.MAX_PURPOSE, multiline=False)
    configure_logging(settings.log_level or "warning")
    refuse_accidental_database(settings)
    clock = clock or make_clock(settings)
    engine = make_engine(settings.database_url)
    keys = settings.identity_keys()
    created = current_revision(engine) is None if is_sqlite(engine) else False
    ensure_schema(engine, keys)
    ctx = ServiceContext(
        uow=lambda: SqlUnitOfWork(engine, keys),
        catalog=WorkflowCatalog(settings.workflows, clock),
        clock=clock,
        actor=settings.actor,
        notifier=notifier or notifier_from_settings(
            settings.notify_outbox, settings.notify_webhook, settings.notify_webhook_timeout,
            settings.notify_webhook_connect_timeout),
    )
    login = settings.user or _os_user()
    on_behalf_of = settings.actor if "actor" in settings.model_fields_set else None
    users.resolve(ctx, login, on_behalf_of)
    ctx.purpose = settings.purpose
    if created and ctx.user is None and notes is not None:
        notes.append(users.SINGLE_USER_NOTE)
    return ctx
