"""Test helpers shipped with the package: a fixed clock and an in-memory unit of work.

``InMemoryStore`` holds what the database would (workflow versions, participants, their events,
deadline rows, identities, notifications); each :class:`InMemoryUnitOfWork` works on a private
copy of it and writes back only on ``commit()``, so a refusal leaves the store exactly as it was,
as the SQL unit of work does. The services run on it unchanged::

    store = InMemoryStore()
    ctx = ServiceContext(uow=store.uow, catalog=WorkflowCatalog(folder, clock), clock=clock, actor="anna")
    pid, _ = participants.enrol(ctx, "kraft", attributes={...})

The optimistic version check is kept: a participant changed in the store since this unit of work
read it is refused with :class:`~pathway.errors.ConcurrentChange` at commit.
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any

from pathway.clock import FixedClock
from pathway.domain import (
    Deadline,
    DeadlineProgress,
    DeadlineStatus,
    DueDeadline,
    Event,
    Participant,
    ParticipantHead,
)
from pathway.errors import ConcurrentChange, RefTakenConcurrently

__all__ = ["FixedClock", "InMemoryStore", "InMemoryUnitOfWork"]


@dataclass
class _Identity:
    kind: str
    personnummer: str | None
    created_at: datetime


@dataclass
class InMemoryStore:
    """Everything the unit of work persists, kept in dictionaries (the "database")."""

    workflows: dict[tuple[str, int], Any] = field(default_factory=dict)
    participants: dict[int, Participant] = field(default_factory=dict)
    events: dict[int, list[Event]] = field(default_factory=dict)
    deadlines: dict[int, list[Deadline]] = field(default_factory=dict)
    identities: dict[int, _Identity] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    #: registered users by id (none: nobody is addressed by name, as in a fresh database)
    users: dict[int, Any] = field(default_factory=dict)
    #: (participant id, slot) → user id (caseworker assignments)
    assignments: dict[tuple[int, str], int] = field(default_factory=dict)
    #: groups by id, and memberships: [group id, participant id, joined at, left at or None]
    groups: dict[int, Any] = field(default_factory=dict)
    group_members: list[list[Any]] = field(default_factory=list)
    next_participant_id: int = 1
    next_deadline_id: int = 1

    def uow(self) -> InMemoryUnitOfWork:
        """A unit of work on this store (the factory a ServiceContext takes)."""
        return InMemoryUnitOfWork(self)


def _copy_participant(p: Participant) -> Participant:
    # the folded history through its JSON form, as the database stores it (and never shared)
    return dataclasses.replace(p, attributes=dict(p.attributes), new_events=[], folded=p.folded.copy(),
                               folded_changed=False)


def _state(p: Participant) -> tuple[Any, ...]:
    """What an UPDATE of the participant row would write (a changed one bumps the version)."""
    return (p.ref, p.workflow_id, p.workflow_version, p.step, p.status, p.attributes, p.enrolled_at,
            p.last_step_change_at, p.exited_at, p.exit_reason, p.last_seq, p.folded_changed)


def _copy_deadline(d: Deadline) -> Deadline:
    return dataclasses.replace(d, actions=[dict(a) for a in d.actions])


class _Participants:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow
        self.seen: list[Participant] = []

    def _see(self, p: Participant) -> Participant:
        if all(p is not s for s in self.seen):
            self.seen.append(p)
        return p

    def add(self, participant: Participant) -> None:
        self._uow.pending.append(participant)
        self._see(participant)

    def get(self, participant_id: int) -> Participant | None:
        found = self._uow.participant(participant_id)
        return None if found is None else self._see(found)

    def lock(self, ids: Sequence[int]) -> dict[int, Participant]:
        found = [self.get(i) for i in sorted(set(ids))]
        return {p.id: p for p in found if p is not None and p.id is not None}

    def lock_heads(self, ids: Sequence[int]) -> dict[int, ParticipantHead]:
        """Heads of the working copies (the events appended to them are written on commit)."""
        return {pid: ParticipantHead(pid, p.ref, p.workflow_id, p.workflow_version, p.step, p.last_seq, p.version)
                for pid, p in self.lock(ids).items()}

    def append_events(self, heads: Mapping[int, ParticipantHead], new: builtins.list[Event]) -> None:
        """Append to the working copies (written, version-checked, on commit); a copy that moved
        on since its head was read, or a sequence number out of turn, is a ConcurrentChange."""
        for event in new:
            pid = event.participant_id or 0
            p = self._uow.participant(pid)
            if p is None or p.version != heads[pid].version or event.seq != p.last_seq + 1:
                raise ConcurrentChange(pid)
            p.new_events.append(event)
            p.last_seq = event.seq

    def get_by_ref(self, ref: str, workflow_id: str | None = None) -> list[Participant]:
        return self.list(workflow_id=workflow_id, ref=ref)

    def list(self, workflow_id: str | None = None, step: str | None = None, status: str | None = None,
             limit: int | None = None, ref: str | None = None) -> list[Participant]:
        every = [self._uow.participant(i) for i in sorted(self._uow.store.participants)]
        every += [p for p in self._uow.pending if p.id is None]
        chosen = [p for p in every if p is not None
                  and (workflow_id is None or p.workflow_id == workflow_id)
                  and (step is None or p.step == step)
                  and (status is None or p.status == status)
                  and (ref is None or p.ref == ref)]
        return [self._see(p) for p in chosen[:limit]]

    def history(self, participant_id: int) -> builtins.list[Event]:
        return [dataclasses.replace(e, data=dict(e.data)) for e in self._uow.store.events.get(participant_id, [])]

    def rewrite(self, event: Event) -> None:
        """A redacted event's data and reason, written back on commit."""
        self._uow.rewritten.append(event)


class _Workflows:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _all(self) -> dict[tuple[str, int], Any]:
        return {**self._uow.store.workflows, **self._uow.new_workflows}

    def get(self, workflow_id: str, version: int) -> Any:
        return self._all().get((workflow_id, version))

    def find_by_hash(self, workflow_id: str, sha256: str) -> Any:
        return next((v for (w, _), v in self._all().items() if w == workflow_id and v.sha256 == sha256), None)

    def latest_version_number(self, workflow_id: str) -> int:
        return max((n for (w, n) in self._all() if w == workflow_id), default=0)

    def add(self, stored: Any) -> bool:
        if self.get(stored.workflow_id, stored.version) is not None or \
                self.find_by_hash(stored.workflow_id, stored.sha256) is not None:
            return False
        self._uow.new_workflows[(stored.workflow_id, stored.version)] = stored
        return True

    def all(self) -> list[Any]:
        return [v for _, v in sorted(self._all().items())]


class _Deadlines:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def for_participant(self, participant_id: int) -> list[Deadline]:
        return self._uow.deadline_rows(participant_id)

    def for_plan(self, participant_id: int, keys: Collection[str]) -> list[Deadline]:
        wanted = set(keys)
        return [d for d in self._uow.deadline_rows(participant_id)
                if d.status in (DeadlineStatus.OPEN, DeadlineStatus.PAUSED) or d.key in wanted]

    def add(self, deadline: Deadline) -> None:
        self._uow.deadline_rows(deadline.participant_id).append(deadline)

    def claim_due(self, now: datetime, limit: int) -> list[Deadline]:
        due = [d for pid in sorted(self._uow.store.deadlines) for d in self._uow.deadline_rows(pid)
               if d.status == DeadlineStatus.OPEN and d.next_action_at is not None and d.next_action_at <= now]
        return sorted(due, key=lambda d: (d.next_action_at, d.id or 0))[:limit]

    def claim_due_rows(self, now: datetime, limit: int) -> list[DueDeadline]:
        return [DueDeadline(d.id or 0, d.participant_id, d.rule, d.title, d.due_date, d.due_at,
                            [dict(a) for a in d.actions], d.progress, d.level, d.version)
                for d in self.claim_due(now, limit)]

    def save_progress(self, moved: list[DeadlineProgress]) -> None:
        """Move the working copies of claimed rows on (saved on commit), each version-checked."""
        for m in moved:
            row = next((d for d in self._uow.deadline_rows(m.participant_id) if d.id == m.id), None)
            if row is None or row.version != m.version or row.status != DeadlineStatus.OPEN:
                raise ConcurrentChange(m.participant_id)
            row.progress, row.level, row.next_action_at = m.progress, m.level, m.next_action_at
            row.version += 1

    def add_notifications(self, rows: list[dict[str, Any]]) -> None:
        self._uow.new_notifications += [dict(r) for r in rows]

    def notification_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self._uow.store.notifications + self._uow.new_notifications:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        return counts


class _Identities:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _all(self) -> dict[int, _Identity]:
        return {**self._uow.store.identities, **self._uow.new_identities}

    def add(self, participant_id: int, kind: str, personnummer: str | None, created_at: datetime) -> None:
        self._uow.new_identities[participant_id] = _Identity(kind, personnummer, created_at)

    def kind_of(self, participant_id: int) -> str | None:
        found = self._all().get(participant_id)
        return None if found is None else found.kind

    def number_of(self, participant_id: int) -> str | None:
        found = self._all().get(participant_id)
        return None if found is None else found.personnummer

    def participants_of(self, personnummer: str) -> list[int]:
        return sorted(pid for pid, i in self._all().items() if i.personnummer == personnummer)

    def lock_person(self, personnummer: str) -> None:
        """One process, no concurrent writers: nothing to lock."""

    def open_enrolments(self, personnummer: str, workflow_id: str) -> list[int]:
        people = [self._uow.participant(pid) for pid in self.participants_of(personnummer)]
        return [p.id for p in people if p is not None and p.id is not None
                and p.workflow_id == workflow_id and p.is_open]


class _Users:
    """The registered users (read-only here: add them to ``InMemoryStore.users``)."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def count(self) -> int:
        return len(self._uow.store.users)

    def get(self, user_id: int) -> Any:
        return self._uow.store.users.get(user_id)

    def get_by_login(self, login: str) -> Any:
        return next((u for u in self._uow.store.users.values() if u.login == login), None)

    def by_ids(self, ids: set[int]) -> dict[int, Any]:
        return {i: u for i, u in self._uow.store.users.items() if i in ids}

    def all(self) -> list[Any]:
        return [self._uow.store.users[i] for i in sorted(self._uow.store.users)]


class _Assignments:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def of(self, participant_id: int) -> dict[str, int]:
        return {slot: user for (pid, slot), user in self._uow.store.assignments.items() if pid == participant_id}

    def of_many(self, participant_ids: Sequence[int], slot: str = "responsible") -> dict[int, int]:
        wanted = set(participant_ids)
        return {pid: user for (pid, s), user in self._uow.store.assignments.items() if pid in wanted and s == slot}


class _Groups:
    """Groups and their current members (what an exit reads and ends, and membership changes);
    a unit of work changes copies, written back on commit."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow
        self.groups = dict(uow.store.groups)
        self.members_rows = [list(m) for m in uow.store.group_members]

    def add(self, workflow_id: str, step: str, name: str, capacity: int | None, now: datetime) -> int:
        from pathway.store.group_repository import GroupRow

        group_id = max(self.groups, default=0) + 1
        self.groups[group_id] = GroupRow(group_id, workflow_id, step, name, capacity, now, None)
        return group_id

    def get(self, group_id: int, lock: bool = False) -> Any:
        return self.groups.get(group_id)

    def by_name(self, name: str) -> list[Any]:
        return [g for g in self.groups.values() if g.name == name]

    def all(self, workflow_id: str | None = None) -> list[Any]:
        return [self.groups[i] for i in sorted(self.groups)
                if workflow_id is None or self.groups[i].workflow_id == workflow_id]

    def members(self, group_id: int) -> list[int]:
        return [m[1] for m in sorted((m for m in self.members_rows if m[0] == group_id and m[3] is None),
                                     key=lambda m: m[2])]

    def count_members(self, group_id: int) -> int:
        return len(self.members(group_id))

    def groups_of(self, participant_id: int) -> list[int]:
        return [m[0] for m in self.members_rows if m[1] == participant_id and m[3] is None]

    def join(self, group_id: int, participant_id: int, at: datetime) -> None:
        self.members_rows.append([group_id, participant_id, at, None])

    def leave(self, group_id: int, participant_id: int, at: datetime) -> None:
        for m in self.members_rows:
            if m[0] == group_id and m[1] == participant_id and m[3] is None:
                m[3] = at

    def move(self, group_id: int, step: str, closed_at: datetime | None) -> None:
        self.groups[group_id] = dataclasses.replace(self.groups[group_id], step=step, closed_at=closed_at)

    def save(self) -> None:
        self._uow.store.groups = dict(self.groups)
        self._uow.store.group_members = [list(m) for m in self.members_rows]


class InMemoryUnitOfWork:
    """A unit of work on an :class:`InMemoryStore`: rolled back unless committed."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def __enter__(self) -> InMemoryUnitOfWork:
        self.pending: list[Participant] = []
        self.loaded: dict[int, tuple[Participant, int]] = {}  # id → (working copy, version read)
        self.rows: dict[int, list[Deadline]] = {}
        self.new_workflows: dict[tuple[str, int], Any] = {}
        self.new_identities: dict[int, _Identity] = {}
        self.new_notifications: list[dict[str, Any]] = []
        self.rewritten: list[Event] = []
        self.participants = _Participants(self)
        self.workflows = _Workflows(self)
        self.deadlines = _Deadlines(self)
        self.identities = _Identities(self)
        self.users = _Users(self)
        self.assignments = _Assignments(self)
        self.groups = _Groups(self)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()

    # -- working copies -------------------------------------------------------------------

    def participant(self, participant_id: int) -> Participant | None:
        if participant_id in self.loaded:
            return self.loaded[participant_id][0]
        stored = self.store.participants.get(participant_id)
        if stored is None:
            return next((p for p in self.pending if p.id == participant_id), None)
        copy = _copy_participant(stored)
        self.loaded[participant_id] = (copy, stored.version)
        return copy

    def deadline_rows(self, participant_id: int) -> list[Deadline]:
        if participant_id not in self.rows:
            self.rows[participant_id] = [_copy_deadline(d) for d in self.store.deadlines.get(participant_id, [])]
        return self.rows[participant_id]

    # -- the transaction -------------------------------------------------------------------

    def flush(self) -> None:
        """Give new participants their ids (as an INSERT would)."""
        for p in self.pending:
            if p.id is None:
                if any(q.ref is not None and q.ref == p.ref and q.workflow_id == p.workflow_id
                       for q in self.store.participants.values()):
                    raise RefTakenConcurrently(str(p.ref), p.workflow_id)
                p.id = self.store.next_participant_id
                self.store.next_participant_id += 1
                for event in p.new_events:
                    event.participant_id = p.id
                self.loaded[p.id] = (p, -1)

    def commit(self) -> None:
        self.flush()
        store = self.store
        for pid, (_p, read_version) in self.loaded.items():
            current = store.participants.get(pid)
            if read_version >= 0 and (current is None or current.version != read_version):
                raise ConcurrentChange(pid)
        for pid, (p, _read_version) in self.loaded.items():
            before = store.participants.get(pid)
            changed = bool(p.new_events) or before is None or _state(p) != _state(before)
            if p.new_events:
                stored_events = store.events.setdefault(pid, [])
                if stored_events and stored_events[-1].seq >= p.new_events[0].seq:
                    raise ConcurrentChange(pid)
                for event in p.new_events:
                    event.participant_id = pid
                    stored_events.append(event)
            if changed:
                p.version += 1
            saved = _copy_participant(p)
            store.participants[pid] = saved
            p.new_events.clear()
        for pid, rows in self.rows.items():
            for row in rows:
                if row.id is None:
                    row.participant_id = row.participant_id or pid
                    row.id = store.next_deadline_id
                    store.next_deadline_id += 1
            store.deadlines[pid] = [_copy_deadline(d) for d in rows]
        for redacted in self.rewritten:
            stored = store.events.get(redacted.participant_id or 0, [])
            store.events[redacted.participant_id or 0] = [
                dataclasses.replace(e, data=dict(redacted.data), reason=redacted.reason) if e.seq == redacted.seq else e
                for e in stored]
        store.workflows.update(self.new_workflows)
        store.identities.update(self.new_identities)
        store.notifications += self.new_notifications
        self.groups.save()
        self._clear()

    def rollback(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self.pending, self.loaded, self.rows = [], {}, {}
        self.new_workflows, self.new_identities, self.new_notifications = {}, {}, []
        self.rewritten = []
