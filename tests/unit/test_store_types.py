"""store.types.UtcDateTime's one-step SQLite bind processor sends the text SQLAlchemy's own chain
(process_bind_param, then SQLite's DATETIME format) sends, and refuses what it refuses."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

from pathway.store.types import UtcDateTime

SQLITE = sqlite.dialect()
OFFSETS = st.integers(-23 * 60, 23 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))


def _general(dialect: Any) -> Any:
    """SQLAlchemy's own chain for a TypeDecorator as a statement runs it (on the type's dialect
    implementation): process_bind_param, then the dialect's DATETIME processor."""
    return TypeDecorator.bind_processor(UtcDateTime().dialect_impl(dialect), dialect)


def _fast(dialect: Any) -> Any:
    return UtcDateTime().dialect_impl(dialect).bind_processor(dialect)


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=OFFSETS))
def test_sqlite_text_is_sqlalchemys(moment: datetime) -> None:
    fast = _fast(SQLITE)
    assert fast is not None and fast.__qualname__.startswith("UtcDateTime")
    assert fast(moment) == _general(SQLITE)(moment)


def test_none_naive_and_dates_are_treated_alike() -> None:
    fast, general = _fast(SQLITE), _general(SQLITE)
    assert fast(None) is None and general(None) is None
    for bad in (datetime(2026, 1, 1), date(2026, 1, 1), "2026-01-01"):
        with pytest.raises(Exception) as slow_error:
            general(bad)
        with pytest.raises(type(slow_error.value)):
            fast(bad)


def test_postgresql_keeps_the_general_path() -> None:
    dialect = postgresql.dialect()
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    processor = _fast(dialect)
    assert processor is not None and processor(moment) == _general(dialect)(moment) \
        == datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)
