"""What every use case needs, handed in by :mod:`pathway.bootstrap` (or by a test, with fakes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pathway.clock import Clock
from pathway.services.catalog import WorkflowCatalog
from pathway.services.notify import Notifier
from pathway.store.uow import UnitOfWork


@dataclass
class ServiceContext:
    uow: Callable[[], UnitOfWork]
    catalog: WorkflowCatalog
    clock: Clock
    actor: str
    notifier: Notifier = field(default_factory=lambda: Notifier([]))
