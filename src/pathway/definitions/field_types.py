"""The types a workflow's fields may have, apart from the workflow models.

Typed values (:mod:`pathway.engine.values`) switch on the type, and the CLI parses ``--attr``
through that module: kept here, a command that only lists participants does not build the workflow
models (pydantic) to name an enum. :mod:`pathway.definitions.models` re-exports it.
"""

from __future__ import annotations

from enum import StrEnum


class FieldType(StrEnum):
    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    #: One code from the workflow's ``exit_reasons``.
    EXIT_REASON = "exit_reason"
    #: Several codes from the workflow's ``exit_reasons`` (multi-label outcomes, as in Kraft).
    EXIT_REASONS = "exit_reasons"
