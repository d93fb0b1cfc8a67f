"""The national_followup mapping (Uppföljning Finsam) is validated with located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pathway.definitions import validate_text
from pathway.definitions.national import EXIT_CODES, SITUATION_CODES

REPO = Path(__file__).resolve().parents[2]

BASE = """\
id: demo
version: 1
title: Demo
roles:
  - {id: coach, title: Coach}
attributes:
  income: {type: choice, choices: [salary, none]}
steps:
  - {id: start, title: Start, kind: referral, owner: coach, initial: true}
  - {id: done, title: Klar, kind: exit, owner: coach, terminal: true}
transitions:
  - trigger: finish
    from: start
    to: done
    data: {reason: {type: exit_reason, required: true}, income_at_exit: {type: choice, choices: [salary, none, other]}}
exit_reasons:
  - {code: work, label: Arbete, category: work}
  - {code: ended, label: Avbrott, category: other}
national_followup:
"""


def errors(mapping: str) -> list[str]:
    report = validate_text(BASE + mapping, "wf.yaml")
    return [p for p in report.problems if ": error[" in p]


GOOD = """\
  intervention: Demo
  exit_reasons: {work: work, ended: own_request}
  situation:
    at_start: income
    at_exit: income_at_exit
    codes: {salary: none, none: none, other: other}
"""


def test_a_complete_mapping_validates() -> None:
    """Every exit reason and every situation choice mapped to a known national code: no errors."""
    assert errors(GOOD) == []


@pytest.mark.parametrize("mapping, expected", [
    (GOOD.replace("work: work,", "wrk: work,"),
     ["wf.yaml:21:23: error[unknown-exit-reason]: unknown exit reason 'wrk' (hint: did you mean 'work'?)",
      "wf.yaml:21:17: error[exit-reason-not-mapped]: exit reason(s) 'work' have no national code"]),
    (GOOD.replace("ended: own_request", "ended: quit"),
     ["wf.yaml:21:37: error[unknown-national-exit-code]: unknown national exit code 'quit'"]),
    (GOOD.replace("at_start: income", "at_start: incme"),
     ["wf.yaml:23:15: error[not-a-choice-attribute]: 'incme' is not a choice attribute of the workflow (hint: did you mean 'income'?)"]),
    (GOOD.replace("at_exit: income_at_exit", "at_exit: reason"),
     ["wf.yaml:24:14: error[not-a-choice-field]", "wf.yaml:25:46: error[unknown-situation-choice]: unknown situation choice 'other'"]),
    (GOOD.replace(", other: other", ""), ["wf.yaml:25:12: error[situation-not-mapped]: choice(s) 'other'"]),
    (GOOD.replace("none: none", "none: nothing"), ["wf.yaml:25:33: error[unknown-national-situation-code]"]),
])
def test_each_mistake_is_located(mapping: str, expected: list[str]) -> None:
    """Unknown or unmapped codes on either side are errors at their line and column, with a hint."""
    found = errors(mapping)
    assert len(found) == len(expected), found
    for line, prefix in zip(found, expected):
        assert line.startswith(prefix), (line, prefix)


def test_the_shipped_workflows_map_every_code() -> None:
    """All five shipped workflows carry a complete mapping to national codes."""
    for path in sorted((REPO / "workflows").glob("*.yaml")):
        report = validate_text(path.read_text(encoding="utf-8"), path.name)
        assert [p for p in report.problems if ": error[" in p] == [], path
        assert "national_followup:" in path.read_text(encoding="utf-8")
    assert "registered_in_error" in EXIT_CODES and "social_assistance" in SITUATION_CODES
