"""Alembic environment: runs migrations on the engine handed over by :mod:`pathway.store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pathway.store.schema import metadata  # the tables and their partial indexes

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` command line: take the URL from the ini / -x db=URL
    url = context.get_x_argument(as_dictionary=True).get("db") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the database with -x db=URL or sqlalchemy.url in alembic.ini")
    engine = create_engine(url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
