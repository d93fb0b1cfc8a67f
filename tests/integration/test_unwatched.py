"""The board's "unwatched" list on SQLite and PostgreSQL: open participants no deadline watches although a
rule should, because the date attribute it starts at was never recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.errors import NotPermitted
from pathway.services import deadlines, users
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, set_attributes

from .conftest import make_context

WATCH = """\
id: watch
version: 1
title: Bevakning
roles:
  - {id: caseworker, title: Handläggare}
attributes:
  application_date: {type: date}
  case_type: {type: choice, choices: [new, known]}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: caseworker, initial: true}
  - {id: first_meeting, title: Första mötet, kind: assessment, owner: caseworker}
  - {id: exited, title: Avslut, kind: exit, owner: caseworker, terminal: true}
transitions:
  - {trigger: meet, from: referral, to: first_meeting}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
deadlines:
  - id: first_meeting_within_14_days
    title: Första mötet inom 14 dagar från ansökan
    start: {attribute: application_date}
    target: {entered: first_meeting}
    within: 14d
    applies_if:
      - {name: attribute_in, args: {attribute: case_type, values: [new]}}
"""


@pytest.fixture
def watch(engine: Engine, workflows: Path, clock: FixedClock) -> ServiceContext:
    (workflows / "watch.yaml").write_text(WATCH, encoding="utf-8")
    return make_context(engine, workflows, clock)


def test_participants_whose_rule_never_started_are_listed_until_the_attribute_is_recorded(
    watch: ServiceContext,
) -> None:
    """New case without an application date: unwatched; with one, a known case (the rule does not apply) and
    an exited one: not; recording the date starts the clock and takes the participant off the list."""
    enrol(watch, "watch", ref="A", attributes={"case_type": "new"})
    enrol(watch, "watch", ref="B", attributes={"case_type": "new", "application_date": "2026-03-01"})
    enrol(watch, "watch", ref="C", attributes={"case_type": "known"})
    enrol(watch, "watch", ref="D", attributes={"case_type": "new"})
    fire(watch, "D", "exit", {"reason": "work"})
    enrol(watch, "demo", ref="E")  # a workflow with no such rule
    found = deadlines.unwatched(watch)
    assert [(r.ref, r.workflow, r.step, r.rule, r.attribute) for r in found] == [
        ("A", "watch", "referral", "first_meeting_within_14_days", "application_date")]
    assert found[0].to_json()["title"] == "Första mötet inom 14 dagar från ansökan"
    assert deadlines.unwatched(watch, "demo") == []
    assert not any(r.ref == "A" for r in deadlines.board(watch))  # the board alone would never show A
    set_attributes(watch, "A", {"application_date": "2026-03-01"})
    assert deadlines.unwatched(watch) == []
    assert sorted(r.ref for r in deadlines.board(watch)) == ["A", "B"]


def test_a_participant_pinned_to_an_older_version_is_still_found(watch: ServiceContext, workflows: Path) -> None:
    """Version 2 renames the step where the rule watches; A, still on version 1 in 'referral', is listed."""
    enrol(watch, "watch", ref="A", attributes={"case_type": "new"})
    renamed = WATCH.replace("version: 1", "version: 2").replace("{id: referral", "{id: intake").replace(
        "from: referral", "from: intake")
    (workflows / "watch.yaml").write_text(renamed, encoding="utf-8")
    enrol(watch, "watch", ref="N", attributes={"case_type": "new"})  # on version 2, in 'intake'
    found = deadlines.unwatched(watch)
    assert [(r.ref, r.step) for r in found] == [("A", "referral"), ("N", "intake")]


def test_who_may_see_the_unwatched_list(watch: ServiceContext, engine: Engine, workflows: Path,
                                        clock: FixedClock) -> None:
    """Staff of the workflow see it; staff of another workflow see none of its participants; a funder is refused."""
    enrol(watch, "watch", ref="A", attributes={"case_type": "new"})
    users.add_user(watch, "root", "Rut Root", "coordination", admin=True)

    def as_(login: str) -> ServiceContext:
        acting = make_context(engine, workflows, clock, actor=login)
        users.resolve(acting, login)
        return acting

    admin = as_("root")
    users.add_user(admin, "kim", "Kim", "soc", ["caseworker"], ["watch"])
    users.add_user(admin, "dan", "Dan", "soc", ["coach"], ["demo"])
    users.add_user(admin, "fia", "Fia", "coordination", ["funder"], ["watch"])
    assert [r.ref for r in deadlines.unwatched(as_("kim"))] == ["A"]
    assert deadlines.unwatched(as_("dan")) == []
    with pytest.raises(NotPermitted, match="permission deadlines.list"):
        deadlines.unwatched(as_("fia"))
