"""Typed values: coerce() turns what a user typed into the field's type, or says what is accepted."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathway.definitions.models import FieldSpec, FieldType
from pathway.engine.values import FALSE_WORDS, TRUE_WORDS, coerce, parse_assignments, to_json
from pathway.errors import BadInput, InvalidValue

EXIT_CODES = ["work", "studies"]


def spec(type_: str, choices: list[str] | None = None) -> FieldSpec:
    return FieldSpec(type=FieldType(type_), choices=choices)


CHOICES = ["female", "male", "other"]

GOOD: list[tuple[FieldSpec, Any, Any]] = [
    (spec("string"), " Lund ", "Lund"),
    (spec("string"), 42, "42"),
    (spec("text"), "en längre text", "en längre text"),
    (spec("integer"), "12", 12),
    (spec("integer"), " 7 ", 7),
    (spec("integer"), "4.0", 4),
    (spec("integer"), 9, 9),
    (spec("number"), "10,5", 10.5),
    (spec("number"), "10.5", 10.5),
    (spec("number"), 3, 3.0),
    (spec("boolean"), "ja", True),
    (spec("boolean"), "NEJ", False),
    (spec("boolean"), False, False),
    (spec("date"), "2026-03-02", date(2026, 3, 2)),
    (spec("date"), date(2026, 3, 2), date(2026, 3, 2)),
    (spec("date"), datetime(2026, 3, 2, 23, 0), date(2026, 3, 2)),
    (spec("datetime"), "2026-03-02T09:30", datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)),
    (spec("datetime"), "2026-03-02T09:30:00+00:00", datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)),
    (spec("choice", CHOICES), "female", "female"),
    (spec("multi_choice", CHOICES), "male, other", ["male", "other"]),
    (spec("multi_choice", CHOICES), "other,male,other", ["other", "male"]),
    (spec("multi_choice", CHOICES), ["female"], ["female"]),
    (spec("exit_reason"), "work", "work"),
    (spec("exit_reasons"), "studies,work", ["studies", "work"]),
    (spec("exit_reasons"), ["work", "work"], ["work"]),
]

BAD: list[tuple[FieldSpec, Any, str]] = [
    (spec("string"), True, "use text"),
    (spec("string"), ["a"], "use text"),
    (spec("text"), {"a": 1}, "use text"),
    (spec("integer"), "4.5", "use a whole number"),
    (spec("integer"), "twelve", "use a whole number"),
    (spec("integer"), True, "use a whole number"),
    (spec("integer"), "", "use a whole number"),
    (spec("number"), "ten", "use a number, e.g. 10 or 10.5"),
    (spec("number"), False, "use a number, e.g. 10 or 10.5"),
    (spec("boolean"), "maybe", "use true or false (yes/no, ja/nej)"),
    (spec("boolean"), 2, "use true or false (yes/no, ja/nej)"),
    (spec("date"), "2026-02-30", "use an ISO date, e.g. 2026-03-02"),
    (spec("date"), "02/03/2026", "use an ISO date, e.g. 2026-03-02"),
    (spec("datetime"), "soon", "use an ISO 8601 date or date-time"),
    (spec("choice", CHOICES), "unknown", "use one of: female, male, other"),
    (spec("multi_choice", CHOICES), "male,alien", "use one or more of (comma-separated): female, male, other"),
    (spec("multi_choice", CHOICES), "", "use one or more of (comma-separated): female, male, other"),
    (spec("exit_reason"), "holiday", "use one of the exit reasons: work, studies"),
    (spec("exit_reasons"), "work,holiday", "use one or more exit reasons (comma-separated): work, studies"),
]


def test_every_field_type_is_covered() -> None:
    """The good and bad tables below exercise every FieldType."""
    assert {s.type for s, _, _ in GOOD} == set(FieldType)
    assert {s.type for s, _, _ in BAD} == set(FieldType)


@pytest.mark.parametrize(("field", "value", "expected"), GOOD, ids=lambda v: repr(v)[:30])
def test_good_input_is_coerced(field: FieldSpec, value: Any, expected: Any) -> None:
    """Each field type accepts its good forms and returns the typed value."""
    result = coerce(field, value, "attribute 'x'", EXIT_CODES)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(("field", "value", "accepted"), BAD, ids=lambda v: repr(v)[:30])
def test_bad_input_is_refused_listing_what_is_accepted(field: FieldSpec, value: Any, accepted: str) -> None:
    """Bad input raises InvalidValue naming the field, the value and what the type accepts."""
    with pytest.raises(InvalidValue) as caught:
        coerce(field, value, "attribute 'x'", EXIT_CODES)
    message = str(caught.value)
    assert message.startswith(f"invalid attribute 'x' {value!r}: ")
    assert accepted in message
    assert caught.value.value == value and caught.value.exit_code == 2


@given(word=st.sampled_from(sorted(TRUE_WORDS | FALSE_WORDS)), data=st.data())
def test_boolean_words_in_any_case_and_padding(word: str, data: st.DataObject) -> None:
    """Every yes/no word (English or Swedish) coerces in any letter case and with surrounding spaces."""
    cased = "".join(c.upper() if data.draw(st.booleans()) else c for c in word)
    padded = data.draw(st.sampled_from(["", " ", "\t"])) + cased + data.draw(st.sampled_from(["", " "]))
    assert coerce(spec("boolean"), padded, "x") is (word in TRUE_WORDS)


@given(st.text(max_size=8).filter(lambda t: t.strip().lower() not in TRUE_WORDS | FALSE_WORDS))
def test_any_other_text_is_not_a_boolean(text: str) -> None:
    """Text that is not a yes/no word is refused rather than guessed."""
    with pytest.raises(InvalidValue):
        coerce(spec("boolean"), text, "x")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_integers_round_trip_through_text(number: int) -> None:
    """Any whole number written as text coerces back to itself."""
    assert coerce(spec("integer"), str(number), "x") == number


@given(st.floats(allow_nan=False, allow_infinity=False, width=32, min_value=-999999995904.0, max_value=999999995904.0))
def test_numbers_round_trip_through_text_with_comma_or_point(number: float) -> None:
    """A number within ±10^12 written with a decimal point or a Swedish decimal comma coerces back to itself."""
    text = repr(float(number))
    assert coerce(spec("number"), text, "x") == float(number)
    assert coerce(spec("number"), text.replace(".", ","), "x") == float(number)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_dates_round_trip_through_json(day: date) -> None:
    """A date stored as JSON text (to_json) coerces back to the same date."""
    assert coerce(spec("date"), to_json(day), "x") == day


@given(st.datetimes(timezones=st.just(timezone(timedelta(hours=2))),
                    min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)))
def test_datetimes_round_trip_through_json(moment: datetime) -> None:
    """An aware datetime stored as ISO text coerces back to the same instant."""
    assert coerce(spec("datetime"), to_json(moment), "x") == moment


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e400", "NaN"])
def test_number_refuses_non_finite_values(text: str) -> None:
    """'nan', 'inf' and overflowing numbers cannot be stored as JSON (PostgreSQL JSONB refuses them): refused."""
    with pytest.raises(InvalidValue, match="use a number, e.g. 10 or 10.5"):
        coerce(spec("number"), text, "x")


def test_parse_assignments_reads_key_value_pairs() -> None:
    """KEY=VALUE pairs become a dict; the value may contain '='."""
    assert parse_assignments(["gender=female", " note =a=b"], "--attr") == {
        "gender": "female", "note": "a=b",
    }
    assert parse_assignments([], "--attr") == {}
    assert parse_assignments(["empty="], "--data") == {"empty": ""}


def test_parse_assignments_refuses_a_repeated_key() -> None:
    """`--data reason=a --data reason=b` is refused naming the key, instead of the last silently winning."""
    with pytest.raises(BadInput, match=r"--data reason=… is given twice"):
        parse_assignments(["reason=moved", "note=x", " reason =work"], "--data")


@pytest.mark.parametrize("pair", ["gender", "=female", " =x", ""])
def test_parse_assignments_refuses_pairs_without_key(pair: str) -> None:
    """A pair without '=' or without a key is refused with an example of the right form."""
    with pytest.raises(InvalidValue) as caught:
        parse_assignments(["ok=1", pair], "--attr")
    assert str(caught.value) == f"invalid --attr {pair!r}: use KEY=VALUE, e.g. gender=female"
    assert isinstance(caught.value, BadInput)
