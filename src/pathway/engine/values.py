"""Typed values for attributes and trigger data: coerce what a user typed, refuse what is wrong.

Values arrive as text from the CLI (``--attr born_abroad=yes``) or typed from JSON imports; both go
through :func:`coerce`. Stored values are JSON (dates as ISO text) and are coerced again when read,
so guards always see real dates and booleans.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pathway import limits
from pathway.clock import ACCEPTED_TIME, parse_time
from pathway.definitions.field_types import FieldType
from pathway.errors import BadInput, BeyondLimits, InvalidValue

if TYPE_CHECKING:  # annotations only: parsing `--attr` builds no workflow model
    from pathway.definitions.models import FieldSpec, Workflow

TRUE_WORDS = {"true", "yes", "ja", "1", "y", "j"}
FALSE_WORDS = {"false", "no", "nej", "0", "n"}


def _accepted(spec: FieldSpec, exit_codes: list[str]) -> str:
    match spec.type:
        case FieldType.BOOLEAN:
            return "use true or false (yes/no, ja/nej)"
        case FieldType.INTEGER:
            return "use a whole number"
        case FieldType.NUMBER:
            return "use a number, e.g. 10 or 10.5"
        case FieldType.DATE:
            return "use an ISO date, e.g. 2026-03-02"
        case FieldType.DATETIME:
            return ACCEPTED_TIME
        case FieldType.CHOICE:
            return f"use one of: {', '.join(spec.choices or [])}"
        case FieldType.MULTI_CHOICE:
            return f"use one or more of (comma-separated): {', '.join(spec.choices or [])}"
        case FieldType.EXIT_REASON:
            return f"use one of the exit reasons: {', '.join(exit_codes)}"
        case FieldType.EXIT_REASONS:
            return f"use one or more exit reasons (comma-separated): {', '.join(exit_codes)}"
    return "use text"


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Iterable):
        return [str(part) for part in value]
    raise ValueError


def _coerce(spec: FieldSpec, value: Any, exit_codes: list[str], what: str, checked: bool) -> Any:
    """The typed value; with ``checked`` (input, not stored values) within :mod:`pathway.limits`."""
    if checked and isinstance(value, str) and len(value) > limits.MAX_TEXT:  # never parse (or echo) a huge paste
        raise BeyondLimits(what, f"{len(value)} characters", f"at most {limits.MAX_TEXT} characters are accepted")
    text = value.strip() if isinstance(value, str) else value
    match spec.type:
        case FieldType.STRING | FieldType.TEXT:
            if not isinstance(text, (str, int, float)) or isinstance(text, bool):
                raise ValueError
            if not checked:
                return str(text)
            if spec.type == FieldType.STRING:
                return limits.check_text(what, str(text), limits.MAX_STRING, multiline=False)
            return limits.check_text(what, str(text), limits.MAX_TEXT)
        case FieldType.BOOLEAN:
            if isinstance(text, bool):
                return text
            lowered = str(text).lower()
            if lowered in TRUE_WORDS:
                return True
            if lowered in FALSE_WORDS:
                return False
            raise ValueError
        case FieldType.INTEGER:
            if isinstance(text, bool):
                raise ValueError
            number = float(text) if isinstance(text, str) and "." in text else text
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            return limits.check_number(int(number), what, spec.min, spec.max) if checked else int(number)
        case FieldType.NUMBER:
            if isinstance(text, bool):
                raise ValueError
            number = float(str(text).replace(",", "."))
            if not math.isfinite(number):  # nan/inf cannot be stored as JSON
                raise ValueError
            return limits.check_number(number, what, spec.min, spec.max) if checked else number
        case FieldType.DATE:
            if isinstance(text, datetime):
                day = text.date()
            elif isinstance(text, date):
                day = text
            else:
                day = date.fromisoformat(str(text))
            return limits.check_date(day, what) if checked else day
        case FieldType.DATETIME:
            if isinstance(text, datetime):
                return text
            return parse_time(str(text))
        case FieldType.CHOICE:
            if str(text) not in (spec.choices or []):
                raise ValueError
            return str(text)
        case FieldType.MULTI_CHOICE:
            chosen = _listed(text)
            if not chosen or any(c not in (spec.choices or []) for c in chosen):
                raise ValueError
            return sorted(set(chosen), key=chosen.index)
        case FieldType.EXIT_REASON:
            if str(text) not in exit_codes:
                raise ValueError
            return str(text)
        case FieldType.EXIT_REASONS:
            chosen = _listed(text)
            if not chosen or any(c not in exit_codes for c in chosen):
                raise ValueError
            return sorted(set(chosen), key=chosen.index)
    raise ValueError


def coerce(spec: FieldSpec, value: Any, what: str, exit_codes: list[str] | None = None,
           checked: bool = True) -> Any:
    """Turn ``value`` into the field's type or raise :class:`InvalidValue` saying what is accepted.

    ``checked``: hold the value to :mod:`pathway.limits` (length, characters, personnummer in free
    text, number and date ranges). Input always is; values read back from the store are not, so a
    participant recorded before a limit existed can still be shown and moved on.
    """
    codes = exit_codes or []
    try:
        return _coerce(spec, value, codes, what, checked)
    except BeyondLimits:
        raise
    except (ValueError, TypeError, InvalidValue):
        raise InvalidValue(what, value, _accepted(spec, codes)) from None


def to_json(value: Any) -> Any:
    """The JSON form a value is stored in (dates and times as ISO 8601 text)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def coerce_fields(
    specs: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    workflow: Workflow,
    what: str,
    context: str,
    checked: bool = True,
) -> dict[str, Any]:
    """Coerce a whole set of named values; unknown names are refused with the known ones."""
    if not values:  # most triggers are fired with no data
        return {}
    unknown = sorted(set(values) - set(specs))
    if unknown:
        known = ", ".join(sorted(specs)) or "(none)"
        raise BadInput(f"unknown {what} '{unknown[0]}' {context}; known: {known}")
    codes = [r.code for r in workflow.exit_reasons]
    return {name: coerce(specs[name], value, f"{what} '{name}'", codes, checked) for name, value in values.items()}


def missing_required(specs: Mapping[str, FieldSpec], values: Mapping[str, Any]) -> list[str]:
    return [name for name, spec in specs.items() if spec.required and values.get(name) in (None, "", [])]


def parse_assignments(pairs: Iterable[str], option: str) -> dict[str, str]:
    """``KEY=VALUE`` pairs from the command line into a dict; a key given twice is refused (which
    of two reasons was meant cannot be guessed, and the last silently winning lost the first)."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidValue(option, pair, "use KEY=VALUE, e.g. gender=female")
        if key.strip() in result:
            raise BadInput(f"{option} {key.strip()}=… is given twice; give each key once")
        result[key.strip()] = value
    return result
