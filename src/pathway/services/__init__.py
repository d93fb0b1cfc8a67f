"""Use cases: the only code that coordinates the engine and the store in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathway.services.context import ServiceContext

__all__ = ["ServiceContext"]


def __getattr__(name: str) -> Any:
    """``ServiceContext`` on first use: importing one use case module does not load the store."""
    if name == "ServiceContext":
        from pathway.services.context import ServiceContext

        return ServiceContext
    raise AttributeError(f"module 'pathway.services' has no attribute {name!r}")
