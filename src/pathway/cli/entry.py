"""The ``pathway`` command's entry point: start-up runs with the cyclic garbage collector paused.

Importing what a command needs (Typer, Rich, pydantic, SQLAlchemy …: some 600 modules) allocates
objects that live as long as the process. The collector, started every 700 net allocations, scans
them again and again and frees nothing: 25–35 ms of a database command's start-up, ~8 % of
``participant show`` (measured with ``gc.callbacks``; bench/README "Start-up, round 4"). So it is
paused from the first import until the command's own work begins (the root callback,
:func:`pathway.cli.app.global_options`, calls :func:`resume_collection`); what start-up built is then
frozen out of the collector's sight (``gc.freeze``), so a long command — an import, a deadline check,
the web server — does not rescan it either, and the collector runs as usual on everything after.
"""

from __future__ import annotations

import gc


def main() -> None:
    """Console-script entry point (``pathway`` and ``python -m pathway``)."""
    gc.disable()
    try:
        from pathway.cli.app import main as run_command

        run_command()
    finally:
        resume_collection()  # --help, --version and usage errors end before the root callback


def resume_collection() -> None:
    """Start-up is over: keep what it built out of the collector's sight and collect as usual.

    Does nothing where the collector runs already (a test or a program calling
    :func:`pathway.cli.app.main` directly never paused it), so it freezes nothing there.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
