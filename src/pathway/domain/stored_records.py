"""The records folded on a participant's row, stored one part a line and decoded a part at a time.

The records (:class:`pathway.domain.records.Records`) grow with what is recorded: every meeting,
plan item, placement follow-up, intervention and consent. Stored as one JSON document, every
command parsed all of them with the row, built every object, and wrote them all again — a note on
a participant with 200 meetings cost 3.7× one with 10 (bench_history.py, issue 10). Stored one
part a line (:data:`PARTS`), a command decodes only the parts it reads (:class:`StoredRecords`):
a transition whose guards read no meetings never decodes them, and a part never decoded is
written back as the text it was read as. The store keeps the lines on the participant row while
they are short and in a row of their own once they grow (``pathway.store.repository.fold_columns``),
so a command that changes no record does not rewrite them either.

Meetings are the records that grow fastest (a tripartite meeting every few weeks, for years), and
a meeting is never changed by the next one: the store keeps each in a row of its own
(``participant_meetings``, one JSON line each, read in the command's transaction only when it reads
meetings: :class:`MeetingSource`), so recording one inserts one row instead of rewriting every
meeting before it, and reading a participant does not read its meetings. The meetings line of the records
still holds the meetings a row folded before those rows existed (migration 0014 left them where
they were); :class:`StoredRecords` reads both, and records folded anew from the history (a
correction, the retention purge) write them all as rows and that line empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import date, datetime, timezone
from typing import Any, Protocol

from pathway.domain.records import (
    ConsentGrant,
    ConsentState,
    Intervention,
    Meeting,
    Placement,
    PlanItem,
    Records,
)

#: the parts of the records stored as lines of their own, in this order
PARTS = ("consent", "plan", "placements", "interventions", "meetings", "groups")
#: the records' counters: stored with the fold's head, read with the row
COUNTERS = ("sessions_attended", "sessions_absent", "placements_started", "interventions_started")


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _consent_json(consent: ConsentState) -> Any:
    return {"grants": [{"agencies": sorted(g.agencies), "given_at": _iso(g.given_at), "scope": g.scope,
                        "until": _iso(g.until), "withdrawn": {a: _iso(t) for a, t in g.withdrawn.items()}}
                       for g in consent.grants],
            "last_confirmed_at": _iso(consent.last_confirmed_at)}


def _consent_from(value: Any) -> ConsentState:
    value = value or {}
    return ConsentState(
        grants=[ConsentGrant(set(g["agencies"]), datetime.fromisoformat(g["given_at"]), g.get("scope"),
                             _day(g.get("until")),
                             {a: datetime.fromisoformat(t) for a, t in (g.get("withdrawn") or {}).items()})
                for g in value.get("grants", [])],
        last_confirmed_at=_dt(value.get("last_confirmed_at")),
    )


def _plan_json(plan: dict[str, PlanItem]) -> Any:
    return [{"id": i.id, "what": i.what, "parent": i.parent, "with_whom": i.with_whom, "by": _iso(i.by),
             "follow_up": i.follow_up, "status": i.status, "done_at": _iso(i.done_at), "notes": i.notes}
            for i in plan.values()]


def _plan_from(value: Any) -> dict[str, PlanItem]:
    return {i["id"]: PlanItem(i["id"], i["what"], i.get("parent"), i.get("with_whom"), _day(i.get("by")),
                              i.get("follow_up"), i.get("status", "open"), _dt(i.get("done_at")),
                              list(i.get("notes") or []))
            for i in value or []}


def _placements_json(placements: dict[str, Placement]) -> Any:
    return [{"id": p.id, "type": p.type, "employer": p.employer, "start": _iso(p.start),
             "started_at": _iso(p.started_at), "end": _iso(p.end), "weekdays": p.weekdays,
             "hours_per_week": p.hours_per_week, "contact_person": p.contact_person, "goal": p.goal,
             "follow_up_every": p.follow_up_every, "followups": [_iso(t) for t in p.followups],
             "ended_at": _iso(p.ended_at), "outcome": p.outcome,
             "target_hours_per_week": p.target_hours_per_week, "weeks": p.weeks, "step": p.step,
             "hours_recorded": p.hours_recorded}
            for p in placements.values()]


def _placements_from(value: Any) -> dict[str, Placement]:
    return {p["id"]: Placement(
        p["id"], p["type"], p["employer"], date.fromisoformat(p["start"]),
        datetime.fromisoformat(p["started_at"]), _day(p.get("end")), list(p.get("weekdays") or []),
        p.get("hours_per_week"), p.get("contact_person"), p.get("goal"), p.get("follow_up_every"),
        [datetime.fromisoformat(t) for t in p.get("followups", [])], _dt(p.get("ended_at")), p.get("outcome"),
        p.get("target_hours_per_week"), p.get("weeks"), p.get("step"), list(p.get("hours_recorded") or []))
        for p in value or []}


def _interventions_json(interventions: dict[str, Intervention]) -> Any:
    return [{"id": i.id, "kind": i.kind, "started_at": _iso(i.started_at), "agency": i.agency,
             "note": i.note, "ended_at": _iso(i.ended_at)} for i in interventions.values()]


def _interventions_from(value: Any) -> dict[str, Intervention]:
    return {i["id"]: Intervention(i["id"], i["kind"], datetime.fromisoformat(i["started_at"]), i.get("agency"),
                                  i.get("note"), _dt(i.get("ended_at")))
            for i in value or []}


def _meetings_json(meetings: list[Meeting]) -> Any:
    return [{"seq": m.seq, "type": m.type, "at": _iso(m.at), "attendees": m.attendees, "absent": m.absent,
             "led_by": m.led_by, "consent_confirmed_for": m.consent_confirmed_for,
             "decisions": m.decisions, "no_show": m.no_show, "agency": m.agency}
            for m in meetings]


def _meetings_from(value: Any) -> list[Meeting]:
    return [Meeting(m["seq"], m["type"], datetime.fromisoformat(m["at"]), list(m.get("attendees") or []),
                    list(m.get("absent") or []), m.get("led_by"), list(m.get("consent_confirmed_for") or []),
                    list(m.get("decisions") or []), bool(m.get("no_show")), m.get("agency"))
            for m in value or []]


def _groups_json(groups: dict[int, tuple[datetime, datetime | None]]) -> Any:
    return [[group, _iso(joined), _iso(left)] for group, (joined, left) in groups.items()]


def _groups_from(value: Any) -> dict[int, tuple[datetime, datetime | None]]:
    return {int(group): (datetime.fromisoformat(joined), _dt(left)) for group, joined, left in value or []}


#: each part's encoder (to what json.dumps takes) and decoder (from what json.loads gives)
WRITERS: dict[str, Callable[[Any], Any]] = {
    "consent": _consent_json, "plan": _plan_json, "placements": _placements_json,
    "interventions": _interventions_json, "meetings": _meetings_json, "groups": _groups_json}
READERS: dict[str, Callable[[Any], Any]] = {
    "consent": _consent_from, "plan": _plan_from, "placements": _placements_from,
    "interventions": _interventions_from, "meetings": _meetings_from, "groups": _groups_from}


#: ``json.dumps(…, separators=(",", ":"))`` without making an encoder per call (a fold writes six
#: parts and its head on every command)
COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))
#: the text of each part held in a dict or list, with nothing in it
_EMPTY_TEXT = {name: COMPACT_JSON.encode(WRITERS[name](empty))
               for name, empty in ((name, getattr(Records(), name)) for name in PARTS) if type(empty) in (dict, list)}


def records_json(records: Records) -> dict[str, Any]:
    """The records as one JSON-ready document (every part decoded)."""
    document = {name: WRITERS[name](getattr(records, name)) for name in PARTS}
    document.update({name: getattr(records, name) for name in COUNTERS})
    return document


def records_from(value: dict[str, Any]) -> Records:
    """Records from :func:`records_json`'s document."""
    records = Records(**{name: READERS[name](value.get(name)) for name in PARTS})
    records.sessions_attended = int(value.get("sessions_attended", 0))
    records.sessions_absent = int(value.get("sessions_absent", 0))
    # rows folded before entries could be struck: every start is still there
    records.placements_started = int(value.get("placements_started", len(records.placements)))
    records.interventions_started = int(value.get("interventions_started", len(records.interventions)))
    return records


def part_text(records: Records, name: str) -> str:
    """One part as stored: its text as read when it was never decoded (so never changed), else encoded.
    Meetings are rows of their own (:func:`meeting_line`): their line keeps what it was read with
    (meetings folded into it before they had rows), and records folded anew write it empty."""
    if isinstance(records, StoredRecords):
        stored = records.stored_text(name)
        if stored is not None:
            return stored
    if name == "meetings":
        return "[]"
    value = getattr(records, name)
    if type(value) in (dict, list) and not value:  # most parts of most participants: nothing recorded
        return _EMPTY_TEXT[name]
    return COMPACT_JSON.encode(WRITERS[name](value))


def meeting_line(meeting: Meeting) -> str:
    """One meeting as its participant_meetings row holds it: keys sorted, so a meeting folded again
    from events PostgreSQL read back (JSONB orders an attendee's keys its own way) encodes to the
    same line, and a command that decoded the meetings finds nothing to write."""
    return json.dumps(_meetings_json([meeting])[0], separators=(",", ":"), sort_keys=True)


def meeting_row(meeting: Meeting) -> tuple[str, str | None, str]:
    """What a meeting's participant_meetings row holds besides its seq: its type, when it was held
    (None for a no-show; in UTC, :func:`_utc`) and its :func:`meeting_line`. The type and time are the deadline anchors'
    reads (:func:`held_meeting_times`), kept apart so they are found without parsing the JSON."""
    return meeting.type, None if meeting.no_show else _utc(meeting.at), meeting_line(meeting)


class MeetingSource(Protocol):
    """Where the meetings of records read from the store are, when a command reads them: the
    participant's ``participant_meetings`` rows as they were when the records were read (the
    meetings added since are the records' own), read in the command's transaction
    (``pathway.store.meeting_rows.MeetingRows``), never with the participant row — most commands
    read none of them, and carrying them all made every read of a participant grow with its
    meetings (bench_history.py --grow meetings)."""

    def lines(self) -> dict[int, str]:
        """Every row's :func:`meeting_line`, by the seq of its meeting's event."""
        ...

    def held(self) -> dict[str, list[str]]:
        """Meeting type → when the meetings of it were held (no-shows left out; ISO 8601 in UTC,
        in any order): what deadline anchors read (:func:`meeting_row`), without a line parsed."""
        ...


def _row_items(rows: dict[int, str]) -> list[Any]:
    """The JSON values of these lines, in the order recorded (one parse for all)."""
    return json.loads("[" + ",".join(rows[seq] for seq in sorted(rows)) + "]") if rows else []


def meetings_from_rows(rows: dict[int, str]) -> list[Meeting]:
    """The meetings of these lines (:meth:`MeetingSource.lines`), in the order they were recorded."""
    return _meetings_from(_row_items(rows))


def held_meeting_times(records: Records, types: frozenset[str] | set[str]) -> dict[str, list[datetime]]:
    """Meeting type → the distinct times meetings of it were held (no-shows left out), in time
    order and in UTC, for these types: what deadline anchors read. Records read from a row whose
    meetings no one decoded are read from the rows' type and time (:func:`meeting_row`), without
    parsing a meeting's JSON or building a :class:`Meeting` of each: Flen's follow-up rule reads
    them on every meeting record."""
    if isinstance(records, StoredRecords) and "meetings" not in records.__dict__:
        return records.held_meeting_times(types)
    return _distinct_times((m.type, _utc(m.at)) for m in records.meetings if m.type in types and not m.no_show)


def _utc(at: datetime) -> str:
    """A meeting's time as its row's ``held_at`` holds it: ISO 8601 in UTC, so that equal times are
    equal texts and text order is time order."""
    return at.astimezone(timezone.utc).isoformat()


def _distinct_times(held: Iterable[tuple[str, str]]) -> dict[str, list[datetime]]:
    """(type, :func:`_utc` time) pairs as type → distinct times, in order. Texts are compared and
    hashed, not datetimes: an aware datetime's first hash works out its UTC offset, which cost more
    than the rest of the plan on 250 meetings (hashes of fresh objects are never cached)."""
    found: dict[str, set[str]] = {}
    for kind, at in held:
        found.setdefault(kind, set()).add(at)
    return {kind: list(map(datetime.fromisoformat, sorted(times))) for kind, times in found.items()}


class StoredRecords(Records):
    """Records read from a stored fold whose parts are decoded when first read.

    Built without :class:`Records`' ``__init__``, so a part not yet read is no attribute of the
    object: reading it reaches :meth:`__getattr__`, which decodes it from its stored line and
    keeps it. Everything else — :func:`pathway.domain.records.apply_record`, guards, the planner —
    reads and changes it as any :class:`Records`."""

    _texts: dict[str, str]

    @classmethod
    def of(cls, texts: dict[str, str], counters: dict[str, Any],
           meetings: MeetingSource | None = None) -> StoredRecords:
        """``meetings``: where the participant's meeting rows are read from (None: it has none)."""
        records = cls.__new__(cls)
        records.__dict__["_texts"] = texts
        records.__dict__["_source"] = meetings
        for name in COUNTERS:
            records.__dict__[name] = int(counters.get(name, 0))
        return records

    def __getattr__(self, name: str) -> Any:
        texts = self.__dict__.get("_texts")
        if texts is None or name not in texts:
            raise AttributeError(name)
        value = READERS[name](json.loads(texts[name]))
        if name == "meetings":  # those folded into the line before they had rows, then the rows
            source = self.__dict__["_source"]
            value += meetings_from_rows(source.lines()) if source is not None else []
            self.__dict__["_meetings_read"] = len(value)
            value += self.__dict__.pop("_added_meetings", [])
        self.__dict__[name] = value
        return value

    def held_meeting_times(self, types: frozenset[str] | set[str]) -> dict[str, list[datetime]]:
        """:func:`held_meeting_times` of meetings never decoded: from the rows' type and time
        (:meth:`MeetingSource.held`), the meetings' line (those folded into it before they had
        rows) and the ones added since the read."""
        legacy = self._texts["meetings"]
        held = [(m["type"], _utc(datetime.fromisoformat(m["at"])))
                for m in (json.loads(legacy) if legacy != "[]" else ()) if m["type"] in types and not m.get("no_show")]
        source = self.__dict__["_source"]
        for kind, times in (source.held() if source is not None else {}).items():
            if kind in types:
                held += [(kind, at) for at in times]
        held += [(m.type, _utc(m.at)) for m in self.__dict__.get("_added_meetings", ())
                 if m.type in types and not m.no_show]
        return _distinct_times(held)

    def add_meeting(self, meeting: Meeting) -> None:
        """Add a meeting record without decoding those before it (a meeting record reads none of
        them): the store inserts its row (:meth:`added_meetings`)."""
        if "meetings" in self.__dict__:
            self.meetings.append(meeting)
        else:
            self.__dict__.setdefault("_added_meetings", []).append(meeting)

    def added_meetings(self) -> list[Meeting]:
        """The meetings added since the records were read: the rows to insert.

        Meetings read are never changed on these records (a :class:`Meeting` is frozen, and the
        only change :func:`~pathway.domain.records.apply_record` makes is adding one; corrections
        and the retention purge fold the history anew into plain :class:`Records`), so whether or
        not a guard or the planner decoded them, what to write is what was added after them."""
        if "meetings" in self.__dict__:
            return self.meetings[self.__dict__["_meetings_read"]:]
        return list(self.__dict__.get("_added_meetings", ()))

    def stored_text(self, name: str) -> str | None:
        """The part's line as read, or None once it was decoded (it may have changed since). The
        meetings' line is always the one read: meetings added since are rows of their own."""
        if name in self.__dict__ and name != "meetings":
            return None
        return self._texts[name]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Records):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(Records))

    __hash__ = None  # type: ignore[assignment]  # mutable, as Records
