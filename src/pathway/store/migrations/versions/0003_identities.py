"""identities: personal identity numbers kept apart from the history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('identities',
    sa.Column('participant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('personnummer', sa.String(length=12), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'anonymous' AND personnummer IS NULL) OR (kind IN ('personnummer', 'samordningsnummer') AND personnummer IS NOT NULL)", name='ck_identities_kind_number'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_identities_participant_id_participants')),
    sa.PrimaryKeyConstraint('participant_id', name=op.f('pk_identities'))
    )
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identities_personnummer'), ['personnummer'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identities_personnummer'))

    op.drop_table('identities')
