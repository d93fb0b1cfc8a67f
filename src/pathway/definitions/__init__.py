"""Workflow files: YAML → pydantic models, with located errors and graph checks.

The names below load on first use (PEP 562): importing :mod:`pathway.definitions.national` or
another light module does not build the models or load the YAML parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathway.definitions.loader import LoadedWorkflow, ValidationReport, load_file, load_text, validate_text
    from pathway.definitions.models import Workflow

__all__ = ["LoadedWorkflow", "ValidationReport", "Workflow", "load_file", "load_text", "validate_text"]


def __getattr__(name: str) -> Any:
    if name == "Workflow":
        from pathway.definitions.models import Workflow

        return Workflow
    if name in __all__:
        from pathway.definitions import loader

        return getattr(loader, name)
    raise AttributeError(f"module 'pathway.definitions' has no attribute {name!r}")
