"""``report before-after``: each participant's situation at start against the situation after.

For every participant who exited in the period, per field (income source, the employment service's
category code …):

* **at start** (``at_enrolment``) — the first value recorded within ``--start-within`` of enrolment
  (default ``0d``: the enrolment record itself); a value recorded at the first meeting a week later
  counts with ``--start-within 14d``;
* **at exit** (``at_exit``) — the exit's own record of it (``<field>_at_exit`` in the exit's data)
  or, when the exit did not record it, the latest value recorded before the exit;
* **follow-up waves** (``--wave jan-2011=2011-01-31``, Utrikesfödda's January 2011 codes): the value
  as it stood at the end of that day — a ``<field>_at_follow_up`` attribute recorded by then (the
  follow-up after exit), else the value at exit, else the latest value recorded by then.

A multi_choice field (several income sources at once: salary topped up with social assistance)
counts a participant once under each code, so its column can add up to more than the total.
One ``GROUP BY`` over the combinations of values; the columns are its sums.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, select

from pathway.definitions.models import FieldType
from pathway.domain import EventType
from pathway.domain.duration import Duration
from pathway.engine.calendar import start_of_day
from pathway.errors import InvalidValue
from pathway.reports.exit_events import exit_event_join
from pathway.reports.flow import days_between
from pathway.reports.scope import ReportScope, not_struck, p
from pathway.reports.table import ReportTable
from pathway.store.tables import events

#: the fields compared when none are named: attribute → field of the exit's data
FIELDS = {"income_source": "income_source_at_exit", "af_code": "af_code_at_exit"}
_RECORDING = [EventType.ENROLLED.value, EventType.ATTRIBUTES_SET.value]


@dataclass(frozen=True)
class Wave:
    """A named follow-up: the situation at the end of ``day``."""

    name: str
    day: date


def parse_wave(text: str) -> Wave:
    """``jan-2011=2011-01-31`` → Wave('jan-2011', 2011-01-31)."""
    name, sep, day = text.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        return Wave(name.strip(), date.fromisoformat(day.strip()))
    except ValueError:
        raise InvalidValue("--wave", text, "give NAME=YYYY-MM-DD, e.g. jan-2011=2011-01-31") from None


def parse_window(text: str) -> int:
    """``14d`` or ``2w`` → days after enrolment within which the value at start may be recorded."""
    try:
        duration = Duration.parse(text)
    except ValueError:
        duration = None
    if duration is None or duration.unit not in ("d", "w"):
        raise InvalidValue("--start-within", text, "give calendar days or weeks, e.g. 0d, 14d or 4w")
    return duration.amount * (7 if duration.unit == "w" else 1)


def before_after_table(session: Connection, scope: ReportScope, fields: list[str] | None = None,
                       start_within_days: int = 0, waves: tuple[Wave, ...] = ()) -> ReportTable:
    workflow = scope.workflow
    names = _fields(scope, fields)
    for wave in waves:
        if wave.day > scope.as_of:
            raise InvalidValue("--wave", f"{wave.name}={wave.day.isoformat()}",
                               f"it is after --as-of {scope.as_of.isoformat()}; a wave reads what had happened by then")
    if len({w.name for w in waves}) != len(waves) or {w.name for w in waves} & {"at_enrolment", "at_exit"}:
        raise InvalidValue("--wave", ",".join(w.name for w in waves), "give each wave a name of its own")
    exit_event, on = exit_event_join(workflow)
    # the enrolment record itself (the default window): joined once instead of a lookup per participant
    enrolled = events.alias("enrolment")
    enrolment_on = and_(enrolled.c.participant_id == p.c.id, enrolled.c.type == EventType.ENROLLED.value)
    measures = ["at_enrolment", "at_exit", *(w.name for w in waves)]
    columns = []
    for name in names:
        exit_field = _exit_field(scope, name)
        exit_value = func.coalesce(exit_event.c.data[exit_field].as_string(),
                                   _latest(scope, name, p.c.exited_at, inclusive=True)) \
            if exit_field else _latest(scope, name, p.c.exited_at, inclusive=True)
        start = _recorded(enrolled, name, workflow.id) if start_within_days == 0 \
            else _first_within(scope, name, start_within_days)
        columns.append(start.label(f"{name}__at_enrolment"))
        columns.append(exit_value.label(f"{name}__at_exit"))
        for i, wave in enumerate(waves):
            columns.append(_wave_value(scope, name, wave, exit_value).label(f"{name}__wave{i}"))
    groups = session.execute(
        select(*columns, func.count()).select_from(p).join(exit_event, on).join(enrolled, enrolment_on)
        .where(scope.known(), scope.exited_in_period()).group_by(*[c.name for c in columns])).all() \
        if names else []
    total = sum(group[-1] for group in groups)
    rows: list[dict[str, Any]] = []
    width = len(measures)
    for index, name in enumerate(names):
        multi = workflow.attributes[name].type == FieldType.MULTI_CHOICE
        tallies: list[Counter[Any]] = [Counter() for _ in measures]
        for group in groups:
            for m in range(width):
                for value in _codes(group[index * width + m], multi):
                    tallies[m][value] += group[-1]
        declared = list(workflow.attributes[name].choices or [])
        seen = {v for tally in tallies for v in tally}
        extra = sorted((v for v in seen if v is not None and v not in declared), key=str)
        for value in declared + extra + ([None] if None in seen else []):
            rows.append({"field": name, "value": value,
                         **{m: tallies[i].get(value, 0) for i, m in enumerate(measures)}})
    notes = [] if names else [f"workflow '{workflow.id}' has neither income_source nor af_code attributes"]
    several = [n for n in names if workflow.attributes[n].type == FieldType.MULTI_CHOICE]
    if several:
        notes.append(f"{', '.join(several)}: several may apply, so a participant can count in several rows")
    if start_within_days:
        notes.append(f"at start: the first value recorded within {start_within_days} days of enrolment")
    return ReportTable(
        name="before_after", title="Situation at start, at exit and at follow-up (participants who exited)",
        dimensions=["field", "value"], measures=measures, rows=rows, total=total,
        suppressible=list(measures),
        labels={"field": {n: workflow.attributes[n].title or n for n in names},
                "value": {code: text for n in names for code, text in (workflow.attributes[n].labels or {}).items()}},
        scope=scope.describe() | ({"waves": {w.name: w.day.isoformat() for w in waves}} if waves else {}),
        notes=notes,
    )


def _fields(scope: ReportScope, fields: list[str] | None) -> list[str]:
    attributes = scope.workflow.attributes
    if not fields:
        return [name for name in FIELDS if name in attributes]
    usable = [n for n, s in attributes.items() if s.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE, FieldType.STRING,
                                                              FieldType.BOOLEAN, FieldType.INTEGER)]
    for name in fields:
        if name not in usable:
            raise InvalidValue("--field", name, "name an attribute of the workflow to compare: " + ", ".join(usable))
    return list(dict.fromkeys(fields))


def _exit_field(scope: ReportScope, name: str) -> str | None:
    """The exit's own record of the field (``<name>_at_exit``), when an exit transition declares it."""
    candidate = FIELDS.get(name, f"{name}_at_exit")
    terminal = {s.id for s in scope.workflow.steps if s.terminal}
    declared = any(candidate in t.data for t in scope.workflow.transitions if t.to in terminal)
    return candidate if declared else None


def _recorded(e: Any, name: str, workflow_id: str) -> ColumnElement[Any]:
    """The value an enrolment or attribute event recorded for ``name`` (NULL when it did not), as
    corrected: a later ``attribute`` correction that amends the event gives the value in its place."""
    original = case((e.c.type == EventType.ENROLLED.value, e.c.data[("attributes", name)].as_string()),
                    else_=e.c.data[("set", name)].as_string())
    return func.coalesce(_corrected(e, name, workflow_id), original)


@lru_cache(maxsize=64)
def _attribute_corrections(workflow_id: str) -> Any:
    """The workflow's attribute corrections, read once per statement (a handful of rows, found through the
    (workflow, type) index) instead of searching each participant's events for every value looked up."""
    c = events.alias("correction_event")
    return (select(c.c.participant_id, c.c.seq, c.c.data["amends"].as_integer().label("amends"),
                   c.c.data["set"].label("corrected"))
            .where(c.c.workflow_id == workflow_id, c.c.type == EventType.CORRECTED.value,
                   c.c.data["kind"].as_string() == "attribute", not_struck(c))
            .cte("attribute_corrections").prefix_with("MATERIALIZED"))


def _corrected(e: Any, name: str, workflow_id: str) -> ColumnElement[Any]:
    """The newest correction of ``name`` in the value event ``e`` recorded (NULL when none).

    A correction is retroactive, as in every report: it amends the value from the moment the
    original was recorded, whatever the ``--as-of`` day (``report corrections --since`` lists the
    corrections made after a period was reported)."""
    fixes = _attribute_corrections(workflow_id)
    value = fixes.c.corrected[name].as_string()
    return (select(value).where(fixes.c.participant_id == e.c.participant_id, fixes.c.amends == e.c.seq,
                                value.is_not(None))
            .order_by(fixes.c.seq.desc()).limit(1).scalar_subquery())


def _first_within(scope: ReportScope, name: str, days: int) -> ColumnElement[Any]:
    e = events.alias(f"start_{name}")
    value = _recorded(e, name, scope.workflow.id)
    return (select(value).where(e.c.participant_id == p.c.id, e.c.type.in_(_RECORDING), value.is_not(None),
                                e.c.effective_at < scope.as_of_end,
                                days_between(p.c.enrolled_at, e.c.effective_at) <= literal(days + 1e-9))
            .order_by(e.c.effective_at, e.c.seq).limit(1).scalar_subquery())


def _latest(scope: ReportScope, name: str, until: Any, inclusive: bool = False) -> ColumnElement[Any]:
    """The value of ``name`` most recently recorded before (or at) ``until``."""
    e = events.alias(f"latest_{name}")
    value = _recorded(e, name, scope.workflow.id)
    before = e.c.effective_at <= until if inclusive else e.c.effective_at < until
    return (select(value).where(e.c.participant_id == p.c.id, e.c.type.in_(_RECORDING), value.is_not(None), before,
                                e.c.effective_at < scope.as_of_end)
            .order_by(e.c.effective_at.desc(), e.c.seq.desc()).limit(1).scalar_subquery())


def _wave_value(scope: ReportScope, name: str, wave: Wave, exit_value: ColumnElement[Any]) -> ColumnElement[Any]:
    end = start_of_day(wave.day + timedelta(days=1))
    choices: list[ColumnElement[Any]] = []
    follow_up = f"{name}_at_follow_up"
    if follow_up in scope.workflow.attributes:
        choices.append(_latest(scope, follow_up, end))
    choices.append(case((and_(p.c.exited_at.is_not(None), p.c.exited_at < end), exit_value)))
    choices.append(_latest(scope, name, end))
    return func.coalesce(*choices)


def _codes(value: Any, multi: bool) -> list[Any]:
    """The codes one grouped value counts under: a list's each code for a multi_choice field."""
    if not multi or value is None:
        return [value]
    codes = json.loads(value) if isinstance(value, str) else value
    return list(dict.fromkeys(codes)) or [None]


__all__ = ["Wave", "before_after_table", "parse_wave", "parse_window"]
