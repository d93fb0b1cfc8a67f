"""``report flow``: how participants move through the steps, and where they stall or circulate.

Per step: visits (entries), participants who entered it, participants who re-entered it
(circulation: sent back to a step they had left, or handed back and forth between owners), how
many are in it on the as-of day, the median and 90th percentile of days spent in completed visits
(nearest-rank, computed with window functions in the database), deadlines overdue now (today's
state of the deadline rows, so only without ``--as-of``) and escalations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Float, and_, cast, func, literal_column, null, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from pathway.domain import EventType
from pathway.domain.deadline import DeadlineStatus
from pathway.reports.scope import ReportScope, not_struck, p
from pathway.reports.table import ReportTable
from pathway.store.tables import deadlines, events

MEASURES = ["entered", "participants", "re_entered", "in_now", "median_days", "p90_days", "overdue_now", "escalations"]


class days_between(FunctionElement[float]):  # noqa: N801 - reads as SQL
    """Days (fractional) from the first timestamp to the second, on either database."""

    type = Float()
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"


@compiles(days_between, "postgresql")
def _days_postgresql(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) / 86400.0)"


def flow_table(session: Connection, scope: ReportScope, by: str | None = None) -> ReportTable:
    """Per step (and, with ``by``, per value of one more dimension: gender, deadline:RULE, intervention …)."""
    steps = [s for s in scope.workflow.steps if not s.terminal]
    split = _split(scope, by)
    if split is not None:
        # a dimension of records (interventions, placements, meetings …) is outer-joined: keep the
        # date filters off the index, as the participants report does, or SQLite scans the joined
        # records once per participant (see reports.scope.unindexed)
        from pathway.reports.crosstab import _for_joins

        scope = _for_joins(scope, {by or "": split})
    in_scope = [scope.known(), scope.enrolled_in_period()]
    value = split.expression if split is not None else null()

    def joined(source: Any) -> Any:
        return source.outerjoin(split.joined, split.on) if split is not None and split.joined is not None else source

    visits = _visits(scope, in_scope, value, joined)
    per_step, circulating = _visit_counts(session, visits)
    # the as-of step is a correlated subquery: grouped from a derived table, as PostgreSQL cannot
    # GROUP BY an expression that reads an ungrouped column of the outer row (GroupingError)
    stepped = (select(scope.step().label("step"), value.label("value")).select_from(joined(p))
               .where(*in_scope, ~scope.exited_by(scope.as_of)).subquery("stepped"))
    in_now = _pairs(session.execute(
        select(stepped.c.step, stepped.c.value, func.count()).group_by(stepped.c.step, stepped.c.value)).all())
    escalations = _pairs(session.execute(
        select(events.c.from_step, value.label("value"), func.count())
        .select_from(joined(events.join(p, p.c.id == events.c.participant_id)))
        .where(*in_scope, events.c.type == EventType.ESCALATED.value, events.c.effective_at < scope.as_of_end)
        .group_by(events.c.from_step, literal_column("value"))).all())
    overdue = None if scope.historical else _overdue(session, scope, in_scope, value, joined)

    values = _axis(split, {k[1] for k in (*per_step, *in_now, *escalations, *(overdue or {}))})
    rows = []
    for step in steps:
        for v in values:
            counted = per_step.get((step.id, v))
            rows.append({
                "step": step.id, **({by: v} if by else {}), "entered": counted.entered if counted else 0,
                "participants": counted.participants if counted else 0,
                "re_entered": counted.re_entered if counted else 0, "in_now": in_now.get((step.id, v), 0),
                "median_days": _round(counted.median) if counted else None,
                "p90_days": _round(counted.p90) if counted else None,
                "overdue_now": None if overdue is None else overdue.get((step.id, v), 0),
                "escalations": escalations.get((step.id, v), 0),
            })
    total = session.execute(select(func.count()).where(*in_scope)).scalar_one()
    notes = [f"{circulating} participant(s) re-entered a step they had left (circulation)"]
    if overdue is None:
        notes.append("overdue_now is today's state and is left out of a report --as-of an earlier day")
    labels: dict[str, dict[Any, str]] = {"step": {s.id: s.title for s in scope.workflow.steps}}
    titles: dict[str, str] = {}
    if split is not None and by:
        from pathway.reports.crosstab import _labels, _titles

        labels |= _labels(scope, {by: split})
        titles = _titles(scope, [by])
        if split.fans_out:
            notes.append(f"{by}: several may apply, so a participant can count under several values")
    return ReportTable(name="flow", title="Flow through the steps" + (f" by {by}" if by else ""),
                       dimensions=["step", *([by] if by else [])], measures=MEASURES,
                       suppressible=[m for m in MEASURES if not m.endswith("_days")],
                       rows=rows, total=total, labels=labels, scope=scope.describe(), notes=notes,
                       dimension_titles=titles)


def _split(scope: ReportScope, by: str | None) -> Any:
    """The extra dimension's SQL (as a cross-tab resolves it), or None."""
    if not by:
        return None
    from pathway.reports.crosstab import _resolve

    return _resolve(scope, [by], exits=False)[by]


def _axis(split: Any, seen: set[Any]) -> list[Any]:
    if split is None:
        return [None]
    extra = sorted((v for v in seen if v is not None and v not in split.declared), key=str)
    return list(split.declared) + extra + ([None] if None in seen else [])


def _pairs(rows: Any) -> dict[tuple[Any, Any], int]:
    return {(row[0], row[1]): row[2] for row in rows}


def _visits(scope: ReportScope, in_scope: list[ColumnElement[bool]], value: Any, joined: Any) -> Any:
    """One row per entry into a step, with the moment the participant left it (NULL: still there)."""
    moved = and_(events.c.to_step.is_not(None), events.c.to_step != events.c.from_step)
    entering = and_(not_struck(events), or_(
        events.c.type == EventType.ENROLLED.value,
        and_(events.c.type.in_([EventType.TRANSITION.value, EventType.MIGRATED.value]), moved),
        # an exit whose data was corrected: the correction stands in the struck exit's place
        and_(events.c.type == EventType.CORRECTED.value, events.c.data["kind"].as_string() == "exit", moved),
    ))
    # a dimension that fans out (several interventions) repeats each event once per value: each copy
    # is a history of its own, so the windows are taken per value too
    left_at = func.lead(events.c.effective_at).over(partition_by=(events.c.participant_id, value),
                                                    order_by=events.c.seq)
    visit_no = func.row_number().over(partition_by=(events.c.participant_id, events.c.to_step, value),
                                      order_by=events.c.seq)
    # read by several parts of one statement: computed once (both databases honour MATERIALIZED)
    return (select(events.c.participant_id, events.c.to_step.label("step"), value.label("value"),
                   events.c.effective_at.label("entered_at"), left_at.label("left_at"), visit_no.label("visit_no"))
            .select_from(joined(events.join(p, p.c.id == events.c.participant_id)))
            .where(*in_scope, entering, events.c.effective_at < scope.as_of_end)
            .cte("visits").prefix_with("MATERIALIZED"))


def _visit_counts(session: Connection, visits: Any) -> tuple[dict[tuple[Any, Any], Any], int]:
    """Per step: entries, participants, re-entries, median and p90 days; and everyone who circulated.

    One statement over the visits: a participant's second visit to a step is a re-entry.
    """
    percentiles = _percentiles(visits)
    circulating = (select(func.count(visits.c.participant_id.distinct())).where(visits.c.visit_no == 2)
                   .scalar_subquery())
    same_group = and_(percentiles.c.step == visits.c.step,
                      or_(percentiles.c.value == visits.c.value,
                          and_(percentiles.c.value.is_(None), visits.c.value.is_(None))))
    query = (select(visits.c.step, visits.c.value, func.count().label("entered"),
                    func.count().filter(visits.c.visit_no == 1).label("participants"),
                    func.count().filter(visits.c.visit_no == 2).label("re_entered"),
                    func.max(percentiles.c.median).label("median"), func.max(percentiles.c.p90).label("p90"),
                    circulating.label("circulating"))
             .select_from(visits.outerjoin(percentiles, same_group))
             .group_by(visits.c.step, visits.c.value))
    rows = session.execute(query).all()
    return {(row.step, row.value): row for row in rows}, (rows[0].circulating if rows else 0)


def _percentiles(visits: Any) -> Any:
    """Median and 90th percentile (nearest rank) of days per step, over completed visits."""
    days = days_between(visits.c.entered_at, visits.c.left_at)
    group = (visits.c.step, visits.c.value)
    ranked = (select(visits.c.step, visits.c.value, days.label("days"),
                     func.row_number().over(partition_by=group, order_by=days).label("rank"),
                     func.count().over(partition_by=group).label("n"))
              .where(visits.c.left_at.is_not(None)).subquery("ranked"))
    median_rank = (ranked.c.n + 1) // 2          # ceil(0.5 n) in integer arithmetic
    p90_rank = (ranked.c.n * 9 + 9) // 10        # ceil(0.9 n)
    return select(
        ranked.c.step, ranked.c.value,
        func.max(cast(ranked.c.days, Float)).filter(ranked.c.rank == median_rank).label("median"),
        func.max(cast(ranked.c.days, Float)).filter(ranked.c.rank == p90_rank).label("p90"),
    ).group_by(ranked.c.step, ranked.c.value).subquery("percentiles")


def _overdue(session: Connection, scope: ReportScope, in_scope: list[ColumnElement[bool]], value: Any,
             joined: Any) -> dict[tuple[Any, Any], int]:
    """Open deadlines already past due, by the participant's current step."""
    query = (select(p.c.step, value.label("value"), func.count())
             .select_from(joined(deadlines.join(p, p.c.id == deadlines.c.participant_id)))
             .where(*in_scope, deadlines.c.status == DeadlineStatus.OPEN.value,
                    deadlines.c.due_at < scope.now, deadlines.c.due_at.is_not(None))
             .group_by(p.c.step, literal_column("value")))
    return _pairs(session.execute(query).all())


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)
