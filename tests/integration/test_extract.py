"""Register extract (GDPR art. 15) across projects, and redaction of a free-text entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.domain.identity import luhn_check_digit
from pathway.domain.replay import replay
from pathway.errors import BadInput, InvalidValue, NotPermitted
from pathway.services import extract, users
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, history, set_attributes, show
from pathway.services.records import add_goal, give_consent

from .conftest import make_context, snapshot

NOTED_WORKFLOW = """\
id: noted
version: 1
title: Anteckningar
roles:
  - {id: coach, title: Coach}
attributes:
  gender: {type: choice, choices: [female, male]}
  birth_date: {type: date}
  notes: {type: text}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true}
  - {id: group, title: Gruppfas, kind: group_activity, owner: coach, config: {hours_per_session: 3}}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - trigger: to_group
    from: referral
    to: group
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}, comment: {type: text}}
exit_reasons:
  - {code: work, label: Arbete, category: work}
"""

NUMBER = "850402384" + str(luhn_check_digit("850402384"))
SECRET = "mamman ringde om skulderna"


@pytest.fixture(autouse=True)
def noted(workflows: Path) -> None:
    (workflows / "noted.yaml").write_text(NOTED_WORKFLOW, encoding="utf-8")


def test_the_extract_holds_everything_across_projects(ctx: ServiceContext) -> None:
    """Both enrolments, their attributes, history with who and when, records; the number shown once, as the person's own."""
    first, _ = enrol(ctx, "noted", ref="N-1", attributes={"notes": SECRET}, personnummer=NUMBER)
    give_consent(ctx, first, ["soc"])
    add_goal(ctx, first, "Körkort")
    fire(ctx, first, "exit", {"reason": "work"})
    second, _ = enrol(ctx, "demo", ref="D-1", personnummer=NUMBER)
    enrol(ctx, "demo", ref="OTHER", attributes={"gender": "male"})
    data = extract.register_extract(ctx, f"19{NUMBER[:6]}-{NUMBER[6:]}")
    assert data["identity"] == {"kind": "personnummer", "number": f"19{NUMBER[:6]}-{NUMBER[6:]}"}
    assert [(e["participant_id"], e["workflow"], e["status"]) for e in data["enrolments"]] == [
        (first, "noted", "exited"), (second, "demo", "open")]
    noted = data["enrolments"][0]
    assert noted["attributes"]["notes"] == SECRET and noted["attributes"]["gender"] == "female"
    assert [h["type"] for h in noted["history"]][:2] == ["enrolled", "consent_given"]
    assert all(h["actor"] == "anna" and h["recorded_at"] for h in noted["history"])
    assert noted["records"]["plan"][0]["what"] == "Körkort"
    assert "OTHER" not in json.dumps(data)
    document = extract.as_markdown(data)
    assert document.startswith("# Registerutdrag (GDPR artikel 15)")
    assert "## Anteckningar (deltagare 1)" in document and "Körkort" in document and SECRET in document


def test_the_extract_of_an_unknown_person_is_empty_and_refused_to_caseworkers(
        ctx: ServiceContext, engine: Engine, workflows: Path, clock: FixedClock) -> None:
    """No enrolment: an empty extract saying so; with users, only a dpo or admin may make one."""
    data = extract.register_extract(ctx, NUMBER)
    assert data["enrolments"] == [] and "Inga uppgifter" in extract.as_markdown(data)
    users.add_user(ctx, "root", "Rut Root", "coordination", admin=True)
    admin = make_context(engine, workflows, clock, actor="root")
    users.resolve(admin, "root", None)
    users.add_user(admin, "anna", "Anna", "soc", ["coach"], ["demo", "noted"])
    anna = make_context(engine, workflows, clock, actor="anna")
    users.resolve(anna, "anna", None)
    with pytest.raises(NotPermitted, match="person.extract"):
        extract.register_extract(anna, NUMBER)


def test_redaction_replaces_the_text_and_records_who_when_why(ctx: ServiceContext, engine: Engine) -> None:
    """An attribute's text in its event and in the row, a trigger's text and a reason: each '(raderad)',
    each with a 'redacted' event naming the entry and not the text; the history replays to the row."""
    pid, _ = enrol(ctx, "noted", attributes={"notes": SECRET}, personnummer=NUMBER)
    set_attributes(ctx, pid, {"notes": SECRET + " igen"}, at=None)
    fire(ctx, pid, "exit", {"reason": "work", "comment": SECRET}, reason=SECRET)
    extract.redact(ctx, pid, 2, "notes", "uppgift om tredje person")
    extract.redact(ctx, pid, 2, "previous.notes", "uppgift om tredje person")
    extract.redact(ctx, pid, 3, "comment", "uppgift om tredje person")
    extract.redact(ctx, pid, 3, "reason", "uppgift om tredje person")
    extract.redact(ctx, pid, 1, "notes", "uppgift om tredje person")
    events = history(ctx, pid)
    assert SECRET not in json.dumps([e.to_json() for e in events], ensure_ascii=False)
    redactions = [e for e in events if e.type == "redacted"]
    assert [(e.data["event_seq"], e.data["field"], e.actor, e.reason) for e in redactions][0] == (
        2, "notes", "anna", "uppgift om tredje person")
    assert show(ctx, pid).attributes["notes"] == extract.REDACTED
    with ctx.uow() as uow:
        participant = uow.participants.get(pid)
        assert participant is not None
        assert replay(uow.participants.history(pid), {"exited"})["attributes"] == participant.attributes


def test_redacting_a_goal_redacts_the_title_of_its_deadline(ctx: ServiceContext, engine: Engine) -> None:
    """A plan goal's text is in the title of the deadline planned from its date: the redaction takes it
    from the deadline row too, in the same transaction (not only when the next event re-plans)."""
    pid, _ = enrol(ctx, "noted")
    add_goal(ctx, pid, SECRET, by="2026-06-30")
    goal = max(e.seq for e in history(ctx, pid) if e.type == "plan_goal_added")
    with ctx.uow() as uow:
        assert [d.title for d in uow.deadlines.for_participant(pid)] == [f"Mål g1: {SECRET}"]
    extract.redact(ctx, pid, goal, "what", "uppgift om tredje person")
    with ctx.uow() as uow:
        rows = uow.deadlines.for_participant(pid)
    assert [(d.title, d.status) for d in rows] == [(f"Mål g1: {extract.REDACTED}", "open")]


def test_redaction_refuses_what_is_not_free_text_and_writes_nothing(ctx: ServiceContext, engine: Engine) -> None:
    """A code, an unknown event, an empty reason: refused naming what may be redacted; nothing written."""
    pid, _ = enrol(ctx, "noted", attributes={"notes": SECRET, "gender": "female"})
    before = snapshot(engine)
    with pytest.raises(InvalidValue, match="free text in event 1: notes"):
        extract.redact(ctx, pid, 1, "gender", "fel")
    with pytest.raises(InvalidValue, match="has events 1 to 1"):
        extract.redact(ctx, pid, 9, "notes", "fel")
    with pytest.raises(BadInput, match="redacted with reason TEXT"):
        extract.redact(ctx, pid, 1, "notes", " ")
    assert snapshot(engine) == before


def _meeting_and_group(ctx: ServiceContext) -> int:
    from pathway.services import groups
    from pathway.services.meetings import record_meeting, record_no_show

    pid, _ = enrol(ctx, "noted", ref="M-1", personnummer=NUMBER)
    give_consent(ctx, pid, ["soc", "af"])
    record_meeting(ctx, pid, "tripartite", ["soc:Kalle Karlsson", "coach:anna"], led_by="Kalle Karlsson",
                   absent=["af:hos psykiatrin"], consent_confirmed=True, decisions=[SECRET], minutes=40)
    record_no_show(ctx, pid, "follow_up", "soc", note="ringde inte")
    fire(ctx, pid, "to_group")
    group = groups.create_group(ctx, "noted", "group", "Måndagsgruppen")
    groups.add_members(ctx, group, [str(pid)])
    groups.record_session(ctx, group)
    groups.record_session(ctx, group, absent=[f"{pid}:vård av sjukt barn"])
    return pid


def test_the_extract_lists_meetings_no_shows_and_group_attendance(ctx: ServiceContext) -> None:
    """Meetings (who, what was decided), no-shows and each group session attended or missed, with why,
    in the JSON and in the readable document."""
    _meeting_and_group(ctx)
    enrolment = extract.register_extract(ctx, NUMBER)["enrolments"][0]
    held, missed = enrolment["meetings"]
    assert (held["type"], held["no_show"], held["led_by"], held["minutes"]) == ("tripartite", False, "Kalle Karlsson", 40)
    assert held["decisions"][0]["text"] == SECRET and held["absent"][0]["reason"] == "hos psykiatrin"
    assert (missed["no_show"], missed["agency"], missed["note"]) == (True, "soc", "ringde inte")
    [group] = enrolment["groups"]
    assert group["name"] == "Måndagsgruppen" and group["joined_at"] is not None
    assert [(s["attended"], s["absence_reason"]) for s in group["sessions"]] == [(True, None),
                                                                               (False, "vård av sjukt barn")]
    document = extract.as_markdown(extract.register_extract(ctx, NUMBER))
    assert "### Möten och grupper" in document and "lett av Kalle Karlsson" in document and SECRET in document
    assert "närvarande 1 av 2 tillfällen" in document and "vård av sjukt barn" in document
    assert "uteblivet besök (follow_up, soc): ringde inte" in document


def test_meeting_and_session_free_text_can_be_redacted(ctx: ServiceContext) -> None:
    """A decision's text, a named attendee, who led it, an absent party's reason and a session absence's
    reason are each free text the redaction reaches; the coded facts stay."""
    pid = _meeting_and_group(ctx)
    events = history(ctx, pid)
    meeting = next(e.seq for e in events if e.type == "meeting_recorded")
    absence = next(e.seq for e in events if e.type == "session_absent")
    with pytest.raises(InvalidValue, match="absent.0.reason.*attendees.0.user.*decisions.0.text.*led_by"):
        extract.redact(ctx, pid, meeting, "minutes", "fel fält")
    for field in ("decisions.0.text", "attendees.0.user", "led_by", "absent.0.reason"):
        extract.redact(ctx, pid, meeting, field, "uppgift om tredje person")
    extract.redact(ctx, pid, absence, "absence_reason", "uppgift om hälsa")
    data = {e.seq: e.data for e in history(ctx, pid)}
    assert SECRET not in json.dumps(data, ensure_ascii=False) and "Kalle" not in json.dumps(data, ensure_ascii=False)
    assert data[meeting]["attendees"][0] == {"role": None, "agency": "soc", "user": extract.REDACTED}
    assert data[meeting]["absent"][0]["agency"] == "af" and data[meeting]["minutes"] == 40
    assert data[absence]["reason"] == extract.REDACTED and data[absence]["hours"] == 3.0
