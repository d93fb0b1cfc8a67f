"""``pathway scheduler run``: APScheduler 3 running the deadline check at an interval.

The scheduler only decides *when*; correctness lives in the database (DESIGN invariant 4), so any
number of schedulers (or cron jobs) may run side by side. Runs that were missed while the machine
slept are coalesced into one; SIGINT and SIGTERM stop it after the current run.
"""

from __future__ import annotations

import re
import signal
import threading
from datetime import timedelta
from typing import Annotated, Any

import typer

from pathway.cli.state import state
from pathway.errors import InvalidValue
from pathway.log import configure_logging, get_logger

app = typer.Typer(help="Run the deadline check periodically (long-running).", no_args_is_help=True)
log = get_logger("pathway.scheduler")

_INTERVAL = re.compile(r"^([1-9][0-9]*)(s|m|h)$")


def parse_interval(text: str) -> timedelta:
    match = _INTERVAL.fullmatch(text.strip())
    if match is None:
        raise InvalidValue("--interval", text, "use a whole number of seconds, minutes or hours: 30s, 5m, 1h")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours"}[unit]: amount})


@app.command()
def run(
    ctx: typer.Context,
    interval: Annotated[str, typer.Option(help="time between checks: 30s, 5m, 1h")] = "5m",
    misfire_grace: Annotated[str, typer.Option(help="how late a run may start and still run")] = "1h",
) -> None:
    """Check deadlines now and then every INTERVAL until stopped (Ctrl-C or SIGTERM).

    Example: pathway scheduler run --interval 5m
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    from pathway.services import deadlines as service

    every = parse_interval(interval)
    grace = parse_interval(misfire_grace)
    cli_state = state(ctx)
    services = cli_state.services()
    configure_logging(cli_state.settings.log_level or "info")  # a service: one line per run by default
    stop = threading.Event()

    def run_check() -> None:
        try:
            actions = service.check(services)
            report = services.notifier.last_report
            log.info("deadline_check", actions=len(actions), delivered=report.delivered,
                        delivery_failures=report.failed)
        except Exception as err:  # keep the scheduler alive; the next run tries again
            log.error("deadline_check_failed", error=str(err), error_type=type(err).__name__)

    scheduler = BackgroundScheduler(timezone="Europe/Stockholm")
    scheduler.add_job(run_check, "interval", seconds=every.total_seconds(), id="deadline_check",
                      coalesce=True, max_instances=1, misfire_grace_time=int(grace.total_seconds()),
                      next_run_time=_now_for_scheduler())

    def shutdown(signum: int, _frame: Any) -> None:
        log.info("scheduler_stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    log.info("scheduler_started", interval=interval)
    scheduler.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        scheduler.shutdown(wait=True)
        log.info("scheduler_stopped")


def _now_for_scheduler() -> Any:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)
