"""The store suite, run on SQLite and PostgreSQL: participants, their history and its invariants."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.domain.replay import replay
from pathway.errors import (
    BadInput,
    DefinitionInvalid,
    DuplicateRef,
    GuardFailed,
    InvalidValue,
    ParticipantExited,
    TriggerNotAllowed,
    UnknownParticipant,
    UnknownWorkflow,
)
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, history, list_participants, set_attributes, show

from .conftest import START, make_context, snapshot


def test_enrol_fire_history_records_every_event(ctx: ServiceContext, clock: FixedClock) -> None:
    """Each use case appends one event: seq 1..n, with type, steps, actor, effective and recorded times."""
    pid, note = enrol(ctx, "demo", ref="A-1", attributes={"gender": "female", "ready": "ja"})
    assert note is None
    clock.advance(hours=1)
    assert set_attributes(ctx, pid, {"hours": "7,5", "start_date": "2026-03-09"}) == {
        "hours": 7.5, "start_date": "2026-03-09",
    }
    clock.advance(days=1)
    assert fire(ctx, pid, "assess").to_step == "mapping"
    clock.advance(days=2)
    result = fire(ctx, pid, "place", {"track": "work"})
    assert (result.from_step, result.to_step, result.status, result.seq) == ("mapping", "training", "open", 4)
    clock.advance(days=30)
    result = fire(ctx, pid, "exit", {"reason": "work"})
    assert (result.to_step, result.status, result.seq) == ("exited", "exited", 5)

    events = history(ctx, pid)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.type for e in events] == ["enrolled", "attributes_set", "transition", "transition", "transition"]
    assert [e.trigger for e in events] == [None, None, "assess", "place", "exit"]
    assert [(e.from_step, e.to_step) for e in events] == [
        (None, "referral"), ("referral", "referral"), ("referral", "mapping"),
        ("mapping", "training"), ("training", "exited"),
    ]
    offsets = [timedelta(0), timedelta(hours=1), timedelta(days=1, hours=1), timedelta(days=3, hours=1),
               timedelta(days=33, hours=1)]
    assert [e.effective_at for e in events] == [START + o for o in offsets]
    assert [e.recorded_at for e in events] == [START + o for o in offsets]
    for e in events:  # timezone-aware UTC, microseconds kept, on both back ends
        assert e.effective_at.tzinfo is not None and e.effective_at.utcoffset() == timedelta(0)
        assert e.recorded_at.utcoffset() == timedelta(0)
        assert e.effective_at.microsecond == 123456
        assert e.actor == "anna" and e.workflow_version == 1 and e.reason is None
    assert events[0].data == {"ref": "A-1", "attributes": {"gender": "female", "ready": True}}
    assert events[1].data == {"set": {"hours": 7.5, "start_date": "2026-03-09"},
                              "previous": {"hours": None, "start_date": None}}
    assert events[3].data == {"track": "work"} and events[4].data == {"reason": "work"}


def test_projection_equals_replay_of_the_events(ctx: ServiceContext, clock: FixedClock) -> None:
    """The participant row is exactly what replaying its events gives (invariant 1)."""
    pid, _ = enrol(ctx, "demo", ref="R-1", attributes={"gender": "male"})
    clock.advance(days=1)
    fire(ctx, pid, "assess")
    set_attributes(ctx, pid, {"ready": True})
    clock.advance(days=1)
    fire(ctx, pid, "place", {"track": "study"})
    set_attributes(ctx, pid, {"ready": False, "hours": 10})
    clock.advance(days=1)
    fire(ctx, pid, "exit", {"reason": "studies"}, at=START + timedelta(days=2, hours=12), reason="late note")
    other, _ = enrol(ctx, "demo", attributes={"gender": "other"})

    with ctx.uow() as uow:
        for participant_id in (pid, other):
            participant = uow.participants.get(participant_id)
            assert participant is not None
            events = uow.participants.history(participant_id)
            state = replay(events, {"exited"})
            projection = {key: getattr(participant, key) for key in state}
            assert projection == state
    assert state["step"] == "referral"  # the second participant
    view = show(ctx, pid)
    assert (view.step, view.status, view.exit_reason) == ("exited", "exited", "studies")
    assert view.exited_at == START + timedelta(days=2, hours=12)
    assert view.attributes == {"gender": "male", "ready": False, "hours": 10}
    assert view.triggers == []


def test_show_reports_allowed_and_blocked_triggers(ctx: ServiceContext) -> None:
    """show() lists the allowed triggers and the blocked ones with the guard that blocks them."""
    pid, _ = enrol(ctx, "demo")
    fire(ctx, pid, "assess")
    view = show(ctx, pid)
    assert view.allowed_triggers == ["exit"]
    assert view.blocked_triggers == {"place": ["guard 'attributes_true': attribute 'ready' must be true (not recorded)"]}
    set_attributes(ctx, pid, {"ready": "yes"})
    assert show(ctx, pid).allowed_triggers == ["exit", "place"]


def test_setting_an_unchanged_attribute_records_nothing(ctx: ServiceContext, engine: Engine) -> None:
    """Setting attributes to the values they already have returns no change and appends no event."""
    pid, _ = enrol(ctx, "demo", attributes={"ready": True})
    before = snapshot(engine)
    assert set_attributes(ctx, pid, {"ready": "ja"}) == {}
    assert snapshot(engine) == before


# -- effective time ---------------------------------------------------------------------------


def test_past_at_needs_a_reason_and_is_recorded_as_effective_time(ctx: ServiceContext, engine: Engine) -> None:
    """Recording something that happened earlier needs --reason; it is stored as effective_at with the reason."""
    enrolled_at = START - timedelta(days=10)
    with pytest.raises(BadInput, match="say why with reason"):
        enrol(ctx, "demo", at=enrolled_at)
    pid, _ = enrol(ctx, "demo", at=enrolled_at, reason="paper referral")
    before = snapshot(engine)
    with pytest.raises(BadInput, match="records something that happened earlier; say why with reason TEXT"):
        fire(ctx, pid, "assess", at=START - timedelta(days=2))
    with pytest.raises(BadInput, match="say why with reason") as blank:
        fire(ctx, pid, "assess", at=START - timedelta(days=2), reason="   ")
    assert blank.value.fields == ("at", "reason")  # named as fields; each entry point words them
    assert snapshot(engine) == before

    fire(ctx, pid, "assess", at=START - timedelta(days=2), reason="meeting was on Friday")
    events = history(ctx, pid)
    assert events[0].effective_at == enrolled_at and events[0].reason == "paper referral"
    assert events[1].effective_at == START - timedelta(days=2)
    assert events[1].recorded_at == START
    assert events[1].reason == "meeting was on Friday"
    view = show(ctx, pid)
    assert view.enrolled_at == enrolled_at
    assert view.last_step_change_at == START - timedelta(days=2)


def test_at_within_a_few_minutes_needs_no_reason(ctx: ServiceContext) -> None:
    """Clock skew of a few minutes either way is tolerated without a reason."""
    pid, _ = enrol(ctx, "demo", at=START - timedelta(minutes=3))
    fire(ctx, pid, "assess", at=START + timedelta(minutes=4))
    assert history(ctx, pid)[1].effective_at == START + timedelta(minutes=4)


def test_at_before_the_last_step_change_is_refused(ctx: ServiceContext, engine: Engine) -> None:
    """A history cannot go backwards: --at before the last step change is refused, nothing written."""
    pid, _ = enrol(ctx, "demo", at=START - timedelta(days=10), reason="late")
    fire(ctx, pid, "assess", at=START - timedelta(days=2), reason="late")
    before = snapshot(engine)
    with pytest.raises(InvalidValue, match="it is before the participant's last step change"):
        fire(ctx, pid, "exit", {"reason": "ended"}, at=START - timedelta(days=3), reason="late")
    with pytest.raises(InvalidValue, match="it is before the enrolment"):
        set_attributes(ctx, pid, {"ready": True}, at=START - timedelta(days=11), reason="late")
    assert snapshot(engine) == before


def test_at_in_the_future_is_refused(ctx: ServiceContext, engine: Engine) -> None:
    """Things are recorded when they have happened: --at in the future is refused, nothing written."""
    pid, _ = enrol(ctx, "demo")
    before = snapshot(engine)
    with pytest.raises(InvalidValue, match="it is after now"):
        fire(ctx, pid, "assess", at=START + timedelta(days=1), reason="planned")
    with pytest.raises(InvalidValue, match="it is after now"):
        enrol(ctx, "demo", at=START + timedelta(hours=1))
    assert snapshot(engine) == before


# -- refusals change nothing ------------------------------------------------------------------


@pytest.fixture
def people(ctx: ServiceContext, clock: FixedClock) -> dict[str, int]:
    """Three participants: one at referral, one at mapping, one exited."""
    ids = {}
    ids["new"], _ = enrol(ctx, "demo", ref="A-1", attributes={"gender": "female"})
    ids["mapped"], _ = enrol(ctx, "demo", ref="B-2")
    fire(ctx, ids["mapped"], "assess")
    ids["gone"], _ = enrol(ctx, "demo", ref="C-3")
    fire(ctx, ids["gone"], "exit", {"reason": "ended"})
    clock.advance(hours=1)
    return ids


REFUSALS = {
    "not-allowed": (lambda c, i: fire(c, i["new"], "place", {"track": "work"}), TriggerNotAllowed,
                    "trigger 'place' is not allowed from step 'referral'; allowed now: assess, exit"),
    "unknown-trigger": (lambda c, i: fire(c, i["new"], "fly"), TriggerNotAllowed, "allowed now: assess, exit"),
    "guard-failed": (lambda c, i: fire(c, i["mapped"], "place", {"track": "work"}), GuardFailed,
                     "guard 'attributes_true': attribute 'ready' must be true"),
    "missing-data": (lambda c, i: fire(c, i["mapped"], "exit"), BadInput,
                     "trigger 'exit' needs data 'reason' (work, studies, ended)"),
    "bad-data": (lambda c, i: fire(c, i["mapped"], "exit", {"reason": "holiday"}), InvalidValue,
                 "use one of the exit reasons: work, studies, ended"),
    "unknown-data": (lambda c, i: fire(c, i["mapped"], "exit", {"reason": "work", "mood": "ok"}), BadInput,
                     "unknown data 'mood'"),
    "exited": (lambda c, i: fire(c, i["gone"], "assess"), ParticipantExited, "has exited"),
    "unknown-participant": (lambda c, i: fire(c, "Z-404", "assess"), UnknownParticipant,
                            "unknown participant 'Z-404'"),
    "unknown-participant-id": (lambda c, i: show(c, "987654"), UnknownParticipant, "'987654'"),
    "duplicate-ref": (lambda c, i: enrol(c, "demo", ref="A-1"), DuplicateRef,
                      "ref 'A-1' is already used in workflow 'demo'"),
    "unknown-attribute-set": (lambda c, i: set_attributes(c, i["new"], {"colour": "red"}), BadInput,
                              "unknown attribute 'colour' in workflow 'demo'; known: gender, hours, ready, start_date"),
    "unknown-attribute-enrol": (lambda c, i: enrol(c, "demo", attributes={"colour": "red"}), BadInput,
                                "unknown attribute 'colour'"),
    "bad-attribute-value": (lambda c, i: set_attributes(c, i["new"], {"gender": "robot", "ready": True}),
                            InvalidValue, "use one of: female, male, other"),
    "nothing-to-set": (lambda c, i: set_attributes(c, i["new"], {}), BadInput, "nothing to set"),
    "unknown-workflow": (lambda c, i: enrol(c, "nope"), UnknownWorkflow, "unknown workflow 'nope'; known workflows: demo"),
    "empty-ref": (lambda c, i: enrol(c, "demo", ref="  "), InvalidValue, "give a non-empty case reference"),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_every_refusal_leaves_the_database_unchanged(
    name: str, ctx: ServiceContext, engine: Engine, people: dict[str, int]
) -> None:
    """Each refusal raises its typed error naming the problem, and writes nothing (invariant 6)."""
    action, error, message = REFUSALS[name]
    before = snapshot(engine)
    assert [len(before[t]) for t in ("workflow_versions", "participants", "events")] == [1, 3, 5]
    with pytest.raises(error) as caught:
        action(ctx, people)
    assert message in str(caught.value)
    assert snapshot(engine) == before


def test_invalid_workflow_file_refuses_enrolment(ctx: ServiceContext, engine: Engine, workflows: Path) -> None:
    """A broken workflow file stops enrolment with every located problem and registers nothing."""
    path = workflows / "demo.yaml"
    path.write_text(path.read_text().replace("owner: coach, initial", "owner: coahc, initial"))
    before = snapshot(engine)
    with pytest.raises(DefinitionInvalid) as caught:
        enrol(ctx, "demo")
    assert caught.value.problems == [
        f"{path}:16:58: error[unknown-role]: unknown role 'coahc' (hint: did you mean 'coach'?)"
    ]
    assert snapshot(engine) == before


def test_workflow_file_must_be_named_after_its_id(ctx: ServiceContext, engine: Engine, workflows: Path) -> None:
    """A file whose id differs from its name is refused, saying what to rename it to."""
    (workflows / "other.yaml").write_text((workflows / "demo.yaml").read_text())
    with pytest.raises(BadInput, match=r"declares id 'demo'; a workflow file must be named after its id \(demo.yaml\)"):
        enrol(ctx, "other")
    assert snapshot(engine)["workflow_versions"] == []


# -- lookups and lists ------------------------------------------------------------------------


def test_participant_lookup_by_id_or_ref(ctx: ServiceContext, workflows: Path) -> None:
    """A participant is found by id (as int or digits) or by ref; a ref used in two workflows asks for the id."""
    pid, _ = enrol(ctx, "demo", ref="K-17")
    assert show(ctx, pid).ref == "K-17"
    assert show(ctx, str(pid)).id == pid
    assert show(ctx, " K-17 ").id == pid
    assert fire(ctx, "K-17", "assess").participant_id == pid

    (workflows / "second.yaml").write_text((workflows / "demo.yaml").read_text().replace("id: demo", "id: second"))
    other, _ = enrol(ctx, "second", ref="K-17")
    with pytest.raises(BadInput, match=rf"ref 'K-17' is used in several workflows: {pid} \(demo\), {other} \(second\)"):
        show(ctx, "K-17")
    assert show(ctx, other).workflow == "second"


def test_list_filters_by_workflow_step_and_status(ctx: ServiceContext, workflows: Path) -> None:
    """list_participants filters by workflow, step and status, in id order."""
    (workflows / "second.yaml").write_text((workflows / "demo.yaml").read_text().replace("id: demo", "id: second"))
    a, _ = enrol(ctx, "demo", ref="a")
    b, _ = enrol(ctx, "demo", ref="b")
    c, _ = enrol(ctx, "demo", ref="c")
    d, _ = enrol(ctx, "second", ref="d")
    fire(ctx, b, "assess")
    fire(ctx, c, "exit", {"reason": "work"})

    def ids(**filters: str) -> list[int]:
        return [p.id for p in list_participants(ctx, **filters)]

    assert ids() == [a, b, c, d]
    assert ids(workflow_id="demo") == [a, b, c]
    assert ids(workflow_id="second") == [d]
    assert ids(step="referral") == [a, d]
    assert ids(workflow_id="demo", step="referral") == [a]
    assert ids(status="open") == [a, b, d]
    assert ids(status="exited") == [c]
    assert ids(workflow_id="demo", status="open", step="mapping") == [b]
    summary = list_participants(ctx, status="exited")[0]
    assert (summary.ref, summary.step, summary.exit_reason, summary.workflow_version) == ("c", "exited", "work", 1)
    with pytest.raises(InvalidValue, match="use open, exited or voided"):
        list_participants(ctx, status="closed")
    with pytest.raises(BadInput, match="unknown workflow 'nope'; known workflows: demo, second"):
        list_participants(ctx, workflow_id="nope")


@pytest.mark.parametrize("text", [
    "9" * 20,
    "²",
    "١٢٣",
])
def test_numeric_looking_unknowns_are_unknown_participants(ctx: ServiceContext, engine: Engine, text: str) -> None:
    """A number beyond the id range, or non-ASCII digits, is an unknown participant, not a database or int() crash."""
    enrol(ctx, "demo")
    before = snapshot(engine)
    with pytest.raises(UnknownParticipant, match=f"unknown participant '{text}'"):
        fire(ctx, text, "assess")
    assert snapshot(engine) == before


def test_digits_only_ref_is_refused_at_enrolment(ctx: ServiceContext, engine: Engine) -> None:
    """A ref of only digits could be taken for another participant's id, so enrolment refuses it with a prefix hint."""
    first, _ = enrol(ctx, "demo")
    before = snapshot(engine)
    with pytest.raises(InvalidValue, match=rf"a ref of only digits could be taken for a participant id; add a prefix, e.g. LU-{first}"):
        enrol(ctx, "demo", ref=str(first))
    assert snapshot(engine) == before
    assert show(ctx, str(first)).id == first  # digits always mean the id


def test_non_finite_number_attribute_is_refused(ctx: ServiceContext, engine: Engine) -> None:
    """Setting a number attribute to 'nan' or 'inf' is refused with InvalidValue and writes nothing."""
    pid, _ = enrol(ctx, "demo")
    before = snapshot(engine)
    for text in ["nan", "inf"]:
        with pytest.raises(InvalidValue, match=f"invalid attribute 'hours' '{text}': use a number"):
            set_attributes(ctx, pid, {"hours": text})
    assert snapshot(engine) == before


# -- workflow versions ------------------------------------------------------------------------

#: Version 2 of the demo: the 'mapping' step is gone; 'place' leaves straight from 'referral'.
DEMO_V2_CHANGES = [
    ("version: 1", "version: 2"),
    ("  - {id: mapping, title: Kartläggning, kind: assessment, owner: coach}\n", ""),
    ("  - {trigger: assess, from: referral, to: mapping}\n", ""),
    ("    from: mapping\n", "    from: referral\n"),
]


def _write_v2(workflows: Path) -> None:
    path = workflows / "demo.yaml"
    text = path.read_text()
    for old, new in DEMO_V2_CHANGES:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)


def test_changed_file_registers_a_new_version_and_old_participants_stay_pinned(
    ctx: ServiceContext, engine: Engine, workflows: Path, clock: FixedClock
) -> None:
    """After the file changes, new enrolments get v2, while a v1 participant keeps firing on v1's steps."""
    old, _ = enrol(ctx, "demo", ref="old", attributes={"ready": True})
    fire(ctx, old, "assess")
    _write_v2(workflows)

    new, note = enrol(ctx, "demo", ref="new", attributes={"ready": True})
    assert note is None
    assert show(ctx, new).workflow_version == 2
    assert show(ctx, old).workflow_version == 1
    with pytest.raises(TriggerNotAllowed, match="allowed now: exit, place"):
        fire(ctx, new, "assess")  # the step 'mapping' is gone in v2

    # a new process (fresh catalog, nothing cached) reads v1 from the store, not from the file
    later = make_context(engine, workflows, clock, actor="bertil")
    assert show(later, old).step == "mapping"
    assert fire(later, old, "place", {"track": "work"}).to_step == "training"
    assert fire(later, new, "place", {"track": "study"}).to_step == "studies"
    assert [e.workflow_version for e in history(later, old)] == [1, 1, 1]
    assert [e.workflow_version for e in history(later, new)] == [2, 2]
    assert [(v.version, v.workflow_id) for v in _versions(later)] == [(1, "demo"), (2, "demo")]
    assert len(later.catalog.machines) == 2


def _versions(ctx: ServiceContext):
    with ctx.uow() as uow:
        return uow.workflows.all()


def test_unchanged_file_reuses_its_version(ctx: ServiceContext) -> None:
    """Enrolling again on an unchanged file registers nothing new."""
    enrol(ctx, "demo")
    enrol(ctx, "demo")
    stored = _versions(ctx)
    assert [v.version for v in stored] == [1]
    assert stored[0].yaml_text == (ctx.catalog.directory / "demo.yaml").read_text()
    assert stored[0].registered_at == START


def test_version_numbering_when_the_file_was_not_bumped(ctx: ServiceContext, workflows: Path) -> None:
    """A changed file still saying version 1 becomes version 2 with a note; old text maps back; a jump is kept."""
    path = workflows / "demo.yaml"
    original = path.read_text()
    enrol(ctx, "demo")

    path.write_text(original.replace("title: Demo", "title: Demo, ändrad"))
    pid, note = enrol(ctx, "demo")
    assert show(ctx, pid).workflow_version == 2
    assert note is not None
    assert "changed since version 1 was registered but still says version: 1" in note
    assert "registered as version 2 — set 'version: 2' in the file" in note

    path.write_text(original)  # back to the first text: found by its hash
    pid, note = enrol(ctx, "demo")
    assert (show(ctx, pid).workflow_version, note) == (1, None)

    path.write_text(original.replace("version: 1", "version: 5"))
    pid, note = enrol(ctx, "demo")
    assert (show(ctx, pid).workflow_version, note) == (5, None)

    path.write_text(original.replace("version: 1", "version: 3").replace("title: Demo", "title: Tre"))
    pid, note = enrol(ctx, "demo")  # declares 3 but 5 is taken: registered as 6
    assert show(ctx, pid).workflow_version == 6
    assert note is not None and "registered as version 6" in note
    assert [v.version for v in _versions(ctx)] == [1, 2, 5, 6]


def test_one_machine_serves_every_participant_on_a_version(ctx: ServiceContext) -> None:
    """However many participants fire, the catalog holds one machine per workflow version (invariant 2)."""
    ids = [enrol(ctx, "demo", attributes={"ready": True})[0] for _ in range(4)]
    for pid in ids:
        fire(ctx, pid, "assess")
        fire(ctx, pid, "place", {"track": "work"})
        show(ctx, pid)
    assert len(ctx.catalog.machines) == 1
    assert {show(ctx, pid).step for pid in ids} == {"training"}
