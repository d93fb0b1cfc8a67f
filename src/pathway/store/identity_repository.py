"""The identity table: the one place a personal identity number is written (DESIGN invariant 7).

Nothing here is mapped onto a domain class: services hand over plain values and get back the
kind and whether a person is already enrolled, never a number they did not give.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from pathway.domain import ParticipantStatus
from pathway.store.tables import identities, participants

#: Namespace for the PostgreSQL advisory locks taken per person (first 32 bits of the key).
_LOCK_NAMESPACE = 0x7A7E


class IdentityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, participant_id: int, kind: str, personnummer: str | None, created_at: datetime) -> None:
        self.session.execute(insert(identities).values(
            participant_id=participant_id, kind=kind, personnummer=personnummer, created_at=created_at,
        ))

    def kind_of(self, participant_id: int) -> str | None:
        """personnummer, samordningsnummer, anonymous — or None when no identity was recorded."""
        query = select(identities.c.kind).where(identities.c.participant_id == participant_id)
        return self.session.scalar(query)

    def number_of(self, participant_id: int) -> str | None:
        """The participant's personnummer or samordningsnummer (12 digits), if one was given."""
        query = select(identities.c.personnummer).where(identities.c.participant_id == participant_id)
        return self.session.scalar(query)

    def lock_person(self, personnummer: str) -> None:
        """Serialise enrolments of one person until this transaction ends.

        PostgreSQL: a transaction-level advisory lock keyed by a hash of the number, so two
        caseworkers enrolling the same person at the same moment cannot both pass the duplicate
        check. SQLite: the transaction already holds the write lock (``BEGIN IMMEDIATE``).
        """
        if self.session.get_bind().dialect.name != "postgresql":
            return
        key = int.from_bytes(hashlib.sha256(personnummer.encode()).digest()[:4], "big", signed=True)
        self.session.execute(select(func.pg_advisory_xact_lock(_LOCK_NAMESPACE, key)))

    def open_enrolments(self, personnummer: str, workflow_id: str) -> list[int]:
        """Ids of the person's participants in ``workflow_id`` that have not exited."""
        query = (
            select(participants.c.id)
            .join(identities, identities.c.participant_id == participants.c.id)
            .where(identities.c.personnummer == personnummer,
                   participants.c.workflow_id == workflow_id,
                   participants.c.status == ParticipantStatus.OPEN.value)
            .order_by(participants.c.id)
        )
        return list(self.session.scalars(query))
