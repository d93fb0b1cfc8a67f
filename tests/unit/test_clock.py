"""Explicit time: user-typed times are Swedish local unless they carry an offset; stored in UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathway.clock import STOCKHOLM, FixedClock, ensure_aware, format_local, parse_time, to_local
from pathway.errors import InvalidValue

UTC = timezone.utc


def test_bare_date_is_local_midnight_in_winter() -> None:
    """A winter date means midnight in Stockholm (CET, UTC+1), i.e. 23:00 UTC the day before."""
    assert parse_time("2026-01-15") == datetime(2026, 1, 14, 23, 0, tzinfo=UTC)


def test_bare_date_is_local_midnight_in_summer() -> None:
    """A summer date means midnight in Stockholm (CEST, UTC+2), i.e. 22:00 UTC the day before."""
    assert parse_time("2026-07-01") == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-15T09:30", datetime(2026, 1, 15, 8, 30, tzinfo=UTC)),  # winter: UTC+1
        ("2026-07-01T12:00", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),  # summer: UTC+2
        ("2026-07-01 12:00:05", datetime(2026, 7, 1, 10, 0, 5, tzinfo=UTC)),
    ],
)
def test_local_date_time_is_read_as_stockholm_time(text: str, expected: datetime) -> None:
    """A date-time without an offset is Swedish local time, with summer time applied."""
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02T08:30:00+00:00", datetime(2026, 3, 2, 8, 30, tzinfo=UTC)),
        ("2026-03-02T08:30:00Z", datetime(2026, 3, 2, 8, 30, tzinfo=UTC)),
        ("2026-07-01T12:00-04:00", datetime(2026, 7, 1, 16, 0, tzinfo=UTC)),
    ],
)
def test_offset_is_respected(text: str, expected: datetime) -> None:
    """A date-time with an offset means that instant, whatever the Swedish time."""
    assert parse_time(text) == expected


def test_parsed_times_are_aware_utc() -> None:
    """parse_time always returns an aware datetime in UTC."""
    for text in ["2026-01-15", "2026-07-01T12:00", "2026-03-02T08:30+05:00"]:
        moment = parse_time(text)
        assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", "   ", "tomorrow", "2026-02-30", "02/03/2026", "2026-13-01T10:00", "12:00"])
def test_garbage_is_refused_with_invalid_value(text: str) -> None:
    """Text that is not an ISO date or date-time raises InvalidValue with examples of what works."""
    with pytest.raises(InvalidValue) as caught:
        parse_time(text, "--at")
    assert str(caught.value).startswith(f"invalid --at {text!r}: use an ISO 8601 date or date-time, e.g. 2026-03-02")


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 12, 31),
                    timezones=st.sampled_from([UTC, STOCKHOLM, timezone(timedelta(hours=-7))]),
                    allow_imaginary=False))
def test_isoformat_of_an_aware_time_parses_back_to_the_same_instant(moment: datetime) -> None:
    """Any aware datetime written with its offset parses back to the same instant."""
    assert parse_time(moment.isoformat()) == moment.astimezone(UTC)  # (PEP 495: ambiguous times never compare equal across zones)


def test_ensure_aware_reads_naive_as_stockholm() -> None:
    """ensure_aware treats a naive datetime as Stockholm time and converts aware ones to UTC."""
    assert ensure_aware(datetime(2026, 1, 15, 9, 0)) == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    cet = datetime(2026, 1, 15, 9, 0, tzinfo=STOCKHOLM)
    assert ensure_aware(cet).tzinfo is UTC


def test_local_display_in_stockholm() -> None:
    """Times are shown in Stockholm local time."""
    assert format_local(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)) == "2026-07-01 12:00"
    assert format_local(None) == ""
    assert to_local(datetime(2026, 1, 15, 8, 0, tzinfo=UTC)).utcoffset() == timedelta(hours=1)  # type: ignore[union-attr]


def test_fixed_clock_stands_still_until_moved() -> None:
    """FixedClock returns the same UTC instant until set or advanced."""
    clock = FixedClock(datetime(2026, 3, 2, 9, 0))  # naive: Stockholm
    assert clock.now() == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert clock.now() == clock.now()
    clock.advance(days=1, hours=2)
    assert clock.now() == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
