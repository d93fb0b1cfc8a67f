"""single sign-on: users.sso_subject (the identity provider's claim value that signs a user in);
web_sessions.flash dropped (the one-time message after a post rides on a signed cookie instead)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('sso_subject', sa.String(length=255), nullable=True))
        batch.create_unique_constraint(op.f('uq_users_sso_subject'), ['sso_subject'])
    with op.batch_alter_table('web_sessions') as batch:
        batch.drop_column('flash')


def downgrade() -> None:
    with op.batch_alter_table('web_sessions') as batch:
        batch.add_column(sa.Column('flash', sa.Text(), nullable=True))
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(op.f('uq_users_sso_subject'), type_='unique')
        batch.drop_column('sso_subject')
