"""Every table in one module.

The domain stays plain and is not mapped by the ORM: the repositories read rows into
:class:`~pathway.domain.Participant`, :class:`~pathway.domain.Deadline` and
:class:`~pathway.domain.Event` and the unit of work writes them back with statements compiled once
per dialect (:mod:`pathway.store.statements`). A participant's and a deadline's ``version`` column
is checked in each UPDATE's WHERE: an UPDATE that finds another writer got there first matches no
row, which the unit of work turns into :class:`~pathway.errors.ConcurrentChange` (DESIGN invariant 3).

The three partial indexes (``WHERE status = …``) are declared in :mod:`pathway.store.schema`, which
the migrations' environment and the schema tests import: an index's ``postgresql_where=`` makes
SQLAlchemy import its whole PostgreSQL dialect to check the keyword (~30 ms), which every command on
the SQLite database paid at start-up for indexes that only DDL reads. Queries need only the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pathway.domain import Event
from pathway.store.types import BigId, JsonDocument, UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

#: Every version of every workflow a participant was ever run on, with its exact YAML text.
workflow_versions = Table(
    "workflow_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workflow_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("yaml_text", Text, nullable=False),
    Column("source", String(500), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
    UniqueConstraint("workflow_id", "version"),
    UniqueConstraint("workflow_id", "sha256"),
)

#: The projection: one row per participant with the current step (kept in step with the events).
participants = Table(
    "participants",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ref", String(100), nullable=True),
    Column("workflow_id", String(64), nullable=False),
    Column("workflow_version", Integer, nullable=False),
    Column("step", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attributes", JsonDocument, nullable=False),
    Column("enrolled_at", UtcDateTime, nullable=False),
    Column("last_step_change_at", UtcDateTime, nullable=True),
    Column("exited_at", UtcDateTime, nullable=True),
    Column("exit_reason", String(64), nullable=True),
    # the same two moments as Swedish local dates, written by the store (see pathway.store.repository):
    # reports group and filter by them in SQL
    Column("enrolled_on", Date, nullable=True),
    Column("exited_on", Date, nullable=True),
    Column("last_seq", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    # what guards, pauses and the deadline planner read from the history, folded (domain/folded.py):
    # a head line, then the records' lines unless they outgrew the row (participant_records; see
    # store/repository.py's fold_columns); NULL only on a row written by something other than the
    # unit of work: the repository folds it then
    Column("folded", Text, nullable=True),
    UniqueConstraint("workflow_id", "ref"),
    Index(None, "workflow_id", "status", "step"),
    Index(None, "workflow_id", "enrolled_on"),
    Index(None, "workflow_id", "exited_on"),
)

#: The records folded from a participant's history (consent, plan, placements, interventions,
#: groups; meetings folded before migration 0014), a part a line (domain/stored_records.py), once
#: they outgrow the participant row (store/repository.py: INLINE_RECORDS). They grow with every
#: record; in a row of their own, a command that changes none of them (a note, a step change)
#: leaves them undecoded and unwritten.
participant_records = Table(
    "participant_records",
    metadata,
    Column("participant_id", BigId, ForeignKey("participants.id"), primary_key=True, autoincrement=False),
    Column("parts", Text, nullable=False),
)

#: The participant's meeting records, one row each (a JSON line, domain/stored_records.py's
#: meeting_line), keyed by the seq of the event that recorded the meeting: meetings are the records
#: that grow fastest, so recording one inserts its row instead of rewriting every one before it.
#: The meeting's type and the time it was held (NULL for a no-show) are columns of their own: what
#: deadline anchors read of every meeting, found without parsing the line (migration 0015).
#: Read only by a command that reads meetings (store/meeting_rows.py); rewritten only when a command
#: decodes and changes them (a correction that strikes one, the retention purge).
participant_meetings = Table(
    "participant_meetings",
    metadata,
    Column("participant_id", BigId, ForeignKey("participants.id"), primary_key=True, autoincrement=False),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", Text, nullable=False),
    Column("held_at", Text),  # ISO 8601 in UTC: equal times are equal texts
    Column("line", Text, nullable=False),
    # what deadline anchors read (MeetingRows.held), found in the index alone
    Index(None, "participant_id", "kind", "held_at", "seq"),
)

#: The truth: an append-only history per participant (DESIGN invariant 1).
events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("participant_id", BigId, ForeignKey("participants.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    Column("trigger", String(64), nullable=True),
    Column("from_step", String(64), nullable=True),
    Column("to_step", String(64), nullable=True),
    Column("data", JsonDocument, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("effective_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=True),
    Column("workflow_id", String(64), nullable=False),
    Column("workflow_version", Integer, nullable=False),
    # who acted: the registered user's id and agency (NULL in single-user mode and for older events);
    # the agency is also what secrecy between agencies filters by
    Column("actor_id", Integer, nullable=True),
    Column("actor_agency", String(32), nullable=True),
    UniqueConstraint("participant_id", "seq"),
    Index(None, "workflow_id", "type", "effective_at"),
)

#: Deadlines as rows (DESIGN invariant 4): the check finds due ones through the partial index on
#: ``next_action_at`` (open rows only) and marks them in the same transaction as its events.
deadlines = Table(
    "deadlines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("participant_id", BigId, ForeignKey("participants.id"), nullable=False),
    Column("workflow_id", String(64), nullable=False),
    Column("key", String(200), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("title", String(300), nullable=False),
    Column("step", String(64), nullable=True),
    Column("owner", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("due_date", Date, nullable=True),
    Column("due_at", UtcDateTime, nullable=True),
    Column("actions", JsonDocument, nullable=False),
    Column("progress", Integer, nullable=False),
    Column("level", Integer, nullable=False),
    Column("next_action_at", UtcDateTime, nullable=True),
    Column("met_at", UtcDateTime, nullable=True),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("version", Integer, nullable=False),
    UniqueConstraint("participant_id", "key"),
    # two partial indexes, declared in pathway.store.schema: ix_deadlines_due (next_action_at of open
    # rows) and ix_deadlines_board (due_at of open and paused rows: the coordinator's board)
)

#: Reminders and escalations waiting to be delivered to a sink (outbox file, webhook); written in
#: the check's transaction so a failed delivery is retried, never lost.
notifications = Table(
    "notifications",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("participant_id", BigId, ForeignKey("participants.id"), nullable=False),
    Column("event_seq", Integer, nullable=False),
    Column("sink", String(32), nullable=False),
    Column("payload", JsonDocument, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("delivered_at", UtcDateTime, nullable=True),
    # a partial index, declared in pathway.store.schema: ix_notifications_pending (pending rows' next_attempt_at)
)

#: Events struck by a correction (``corrected`` events name them in ``data.corrects``): a projection
#: written in the same transaction, so reports leave struck events out with an indexed anti-join.
#: The events themselves are never updated.
struck_events = Table(
    "struck_events",
    metadata,
    Column("participant_id", BigId, ForeignKey("participants.id"), primary_key=True, autoincrement=False),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("corrected_by_seq", Integer, nullable=False),
)


def event_row(event: Event) -> dict[str, object]:
    """The events-table row of an event (every column the event has a field for; the id is the database's)."""
    return {name: getattr(event, name) for name in EVENT_COLUMNS}


def event_from_row(row: Mapping[Any, Any]) -> Event:
    """An event read back from its row."""
    return Event(**{name: row[name] for name in EVENT_COLUMNS}, id=row["id"])


#: Events are append-only: written with one batched INSERT and read as plain objects — no identity
#: map, no change tracking. (Participants and deadlines are plain objects too, read and written by
#: their repositories: pathway.store.repository, pathway.store.deadline_repository.)
EVENT_COLUMNS = tuple(c.key for c in events.c if c.key != "id" and c.key in Event.__dataclass_fields__)


#: Personal identity, kept apart (DESIGN invariant 7): the only place a personal identity number is
#: stored, referenced by the participant's internal id. Events, reports and exports never read it.
#: ``kind`` is personnummer, samordningsnummer, or anonymous (no consent to registration, or
#: protected identity: no number, and nothing but gender and the start year recorded).
#: No row: enrolled without either (the number may be unknown).
#: The number is never stored in plain text (see :mod:`pathway.store.identity_crypto`):
#: ``personnummer_enc`` is a Fernet token, ``personnummer_hash`` a keyed hash (HMAC-SHA256) that
#: finds the same person again.
identities = Table(
    "identities",
    metadata,
    Column("participant_id", BigId, ForeignKey("participants.id"), primary_key=True, autoincrement=False),
    Column("kind", String(20), nullable=False),
    Column("personnummer_enc", Text, nullable=True),
    Column("personnummer_hash", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(
        "(kind = 'anonymous' AND personnummer_enc IS NULL AND personnummer_hash IS NULL) OR "
        "(kind IN ('personnummer', 'samordningsnummer') AND personnummer_enc IS NOT NULL "
        "AND personnummer_hash IS NOT NULL) OR "
        "(kind = 'pseudonymised' AND personnummer_enc IS NULL AND personnummer_hash IS NOT NULL)",
        name="ck_identities_kind_number",
    ),
    Index(None, "personnummer_hash"),
)


#: The people who use pathway (see :mod:`pathway.domain.users`); ``roles`` and ``workflows`` are
#: JSON lists. While this table is empty the database is in single-user mode.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("login", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("agency", String(32), nullable=False),
    Column("roles", JsonDocument, nullable=False),
    Column("workflows", JsonDocument, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    #: the value of the identity provider's claim (pathway.toml: oidc_claim) that signs this user in
    #: through single sign-on, when it differs from the login ('pathway user sso LOGIN SUBJECT')
    Column("sso_subject", String(255), nullable=True, unique=True),
)

#: Every change to a user (added, updated, disabled), by whom: the audit of user administration.
user_changes = Table(
    "user_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("change", String(16), nullable=False),
    Column("data", JsonDocument, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Index(None, "user_id"),
)

#: Case ownership: the responsible caseworker (slot ``responsible``, huvudansvarig handläggare)
#: and a named contact per agency (slot = the agency code) of each participant.
assignments = Table(
    "assignments",
    metadata,
    Column("participant_id", BigId, ForeignKey("participants.id"), primary_key=True, autoincrement=False),
    Column("slot", String(32), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("assigned_at", UtcDateTime, nullable=False),
    Index(None, "user_id", "slot"),
)

#: The access log (loggkontroll): one row per read of a participant's data, and one per report.
#: Apart from the event history; never holds a personnummer or a name, only internal ids.
access_log = Table(
    "access_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("user_id", Integer, nullable=True),
    Column("login", String(100), nullable=False),
    Column("agency", String(32), nullable=True),
    Column("participant_id", BigId, nullable=True),
    Column("workflow_id", String(64), nullable=True),
    Column("what", String(64), nullable=False),
    Column("purpose", Text, nullable=True),
    Index(None, "participant_id", "at"),
    Index(None, "login", "at"),
)


#: Every purge of personal data (gallring, :mod:`pathway.services.retention`): who, when, under which
#: limit, and what kinds of data were removed — never the data itself. One row per participant.
retention_log = Table(
    "retention_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("participant_id", BigId, nullable=False),
    Column("workflow_id", String(64), nullable=False),
    Column("purged_at", UtcDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("limit_date", Date, nullable=False),
    Column("last_entry_at", UtcDateTime, nullable=False),
    Column("removed", JsonDocument, nullable=False),
    UniqueConstraint("participant_id"),
)


# -- the web app's sign-in state (``pathway serve``); in the database, so every worker sees it --

#: Argon2 hashes of local passwords, one per user who may sign in with a password.
user_passwords = Table(
    "user_passwords",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True, autoincrement=False),
    Column("hash", Text, nullable=False),
    Column("set_at", UtcDateTime, nullable=False),
)

#: Server-side web sessions: the cookie holds a random value, the row its SHA-256 digest; ended at
#: logout or by an administrator, and refused after the idle and absolute time-outs.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Index(None, "user_id"),
)

#: Failed logins per login name (known or not): after too many, each try waits (brute force).
login_failures = Table(
    "login_failures",
    metadata,
    Column("login", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", UtcDateTime, nullable=False),
    Column("wait_until", UtcDateTime, nullable=True),
)

#: API tokens for integrations: only the SHA-256 digest is kept; revocable.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
)


#: Groups (Kraft's motivation group, Örebro's language groups of eight): a group works in one step of
#: one workflow; ``capacity`` is at most the step's ``group_size``. Membership, attendance and moves
#: are events in each member's history; these rows say who is in the group now (``left_at`` null)
#: and which sessions were held, so a capacity check and a move read one group, not every history.
groups = Table(
    "groups",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("workflow_id", String(64), nullable=False),
    Column("step", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("capacity", Integer, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    UniqueConstraint("workflow_id", "name"),
)

group_members = Table(
    "group_members",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("group_id", BigId, ForeignKey("groups.id"), nullable=False),
    Column("participant_id", BigId, ForeignKey("participants.id"), nullable=False),
    Column("joined_at", UtcDateTime, nullable=False),
    Column("left_at", UtcDateTime, nullable=True),
    Index(None, "group_id"),
    Index(None, "participant_id"),
)

group_sessions = Table(
    "group_sessions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("group_id", BigId, ForeignKey("groups.id"), nullable=False),
    Column("held_at", UtcDateTime, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("hours", Float, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Index(None, "group_id"),
)
