"""participant_meetings.kind and .held_at: what deadline anchors read of a meeting (issue 10)

A repeating deadline that waits for meetings (Flen's follow-up meeting every six weeks) reads the
type and the time of every meeting held on each meeting record. Read from each row's JSON line,
that cost grew with the meetings behind it: 200 meetings made a meeting record 2.1x one behind 10
(bench_history.py --grow anchored). The type and the time held (NULL for a no-show) are now
columns of their own, read with the participant row beside the line
(pathway.store.meeting_rows.MEETING_ROWS), and found without parsing any JSON.

The rows already there are filled from their lines: the same values the repository writes
(pathway.domain.stored_records.meeting_row).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    op.add_column('participant_meetings', sa.Column('kind', sa.Text(), nullable=True))
    op.add_column('participant_meetings', sa.Column('held_at', sa.Text(), nullable=True))
    connection = op.get_bind()
    table = sa.table('participant_meetings', sa.column('participant_id'), sa.column('seq'),
                     sa.column('line'), sa.column('kind'), sa.column('held_at'))
    fill = (sa.update(table)
            .where(table.c.participant_id == sa.bindparam('b_participant_id'), table.c.seq == sa.bindparam('b_seq'))
            .values(kind=sa.bindparam('kind'), held_at=sa.bindparam('held_at')))
    after = (0, 0)
    while True:  # a batch at a time, in key order: never every row in memory at once
        rows = connection.execute(
            sa.select(table.c.participant_id, table.c.seq, table.c.line)
            .where(sa.tuple_(table.c.participant_id, table.c.seq) > sa.tuple_(*after))
            .order_by(table.c.participant_id, table.c.seq).limit(_BATCH)).all()
        if not rows:
            break
        values = []
        for participant_id, seq, line in rows:
            meeting = json.loads(line)
            values.append({'b_participant_id': participant_id, 'b_seq': seq, 'kind': meeting['type'],
                           'held_at': None if meeting.get('no_show') else meeting['at']})
        connection.execute(fill, values)
        after = (rows[-1][0], rows[-1][1])
    with op.batch_alter_table('participant_meetings') as batch:  # SQLite copies the table (nothing refers to it)
        batch.alter_column('kind', existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('participant_meetings') as batch:
        batch.drop_column('held_at')
        batch.drop_column('kind')
