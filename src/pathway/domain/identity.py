"""Swedish personal identity numbers (personnummer and samordningsnummer), parsed and checked.

Pure: no database, no CLI. :func:`parse_personnummer` turns what a caseworker typed into a
:class:`PersonalIdentityNumber` — the number normalised to 12 digits, its kind, and the birth date
and legal gender it encodes — or raises :class:`ValueError` saying what is wrong without ever
repeating the number (or the check digit it should have had).

The rules (Skatteverket, SKV 704):

* ``YYMMDD-NNNN`` or ``YYYYMMDDNNNN``; the separator is ``-``, or ``+`` in the 10-digit form once
  the person has turned 100. The last digit is a Luhn check digit over the 10-digit form.
* A 10-digit number's century is the most recent one in which the person is not born after the
  reference date (the enrolment); with ``+`` (shown from the year the person turns 100) it is the
  most recent one at least 100 years back. A 12-digit number carries its century.
* A samordningsnummer (coordination number) has 60 added to the day of birth.
* The second-to-last digit is odd for men and even for women.

Where the number sits is a matter of the store (DESIGN invariant 7): in the identity table only,
never in events, reports, exports or logs. The dataclass therefore keeps the number out of its
``repr``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

#: What is added to the day of birth in a samordningsnummer.
COORDINATION_DAY_OFFSET = 60

ACCEPTED_FORMS = "give 10 or 12 digits: YYMMDD-NNNN, YYMMDD+NNNN (aged 100 or more), YYYYMMDD-NNNN or without separator"

_DIGITS = re.compile(r"[0-9]+", re.ASCII)


class IdentityKind(StrEnum):
    """How a participant is identified; stored in the identity table."""

    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"
    #: no consent to registration, or protected identity: no number, only gender and start year
    ANONYMOUS = "anonymous"
    #: the number was removed by retention (gallring); a random pseudonym links the person's enrolments
    PSEUDONYMISED = "pseudonymised"


@dataclass(frozen=True)
class PersonalIdentityNumber:
    """A checked personnummer or samordningsnummer and what it says about the person."""

    #: the number as 12 digits, century included (a samordningsnummer keeps its day + 60)
    number: str = field(repr=False)
    kind: IdentityKind
    birth_date: date = field(repr=False)
    #: legal gender as the number encodes it: ``male`` or ``female``
    gender: str = field(repr=False)

    @property
    def formatted(self) -> str:
        """``YYYYMMDD-NNNN``."""
        return f"{self.number[:8]}-{self.number[8:]}"

    def __str__(self) -> str:  # never print the number by accident
        return f"{self.kind} (hidden)"


def luhn_check_digit(nine_digits: str) -> int:
    """The Luhn check digit for the first nine digits of the 10-digit form."""
    if len(nine_digits) != 9 or not _DIGITS.fullmatch(nine_digits):
        raise ValueError("the Luhn check digit is computed over exactly nine digits")
    total = 0
    for index, char in enumerate(nine_digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def parse_personnummer(text: str, reference: date) -> PersonalIdentityNumber:
    """Check a personnummer or samordningsnummer typed by a person; ``reference`` is the enrolment date.

    Raises :class:`ValueError` naming what is wrong (characters, length, separator, date, check digit).
    """
    raw = text.strip()
    if not raw:
        raise ValueError(f"the number is empty; {ACCEPTED_FORMS}")
    if any(c not in "0123456789-+" for c in raw):
        raise ValueError(f"it may hold only digits and one '-' or '+' before the last four; {ACCEPTED_FORMS}")
    separators = [c for c in raw if c in "-+"]
    if len(separators) > 1:
        raise ValueError(f"it has more than one separator; {ACCEPTED_FORMS}")
    separator = separators[0] if separators else ""
    if separator and raw.index(separator) != len(raw) - 5:
        raise ValueError(f"the separator '{separator}' must stand just before the last four digits; {ACCEPTED_FORMS}")
    digits = raw.replace(separator, "") if separator else raw
    if len(digits) not in (10, 12):
        raise ValueError(f"it has {len(digits)} digits; {ACCEPTED_FORMS}")
    if len(digits) == 12 and separator == "+":
        raise ValueError("'+' (aged 100 or more) belongs to the 10-digit form only; "
                         "the 12-digit form carries its century, so use '-' or no separator")

    ten = digits[-10:]
    month, day = int(ten[2:4]), int(ten[4:6])
    if not 1 <= month <= 12:
        raise ValueError(f"month {ten[2:4]} does not exist; the digits after the year are the month of birth (01–12)")
    kind = IdentityKind.PERSONNUMMER
    birth_day = day
    if day > COORDINATION_DAY_OFFSET:
        kind = IdentityKind.SAMORDNINGSNUMMER
        birth_day = day - COORDINATION_DAY_OFFSET
    if not 1 <= birth_day <= 31:
        raise ValueError(
            f"day {ten[4:6]} does not exist; the day of birth is 01–31 (61–91 in a samordningsnummer, "
            f"which adds {COORDINATION_DAY_OFFSET})"
        )

    if len(digits) == 12:
        year = int(digits[:4])
    else:
        year = _resolve_century(int(ten[:2]), month, birth_day, reference, plus=separator == "+")
    try:
        birth_date = date(year, month, birth_day)
    except ValueError:
        raise ValueError(f"the birth date {year:04d}-{month:02d}-{birth_day:02d} does not exist") from None
    if birth_date > reference:
        raise ValueError(f"the birth date {birth_date.isoformat()} is after the enrolment date {reference.isoformat()}")
    if luhn_check_digit(ten[:9]) != int(ten[9]):
        raise ValueError("the check digit (the last digit) is wrong; check the number for a typing error")

    gender = "male" if int(ten[8]) % 2 == 1 else "female"
    return PersonalIdentityNumber(number=f"{year:04d}{ten[2:]}", kind=kind, birth_date=birth_date, gender=gender)


def _resolve_century(two_digit_year: int, month: int, day: int, reference: date, *, plus: bool) -> int:
    """The year of birth of a 10-digit number.

    ``-`` (or none): the most recent year ending in ``two_digit_year`` whose (month, day) is not after
    ``reference``. ``+``: Skatteverket shows it from the year the person turns 100, so the most
    recent year ending in ``two_digit_year`` that is at least 100 years before ``reference``'s year
    (for a person aged 100 or more this is the "-" year less 100).
    """
    if plus:
        latest = reference.year - 100
        return latest - (latest - two_digit_year) % 100
    year = reference.year - (reference.year - two_digit_year) % 100
    if (year, month, day) > (reference.year, reference.month, reference.day):
        year -= 100
    return year
