"""The identity table: the one place a personal identity number is written (DESIGN invariant 7).

Nothing here is mapped onto a domain class: services hand over plain values and get back the
kind and whether a person is already enrolled, never a number they did not give. Numbers are
encrypted on the way in and found by their keyed hash (:mod:`pathway.store.identity_crypto`); a
repository without keys refuses to store or look up a number (:class:`IdentityKeyMissing`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from pathway.domain import ParticipantStatus
from pathway.store.identity_crypto import IdentityKeyMissing, IdentityKeys
from pathway.store.tables import identities, participants

#: Namespace for the PostgreSQL advisory locks taken per person (first 32 bits of the key).
_LOCK_NAMESPACE = 0x7A7E


class IdentityRepository:
    def __init__(self, connection: Connection, keys: IdentityKeys | None = None) -> None:
        self.connection = connection
        self._key_set = keys

    @property
    def keys(self) -> IdentityKeys:
        if self._key_set is None:
            raise IdentityKeyMissing()
        return self._key_set

    def add(self, participant_id: int, kind: str, personnummer: str | None, created_at: datetime) -> None:
        encrypted = hashed = None
        if personnummer is not None:
            encrypted, hashed = self.keys.encrypt(personnummer), self.keys.lookup_hash(personnummer)
        self.connection.execute(insert(identities).values(
            participant_id=participant_id, kind=kind, personnummer_enc=encrypted,
            personnummer_hash=hashed, created_at=created_at,
        ))

    def kind_of(self, participant_id: int) -> str | None:
        """personnummer, samordningsnummer, anonymous — or None when no identity was recorded."""
        query = select(identities.c.kind).where(identities.c.participant_id == participant_id)
        return self.connection.scalar(query)

    def number_of(self, participant_id: int) -> str | None:
        """The participant's personnummer or samordningsnummer (12 digits), if one was given."""
        query = select(identities.c.personnummer_enc).where(identities.c.participant_id == participant_id)
        token = self.connection.scalar(query)
        return None if token is None else self.keys.decrypt(token, participant_id)

    def participants_of(self, personnummer: str) -> list[int]:
        """Ids of every participant, in any workflow, enrolled with this number (oldest first)."""
        query = (
            select(identities.c.participant_id)
            .where(identities.c.personnummer_hash.in_(self.keys.lookup_hashes(personnummer)))
            .order_by(identities.c.participant_id)
        )
        return list(self.connection.scalars(query))

    def rotate_all(self) -> int:
        """Re-encrypt and re-hash every stored number with the current key; returns how many.

        Every row is read with the current or an old key; one that none can read stops the
        rotation (the caller's transaction then writes nothing).
        """
        keys = self.keys
        rows = self.connection.execute(
            select(identities.c.participant_id, identities.c.personnummer_enc)
            .where(identities.c.personnummer_enc.is_not(None))
            .order_by(identities.c.participant_id)
        ).all()
        for participant_id, token in rows:
            number = keys.decrypt(token, participant_id)
            self.connection.execute(
                update(identities).where(identities.c.participant_id == participant_id)
                .values(personnummer_enc=keys.encrypt(number), personnummer_hash=keys.lookup_hash(number))
            )
        return len(rows)

    def lock_person(self, personnummer: str) -> None:
        """Serialise enrolments of one person until this transaction ends.

        PostgreSQL: a transaction-level advisory lock keyed by a hash of the number, so two
        caseworkers enrolling the same person at the same moment cannot both pass the duplicate
        check. SQLite: the transaction already holds the write lock (``BEGIN IMMEDIATE``).
        """
        if self.connection.dialect.name != "postgresql":
            return
        key = int.from_bytes(hashlib.sha256(personnummer.encode()).digest()[:4], "big", signed=True)
        self.connection.execute(select(func.pg_advisory_xact_lock(_LOCK_NAMESPACE, key)))

    def open_enrolments(self, personnummer: str, workflow_id: str) -> list[int]:
        """Ids of the person's participants in ``workflow_id`` that have not exited."""
        query = (
            select(participants.c.id)
            .join(identities, identities.c.participant_id == participants.c.id)
            .where(identities.c.personnummer_hash.in_(self.keys.lookup_hashes(personnummer)),
                   participants.c.workflow_id == workflow_id,
                   participants.c.status == ParticipantStatus.OPEN.value)
            .order_by(participants.c.id)
        )
        return list(self.connection.scalars(query))
