"""One set of limits on what comes in, checked by pathway before anything reaches the database.

SQLite would store a 10 000-character ref and PostgreSQL would refuse a 101-character one with its
statement and parameters in the error; both now get the same one-line refusal first. The limits:

* **times**: the years 1900–2100 (:data:`EARLIEST`, :data:`LATEST`), for ``--at``, ``--now``,
  import times, date and date-time values;
* **ids** 1 … 2 147 483 647 (the database's integer), **workflow versions** 1 … 1 000 000;
* **text**: a ref or an actor at most 100 characters, a ``string`` value 200, free text (reasons,
  ``text`` values, plan goals, consent scope …) 5 000; no NUL byte, no control character (tab and,
  in free text, line breaks aside), no right-to-left override or isolate: such characters would
  reach a caseworker's terminal or disguise what a ref says;
* **personnummer in free text**: a Luhn-valid 10- or 12-digit number with a real month and day is
  refused wherever free text is typed (ref, string attribute, reason, plan goal …), with a pointer
  to ``--personnummer``, which keeps the number apart (DESIGN invariant 7);
* **numbers**: integer and number values between −10¹² and 10¹² unless the workflow declares a
  tighter ``min``/``max``;
* **durations** in workflow files: at most :data:`MAX_DURATION` of each unit (20 years), which the
  deadline calendar can count.

The messages never repeat a refused value that may be personal data (only its length or where the
bad character is).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone

from pathway.domain.duration import LIMIT_HELP, MAX_AMOUNT
from pathway.errors import BeyondLimits, PersonnummerInText, field

EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)
TIME_RANGE = "pathway accepts times from 1900-01-01 to 2100-12-31"

MAX_ID = 2_147_483_647
MAX_VERSION = 1_000_000
MAX_REF = 100
MAX_ACTOR = 100
MAX_STRING = 200
MAX_TEXT = 5_000
MAX_PURPOSE = 500
MAX_NUMBER = 10**12

#: The longest duration of each unit a workflow may give (20 years; the calendar counts 30).
MAX_DURATION = MAX_AMOUNT
DURATION_LIMIT_HELP = LIMIT_HELP

#: Right-to-left / left-to-right embeddings, overrides and isolates (Trojan Source) and marks.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

#: 10 or 12 digits, optionally with - or + (or a space) before the last four, not inside a longer number.
_NUMBER_LIKE = re.compile(r"(?<![0-9])((?:[0-9]{2})?[0-9]{6})[-+ ]?([0-9]{4})(?![0-9])")


def _bad_character(text: str, multiline: bool) -> str | None:
    if text.isprintable():  # no control, format (text direction), surrogate or line/paragraph separator
        return None
    for index, char in enumerate(text):
        if char == "\x00":
            return f"a NUL byte at position {index + 1}"
        if char in _BIDI:
            return f"a text-direction control (U+{ord(char):04X}) at position {index + 1}"
        if char == "\t" or (multiline and char in "\r\n"):
            continue
        if unicodedata.category(char) in ("Cc", "Cs") or char in "\u2028\u2029\x85":
            return f"a control character (U+{ord(char):04X}) at position {index + 1}"
    return None


def looks_like_personnummer(text: str) -> bool:
    """Whether ``text`` holds a Luhn-valid 10- or 12-digit number with a real month and day."""
    for match in _NUMBER_LIKE.finditer(text):
        ten = (match.group(1) + match.group(2))[-10:]
        month, day = int(ten[2:4]), int(ten[4:6])
        if not 1 <= month <= 12 or not (1 <= day <= 31 or 61 <= day <= 91):
            continue
        total = 0
        for index, char in enumerate(ten[:9]):
            product = int(char) * (2 if index % 2 == 0 else 1)
            total += product // 10 + product % 10
        if (10 - total % 10) % 10 == int(ten[9]):
            return True
    return False


def check_text(what: str, value: str, max_length: int = MAX_TEXT, *, multiline: bool = True,
               personal_number_free: bool = True) -> str:
    """``value`` if it is within the limits for free text, else :class:`InvalidValue` saying why.

    The refusal never echoes the value (it may be personal data): only its length or where the
    offending character is.
    """
    if not isinstance(value, str):
        raise BeyondLimits(what, type(value).__name__, "give text")
    accepted = _accepted.get()
    key = (value, max_length, multiline, personal_number_free)
    if accepted is not None and key in accepted:
        return value
    if len(value) > max_length:
        raise BeyondLimits(what, f"{len(value)} characters", f"at most {max_length} characters are accepted")
    bad = _bad_character(value, multiline)
    if bad is not None:
        raise BeyondLimits(what, f"text with {bad}",
                           "control characters, NUL bytes and text-direction overrides are not accepted")
    if personal_number_free and looks_like_personnummer(value):
        raise PersonnummerInText(what)
    if accepted is not None and len(value) <= _ACCEPTED_LENGTH:
        if len(accepted) >= _ACCEPTED_KEPT:
            accepted.clear()
        accepted.add(key)
    return value


#: Within :func:`remembering_accepted_texts` (an import run): the short texts :func:`check_text`
#: accepted, with the limits they were held to, so the same text is not checked again (an import
#: line gives every event the same reason). None elsewhere: a server never keeps what caseworkers
#: typed (it may be personal) beyond the request that checked it. A refusal is never kept.
_accepted: ContextVar[set[tuple[str, int, bool, bool]] | None] = ContextVar("accepted_texts", default=None)
_ACCEPTED_LENGTH = 200
_ACCEPTED_KEPT = 4096


@contextmanager
def remembering_accepted_texts() -> Iterator[set[tuple[str, int, bool, bool]]]:
    """Keep the texts :func:`check_text` accepts until the block ends (one import file), then forget them."""
    kept: set[tuple[str, int, bool, bool]] = set()
    token = _accepted.set(kept)
    try:
        yield kept
    finally:
        _accepted.reset(token)
        kept.clear()


def check_ref(value: str, what: str = field("ref")) -> str:
    return check_text(what, value, MAX_REF, multiline=False)


def check_actor(value: str, what: str = "--actor / PATHWAY_ACTOR") -> str:
    check_text(what, value, MAX_ACTOR, multiline=False, personal_number_free=False)
    if not value.strip():
        raise BeyondLimits(what, value, "give who acts, e.g. anna.k")
    return value


def check_lookup(value: str, what: str = "participant") -> str:
    """A participant id or ref as typed to find someone: no longer than a ref, no NUL or controls."""
    return check_text(what, value, MAX_REF, multiline=False, personal_number_free=False)


def check_id(value: int, what: str = "id") -> int:
    if not 1 <= value <= MAX_ID:
        raise BeyondLimits(what, value, f"ids run from 1 to {MAX_ID}")
    return value


def check_version(value: int, what: str = "version") -> int:
    if not 1 <= value <= MAX_VERSION:
        raise BeyondLimits(what, value, f"workflow versions run from 1 to {MAX_VERSION}")
    return value


def in_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def check_date(value: date, what: str = "date") -> date:
    if not in_range(value):
        raise BeyondLimits(what, value.isoformat(), TIME_RANGE)
    return value


def check_time(value: datetime, what: str = "time") -> datetime:
    """An aware datetime within the years 1900–2100 (its UTC day and its own day both)."""
    local_day = value.date()
    if not in_range(local_day):
        raise BeyondLimits(what, value.isoformat(), TIME_RANGE)
    if value.tzinfo is not None:
        try:
            value.astimezone(timezone.utc)
        except OverflowError:
            raise BeyondLimits(what, value.isoformat(), TIME_RANGE) from None
    return value


def check_number(value: float, what: str, low: float | None = None, high: float | None = None) -> float:
    """A number within the field's ``min``/``max`` (by default ±10¹²)."""
    lowest = -MAX_NUMBER if low is None else low
    highest = MAX_NUMBER if high is None else high
    if not lowest <= value <= highest:
        raise BeyondLimits(what, value, f"use a number from {_plain(lowest)} to {_plain(highest)}")
    return value


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def check_birth_date(value: date, on: date, what: str = "attribute 'birth_date'") -> date:
    """A birth date between 1900-01-01 and ``on`` (the enrolment or the day it is recorded)."""
    check_date(value, what)
    if value > on:
        raise BeyondLimits(what, value.isoformat(),
                           f"it is after {on.isoformat()}; a birth date cannot be in the future")
    return value
