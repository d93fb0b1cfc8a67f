"""``report participants`` and ``report exits``: counts by any dimensions, grouped in the database.

One ``GROUP BY`` over the participants projection per table; Python only fills in the zero cells
(every declared code is a row, as in the seeds' tables, where "18–24: 0" is printed too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import product
from typing import Any

from sqlalchemy import ColumnElement, Connection, String, case, cast, func, literal, or_, select, true

from pathway.definitions.models import FieldType
from pathway.errors import InvalidValue
from pathway.reports import dimensions as recorded
from pathway.reports import meetings as _meetings  # noqa: F401  (registers meetings, no_shows, absences, attendance)
from pathway.reports.dimensions import Dimension
from pathway.reports.scope import ReportScope, p
from pathway.reports.table import ReportTable

#: The exits report's row for participants still in the project when the period ends
#: (Ljusnarsberg's "Fortsatt i projektet under 2008").
OPEN_AT_PERIOD_END = "open_at_period_end"

#: Dimensions that are not attributes, for the participants report and (with the exit ones) exits.
PARTICIPANT_DIMENSIONS = {
    "age_band": "age at enrolment, in the bands of --age-bands",
    "year": "year of enrolment",
    "status": "open or exited on the as-of day",
    "step": "step on the as-of day",
}
EXIT_DIMENSIONS = {
    "reason": "exit reason (code from the workflow's exit_reasons)",
    "exit_year": "year of exit",
}
_GROUPABLE = {FieldType.CHOICE, FieldType.MULTI_CHOICE, FieldType.BOOLEAN, FieldType.STRING, FieldType.INTEGER, FieldType.DATE,
              FieldType.EXIT_REASON}


Dimensions = dict[str, Dimension]


def participants_table(session: Connection, scope: ReportScope, dimensions: Sequence[str],
                       active: bool = False) -> ReportTable:
    """Participants enrolled in the period (``active``: in the project at any time in it)."""
    resolved = _resolve(scope, dimensions, exits=False)
    scope = _for_joins(scope, resolved)
    where = [scope.known(), scope.active_in_period() if active else scope.enrolled_in_period()]
    counts, total = _group(session, resolved, where)
    period = "in the project during the period" if active else "enrolled in the period"
    return _table(scope, "participants", f"Participants {period} by {', '.join(dimensions)}", resolved, counts, total)


def exits_table(session: Connection, scope: ReportScope, dimensions: Sequence[str],
                with_open: bool = False) -> ReportTable:
    """Participants who exited in the period; ``with_open`` adds those still in at its end."""
    resolved = _resolve(scope, dimensions, exits=True, with_open=with_open)
    scope = _for_joins(scope, resolved)
    included: ColumnElement[bool] = scope.exited_in_period()
    if with_open:
        still_open = scope.open_at(scope.period_end)
        if "reason" in resolved:
            reason = resolved["reason"]
            reason.expression = case((still_open, literal(OPEN_AT_PERIOD_END)), else_=reason.expression)
        included = or_(included, still_open)
    counts, total = _group(session, resolved, [scope.known(), included])
    title = f"Exits in the period by {', '.join(dimensions)}"
    table = _table(scope, "exits", title, resolved, counts, total)
    if with_open:
        table.labels.setdefault("reason", {})[OPEN_AT_PERIOD_END] = "Still in the project at the end of the period"
    return table


def _for_joins(scope: ReportScope, resolved: Dimensions) -> ReportScope:
    """With records outer-joined, the participants are read by workflow and the joined records
    indexed, whatever SQLite guesses of the date range (see :class:`~pathway.reports.scope.unindexed`)."""
    joins = any(d.joined is not None and d.on is not None and not _is_true(d.on) for d in resolved.values())
    return replace(scope, unindexed_dates=True) if joins else scope


def _is_true(on: Any) -> bool:
    return str(on) == str(true())


def _resolve(scope: ReportScope, dimensions: Sequence[str], exits: bool, with_open: bool = False) -> Dimensions:
    """Each dimension's SQL expression and its declared values (the rows printed even when 0)."""
    if not dimensions:
        raise InvalidValue("--by", "", "name at least one dimension, e.g. --by age_band,gender")
    if len(set(dimensions)) != len(dimensions):
        raise InvalidValue("--by", ",".join(dimensions), "name each dimension once")
    workflow = scope.workflow
    resolved: Dimensions = {}
    for name in dimensions:
        if name == "age_band":
            if "birth_date" not in workflow.attributes:
                raise InvalidValue("--by", name, f"workflow '{workflow.id}' has no birth_date attribute to compute ages from")
            resolved[name] = Dimension(scope.age_band(), scope.age_band_labels())
        elif name == "year":
            resolved[name] = Dimension(func.substr(cast(p.c.enrolled_on, String), 1, 4), [])
        elif name == "status":
            resolved[name] = Dimension(scope.status(), ["open", "exited"])
        elif name == "step":
            resolved[name] = Dimension(scope.step(), [s.id for s in workflow.steps if not s.terminal])
        elif name == "reason" and exits:
            codes = [r.code for r in workflow.exit_reasons] + ([OPEN_AT_PERIOD_END] if with_open else [])
            resolved[name] = Dimension(p.c.exit_reason, codes)
        elif name == "exit_year" and exits:
            resolved[name] = Dimension(func.substr(cast(p.c.exited_on, String), 1, 4), [])
        elif name in workflow.attributes:
            resolved[name] = _attribute(scope, name)
        elif (found := recorded.resolve(scope, name)) is not None:
            resolved[name] = found
        else:
            raise InvalidValue("--by", name, "use an attribute of the workflow or one of: " + ", ".join(
                sorted({*PARTICIPANT_DIMENSIONS, *(EXIT_DIMENSIONS if exits else {}), *workflow.attributes,
                        *recorded.REGISTRY})))
    return resolved


def _attribute(scope: ReportScope, name: str) -> Dimension:
    spec = scope.workflow.attributes[name]
    if spec.type == FieldType.MULTI_CHOICE:
        items = scope.list_items(name)
        return Dimension(items.c.value, list(spec.choices or []), joined=items, on=true(), fans_out=True)
    if spec.type not in _GROUPABLE:
        raise InvalidValue("--by", name, f"attribute '{name}' is of type {spec.type.value}, which cannot be "
                           "counted by value; use a choice, multi_choice, boolean, string, number or date attribute")
    declared: list[Any] = list(spec.choices or []) if spec.type == FieldType.CHOICE else (
        [True, False] if spec.type == FieldType.BOOLEAN else [])
    return Dimension(scope.attribute(name), declared)


def _group(session: Connection, resolved: Dimensions,
           where: list[ColumnElement[bool]]) -> tuple[dict[tuple[Any, ...], int], int]:
    """Counts per combination of values, and the number of participants (multi-labels count once)."""
    labelled = [d.expression.label(f"d{i}") for i, d in enumerate(resolved.values())]
    source: Any = p
    for dimension in resolved.values():
        if dimension.joined is not None:
            source = source.outerjoin(dimension.joined, dimension.on)
    multi = any(d.fans_out for d in resolved.values())
    counted = func.count(p.c.id.distinct()) if multi else func.count()
    query = (select(*labelled, counted.label("n")).select_from(source).where(*where)
             .group_by(*[c.name for c in labelled]))
    counts: dict[tuple[Any, ...], int] = {}
    for row in session.execute(query):
        # SQLite hands JSON booleans back as 0/1
        key = tuple(bool(v) if d.boolean and v is not None else v for v, d in zip(row[:-1], resolved.values()))
        counts[key] = counts.get(key, 0) + row[-1]
    total = session.execute(select(func.count()).select_from(p).where(*where)).scalar_one() if multi \
        else sum(counts.values())
    return counts, total


def _table(scope: ReportScope, name: str, title: str, resolved: Dimensions,
           counts: dict[tuple[Any, ...], int], total: int) -> ReportTable:
    dimensions = list(resolved)
    axes: list[list[Any]] = []
    for i, dimension in enumerate(resolved.values()):
        seen = {key[i] for key in counts}
        extra = sorted((v for v in seen if v not in dimension.declared and v is not None), key=str)
        axes.append(list(dimension.declared) + extra + ([None] if None in seen else []))
    rows = [{**dict(zip(dimensions, combo)), "count": counts.get(combo, 0)} for combo in product(*axes)]
    multi = [n for n, d in resolved.items() if d.fans_out]
    notes = [f"{', '.join(multi)}: several may apply, so a participant can count in several rows"] if multi else []
    return ReportTable(name=name, title=title, dimensions=dimensions, rows=rows, total=total,
                       labels=_labels(scope, resolved), scope=scope.describe(), notes=notes,
                       dimension_titles=_titles(scope, dimensions))


def _titles(scope: ReportScope, dimensions: list[str]) -> dict[str, str]:
    """The Swedish name of each dimension the workflow names: attribute titles, deadline rule titles."""
    workflow = scope.workflow
    titles: dict[str, str] = {}
    for name in dimensions:
        kind, _, argument = name.partition(":")
        spec = workflow.attributes.get(name)
        if spec is not None and spec.title:
            titles[name] = spec.title
        elif kind == "count" and argument in workflow.attributes:
            titles[name] = f"Antal valda: {workflow.attributes[argument].title or argument}"
        elif kind == "deadline":
            rule = next((r for r in workflow.deadlines if r.id == argument), None) or (
                workflow.deadlines[0] if len(workflow.deadlines) == 1 and not argument else None)
            if rule is not None:
                titles[name] = f"Frist: {rule.title}"
    return titles


def _labels(scope: ReportScope, resolved: Dimensions) -> dict[str, dict[Any, str]]:
    workflow = scope.workflow
    dimensions = list(resolved)
    labels: dict[str, dict[Any, str]] = {name: dict(d.labels) for name, d in resolved.items() if d.labels}
    if "reason" in dimensions:
        labels["reason"] = {r.code: r.label for r in workflow.exit_reasons}
    if "step" in dimensions:
        labels["step"] = {s.id: s.title for s in workflow.steps}
    for name in dimensions:
        spec = workflow.attributes.get(name)
        if spec is not None and spec.labels:
            labels[name] = dict(spec.labels)
    return labels
