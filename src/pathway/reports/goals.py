"""``report goals``: each result goal of the workflow, computed from the history.

For a goal with a window (``within: 12m``, counted from enrolment, with the same calendar as the
deadlines, working days and holidays included):

* **denominator** — participants whose window had closed by the as-of day;
* **numerator** — of those, the ones who met the goal inside their window;
* **inside window** — participants whose window is still open (and how many of them have already
  met it), who are left out of the share until their window closes.

A goal without a window counts participants whose outcome is decided: everyone who has exited, and
those still in the project who have already met it.

The windows are computed in Python once per distinct enrolment day (a few hundred values), handed to
the database as a ``VALUES`` list, and every count is one aggregate query: no per-participant loop.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import (ColumnElement, Date, DateTime, Interval, and_, case, cast, column, func, literal_column,
                        or_, select, values)
from sqlalchemy.orm import Session

from pathway.clock import STOCKHOLM
from pathway.definitions.models import ResultGoal
from pathway.domain import EventType
from pathway.domain.duration import Duration
from pathway.engine.calendar import add_duration, start_of_day
from pathway.reports.scope import ReportScope, p
from pathway.reports.table import ReportTable
from pathway.store.tables import events
from pathway.store.types import UtcDateTime

MEASURES = ["target_share", "numerator", "denominator", "share", "met", "inside_window", "inside_window_met"]


def goals_table(session: Session, scope: ReportScope) -> ReportTable:
    rows = [_goal_row(session, scope, goal) for goal in scope.workflow.result_goals]
    notes = [] if rows else [f"workflow '{scope.workflow.id}' declares no result_goals"]
    return ReportTable(
        name="goals", title="Result goals", dimensions=["goal"], measures=MEASURES, rows=rows,
        total=_participants(session, scope), labels={"goal": {g.id: g.title for g in scope.workflow.result_goals}},
        scope=scope.describe(), notes=notes,
    )


def _participants(session: Session, scope: ReportScope) -> int:
    return session.execute(select(func.count()).where(scope.known(), scope.enrolled_in_period())).scalar_one()


def _goal_row(session: Session, scope: ReportScope, goal: ResultGoal) -> dict[str, Any]:
    met_at = _met_at(scope, goal)
    counted = [scope.known(), scope.enrolled_in_period()]
    if goal.within is None:
        decided = or_(scope.exited_by(scope.as_of), met_at.is_not(None))
        query = select(
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
                return _row(goal, 0, 0, 0, 0)
            window_end, window_end_at = windows.c.window_end, windows.c.window_end_at
            # The windows hold exactly the enrolment days in scope, so the join is the date filter:
            # a range condition on enrolled_on here made SQLite scan the index once per window day.
            source = p.join(windows, windows.c.enrolled_on == p.c.enrolled_on)
            where = [p.c.workflow_id == scope.workflow.id]
        closed = window_end < scope.as_of
        in_time = and_(met_at.is_not(None), met_at < window_end_at)
        query = select(
            func.count().filter(closed),
            func.count().filter(and_(closed, in_time)),
            func.count().filter(~closed),
            func.count().filter(and_(~closed, in_time)),
        ).select_from(source).where(*where)
        denominator, numerator, inside, inside_met = session.execute(query).one()
    return _row(goal, numerator, denominator, inside, inside_met)


def _row(goal: ResultGoal, numerator: int, denominator: int, inside: int, inside_met: int) -> dict[str, Any]:
    share = round(numerator / denominator, 4) if denominator else None
    return {
        "goal": goal.id, "target_share": goal.target_share, "numerator": numerator, "denominator": denominator,
        "share": share, "met": None if share is None else share >= goal.target_share,
        "inside_window": inside, "inside_window_met": inside_met,
    }


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
            e.c.type.in_([EventType.TRANSITION.value, EventType.MIGRATED.value]),
        ).scalar_subquery())
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


def _windows(session: Session, scope: ReportScope, within: Duration) -> Any:
    """(enrolled_on, window_end, window_end_at) for every enrolment day in scope, as a VALUES list."""
    days = session.execute(select(p.c.enrolled_on).where(scope.known(), scope.enrolled_in_period())
                           .distinct()).scalars().all()
    if not days:
        return None
    rows = []
    for day in days:
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        end = add_duration(day, within)
        rows.append((day, end, start_of_day(end + timedelta(days=1))))
    return values(column("enrolled_on", Date), column("window_end", Date), column("window_end_at", UtcDateTime),
                  name="goal_windows").data(rows).cte("goal_windows")


__all__ = ["goals_table"]
