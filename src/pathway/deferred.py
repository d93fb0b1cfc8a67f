"""Names that a module uses in a few of its functions, imported when one of those first runs.

A use-case module names everything its use cases call at its top, so a command that needs one use
case pays for the import of all the others' dependencies: ``pathway participant list`` loaded the
deadline planner, the guards, the step kinds' settings and the identity register through
``services/participants.py`` and never called them (issue 10: each command ≤ 1.2× the import of
the libraries it needs). A module binds such a name to :func:`function` or :func:`module` and
keeps the real import under ``TYPE_CHECKING``, so the type checker still sees the real signature.

A stand-in function resolves its target on its first call and keeps it, as ``from … import`` binds
a name once (a write's hot path calls some of these per event: after the first call, the cost is one
extra Python call). A stand-in module resolves each attribute when it is read, as a module does.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any


def function(module: str, name: str) -> Callable[..., Any]:
    """A stand-in for ``from module import name`` (a function or class) that imports on its first call."""

    target: Callable[..., Any] | None = None

    def call(*args: Any, **kwargs: Any) -> Any:
        nonlocal target
        if target is None:
            target = getattr(importlib.import_module(module), name)
        return target(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{module}.{name}, imported on first call"
    return call


class _Module:
    """A stand-in for ``from package import module``: attribute access imports it."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        target: ModuleType = importlib.import_module(self._name)
        return getattr(target, attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def module(name: str) -> Any:
    """A stand-in for ``from package import module`` that imports it on first attribute access."""
    return _Module(name)
