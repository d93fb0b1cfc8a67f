"""Identity numbers at rest: encrypted with the configured key, found by keyed hash, rotated, migrated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text

from pathway.clock import FixedClock
from pathway.domain.identity import luhn_check_digit
from pathway.services.context import ServiceContext
from pathway.services.identity import PersonAlreadyEnrolled, rotate_key
from pathway.services.participants import enrol, set_attributes
from pathway.services.catalog import WorkflowCatalog
from pathway.store import SqlUnitOfWork
from pathway.store.identity_crypto import IdentityKeyMissing, IdentityKeys, IdentityUnreadable
from pathway.store.migrate import _config, current_revision, upgrade
from pathway.store.tables import identities
from tests.keys import OTHER_IDENTITY_KEY, TEST_IDENTITY_KEY, TEST_KEYS

from .conftest import snapshot

NUMBER = "850402384" + str(luhn_check_digit("850402384"))
NUMBER_12 = "19" + NUMBER


def context_with(engine: Engine, workflows: Path, clock: FixedClock, keys: IdentityKeys | None) -> ServiceContext:
    return ServiceContext(uow=lambda: SqlUnitOfWork(engine, keys), catalog=WorkflowCatalog(workflows, clock),
                          clock=clock, actor="anna")


def stored(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(identities).order_by(identities.c.participant_id))]


def test_the_number_is_stored_only_encrypted(ctx: ServiceContext, engine: Engine) -> None:
    """No column of the identity row holds the number in any form; the token decrypts to it with the key."""
    pid, _ = enrol(ctx, "demo", personnummer=NUMBER)
    (row,) = stored(engine)
    shown = " ".join(str(v) for v in row)
    for form in (NUMBER_12, NUMBER, NUMBER_12[:8], f"{NUMBER[:6]}-{NUMBER[6:]}"):
        assert form not in shown
    with engine.connect() as conn:
        token, hashed = conn.execute(select(identities.c.personnummer_enc, identities.c.personnummer_hash)).one()
    assert TEST_KEYS.decrypt(token) == NUMBER_12 and hashed == TEST_KEYS.lookup_hash(NUMBER_12)
    assert row[0] == pid


def test_without_a_key_a_number_is_refused_and_nothing_written(engine: Engine, workflows: Path,
                                                                clock: FixedClock) -> None:
    """The key's absence is a clear error naming the setting, never plain-text storage; a number-less enrolment still works."""
    keyless = context_with(engine, workflows, clock, None)
    enrol(keyless, "demo")  # no number: no key needed
    before = snapshot(engine)
    with pytest.raises(IdentityKeyMissing, match="PATHWAY_IDENTITY_KEY"):
        enrol(keyless, "demo", personnummer=NUMBER)
    assert snapshot(engine) == before


def test_a_wrong_key_cannot_read_and_says_how_to_rotate(ctx: ServiceContext, engine: Engine, workflows: Path,
                                                        clock: FixedClock) -> None:
    """A number encrypted under another key is refused as unreadable, not silently treated as absent."""
    pid, _ = enrol(ctx, "demo", personnummer=NUMBER)
    other = context_with(engine, workflows, clock, IdentityKeys(OTHER_IDENTITY_KEY))
    with pytest.raises(IdentityUnreadable, match="PATHWAY_IDENTITY_OLD_KEYS"):
        with other.uow() as uow:
            uow.identities.number_of(pid)


def test_rotation_reencrypts_every_number_and_keeps_duplicates_found(ctx: ServiceContext, engine: Engine,
                                                                     workflows: Path, clock: FixedClock) -> None:
    """Between the key change and the rotation the old key still finds the person; after it, only the new key is needed."""
    pid, _ = enrol(ctx, "demo", personnummer=NUMBER)
    enrol(ctx, "demo")
    changing = context_with(engine, workflows, clock, IdentityKeys(OTHER_IDENTITY_KEY, (TEST_IDENTITY_KEY,)))
    with pytest.raises(PersonAlreadyEnrolled):  # found through the old key's hash
        enrol(changing, "demo", personnummer=NUMBER)
    before = stored(engine)
    assert rotate_key(changing) == 1
    after = stored(engine)
    assert before[0][2] != after[0][2] and before[0][3] != after[0][3]
    new_only = context_with(engine, workflows, clock, IdentityKeys(OTHER_IDENTITY_KEY))
    with new_only.uow() as uow:
        assert uow.identities.number_of(pid) == NUMBER_12
        assert uow.identities.participants_of(NUMBER_12) == [pid]
    with pytest.raises(IdentityUnreadable):
        with ctx.uow() as uow:  # the old key alone no longer reads it
            uow.identities.number_of(pid)


def test_rotation_without_the_old_key_writes_nothing(ctx: ServiceContext, engine: Engine, workflows: Path,
                                                     clock: FixedClock) -> None:
    """A rotation that cannot read a row stops before writing any."""
    enrol(ctx, "demo", personnummer=NUMBER)
    before = snapshot(engine)
    with pytest.raises(IdentityUnreadable):
        rotate_key(context_with(engine, workflows, clock, IdentityKeys(OTHER_IDENTITY_KEY)))
    assert snapshot(engine) == before


def test_participant_set_reads_the_number_through_the_key(ctx: ServiceContext) -> None:
    """The contradiction check of 'participant set' decrypts the number (the key is used for reading too)."""
    pid, _ = enrol(ctx, "demo", personnummer=NUMBER)
    with pytest.raises(Exception, match="contradicts"):
        set_attributes(ctx, pid, {"gender": "male"})


def _plain_rows_at_0004(engine: Engine) -> None:
    upgrade(engine, "0004")
    now = datetime(2026, 3, 2, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO participants (id, ref, workflow_id, workflow_version, step, status, attributes, "
            "enrolled_at, last_seq, version) VALUES (1, 'A', 'demo', 1, 'referral', 'open', '{}', :now, 1, 1), "
            "(2, 'B', 'demo', 1, 'referral', 'open', '{}', :now, 1, 1)"), {"now": now})
        conn.execute(text(
            "INSERT INTO identities (participant_id, kind, personnummer, created_at) VALUES "
            "(1, 'personnummer', :n, :now), (2, 'anonymous', NULL, :now)"), {"n": NUMBER_12, "now": now})


def test_the_migration_encrypts_existing_numbers(new_engine: Callable[[], Engine]) -> None:
    """Upgrading a database with plain numbers encrypts them with the key and drops the plain column."""
    engine = new_engine()
    _plain_rows_at_0004(engine)
    upgrade(engine, identity_keys=TEST_KEYS)
    assert "personnummer" not in {c["name"] for c in inspect(engine).get_columns("identities")}
    rows = stored(engine)
    assert [(r[0], r[1]) for r in rows] == [(1, "personnummer"), (2, "anonymous")]
    assert TEST_KEYS.decrypt(rows[0][2]) == NUMBER_12 and rows[0][3] == TEST_KEYS.lookup_hash(NUMBER_12)
    assert rows[1][2] is None and rows[1][3] is None
    with SqlUnitOfWork(engine, TEST_KEYS) as uow:
        assert uow.identities.participants_of(NUMBER_12) == [1]
    command.downgrade(_config(engine, TEST_KEYS), "0004")  # and back: the plain number again
    with engine.connect() as conn:
        assert conn.execute(text("SELECT personnummer FROM identities ORDER BY participant_id")).scalars().all() == [NUMBER_12, None]


def test_the_migration_without_a_key_refuses_and_changes_nothing(new_engine: Callable[[], Engine]) -> None:
    """Numbers in the table and no key: the upgrade stops at 0004 with the plain rows untouched."""
    engine = new_engine()
    _plain_rows_at_0004(engine)
    with pytest.raises(IdentityKeyMissing, match="holds 1 personal identity number"):
        upgrade(engine)
    assert current_revision(engine) == "0004"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT personnummer FROM identities ORDER BY participant_id")).scalars().all() == [NUMBER_12, None]
