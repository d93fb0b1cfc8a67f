"""retention: a log of every purge (gallring) and pseudonymised identities

``retention_log`` records that a participant's personal data was removed — when, by whom, under
which limit, and what kinds of data — never the data itself. An identity row of a purged person
keeps no number: ``kind = 'pseudonymised'``, a random pseudonym shared by the person's purged
enrolments in ``personnummer_hash`` (so circulation counts stay reproducible).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_CHECK_0005 = (
    "(kind = 'anonymous' AND personnummer_enc IS NULL AND personnummer_hash IS NULL) OR "
    "(kind IN ('personnummer', 'samordningsnummer') AND personnummer_enc IS NOT NULL "
    "AND personnummer_hash IS NOT NULL)"
)
_CHECK_0007 = _CHECK_0005 + " OR (kind = 'pseudonymised' AND personnummer_enc IS NULL AND personnummer_hash IS NOT NULL)"


def upgrade() -> None:
    op.create_table('retention_log',
    sa.Column('id', _BIG, autoincrement=True, nullable=False),
    sa.Column('participant_id', _BIG, nullable=False),
    sa.Column('workflow_id', sa.String(length=64), nullable=False),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('limit_date', sa.Date(), nullable=False),
    sa.Column('last_entry_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed', _JSON, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_log')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_retention_log_participant_id'))
    )
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_constraint('ck_identities_kind_number', type_='check')
        batch_op.create_check_constraint('ck_identities_kind_number', _CHECK_0007)


def downgrade() -> None:
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_constraint('ck_identities_kind_number', type_='check')
        batch_op.create_check_constraint('ck_identities_kind_number', _CHECK_0005)
    op.drop_table('retention_log')
