"""Deadline arithmetic: working days with Swedish holidays, weeks, months, reminders and pauses."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathway.clock import STOCKHOLM
from pathway.domain import Duration
from pathway.engine.calendar import (
    PauseCalendar,
    add_duration,
    add_months,
    holiday_name,
    is_working_day,
    local_date,
    never,
    start_of_day,
    subtract_duration,
)


def d(text: str) -> Duration:
    return Duration.parse(text)


# -- working days and holidays -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 4, 2), True),  # Maundy Thursday (skärtorsdagen) is a working day
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 4), False),  # Saturday
        (date(2026, 4, 5), False),  # Easter Sunday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 4, 7), True),
        (date(2026, 5, 14), False),  # Ascension Day (a Thursday)
        (date(2026, 6, 18), True),
        (date(2026, 6, 19), False),  # midsummer eve (de facto holiday, a Friday)
        (date(2026, 12, 23), True),
        (date(2026, 12, 24), False),  # Christmas eve (a Thursday)
        (date(2026, 12, 31), False),  # New Year's eve (a Thursday)
        (date(2027, 1, 1), False),
        (date(2027, 1, 6), False),  # Epiphany
    ],
)
def test_working_day_follows_the_swedish_calendar(day: date, working: bool) -> None:
    """Weekends, public holidays and the de-facto holidays (midsummer/Christmas/New Year's eve) are not working days."""
    assert is_working_day(day) is working


def test_holiday_names_the_de_facto_holidays() -> None:
    """Midsummer eve, Christmas eve and New Year's eve are named holidays; an ordinary day is not."""
    assert holiday_name(date(2026, 6, 19)) is not None
    assert holiday_name(date(2026, 12, 24)) is not None
    assert holiday_name(date(2026, 12, 31)) is not None
    assert holiday_name(date(2026, 3, 3)) is None


def test_two_working_days_from_maundy_thursday_skip_the_easter_weekend() -> None:
    """Maundy Thursday 2 Apr 2026 + 2wd skips Good Friday, the weekend and Easter Monday: Wed 8 Apr."""
    assert add_duration(date(2026, 4, 2), d("2wd")) == date(2026, 4, 8)
    assert add_duration(date(2026, 4, 2), d("1wd")) == date(2026, 4, 7)


def test_working_days_skip_midsummer_eve() -> None:
    """Thu 18 Jun 2026 + 1wd is Mon 22 Jun: midsummer eve (Fri 19) and the weekend are skipped."""
    assert add_duration(date(2026, 6, 18), d("1wd")) == date(2026, 6, 22)
    assert add_duration(date(2026, 6, 17), d("2wd")) == date(2026, 6, 22)


def test_working_days_skip_christmas_and_new_year() -> None:
    """23 Dec 2026 + 1wd is 28 Dec; 30 Dec + 1wd is 4 Jan 2027 (New Year's eve and day skipped)."""
    assert add_duration(date(2026, 12, 23), d("1wd")) == date(2026, 12, 28)
    assert add_duration(date(2026, 12, 30), d("1wd")) == date(2027, 1, 4)


def test_working_days_counted_from_a_weekend_start_on_the_next_working_day() -> None:
    """Counting starts the day after the start, so Sat + 1wd is the Monday."""
    assert add_duration(date(2026, 3, 7), d("1wd")) == date(2026, 3, 9)
    assert add_duration(date(2026, 3, 2), d("10wd")) == date(2026, 3, 16)


def test_zero_duration_is_the_start_day() -> None:
    """0d / 0wd / 0m (an escalation 'after: 0d') is the start day itself, even a holiday."""
    for text in ("0d", "0wd", "0w", "0m"):
        assert add_duration(date(2026, 6, 19), d(text)) == date(2026, 6, 19)


# -- calendar days, weeks and months ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (date(2026, 3, 2), "14d", date(2026, 3, 16)),
        (date(2026, 12, 25), "14d", date(2027, 1, 8)),  # holidays count as calendar days
        (date(2026, 3, 2), "3w", date(2026, 3, 23)),
        (date(2026, 3, 2), "6m", date(2026, 9, 2)),
        (date(2026, 3, 2), "12m", date(2027, 3, 2)),
        (date(2026, 1, 31), "1m", date(2026, 2, 28)),  # clamped to the month's end
        (date(2028, 1, 31), "1m", date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), "1m", date(2026, 4, 30)),
        (date(2026, 8, 31), "6m", date(2027, 2, 28)),
        (date(2026, 11, 30), "3m", date(2027, 2, 28)),
        (date(2026, 12, 15), "1m", date(2027, 1, 15)),  # over the year end
    ],
)
def test_calendar_days_weeks_and_months(start: date, duration: str, due: date) -> None:
    """14d, 3w and 6m from a start date, months clamped to the end of a shorter month."""
    assert add_duration(start, d(duration)) == due


def test_add_months_backwards_clamps_and_wraps_the_year() -> None:
    """add_months with a negative count clamps (31 Mar − 1m = 28 Feb) and crosses a year end."""
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)
    assert add_months(date(2026, 5, 31), -15) == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("due", "before", "remind"),
    [
        (date(2026, 3, 16), "3wd", date(2026, 3, 11)),  # Mon − 3wd = Wed
        (date(2026, 4, 8), "2wd", date(2026, 4, 2)),  # over Easter back to Maundy Thursday
        (date(2026, 6, 22), "1wd", date(2026, 6, 18)),  # over midsummer eve
        (date(2026, 3, 16), "3d", date(2026, 3, 13)),
        (date(2026, 3, 16), "1w", date(2026, 3, 9)),
        (date(2026, 3, 31), "1m", date(2026, 2, 28)),
        (date(2027, 3, 2), "1m", date(2027, 2, 2)),
    ],
)
def test_subtract_for_reminders(due: date, before: str, remind: date) -> None:
    """A reminder's date is the due date minus remind_before, working days skipping holidays."""
    assert subtract_duration(due, d(before)) == remind


def test_subtract_is_the_inverse_of_add_for_working_days() -> None:
    """From a working day, adding n wd then subtracting n wd gives the start back (around Easter)."""
    day = date(2026, 3, 25)
    while day < date(2026, 4, 20):
        if is_working_day(day):
            for n in (1, 2, 5):
                assert subtract_duration(add_duration(day, Duration(n, "wd")), Duration(n, "wd")) == day
        day += timedelta(days=1)


# -- pauses -----------------------------------------------------------------------------------------


def test_pause_moves_a_calendar_day_due_date_by_the_paused_days() -> None:
    """Paused 5–7 Mar (resumed the 8th): 14d from 2 Mar is due on the 19th instead of the 16th."""
    paused = PauseCalendar([(date(2026, 3, 5), date(2026, 3, 8))])
    assert add_duration(date(2026, 3, 2), d("14d"), paused) == date(2026, 3, 19)
    assert add_duration(date(2026, 3, 2), d("2w"), paused) == date(2026, 3, 19)


def test_pause_moves_a_working_day_due_date_by_the_paused_working_days() -> None:
    """Paused Thu 5 – Mon 9 Mar (3 working days): 10wd from 2 Mar is Thu 19 Mar, not Mon 16 Mar."""
    paused = PauseCalendar([(date(2026, 3, 5), date(2026, 3, 10))])
    assert add_duration(date(2026, 3, 2), d("10wd")) == date(2026, 3, 16)
    assert add_duration(date(2026, 3, 2), d("10wd"), paused) == date(2026, 3, 19)


def test_pause_moves_a_month_due_date_by_the_paused_days() -> None:
    """Paused 3 days inside the window: 1m from 2 Mar is 5 Apr; a pause over the end adds all its days."""
    assert add_duration(date(2026, 3, 2), d("1m"), PauseCalendar([(date(2026, 3, 5), date(2026, 3, 8))])) == date(2026, 4, 5)
    # 30 Mar – 9 Apr paused (11 days), straddling the undisturbed due date of 2 Apr.
    assert add_duration(date(2026, 3, 2), d("1m"), PauseCalendar([(date(2026, 3, 30), date(2026, 4, 10))])) == date(2026, 4, 13)


def test_pause_outside_the_window_moves_nothing() -> None:
    """A pause before the start or after the due date, or one resumed the same day, changes nothing."""
    for interval in [(date(2026, 2, 1), date(2026, 2, 20)), (date(2026, 3, 17), date(2026, 3, 30)),
                     (date(2026, 3, 10), date(2026, 3, 10))]:
        assert add_duration(date(2026, 3, 2), d("14d"), PauseCalendar([interval])) == date(2026, 3, 16)


def test_pause_calendar_days_and_open_pause() -> None:
    """Paused from the pause day up to (not including) the resume day; an open pause never ends."""
    closed = PauseCalendar([(date(2026, 3, 5), date(2026, 3, 8))])
    assert [closed(date(2026, 3, day)) for day in (4, 5, 7, 8)] == [False, True, True, False]
    assert not closed.paused_now
    still = PauseCalendar([(date(2026, 3, 5), date(2026, 3, 8)), (date(2026, 3, 20), None)])
    assert still.paused_now and still(date(2030, 1, 1)) and not still(date(2026, 3, 19))
    assert not never(date(2026, 3, 5))


def test_counting_through_an_open_pause_refuses_instead_of_looping() -> None:
    """Adding a duration across a pause that never ends raises (no endless loop)."""
    with pytest.raises(ValueError, match="never run"):
        add_duration(date(2026, 3, 2), d("14d"), PauseCalendar([(date(2026, 3, 5), None)]))


def test_closing_an_open_pause_at_a_day() -> None:
    """closed_at(day) ends a still-open pause on that day and keeps the closed ones."""
    calendar = PauseCalendar([(date(2026, 3, 1), date(2026, 3, 3)), (date(2026, 3, 5), None)])
    closed = calendar.closed_at(date(2026, 3, 9))
    assert closed.intervals == [(date(2026, 3, 1), date(2026, 3, 3)), (date(2026, 3, 5), date(2026, 3, 9))]
    assert not closed.paused_now
    assert add_duration(date(2026, 3, 2), d("14d"), closed) == date(2026, 3, 20)  # 5–8 Mar paused: 4 days


def test_pauses_after_the_day_a_deadline_closed_do_not_move_it() -> None:
    """closed_at(day) keeps the pauses until that day only: a leave that began after a step limit
    was met, or ended after it, is another clock's (and the limit's due date stays as it was)."""
    calendar = PauseCalendar([(date(2026, 3, 1), date(2026, 3, 12)), (date(2026, 3, 10), None),
                              (date(2026, 3, 5), date(2026, 3, 7))])
    closed = calendar.closed_at(date(2026, 3, 9))
    assert closed.intervals == [(date(2026, 3, 1), date(2026, 3, 9)), (date(2026, 3, 5), date(2026, 3, 7))]
    resumed_later = PauseCalendar([(date(2026, 3, 1), date(2026, 3, 20))]).closed_at(date(2026, 3, 9))
    still_open = PauseCalendar([(date(2026, 3, 1), None)]).closed_at(date(2026, 3, 9))
    assert resumed_later.intervals == still_open.intervals == [(date(2026, 3, 1), date(2026, 3, 9))]


START = date(2026, 1, 5)


@settings(max_examples=150, deadline=None)
@given(
    offset=st.integers(0, 400),
    amount=st.integers(1, 40),
    unit=st.sampled_from(["d", "w", "m"]),
    begin_at=st.floats(0.0, 1.0),
    length=st.integers(0, 60),
)
def test_a_pause_inside_the_window_moves_the_due_date_by_exactly_its_days(
    offset: int, amount: int, unit: str, begin_at: float, length: int
) -> None:
    """Property (d, w, m): a pause beginning inside (start, due] moves the due date by its length in days."""
    start = START + timedelta(days=offset)
    duration = Duration(amount if unit != "m" else amount % 13 + 1, unit)  # type: ignore[arg-type]
    due = add_duration(start, duration)
    begin = start + timedelta(days=1 + int(begin_at * ((due - start).days - 1)))
    paused = PauseCalendar([(begin, begin + timedelta(days=length))])
    assert add_duration(start, duration, paused) == due + timedelta(days=length)


@settings(max_examples=150, deadline=None)
@given(offset=st.integers(0, 400), amount=st.integers(1, 30), begin_at=st.floats(0.0, 1.0),
       length=st.integers(0, 40))
def test_a_pause_inside_the_window_moves_a_working_day_due_date_by_its_working_days(
    offset: int, amount: int, begin_at: float, length: int
) -> None:
    """Property (wd): a pause beginning inside (start, due] adds exactly the working days it covers."""
    start = START + timedelta(days=offset)
    due = add_duration(start, Duration(amount, "wd"))
    begin = start + timedelta(days=1 + int(begin_at * ((due - start).days - 1)))
    end = begin + timedelta(days=length)
    lost = sum(1 for i in range(length) if is_working_day(begin + timedelta(days=i)))
    paused = PauseCalendar([(begin, end)])
    assert add_duration(start, Duration(amount, "wd"), paused) == add_duration(due, Duration(lost, "wd"))


def test_start_of_day_is_local_midnight_across_daylight_saving() -> None:
    """start_of_day is Stockholm midnight: 23:00 UTC in winter, 22:00 UTC in summer; local_date inverts it."""
    winter = start_of_day(date(2026, 3, 17))
    summer = start_of_day(date(2026, 3, 30))  # the day after the switch to summer time
    assert winter.astimezone(timezone.utc) == datetime(2026, 3, 16, 23, 0, tzinfo=timezone.utc)
    assert summer.astimezone(timezone.utc) == datetime(2026, 3, 29, 22, 0, tzinfo=timezone.utc)
    assert winter.tzinfo == STOCKHOLM
    assert local_date(datetime(2026, 3, 16, 23, 30, tzinfo=timezone.utc)) == date(2026, 3, 17)
    assert local_date(datetime(2026, 3, 16, 22, 30, tzinfo=timezone.utc)) == date(2026, 3, 16)


SPANS = st.lists(st.tuples(st.integers(-40, 400), st.one_of(st.none(), st.integers(-5, 120))), max_size=5)


def _due_or_error(count: object) -> object:
    try:
        return count()  # type: ignore[operator]
    except ValueError as err:
        return str(err)


@settings(max_examples=400, deadline=None)
@given(offset=st.integers(0, 60), amount=st.integers(0, 120), unit=st.sampled_from(["d", "w", "m"]), spans=SPANS)
def test_days_counted_span_by_span_are_the_day_by_day_count(offset: int, amount: int, unit: str,
                                                           spans: list[tuple[int, int | None]]) -> None:
    """A pause calendar counts calendar days, weeks and months span by span (issue 10: the planner
    counted every day of a paused participant's deadlines one at a time); whatever the pauses —
    overlapping, empty, before, inside or after the window, one still open — the due date (or the
    refusal of a count that never ends) is the day-by-day count's."""
    start = START + timedelta(days=offset)
    duration = Duration(amount if unit != "m" else amount % 25, unit)  # type: ignore[arg-type]
    paused = PauseCalendar([(START + timedelta(days=b), None if length is None else
                             START + timedelta(days=b + length)) for b, length in spans])
    day_by_day = _due_or_error(lambda: add_duration(start, duration, lambda day: paused(day)))
    assert _due_or_error(lambda: add_duration(start, duration, paused)) == day_by_day


def test_a_count_beyond_thirty_years_of_pauses_is_refused_as_before() -> None:
    """Closed pauses that hold the clocks past the horizon: refused, not counted on."""
    start = date(2026, 1, 1)
    paused = PauseCalendar([(date(2026, 1, 2), date(2060, 1, 1))])
    with pytest.raises(ValueError, match="the clocks never run"):
        add_duration(start, Duration(5, "d"), paused)
