"""participant_meetings: a participant's meeting records, one row each (issue 10)

The records folded on a participant (pathway.domain.stored_records) were written whole, as a
participant_records row, whenever one of them changed: recording a meeting behind 200 others
rewrote some 40 KB and cost 1.5x one behind 10. Meetings are the records that grow fastest and a
meeting never changes the ones before it, so each now has a row of its own, keyed by the seq of the
event that recorded it, read with the participant row and inserted alone.

The meetings a row's fold already holds stay in its records' meetings line, read as before with
the rows; the first command that decodes them moves them all to rows (store/repository.py's
write_meetings). Nothing is copied here.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table(
        'participant_meetings',
        sa.Column('participant_id', big_id, sa.ForeignKey('participants.id'), primary_key=True, autoincrement=False),
        sa.Column('seq', sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column('line', sa.Text(), nullable=False),
    )


def downgrade() -> None:
    # a fold whose meetings are (partly) rows goes back as NULL: the repository folds such a row
    # again from its history when it reads it, and writes the meetings into its records' line
    op.execute('UPDATE participants SET folded = NULL WHERE id IN (SELECT participant_id FROM participant_meetings)')
    op.drop_table('participant_meetings')
