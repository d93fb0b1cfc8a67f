"""Importing past participants from a JSON-lines file, replayed through the workflow's rules.

One participant a line::

    {"ref": "LU-2025-001", "workflow": "kraft", "enrolled_at": "2025-09-01",
     "attributes": {"gender": "female", ...}, "personnummer": "19121212-1212",
     "events": [{"trigger": "assess", "at": "2025-09-03", "data": {}},
                {"set": {"stable_housing": true}, "at": "2025-09-04"},
                {"consent": {"give": ["soc", "af"], "scope": "...", "until": "2026-08-31"}, "at": "2025-09-05"},
                {"meeting": {"type": "handover_meeting", "attendees": ["labour_unit:lina", "af:per"],
                             "consent_confirmed": true}, "at": "2025-09-08"}],
     "exit": {"at": "2026-02-27", "reason": "work", "income_source_at_exit": "salary"}}

Each line is enrolled and its events fired through the same services a caseworker uses
(:func:`pathway.services.participants.enrol`, :func:`~pathway.services.participants.fire`, …),
with the given effective times and the reason ``imported from FILE line N``, so allowed triggers,
guards and code lists are checked exactly as for a caseworker. ``exit`` fires the workflow's exit
trigger with ``reason`` and any other keys as its data.

Deadlines follow the effective times. An open participant's reminders, misses and escalations
that had already passed are recorded during the import (with their own times, as the check would
record them) but nobody is notified: no one should be told today about a deadline from years ago.

The whole file is one transaction (:class:`pathway.store.uow.SharedTransaction`), with a savepoint
per line: a failing line is rolled back to its savepoint and the next line still runs, so every
failing line is reported; the transaction is committed only when every line passed, and never on
a dry run. Within a line the use cases run on the line's participant held in memory (its deadlines
planned after every event, as for a caseworker) and the line is written once at its end, in bulk
(:class:`pathway.store.bulk.LineWrites`): the rows it leaves are the ones the use cases would have
left one by one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pathway import limits
from pathway.clock import parse_time
from pathway.definitions.models import Workflow
from pathway.errors import BadInput, DuplicateRef, PathwayError, RuleRefused
from pathway.errors import field as field_marked
from pathway.services import deadlines, meetings, participants, policy, records
from pathway.services.catalog import Registered, WorkflowCatalog
from pathway.services.context import ServiceContext
from pathway.store.bulk import LineWrites
from pathway.store.uow import UnitOfWork

if TYPE_CHECKING:
    from pathway.definitions import LoadedWorkflow

LINE_KEYS = "ref, workflow, enrolled_at, attributes, personnummer, events, exit"

#: Bounds on a line: its length (a participant's history is a few kilobytes), the nesting of its
#: JSON, and its events (each is replayed through the rules).
MAX_LINE_BYTES = 1_000_000
MAX_JSON_DEPTH = 10
MAX_EVENTS = 1_000
EVENT_KEYS = '{"trigger", "at", "data"}, {"set": {…}, "at"}, {"consent": {…}, "at"} or {"meeting": {…}, "at"}'
CONSENT_KEYS = '{"give": [agencies], "scope", "until"}, {"confirm": true} or {"withdraw": [agencies]}'


# -- the line format ----------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class ConsentEntry(_Strict):
    """Consent to cooperation between agencies: give, confirm or withdraw (see ``pathway consent``)."""

    give: list[str] | None = None
    confirm: bool = False
    withdraw: list[str] | None = None
    scope: str | None = None
    until: str | None = None

    @model_validator(mode="after")
    def _one_action(self) -> ConsentEntry:
        actions = [self.give is not None, self.confirm, self.withdraw is not None]
        if sum(actions) != 1:
            raise ValueError(f"give exactly one of give, confirm or withdraw: {CONSENT_KEYS}")
        return self


class MeetingEntry(_Strict):
    """A meeting held (see ``pathway meeting record``): a meeting step's triggers need one."""

    type: str
    attendees: list[str] = Field(min_length=1)
    led_by: str | None = None
    absent: list[str] = Field(default_factory=list)
    consent_confirmed: bool = False
    decisions: list[str] = Field(default_factory=list)
    signed_by_participant: bool = False


class EventEntry(_Strict):
    """One thing that happened: a trigger fired, attributes set, consent or a meeting recorded."""

    at: str
    trigger: str | None = None
    data: dict[str, Any] | None = None
    set_: dict[str, Any] | None = Field(None, alias="set")
    consent: ConsentEntry | None = None
    meeting: MeetingEntry | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> EventEntry:
        kinds = [k for k, v in (("trigger", self.trigger), ("set", self.set_), ("consent", self.consent),
                                ("meeting", self.meeting)) if v is not None]
        if len(kinds) != 1:
            raise ValueError(f"give exactly one of trigger, set, consent or meeting: {EVENT_KEYS}")
        if self.data is not None and self.trigger is None:
            raise ValueError("'data' goes with a 'trigger'")
        return self

    @property
    def label(self) -> str:
        if self.trigger is not None:
            return f"trigger '{self.trigger}'"
        if self.meeting is not None:
            return f"meeting '{self.meeting.type}'"
        return "set" if self.set_ is not None else "consent"


class ExitEntry(BaseModel):
    """The participant's exit: the workflow's exit trigger, fired with ``reason`` and any other keys as data."""

    model_config = ConfigDict(extra="allow")

    at: str
    reason: str

    @property
    def data(self) -> dict[str, Any]:
        return {"reason": self.reason, **(self.model_extra or {})}


class ImportLine(_Strict):
    """One participant: enrolment, what happened afterwards, and (if it has ended) the exit."""

    ref: str
    workflow: str
    enrolled_at: str
    attributes: dict[str, Any] = Field(default_factory=dict)
    personnummer: str | None = None
    events: list[EventEntry] = Field(default_factory=list, max_length=MAX_EVENTS)
    exit: ExitEntry | None = None


# -- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LineError:
    line: int
    message: str
    exit_code: int


@dataclass
class ImportResult:
    source: str
    dry_run: bool
    lines: int = 0           # participant lines read (blank lines are not counted)
    participants: int = 0    # lines that passed
    events: int = 0          # events they wrote to the histories (the enrolment included)
    #: reminders, misses and escalations already passed at import, recorded without notifying anyone
    deadline_events: int = 0
    errors: list[LineError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def exit_code(self) -> int:
        """0, or the highest exit code among the failing lines (2 bad input beats 1 refused)."""
        return max((e.exit_code for e in self.errors), default=0)


#: Told the number of bytes of the file read so far, after each line.
Progress = Callable[[int], None]


#: what the use cases a line replays need; granted by 'import.run' for the line's workflow
IMPORT_GRANTS = frozenset({"participant.enrol", "participant.fire", "participant.set", "consent.record"})


# -- the import ---------------------------------------------------------------------------------

def import_file(ctx: ServiceContext, path: Path, dry_run: bool = False,
                progress: Progress | None = None) -> ImportResult:
    """Import every line of ``path`` in one transaction: all of them, or (on any failure) none."""
    result = ImportResult(source=str(path), dry_run=dry_run)
    refs: dict[tuple[str, str], int] = {}  # (workflow, ref) → the line that has it
    policy.require(ctx, "import.run")
    with limits.remembering_accepted_texts(), ctx.uow().one_transaction() as tx:
        # the use cases a line replays run under this import's permission (checked per workflow below)
        shared = replace(ctx, uow=tx.uow, granted=IMPORT_GRANTS, catalog=OneTransactionCatalog(ctx.catalog))
        done = 0
        for number, raw in _lines(path):
            done += len(raw)
            text = _decode(raw, number)
            if text is not None and not text.strip():
                _tell(progress, done)
                continue
            result.lines += 1
            try:
                if text is None:
                    raise BadInput("the line is not UTF-8 text")
                line = parse_line(text)
                key = (line.workflow, line.ref.strip())
                if key in refs:
                    raise RuleRefused(f"ref '{line.ref}' is also on line {refs[key]} of this file; "
                                      f"refs are unique per workflow")
                refs[key] = number
                policy.require(ctx, "import.run", workflow=line.workflow)
                with tx.savepoint():
                    # the line's use cases run on its participant held in memory, written once at the end
                    writes = LineWrites(tx)
                    on_line = replace(shared, uow=writes.uow)
                    reason = f"imported from {path.name} line {number}"
                    participant_id, written = replay_line(on_line, line, reason)
                    result.events += written
                    result.deadline_events += deadlines.catch_up(on_line, participant_id, ctx.clock.now())
                    writes.write()
                result.participants += 1
            except PathwayError as err:
                result.errors.append(LineError(number, err.worded(line_key), err.exit_code))
            _tell(progress, done)
        if result.lines == 0:
            raise BadInput(f"{path} has no participants to import; give one JSON object a line")
        if result.ok and not dry_run:
            tx.commit()
            result.committed = True
    return result


class OneTransactionCatalog(WorkflowCatalog):
    """The catalog an import's lines enrol through: a workflow version found registered in the
    import's transaction stays registered for the rest of it (versions are never removed), so
    the lines after it do not look it up again. A version registered by a line is not remembered:
    that line may still fail, and its savepoint take the registration with it.

    A workflow file is read once per import: every line of one import is enrolled on the version
    its file held when the import first needed it, even if the file is edited while the import
    runs (and the file is not looked up on disk again for every line)."""

    def __init__(self, catalog: WorkflowCatalog) -> None:
        vars(self).update(vars(catalog))  # the same parsed files, pinned versions and machines
        self._found: dict[tuple[str, str], int] = {}
        self._current: dict[str, LoadedWorkflow] = {}

    def load_current(self, workflow_id: str) -> LoadedWorkflow:
        found = self._current.get(workflow_id)
        if found is None:
            found = self._current[workflow_id] = super().load_current(workflow_id)
        return found

    def register_current(self, uow: UnitOfWork, workflow_id: str) -> Registered:
        loaded = self.load_current(workflow_id)
        key = (workflow_id, loaded.sha256)
        if key not in self._found:
            stored = uow.workflows.find_by_hash(workflow_id, loaded.sha256)
            if stored is None:
                return super().register_current(uow, workflow_id)
            self._found[key] = stored.version
            self._pinned[(workflow_id, stored.version)] = loaded  # as a found version is pinned
        return Registered(loaded, self._found[key])


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, raw bytes), one at a time: the file is never held in memory whole, nor a line
    longer than :data:`MAX_LINE_BYTES` (``/dev/zero`` has no line ends: it is refused, not read)."""
    try:
        handle = path.open("rb")
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror}") from None
    with handle:
        number = 0
        while True:
            try:
                raw = handle.readline(MAX_LINE_BYTES + 1)
            except OSError as err:
                raise BadInput(f"cannot read {path}: {err.strerror}") from None
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise BadInput(f"{path}: line {number} is longer than {MAX_LINE_BYTES // 1_000_000} MB; "
                               "a line is one participant (a few kilobytes); nothing was imported")
            yield number, raw


def _decode(raw: bytes, number: int) -> str | None:
    """The line as text (a byte-order mark on the first line is dropped), or None if it is not UTF-8."""
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        return None


def _tell(progress: Progress | None, done: int) -> None:
    if progress is not None:
        progress(done)


def parse_line(text: str) -> ImportLine:
    """One line's JSON as an :class:`ImportLine`, or :class:`BadInput` naming every problem in it."""
    try:
        value = json.loads(text.rstrip("\r\n"))
    except json.JSONDecodeError as err:
        raise BadInput(f"malformed JSON: {err.msg} at column {err.colno}") from None
    except ValueError:  # a number of more than 4 300 digits
        raise BadInput("malformed JSON: a number with too many digits") from None
    except RecursionError:
        raise BadInput(f"malformed JSON: nested more than {MAX_JSON_DEPTH} levels deep") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise BadInput(f"the line is nested more than {MAX_JSON_DEPTH} levels deep; "
                       f"a line has {LINE_KEYS}, each at most a few levels deep")
    if not isinstance(value, dict):
        raise BadInput(f"a line must be one JSON object with the keys {LINE_KEYS}; got {type(value).__name__}")
    try:
        return ImportLine.model_validate(value)
    except ValidationError as err:
        raise BadInput(_describe(err)) from None


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (level by level: no recursion to exhaust;
    stops one level past :data:`MAX_JSON_DEPTH`)."""
    depth, level = 0, [value]
    while True:
        containers = [item for item in level if isinstance(item, (dict, list))]
        if not containers:
            return depth
        depth += 1
        if depth > MAX_JSON_DEPTH:
            return depth
        level = [child for item in containers for child in (item.values() if isinstance(item, dict) else item)]


def _describe(err: ValidationError) -> str:
    problems = []
    for problem in err.errors():
        loc = problem["loc"]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
        if problem["type"] == "missing":
            problems.append(f"missing key '{where}'")
        elif problem["type"] == "extra_forbidden":
            problems.append(f"unknown key '{where}'; {_keys_at(loc)}")
        else:
            message = str(problem["msg"]).removeprefix("Value error, ")
            problems.append(f"{where or 'line'}: {message}")
    return "; ".join(problems)


def _keys_at(loc: tuple[int | str, ...]) -> str:
    if len(loc) == 1:
        return f"a line has {LINE_KEYS}"
    if loc[0] == "events" and len(loc) == 3:
        return f"an event is {EVENT_KEYS}"
    if loc[0] == "events" and "consent" in loc:
        return f"consent is {CONSENT_KEYS}"
    return "see 'pathway import --help'"


def exit_trigger(definition: Workflow) -> str:
    """The trigger that ends a participant from any step: ``exit``, or the one from "*" into a terminal step."""
    terminal = {s.id for s in definition.steps if s.terminal}
    from_anywhere = [t.trigger for t in definition.transitions if t.to in terminal and "*" in t.source]
    if not from_anywhere:
        raise BadInput(f"workflow '{definition.id}' has no trigger that ends a participant from every step; "
                       "fire the way out as the last event instead of giving 'exit'")
    return "exit" if "exit" in from_anywhere else from_anywhere[0]


def replay_line(ctx: ServiceContext, line: ImportLine, reason: str) -> tuple[int, int]:
    """Enrol one participant and fire its history; returns its id and the number of events written."""
    enrolled_at = parse_time(line.enrolled_at, "enrolled_at")
    try:
        pid, _note = participants.enrol(ctx, line.workflow, ref=line.ref, attributes=line.attributes,
                                        at=enrolled_at, reason=reason, personnummer=line.personnummer)
    except DuplicateRef as err:
        raise RuleRefused(f"{err.template}; was this file imported already?") from None
    written, exited_by = 1, None
    for index, entry in enumerate(line.events):
        where = f"events[{index}] ({entry.label})"
        try:
            at = parse_time(entry.at, f"events[{index}].at")
            if entry.trigger is not None:
                fired = participants.fire(ctx, pid, entry.trigger, entry.data or {}, at=at, reason=reason)
                if fired.status == "exited":
                    exited_by = where
                written += 1
            elif entry.set_ is not None:
                written += 1 if participants.set_attributes(ctx, pid, entry.set_, at=at, reason=reason) else 0
            elif entry.meeting is not None:
                m = entry.meeting
                try:
                    meetings.record_meeting(ctx, pid, m.type, m.attendees, m.led_by, m.absent, m.consent_confirmed,
                                            m.decisions, m.signed_by_participant, at=at, reason=reason)
                except PathwayError as err:
                    raise _renamed(err, MEETING_KEYS) from None
                written += 1
            else:
                _consent(ctx, pid, entry.consent, at, reason)  # type: ignore[arg-type]
                written += 1
        except PathwayError as err:
            raise _located(err, where) from None
    if line.exit is not None:
        if exited_by is not None:
            raise RuleRefused(f"{exited_by} already ended the participant; leave out 'exit' or that event")
        definition = ctx.catalog.load_current(line.workflow).definition
        try:
            participants.fire(ctx, pid, exit_trigger(definition), line.exit.data,
                              at=parse_time(line.exit.at, "exit.at"), reason=reason)
        except PathwayError as err:
            raise _located(err, "exit") from None
        written += 1
    return pid, written


def _consent(ctx: ServiceContext, pid: int, consent: ConsentEntry, at: datetime, reason: str) -> None:
    """Record a consent entry; a refusal names the entry's keys (``consent.until``), not the service's fields."""
    keys = {"agencies": "consent.give" if consent.give is not None else "consent.withdraw",
            "scope": "consent.scope", "until": "consent.until"}
    try:
        if consent.give is not None:
            records.give_consent(ctx, pid, consent.give, consent.scope, consent.until, at=at, reason=reason)
        elif consent.withdraw is not None:
            records.withdraw_consent(ctx, pid, consent.withdraw, at=at, reason=reason)
        else:
            records.confirm_consent(ctx, pid, at=at, reason=reason)
    except PathwayError as err:
        raise _renamed(err, keys) from None


#: A meeting service's field name → the key of an import line's meeting entry that gives it.
MEETING_KEYS = {name: f"meeting.{name}" for name in ("type", "attendees", "led_by", "absent", "decisions")}


def _renamed(err: PathwayError, keys: dict[str, str]) -> PathwayError:
    """The same refusal (same exit code) with the fields in ``keys`` renamed, still marked as fields."""
    message = err.worded(lambda name: field_marked(keys.get(name, name)))
    return RuleRefused(message) if err.exit_code == 1 else BadInput(message)


def _located(err: PathwayError, where: str) -> PathwayError:
    """The same refusal (same exit code), its message prefixed with the part of the line it is about
    and its fields named as the keys of that part (an event's time is its ``at``)."""
    message = f"{where}: {err.worded(event_key)}"
    return RuleRefused(message) if err.exit_code == 1 else BadInput(message)


#: A service's field name → the key of an import line that gives it, where the two differ.
LINE_KEYS_BY_FIELD = {"at": "enrolled_at"}


def line_key(name: str) -> str:
    """How an import line calls a field (the vocabulary of a line's error; never a CLI flag)."""
    return LINE_KEYS_BY_FIELD.get(name, name)


def event_key(name: str) -> str:
    """How an event entry of an import line calls a field."""
    return name
