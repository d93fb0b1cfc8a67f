"""Circulation between projects (rundgång): people, not participants, counted per period.

A person is an identity number, recognised by its keyed hash in the identity table — so the
counts are made in SQL without ever decrypting a number, and participants enrolled without a
number (or anonymously) cannot be followed and are left out (a note says how many). Only counts
leave this module. Per period (year, quarter or month of the enrolment or event day):

* ``people`` — persons with an enrolment starting in the period (the total: distinct persons over
  the whole range);
* ``in_several_projects`` — of them, those enrolled in two or more different workflows up to the
  period's end;
* ``circulating`` — of them, those who at that enrolment were open in another workflow or had left
  one no more than ``RECENT_EXIT`` (:mod:`pathway.services.person`) before (the enrolment warning's rule);
* ``re_enrolled`` — of them, those enrolled again in a workflow they had been enrolled in before;
* ``handed_over`` — persons who, in the period, entered a step of kind ``handover`` or exited with
  an exit reason of category ``referred`` (handed to another agency or project).

Pure queries: the use case (access policy, access log, read-only transaction) is
:func:`pathway.services.reporting.circulation`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, case, distinct, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from pathway.clock import to_local
from pathway.definitions.models import Workflow
from pathway.reports.table import ReportTable
from pathway.store.tables import events, identities, participants

MEASURES = ["people", "in_several_projects", "circulating", "re_enrolled", "handed_over"]
RECENT_DAYS = 180


class Period(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


def periods(first: date, last: date, per: Period) -> list[tuple[str, date, date]]:
    """(label, first day, the day after the last) of every period from ``first`` to ``last``."""
    months = {Period.YEAR: 12, Period.QUARTER: 3, Period.MONTH: 1}[per]
    start = date(first.year, (first.month - 1) // months * months + 1, 1)
    found = []
    while start <= last:
        month = start.month - 1 + months
        end = date(start.year + month // 12, month % 12 + 1, 1)
        label = (str(start.year) if per == Period.YEAR else
                 f"{start.year}-Q{(start.month - 1) // 3 + 1}" if per == Period.QUARTER else
                 f"{start.year}-{start.month:02d}")
        found.append((label, start, end))
        start = end
    return found


def _bucket(day: ColumnElement[Any], spans: list[tuple[str, date, date]]) -> ColumnElement[Any]:
    return case(*[(and_(day >= start, day < end), literal(label)) for label, start, end in spans], else_=None)


def _days_before(day: ColumnElement[Any], dialect: str, days: int) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return day - days  # date - integer is a date
    return func.date(day, f"-{days} days")


def circulation_table(session: Connection, definitions: dict[str, Workflow], period_from: date | None,
                      period_to: date | None, per: Period, today: date, dialect: str) -> ReportTable:
    """The circulation table over every workflow (``definitions``: id → current definition)."""
    p, i = participants.alias("p"), identities.alias("i")
    first = period_from or session.scalar(select(func.min(p.c.enrolled_on))) or today
    if isinstance(first, str):
        first = date.fromisoformat(first)
    last = period_to or today
    spans = periods(first, last, per)
    rows = {label: {"period": label, **{m: 0 for m in MEASURES}} for label, _, _ in spans}

    enrolled = _bucket(p.c.enrolled_on, spans).label("period")
    base = (select(enrolled, i.c.personnummer_hash.label("person"), p.c.id, p.c.workflow_id, p.c.enrolled_on)
            .join(i, i.c.participant_id == p.c.id)
            .where(i.c.personnummer_hash.is_not(None)).subquery("e"))
    in_period = base.c.period.is_not(None)
    o = participants.alias("o")
    oi = identities.alias("oi")
    other = (select(o.c.id).join(oi, oi.c.participant_id == o.c.id)
             .where(oi.c.personnummer_hash == base.c.person, o.c.id != base.c.id))

    def count(condition: ColumnElement[bool] | None = None) -> dict[str, int]:
        query = select(base.c.period, func.count(distinct(base.c.person))).where(in_period)
        if condition is not None:
            query = query.where(condition)
        return {label: n for label, n in session.execute(query.group_by(base.c.period))}

    span_end = case(*[(base.c.period == label, literal(end)) for label, _, end in spans], else_=None)
    measures = {
        "people": count(),
        "in_several_projects": count(
            other.where(o.c.workflow_id != base.c.workflow_id, o.c.enrolled_on < span_end).exists()),
        "circulating": count(other.where(
            o.c.enrolled_on <= base.c.enrolled_on,
            or_(o.c.exited_on.is_(None), o.c.exited_on >= _days_before(base.c.enrolled_on, dialect, RECENT_DAYS)),
            or_(o.c.workflow_id != base.c.workflow_id, o.c.exited_on.is_not(None)),
        ).exists()),
        "re_enrolled": count(other.where(o.c.workflow_id == base.c.workflow_id,
                                         o.c.enrolled_on <= base.c.enrolled_on, o.c.id < base.c.id).exists()),
    }
    for name, found in measures.items():
        for label, n in found.items():
            rows[label][name] = n
    for label, n in _handed_over(session, definitions, spans).items():
        rows[label]["handed_over"] = n

    # distinct people over the whole range (one enrolled in two periods is one person)
    total = session.scalar(select(func.count(distinct(base.c.person))).where(in_period)) or 0
    unidentified = session.scalar(
        select(func.count()).select_from(p).outerjoin(i, i.c.participant_id == p.c.id)
        .where(i.c.personnummer_hash.is_(None), _bucket(p.c.enrolled_on, spans).is_not(None))) or 0
    notes = [f"A person is counted once per period and measure; {RECENT_DAYS} days is 'recently left'."]
    if unidentified:
        notes.append(f"{unidentified} enrolment(s) without a personal identity number (anonymous or not given) "
                     "cannot be followed across projects and are not counted.")
    return ReportTable(
        name="circulation", title="Rundgång: personer i flera projekt, åter inskrivna och överlämnade",
        dimensions=["period"], rows=list(rows.values()), total=total,
        measures=MEASURES, suppressible=list(MEASURES), notes=notes,
        labels={"period": {}},
        scope={"workflow": "all workflows", "from": first.isoformat(), "to": last.isoformat(), "as_of": today.isoformat(),
               "per": per.value},
    )


def _handed_over(session: Connection, definitions: dict[str, Workflow],
                 spans: list[tuple[str, date, date]]) -> dict[str, int]:
    """Persons entering a handover step, or exiting as 'referred', per period of the event's day."""
    handover_steps = [(w, s.id) for w, d in definitions.items() for s in d.steps if s.kind == "handover"]
    referred = [(w, r.code) for w, d in definitions.items() for r in d.exit_reasons if r.category == "referred"]
    if not spans:
        return {}
    i = identities.alias("i")
    found: list[tuple[date, str]] = []
    if handover_steps:
        entered = session.execute(
            select(events.c.effective_at, i.c.personnummer_hash)
            .join(i, i.c.participant_id == events.c.participant_id)
            .where(i.c.personnummer_hash.is_not(None),
                   or_(*[and_(events.c.workflow_id == w, events.c.to_step == s,
                              or_(events.c.from_step.is_(None), events.c.from_step != s))
                         for w, s in handover_steps]),
                   events.c.effective_at >= _utc(spans[0][1]), events.c.effective_at < _utc(spans[-1][2], 1))
        ).all()
        found += [(to_local(moment).date(), person) for moment, person in entered]
    if referred:
        p = participants.alias("p")
        exited = session.execute(
            select(p.c.exited_on, i.c.personnummer_hash).join(i, i.c.participant_id == p.c.id)
            .where(i.c.personnummer_hash.is_not(None),
                   or_(*[and_(p.c.workflow_id == w, p.c.exit_reason == code) for w, code in referred]),
                   p.c.exited_on >= spans[0][1], p.c.exited_on < spans[-1][2])
        ).all()
        found += [(day if isinstance(day, date) else date.fromisoformat(day), person) for day, person in exited]
    people: dict[str, set[str]] = {}
    for day, person in found:
        for label, start, end in spans:
            if start <= day < end:
                people.setdefault(label, set()).add(person)
    return {label: len(found) for label, found in people.items()}


def _utc(day: date, shift: int = -1) -> datetime:
    """A UTC moment a day beyond ``day`` (a loose bound; the exact local day is checked after)."""
    return datetime.combine(day, time(0), tzinfo=timezone.utc) + timedelta(days=shift)
