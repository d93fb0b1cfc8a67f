"""participant_meetings.kind and .held_at, and ix_deadlines_running: what a plan reads (issue 10)

A repeating deadline that waits for meetings (Flen's follow-up meeting every six weeks) reads the
type and the time of every meeting held on each meeting record. Read from each row's JSON line,
that cost grew with the meetings behind it: 200 meetings made a meeting record 2.1x one behind 10
(bench_history.py --grow anchored). The type and the time held (NULL for a no-show) are now
columns of their own, in an index of their own with the participant and the seq: read from the
index alone, no JSON parsed (pathway.store.meeting_rows.MeetingRows.held).

The rows already there are filled from their lines: the same values the repository writes
(pathway.domain.stored_records.meeting_row: the time in UTC, so equal times are equal texts).

Each plan also reads the participant's running deadline rows (open, paused): found through the
unique (participant, key) index, each of its rows was visited, one per met occurrence of a repeating
rule or step limit. A partial index of the running rows finds them alone
(pathway.store.deadline_repository.DeadlineRepository.for_plan).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_BATCH = 1000
_INDEX = 'ix_participant_meetings_participant_id_kind_held_at_seq'
_RUNNING = "status IN ('open', 'paused')"


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
            held_at = None if meeting.get('no_show') else datetime.fromisoformat(meeting['at']).astimezone(timezone.utc)
            values.append({'b_participant_id': participant_id, 'b_seq': seq, 'kind': meeting['type'],
                           'held_at': None if held_at is None else held_at.isoformat()})
        connection.execute(fill, values)
        after = (rows[-1][0], rows[-1][1])
    with op.batch_alter_table('participant_meetings') as batch:  # SQLite copies the table (nothing refers to it)
        batch.alter_column('kind', existing_type=sa.Text(), nullable=False)
        batch.create_index(_INDEX, ['participant_id', 'kind', 'held_at', 'seq'])
    op.create_index('ix_deadlines_running', 'deadlines', ['participant_id'], postgresql_where=sa.text(_RUNNING),
                    sqlite_where=sa.text(_RUNNING))


def downgrade() -> None:
    op.drop_index('ix_deadlines_running', 'deadlines')
    with op.batch_alter_table('participant_meetings') as batch:
        batch.drop_index(_INDEX)
        batch.drop_column('held_at')
        batch.drop_column('kind')
