"""Deadline arithmetic in Swedish working life: calendar days, working days, weeks, months.

Working days are Monday–Friday except Swedish public holidays and the de-facto holidays on which
the agencies are closed (midsummer eve, Christmas eve, New Year's eve), from the ``holidays``
package. Paused days (sick leave, parental leave) are not counted at all, so a pause moves a due
date by exactly the time it took out of the window.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from pathway.clock import STOCKHOLM, to_local
from pathway.domain.duration import Duration

if TYPE_CHECKING:  # loaded on the first working-day question, not by every command that imports this
    import holidays

DateTest = Callable[[date], bool]


def never(_day: date) -> bool:
    return False


@lru_cache(maxsize=1)
def _swedish_holidays() -> holidays.HolidayBase:
    import holidays

    return holidays.Sweden(include_sundays=False, categories=("public", "de_facto"))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _swedish_holidays()


def holiday_name(day: date) -> str | None:
    return _swedish_holidays().get(day)


def add_months(start: date, months: int) -> date:
    """Same day-of-month ``months`` later, clamped to the month's end (31 Jan + 1m = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, _calendar.monthrange(year, month)[1]))


#: No deadline reaches further than this; a longer count means every day is paused.
_HORIZON = timedelta(days=365 * 30)


def _count_forward(start: date, count: int, countable: DateTest) -> date:
    day = start
    while count > 0:
        day += timedelta(days=1)
        if day - start > _HORIZON:
            raise ValueError(f"no countable day within 30 years of {start}: the clocks never run")
        if countable(day):
            count -= 1
    return day


def add_duration(start: date, duration: Duration, paused: DateTest = never) -> date:
    """The date ``duration`` after ``start``, not counting paused days."""
    if isinstance(paused, PauseCalendar):
        if not paused.intervals:
            paused = never  # a participant never paused: no day to skip, no day-by-day count for it
        elif duration.unit != "wd":  # calendar days: counted span by span, not day by day
            return paused.add_days(start, duration)
    if duration.unit == "wd":
        return _count_forward(start, duration.amount, lambda d: is_working_day(d) and not paused(d))
    if duration.unit in ("d", "w"):
        days = duration.amount * (7 if duration.unit == "w" else 1)
        if paused is never:  # nothing to skip: plain date arithmetic (reports call this per day)
            return start + timedelta(days=days)
        return _count_forward(start, days, lambda d: not paused(d))
    target = add_months(start, duration.amount)
    if paused is never:
        return target
    lost = sum(1 for offset in range(1, (target - start).days + 1) if paused(start + timedelta(days=offset)))
    return _count_forward(target, lost, lambda d: not paused(d))


def subtract_duration(end: date, duration: Duration) -> date:
    """The date ``duration`` before ``end`` (for reminders)."""
    if duration.unit == "m":
        return add_months(end, -duration.amount)
    day, count = end, duration.amount * (7 if duration.unit == "w" else 1)
    while count > 0:
        day -= timedelta(days=1)
        if duration.unit != "wd" or is_working_day(day):
            count -= 1
    return day


def start_of_day(day: date) -> datetime:
    """Local midnight at the start of ``day``, as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=STOCKHOLM)


def local_date(moment: datetime) -> date:
    return to_local(moment).date()


class PauseCalendar:
    """The days a participant's clocks stood still, from pause and resume moments."""

    def __init__(self, intervals: Iterable[tuple[date, date | None]]) -> None:
        self.intervals = list(intervals)

    @property
    def paused_now(self) -> bool:
        return any(end is None for _, end in self.intervals)

    def closed_at(self, day: date) -> PauseCalendar:
        """The pauses until ``day``, for a deadline met or closed that day: a pause still open ends
        on it, and a pause after it does not count (it stopped another clock: a step limit met on
        day 5 is not moved by a leave on day 7 in the next step, nor by its end)."""
        return PauseCalendar((begin, day if end is None or end > day else end)
                             for begin, end in self.intervals if begin <= day)

    def __call__(self, day: date) -> bool:
        return any(begin <= day and (end is None or day < end) for begin, end in self.intervals)

    def spans(self) -> list[tuple[date, date | None]]:
        """The paused days as disjoint ``[begin, end)`` spans in date order (``end`` None: still open)."""
        merged: list[tuple[date, date | None]] = []
        for begin, end in sorted(self.intervals, key=lambda span: span[0]):
            if end is not None and end <= begin:
                continue  # no day in it
            if merged and (merged[-1][1] is None or begin <= merged[-1][1]):
                last_end = merged[-1][1]
                merged[-1] = (merged[-1][0], None if last_end is None or end is None else max(last_end, end))
            else:
                merged.append((begin, end))
        return merged

    def paused_between(self, first: date, last: date) -> int:
        """How many days from ``first`` to ``last`` (both counted) are paused."""
        days = 0
        for begin, end in self.spans():
            stop = last + timedelta(days=1) if end is None else min(end, last + timedelta(days=1))
            days += max(0, (stop - max(begin, first)).days)
        return days

    def add_days(self, start: date, duration: Duration) -> date:
        """:func:`add_duration` of calendar days, weeks or months with these pauses: what the day-by-day
        count gives (tests/unit/test_calendar.py checks them equal), counted span by span."""
        if duration.unit == "m":
            target = add_months(start, duration.amount)
            return self._count_from(target, self.paused_between(start + timedelta(days=1), target))
        return self._count_from(start, duration.amount * (7 if duration.unit == "w" else 1))

    def _count_from(self, start: date, count: int) -> date:
        """The ``count``-th day after ``start`` that is not paused (``start`` itself when 0)."""
        day, left = start, count
        for begin, end in self.spans():
            if left == 0 or (end is not None and end <= day + timedelta(days=1)):
                continue  # nothing left to count, or the span is over before the next day counted
            free = max(0, (begin - day).days - 1)  # the days after ``day`` and before the span
            if free >= left:
                break
            left -= free
            if end is None:
                raise ValueError(f"no countable day within 30 years of {start}: the clocks never run")
            day = max(day, end - timedelta(days=1))  # the span's last day
        due = day + timedelta(days=left)
        if due - start > _HORIZON:
            raise ValueError(f"no countable day within 30 years of {start}: the clocks never run")
        return due
