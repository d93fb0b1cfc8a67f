"""What a transition needs from the history, folded and kept on the participant's row.

Guards (consent, meetings, placements), pauses and the deadline planner all read a fold of the
participant's history. Reading the whole history for every transition made its cost grow with the
history's length (issue 10), so the fold is kept beside the projection: :class:`Folded` is moved on
by :meth:`pathway.domain.participant.Participant.apply` with every event — the same one projection
that recording, migration, the dry run and replay use — and stored on the participant row, as text
(:meth:`Folded.to_text`): the marks as one string in a head line, and the records a part a line,
each decoded only when read (:mod:`pathway.domain.stored_records`).

A ``corrected`` event changes what earlier events count for (struck, replaced), so it is not
folded on top: the fold is rebuilt from the history (:meth:`Folded.rebuild`); corrections are rare
and read the history anyway. Whatever the path, the folded state equals :meth:`Folded.rebuild` of
the whole history (tests check it for random walks with corrections).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from pathway.domain.corrections import effective
from pathway.domain.participant import Event, EventType
from pathway.domain.records import RECORD_EVENT_TYPES, Records, RecordEvent, apply_record, step_change_seq
from pathway.domain.stored_records import (
    COMPACT_JSON,
    COUNTERS,
    PARTS,
    StoredRecords,
    MeetingSource,
    meetings_from_rows,
    part_text,
    records_from,
    records_json,
)

#: events that move a participant between steps, or pause and resume its clocks (triggers)
MARK_TYPES = frozenset({EventType.ENROLLED.value, EventType.TRANSITION.value, EventType.MIGRATED.value})
#: every event type that changes the folded state (the rest — attributes, reminders … — leave it)
FOLDED_TYPES = MARK_TYPES | RECORD_EVENT_TYPES | {EventType.CORRECTED.value}


class Mark(NamedTuple):
    """An enrolment, transition or migration as the planner reads it (its data left out)."""

    seq: int
    at: datetime
    type: str
    trigger: str | None
    from_step: str | None
    to_step: str | None


@dataclass(eq=False)
class Folded:
    """The folded history: records (consent, plan, placements, meetings …), the moves between
    steps and the triggers fired (:class:`Mark`, in sequence order), when each plan item was added,
    and the sequence number of the last step change."""

    records: Records = field(default_factory=Records)
    #: the marks, encoded (:func:`encode_mark`: one ``seq|at|type|trigger|from|to;`` record each),
    #: in sequence order. Kept as one string and decoded only when asked (:attr:`marks`): every
    #: transition adds one, and a list of six-value lists parsed from and written back to the row's
    #: JSON on every transition made its cost grow with the transitions behind it (200 against 10:
    #: 1.8×, then 1.4× with the lists kept as stored); one string costs a quarter to write and a
    #: seventh to read, and adding a mark is appending to it. The planner reads them, a note does not.
    mark_log: str = ""
    #: plan item id → (effective time, seq) of the event that added it (the latest, in time order)
    plan_added: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    step_change_seq: int = 0

    def __post_init__(self) -> None:
        self._marks: list[Mark] = []  # mark_log decoded, as far as _decoded (characters)
        self._decoded = 0

    @property
    def marks(self) -> list[Mark]:
        """The marks, decoded (those decoded once are kept; marks added since are decoded on top)."""
        if self._decoded != len(self.mark_log):
            self._marks.extend(decode_marks(self.mark_log, self._decoded))
            self._decoded = len(self.mark_log)
        return self._marks

    def apply(self, event: Event) -> bool:
        """Fold one event that corrects nothing; returns whether the state changed."""
        if event.type == EventType.CORRECTED:
            raise ValueError("a correction changes what earlier events count for; rebuild the fold from the history")
        if event.type in MARK_TYPES and event.to_step is not None and (
                event.type != EventType.MIGRATED or event.from_step != event.to_step):
            self.step_change_seq = max(self.step_change_seq, event.seq)
        if event.type == RecordEvent.PLACEMENT_STARTED:  # ids ever given, struck ones included
            self.records.placements_started += 1
        elif event.type == RecordEvent.INTERVENTION_STARTED:
            self.records.interventions_started += 1
        return self._fold(event)

    def _fold(self, event: Event) -> bool:
        """Fold one event of the corrected history."""
        if event.type in MARK_TYPES:
            decoded = self._decoded == len(self.mark_log)
            self.mark_log += encode_mark(event.seq, event.effective_at, str(event.type), event.trigger,
                                         event.from_step, event.to_step)
            if decoded and self._marks:  # keep the decoded list whole: an import line plans after each event
                self._marks.append(Mark(event.seq, event.effective_at, str(event.type), event.trigger,
                                        event.from_step, event.to_step))
                self._decoded = len(self.mark_log)
            return True
        if event.type in RECORD_EVENT_TYPES:
            apply_record(self.records, event)
            if event.type in (RecordEvent.PLAN_GOAL_ADDED, RecordEvent.PLAN_SUBGOAL_ADDED):
                added = (event.effective_at, event.seq)
                item = str(event.data["id"])
                known = self.plan_added.get(item)
                if known is None or added > known:
                    self.plan_added[item] = added
            return True
        return False

    @classmethod
    def rebuild(cls, events: Iterable[Event]) -> Folded:
        """The folded state from the history alone (corrections applied)."""
        history = list(events)
        folded = cls()
        for event in effective(history):
            folded._fold(event)
        folded.step_change_seq = step_change_seq(history)
        folded.records.placements_started = sum(1 for e in history if e.type == RecordEvent.PLACEMENT_STARTED)
        folded.records.interventions_started = sum(1 for e in history if e.type == RecordEvent.INTERVENTION_STARTED)
        return folded

    def timeline(self) -> list[Mark]:
        """The marks in the order things happened (effective time, then sequence)."""
        return sorted(self.marks, key=lambda m: (m.at, m.seq))

    # -- reading only the marks a lean plan needs (without decoding the rest) -------------------

    def marks_fired(self, triggers: Iterable[str]) -> list[Mark]:
        """The transitions that fired one of ``triggers``, in sequence order: found by searching
        the stored string, so only they are decoded (a pause check, the anchors of a lean plan)."""
        wanted = set(triggers)
        return [m for m in self._marks_holding(f"|t|{trigger}|" for trigger in wanted)
                if m.type == EventType.TRANSITION and m.trigger in wanted]  # a step named like a trigger

    def entries_into(self, steps: Iterable[str]) -> list[Mark]:
        """The marks that entered one of ``steps`` (:func:`is_entry`), in sequence order."""
        wanted = set(steps)
        return [m for m in self._marks_holding(f"|{step};" for step in wanted) if is_entry(m) and m.to_step in wanted]

    def entries_back_to(self, until: datetime) -> list[Mark]:
        """The step entries from the last one before ``until`` on (all of them if none is before),
        in sequence order — found from the end, decoding nothing before that entry.

        Step entries are in time order as well as in sequence order: a step change is never
        recorded before the last one (services refuse an earlier ``--at``; a correction refolds).
        A mark that enters no step ends in ``|;`` (no to-step) and is passed over undecoded."""
        log, found = self.mark_log, []
        end = len(log) - 1  # the ';' that ends the last record
        while end > 0:
            start = log.rfind(";", 0, end) + 1
            if log[end - 1] != "|":
                mark = _decode(log[start:end])
                if is_entry(mark):
                    found.append(mark)
                    if mark.at < until:
                        break
            end = start - 1
        found.reverse()
        return found

    def _marks_holding(self, needles: Iterable[str]) -> list[Mark]:
        log, starts = self.mark_log, set()
        for needle in needles:
            at = log.find(needle)
            while at != -1:
                starts.add(log.rfind(";", 0, at) + 1)
                at = log.find(needle, at + len(needle))
        return [_decode(log[start:log.index(";", start)]) for start in sorted(starts)]

    # -- as one JSON document: what rows held before migration 0013, and what tests compare ------

    def to_json(self) -> dict[str, Any]:
        return {
            "records": records_json(self.records),
            "mark_log": self.mark_log,  # as stored: nothing to encode (a new mark is encoded when added)
            "plan_added": _plan_added_json(self.plan_added),
            "step_change_seq": self.step_change_seq,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Folded:
        return cls(
            records=records_from(value.get("records") or {}),
            mark_log=_mark_log(value),  # decoded only if asked for (marks)
            plan_added=_plan_added_from(value.get("plan_added", {})),
            step_change_seq=int(value.get("step_change_seq", 0)),
        )

    def copy(self) -> Folded:
        return Folded.from_json(self.to_json())

    # -- as the store keeps it: a head line on the participant row, the records' lines beside it --

    def to_stored(self) -> tuple[str, str]:
        """The fold as the store keeps it: the head line (the marks, when plan items were added, the
        counters) for the participant row, and the records' lines, one per part (:data:`PARTS`),
        for a row of their own — the line as it was read for a part no one decoded. JSON never
        holds a raw line break. Records with nothing in them are :data:`EMPTY_PARTS`."""
        head = {"v": 2, "mark_log": self.mark_log, "plan_added": _plan_added_json(self.plan_added),
                "step_change_seq": self.step_change_seq,
                **{name: getattr(self.records, name) for name in COUNTERS}}
        return (COMPACT_JSON.encode(head),
                "\n".join(part_text(self.records, name) for name in PARTS))

    @classmethod
    def from_stored(cls, head_text: str, parts: str | None, meetings: MeetingSource | None = None) -> Folded:
        """The fold from :meth:`to_stored`'s texts (None: no records row, the records are empty)
        and where its meeting rows are read from when needed (``meetings``: None, it has none),
        its records decoded a part at a time when read; or from the one JSON document a row held
        before migration 0013 (:meth:`to_json`), with any meetings recorded since in rows."""
        head = json.loads(head_text)
        if head.get("v") != 2:
            folded = cls.from_json(head)
            if meetings is not None:
                folded.records.meetings += meetings_from_rows(meetings.lines())
            return folded
        return cls(
            records=StoredRecords.of(dict(zip(PARTS, (parts or EMPTY_PARTS).split("\n"))), head, meetings),
            mark_log=head["mark_log"],
            plan_added=_plan_added_from(head["plan_added"]),
            step_change_seq=int(head["step_change_seq"]),
        )

    def to_text(self) -> str:
        """:meth:`to_stored`'s texts as one (the head line first)."""
        return "\n".join(self.to_stored())

    @classmethod
    def from_text(cls, text: str, parts: str | None = None, meetings: MeetingSource | None = None) -> Folded:
        """The fold from :meth:`to_text`'s text, or from a head line alone and the records' lines
        kept apart (``parts``: the store keeps long ones in a row of their own); ``meetings``: the
        meeting rows (:meth:`from_stored`)."""
        head, _, inline = text.partition("\n")
        return cls.from_stored(head, inline or parts, meetings)


#: a mark's event type, stored as one letter (and back)
_TYPE_CODES = {EventType.ENROLLED.value: "e", EventType.TRANSITION.value: "t", EventType.MIGRATED.value: "m"}
_CODE_TYPES = {code: kind for kind, code in _TYPE_CODES.items()}


def encode_mark(seq: int, at: datetime, kind: str, trigger: str | None, from_step: str | None,
                to_step: str | None) -> str:
    """One mark as stored in :attr:`Folded.mark_log`: ``seq|at|type|trigger|from|to;`` (None left
    empty). Step ids and trigger names are identifiers (``[a-z][a-z0-9_]*``), so neither ``|`` nor
    ``;`` can occur in them; anything else is refused rather than stored ambiguously."""
    fields = (trigger or "", from_step or "", to_step or "")
    if any("|" in f or ";" in f for f in fields):
        raise ValueError(f"a step or trigger with '|' or ';' cannot be a mark: {fields!r}")
    return f"{seq}|{at.isoformat()}|{_TYPE_CODES[kind]}|{fields[0]}|{fields[1]}|{fields[2]};"


def decode_marks(log: str, start: int = 0) -> list[Mark]:
    """The marks of ``log`` from character ``start`` (the beginning of a record) on."""
    return [_decode(record) for record in log[start:].split(";")[:-1]]


def _decode(record: str) -> Mark:
    seq, at, code, trigger, from_step, to_step = record.split("|")
    return Mark(int(seq), datetime.fromisoformat(at), _CODE_TYPES[code], trigger or None, from_step or None,
                to_step or None)


def is_entry(mark: Mark) -> bool:
    """Whether a mark entered a step: an enrolment, a transition that moved, a migration that
    renamed the participant's step."""
    return mark.to_step is not None and (mark.type != EventType.MIGRATED or mark.from_step != mark.to_step)


def _plan_added_json(plan_added: dict[str, tuple[datetime, int]]) -> dict[str, list[Any]]:
    return {k: [at.isoformat(), seq] for k, (at, seq) in plan_added.items()}


def _plan_added_from(value: dict[str, Any]) -> dict[str, tuple[datetime, int]]:
    return {k: (datetime.fromisoformat(v[0]), int(v[1])) for k, v in value.items()}


def _mark_log(value: dict[str, Any]) -> str:
    """The stored marks: a fold written before they were one string held six-value lists."""
    if "mark_log" in value:
        return str(value["mark_log"])
    return "".join(encode_mark(int(r[0]), datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5])
                   for r in value.get("marks", []))


#: the records' lines when nothing is recorded (the store keeps no records row for them)
EMPTY_PARTS = Folded().to_stored()[1]
