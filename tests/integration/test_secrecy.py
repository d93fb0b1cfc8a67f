"""Secrecy between agencies, driven by consent, on SQLite and PostgreSQL: the issue's scenario."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.reports.handover import to_markdown
from pathway.services.handover import journey
from pathway.services import records
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, history_view, set_attributes, show

from .conftest import Team, make_team



@pytest.fixture
def team(engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext) -> Team:
    """sofia (soc), alf (af), hedda (health): caseworkers ('coach') in the demo workflow."""
    return make_team(engine, workflows, clock, ctx, [
        (login, name, agency, ["coach"], ["demo"])
        for login, name, agency in (("sofia", "Sofia Soc", "soc"), ("alf", "Alf Af", "af"),
                                    ("hedda", "Hedda Vård", "health"))])


def test_health_entries_are_withheld_from_af_until_consent_covers_af(team: Team, clock: FixedClock) -> None:
    """Consent for soc only: af sees the step and the plan, not health's entries, and is told how many;
    consent for af shows them; its withdrawal hides them again at once."""
    sofia, alf, hedda = team("sofia"), team("alf"), team("hedda")
    pid, _ = enrol(sofia, "demo", attributes={"gender": "female"})
    records.give_consent(sofia, pid, ["soc"])
    fire(sofia, pid, "assess")
    records.add_goal(sofia, pid, "Arbetsträning 20 h/vecka")  # the plan agreed in the joint meeting
    records.start_intervention(hedda, pid, "KBT", agency="health")
    set_attributes(hedda, pid, {"hours": "5"})
    clock.advance(hours=1)

    view = show(alf, pid)
    assert view.step == "mapping" and [g.what for g in view.records.plan.values()] == ["Arbetsträning 20 h/vecka"]
    assert view.records.interventions == {} and "hours" not in view.attributes
    assert view.withheld == ["2 entries recorded by health care are not shown: no consent to share with af"]
    events, notes = history_view(alf, pid)
    assert {e.type for e in events} >= {"enrolled", "transition", "plan_goal_added", "consent_given"}
    assert not {"intervention_started", "attributes_set"} & {e.type for e in events}
    assert notes == view.withheld
    assert show(sofia, pid).withheld == [] and show(hedda, pid).attributes["hours"] == 5

    records.give_consent(sofia, pid, ["soc", "af"])
    clock.advance(hours=1)
    shared = show(alf, pid)
    assert shared.withheld == [] and [i.kind for i in shared.records.interventions.values()] == ["KBT"]
    assert shared.attributes["hours"] == 5

    records.withdraw_consent(sofia, pid, ["af"])
    again = show(alf, pid)
    assert again.records.interventions == {} and len(again.withheld) == 1
    summary = journey(alf, pid, "soc")
    assert summary["withheld_from_you"] == again.withheld and "hours" not in summary["attributes"]
    assert "KBT" not in to_markdown(summary) and "Ej med (sekretess)" in to_markdown(summary)


def test_single_user_mode_withholds_nothing(ctx: ServiceContext) -> None:
    """Without users, nothing is withheld (there is no agency to withhold from)."""
    pid, _ = enrol(ctx, "demo", attributes={"gender": "female"})
    records.start_intervention(ctx, pid, "KBT", agency="health")
    assert show(ctx, pid).withheld == [] and len(show(ctx, pid).records.interventions) == 1
