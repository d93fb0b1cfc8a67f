"""Explicit time (DESIGN invariant 5).

Timestamps are timezone-aware and stored in UTC; people read and type them in Europe/Stockholm.
The clock is injected everywhere, so tests and replays (``--now`` / ``PATHWAY_NOW``) never depend on
the wall clock and never sleep.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import TYPE_CHECKING, Protocol, overload
from zoneinfo import ZoneInfo

from pathway.errors import InvalidValue
from pathway.limits import TIME_RANGE, in_range

if TYPE_CHECKING:
    from pathway.config import Settings

STOCKHOLM = ZoneInfo("Europe/Stockholm")

ACCEPTED_TIME = (
    "use an ISO 8601 date or date-time, e.g. 2026-03-02, 2026-03-02T09:30 or "
    "2026-03-02T08:30:00+00:00 (times without an offset are Swedish local time), "
    "from 1900 to 2100"
)


class Clock(Protocol):
    """Anything that tells the current time as an aware datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that stands still until told to move; for tests, replays and ``--now``."""

    def __init__(self, at: datetime) -> None:
        self._at = ensure_aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = ensure_aware(at)

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self._at = self._at + timedelta(**delta)


def ensure_aware(moment: datetime) -> datetime:
    """Read a naive datetime as Swedish local time; return it in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=STOCKHOLM)
    return moment.astimezone(timezone.utc)


def parse_time(text: str, what: str = "time") -> datetime:
    """Parse a user-typed date or date-time; a bare date means local midnight."""
    value = text.strip()
    if len(value) > 40:  # no ISO 8601 time is longer; never echo a long paste back
        raise InvalidValue(what, f"{len(value)} characters", ACCEPTED_TIME)
    try:
        moment = (datetime.combine(date.fromisoformat(value), time()) if len(value) == 10
                  else datetime.fromisoformat(value))
    except ValueError:
        raise InvalidValue(what, text, ACCEPTED_TIME) from None
    if not in_range(moment.date()):
        raise InvalidValue(what, text, TIME_RANGE)
    return ensure_aware(moment)


@overload
def to_local(moment: datetime) -> datetime: ...
@overload
def to_local(moment: None) -> None: ...
@overload
def to_local(moment: datetime | None) -> datetime | None: ...


def to_local(moment: datetime | None) -> datetime | None:
    """Convert to Europe/Stockholm for display (a moment stays a moment: never None for one)."""
    if moment is None:
        return None
    return ensure_aware(moment).astimezone(STOCKHOLM)


def iso(moment: datetime | None) -> str | None:
    """Times in JSON: ISO 8601 in Swedish local time, with its offset."""
    local = to_local(moment)
    return None if local is None else local.isoformat()


def format_local(moment: datetime | None) -> str:
    """A short human form in Swedish local time, e.g. ``2026-03-02 09:30``."""
    local = to_local(moment)
    return "" if local is None else local.strftime("%Y-%m-%d %H:%M")


def make_clock(settings: Settings) -> Clock:
    """The clock a command runs on: ``--now`` / ``PATHWAY_NOW`` if set, else the system's.
    (Here, not in :mod:`pathway.bootstrap`, so a command that reads only workflow files gets its
    clock without loading the store.)"""
    if settings.now:
        return FixedClock(parse_time(settings.now, "--now / PATHWAY_NOW"))
    return SystemClock()
