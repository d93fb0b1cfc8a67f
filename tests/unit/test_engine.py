"""The engine: one PathwayMachine per workflow version deciding what a trigger does."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from pathway.definitions import load_text
from pathway.definitions.models import Workflow
from pathway.engine import MachineCache, PathwayMachine
from pathway.errors import BadInput, GuardFailed, InvalidValue, RuleRefused, TriggerNotAllowed
from pathway.steps import GuardContext

WORKFLOW = """\
id: demo
version: 1
title: Demo
roles:
  - {id: coach, title: Coach}
attributes:
  ready: {type: boolean}
  housing: {type: boolean}
  born: {type: date}
  agency: {type: choice, choices: [soc, af]}
exit_reasons:
  - {code: work, label: Arbete, category: work}
  - {code: studies, label: Studier, category: studies}
steps:
  - {id: start, title: S, kind: referral, owner: coach, initial: true}
  - {id: plan, title: P, kind: plan, owner: coach}
  - {id: job, title: J, kind: placement, owner: coach}
  - {id: school, title: Sc, kind: guidance, owner: coach}
  - {id: done, title: D, kind: exit, owner: coach, terminal: true}
transitions:
  - trigger: include
    from: start
    to: plan
    guards:
      - name: attributes_true
        args: {attributes: [ready, housing]}
      - name: attribute_in
        args: {attribute: agency, values: [soc]}
  - trigger: route
    from: plan
    to: job
    guards: [{name: data_in, args: {field: track, values: [work]}}]
    data: {track: {type: choice, choices: [work, study, other], required: true}, note: {type: text}}
  - trigger: route
    from: plan
    to: school
    guards: [{name: data_in, args: {field: track, values: [study]}}]
    data: {track: {type: choice, choices: [work, study, other], required: true}}
  - trigger: young_route
    from: plan
    to: school
    guards: [{name: age_between, args: {min: 16, max: 29, attribute: born}}]
  - trigger: finish
    from: "*"
    to: done
    data: {reason: {type: exit_reason, required: true}}
"""

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
READY = {"ready": True, "housing": True, "agency": "soc"}


@pytest.fixture(scope="module")
def definition() -> Workflow:
    return load_text(WORKFLOW, "demo.yaml").definition


@pytest.fixture(scope="module")
def machine(definition: Workflow) -> PathwayMachine:
    return PathwayMachine(definition)


def fire(machine: PathwayMachine, step: str, trigger: str, data: dict | None = None, attrs: dict | None = None):
    return machine.fire(step, trigger, data or {}, attrs or {}, NOW, NOW)


def context(step: str, attrs: dict | None = None) -> GuardContext:
    return GuardContext(attrs or {}, {}, step, NOW, NOW)


def test_allowed_trigger_moves_to_its_destination(machine: PathwayMachine) -> None:
    """A trigger whose guards pass returns a Firing from the step to the destination."""
    firing = fire(machine, "start", "include", attrs=READY)
    assert (firing.from_step, firing.to_step, firing.terminal) == ("start", "plan", False)
    assert firing.transition.trigger == "include"


def test_not_allowed_trigger_lists_the_allowed_ones(machine: PathwayMachine) -> None:
    """A trigger not defined from the current step is refused, naming the step and the allowed triggers."""
    with pytest.raises(TriggerNotAllowed) as caught:
        fire(machine, "start", "route", {"track": "work"})
    err = caught.value
    assert err.trigger == "route" and err.step == "start"
    assert err.allowed == ["finish", "include"]
    assert str(err) == "trigger 'route' is not allowed from step 'start'; allowed now: finish, include"
    assert isinstance(err, RuleRefused) and err.exit_code == 1


def test_unknown_trigger_is_not_allowed(machine: PathwayMachine) -> None:
    """A trigger that exists nowhere in the workflow is refused the same way."""
    with pytest.raises(TriggerNotAllowed, match="allowed now: finish, route, young_route"):
        fire(machine, "plan", "fly")


def test_guard_failure_names_the_guard_and_what_is_missing(machine: PathwayMachine) -> None:
    """A failed guard says which guard blocked and which attribute is missing or wrong."""
    with pytest.raises(GuardFailed) as caught:
        fire(machine, "start", "include", attrs={"ready": True, "agency": "af"})
    err = caught.value
    assert err.reasons == [
        "guard 'attributes_true': attribute 'housing' must be true (not recorded)",
        "guard 'attribute_in': attribute 'agency' must be one of soc (recorded as af)",
    ]
    assert str(err).startswith("trigger 'include' refused in step 'start': guard 'attributes_true'")


def test_age_guard_explains_the_age(machine: PathwayMachine) -> None:
    """age_between says the age it computed (at enrolment) and the range, or that the date is missing."""
    with pytest.raises(GuardFailed, match=r"age 36 at enrolment is outside 16–29"):
        fire(machine, "plan", "young_route", attrs={"born": date(1990, 1, 1)})
    with pytest.raises(GuardFailed, match=r"attribute 'born' must be recorded"):
        fire(machine, "plan", "young_route")
    assert fire(machine, "plan", "young_route", attrs={"born": date(2000, 3, 2)}).to_step == "school"


@pytest.mark.parametrize(("track", "destination"), [("work", "job"), ("study", "school")])
def test_conditional_routing_picks_the_transition_by_data(machine: PathwayMachine, track: str, destination: str) -> None:
    """Two transitions for one trigger with data_in guards: the data decides the destination."""
    firing = fire(machine, "plan", "route", {"track": track})
    assert firing.to_step == destination
    assert firing.data == {"track": track}


def test_routing_with_no_matching_route_is_a_guard_failure(machine: PathwayMachine) -> None:
    """A valid choice that no route accepts is refused with every data_in guard's reason."""
    with pytest.raises(GuardFailed) as caught:
        fire(machine, "plan", "route", {"track": "other"})
    assert caught.value.reasons == [
        "guard 'data_in': data 'track' must be one of work (given other)",
        "guard 'data_in': data 'track' must be one of study (given other)",
    ]


def test_missing_required_data_names_the_field_and_its_choices(machine: PathwayMachine) -> None:
    """Leaving out required data is bad input (exit 2) naming the field, its choices and how to give it."""
    with pytest.raises(BadInput) as caught:
        fire(machine, "plan", "route")
    assert str(caught.value) == "trigger 'route' needs data 'track' (work, study, other); give it with data track=VALUE"
    assert caught.value.fields == ("data",)  # the CLI says --data, an import event its key "data"
    assert caught.value.exit_code == 2
    with pytest.raises(BadInput, match=r"needs data 'reason' \(work, studies\)"):
        fire(machine, "plan", "finish")


def test_unknown_data_field_is_refused_with_the_known_ones(machine: PathwayMachine) -> None:
    """Data the trigger does not take is refused, listing the fields it does take."""
    with pytest.raises(BadInput, match=r"unknown data 'trak' for trigger 'route'; known: note, track"):
        fire(machine, "plan", "route", {"trak": "work"})


def test_bad_data_value_is_refused_with_what_is_accepted(machine: PathwayMachine) -> None:
    """A data value outside its choices is InvalidValue listing the choices."""
    with pytest.raises(InvalidValue, match=r"invalid data 'track' 'cooking': use one of: work, study, other"):
        fire(machine, "plan", "route", {"track": "cooking"})


def test_data_is_coerced_and_terminal_flagged(machine: PathwayMachine) -> None:
    """Firing into a terminal step says so and carries the coerced data."""
    firing = fire(machine, "job", "finish", {"reason": " work "})
    assert firing.terminal and firing.to_step == "done"
    assert firing.data == {"reason": "work"}


def test_wildcard_source_covers_every_open_step(machine: PathwayMachine) -> None:
    """'from: \"*\"' makes a trigger available from every non-terminal step and none from terminal ones."""
    for step in ["start", "plan", "job", "school"]:
        assert "finish" in machine.triggers_from(step)
    assert machine.triggers_from("done") == []
    assert machine.is_terminal("done") and not machine.is_terminal("plan")


def test_options_report_blocked_triggers_with_reasons(machine: PathwayMachine) -> None:
    """options() lists every trigger from the step; blocked ones carry the guard reasons."""
    options = {o.trigger: o for o in machine.options("start", context("start", {"ready": True, "agency": "soc"}))}
    assert sorted(options) == ["finish", "include"]
    assert options["include"].blocked_by == ["guard 'attributes_true': attribute 'housing' must be true (not recorded)"]
    assert options["finish"].blocked_by == []
    assert list(options["finish"].data) == ["reason"]


def test_options_do_not_count_data_reading_guards_as_blocking(machine: PathwayMachine) -> None:
    """data_in guards and required data cannot be judged before data is given, so routes show as open."""
    options = {o.trigger: o for o in machine.options("plan", context("plan"))}
    assert options["route"].blocked_by == []
    assert set(options["route"].data) == {"track", "note"}
    assert options["young_route"].blocked_by == [
        "guard 'age_between': attribute 'born' must be recorded to check the age 16–29"
    ]


def test_options_list_every_failing_attribute(machine: PathwayMachine) -> None:
    """When several attributes are missing, the blocked trigger names each of them."""
    (include,) = [o for o in machine.options("start", context("start", {"ready": False})) if o.trigger == "include"]
    assert include.blocked_by[0] == (
        "guard 'attributes_true': attributes must be true: 'ready' (recorded as false), 'housing' (not recorded)"
    )
    assert "guard 'attribute_in': attribute 'agency' must be one of soc (not recorded)" in include.blocked_by


def test_options_unblock_when_attributes_are_recorded(machine: PathwayMachine) -> None:
    """Once the attributes are in place, the guarded trigger is no longer blocked."""
    options = {o.trigger: o for o in machine.options("start", context("start", READY))}
    assert options["include"].blocked_by == []


def test_machine_cache_builds_one_machine_per_workflow_version(definition: Workflow) -> None:
    """MachineCache returns the same machine for the same (id, version) and a new one per version."""
    cache = MachineCache()
    first = cache.get(definition, 1)
    assert cache.get(definition, 1) is first
    assert len(cache) == 1
    second = cache.get(definition, 2)
    assert second is not first and len(cache) == 2
    other = load_text(WORKFLOW.replace("id: demo", "id: other"), "other.yaml").definition
    assert cache.get(other, 1) is not first and len(cache) == 3
    for _ in range(100):
        cache.get(definition, 1)
    assert len(cache) == 3


def test_machine_is_shared_state_free(machine: PathwayMachine) -> None:
    """Firing never moves the machine itself: the same machine serves participants in different steps."""
    fire(machine, "start", "include", attrs=READY)
    assert fire(machine, "plan", "route", {"track": "work"}).from_step == "plan"
    assert fire(machine, "start", "include", attrs=READY).from_step == "start"
