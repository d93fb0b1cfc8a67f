"""participants.folded: the folded history a transition reads, kept on the row (issue 10)

Guards (consent, meetings, placements), pauses and the deadline planner read a fold of the
participant's history; keeping it on the participant row (written with every event by the one
projection, ``Participant.apply``) lets a transition read the row instead of the whole history.
Existing participants are back-filled by folding their stored histories.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

#: participants folded per round trip while back-filling (bounded memory on a large database)
BATCH = 500


def upgrade() -> None:
    bind = op.get_bind()
    document = JSONB() if bind.dialect.name == 'postgresql' else sa.JSON()
    op.add_column('participants', sa.Column('folded', document, nullable=True))
    _backfill(bind, document)


def _backfill(bind: sa.Connection, document: Any) -> None:
    # the domain's own fold, so the back-filled state is exactly what recording would have written
    from pathway.domain import Event
    from pathway.domain.folded import Folded
    from pathway.store.types import JsonDocument, UtcDateTime

    participants = sa.table('participants', sa.column('id', sa.BigInteger()), sa.column('folded', document))
    # the columns as they are at this revision (a later migration may add others)
    events = sa.table('events', sa.column('participant_id', sa.BigInteger()), sa.column('seq', sa.Integer()),
                      sa.column('type', sa.String()), sa.column('effective_at', UtcDateTime()),
                      sa.column('recorded_at', UtcDateTime()), sa.column('actor', sa.String()),
                      sa.column('workflow_id', sa.String()), sa.column('workflow_version', sa.Integer()),
                      sa.column('trigger', sa.String()), sa.column('from_step', sa.String()),
                      sa.column('to_step', sa.String()), sa.column('data', JsonDocument))
    last = 0
    while True:
        ids = list(bind.execute(sa.select(participants.c.id).where(participants.c.id > last)
                                .order_by(participants.c.id).limit(BATCH)).scalars())
        if not ids:
            return
        histories: dict[int, list[Any]] = {pid: [] for pid in ids}
        rows = bind.execute(sa.select(events).where(events.c.participant_id.in_(ids))
                            .order_by(events.c.participant_id, events.c.seq)).mappings()
        for row in rows:
            histories[row['participant_id']].append(Event(**{k: v for k, v in row.items()}))
        bind.execute(sa.update(participants).where(participants.c.id == sa.bindparam('pid'))
                     .values(folded=sa.bindparam('state', type_=document)),
                     [{'pid': pid, 'state': Folded.rebuild(history).to_json()} for pid, history in histories.items()])
        last = ids[-1]


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite >= 3.35): a batch copy of the table would trip the foreign keys
    # of the events, deadlines … that point at existing participants
    op.execute('ALTER TABLE participants DROP COLUMN folded')
