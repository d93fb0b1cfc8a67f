"""identities: the personal identity number encrypted, with a keyed hash for look-ups

The plain ``personnummer`` column is replaced by ``personnummer_enc`` (a Fernet token) and
``personnummer_hash`` (HMAC-SHA256), see :mod:`pathway.store.identity_crypto`. Existing numbers are
encrypted here with the configured identity key; a database holding numbers and no key configured
is not upgraded (nothing is left in plain text, nothing is lost).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_NEW_CHECK = (
    "(kind = 'anonymous' AND personnummer_enc IS NULL AND personnummer_hash IS NULL) OR "
    "(kind IN ('personnummer', 'samordningsnummer') AND personnummer_enc IS NOT NULL "
    "AND personnummer_hash IS NOT NULL)"
)
_OLD_CHECK = (
    "(kind = 'anonymous' AND personnummer IS NULL) OR "
    "(kind IN ('personnummer', 'samordningsnummer') AND personnummer IS NOT NULL)"
)


def _keys(count: int, what: str):  # type: ignore[no-untyped-def]
    from pathway.store.identity_crypto import IdentityKeyMissing

    keys = context.config.attributes.get("identity_keys")
    if keys is None and count:
        raise IdentityKeyMissing(f"the identities table holds {count} personal identity number(s) to {what}")
    return keys


def upgrade() -> None:
    bind = op.get_bind()
    table = sa.table('identities', sa.column('participant_id'), sa.column('personnummer'),
                     sa.column('personnummer_enc'), sa.column('personnummer_hash'))
    rows = bind.execute(sa.select(table.c.participant_id, table.c.personnummer)
                        .where(table.c.personnummer.is_not(None))).all()
    keys = _keys(len(rows), "encrypt")  # before any change: without a key nothing is touched

    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personnummer_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('personnummer_hash', sa.String(length=64), nullable=True))

    for participant_id, number in rows:
        bind.execute(table.update().where(table.c.participant_id == participant_id).values(
            personnummer_enc=keys.encrypt(number), personnummer_hash=keys.lookup_hash(number)))

    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identities_personnummer'))
        batch_op.drop_constraint('ck_identities_kind_number', type_='check')
        batch_op.drop_column('personnummer')
        batch_op.create_check_constraint('ck_identities_kind_number', _NEW_CHECK)
        batch_op.create_index(batch_op.f('ix_identities_personnummer_hash'), ['personnummer_hash'], unique=False)


def downgrade() -> None:
    bind = op.get_bind()
    table = sa.table('identities', sa.column('participant_id'), sa.column('personnummer'),
                     sa.column('personnummer_enc'))
    rows = bind.execute(sa.select(table.c.participant_id, table.c.personnummer_enc)
                        .where(table.c.personnummer_enc.is_not(None))).all()
    keys = _keys(len(rows), "decrypt")

    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personnummer', sa.String(length=12), nullable=True))

    for participant_id, token in rows:
        bind.execute(table.update().where(table.c.participant_id == participant_id).values(
            personnummer=keys.decrypt(token, participant_id)))

    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identities_personnummer_hash'))
        batch_op.drop_constraint('ck_identities_kind_number', type_='check')
        batch_op.drop_column('personnummer_hash')
        batch_op.drop_column('personnummer_enc')
        batch_op.create_check_constraint('ck_identities_kind_number', _OLD_CHECK)
        batch_op.create_index(batch_op.f('ix_identities_personnummer'), ['personnummer'], unique=False)
