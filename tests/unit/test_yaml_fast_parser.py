"""libyaml's parser (used where PyYAML has it) reads a workflow file as PyYAML's own parser does.

Checked on the shipped workflows (the same events, value for value, line and column for line and
column) and on random damage done to them and on random short texts: wherever PyYAML reads a text,
the document built from libyaml's events is the same, with every value on the same line (an empty
value in a flow list may sit one column apart); wherever libyaml refuses a text, the error reported
is PyYAML's own, message and position. libyaml is the more lenient of the two on some malformed YAML
(a tab after a value, some ``?`` keys): such a text now reaches the workflow's own validation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathway.definitions import yaml_source
from pathway.definitions.yaml_source import YamlProblem, check_bounds, load_with_positions

WORKFLOWS = sorted((Path(__file__).resolve().parents[2] / "workflows").glob("*.yaml"))
TEXTS = [path.read_text(encoding="utf-8") for path in WORKFLOWS]

pytestmark = pytest.mark.skipif(yaml_source._FAST_PARSER is None, reason="PyYAML was built without libyaml")


@contextmanager
def _pyyaml_only() -> Iterator[None]:
    fast = yaml_source._FAST_PARSER
    yaml_source._FAST_PARSER = None
    try:
        yield
    finally:
        yaml_source._FAST_PARSER = fast


def _shape(event: yaml.Event) -> tuple[Any, ...]:
    marks = tuple((mark.line, mark.column) for mark in (event.start_mark, event.end_mark))
    return (type(event).__name__, getattr(event, "anchor", None), getattr(event, "tag", None),
            getattr(event, "implicit", None), getattr(event, "value", None), marks)


def _read(text: str) -> tuple[Any, ...]:
    """What a workflow's loader gets: the document and each value's line, or the refusal and where."""
    try:
        value, source_map = load_with_positions(text)
    except YamlProblem as problem:
        return ("refused", problem.message, problem.position)
    lines = {path: position.line for path, position in source_map.positions.items()}
    key_lines = {path: position.line for path, position in source_map.key_positions.items()}
    return ("read", repr(value), lines, key_lines)


def _agrees(text: str) -> None:
    used = _read(text)
    with _pyyaml_only():
        reference = _read(text)
    if reference[0] == "read" or used[0] == "refused":
        assert used == reference


@pytest.mark.parametrize("text", TEXTS, ids=[path.stem for path in WORKFLOWS])
def test_the_shipped_workflows_parse_to_pyyamls_events(text: str) -> None:
    used = [_shape(event) for event in yaml_source._parse(text)]
    assert used == [_shape(event) for event in yaml.parse(text, Loader=yaml_source._Yaml12BoolLoader)]
    _agrees(text)


#: what damage is made of: YAML's indicators, whitespace, quotes, letters, a non-ASCII letter
_DAMAGE = st.text(alphabet=list(":-?[]{},#&*!|>'\"%@` \t\nxå0\\"), min_size=1, max_size=4)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(TEXTS) - 1), where=st.floats(0, 1), cut=st.integers(0, 6), insert=_DAMAGE)
def test_damaged_workflows_read_as_with_pyyaml(which: int, where: float, cut: int, insert: str) -> None:
    text = TEXTS[which]
    at = int(where * len(text))
    _agrees(text[:at] + insert + text[at + cut:])


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=list(":-?[]{},#&*!|>'\"%@` \t\nabå0\\\x00\x07\u202e"), max_size=60))
def test_any_short_text_reads_as_with_pyyaml(text: str) -> None:
    for variant in (text, text + "\n"):  # libyaml is asked only for text ending in a line break
        _agrees(variant)


def test_libyaml_is_more_lenient_on_a_tab_after_a_value() -> None:
    """The difference, pinned so that it is known: PyYAML refuses a tab after a plain value."""
    with _pyyaml_only(), pytest.raises(YamlProblem):
        load_with_positions("id: x\t\n")
    assert load_with_positions("id: x\t\n")[0] == {"id": "x"}


def test_errors_are_located_as_pyyaml_locates_them() -> None:
    """libyaml refuses, PyYAML parses again: its message and position are the ones reported."""
    for text, position in (("id: a\n  b: c\n", (2, 4)), ("id: x\nåäö: 1\x00\n", (2, 7)), ("a: [1, 2\n", (2, 1))):
        with pytest.raises(YamlProblem) as problem:
            check_bounds(text)
        assert (problem.value.position.line, problem.value.position.column) == position, problem.value.message
