"""What a report counts: one workflow, an optional period, and the date the history is read as of.

Reports read the ``participants`` projection (kept in the same transaction as the events, and equal
to their replay) and fall back to the events only for what changed after ``--as-of``: a later
exit is read as still open, and a later attribute correction as the value it replaced (each
``attributes_set`` event keeps the ``previous`` values). Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, and_, case, cast, exists, func, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from pathway.clock import to_local
from pathway.definitions.models import FieldType, Workflow
from pathway.domain import EventType, ParticipantStatus
from pathway.engine.calendar import start_of_day
from pathway.errors import InvalidValue
from pathway.store.tables import events, participants, struck_events

p = participants

#: Ages at enrolment are grouped into bands starting at these ages (the seeds' Table 1).
DEFAULT_AGE_BANDS = (18, 25, 30, 40, 50, 60)


@dataclass(frozen=True)
class ReportScope:
    """Which participants a report reads, and as of which day."""

    workflow: Workflow
    as_of: date
    #: the clock's now (overdue deadlines are counted against it)
    now: datetime
    period_from: date | None = None
    period_to: date | None = None
    age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS
    #: the database's dialect name: lists inside JSON are unnested differently on each
    dialect: str = "sqlite"
    #: filter the dates without letting them pick the index (see :func:`unindexed`): set when a
    #: report outer-joins records, so SQLite reads the workflow's participants and indexes the records
    unindexed_dates: bool = False

    def __post_init__(self) -> None:
        if self.period_from and self.period_to and self.period_from > self.period_to:
            raise InvalidValue("--from", self.period_from.isoformat(),
                               f"it is after --to {self.period_to.isoformat()}; give the earlier date first")
        if self.as_of > self.today:
            raise InvalidValue("--as-of", self.as_of.isoformat(),
                               f"it is after today ({self.today.isoformat()}); a report reads what has happened")

    @property
    def today(self) -> date:
        return to_local(self.now).date()

    @property
    def historical(self) -> bool:
        """True when the history must be read as it stood on an earlier day."""
        return self.as_of < self.today

    @property
    def as_of_end(self) -> datetime:
        """The first moment after the as-of day (events before it count)."""
        return start_of_day(self.as_of + timedelta(days=1))

    @property
    def period_end(self) -> date:
        """The last day the report looks at: ``--to``, but never after the as-of day."""
        return min(self.period_to, self.as_of) if self.period_to else self.as_of

    def describe(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow.id,
            "from": self.period_from.isoformat() if self.period_from else None,
            "to": self.period_to.isoformat() if self.period_to else None,
            "as_of": self.as_of.isoformat(),
        }

    # --- the participants a report may see -------------------------------------------------

    @property
    def _enrolled_on(self) -> ColumnElement[Any]:
        return unindexed(p.c.enrolled_on) if self.unindexed_dates else p.c.enrolled_on

    @property
    def _exited_on(self) -> ColumnElement[Any]:
        return unindexed(p.c.exited_on) if self.unindexed_dates else p.c.exited_on

    def known(self) -> ColumnElement[bool]:
        """Participants of this workflow enrolled by the as-of day (a voided enrolment never counts)."""
        return and_(p.c.workflow_id == self.workflow.id, self._enrolled_on <= self.as_of,
                    p.c.status != ParticipantStatus.VOIDED.value)

    def exited_by(self, day: date) -> ColumnElement[bool]:
        return and_(p.c.exited_on.is_not(None), self._exited_on <= day)

    def open_at(self, day: date) -> ColumnElement[bool]:
        return and_(self._enrolled_on <= day, or_(p.c.exited_on.is_(None), self._exited_on > day))

    def enrolled_in_period(self) -> ColumnElement[bool]:
        return _between(self._enrolled_on, self.period_from, self.period_to)

    def active_in_period(self) -> ColumnElement[bool]:
        """In the project at some time in the period (carried over from earlier periods too)."""
        conditions: list[ColumnElement[bool]] = [self._enrolled_on <= self.period_end]
        if self.period_from:
            conditions.append(or_(p.c.exited_on.is_(None), self._exited_on >= self.period_from))
        return and_(*conditions)

    def exited_in_period(self) -> ColumnElement[bool]:
        return and_(self.exited_by(self.as_of), _between(self._exited_on, self.period_from, self.period_to))

    # --- values per participant -------------------------------------------------------------

    def attribute(self, name: str) -> ColumnElement[Any]:
        """An attribute's value as it stood on the as-of day."""
        field_type = self.workflow.attributes[name].type
        return self._as_of(name, lambda document, path: _json_value(document[path], field_type))

    def list_items(self, name: str) -> Any:
        """A multi_choice attribute unnested: one row per chosen code (``.c.value``), to be joined."""
        if self.dialect == "postgresql":
            document = self._as_of(name, lambda doc, path: doc[path])
            return func.jsonb_array_elements_text(document).table_valued("value", name=f"items_{name}")
        # SQLite: json_extract hands the list back as JSON text, which json_each reads
        document = self._as_of(name, lambda doc, path: func.json_extract(doc, "$." + ".".join(
            f'"{part}"' for part in (path if isinstance(path, tuple) else (path,)))))
        return func.json_each(document).table_valued("value", name=f"items_{name}")

    def as_of_value(self, name: str, read: Callable[[Any, Any], ColumnElement[Any]]) -> ColumnElement[Any]:
        """Any reading of an attribute's JSON (``read(document, path)``) as it stood on the as-of day."""
        return self._as_of(name, read)

    def _as_of(self, name: str, read: Callable[[Any, Any], ColumnElement[Any]]) -> ColumnElement[Any]:
        """``read(attributes, name)`` now, or on an earlier as-of day the value a later correction
        replaced (``read(event data, ("previous", name))`` of the first ``attributes_set`` after it)."""
        current = read(p.c.attributes, name)
        if not self.historical:
            return current
        later = events.alias("later_change")
        changed_later = and_(
            later.c.participant_id == p.c.id, later.c.type == EventType.ATTRIBUTES_SET.value,
            later.c.effective_at >= self.as_of_end, later.c.data[("set", name)].as_string().is_not(None),
        )
        replaced = (select(read(later.c.data, ("previous", name)))
                    .where(changed_later).order_by(later.c.seq).limit(1).scalar_subquery())
        return case((exists().where(changed_later), replaced), else_=current)

    def status(self) -> ColumnElement[str]:
        return case((self.exited_by(self.as_of), literal("exited")), else_=literal("open"))

    def step(self) -> ColumnElement[str]:
        """The step a participant was in on the as-of day."""
        if not self.historical:
            return p.c.step
        e = events.alias("step_event")
        return (select(e.c.to_step)
                .where(e.c.participant_id == p.c.id, e.c.to_step.is_not(None), e.c.effective_at < self.as_of_end,
                       or_(e.c.type.in_([EventType.ENROLLED.value, EventType.TRANSITION.value,
                                         EventType.MIGRATED.value]),
                           # corrections that move the step; the others (an attribute, an entry) are dated
                           # back to what they correct and only repeat the step they were made in
                           and_(e.c.type == EventType.CORRECTED.value,
                                e.c.data["kind"].as_string().in_(["undo", "reopen", "exit"]))),
                       not_struck(e))
                .order_by(e.c.seq.desc()).limit(1).scalar_subquery())

    def age_at_enrolment(self) -> ColumnElement[int]:
        """Whole years between the ``birth_date`` attribute and the enrolment day, in SQL."""
        birth = self.attribute("birth_date")
        enrolled = cast(p.c.enrolled_on, String)
        before_birthday = case((func.substr(enrolled, 6, 5) < func.substr(birth, 6, 5), 1), else_=0)
        return _year(enrolled) - _year(birth) - before_birthday

    def age_band(self) -> ColumnElement[str]:
        age = self.age_at_enrolment()
        bands = self.age_bands
        whens = [(age < bands[0], literal(f"<{bands[0]}"))]
        for low, high in zip(bands, bands[1:]):
            whens.append((age < high, literal(f"{low}-{high - 1}")))
        return case((age.is_(None), None), *whens, else_=literal(f"{bands[-1]}-"))

    def age_band_labels(self) -> list[str]:
        bands = self.age_bands
        return [f"{low}-{high - 1}" for low, high in zip(bands, bands[1:])] + [f"{bands[-1]}-"]


class unindexed(FunctionElement[Any]):  # noqa: N801 - reads as SQL
    """A column that may not choose the index: ``+column`` on SQLite (a no-op that SQLite's planner
    will not use an index for), the column itself elsewhere.

    Without statistics SQLite takes a date range on ``participants`` as selective, and then scans
    an outer-joined list of records once per participant instead of indexing it (quadratic: 17 s at
    20 000 participants in bench/bench_reports.py, 0.3 s with the range kept off the index)."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(list(element.clauses)[0], **kw))


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(list(element.clauses)[0], **kw))


def not_struck(event: Any) -> ColumnElement[bool]:
    """The event (an alias of ``events``) was not struck by a later correction."""
    return ~exists().where(struck_events.c.participant_id == event.c.participant_id,
                           struck_events.c.seq == event.c.seq)


def standing_entries(types: Sequence[str], name: str) -> Any:
    """Record entries of ``types`` (placements, interventions …) as corrected, with the columns of
    ``events``: struck ones left out, a corrected one carrying its newest correction's data and time
    in its own place (its own seq and type). Corrections are retroactive, as everywhere in reports."""
    kinds = list(types)
    e = events.alias(f"{name}_entry")
    c = events.alias(f"{name}_correction")
    originals = select(e.c.participant_id, e.c.seq, e.c.type, e.c.effective_at, e.c.data) \
        .where(e.c.type.in_(kinds), not_struck(e))
    corrected = select(c.c.participant_id, c.c.data["replaces"].as_integer().label("seq"),
                       c.c.data["record_type"].as_string().label("type"), c.c.effective_at,
                       c.c.data["entry"].label("data")) \
        .where(c.c.type == EventType.CORRECTED.value, c.c.data["record_type"].as_string().in_(kinds),
               c.c.data["replaces"].as_integer().is_not(None), not_struck(c))
    return union_all(originals, corrected).subquery(name)


def parse_age_bands(text: str) -> tuple[int, ...]:
    """``18,25,30`` → (18, 25, 30): rising whole ages, the first at least 0."""
    try:
        bands = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InvalidValue("--age-bands", text, "give rising whole ages separated by commas, e.g. 18,25,30,40,50,60") from None
    if not bands or bands[0] < 0 or any(b >= a for a, b in zip(bands[1:], bands)):
        raise InvalidValue("--age-bands", text, "give rising whole ages separated by commas, e.g. 18,25,30,40,50,60")
    return bands


def _between(column: Any, start: date | None, end: date | None) -> ColumnElement[bool]:
    conditions = []
    if start:
        conditions.append(column >= start)
    if end:
        conditions.append(column <= end)
    return and_(literal(True), *conditions)


def _year(iso_text: ColumnElement[Any]) -> ColumnElement[int]:
    return cast(func.substr(iso_text, 1, 4), Integer)


def _json_value(element: Any, field_type: FieldType) -> ColumnElement[Any]:
    if field_type == FieldType.BOOLEAN:
        return element.as_boolean()
    if field_type in (FieldType.INTEGER,):
        return element.as_integer()
    if field_type == FieldType.NUMBER:
        return element.as_float()
    return element.as_string()


__all__ = ["DEFAULT_AGE_BANDS", "ReportScope", "not_struck", "parse_age_bands", "standing_entries"]
