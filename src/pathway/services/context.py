"""What every use case needs, handed in by :mod:`pathway.bootstrap` (or by a test, with fakes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pathway.clock import Clock
from pathway.domain.users import User
from pathway.services.catalog import WorkflowCatalog
from pathway.services.notify import Notifier
from pathway.store.uow import UnitOfWork


@dataclass
class ServiceContext:
    uow: Callable[[], UnitOfWork]
    catalog: WorkflowCatalog
    clock: Clock
    #: the name recorded on events: the acting user's login (or, in single-user mode, the OS user
    #: or --actor); "admin (on behalf of NAME)" when an admin records for someone else
    actor: str
    notifier: Notifier = field(default_factory=lambda: Notifier([]))
    #: the registered user acting; None only in single-user mode (no users registered), where
    #: every use case is allowed (see :mod:`pathway.services.policy`)
    user: User | None = None
    #: the active admins' logins, named in refusals as who can grant a permission
    admins: tuple[str, ...] = ()
    #: permissions an enclosing use case already checked for the use cases it runs (an import
    #: runs enrol, fire, set and consent under 'import.run')
    granted: frozenset[str] = frozenset()
    #: why data is read, written to the access log with each read (e.g. "uppföljning")
    purpose: str | None = None
    #: the participant's last event number the caller saw (a web form); a write use case refuses
    #: with ConcurrentChange when the participant has moved on since (None: no such check)
    expected_seq: int | None = None

    @property
    def actor_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def actor_agency(self) -> str | None:
        return self.user.agency if self.user is not None else None
