"""people and access: users, their audited changes, case ownership, the access log, who acted

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('roles', _JSON, nullable=False),
    sa.Column('workflows', _JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('login', name=op.f('uq_users_login'))
    )
    op.create_table('user_changes',
    sa.Column('id', _BIG, autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=16), nullable=False),
    sa.Column('data', _JSON, nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_changes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_changes'))
    )
    with op.batch_alter_table('user_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_changes_user_id'), ['user_id'], unique=False)
    op.create_table('assignments',
    sa.Column('participant_id', _BIG, autoincrement=False, nullable=False),
    sa.Column('slot', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_assignments_participant_id_participants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignments_user_id_users')),
    sa.PrimaryKeyConstraint('participant_id', 'slot', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_user_id_slot'), ['user_id', 'slot'], unique=False)
    op.create_table('access_log',
    sa.Column('id', _BIG, autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('login', sa.String(length=100), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=True),
    sa.Column('participant_id', _BIG, nullable=True),
    sa.Column('workflow_id', sa.String(length=64), nullable=True),
    sa.Column('what', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_log_participant_id_at'), ['participant_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_log_login_at'), ['login', 'at'], unique=False)
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('actor_agency', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('actor_agency')
        batch_op.drop_column('actor_id')
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_log_login_at'))
        batch_op.drop_index(batch_op.f('ix_access_log_participant_id_at'))
    op.drop_table('access_log')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_user_id_slot'))
    op.drop_table('assignments')
    with op.batch_alter_table('user_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_changes_user_id'))
    op.drop_table('user_changes')
    op.drop_table('users')
