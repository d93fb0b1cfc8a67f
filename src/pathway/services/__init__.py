"""Use cases: the only code that coordinates the engine and the store in one transaction."""

from pathway.services.context import ServiceContext

__all__ = ["ServiceContext"]
