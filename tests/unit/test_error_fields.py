"""Errors name fields, not flags: each entry point words them its own way (issue 10)."""

from __future__ import annotations

from pathway.cli.app import flag
from pathway.errors import BadInput, InvalidValue, field
from pathway.services.importer import line_key


def test_a_message_words_its_fields_in_each_vocabulary() -> None:
    """The plain message names the field; the CLI words it as its flag, an import line as its key."""
    err = InvalidValue(field("at"), "2027-01-01 09:00", f"it is after now; say why with {field('reason')}")
    assert err.message == "invalid at '2027-01-01 09:00': it is after now; say why with reason"
    assert err.worded(flag) == "invalid --at '2027-01-01 09:00': it is after now; say why with --reason"
    assert err.worded(line_key) == "invalid enrolled_at '2027-01-01 09:00': it is after now; say why with reason"
    assert err.fields == ("at", "reason")


def test_flags_that_are_not_the_field_name_with_dashes() -> None:
    """attributes is --attr; an underscore becomes a dash."""
    assert [flag(n) for n in ("attributes", "personnummer", "hours_per_week")] == ["--attr", "--personnummer",
                                                                                   "--hours-per-week"]


def test_a_wrapped_error_keeps_its_fields_and_text_typed_by_a_user_stays_inert() -> None:
    """``template`` carries the fields into a wrapping error; control characters around them are escaped."""
    inner = BadInput(f"give {field('ref')} \x1b[2J")
    outer = BadInput(f"line 3: {inner.template}")
    assert outer.worded(flag) == "line 3: give --ref \\x1b[2J"
    assert "\ue000" not in outer.message
