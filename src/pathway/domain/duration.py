"""Durations as project designers write them: ``14d``, ``10wd``, ``3w``, ``6m``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

DurationUnit = Literal["d", "wd", "w", "m"]

#: The pattern a duration must match; shared with the JSON Schema of workflow files.
DURATION_PATTERN = r"^[0-9]+(d|wd|w|m)$"
DURATION_HELP = "a whole number followed by d (calendar days), wd (working days), w (weeks) or m (months), e.g. 14d, 10wd, 3w, 6m"

_UNIT_WORDS = {"d": "calendar days", "wd": "working days", "w": "weeks", "m": "months"}

#: The longest duration of each unit (20 years): what the deadline calendar counts within its
#: 30-year horizon, and far beyond any pathway's deadline.
MAX_AMOUNT: dict[str, int] = {"d": 7_300, "wd": 5_000, "w": 1_040, "m": 240}
LIMIT_HELP = "at most 20 years: 7300d, 5000wd, 1040w or 240m"


@dataclass(frozen=True, order=True)
class Duration:
    """A length of time in the unit the designer chose; arithmetic lives in the engine because
    working days need the Swedish holiday calendar."""

    amount: int
    unit: DurationUnit

    @classmethod
    def parse(cls, text: str) -> Duration:
        stripped = text.strip()
        match = re.fullmatch(DURATION_PATTERN, stripped) if len(stripped) <= 40 else None
        if match is None:
            shown = repr(stripped) if len(stripped) <= 40 else f"of {len(stripped)} characters"
            raise ValueError(f"invalid duration {shown}: {DURATION_HELP}")
        unit = match.group(1)
        digits = stripped[: -len(unit)].lstrip("0") or "0"
        if len(digits) > 6 or int(digits) > MAX_AMOUNT[unit]:
            raise ValueError(f"duration {stripped} is too long: {LIMIT_HELP}")
        return cls(int(digits), unit)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def describe(self) -> str:
        return f"{self.amount} {_UNIT_WORDS[self.unit]}"
