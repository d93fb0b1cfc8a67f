"""participants: enrolment and exit as Swedish local dates, for reports

Reports group and filter by the day a caseworker would name (Europe/Stockholm), which a database
cannot derive from a UTC timestamp on SQLite; the store writes these with every projection change.
Existing rows are filled in here from their timestamps.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from datetime import timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _local_date(moment):  # type: ignore[no-untyped-def]
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite hands back text in a raw query
        from datetime import datetime
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(_STOCKHOLM).date()


def upgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolled_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('exited_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_participants_workflow_id_enrolled_on'), ['workflow_id', 'enrolled_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_participants_workflow_id_exited_on'), ['workflow_id', 'exited_on'], unique=False)
    participants = sa.table('participants', sa.column('id', sa.Integer), sa.column('enrolled_at', sa.DateTime),
                            sa.column('exited_at', sa.DateTime), sa.column('enrolled_on', sa.Date),
                            sa.column('exited_on', sa.Date))
    bind = op.get_bind()
    rows = bind.execute(sa.select(participants.c.id, participants.c.enrolled_at, participants.c.exited_at)).all()
    if rows:
        bind.execute(
            participants.update().where(participants.c.id == sa.bindparam('pid')).values(
                enrolled_on=sa.bindparam('on'), exited_on=sa.bindparam('off')),
            [{'pid': r.id, 'on': _local_date(r.enrolled_at), 'off': _local_date(r.exited_at)} for r in rows],
        )


def downgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participants_workflow_id_exited_on'))
        batch_op.drop_index(batch_op.f('ix_participants_workflow_id_enrolled_on'))
        batch_op.drop_column('exited_on')
        batch_op.drop_column('enrolled_on')
