"""groups: a group in a group step, its members now, its sessions (attendance is in the histories)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('groups',
    sa.Column('id', _BIG, autoincrement=True, nullable=False),
    sa.Column('workflow_id', sa.String(length=64), nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('workflow_id', 'name', name=op.f('uq_groups_workflow_id_name')),
    )
    op.create_table('group_members',
    sa.Column('id', _BIG, autoincrement=True, nullable=False),
    sa.Column('group_id', _BIG, nullable=False),
    sa.Column('participant_id', _BIG, nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_members_group_id_groups')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'],
                            name=op.f('fk_group_members_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_members')),
    )
    op.create_index(op.f('ix_group_members_group_id'), 'group_members', ['group_id'])
    op.create_index(op.f('ix_group_members_participant_id'), 'group_members', ['participant_id'])
    op.create_table('group_sessions',
    sa.Column('id', _BIG, autoincrement=True, nullable=False),
    sa.Column('group_id', _BIG, nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_sessions_group_id_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_sessions')),
    )
    op.create_index(op.f('ix_group_sessions_group_id'), 'group_sessions', ['group_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_group_sessions_group_id'), table_name='group_sessions')
    op.drop_table('group_sessions')
    op.drop_index(op.f('ix_group_members_participant_id'), table_name='group_members')
    op.drop_index(op.f('ix_group_members_group_id'), table_name='group_members')
    op.drop_table('group_members')
    op.drop_table('groups')
