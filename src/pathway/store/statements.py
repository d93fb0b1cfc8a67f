"""Statements of the write path, compiled once per dialect and run on the DB-API cursor.

A transition writes a handful of rows. Through ``Session.execute`` (or ``Connection.execute``) each statement pays SQLAlchemy's
per-execution work — coercion, cache key, compiled-cache lookup, execution context, result set-up —
which measured as most of a transition (bench/README.md, issue 10). Here a Core statement is
compiled by SQLAlchemy once per dialect (its SQL text, its parameters' order, each parameter's and
column's type processors: UTC datetimes, JSON) and then executed on the unit of work's own DB-API
connection, inside its transaction (begun first if the connection has none yet, as Core's
autobegin would), with the parameters processed by those same type processors. What reaches the
database is what ``Connection.execute`` would have sent.

Kept from SQLAlchemy's own execution: ``before_cursor_execute`` listeners are told of every
statement (tests count statements with them), and a driver error is raised as SQLAlchemy's
exception (``IntegrityError``, ``OperationalError`` …) with the parameters hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any] | None
Process = Callable[[Any], Any]


class CompiledStatement:
    """One statement as one dialect runs it."""

    def __init__(self, sql: str, names: tuple[str, ...], binders: tuple[Processor, ...], positional: bool,
                 readers: tuple[Processor, ...], defaults: dict[str, Any]) -> None:
        self.sql = sql
        #: bind parameter names, in the order a positional driver takes them
        self.names = names
        self.positional = positional
        #: parameters the statement carries its own value for (SQLite's ``OFFSET 0`` after a bound LIMIT)
        self.defaults = defaults
        # (position, type processor) of the parameters and selected columns that have one: only
        # those are visited per row (most columns have none)
        self._binding: tuple[tuple[int, Process], ...] = tuple(
            (i, p) for i, p in enumerate(binders) if p is not None)
        self._reading: tuple[tuple[int, Process], ...] = tuple(
            (i, p) for i, p in enumerate(readers) if p is not None)

    def parameters(self, values: Mapping[str, Any]) -> list[Any] | dict[str, Any]:
        if self.defaults:
            values = {**self.defaults, **values}
        processed = [values[name] for name in self.names]
        for i, process in self._binding:
            value = processed[i]
            if value is not None:
                processed[i] = process(value)
        return processed if self.positional else dict(zip(self.names, processed))

    def row(self, raw: Sequence[Any]) -> list[Any]:
        values = list(raw)
        for i, read in self._reading:
            value = values[i]
            if value is not None:
                values[i] = read(value)
        return values


class Prepared:
    """A Core statement and its compiled form per dialect (built on first use)."""

    def __init__(self, statement: ClauseElement, column_keys: Sequence[str] | None = None) -> None:
        """``column_keys``: for an INSERT or UPDATE without ``values()``, the columns it writes
        (each a parameter of the column's name), as SQLAlchemy compiles an executemany."""
        self.statement = statement
        self.column_keys = None if column_keys is None else list(column_keys)
        self._by_dialect: WeakKeyDictionary[Dialect, CompiledStatement] = WeakKeyDictionary()

    def compiled(self, dialect: Dialect) -> CompiledStatement:
        found = self._by_dialect.get(dialect)
        if found is None:
            found = self._by_dialect[dialect] = _compile(self.statement, dialect, self.column_keys)
        return found


def _compile(statement: ClauseElement, dialect: Dialect, column_keys: list[str] | None) -> CompiledStatement:
    compiled: Any = statement.compile(dialect=dialect, column_keys=column_keys)
    names = tuple(compiled.positiontup if compiled.positional else compiled.binds)
    binders = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
    columns = getattr(statement, "exported_columns", ())  # a SELECT's columns, or what RETURNING returns
    readers = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
    defaults = {name: compiled.binds[name].effective_value for name in names
                if compiled.binds[name].value is not None}
    return CompiledStatement(compiled.string, names, binders, bool(compiled.positional), readers, defaults)


def run(connection: Connection, prepared: Prepared, values: Mapping[str, Any]) -> Any:
    """Execute once; returns the DB-API cursor (rows still to fetch, ``rowcount`` set)."""
    compiled = prepared.compiled(connection.dialect)
    return _execute(connection, compiled, compiled.parameters(values), many=False)


def run_many(connection: Connection, prepared: Prepared, values: Iterable[Mapping[str, Any]]) -> int:
    """Execute once per set of values (the driver's executemany); returns the rows it touched."""
    compiled = prepared.compiled(connection.dialect)
    params = [compiled.parameters(v) for v in values]
    if not params:
        return 0
    cursor = _execute(connection, compiled, params, many=True)
    count = cursor.rowcount
    cursor.close()
    return int(count)


def fetch(connection: Connection, prepared: Prepared, values: Mapping[str, Any]) -> list[list[Any]]:
    """Execute a SELECT (or RETURNING) once; its rows with each column's type processed."""
    compiled = prepared.compiled(connection.dialect)
    cursor = _execute(connection, compiled, compiled.parameters(values), many=False)
    rows = [compiled.row(raw) for raw in cursor.fetchall()]
    cursor.close()
    return rows


def run_plain(connection: Connection, sql: str) -> None:
    """Execute a statement with no parameters and no rows (``SAVEPOINT name`` …) the same way."""
    _execute(connection, CompiledStatement(sql, (), (), True, (), {}), [], many=False).close()


def _execute(connection: Connection, compiled: CompiledStatement, params: Any, many: bool) -> Any:
    if not connection.in_transaction():  # as Connection.execute would: BEGIN (the engine's hook) first
        connection.begin()
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    listeners = connection.dispatch.before_cursor_execute
    if listeners:
        listeners(connection, cursor, compiled.sql, params, None, many)
    dbapi = connection.dialect.loaded_dbapi
    try:
        if many:
            cursor.executemany(compiled.sql, params)
        else:
            cursor.execute(compiled.sql, params)
    except dbapi.Error as err:
        cursor.close()
        raise DBAPIError.instance(compiled.sql, params, err, dbapi.Error, hide_parameters=True,
                                  dialect=connection.dialect) from err
    return cursor
