"""Retention (gallring): remove the personal data of people whose last entry is past the limit.

The limit is a setting (``retention_years``, default 5): a person is purged when every enrolment of
theirs has exited and the newest entry recorded in any of them is older than the limit (a person
without a number is each enrolment on its own). What is removed, in the projection and in every
event of the history alike (so replaying the history still gives the projection):

* the identity: the encrypted number and its hash; the person's purged enrolments keep one random
  pseudonym instead, so ``report circulation`` still counts them as one person;
* the case reference (``ref``), replaced by ``purged-<id>``;
* free text: attributes and trigger data of type ``string``/``text``, the ``reason`` of every event,
  and the free-text fields of plans, placements, interventions and consent (what, with whom, notes,
  employer, contact person, goal, scope …), of meetings (notes, the text of decisions, who attended
  by name, who led it when named rather than by role or agency, why a party was absent), of
  no-shows (note) and of group sessions (why the participant was absent), each replaced by
  ``(gallrad)``; the coded facts of meetings and sessions stay (type, time, the roles and agencies
  present and absent, consent confirmed, minutes, hours), so the meeting, no-show, absence and
  attendance dimensions count the same;
* the birth date, generalised to 1 January of the year that gives the same age at enrolment (the
  only thing the reports read from it); the gender and every coded fact (choices, booleans, numbers,
  dates, exit reasons, steps, times) are kept, so every report gives the same numbers afterwards;
* the participant's queued and delivered notifications (their payloads name the participant).

Each purge writes one ``retention_log`` row — participant, workflow, when, who, the limit, the last
entry, and the *kinds* of data removed (counts and field names), never the values.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, update

from pathway.clock import to_local
from pathway.definitions.models import FieldType, Workflow
from pathway.domain import ParticipantStatus
from pathway.domain.agency import AGENCIES
from pathway.domain.identity import IdentityKind
from pathway.domain.folded import Folded
from pathway.errors import InvalidValue
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.store.meeting_rows import MeetingRows
from pathway.store.repository import fold_columns, write_beside_row
from pathway.store.tables import (
    deadlines,
    event_from_row,
    events,
    identities,
    notifications,
    participant_records,
    participants,
    retention_log,
)

#: What a removed free text reads as afterwards.
REMOVED = "(gallrad)"
BIRTH_DATE = "birth_date"
FREE_TEXT_TYPES = {FieldType.STRING, FieldType.TEXT}
#: Free-text fields of the records kept around the steps (plan, placements, interventions, consent,
#: meetings, corrections): removed wherever they occur in an event's data.
FREE_TEXT_KEYS = frozenset({
    "what", "with_whom", "follow_up", "note", "notes", "employer", "contact_person", "goal", "scope",
    "outcome", "text", "comment", "summary", "description", "participants_view", "free_text",
})
DEFAULT_YEARS = 5
#: Free text in the coded records of meetings and group sessions, by event type: inside each item of
#: a list (``attendees[].user``: who took part, by name; ``absent[].reason``) or at the top
#: (``reason`` of an absence from a session). ``led_by`` is handled apart: a role or agency is a code.
RECORD_FREE_TEXT: dict[str, dict[str | None, tuple[str, ...]]] = {
    "meeting_recorded": {"attendees": ("user",), "absent": ("reason",)},
    "meeting_no_show": {None: ("note",)},
    "session_absent": {None: ("reason",)},
}


@dataclass
class Purge:
    """One participant whose personal data is (or would be) removed."""

    participant_id: int
    workflow_id: str
    last_entry_at: datetime
    removed: dict[str, Any] = field(default_factory=dict)


@dataclass
class RetentionResult:
    limit: date
    dry_run: bool
    purged: list[Purge]

    @property
    def people(self) -> int:
        return len({p.removed.get("person", p.participant_id) for p in self.purged})


def limit_date(today: date, years: int) -> date:
    """The day ``years`` before ``today`` (29 February falls back to the 28th)."""
    if years < 1:
        raise InvalidValue("retention_years", years, "give a whole number of years, at least 1")
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def run(ctx: ServiceContext, years: int = DEFAULT_YEARS, *, dry_run: bool = False) -> RetentionResult:
    """Purge everyone past the limit (or, with ``dry_run``, say who would be) in one transaction."""
    policy.require(ctx, "retention.run")
    now = ctx.clock.now()
    limit = limit_date(to_local(now).date(), years)
    with ctx.uow() as uow:
        session: Connection = uow.connection  # type: ignore[attr-defined]
        due = _due(session, limit)
        if dry_run:
            return RetentionResult(limit, True, [Purge(pid, wid, last) for pid, wid, last, _ in due])
        purged = []
        pseudonyms: dict[str, str] = {}
        for pid, wid, last, person in due:
            pseudonym = None
            if person is not None:
                pseudonym = pseudonyms.setdefault(person, secrets.token_hex(32))
            participant = uow.participants.get(pid)
            definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition  # type: ignore[union-attr]
            removed = _purge(session, pid, definition, participant.enrolled_at, pseudonym)  # type: ignore[union-attr]
            if person is not None:
                removed["person"] = pseudonym[:12]  # type: ignore[index]
            session.execute(insert(retention_log).values(
                participant_id=pid, workflow_id=wid, purged_at=now, actor=ctx.actor, limit_date=limit,
                last_entry_at=last, removed={k: v for k, v in removed.items() if k != "person"}))
            purged.append(Purge(pid, wid, last, removed))
        session.commit()
        return RetentionResult(limit, False, purged)


def _due(session: Connection, limit: date) -> list[tuple[int, str, datetime, str | None]]:
    """(participant, workflow, last entry, person hash) of everyone past the limit, not yet purged."""
    last = (select(events.c.participant_id, func.max(events.c.recorded_at).label("last"))
            .group_by(events.c.participant_id).subquery())
    rows = session.execute(
        select(participants.c.id, participants.c.workflow_id, participants.c.status, last.c.last,
               identities.c.personnummer_hash, identities.c.kind)
        .join(last, last.c.participant_id == participants.c.id)
        .outerjoin(identities, identities.c.participant_id == participants.c.id)
        .where(participants.c.id.not_in(select(retention_log.c.participant_id)))
        .order_by(participants.c.id)
    ).all()
    old = {r.id: _aware(r.last) for r in rows}
    past = {r.id for r in rows if r.status == ParticipantStatus.EXITED.value and to_local(old[r.id]).date() < limit}
    by_person: dict[str, list[int]] = {}
    for r in rows:
        if r.personnummer_hash is not None and r.kind != IdentityKind.PSEUDONYMISED.value:
            by_person.setdefault(r.personnummer_hash, []).append(r.id)
    person_of = {pid: h for h, ids in by_person.items() for pid in ids}
    due = []
    for r in rows:
        if r.id not in past:
            continue
        person = person_of.get(r.id)
        if person is not None and not all(other in past for other in by_person[person]):
            continue  # the same person has a newer or open enrolment: kept whole until that one is due too
        due.append((r.id, r.workflow_id, old[r.id], person))
    return due


def _aware(moment: datetime) -> datetime:
    from datetime import timezone

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _purge(session: Connection, pid: int, definition: Workflow, enrolled_at: datetime,
           pseudonym: str | None) -> dict[str, Any]:
    enrolled_on = to_local(enrolled_at).date()  # the row's enrolled_on
    counts: dict[str, int] = {}
    free_attributes = {n for n, s in definition.attributes.items() if s.type in FREE_TEXT_TYPES}
    free_data = {(t.trigger, n) for t in definition.transitions for n, s in t.data.items() if s.type in FREE_TEXT_TYPES}

    def attrs(values: dict[str, Any]) -> dict[str, Any]:
        out = dict(values)
        for name, value in values.items():
            if name in free_attributes and isinstance(value, str) and value != REMOVED:
                out[name] = REMOVED
                counts[f"attribute {name}"] = counts.get(f"attribute {name}", 0) + 1
            elif name == BIRTH_DATE and isinstance(value, str):
                out[name] = _generalised(value, enrolled_on)
                counts["birth date generalised"] = counts.get("birth date generalised", 0) + 1
        return out

    def free(value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, inner in value.items():
                if key in FREE_TEXT_KEYS and isinstance(inner, str) and inner != REMOVED:
                    out[key] = REMOVED
                    counts[f"record {key}"] = counts.get(f"record {key}", 0) + 1
                else:
                    out[key] = free(inner)
            return out
        if isinstance(value, list):
            return [free(v) for v in value]
        return value

    codes = {r.id for r in definition.roles} | set(AGENCIES)
    row = session.execute(select(participants.c.ref, participants.c.attributes)
                          .where(participants.c.id == pid)).one()
    new_ref = None if row.ref is None else f"purged-{pid}"
    session.execute(update(participants).where(participants.c.id == pid).values(
        ref=new_ref, attributes=attrs(dict(row.attributes)), version=participants.c.version + 1))
    reasons = 0
    for event in session.execute(select(events.c.id, events.c.type, events.c.trigger, events.c.data, events.c.reason)
                                 .where(events.c.participant_id == pid)).all():
        data = dict(event.data or {})
        if event.type == "enrolled":
            data["attributes"] = attrs(dict(data.get("attributes") or {}))
            if data.get("ref") is not None:
                data["ref"] = new_ref
        elif event.type == "attributes_set" or (event.type == "corrected" and data.get("kind") == "attribute"):
            data = {k: (attrs(dict(v)) if k in ("set", "previous") and isinstance(v, dict) else v)
                    for k, v in data.items()}
        elif event.type == "transition" or (event.type == "corrected" and data.get("kind") == "exit"):
            # a corrected exit carries the exit's data (and the values it replaced, in "previous")
            if isinstance(data.get("previous"), dict):
                data["previous"] = {k: (REMOVED if (event.trigger, k) in free_data and isinstance(v, str) else v)
                                    for k, v in data["previous"].items()}
            for key in list(data):
                if (event.trigger, key) in free_data and isinstance(data[key], str) and data[key] != REMOVED:
                    data[key] = REMOVED
                    counts[f"trigger data {key}"] = counts.get(f"trigger data {key}", 0) + 1
        data = free(_record_text(event.type, data, codes, counts))
        if event.reason is not None:
            reasons += 1
        session.execute(update(events).where(events.c.id == event.id).values(data=data, reason=None))
    if reasons:
        counts["event reasons"] = reasons
    # the folded history on the row (records' free text) follows the purged events
    purged = [event_from_row(r) for r in session.execute(
        select(events).where(events.c.participant_id == pid).order_by(events.c.seq)).mappings()]
    folded = Folded.rebuild(purged)
    stored = session.execute(select(participant_records.c.parts)
                             .where(participant_records.c.participant_id == pid)).scalar()
    text, parts = fold_columns(folded, stored)
    session.execute(update(participants).where(participants.c.id == pid).values(folded=text))
    # the records' free text is purged beside the row too: their lines, the meetings' rows
    write_beside_row(session, pid, folded, parts, stored, MeetingRows(session, pid))
    retitled = _retitle_deadlines(session, pid, definition, folded, enrolled_at)
    if retitled:
        counts["deadline titles"] = retitled
    deleted = session.execute(delete(notifications).where(notifications.c.participant_id == pid)).rowcount
    if deleted:
        counts["notifications"] = deleted
    removed: dict[str, Any] = {"fields": counts}
    identity = session.execute(select(identities.c.kind).where(identities.c.participant_id == pid)).scalar()
    if identity in (IdentityKind.PERSONNUMMER.value, IdentityKind.SAMORDNINGSNUMMER.value) and pseudonym:
        session.execute(update(identities).where(identities.c.participant_id == pid).values(
            kind=IdentityKind.PSEUDONYMISED.value, personnummer_enc=None, personnummer_hash=pseudonym))
        removed["identity"] = identity
    if row.ref is not None:
        removed["ref"] = True
    return removed


def _retitle_deadlines(session: Connection, pid: int, definition: Workflow, folded: Folded,
                       enrolled_at: datetime) -> int:
    """A plan goal's and a placement contact's deadline quote the record in their titles ("Mål g1:
    <the goal in the participant's words>", "Kontakt under … hos <employer>"): after the purge they
    are titled from the purged records. Only titles change — status, dates and rule, which the
    reports count, stay. A row the purged plan no longer names is titled by its key alone."""
    from pathway.engine.deadlines import plan as plan_for

    # attributes play no part in a record's deadline (only in a rule's applies_if, whose titles are
    # the workflow's own words), so none are given
    titles = {p.key: p.title for p in plan_for(definition, folded, {}, enrolled_at)}
    rows = session.execute(select(deadlines.c.id, deadlines.c.key, deadlines.c.title).where(
        deadlines.c.participant_id == pid,
        or_(deadlines.c.key.like("plan:%"), deadlines.c.key.like("placement:%")))).all()
    changed = [{"b_id": row.id, "new_title": titles.get(row.key, row.key)}
               for row in rows if titles.get(row.key, row.key) != row.title]
    if changed:  # one executemany for the participant's rows
        session.execute(update(deadlines).where(deadlines.c.id == bindparam("b_id"))
                        .values(title=bindparam("new_title"), version=deadlines.c.version + 1), changed)
    return len(changed)


def _record_text(event_type: str, data: dict[str, Any], codes: set[str], counts: dict[str, int]) -> dict[str, Any]:
    """Meetings' and group sessions' free text (:data:`RECORD_FREE_TEXT`) replaced, their codes kept."""
    paths = RECORD_FREE_TEXT.get(event_type)
    if paths is None:
        return data
    out = dict(data)

    def gone(value: Any, what: str) -> Any:
        if isinstance(value, str) and value != REMOVED:
            counts[what] = counts.get(what, 0) + 1
            return REMOVED
        return value

    for container, keys in paths.items():
        if container is None:
            out.update({k: gone(out[k], f"{event_type} {k}") for k in keys if k in out})
        elif isinstance(out.get(container), list):
            out[container] = [{k: (gone(v, f"{event_type} {container} {k}") if k in keys else v)
                               for k, v in item.items()} if isinstance(item, dict) else item
                              for item in out[container]]
    if event_type == "meeting_recorded" and out.get("led_by") not in codes:
        out["led_by"] = gone(out.get("led_by"), f"{event_type} led_by")
    return out


def _generalised(birth: str, enrolled_on: date) -> str:
    """1 January of the year that gives the same whole age on the enrolment day."""
    try:
        born = date.fromisoformat(birth)
    except ValueError:
        return REMOVED
    if isinstance(enrolled_on, str):
        enrolled_on = date.fromisoformat(enrolled_on)
    age = enrolled_on.year - born.year - ((enrolled_on.month, enrolled_on.day) < (born.month, born.day))
    return date(enrolled_on.year - age, 1, 1).isoformat()


def purged_ids(session: Connection, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` have been purged."""
    return set(session.scalars(select(retention_log.c.participant_id).where(retention_log.c.participant_id.in_(list(ids)))))
