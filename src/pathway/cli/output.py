"""Printing results as a Rich table, JSON (a stable contract) or CSV."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from pathway.errors import BadInput
from pathway.files import create_private
from pathway.spreadsheet import safe_text



def page_width() -> int | None:
    """COLUMNS when set; else the terminal's (None: Rich asks it) or, off a terminal (pipes, files,
    CI logs), a wide page, where Rich would wrap tables at 80 columns."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    return None if sys.stdout.isatty() else 200


def fit_to_environment() -> None:
    """Size both consoles for the environment as it is now (they were sized at import; a test runner
    that runs several commands in one interpreter swaps the environment between them)."""
    console.width = page_width()  # type: ignore[assignment]  # None: Rich measures the terminal
    columns = os.environ.get("COLUMNS", "")
    error_console.width = int(columns) if columns.isdigit() else None  # type: ignore[assignment]


# emoji=False: what caseworkers typed is shown as typed (":ok:" in a reason stays ":ok:"), and no
# command loads Rich's emoji table (12 ms of every command's start-up) for codes pathway never writes
console = Console(highlight=False, soft_wrap=True, width=page_width(), emoji=False)
error_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="table for people, json for programs (stable contract), csv for spreadsheets"),
]


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_cell(v) if not isinstance(v, Mapping) else json.dumps(v, ensure_ascii=False, default=str)}"
                         for k, v in value.items())
    return str(value)


def _csv_cell(value: Any) -> str:
    """A CSV cell: texts (and lists of them) a spreadsheet would run as a formula are made safe
    (:mod:`pathway.spreadsheet`); numbers are written as numbers."""
    text = _cell(value)
    return text if isinstance(value, (int, float)) else safe_text(text)


def print_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: OutputFormat,
               title: str | None = None, json_rows: Sequence[Any] | None = None,
               styles: Sequence[str | None] | None = None) -> None:
    """Rows as a table, CSV, or JSON (``json_rows`` when the JSON form differs from the table's)."""
    if fmt == OutputFormat.JSON:
        print_json(list(json_rows) if json_rows is not None else [dict(r) for r in rows])
        return
    if fmt == OutputFormat.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(row.get(c)) for c in columns])
        return
    from rich.table import Table  # only tables need it: `workflow validate` prints lines
    from rich.text import Text

    table = Table(title=title, show_lines=False, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for index, row in enumerate(rows):  # styles: per row, e.g. "strike" for a corrected event
        # cells as Text: a ref or reason holding '[' is shown as typed, never read as Rich markup
        table.add_row(*[Text(_cell(row.get(c))) for c in columns], style=styles[index] if styles else None)
    console.print(table)


def print_error(message: str) -> None:
    for line in message.splitlines() or [message]:
        error_console.print(f"error: {line}", markup=False)


def print_note(message: str) -> None:
    error_console.print(f"note: {message}", markup=False)


def write_text(text: str, output: Path | None) -> None:
    """Text to stdout, or to ``output`` (saying so on the console); an unwritable file is bad input."""
    if output is None:
        sys.stdout.write(text)
        return
    try:
        create_private(output)
        output.write_text(text, encoding="utf-8")
    except OSError as err:
        raise BadInput(f"cannot write {output}: {err.strerror}") from None
    console.print(f"wrote {output}", markup=False)
