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


@dataclass(frozen=True, order=True)
class Duration:
    """A length of time in the unit the designer chose; arithmetic lives in the engine because
    working days need the Swedish holiday calendar."""

    amount: int
    unit: DurationUnit

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = re.fullmatch(DURATION_PATTERN, text.strip())
        if match is None:
            raise ValueError(f"invalid duration {text!r}: {DURATION_HELP}")
        unit = match.group(1)
        return cls(int(text.strip()[: -len(unit)]), unit)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def describe(self) -> str:
        return f"{self.amount} {_UNIT_WORDS[self.unit]}"
