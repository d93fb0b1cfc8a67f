"""Meetings, no-shows and group attendance as report dimensions (``--by meetings``, ``--by attendance`` …).

Each counts, per participant, what the history holds in the report's period (and as of ``--as-of``):
meetings held (Flen's "19 samtal genomförts" are the participants' meetings summed), missed
appointments, and the group sessions attended or missed (Kraft's groups; absences for a sick child).
Registered in :mod:`pathway.reports.dimensions` when this module is imported (:mod:`pathway.reports.builders` does).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, literal, select

from pathway.domain.records import RecordEvent
from pathway.errors import InvalidValue
from pathway.reports.dimensions import Dimension, period_end_at, period_start_at, register
from pathway.reports.scope import ReportScope, p
from pathway.store.tables import events

COUNT_BANDS = ["0", "1", "2", "3-4", "5-"]
COUNT_LABELS = {"0": "Inga", "1": "1", "2": "2", "3-4": "3–4", "5-": "5 eller fler"}
ATTENDANCE_BANDS = ["all", "75-99", "50-74", "under_50", "no_sessions"]
ATTENDANCE_LABELS = {"all": "Alla tillfällen", "75-99": "75–99 %", "50-74": "50–74 %", "under_50": "Under 50 %",
                     "no_sessions": "Inga gruppträffar"}


def _in_period(scope: ReportScope) -> list[ColumnElement[bool]]:
    conditions = [events.c.effective_at < period_end_at(scope), events.c.recorded_at < scope.as_of_end]
    begins = period_start_at(scope)
    if begins is not None:
        conditions.append(events.c.effective_at >= begins)
    return conditions


def _counted(scope: ReportScope, kinds: list[RecordEvent], name: str, meeting_type: str | None = None) -> Dimension:
    conditions = [events.c.type.in_([k.value for k in kinds]), *_in_period(scope)]
    if meeting_type is not None:
        conditions.append(events.c.data["type"].as_string() == meeting_type)
    counted = (select(events.c.participant_id, func.count().label("n")).where(*conditions)
               .group_by(events.c.participant_id).subquery(name))
    n = counted.c.n
    value = case((n.is_(None), literal("0")), (n == 1, literal("1")), (n == 2, literal("2")),
                 (n <= 4, literal("3-4")), else_=literal("5-"))
    return Dimension(value, list(COUNT_BANDS), joined=counted, on=counted.c.participant_id == p.c.id,
                     labels=dict(COUNT_LABELS))


def _meeting_type(scope: ReportScope, kind: str, argument: str | None) -> str | None:
    if argument is not None and (not argument.replace("_", "").isalnum() or argument != argument.lower()):
        meeting_steps = [s.id for s in scope.workflow.steps if s.kind == "meeting"]
        raise InvalidValue("--by", f"{kind}:{argument}", "name a meeting type, e.g. "
                           + (", ".join(f"{kind}:{s}" for s in meeting_steps) or f"{kind}:individual"))
    return argument


@register("meetings", "meetings held in the period: 0, 1, 2, 3–4, 5 or more (meetings:TYPE counts one type, "
          "e.g. meetings:follow_up)")
def meetings_held(scope: ReportScope, argument: str | None) -> Dimension:
    return _counted(scope, [RecordEvent.MEETING_RECORDED], "meetings_held", _meeting_type(scope, "meetings", argument))


@register("no_shows", "missed appointments in the period: 0, 1, 2, 3–4, 5 or more (no_shows:TYPE for one type)")
def no_shows(scope: ReportScope, argument: str | None) -> Dimension:
    return _counted(scope, [RecordEvent.MEETING_NO_SHOW], "no_shows", _meeting_type(scope, "no_shows", argument))


@register("absences", "group sessions missed in the period (sick child, illness …): 0, 1, 2, 3–4, 5 or more")
def absences(scope: ReportScope, argument: str | None) -> Dimension:
    if argument is not None:
        raise InvalidValue("--by", f"absences:{argument}", "'absences' takes no argument; write --by absences")
    return _counted(scope, [RecordEvent.SESSION_ABSENT], "absences")


@register("attendance", "share of the group sessions held in the period that the participant attended: all, "
          "75–99 %, 50–74 %, under 50 %, or no sessions")
def attendance(scope: ReportScope, argument: str | None) -> Dimension:
    if argument is not None:
        raise InvalidValue("--by", f"attendance:{argument}", "'attendance' takes no argument; write --by attendance")
    attended = case((events.c.type == RecordEvent.SESSION_ATTENDED.value, 1), else_=0)
    sessions = (select(events.c.participant_id, func.count().label("held"), func.sum(attended).label("attended"))
                .where(events.c.type.in_([RecordEvent.SESSION_ATTENDED.value, RecordEvent.SESSION_ABSENT.value]),
                       *_in_period(scope))
                .group_by(events.c.participant_id).subquery("attendance"))
    share: Any = cast(sessions.c.attended, Float) / cast(sessions.c.held, Float)
    value = case((sessions.c.held.is_(None), literal("no_sessions")),
                 (sessions.c.attended == sessions.c.held, literal("all")),
                 (and_(share >= 0.75), literal("75-99")), (share >= 0.5, literal("50-74")),
                 else_=literal("under_50"))
    return Dimension(value, list(ATTENDANCE_BANDS), joined=sessions, on=sessions.c.participant_id == p.c.id,
                     labels=dict(ATTENDANCE_LABELS))
