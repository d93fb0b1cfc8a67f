"""participants.folded as text, and the records folded beside it in participant_records (issue 10)

The folded history was one JSON document (JSONB on PostgreSQL), parsed whole whenever the row was
read and written whole whenever anything in it changed: a participant's every meeting, plan item,
placement follow-up and consent made each command dearer (a note behind 200 meetings: 3.7× one
behind 10). Now the participant row holds a head line (the marks, the counters) and the records,
one line per part (pathway.domain.stored_records), and once those outgrow the row they move to a
participant_records row of their own: a command decodes only the parts it reads, and one that changes
no record does not write them.

The rows keep their document as it was, as text in ``folded``; it is read as before, and written as
lines by the next command that changes the fold. A new column takes the text, the old
one is dropped, and the new one takes its name: the same on both databases (SQLite >= 3.35 drops and
renames a column in place; a batch copy of the table would trip the foreign keys pointing at it).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    _retype('TEXT', 'CAST(folded AS TEXT)')
    big_id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table(
        'participant_records',
        sa.Column('participant_id', big_id, sa.ForeignKey('participants.id'), primary_key=True, autoincrement=False),
        sa.Column('parts', sa.Text(), nullable=False),
    )


def downgrade() -> None:
    # a fold already written as lines is no JSON document: it goes back as NULL, and
    # the repository folds such a row again from its history when it reads it (as before 0012)
    op.drop_table('participant_records')
    postgresql = op.get_bind().dialect.name == 'postgresql'
    kept = 'CAST(folded AS JSONB)' if postgresql else 'folded'
    # ('_' for the ':' after "v": a colon would read as a bind parameter)
    _retype('JSONB' if postgresql else 'JSON', f"""CASE WHEN folded LIKE '{{"v"_2,%' THEN NULL ELSE {kept} END""")


def _retype(column_type: str, value: str) -> None:
    op.execute(f'ALTER TABLE participants ADD COLUMN folded_new {column_type}')
    op.execute(f'UPDATE participants SET folded_new = {value}')
    op.execute('ALTER TABLE participants DROP COLUMN folded')
    op.execute('ALTER TABLE participants RENAME COLUMN folded_new TO folded')
