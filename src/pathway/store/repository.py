"""Repositories: how services find and add participants, events and workflow versions."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pathway.domain import Event, Participant, ParticipantHead
from pathway.errors import ConcurrentChange
from pathway.store.tables import event_from_row, event_row, events, participants, workflow_versions


@dataclass(frozen=True)
class StoredWorkflowVersion:
    workflow_id: str
    version: int
    title: str
    sha256: str
    yaml_text: str
    source: str
    registered_at: datetime


class ParticipantRepository:
    """Participants and their history; tracks what was touched so the unit of work can flush
    the new events in the same transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: list[Participant] = []
        #: ids already locked FOR UPDATE in this transaction (by :meth:`lock`, the deadline check)
        self.locked: set[int] = set()

    def add(self, participant: Participant) -> None:
        self.session.add(participant)
        self.seen.append(participant)

    def get(self, participant_id: int) -> Participant | None:
        participant = self.session.get(Participant, participant_id)
        if participant is not None:
            self._seen([participant])
        return participant

    def _seen(self, found: builtins.list[Participant]) -> None:
        """Track what a use case may record events on; fold the history of a row that has no folded
        state yet (written before migration 0012 by other means)."""
        for participant in found:
            if participant.folded is None and participant.id is not None:
                participant.refold(self.history(participant.id))
        self.seen.extend(found)

    def lock(self, ids: Sequence[int]) -> dict[int, Participant]:
        """Load and lock participants a deadline check appends to (id order, so no deadlocks)."""
        query = (
            select(Participant)
            .where(participants.c.id.in_(sorted(set(ids))))
            .order_by(participants.c.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        found = list(self.session.scalars(query))
        self._seen(found)
        self.locked.update(p.id for p in found if p.id is not None)
        return {p.id: p for p in found}  # type: ignore[misc]

    def lock_heads(self, ids: Sequence[int]) -> dict[int, ParticipantHead]:
        """:meth:`lock` read as plain rows (Core, no folded history): for the deadline check, which
        appends events only and writes them with :meth:`append_events`."""
        c = participants.c
        query = (select(c.id, c.ref, c.workflow_id, c.workflow_version, c.step, c.last_seq, c.version)
                 .where(c.id.in_(sorted(set(ids)))).order_by(c.id).with_for_update())
        return {row[0]: ParticipantHead(*row) for row in self.session.execute(query).all()}

    def append_events(self, heads: Mapping[int, ParticipantHead], new: builtins.list[Event]) -> None:
        """Write events appended to participants read by :meth:`lock_heads` (one INSERT; their seq
        follow on from each head's ``last_seq``) and move those rows on (one batched UPDATE of
        last_seq with the version checked). A row changed since it was read, or a sequence number
        taken, is a :class:`~pathway.errors.ConcurrentChange`."""
        if not new:
            return
        new = sorted(new, key=lambda e: (e.participant_id or 0, e.seq))  # participant by participant, in lock order
        last: dict[int, int] = {}
        for e in new:
            last[e.participant_id or 0] = e.seq
        statement = (update(participants)
                     .where(participants.c.id == bindparam("b_id"), participants.c.version == bindparam("b_version"))
                     .values(last_seq=bindparam("last_seq"), version=bindparam("new_version")))
        try:
            self.session.execute(insert(events), [event_row(e) for e in new])
            result = self.session.execute(statement, [
                {"b_id": pid, "b_version": heads[pid].version, "last_seq": seq,
                 "new_version": heads[pid].version + 1} for pid, seq in last.items()])
        except IntegrityError:
            raise ConcurrentChange(new[0].participant_id or 0) from None
        if result.rowcount != len(last):  # type: ignore[attr-defined]
            raise ConcurrentChange(new[0].participant_id or 0)

    def get_by_ref(self, ref: str, workflow_id: str | None = None) -> list[Participant]:
        query = select(Participant).where(participants.c.ref == ref)
        if workflow_id is not None:
            query = query.where(participants.c.workflow_id == workflow_id)
        found = list(self.session.scalars(query))
        self._seen(found)
        return found

    def list(
        self,
        workflow_id: str | None = None,
        step: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Participant]:
        query = select(Participant).order_by(participants.c.id)
        if workflow_id is not None:
            query = query.where(participants.c.workflow_id == workflow_id)
        if step is not None:
            query = query.where(participants.c.step == step)
        if status is not None:
            query = query.where(participants.c.status == status)
        if limit is not None:
            query = query.limit(limit)
        found = list(self.session.scalars(query))
        self._seen(found)  # a use case may record events on any of them
        return found

    def rewrite(self, event: Event) -> None:
        """Write an event's changed data and reason back (redaction only: events are never updated
        through the API otherwise)."""
        self.session.execute(
            update(events).where(events.c.participant_id == event.participant_id, events.c.seq == event.seq)
            .values(data=event.data, reason=event.reason))

    def history(self, participant_id: int) -> builtins.list[Event]:
        query = select(events).where(events.c.participant_id == participant_id).order_by(events.c.seq)
        return [event_from_row(row) for row in self.session.execute(query).mappings()]


class WorkflowVersionRepository:
    """The registered versions of each workflow; a participant is pinned to one of them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _one(self, *conditions: object) -> StoredWorkflowVersion | None:
        row = self.session.execute(select(workflow_versions).where(*conditions)).mappings().first()  # type: ignore[arg-type]
        return None if row is None else _stored(row)

    def get(self, workflow_id: str, version: int) -> StoredWorkflowVersion | None:
        return self._one(workflow_versions.c.workflow_id == workflow_id, workflow_versions.c.version == version)

    def find_by_hash(self, workflow_id: str, sha256: str) -> StoredWorkflowVersion | None:
        return self._one(workflow_versions.c.workflow_id == workflow_id, workflow_versions.c.sha256 == sha256)

    def latest_version_number(self, workflow_id: str) -> int:
        query = select(func.max(workflow_versions.c.version)).where(workflow_versions.c.workflow_id == workflow_id)
        return self.session.scalar(query) or 0

    def add(self, stored: StoredWorkflowVersion) -> bool:
        """Insert a version; False if another writer registered the same id+version or hash first."""
        try:
            with self.session.begin_nested():  # a savepoint: a lost race leaves the transaction usable
                self.session.execute(workflow_versions.insert().values(**stored.__dict__))
        except IntegrityError:
            return False
        return True

    def all(self) -> builtins.list[StoredWorkflowVersion]:
        query = select(workflow_versions).order_by(workflow_versions.c.workflow_id, workflow_versions.c.version)
        return [_stored(row) for row in self.session.execute(query).mappings()]


def _stored(row: object) -> StoredWorkflowVersion:
    fields = StoredWorkflowVersion.__dataclass_fields__
    return StoredWorkflowVersion(**{name: row[name] for name in fields})  # type: ignore[index]
