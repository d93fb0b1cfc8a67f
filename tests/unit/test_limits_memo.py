"""limits.check_text keeps the short texts it accepted only within an import run
(:func:`limits.remembering_accepted_texts`; an import gives every event of a line the same reason):
an accepted text is accepted again without a check, but only under the limits it was held to — the
same text is still refused under tighter ones, named for the field it is given for. Outside a run,
nothing a caseworker typed is kept (a server would otherwise hold free text across requests)."""

from __future__ import annotations

import pytest

from pathway import limits
from pathway.errors import BeyondLimits, PersonnummerInText


def test_an_accepted_text_is_refused_under_tighter_limits() -> None:
    with limits.remembering_accepted_texts() as kept:
        long_reason = "x" * 150
        assert limits.check_text("reason", long_reason) == long_reason
        assert (long_reason, limits.MAX_TEXT, True, True) in kept
        assert limits.check_text("reason", long_reason) == long_reason  # kept
        with pytest.raises(BeyondLimits, match="150 characters"):
            limits.check_ref(long_reason)

        two_lines = "first\nsecond"
        assert limits.check_text("reason", two_lines) == two_lines
        with pytest.raises(BeyondLimits, match="control character"):
            limits.check_text("ref", two_lines, multiline=False)

        number = "ref 19121212-1212"
        assert limits.check_lookup(number) == number  # a lookup may hold a number
        with pytest.raises(PersonnummerInText):
            limits.check_text("reason", number)


def test_a_refusal_is_never_kept() -> None:
    bad = "a\x00b"
    with limits.remembering_accepted_texts() as kept:
        for what in ("reason", "scope"):
            with pytest.raises(BeyondLimits) as refused:
                limits.check_text(what, bad)
            assert what in str(refused.value)
        assert not kept


def test_what_is_kept_stays_bounded_and_is_forgotten_when_the_run_ends() -> None:
    with limits.remembering_accepted_texts() as kept:
        for n in range(limits._ACCEPTED_KEPT + 10):
            limits.check_text("reason", f"reason {n}")
        assert 0 < len(kept) <= limits._ACCEPTED_KEPT
        long_text = "y" * (limits._ACCEPTED_LENGTH + 1)
        limits.check_text("reason", long_text)
        assert all(text != long_text for text, *_ in kept)
    assert not kept
    assert limits._accepted.get() is None


def test_outside_an_import_run_nothing_typed_is_kept() -> None:
    """A long-running server checks what a caseworker typed and keeps none of it."""
    assert limits._accepted.get() is None
    assert limits.check_text("reason", "met the participant at the job centre") == "met the participant at the job centre"
    assert limits._accepted.get() is None

