"""``report goals``: each result goal of the workflow, computed from the history.

For a goal with a window (``within: 12m``, counted from enrolment, with the same calendar as the
deadlines, working days and holidays included):

* **denominator** — participants whose window had closed by the as-of day;
* **numerator** — of those, the ones who met the goal inside their window;
* **inside window** — participants whose window is still open (and how many of them have already
  met it), who are left out of the share until their window closes.

A goal without a window counts participants whose outcome is decided: everyone who has exited, and
those still in the project who have already met it.

A goal with ``target_count`` (Ljusnarsberg: map at least 30 participants a year) has a row per
period (``per: year|quarter|month``) from the first enrolment to the end of the report: the
participants who counted in that period, by the day they counted, and whether that reached the
target (left open while the period runs and the target is not yet reached).

What counts (any one criterion; the earliest moment is the one that counts): an exit reason or
category, reaching a step, weekly placement hours recorded at a start or follow-up reaching
``placement_hours_at_least`` (Kraft's work supply, from the hours, not from a yes/no attribute), or
an ``improved`` pair of attributes (self-rated wellbeing at start and at exit). Participants who
exited with one of ``excluded_exit_reasons`` (Kraft's ``not_included``) are left out of the goal
altogether and counted in ``excluded``.

The windows are computed in Python once per distinct enrolment day (a few hundred values) and every
count is one aggregate query: no per-participant loop. On SQLite the days go to the database as one
JSON parameter read with ``json_each``, so the statement's text is the same whatever the days and
SQLAlchemy compiles it once (a ``VALUES`` list of 1 000+ rows cost more to compile than to run);
PostgreSQL computes calendar windows in SQL and takes working-day windows as a ``VALUES`` list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (ColumnElement, Connection, Date, DateTime, Float, Interval, String, and_, bindparam, case, cast, column,
                        func, literal_column, or_, select, type_coerce, values)

from pathway.clock import STOCKHOLM
from pathway.definitions.models import GoalPeriod, ResultGoal
from pathway.domain.records import RecordEvent
from pathway.domain import EventType, ParticipantStatus
from pathway.domain.duration import Duration
from pathway.engine.calendar import add_duration, start_of_day
from pathway.reports.dimensions import hours_recorded
from pathway.reports.scope import ReportScope, not_struck, p, standing_entries
from pathway.reports.table import ReportTable
from pathway.store.tables import events
from pathway.store.types import UtcDateTime

MEASURES = ["period", "target_share", "target_count", "numerator", "denominator", "share", "met",
            "inside_window", "inside_window_met", "excluded"]


def goals_table(session: Connection, scope: ReportScope) -> ReportTable:
    rows: list[dict[str, Any]] = []
    for goal in scope.workflow.result_goals:
        if goal.is_count:
            rows += _count_rows(session, scope, goal)
        else:
            rows.append(_goal_row(session, scope, goal))
    notes = [] if rows else [f"workflow '{scope.workflow.id}' declares no result_goals"]
    return ReportTable(
        name="goals", title="Result goals", dimensions=["goal"], measures=MEASURES, rows=rows,
        total=_participants(session, scope), labels={"goal": {g.id: g.title for g in scope.workflow.result_goals}},
        scope=scope.describe(), notes=notes,
    )


def _participants(session: Connection, scope: ReportScope) -> int:
    return session.execute(select(func.count()).where(scope.known(), scope.enrolled_in_period())).scalar_one()


def _excluded(scope: ReportScope, goal: ResultGoal) -> ColumnElement[bool]:
    """Participants left out of the goal: exited (by the as-of day) with one of its excluded reasons."""
    if not goal.excluded_exit_reasons:
        return literal_column("1") == literal_column("0")
    return and_(scope.exited_by(scope.as_of),
                func.coalesce(p.c.exit_reason, "").in_(sorted(goal.excluded_exit_reasons)))


def _goal_row(session: Connection, scope: ReportScope, goal: ResultGoal) -> dict[str, Any]:
    met_at = _met_at(scope, goal)
    left_out = _excluded(scope, goal)
    excluded = session.execute(select(func.count()).where(scope.known(), scope.enrolled_in_period(), left_out)
                               ).scalar_one() if goal.excluded_exit_reasons else 0
    counted = [scope.known(), scope.enrolled_in_period(), ~left_out]
    if goal.within is None:
        decided = or_(scope.exited_by(scope.as_of), met_at.is_not(None))
        query: Any = select(
            func.count().filter(decided),
            func.count().filter(met_at.is_not(None)),
            func.count().filter(~decided),
        ).where(*counted)
        denominator, numerator, inside = session.execute(query).one()
        inside_met = 0
    else:
        within = Duration.parse(goal.within)
        if scope.dialect == "postgresql" and within.unit != "wd":
            window_end, window_end_at = _windows_in_postgresql(within)
            source: Any = p
            where = counted
        else:
            windows = _windows(session, scope, within)
            if windows is None:
                return _row(goal, 0, 0, 0, 0, excluded)
            window_end, window_end_at = windows.window_end, windows.window_end_at
            # The windows hold exactly the enrolment days in scope, so the join is the date filter:
            # a range condition on enrolled_on here made SQLite scan the index once per window day.
            source = windows.table.join(p, windows.enrolled_on == p.c.enrolled_on)
            where = [p.c.workflow_id == scope.workflow.id, p.c.status != ParticipantStatus.VOIDED.value, ~left_out]
        closed = window_end < scope.as_of
        in_time = and_(met_at.is_not(None), met_at < window_end_at)
        query = select(
            func.count().filter(closed),
            func.count().filter(and_(closed, in_time)),
            func.count().filter(~closed),
            func.count().filter(and_(~closed, in_time)),
        ).select_from(source).where(*where)
        denominator, numerator, inside, inside_met = session.execute(query).one()
    return _row(goal, numerator, denominator, inside, inside_met, excluded)


def _row(goal: ResultGoal, numerator: int, denominator: int, inside: int, inside_met: int,
         excluded: int) -> dict[str, Any]:
    share = round(numerator / denominator, 4) if denominator else None
    return {
        "goal": goal.id, "period": None, "target_share": goal.target_share, "target_count": None,
        "numerator": numerator, "denominator": denominator, "share": share,
        "met": None if share is None or goal.target_share is None else share >= goal.target_share,
        "inside_window": inside, "inside_window_met": inside_met, "excluded": excluded,
    }


def _count_rows(session: Connection, scope: ReportScope, goal: ResultGoal) -> list[dict[str, Any]]:
    """A count goal: per period, the participants who counted in it (by the day they counted)."""
    first = session.execute(select(func.min(p.c.enrolled_on)).where(scope.known())).scalar_one()
    if first is None:
        return []
    first = first if isinstance(first, date) else date.fromisoformat(str(first))
    periods = _periods(max(first, scope.period_from) if scope.period_from else first, scope.period_end,
                       goal.per or GoalPeriod.YEAR)
    if not periods:
        return []
    left_out = _excluded(scope, goal)
    met = (select(p.c.id, _met_at(scope, goal).label("met_at"))
           .where(scope.known(), ~left_out).subquery("counted"))
    table = values(column("period", String), column("start_at", UtcDateTime), column("end_at", UtcDateTime),
                   name="goal_periods").data([(label, start_of_day(a), start_of_day(b)) for label, a, b in periods]
                                             ).cte("goal_periods")
    counted: dict[str, int] = dict(session.execute(
        select(table.c.period, func.count()).join(met, and_(met.c.met_at >= table.c.start_at,
                                                          met.c.met_at < table.c.end_at))
        .group_by(table.c.period)).all())
    excluded = session.execute(select(func.count()).where(scope.known(), left_out)).scalar_one() \
        if goal.excluded_exit_reasons else 0
    rows = []
    for label, _start, end in periods:
        n = counted.get(label, 0)
        target = goal.target_count or 0
        over = end <= scope.as_of + timedelta(days=1)
        rows.append({
            "goal": goal.id, "period": label, "target_share": None, "target_count": goal.target_count,
            "numerator": n, "denominator": None, "share": None,
            "met": True if n >= target else (False if over else None),
            "inside_window": None, "inside_window_met": None, "excluded": excluded,
        })
    return rows


def _periods(first: date, last: date, per: GoalPeriod) -> list[tuple[str, date, date]]:
    """(label, first day, the day after the last) of every period from ``first`` to ``last``."""
    months = {GoalPeriod.YEAR: 12, GoalPeriod.QUARTER: 3, GoalPeriod.MONTH: 1}[per]
    index = (first.month - 1) // months * months
    start = date(first.year, index + 1, 1)
    found = []
    while start <= last:
        month = start.month - 1 + months
        end = date(start.year + month // 12, month % 12 + 1, 1)
        if per == GoalPeriod.YEAR:
            label = str(start.year)
        elif per == GoalPeriod.QUARTER:
            label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        else:
            label = f"{start.year}-{start.month:02d}"
        found.append((label, start, end))
        start = end
    return found


def _met_at(scope: ReportScope, goal: ResultGoal) -> ColumnElement[Any]:
    """When a participant met the goal (NULL: not by the as-of day); the earliest if several count."""
    criteria = goal.counts
    codes = set(criteria.exit_reasons) | {r.code for r in scope.workflow.exit_reasons
                                          if r.category in set(criteria.exit_categories)}
    moments: list[ColumnElement[Any]] = []
    if codes:
        moments.append(case((and_(p.c.exit_reason.in_(sorted(codes)), scope.exited_by(scope.as_of)), p.c.exited_at)))
    if criteria.reached_step:
        e = events.alias("reached")
        moments.append(select(func.min(e.c.effective_at)).where(
            e.c.participant_id == p.c.id, e.c.to_step == criteria.reached_step, e.c.effective_at < scope.as_of_end,
            e.c.type.in_([EventType.TRANSITION.value, EventType.MIGRATED.value]), not_struck(e),
        ).scalar_subquery())
    if criteria.placement_hours_at_least is not None:
        # the hours as corrected: a follow-up's hours put right, a placement struck as a mistake
        h = standing_entries([RecordEvent.PLACEMENT_STARTED.value, RecordEvent.PLACEMENT_FOLLOWUP.value],
                             "goal_hours")
        moments.append(select(func.min(h.c.effective_at)).where(
            h.c.participant_id == p.c.id, h.c.effective_at < scope.as_of_end,
            hours_recorded(h) >= criteria.placement_hours_at_least,
        ).scalar_subquery())
    if criteria.improved is not None:
        before, after = criteria.improved.before, criteria.improved.after
        a = events.alias("recorded_after")
        recorded = or_(and_(a.c.type == EventType.ENROLLED.value,
                            a.c.data[("attributes", after)].as_string().is_not(None)),
                       and_(a.c.type == EventType.ATTRIBUTES_SET.value,
                            a.c.data[("set", after)].as_string().is_not(None)))
        # the moment the later value was recorded (the first time, when it was corrected since)
        when = select(func.min(a.c.effective_at)).where(
            a.c.participant_id == p.c.id, a.c.effective_at < scope.as_of_end, recorded).scalar_subquery()
        moments.append(case((cast(scope.attribute(after), Float) > cast(scope.attribute(before), Float), when)))
    if not moments:
        return case((p.c.id.is_(None), p.c.exited_at))  # counts nobody
    earliest = moments[0]
    for moment in moments[1:]:
        earliest = case((earliest.is_(None), moment), (moment.is_(None), earliest),
                        (moment < earliest, moment), else_=earliest)
    return earliest


def _windows_in_postgresql(within: Duration) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The window's last day and the moment after it, in SQL: PostgreSQL's date arithmetic ends a
    month on the same day or the month's last, exactly as :func:`pathway.engine.calendar.add_months`."""
    amount = int(within.amount) * (7 if within.unit == "w" else 1)
    unit = "months" if within.unit == "m" else "days"
    window_end = cast(p.c.enrolled_on + literal_column(f"INTERVAL '{amount} {unit}'", Interval), Date)
    next_midnight = cast(window_end + literal_column("INTERVAL '1 day'", Interval), DateTime)
    return window_end, func.timezone(STOCKHOLM.key, next_midnight)


@dataclass(frozen=True)
class Windows:
    """Every enrolment day in scope with its window's last day and the moment after it."""

    table: Any
    enrolled_on: ColumnElement[Any]
    window_end: ColumnElement[Any]
    window_end_at: ColumnElement[Any]


def _windows(session: Connection, scope: ReportScope, within: Duration) -> Windows | None:
    """The windows of every enrolment day in scope: JSON on SQLite, a VALUES list on PostgreSQL."""
    days = session.execute(select(p.c.enrolled_on).where(scope.known(), scope.enrolled_in_period())
                           .distinct()).scalars().all()
    if not days:
        return None
    rows = []
    for day in days:
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        end = add_duration(day, within)
        rows.append((day, end, start_of_day(end + timedelta(days=1))))
    if scope.dialect == "sqlite":
        return _json_windows(session, rows)
    table = values(column("enrolled_on", Date), column("window_end", Date), column("window_end_at", UtcDateTime),
                   name="goal_windows").data(rows).cte("goal_windows")
    return Windows(table, table.c.enrolled_on, table.c.window_end, table.c.window_end_at)


def _json_windows(session: Connection, rows: list[tuple[date, date, Any]]) -> Windows:
    """The windows read from one JSON parameter with ``json_each`` (SQLite): one statement text."""
    dialect = session.dialect
    # the values exactly as SQLite stores a Date and a UtcDateTime, so they compare as stored
    as_day = Date().dialect_impl(dialect).bind_processor(dialect) or str
    as_moment = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert as_moment is not None
    payload = json.dumps([[as_day(day), as_day(end), as_moment(at)] for day, end, at in rows])
    each = func.json_each(bindparam("goal_windows", payload, type_=String)).table_valued("value").alias("each")

    def item(index: int, name: str) -> ColumnElement[Any]:
        return func.json_extract(each.c.value, f"$[{index}]").label(name)

    # materialised: read once into a table SQLite can scan, then each day looks its participants up
    # through the (workflow_id, enrolled_on) index, as with a VALUES list
    table = select(item(0, "enrolled_on"), item(1, "window_end"), item(2, "window_end_at")) \
        .cte("goal_windows").prefix_with("MATERIALIZED")
    return Windows(table, type_coerce(table.c.enrolled_on, Date), type_coerce(table.c.window_end, Date),
                   type_coerce(table.c.window_end_at, UtcDateTime))


__all__ = ["goals_table"]
