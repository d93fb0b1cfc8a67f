"""Property-based (hypothesis): whatever a careless or hostile user types reaches pathway's parsers
and ends in a value or a typed refusal (PathwayError / a located problem) — never another exception.

Covers the YAML loader (arbitrary text, and valid workflows with fields replaced by junk), every
CLI value parser (times, durations, KEY=VALUE pairs, typed attribute values of every field type,
ids and refs, personnummer) and import lines (arbitrary text and JSON). That a refusal writes
nothing is pinned for import lines in tests/integration/test_fuzz_import.py.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathway import limits
from pathway.clock import parse_time
from pathway.definitions.loader import validate_text
from pathway.definitions.models import FieldSpec, FieldType
from pathway.domain.duration import Duration
from pathway.domain.identity import parse_personnummer
from pathway.engine.values import coerce, parse_assignments
from pathway.errors import PathwayError
from pathway.services.importer import parse_line

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Text with the characters that broke things: NUL, escapes, bidi overrides, digits, YAML syntax.
NASTY = st.text(alphabet=st.sampled_from(list("abc019-+:TZ.,= \t\n\x00\x1b\u202e[]{}&*!|>'\"#%@`~")) | st.characters(),
                max_size=120)

VALID = """\
id: fuzz
version: 1
title: Fuzz
roles: [{id: coach, title: Coach}]
attributes:
  n: {type: integer, min: 1, max: 10}
  d: {type: date}
steps:
  - {id: a, title: A, kind: referral, owner: coach, initial: true, limit: {within: 14d}}
  - {id: z, title: Z, kind: exit, owner: coach, terminal: true}
transitions:
  - trigger: go
    from: a
    to: z
    guards: [{name: attributes_true, args: {attributes: [n]}}]
    data: {reason: {type: exit_reason, required: true}}
exit_reasons: [{code: work, label: W, category: work}]
"""

#: Places in VALID where a value may be replaced by junk.
SLOTS = ["1", "Fuzz", "coach", "integer", "10", "14d", "true", "[n]", "attributes_true", "exit_reason", "work", "a"]
JUNK = st.one_of(
    st.sampled_from(["99999999999999999999999", "-1", "&x [*x]", "*nope", "{a: 5}", "[[[[[", "~", "null",
                     "99999999999d", "1e400", "\"\\x00\"", "!!python/object:os.system", "'", "{", "? [a]\n: 1"]),
    st.text(max_size=20).filter(lambda s: "\n" not in s),
)


def _never_crashes(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except PathwayError:
        return None


@FAST
@given(NASTY)
def test_the_yaml_loader_answers_any_text_with_located_problems(text: str) -> None:
    """Any text given to `workflow validate`: a report whose problems are FILE:LINE:COLUMN lines."""
    report = validate_text(text, "x.yaml")
    assert report.ok or report.problems
    assert all(line.startswith("x.yaml:") for line in report.problems)


@FAST
@given(st.sampled_from(SLOTS), JUNK)
def test_a_valid_workflow_with_a_value_replaced_by_junk_never_crashes(slot: str, junk: str) -> None:
    """A shipped-like workflow with one value replaced by junk validates or reports located problems."""
    text = VALID.replace(slot, junk, 1)
    report = validate_text(text, "x.yaml")
    assert report.ok or all(line.startswith("x.yaml:") for line in report.problems)


@FAST
@given(NASTY)
def test_time_durations_and_pairs_parse_or_refuse(text: str) -> None:
    """--at/--now, --due-within and KEY=VALUE: a value or a typed refusal."""
    moment = _never_crashes(parse_time, text, "--at")
    if moment is not None:
        assert limits.in_range(moment.date()) or limits.in_range(date(moment.year + 1, 1, 1))
    try:
        Duration.parse(text)
    except ValueError:
        pass
    _never_crashes(parse_assignments, [text, f"k={text}"], "--data")


@FAST
@given(st.sampled_from(list(FieldType)), st.one_of(NASTY, st.integers(), st.floats(), st.booleans(),
                                                   st.lists(st.text(max_size=5), max_size=3), st.none()))
def test_every_field_type_coerces_or_refuses(kind: FieldType, value: Any) -> None:
    """Attribute and trigger-data values of every type: the typed value or InvalidValue."""
    choices = ["female", "male"] if kind in (FieldType.CHOICE, FieldType.MULTI_CHOICE) else None
    spec = FieldSpec(type=kind, choices=choices)
    _never_crashes(coerce, spec, value, "attribute 'x'", ["work"])


@FAST
@given(NASTY)
def test_refs_lookups_actors_and_personnummer_parse_or_refuse(text: str) -> None:
    """--ref, a participant id/ref, --actor, --personnummer: within the limits, or a typed refusal."""
    _never_crashes(limits.check_ref, text)
    _never_crashes(limits.check_lookup, text)
    _never_crashes(limits.check_actor, text)
    try:
        parse_personnummer(text, date(2026, 3, 2))
    except ValueError:
        pass


@FAST
@given(st.one_of(NASTY, st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                                     max_leaves=30).map(json.dumps)))
def test_import_lines_parse_or_refuse(text: str) -> None:
    """Any import line: an ImportLine or BadInput naming the problem."""
    _never_crashes(parse_line, text)


def test_error_messages_quote_control_characters_as_escapes() -> None:
    """A message quotes what was typed; a terminal escape or a bidi override in it must stay inert."""
    from pathway.errors import UnknownWorkflow, inert

    message = UnknownWorkflow("a\x1b[31mb\u202ec\x00", ["kraft"]).message
    assert message == "unknown workflow 'a\\x1b[31mb\\u202ec\\x00'; known workflows: kraft"
    assert message.isprintable()
    assert inert("line one\nline two\tend") == "line one\nline two\tend"
