"""Personal identity numbers: parsing, century, samordningsnummer, check digit, gender (pure domain)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pathway.domain.identity import IdentityKind, luhn_check_digit, parse_personnummer

#: The enrolment date most tests parse against.
TODAY = date(2026, 3, 2)


def number(birth: str, serial: str) -> str:
    """A valid 10-digit number (no separator) for YYMMDD ``birth`` and a 3-digit ``serial``."""
    return birth + serial + str(luhn_check_digit(birth + serial))


def separated(ten: str, separator: str) -> str:
    """YYMMDD-NNNN or YYMMDD+NNNN."""
    return ten[:6] + separator + ten[6:]


# -- the check digit -------------------------------------------------------------------------------


def test_luhn_check_digit_of_published_examples() -> None:
    """Skatteverket's worked example 640823-323(4) and the test identity 121212-121(2)."""
    assert luhn_check_digit("640823323") == 4
    assert luhn_check_digit("121212121") == 2


def test_luhn_check_digit_wants_nine_digits() -> None:
    """Anything but nine ASCII digits is a programming error, refused."""
    for bad in ("12345678", "1234567890", "12345678x"):
        with pytest.raises(ValueError):
            luhn_check_digit(bad)


# -- forms -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "19121212-1212", "191212121212", "121212+1212", "  19121212-1212 ",
])
def test_the_accepted_forms_of_one_number(text: str) -> None:
    """10 or 12 digits, with or without '-', '+' for the 10-digit form of a person aged 100+."""
    parsed = parse_personnummer(text, TODAY)
    assert parsed.number == "191212121212"
    assert parsed.formatted == "19121212-1212"
    assert parsed.kind == IdentityKind.PERSONNUMMER
    assert parsed.birth_date == date(1912, 12, 12)


@pytest.mark.parametrize("text", ["121212-1212", "1212121212", "20121212-1212", "201212121212"])
def test_ten_digits_without_plus_is_the_latest_century(text: str) -> None:
    """Without '+', 121212 is 2012 in 2026 (the most recent century not in the future)."""
    assert parse_personnummer(text, TODAY).birth_date == date(2012, 12, 12)


def test_gender_is_the_parity_of_the_second_to_last_digit() -> None:
    """Odd second-to-last digit: male; even: female."""
    for serial, gender in (("001", "male"), ("239", "male"), ("002", "female"), ("240", "female")):
        assert parse_personnummer(number("850402", serial), TODAY).gender == gender


def test_samordningsnummer_has_sixty_added_to_the_day() -> None:
    """Day 61–91 is a samordningsnummer: the birth date is the day less 60; the number keeps it."""
    parsed = parse_personnummer(number("850462", "385"), TODAY)
    assert parsed.kind == IdentityKind.SAMORDNINGSNUMMER
    assert parsed.birth_date == date(1985, 4, 2)
    assert parsed.number.startswith("19850462")
    assert parse_personnummer(number("850391", "386"), TODAY).birth_date == date(1985, 3, 31)
    assert parse_personnummer(number("850361", "386"), TODAY).birth_date == date(1985, 3, 1)


# -- the century -----------------------------------------------------------------------------------


def test_century_at_the_boundary_of_the_enrolment_date() -> None:
    """Born on the enrolment date: this century; born the day after (in the 2-digit year): the last one."""
    assert parse_personnummer(number("260302", "123"), TODAY).birth_date == date(2026, 3, 2)
    assert parse_personnummer(number("260303", "123"), TODAY).birth_date == date(1926, 3, 3)
    assert parse_personnummer(number("251231", "123"), TODAY).birth_date == date(2025, 12, 31)
    assert parse_personnummer(number("270101", "123"), TODAY).birth_date == date(1927, 1, 1)


def test_plus_is_a_hundred_years_back_from_the_year_the_person_turns_100() -> None:
    """'+' adds 100 years: 260301+ is 1926 (aged 100), and so is 260601+ (turns 100 this year)."""
    assert parse_personnummer(separated(number("260301", "123"), "+"), TODAY).birth_date == date(1926, 3, 1)
    late = number("260601", "123")
    assert parse_personnummer(separated(late, "+"), TODAY).birth_date == date(1926, 6, 1)
    assert parse_personnummer(separated(late, "-"), TODAY).birth_date == date(1926, 6, 1)
    old = number("250601", "123")
    assert parse_personnummer(separated(old, "+"), TODAY).birth_date == date(1925, 6, 1)
    assert parse_personnummer(separated(old, "-"), TODAY).birth_date == date(2025, 6, 1)


def test_twelve_digits_keep_their_century_but_not_a_future_birth() -> None:
    """A 12-digit number is taken as is; a birth after the enrolment date is refused."""
    assert parse_personnummer("18" + number("991231", "123"), TODAY).birth_date == date(1899, 12, 31)
    with pytest.raises(ValueError, match="birth date 2026-03-03 is after the enrolment date 2026-03-02"):
        parse_personnummer("20" + number("260303", "123"), TODAY)


# -- leap days and impossible dates ----------------------------------------------------------------


def test_leap_day() -> None:
    """29 February exists in leap years only, judged in the resolved century."""
    assert parse_personnummer(number("240229", "123"), TODAY).birth_date == date(2024, 2, 29)
    assert parse_personnummer(number("000229", "123"), TODAY).birth_date == date(2000, 2, 29)
    assert parse_personnummer("19" + number("960229", "123"), TODAY).birth_date == date(1996, 2, 29)
    assert parse_personnummer(number("000289", "123"), TODAY).birth_date == date(2000, 2, 29)  # samordning
    with pytest.raises(ValueError, match="the birth date 2023-02-29 does not exist"):
        parse_personnummer(number("230229", "123"), TODAY)
    with pytest.raises(ValueError, match="the birth date 1900-02-29 does not exist"):
        parse_personnummer("19" + number("000229", "123"), TODAY)
    with pytest.raises(ValueError, match="the birth date 1900-02-29 does not exist"):
        parse_personnummer(separated(number("000229", "123"), "+"), TODAY)  # 2000 is 2000, not 100 years back
    # on 28 February 2000 a 10-digit 000229 would be 1900-02-29: no such day
    with pytest.raises(ValueError, match="1900-02-29 does not exist"):
        parse_personnummer(number("000229", "123"), date(2000, 2, 28))


@pytest.mark.parametrize(("birth", "problem"), [
    ("850002", "month 00 does not exist"),
    ("851302", "month 13 does not exist"),
    ("850400", "day 00 does not exist"),
    ("850432", "day 32 does not exist"),
    ("850460", "day 60 does not exist"),
    ("850492", "day 92 does not exist"),
    ("850431", "the birth date 1985-04-31 does not exist"),
    ("850491", "the birth date 1985-04-31 does not exist"),
])
def test_impossible_dates_are_named(birth: str, problem: str) -> None:
    """Month and day are checked (samordningsnummer days 61–91), then the whole date."""
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_personnummer(number(birth, "123"), TODAY)


# -- malformed text --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "problem"), [
    ("", "the number is empty"),
    ("   ", "the number is empty"),
    ("85040212345", "it has 11 digits"),
    ("850402123", "it has 9 digits"),
    ("1985040212345", "it has 13 digits"),
    ("850402-12X4", "only digits and one '-' or '+'"),
    ("850402 1234", "only digits and one '-' or '+'"),
    ("８５０４０２-１２３４", "only digits and one '-' or '+'"),
    ("850402--1234", "more than one separator"),
    ("8504-021234", "must stand just before the last four digits"),
    ("850402123-4", "must stand just before the last four digits"),
    ("19121212+1212", "'+' (aged 100 or more) belongs to the 10-digit form only"),
])
def test_malformed_numbers_say_what_is_wrong(text: str, problem: str) -> None:
    """Characters, separator and length are each named; every message shows the accepted forms or the fix."""
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_personnummer(text, TODAY)


def test_a_wrong_check_digit_is_refused_without_telling_the_right_one() -> None:
    """The message says the check digit is wrong, and contains no digit at all."""
    with pytest.raises(ValueError, match=r"the check digit \(the last digit\) is wrong") as caught:
        parse_personnummer("19121212-1213", TODAY)
    assert not re.search(r"\d", str(caught.value))


def test_the_number_stays_out_of_repr_and_str() -> None:
    """repr/str of a parsed number (logs, tracebacks) show the kind only."""
    parsed = parse_personnummer("19121212-1212", TODAY)
    for shown in (repr(parsed), str(parsed)):
        assert "1212" not in shown and "1912" not in shown
        assert "personnummer" in shown


def test_parsed_numbers_are_frozen() -> None:
    """The dataclass is immutable."""
    parsed = parse_personnummer("19121212-1212", TODAY)
    with pytest.raises(AttributeError):
        parsed.number = "000000000000"  # type: ignore[misc]


# -- properties ------------------------------------------------------------------------------------

births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
serials = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")
references = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def _ten(birth: date, serial: str, coordination: bool) -> str:
    day = birth.day + (60 if coordination else 0)
    return number(f"{birth.year % 100:02d}{birth.month:02d}{day:02d}", serial)


@settings(max_examples=300, deadline=None)
@given(birth=births, serial=serials, coordination=st.booleans(), reference=references)
def test_valid_numbers_round_trip_in_every_form(birth: date, serial: str, coordination: bool,
                                                reference: date) -> None:
    """A number built with its Luhn digit parses in all forms to the same birth date, gender, kind and 12 digits."""
    assume(birth <= reference and reference.year - birth.year < 200)
    ten = _ten(birth, serial, coordination)
    separator = "+" if reference.year - birth.year >= 100 else "-"
    century = f"{birth.year // 100:02d}"
    forms = [separated(ten, separator), century + ten, century + ten[:6] + "-" + ten[6:]]
    if separator == "-":
        forms.append(ten)
    parsed = [parse_personnummer(form, reference) for form in forms]
    assert len(set(parsed)) == 1
    only = parsed[0]
    assert only.number == century + ten
    assert only.birth_date == birth
    assert only.gender == ("male" if int(serial[2]) % 2 else "female")
    assert only.kind == (IdentityKind.SAMORDNINGSNUMMER if coordination else IdentityKind.PERSONNUMMER)


@settings(max_examples=300, deadline=None)
@given(birth=births, serial=serials, coordination=st.booleans(), position=st.integers(0, 9),
       shift=st.integers(1, 9), twelve=st.booleans())
def test_any_single_digit_change_is_refused(birth: date, serial: str, coordination: bool, position: int,
                                            shift: int, twelve: bool) -> None:
    """Changing any one digit of the 10-digit form (alone or after a century) is refused."""
    ten = _ten(birth, serial, coordination)
    changed = ten[:position] + str((int(ten[position]) + shift) % 10) + ten[position + 1:]
    text = f"{birth.year // 100:02d}{changed}" if twelve else changed
    with pytest.raises(ValueError):
        parse_personnummer(text, TODAY + timedelta(days=365 * 50))


@settings(max_examples=200, deadline=None)
@given(ten=st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_any_ten_digits_parse_only_with_a_right_check_digit(ten: str) -> None:
    """Random digits: accepted exactly when month, day and the Luhn digit are right."""
    try:
        parse_personnummer(ten, TODAY)
    except ValueError as err:
        message = str(err)
        assert any(word in message for word in ("month", "day", "birth date", "check digit"))
    else:
        assert luhn_check_digit(ten[:9]) == int(ten[9])
