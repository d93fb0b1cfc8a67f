"""Column types (and one aggregate function) that behave the same on SQLite and PostgreSQL.

PostgreSQL's JSONB is imported where a PostgreSQL dialect asks for the column's type, not at the top:
``sqlalchemy.dialects.postgresql`` loads the whole dialect (its compiler, catalog, every driver's
module; ~30 ms), which a command on the SQLite database would pay at start-up for nothing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator


#: 64-bit keys on PostgreSQL; SQLite only auto-increments a plain INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


#: SQLAlchemy's storage format of SQLite's DATETIME (the default; another one keeps the general path)
_SQLITE_DATETIME = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out — on SQLite too, which has no time zones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite, :meth:`process_bind_param` and SQLite's text form in one step: the UTC time
        as ``YYYY-MM-DD HH:MM:SS.ffffff``, the text SQLAlchemy's DATETIME formats field by field
        (a write sends two or three of these a row; tests/unit/test_store_types.py holds them equal)."""
        if dialect.name != "sqlite" or getattr(self.impl.dialect_impl(dialect), "_storage_format", None) \
                != _SQLITE_DATETIME:
            return super().bind_processor(dialect)
        utc = timezone.utc

        def process(value: Any) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the store; use an aware datetime")
            return value.astimezone(utc).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _json_for(dialect: Dialect) -> Any:
    """JSONB on PostgreSQL (indexable), JSON text elsewhere."""
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB  # here, not at the top: see the module's docstring

        return dialect.type_descriptor(JSONB())
    return dialect.type_descriptor(JSON())


class JsonDocument(TypeDecorator[Any]):
    """A JSON document: JSONB on PostgreSQL (indexable), JSON text on SQLite.

    Expressions on it are JSON's (``column["key"].as_string()``, paths), the same on both."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return _json_for(dialect)


class joined_lines(FunctionElement[str]):  # noqa: N801 (a SQL function, named as one)
    """``joined_lines(text)``: an aggregate of the text values joined by line breaks (SQLite's
    ``group_concat``, PostgreSQL's ``string_agg``), in no particular order. SQLAlchemy's
    ``aggregate_strings`` does the same but carries its separator as a value rendered at each
    execution, which statements compiled once (store/statements.py) cannot take."""

    type = Text()
    inherit_cache = True
    name = "joined_lines"


@compiles(joined_lines, "sqlite")
def _joined_lines_sqlite(element: joined_lines, compiler: Any, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, char(10))"


@compiles(joined_lines, "postgresql")
def _joined_lines_postgresql(element: joined_lines, compiler: Any, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, chr(10))"
