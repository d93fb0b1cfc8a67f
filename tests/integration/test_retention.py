"""Retention (gallring) on a database with people on both sides of the limit: personal data gone,
every report's numbers the same, each purge logged without the data, dry run writes nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from pathway.clock import FixedClock
from pathway.domain.identity import luhn_check_digit
from pathway.domain.replay import replay
from pathway.errors import InvalidValue
from pathway.reports import builders
from pathway.services import reporting
from pathway.services import person, retention
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, history, set_attributes
from pathway.services import groups
from pathway.services.meetings import record_meeting, record_no_show
from pathway.services.records import add_goal, give_consent, start_placement
from pathway.store.tables import (
    deadlines,
    identities,
    participant_meetings,
    participant_records,
    participants,
    retention_log,
)

from .conftest import snapshot

KEEP_WORKFLOW = """\
id: keep
version: 1
title: Gallringsprov
roles:
  - {id: coach, title: Coach}
attributes:
  gender: {type: choice, choices: [female, male]}
  birth_date: {type: date}
  income_source: {type: choice, choices: [salary, social_assistance]}
  notes: {type: text, title: Anteckningar}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true}
  - {id: group, title: Gruppfas, kind: group_activity, owner: coach, config: {hours_per_session: 3}}
  - {id: training, title: Praktik, kind: placement, owner: coach}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - trigger: to_group
    from: referral
    to: group
  - trigger: start
    from: [referral, group]
    to: training
    data: {employer: {type: string}}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}, income_source_at_exit: {type: choice, choices: [salary, social_assistance]}}
exit_reasons:
  - {code: work, label: Arbete, category: work}
  - {code: ended, label: Avbrott, category: other}
result_goals:
  - id: work_within_year
    title: Minst 50 % till arbete inom 12 månader
    target_share: 0.5
    within: 12m
    counts: {exit_categories: [work]}
"""

SECRET_NOTE = "Bor hos sin syster på Storgatan 5"
#: free text of meetings, no-shows and group sessions (issue 13's records)
ATTENDEE = "Kalle Karlsson"
ABSENCE = "vård av sjukt barn, dottern Lisa"
DECISION = "Lisa ska börja förskolan i augusti"
NO_SHOW_NOTE = "ringde och sa att hon mådde dåligt"
AWAY = "hos psykiatrin"
EMPLOYER = "Bageriet Solsidan AB"
#: a plan goal in the participant's own words: its deadline row's title quotes it
GOAL = "Klara körkortet innan flytten till Västerås"
REASON = "beslut på möte med mamman"


def number(birth: str, serial: str) -> str:
    return birth + serial + str(luhn_check_digit(birth + serial))


OLD = number("800101", "123")       # two enrolments, both long ago: purged
MIXED = number("750505", "456")     # one old enrolment, one open now: kept whole
RECENT = number("900909", "789")    # exited last year: kept


@pytest.fixture(autouse=True)
def keep_workflow(workflows: Path) -> None:
    (workflows / "keep.yaml").write_text(KEEP_WORKFLOW, encoding="utf-8")


def at(clock: FixedClock, text: str) -> None:
    clock.set(datetime.fromisoformat(text).replace(tzinfo=timezone.utc))


def _walk(ctx: ServiceContext, clock: FixedClock, start: str, pnr: str | None, ref: str, outcome: str,
          gender: str = "female", exit_on: str | None = None, anonymous: bool = False) -> int:
    at(clock, start)
    attributes = {"gender": gender} if anonymous else {"income_source": "social_assistance", "notes": SECRET_NOTE}
    pid, _ = enrol(ctx, "keep", ref=None if anonymous else ref, attributes=attributes, personnummer=pnr,
                   anonymous=anonymous)
    if not anonymous:
        give_consent(ctx, pid, ["soc", "af"], scope="allt om boendet")
        set_attributes(ctx, pid, {"notes": SECRET_NOTE + " (rättat)"})
        _meetings_and_group(ctx, clock, pid, ref)
        fire(ctx, pid, "start", {"employer": EMPLOYER})
        start_placement(ctx, pid, "work_training", EMPLOYER, start[:10], contact_person="Eva på bageriet",
                        follow_up_every="2w")
        add_goal(ctx, pid, GOAL, by=(datetime.fromisoformat(start) + timedelta(days=60)).date().isoformat())
    if exit_on is not None:
        at(clock, exit_on)
        fire(ctx, pid, "exit", {"reason": outcome, "income_source_at_exit": "salary"},
             at=datetime.fromisoformat(exit_on).replace(tzinfo=timezone.utc), reason=REASON)
    return pid


def _meetings_and_group(ctx: ServiceContext, clock: FixedClock, pid: int, ref: str) -> None:
    """Two meetings (one naming people and reasons in free text), a no-show, and a group with one
    session attended and one missed for a sick child: coded facts and free text side by side."""
    record_meeting(ctx, pid, "tripartite", [f"soc:{ATTENDEE}", "coach:anna"], led_by=ATTENDEE,
                   absent=[f"af:{AWAY}"], consent_confirmed=True, decisions=[DECISION], minutes=45)
    record_meeting(ctx, pid, "follow_up", ["coach:anna"], led_by="coach")
    record_no_show(ctx, pid, "follow_up", "soc", note=NO_SHOW_NOTE)
    fire(ctx, pid, "to_group")
    group = groups.create_group(ctx, "keep", "group", f"Grupp {ref}")
    groups.add_members(ctx, group, [str(pid)])
    groups.record_session(ctx, group)
    groups.record_session(ctx, group, absent=[f"{pid}:{ABSENCE}"])


@pytest.fixture
def populated(ctx: ServiceContext, clock: FixedClock) -> dict[str, int]:
    ids = {
        "old_a": _walk(ctx, clock, "2018-02-01T09:00", OLD, "K-1", "work", exit_on="2018-11-20T09:00"),
        "old_b": _walk(ctx, clock, "2019-03-01T09:00", OLD, "K-2", "ended", exit_on="2019-06-01T09:00"),
        "mixed_old": _walk(ctx, clock, "2018-05-01T09:00", MIXED, "K-3", "work", exit_on="2018-09-01T09:00"),
        "anon_old": _walk(ctx, clock, "2018-06-01T09:00", None, "", "ended", exit_on="2018-08-01T09:00", anonymous=True),
        "recent": _walk(ctx, clock, "2024-09-01T09:00", RECENT, "K-5", "work", exit_on="2025-04-01T09:00"),
        "mixed_open": _walk(ctx, clock, "2026-01-10T09:00", MIXED, "K-6", "work"),
        "unnumbered_old": _walk(ctx, clock, "2017-01-10T09:00", None, "K-7", "work", exit_on="2017-12-01T09:00"),
    }
    at(clock, "2026-03-02T09:00")
    return ids


def reports(ctx: ServiceContext) -> list[dict[str, Any]]:
    """Every table of every report, as JSON, refs left out (they are what retention replaces)."""
    tables = []
    for period in [(None, None), (datetime(2018, 1, 1).date(), datetime(2018, 12, 31).date())]:
        tables += reporting.run(ctx, "keep", builders.everything, *period)
        tables += reporting.run(ctx, "keep", builders.participants(["age_band", "gender"]), *period)
        # what issue 13 records: meetings (all, one type), no-shows, group absences and attendance
        for by in (["meetings"], ["meetings:tripartite", "gender"], ["no_shows"], ["absences"], ["attendance"]):
            tables += reporting.run(ctx, "keep", builders.participants(by, active=True), *period)
        tables += reporting.run(ctx, "keep", builders.exits(["reason", "meetings"]), *period)
        tables += reporting.run(ctx, "keep", builders.flow_by("meetings"), *period)
    tables += reporting.circulation(ctx, datetime(2017, 1, 1).date(), datetime(2026, 12, 31).date())
    out = []
    for table in tables:
        data = table.to_json()
        data["rows"] = [{k: v for k, v in r.items() if k != "ref"} for r in data["rows"]]
        out.append(data)
    return out


def test_retention_removes_personal_data_and_keeps_every_report(ctx: ServiceContext, engine: Engine,
                                                                 populated: dict[str, int]) -> None:
    """Purged: both old enrolments of one person, the anonymous and the unnumbered old ones. Kept: the
    recent one and a person with an open enrolment. Every report's numbers are the same afterwards."""
    before = reports(ctx)
    result = retention.run(ctx, 5)
    purged = {p.participant_id for p in result.purged}
    assert purged == {populated["old_a"], populated["old_b"], populated["anon_old"], populated["unnumbered_old"]}
    assert result.limit.isoformat() == "2021-03-02"
    assert json.dumps(reports(ctx), sort_keys=True) == json.dumps(before, sort_keys=True)

    for pid in purged:  # no free text, no ref, no reason left for the purged ones
        events = history(ctx, pid)
        text = json.dumps([e.data for e in events], ensure_ascii=False)
        assert SECRET_NOTE not in text and EMPLOYER not in text and "Eva på bageriet" not in text
        assert "allt om boendet" not in text and all(e.reason is None for e in events)
        for gone in (ATTENDEE, ABSENCE, DECISION, NO_SHOW_NOTE, AWAY):
            assert gone not in text, gone
    with engine.connect() as conn:  # nor in what is folded from the events: the row's head, the records'
        folded = {pid: f"{head} {parts}" for pid, head, parts in conn.execute(  # lines, the meetings' rows
            select(participants.c.id, participants.c.folded, participant_records.c.parts)
            .outerjoin(participant_records, participant_records.c.participant_id == participants.c.id))}
        for pid, line in conn.execute(select(participant_meetings.c.participant_id, participant_meetings.c.line)):
            folded[pid] += f" {line}"
    for pid in purged:  # each as written and as JSON escapes it (ensure_ascii: "på" is "p\u00e5")
        for gone in (ATTENDEE, ABSENCE, DECISION, NO_SHOW_NOTE, AWAY, SECRET_NOTE, EMPLOYER, "Eva på bageriet"):
            assert gone not in folded[pid] and json.dumps(gone)[1:-1] not in folded[pid], gone
    for kept_text in (EMPLOYER, DECISION):  # still theirs
        assert json.dumps(kept_text)[1:-1] in folded[populated["recent"]], kept_text
    kept = json.dumps([e.data for e in history(ctx, populated["recent"])], ensure_ascii=False)
    assert SECRET_NOTE in kept and EMPLOYER in kept and ABSENCE in kept and ATTENDEE in kept  # still theirs
    held = [r for t in before if t["dimensions"] == ["meetings"] for r in t["rows"] if r["meetings"] == "2"]
    assert held and held[0]["count"] > 0  # the meeting dimensions compared above count something
    with engine.connect() as conn:
        rows = {r.participant_id: r for r in conn.execute(select(identities))}
        logged = {r.participant_id: r for r in conn.execute(select(retention_log))}
    assert rows[populated["old_a"]].kind == "pseudonymised" and rows[populated["old_a"]].personnummer_enc is None
    assert rows[populated["old_a"]].personnummer_hash == rows[populated["old_b"]].personnummer_hash
    assert rows[populated["mixed_old"]].kind == "personnummer"
    assert set(logged) == purged
    log_text = json.dumps([dict(r._mapping) for r in logged.values()], default=str, ensure_ascii=False)
    assert SECRET_NOTE not in log_text and EMPLOYER not in log_text and "K-1" not in log_text
    assert logged[populated["old_a"]].removed["fields"]["attribute notes"] >= 1
    assert {"meeting_recorded attendees user", "meeting_recorded absent reason", "meeting_recorded led_by",
            "record text", "meeting_no_show note", "session_absent reason"} <= set(logged[populated["old_a"]].removed["fields"])
    assert person.find(ctx, OLD) == []  # the number no longer finds anyone
    assert [e.participant_id for e in person.find(ctx, MIXED)] == [populated["mixed_old"], populated["mixed_open"]]
    with engine.connect() as conn:  # the deadlines planned from a goal or a placement quote their text
        titles = {pid: [r.title for r in conn.execute(select(deadlines.c.title).where(deadlines.c.participant_id == pid))]
                  for pid in (*purged, populated["recent"])}
    assert any(GOAL in t for t in titles[populated["recent"]]) and any(EMPLOYER in t for t in titles[populated["recent"]])
    for pid in purged - {populated["anon_old"]}:
        assert titles[pid] and not any(GOAL in t or EMPLOYER in t for t in titles[pid]), titles[pid]
    assert retention.run(ctx, 5).purged == []  # nothing twice
    for pid in purged:  # the history still replays to the projection
        with ctx.uow() as uow:
            participant, events = uow.participants.get(pid), uow.participants.history(pid)
            state = replay(events, {"exited"})
            assert participant is not None and state["attributes"] == participant.attributes
            assert participant.ref in (None, f"purged-{pid}") and events[0].data.get("ref") == participant.ref


def test_dry_run_writes_nothing(ctx: ServiceContext, engine: Engine, populated: dict[str, int]) -> None:
    """--dry-run names who would be purged and leaves every row as it was."""
    before = snapshot(engine)
    result = retention.run(ctx, 5, dry_run=True)
    assert len(result.purged) == 4 and result.dry_run
    assert snapshot(engine) == before


def test_the_limit_must_be_a_year_or_more(ctx: ServiceContext) -> None:
    """A limit below one year is refused as bad input."""
    with pytest.raises(InvalidValue, match="at least 1"):
        retention.run(ctx, 0)
