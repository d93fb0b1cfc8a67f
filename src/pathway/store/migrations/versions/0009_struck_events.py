"""struck_events: which events a correction struck, for reports to leave out

The events themselves are never updated (DESIGN invariant 1): a ``corrected`` event names the
events it corrects, and this projection of those names (written in the same transaction) lets a
report leave struck events out with an indexed anti-join.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'struck_events',
        sa.Column('participant_id', BigId, sa.ForeignKey('participants.id',
                  name='fk_struck_events_participant_id_participants'), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('corrected_by_seq', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('participant_id', 'seq', name='pk_struck_events'),
    )


def downgrade() -> None:
    op.drop_table('struck_events')
