"""Groups on both back ends: capacity from group_size, sessions with attendance, a whole group moved atomically."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.errors import InvalidValue, NotPermitted, RuleRefused
from pathway.services import groups
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, history, show

from .conftest import make_context, snapshot

REPO = Path(__file__).resolve().parents[2]
SWEDEN = ZoneInfo("Europe/Stockholm")
KRAFT_READY = {"referring_agency": "soc", "income_source": "social_assistance", "stable_social_situation": True,
               "no_ongoing_substance_abuse": True, "stable_housing": True, "swedish_without_interpreter": True}


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SWEDEN)  # type: ignore[misc]


@pytest.fixture
def shipped(engine: Engine, clock: FixedClock) -> ServiceContext:
    clock.set(local(2026, 3, 2, 9))
    return make_context(engine, REPO / "workflows", clock)


def _kraft_in_motivation(ctx: ServiceContext, n: int) -> list[int]:
    pids = []
    for i in range(n):
        pid, _ = enrol(ctx, "kraft", ref=f"LU-{i + 1}", attributes=KRAFT_READY)
        fire(ctx, pid, "assess")
        fire(ctx, pid, "include")
        pids.append(pid)
    return pids



def test_group_size_refuses_a_member_beyond_it(shipped: ServiceContext, engine: Engine) -> None:
    """Örebro's groups of eight: capacity defaults to group_size, may not exceed it, and one more member is refused."""
    with pytest.raises(InvalidValue, match="at most 8"):
        groups.create_group(shipped, "orebro_sprak", "language_group", "Språkgrupp 1", capacity=9)
    with pytest.raises(InvalidValue, match="group_activity step"):
        groups.create_group(shipped, "orebro_sprak", "mapping", "Fel steg")
    group = groups.create_group(shipped, "orebro_sprak", "language_group", "Språkgrupp 1")
    assert groups.show_group(shipped, group).capacity == 8
    small = groups.create_group(shipped, "kraft", "motivation", "Motivation vår 2026", capacity=2)
    pids = _kraft_in_motivation(shipped, 3)
    groups.add_members(shipped, small, [str(pids[0])])
    before = snapshot(engine)
    with pytest.raises(RuleRefused, match="has 1 of 2 places taken; adding 2 would exceed it"):
        groups.add_members(shipped, small, [str(pids[1]), str(pids[2])])
    assert snapshot(engine) == before  # all or none
    assert groups.add_members(shipped, "Motivation vår 2026", ["LU-2"]) == [pids[1]]
    with pytest.raises(RuleRefused, match="already in group"):
        groups.add_members(shipped, small, ["LU-2"])


def test_a_member_must_be_in_the_groups_step(shipped: ServiceContext) -> None:
    """A participant still in the referral step cannot join the motivation group."""
    group = groups.create_group(shipped, "kraft", "motivation", "M1")
    pid, _ = enrol(shipped, "kraft", ref="LU-9", attributes=KRAFT_READY)
    with pytest.raises(RuleRefused, match="is in step 'referral'"):
        groups.add_members(shipped, group, [str(pid)])


def test_sessions_record_attendance_and_absence_with_reasons(shipped: ServiceContext, clock: FixedClock) -> None:
    """Kraft's 3-hour sessions and one hour of wellness: each member attends or is absent (sick child) in the history."""
    pids = _kraft_in_motivation(shipped, 3)
    group = groups.create_group(shipped, "kraft", "motivation", "Motivation vår 2026")
    groups.add_members(shipped, group, [str(p) for p in pids])
    clock.set(local(2026, 3, 9, 13))
    first = groups.record_session(shipped, group, absent=[f"{pids[1]}:vård av sjukt barn"])
    assert (first["hours"], first["attended"], first["absent"]) == (3.0, 2, 1)
    clock.set(local(2026, 3, 13, 10))
    assert groups.record_session(shipped, group, kind="wellness")["hours"] == 1.0
    outsider, _ = enrol(shipped, "kraft", attributes=KRAFT_READY)
    with pytest.raises(InvalidValue, match="is not in group"):
        groups.record_session(shipped, group, absent=[str(outsider)])
    view = groups.show_group(shipped, group)
    assert view.planned_hours_per_week == 7.0  # 2 × 3 h + 1 h wellness
    assert [(m.attended, m.absent, m.hours, m.absences) for m in view.members] == [
        (2, 0, 4.0, []), (1, 1, 1.0, ["vård av sjukt barn"]), (2, 0, 4.0, [])]
    absent = [e for e in history(shipped, pids[1]) if e.type == "session_absent"]
    assert absent[0].data == {"group": group, "session": 1, "kind": "session", "hours": 3.0,
                              "reason": "vård av sjukt barn"}


def test_moving_a_group_is_one_event_per_member_all_or_nothing(shipped: ServiceContext, clock: FixedClock,
                                                               engine: Engine) -> None:
    """Kraft's group from motivation to activation: refused for all while one member cannot move; then one event each."""
    pids = _kraft_in_motivation(shipped, 3)
    group = groups.create_group(shipped, "kraft", "motivation", "Motivation vår 2026")
    groups.add_members(shipped, group, [str(p) for p in pids])
    clock.set(local(2026, 5, 4, 9))
    fire(shipped, pids[2], "activate")  # moved on alone, by mistake: 'activate' is not allowed from there
    before = snapshot(engine)
    with pytest.raises(RuleRefused, match=f"was not moved, nobody was: participant {pids[2]}: .*'activate'"):
        groups.move_group(shipped, group, "activate")
    assert snapshot(engine) == before
    groups.remove_member(shipped, group, str(pids[2]))
    counts = [len(history(shipped, p)) for p in pids[:2]]
    results = groups.move_group(shipped, group, "activate")
    assert [(r.participant_id, r.from_step, r.to_step) for r in results] == [
        (pids[0], "motivation", "activation"), (pids[1], "motivation", "activation")]
    assert [len(history(shipped, p)) for p in pids[:2]] == [c + 1 for c in counts]
    view = groups.show_group(shipped, group)
    assert (view.step, view.closed_at, [m.participant_id for m in view.members]) == ("activation", None, pids[:2])
    # leaving the group steps closes the group: its members leave it with the move
    clock.set(local(2026, 8, 17, 9))
    groups.move_group(shipped, group, "refer_to_training")
    closed = groups.show_group(shipped, group)
    assert closed.closed_at == local(2026, 8, 17, 9) and closed.members == []
    assert all(show(shipped, p).step == "training_start" for p in pids[:2])
    assert history(shipped, pids[0])[-1].type == "group_left"


def test_meetings_no_shows_attendance_and_absences_are_report_dimensions(shipped: ServiceContext,
                                                                        clock: FixedClock) -> None:
    """`report participants --by meetings|no_shows|attendance|absences` counts each participant's records in the period."""
    from datetime import date

    from pathway.reports import builders

    from pathway.services import reporting
    from pathway.services import meetings

    pids = _kraft_in_motivation(shipped, 3)
    group = groups.create_group(shipped, "kraft", "motivation", "Motivation vår 2026")
    groups.add_members(shipped, group, [str(p) for p in pids])
    for day, away in [(9, [f"{pids[1]}:vård av sjukt barn"]), (11, [f"{pids[1]}:sjuk"]), (16, [])]:
        clock.set(local(2026, 3, day, 13))
        groups.record_session(shipped, group, absent=away)
    clock.set(local(2026, 3, 18, 10))
    for _ in range(3):
        meetings.record_meeting(shipped, pids[0], "individual", ["labour_unit:lina"])
    meetings.record_no_show(shipped, pids[2], "individual", "labour_unit")
    clock.set(local(2026, 4, 1, 9))

    def counts(by: str) -> dict[str, int]:
        [table] = reporting.run(shipped, "kraft", builders.participants([by]), date(2026, 1, 1), date(2026, 3, 31))
        return {r[by]: r["count"] for r in table.rows}

    assert counts("attendance") == {"all": 2, "75-99": 0, "50-74": 0, "under_50": 1, "no_sessions": 0}
    assert counts("absences") == {"0": 2, "1": 0, "2": 1, "3-4": 0, "5-": 0}
    assert counts("meetings") == {"0": 2, "1": 0, "2": 0, "3-4": 1, "5-": 0}
    assert counts("meetings:follow_up") == {"0": 3, "1": 0, "2": 0, "3-4": 0, "5-": 0}
    assert counts("no_shows") == {"0": 2, "1": 1, "2": 0, "3-4": 0, "5-": 0}
    [before] = reporting.run(shipped, "kraft", builders.participants(["meetings"]), date(2026, 1, 1), date(2026, 3, 17))
    assert {r["meetings"]: r["count"] for r in before.rows}["0"] == 3  # the period ends before the meetings


def test_an_exit_ends_the_group_membership_and_the_move_takes_the_others(
    shipped: ServiceContext, clock: FixedClock, engine: Engine
) -> None:
    """Exit closes what is open: the member leaves the group at the exit (an event naming the exit), so
    'group move' moves the current members only; reopening the exit puts them back while the group works there."""
    from pathway.services import corrections

    pids = _kraft_in_motivation(shipped, 3)
    group = groups.create_group(shipped, "kraft", "motivation", "Motivation höst 2026", capacity=3)
    groups.add_members(shipped, group, [str(p) for p in pids])
    clock.set(local(2026, 5, 4, 9))
    fire(shipped, pids[2], "exit", {"reason": "health_care"})
    left = history(shipped, pids[2])[-1]
    assert (left.type, left.effective_at, left.data["group"]) == ("group_left", local(2026, 5, 4, 9), group)
    assert left.data["closed_by_exit"] == left.seq - 1 and left.reason == "closed at exit"
    assert [m.participant_id for m in groups.show_group(shipped, group).members] == pids[:2]
    assert show(shipped, pids[2]).records.groups[group] == (local(2026, 3, 2, 9), local(2026, 5, 4, 9))

    clock.set(local(2026, 5, 5, 9))
    corrections.reopen(shipped, pids[2], "exit recorded on the wrong participant")
    assert [m.participant_id for m in groups.show_group(shipped, group).members] == pids  # back, in join order
    assert show(shipped, pids[2]).records.groups[group][1] is None
    fire(shipped, pids[2], "exit", {"reason": "health_care"})
    results = groups.move_group(shipped, group, "activate")
    assert [r.participant_id for r in results] == pids[:2]
    assert show(shipped, pids[2]).step == "exited"
    # a group that has moved on does not take a reopened member back: the membership stays ended
    corrections.reopen(shipped, pids[2], "not exited after all")
    assert [m.participant_id for m in groups.show_group(shipped, group).members] == pids[:2]
    assert show(shipped, pids[2]).records.groups[group][1] == local(2026, 5, 5, 9)


def test_a_voided_member_does_not_hold_the_group_back(shipped: ServiceContext, clock: FixedClock) -> None:
    """An enrolment voided as a mistake is no current member: the move takes the others and it leaves the group."""
    from pathway.services import corrections

    pids = _kraft_in_motivation(shipped, 2)
    group = groups.create_group(shipped, "kraft", "motivation", "M2")
    groups.add_members(shipped, group, [str(p) for p in pids])
    corrections.void(shipped, pids[1], "enrolled twice")
    assert [r.participant_id for r in groups.move_group(shipped, group, "activate")] == [pids[0]]
    assert [m.participant_id for m in groups.show_group(shipped, group).members] == [pids[0]]


@pytest.fixture
def kraft_team(engine: Engine, clock: FixedClock, tmp_path: Path) -> Callable[[str], ServiceContext]:
    """Kraft (case_access: agency) with gil (labour_unit, group leader), sofia (soc caseworker), alf (af) and
    cora (coordinator)."""
    from pathway.services import users

    folder = tmp_path / "kraft_workflows"
    folder.mkdir()
    text = (REPO / "workflows" / "kraft.yaml").read_text(encoding="utf-8")
    head, sep, rest = text.partition("\nroles:")
    (folder / "kraft.yaml").write_text(head + "\ncase_access: agency" + sep + rest, encoding="utf-8")
    clock.set(local(2026, 3, 2, 9))
    root = make_context(engine, folder, clock)
    users.add_user(root, "root", "Rut Root", "coordination", admin=True)

    def as_(login: str) -> ServiceContext:
        acting = make_context(engine, folder, clock, actor=login)
        users.resolve(acting, login)
        return acting

    admin = as_("root")
    for login, agency, role in (("gil", "labour_unit", "group_leader"), ("sofia", "soc", "caseworker"),
                                ("alf", "af", "employment_officer"), ("cora", "coordination", "coordinator")):
        users.add_user(admin, login, login.title(), agency, [role], ["kraft"])
    return as_


def test_group_show_withholds_attendance_the_viewer_may_not_see(
    kraft_team: Callable[[str], ServiceContext], clock: FixedClock, engine: Engine
) -> None:
    """Attendance and absence reasons are the members' records: withheld without consent to share with the
    viewer's agency or without case access, each said plainly; only the members shown are logged as read."""
    from sqlalchemy import func, select

    from pathway.services import ownership, records
    from pathway.store.tables import access_log

    gil, sofia, alf, cora = (kraft_team(n) for n in ("gil", "sofia", "alf", "cora"))
    pids = _kraft_in_motivation(sofia, 2)  # sofia (soc) is responsible for both
    records.give_consent(sofia, pids[0], ["soc", "labour_unit", "af"])
    # no consent for pids[1]: what the labour unit records about them stays with the labour unit
    for pid in pids:
        ownership.assign(cora, pid, "gil", agency="labour_unit")
    group = groups.create_group(gil, "kraft", "motivation", "Motivation vår 2026")
    groups.add_members(gil, group, [str(p) for p in pids])
    clock.set(local(2026, 3, 9, 13))
    groups.record_session(gil, group, absent=[f"{pids[1]}:vård av sjukt barn"])

    own = groups.show_group(gil, group)  # the labour unit's own entries
    assert [(m.attended, m.absent, m.absences, m.withheld) for m in own.members] == [
        (1, 0, [], []), (0, 1, ["vård av sjukt barn"], [])]

    soc = groups.show_group(sofia, group)  # P1's consent covers soc; P2 has given none
    assert (soc.members[0].attended, soc.members[0].withheld) == (1, [])
    assert (soc.members[1].attended, soc.members[1].absent, soc.members[1].hours, soc.members[1].absences) == (
        0, 0, 0.0, [])
    assert soc.members[1].withheld == [
        "1 entry recorded by the labour unit is not shown: no consent to share with soc"]

    with engine.connect() as conn:
        logged_before = conn.execute(select(func.count()).select_from(access_log)
                                     .where(access_log.c.login == "alf")).scalar_one()
    af = groups.show_group(alf, group)  # case_access: agency — alf is no contact of either
    assert [(m.participant_id, m.attended, m.absent, m.hours, m.absences) for m in af.members] == [
        (pids[0], None, None, None, []), (pids[1], None, None, None, [])]
    assert all("attendance not shown:" in m.withheld[0] and "case_access: agency" in m.withheld[0]
               for m in af.members)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(access_log)
                            .where(access_log.c.login == "alf")).scalar_one() == logged_before  # nothing read
    ownership.assign(cora, pids[0], "alf", agency="af")
    af = groups.show_group(alf, group)
    assert (af.members[0].attended, af.members[0].withheld) == (1, [])
    assert af.members[1].attended is None
    with engine.connect() as conn:
        rows = conn.execute(select(access_log.c.participant_id, access_log.c.what)
                            .where(access_log.c.login == "alf")).all()
    assert [tuple(r) for r in rows][-1:] == [(pids[0], f"group {group} attendance")]
    assert groups.show_group(cora, group).members[1].absences == []  # coordinator: case access, not consent
    with pytest.raises(NotPermitted, match="permission participant.read"):  # an admin is no staff: no group at all
        groups.show_group(kraft_team("root"), group)


def test_a_session_is_retried_after_a_deadline_check_wrote_in_between(
    backend: str, shipped: ServiceContext, clock: FixedClock, engine: Engine
) -> None:
    """A session recorded while the deadline check reminds the members of the motivation step's limit: the
    session loses only to the check, runs again on the fresh state, and every member has both events."""
    from pathway.services import deadlines

    from .test_hardening import _check_before_first_write

    if backend == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE holds the write lock from the command's first read")
    pids = _kraft_in_motivation(shipped, 2)
    group = groups.create_group(shipped, "kraft", "motivation", "M3")
    groups.add_members(shipped, group, [str(p) for p in pids])
    clock.set(local(2026, 6, 20, 9))  # the 4-month limit's reminder (2 weeks ahead) is due
    checker = make_context(engine, REPO / "workflows", clock, actor="scheduler")
    leader = _check_before_first_write(shipped, lambda: deadlines.check(checker))
    assert groups.record_session(leader, group)["attended"] == 2
    for pid in pids:
        assert [e.type for e in history(shipped, pid)][-2:] == ["reminder", "session_attended"]
