"""The last line of defence: an unexpected error becomes one line, a reference and a log entry.

Whatever escapes the typed errors of :mod:`pathway.errors` is a bug. The user sees one line on
stderr — ``error: internal error; reference 7F3A2C; nothing was written`` (when that is true: no
commit happened in this process) — and the exit code :data:`INTERNAL_ERROR_EXIT`. The trace goes to
the error log (``error_log`` setting, env ``PATHWAY_ERROR_LOG``; default
``~/.local/state/pathway/errors.log``) under the same reference, with file names, lines and function
names, but no statement parameters: engines are made with SQLAlchemy's ``hide_parameters``, and a
database error is logged as its statement and the first line of the driver's message (PostgreSQL's
``DETAIL`` line quotes key values, so it is dropped).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

#: sysexits.h EX_SOFTWARE: an internal software error.
INTERNAL_ERROR_EXIT = 70


def error_log_path() -> Path:
    configured = os.environ.get("PATHWAY_ERROR_LOG")
    if configured:
        return Path(configured).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "pathway" / "errors.log"


def describe(err: BaseException) -> str:
    """The error's type and message, with a database error's parameters and DETAIL left out."""
    from sqlalchemy.exc import StatementError

    if isinstance(err, StatementError):
        orig = err.orig
        first = str(orig).strip().splitlines()[0] if orig is not None and str(orig).strip() else ""
        kind = f"{type(orig).__module__}.{type(orig).__name__}" if orig is not None else ""
        return f"{type(err).__name__}: {kind}: {first} [SQL: {' '.join(str(err.statement or '').split())}]"
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:300]}"


def format_trace(err: BaseException) -> str:
    """Every exception in the chain: its frames (file, line, function, source line) and description."""
    import traceback  # a crash's business, not every command's start-up

    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        parts.insert(0, "".join(traceback.format_list(frames)) + describe(current) + "\n")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\nwhich led to:\n".join(parts)


def report(err: BaseException) -> tuple[str, int]:
    """Log ``err`` under a new reference; returns the one line for the user and the exit code."""
    import secrets  # hashlib and OpenSSL: only when there is a crash to log

    from pathway.store import database

    reference = secrets.token_hex(3).upper()
    path = error_log_path()
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    where = f"details in {path}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {stamp} reference {reference}\n{format_trace(err)}\n")
    except OSError:
        where = "the error log could not be written"
    written = "nothing was written" if database.commits == 0 else \
        "earlier steps of this command may have been saved; look at the history before trying again"
    return f"internal error; reference {reference}; {written} ({where})", INTERNAL_ERROR_EXIT
