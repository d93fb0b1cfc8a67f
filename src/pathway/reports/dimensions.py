"""Dimensions computed from what is recorded around the steps, and the registry they live in.

A cross-tab's ``--by`` names attributes and the built-in dimensions of :mod:`pathway.reports.crosstab`;
everything else is looked up here, by the part before a colon (``deadline:first_meeting_within_14_days``,
``placement_hours:10``, ``count:obstacles``). Each kind builds a :class:`Dimension`: a SQL expression,
the values always printed (zeros included), Swedish labels, and optionally a subquery to outer-join
(one row per participant, or several when a participant can count under several values).

Other modules add kinds with :func:`register` (meetings and attendance come from the meetings module).
Every kind reads the history as of ``--as-of`` and, where it says "in the period", the report's period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, exists, func, literal, select

from pathway.definitions.models import FieldType
from pathway.domain.records import RecordEvent
from pathway.engine.calendar import start_of_day
from pathway.errors import InvalidValue
from pathway.reports.scope import ReportScope, p, standing_entries
from pathway.store.tables import deadlines, events


@dataclass
class Dimension:
    """One grouping column: its SQL expression, its declared values, and what to join for it."""

    expression: ColumnElement[Any]
    declared: list[Any]
    #: a table or subquery outer-joined to the participants for this dimension
    joined: Any = None
    #: the ON clause of that join (``true()``: a lateral table-valued function such as json_each)
    on: Any = None
    #: True when a participant can match several joined rows (counted once per value, once in the total)
    fans_out: bool = False
    #: Swedish labels of the values
    labels: dict[Any, str] = field(default_factory=dict)

    @property
    def boolean(self) -> bool:
        return self.declared == [True, False]


#: builds a dimension from the scope and the argument after the colon (None when there is none)
Builder = Callable[[ReportScope, str | None], Dimension]


@dataclass(frozen=True)
class DimensionKind:
    describe: str
    build: Builder


#: every kind of recorded dimension, by the name before the colon
REGISTRY: dict[str, DimensionKind] = {}


def register(name: str, describe: str) -> Callable[[Builder], Builder]:
    """Decorator: make ``name`` (and ``name:ARG``) usable in ``--by``."""

    def add(build: Builder) -> Builder:
        REGISTRY[name] = DimensionKind(describe, build)
        return build

    return add


def resolve(scope: ReportScope, name: str) -> Dimension | None:
    """The registered dimension ``name`` (``kind`` or ``kind:argument``), or None if no kind matches."""
    kind, _, argument = name.partition(":")
    found = REGISTRY.get(kind)
    if found is None:
        return None
    return found.build(scope, argument or None)


# --- the period as moments ---------------------------------------------------------------------

def period_start_at(scope: ReportScope) -> datetime | None:
    return start_of_day(scope.period_from) if scope.period_from else None


def period_end_at(scope: ReportScope) -> datetime:
    """The first moment after the period (never after the as-of day)."""
    return start_of_day(scope.period_end + timedelta(days=1))


def _record(kind: RecordEvent) -> ColumnElement[bool]:
    return events.c.type == kind.value


# --- interventions and placements --------------------------------------------------------------

def _entries(kind: RecordEvent, name: str) -> Any:
    """The entries of one kind as corrected (see :func:`pathway.reports.scope.standing_entries`)."""
    return standing_entries([kind.value], name)


def _records_running(scope: ReportScope, started: RecordEvent, ended: RecordEvent, value_key: str) -> Any:
    """(participant_id, value) of every record running at some time in the period, once each."""
    start = _entries(started, f"{started.value}_s")
    end = _entries(ended, f"{ended.value}_e")
    conditions = [start.c.effective_at < period_end_at(scope)]
    begins = period_start_at(scope)
    if begins is not None:
        ended_before = exists().where(end.c.participant_id == start.c.participant_id,
                                      end.c.data["id"].as_string() == start.c.data["id"].as_string(),
                                      end.c.effective_at < begins)
        conditions.append(~ended_before)
    return (select(start.c.participant_id, start.c.data[value_key].as_string().label("value"))
            .where(*conditions).distinct().cte(f"running_{started.value}").prefix_with("MATERIALIZED"))


def _records_started(scope: ReportScope, started: RecordEvent, value_key: str) -> Any:
    start = _entries(started, f"{started.value}_s")
    conditions = [start.c.effective_at < period_end_at(scope)]
    begins = period_start_at(scope)
    if begins is not None:
        conditions.append(start.c.effective_at >= begins)
    return (select(start.c.participant_id, start.c.data[value_key].as_string().label("value"))
            .where(*conditions).distinct().cte(f"started_{started.value}").prefix_with("MATERIALIZED"))


def _records_ended(scope: ReportScope, started: RecordEvent, ended: RecordEvent, value_key: str) -> Any:
    start = _entries(started, f"{started.value}_s")
    end = _entries(ended, f"{ended.value}_e")
    conditions = [end.c.effective_at < period_end_at(scope)]
    begins = period_start_at(scope)
    if begins is not None:
        conditions.append(end.c.effective_at >= begins)
    return (select(end.c.participant_id, start.c.data[value_key].as_string().label("value"))
            .join(start, and_(start.c.participant_id == end.c.participant_id,
                              start.c.data["id"].as_string() == end.c.data["id"].as_string()))
            .where(*conditions).distinct().cte(f"ended_{ended.value}").prefix_with("MATERIALIZED"))


# The records are computed once (a MATERIALIZED CTE) and joined: as a plain subquery on the right of
# the outer join, SQLite evaluated it again for every participant (42 s at 20 000 in bench/).
def _several(subquery: Any, declared: list[str], labels: dict[Any, str]) -> Dimension:
    return Dimension(subquery.c.value, declared, joined=subquery, on=subquery.c.participant_id == p.c.id,
                     fans_out=True, labels=labels)


def _intervention_kinds(scope: ReportScope) -> list[str]:
    return list(scope.workflow.interventions)


#: Swedish labels of the usual intervention kinds (a workflow's own kinds print as their codes)
INTERVENTION_LABELS = {"health_care": "Hälso- och sjukvård", "social_services_support": "Stöd från socialtjänsten",
                       "cbt": "KBT", "work_ability_assessment": "Arbetsförmågebedömning"}
PLACEMENT_TYPES = ["internship", "work_training", "work_trial", "supported_employment"]
PLACEMENT_LABELS = {"internship": "Praktik", "work_training": "Arbetsträning", "work_trial": "Arbetsprövning",
                    "supported_employment": "Supported employment"}


def _no_argument(kind: str, argument: str | None) -> None:
    if argument is not None:
        raise InvalidValue("--by", f"{kind}:{argument}", f"'{kind}' takes no argument; write --by {kind}")


@register("intervention", "kinds of parallel intervention running at some time in the period (several may apply)")
def intervention(scope: ReportScope, argument: str | None) -> Dimension:
    _no_argument("intervention", argument)
    running = _records_running(scope, RecordEvent.INTERVENTION_STARTED, RecordEvent.INTERVENTION_ENDED, "kind")
    return _several(running, _intervention_kinds(scope), INTERVENTION_LABELS)


@register("intervention_started", "kinds of parallel intervention started in the period")
def intervention_started(scope: ReportScope, argument: str | None) -> Dimension:
    _no_argument("intervention_started", argument)
    started = _records_started(scope, RecordEvent.INTERVENTION_STARTED, "kind")
    return _several(started, _intervention_kinds(scope), INTERVENTION_LABELS)


@register("intervention_ended", "kinds of parallel intervention ended in the period")
def intervention_ended(scope: ReportScope, argument: str | None) -> Dimension:
    _no_argument("intervention_ended", argument)
    ended = _records_ended(scope, RecordEvent.INTERVENTION_STARTED, RecordEvent.INTERVENTION_ENDED, "kind")
    return _several(ended, _intervention_kinds(scope), INTERVENTION_LABELS)


@register("placement", "types of placement running at some time in the period (several may apply)")
def placement(scope: ReportScope, argument: str | None) -> Dimension:
    _no_argument("placement", argument)
    running = _records_running(scope, RecordEvent.PLACEMENT_STARTED, RecordEvent.PLACEMENT_ENDED, "type")
    return _several(running, PLACEMENT_TYPES, PLACEMENT_LABELS)


@register("placement_started", "types of placement started in the period")
def placement_started(scope: ReportScope, argument: str | None) -> Dimension:
    _no_argument("placement_started", argument)
    return _several(_records_started(scope, RecordEvent.PLACEMENT_STARTED, "type"), PLACEMENT_TYPES, PLACEMENT_LABELS)


@register("placement_ended", "types of placement ended in the period")
def placement_ended(scope: ReportScope, argument: str | None) -> Dimension:
    _no_argument("placement_ended", argument)
    ended = _records_ended(scope, RecordEvent.PLACEMENT_STARTED, RecordEvent.PLACEMENT_ENDED, "type")
    return _several(ended, PLACEMENT_TYPES, PLACEMENT_LABELS)


def hours_goal(scope: ReportScope, argument: str | None, option: str = "--by") -> float:
    """The weekly hours a placement aims at: the argument, else the workflow's ``target_hours_per_week``."""
    if argument is not None:
        try:
            goal = float(argument)
        except ValueError:
            goal = -1.0
        if not 0 < goal <= 60:
            raise InvalidValue(option, f"placement_hours:{argument}",
                               "give the weekly hours aimed at as a number between 0 and 60, e.g. placement_hours:10")
        return goal
    targets = [float(s.config["target_hours_per_week"]) for s in scope.workflow.steps
               if isinstance(s.config.get("target_hours_per_week"), int | float)]
    if not targets:
        raise InvalidValue(option, "placement_hours", f"workflow '{scope.workflow.id}' sets no target_hours_per_week "
                           "on a step; give the goal, e.g. placement_hours:10")
    return max(targets)


def hours_recorded(entries: Any = events) -> ColumnElement[Any]:
    """The weekly hours a placement start or follow-up recorded (NULL when it recorded none)."""
    return cast(entries.c.data["hours_per_week"].as_float(), Float)


PLACEMENT_HOURS = ["reached", "below", "no_hours_recorded", "no_placement"]


@register("placement_hours", "the most weekly hours recorded at a placement's start or follow-ups, against the goal "
          "(placement_hours:10, or the workflow's target_hours_per_week)")
def placement_hours(scope: ReportScope, argument: str | None) -> Dimension:
    goal = hours_goal(scope, argument)
    # as corrected: a follow-up's hours corrected, a placement struck as a mistake (with its follow-ups)
    entries = standing_entries([RecordEvent.PLACEMENT_STARTED.value, RecordEvent.PLACEMENT_FOLLOWUP.value],
                               "hours_entries")
    most = (select(entries.c.participant_id, func.max(hours_recorded(entries)).label("hours"))
            .where(entries.c.effective_at < period_end_at(scope))
            .group_by(entries.c.participant_id).cte("placement_hours").prefix_with("MATERIALIZED"))
    value = case((most.c.participant_id.is_(None), literal("no_placement")),
                 (most.c.hours.is_(None), literal("no_hours_recorded")),
                 (most.c.hours >= goal, literal("reached")), else_=literal("below"))
    hours = f"{goal:g}"
    labels = {"reached": f"Nått målet ({hours} h/v eller mer)", "below": f"Under {hours} h/v",
              "no_hours_recorded": "Inga timmar registrerade", "no_placement": "Ingen placering"}
    return Dimension(value, list(PLACEMENT_HOURS), joined=most, on=most.c.participant_id == p.c.id, labels=labels)


# --- number of codes chosen --------------------------------------------------------------------

@register("count", "how many codes of a multi_choice attribute were chosen, e.g. count:obstacles "
          "(Ljusnarsberg's combination of obstacles, 1–5)")
def chosen_count(scope: ReportScope, argument: str | None) -> Dimension:
    lists = [n for n, s in scope.workflow.attributes.items() if s.type == FieldType.MULTI_CHOICE]
    if argument not in lists:
        raise InvalidValue("--by", f"count:{argument or ''}", "name a multi_choice attribute: " + (
            ", ".join(f"count:{n}" for n in lists) or f"workflow '{scope.workflow.id}' has none"))
    assert argument is not None
    spec = scope.workflow.attributes[argument]
    if scope.dialect == "postgresql":
        length = scope.as_of_value(argument, lambda doc, path: case(
            (func.jsonb_typeof(doc[path]) == "array", func.jsonb_array_length(doc[path]))))
    else:
        length = scope.as_of_value(argument, lambda doc, path: case(
            (func.json_type(doc, _json_path(path)) == "array", func.json_array_length(doc, _json_path(path)))))
    return Dimension(length, list(range(len(spec.choices or []) + 1)))


def _json_path(path: Any) -> str:
    parts = path if isinstance(path, tuple) else (path,)
    return "$." + ".".join(f'"{part}"' for part in parts)


# --- deadline rules ----------------------------------------------------------------------------

DEADLINE_OUTCOMES = ["met", "missed", "open", "cancelled", "not_started"]
DEADLINE_LABELS = {"met": "Uppfylld i tid", "missed": "Missad (ej i tid)", "open": "Pågår",
                   "cancelled": "Avslutad före fristen", "not_started": "Ej startad"}


@register("deadline", "a deadline rule met in time, missed, still open, cancelled by an exit before it fell due, "
          "or not started (deadline:RULE; the rule may be left out when the workflow has one); a repeating "
          "rule: missed if any occurrence was, met if every one due so far was met in time")
def deadline_rule(scope: ReportScope, argument: str | None) -> Dimension:
    rules = [r.id for r in scope.workflow.deadlines]
    if argument is None and len(rules) == 1:
        argument = rules[0]
    if argument not in rules:
        raise InvalidValue("--by", f"deadline:{argument}" if argument else "deadline",
                           "name one of the workflow's deadline rules: " + (
                               ", ".join(f"deadline:{r}" for r in rules) or f"workflow '{scope.workflow.id}' has none"))
    rule = next(r for r in scope.workflow.deadlines if r.id == argument)
    if rule.every is not None:
        return _repeating_rule(scope, argument)
    d = deadlines.alias("rule_deadline")
    row = (select(d.c.participant_id, d.c.started_at, d.c.due_at, d.c.met_at, d.c.closed_at, d.c.status)
           .where(d.c.key == f"rule:{argument}", d.c.workflow_id == scope.workflow.id).subquery("rule_row"))
    end = scope.as_of_end
    value = case(
        (row.c.participant_id.is_(None), literal("not_started")),
        (row.c.started_at >= end, literal("not_started")),
        (and_(row.c.met_at.is_not(None), row.c.met_at < end,
              (row.c.due_at.is_(None)) | (row.c.met_at < row.c.due_at)), literal("met")),
        (and_(row.c.status == "cancelled", row.c.closed_at.is_not(None), row.c.closed_at < end,
              (row.c.due_at.is_(None)) | (row.c.closed_at < row.c.due_at)), literal("cancelled")),
        (and_(row.c.due_at.is_not(None), row.c.due_at < end), literal("missed")),
        else_=literal("open"))
    return Dimension(value, list(DEADLINE_OUTCOMES), joined=row, on=row.c.participant_id == p.c.id,
                     labels=dict(DEADLINE_LABELS))


def _repeating_rule(scope: ReportScope, rule_id: str) -> Dimension:
    """A repeating rule (``every``: contact every second week) over all its occurrences (``rule:ID:n``)
    as of the as-of day: **missed** when any occurrence fell due without being met in time; else
    **met** when at least one was met in time (every one due so far was; the next may be running);
    else **open** while the first is running; **cancelled** when the series stopped (its ``until``,
    an exit) before the first fell due; **not_started** when its start never came."""
    d = deadlines.alias("occurrence")
    end = scope.as_of_end
    started = d.c.started_at < end
    met = and_(d.c.met_at.is_not(None), d.c.met_at < end, (d.c.due_at.is_(None)) | (d.c.met_at < d.c.due_at))
    stopped = and_(d.c.status == "cancelled", d.c.closed_at.is_not(None), d.c.closed_at < end,
                   (d.c.due_at.is_(None)) | (d.c.closed_at < d.c.due_at))
    missed = and_(started, ~met, ~stopped, d.c.due_at.is_not(None), d.c.due_at < end)

    def any_of(condition: ColumnElement[bool], name: str) -> Any:
        return func.max(case((condition, 1), else_=0)).label(name)

    series = (select(d.c.participant_id, any_of(started, "started"), any_of(and_(started, met), "met"),
                     any_of(missed, "missed"), any_of(and_(started, ~met, ~stopped, ~missed), "running"))
              .where(d.c.workflow_id == scope.workflow.id,
                     d.c.key.startswith(f"rule:{rule_id}:", autoescape=True))
              .group_by(d.c.participant_id).subquery("rule_series"))
    value = case(
        (series.c.participant_id.is_(None), literal("not_started")),
        (series.c.started == 0, literal("not_started")),
        (series.c.missed == 1, literal("missed")),
        (series.c.met == 1, literal("met")),
        (series.c.running == 1, literal("open")),
        else_=literal("cancelled"))
    return Dimension(value, list(DEADLINE_OUTCOMES), joined=series, on=series.c.participant_id == p.c.id,
                     labels=dict(DEADLINE_LABELS))


def describe() -> dict[str, str]:
    """``kind`` → what it counts, for ``--help`` and error messages."""
    return {name: kind.describe for name, kind in REGISTRY.items()}


__all__ = ["Dimension", "REGISTRY", "describe", "register", "resolve"]
