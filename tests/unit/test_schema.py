"""The JSON Schema of workflow files: shipped, up to date, and in agreement with the loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from pathway.definitions import validate_text
from pathway.definitions.models import workflow_json_schema
from pathway.definitions.yaml_source import load_with_positions

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schema" / "workflow.schema.json"
SHIPPED = sorted((REPO / "workflows").glob("*.yaml"))
VALIDATOR = Draft202012Validator(workflow_json_schema())

BASE = """\
id: tiny
version: 1
title: Liten
roles: [{id: coach, title: Coach}]
steps:
  - {id: start, title: Start, kind: referral, owner: coach, initial: true}
  - {id: done, title: Klar, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: finish, from: start, to: done, data: {reason: {type: exit_reason, required: true}}}
exit_reasons: [{code: work, label: Arbete, category: work}]
"""

#: (description, text): shapes both the schema and the loader must accept
ACCEPTED = [
    ("the minimal workflow", BASE),
    ("from as a list", BASE.replace("from: start,", "from: [start],")),
    ("from as any step", BASE.replace("from: start,", 'from: "*",')),
    ("a stall limit with a ladder", BASE.replace("owner: coach, initial: true}",
     "owner: coach, initial: true, limit: {within: 10wd, remind_before: 3wd, escalation: [{after: 0d, to: owner}]}}")),
    ("a transition that stays", BASE.replace("exit_reasons:", "  - {trigger: note, from: start}\nexit_reasons:")),
    ("a count goal per quarter", BASE + "result_goals: [{id: g, title: G, target_count: 30, per: quarter, "
     "counts: {reached_step: start}}]\n"),
    ("a placement-hours goal leaving some out", BASE + "result_goals: [{id: g, title: G, target_share: 0.5, "
     "within: 12m, excluded_exit_reasons: [work], counts: {placement_hours_at_least: 10}}]\n"),
]

#: (description, text): shapes both must refuse
REFUSED = [
    ("an unknown top-level key", BASE + "colour: red\n"),
    ("an unknown step key", BASE.replace("initial: true}", "initial: true, colour: red}")),
    ("a malformed duration", BASE.replace("initial: true}", "initial: true, limit: {within: 14x}}")),
    ("a step id that is not snake_case", BASE.replace("id: start,", "id: Start,")),
    ("a version of zero", BASE.replace("version: 1", "version: 0")),
    ("a missing title", BASE.replace("title: Liten\n", "")),
    ("an unknown field type", BASE.replace("type: exit_reason", "type: colour")),
    ("an unknown outcome category", BASE.replace("category: work", "category: luck")),
    ("an empty from list", BASE.replace("from: start,", "from: [],")),
    ("a target share above one", BASE + "result_goals: [{id: g, title: G, target_share: 1.5, counts: {}}]\n"),
]


def _data(text: str) -> object:
    data, _ = load_with_positions(text)
    return data


def test_committed_schema_is_up_to_date() -> None:
    """schema/workflow.schema.json equals what `pathway workflow schema` generates (regenerate it if not)."""
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == workflow_json_schema()


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_workflow_matches_schema_and_names_it(path: Path) -> None:
    """Every shipped workflow validates against the schema and points editors at it on line 1."""
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../schema/workflow.schema.json"
    assert list(VALIDATOR.iter_errors(_data(text))) == []


@pytest.mark.parametrize(("what", "text"), ACCEPTED, ids=[a for a, _ in ACCEPTED])
def test_schema_and_loader_both_accept(what: str, text: str) -> None:
    """Shapes the loader accepts, the schema accepts too."""
    assert validate_text(text, "t.yaml").errors == 0
    assert list(VALIDATOR.iter_errors(_data(text))) == []


@pytest.mark.parametrize(("what", "text"), REFUSED, ids=[a for a, _ in REFUSED])
def test_schema_and_loader_both_refuse(what: str, text: str) -> None:
    """Shapes the schema refuses, the loader refuses too (with a located error)."""
    assert list(VALIDATOR.iter_errors(_data(text))) != []
    report = validate_text(text, "t.yaml")
    assert report.errors > 0 and all(line.startswith("t.yaml:") for line in report.problems)
