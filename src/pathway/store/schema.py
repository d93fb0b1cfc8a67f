"""The whole schema, as the migrations build it: :mod:`pathway.store.tables` plus its partial indexes.

Only what compares or creates the schema needs this module (the migrations' environment for
Alembic's autogenerate, the test that the migrated database matches the tables); queries need
:mod:`pathway.store.tables` alone. The partial indexes are declared here because their
``postgresql_where=`` loads SQLAlchemy's whole PostgreSQL dialect (see the docstring of
:mod:`pathway.store.tables`). Declaring an index on a table's columns adds it to that table, and so
to :data:`metadata`: after this import, ``metadata`` is the whole schema.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from pathway.store.tables import deadlines, metadata, notifications

__all__ = ["metadata"]

#: the deadline check finds due deadlines through it (open rows only)
Index("ix_deadlines_due", deadlines.c.next_action_at,
      postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'"))
#: the coordinator's board: running deadlines by due date
Index("ix_deadlines_board", deadlines.c.due_at,
      postgresql_where=text("status IN ('open', 'paused')"), sqlite_where=text("status IN ('open', 'paused')"))
#: a participant's running deadlines: what every command that plans reads of its rows (with the
#: rows of the keys it planned), found without visiting the closed ones (one per met occurrence)
Index("ix_deadlines_running", deadlines.c.participant_id,
      postgresql_where=text("status IN ('open', 'paused')"), sqlite_where=text("status IN ('open', 'paused')"))
#: deliveries waiting for their next attempt
Index("ix_notifications_pending", notifications.c.next_attempt_at,
      postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'"))
