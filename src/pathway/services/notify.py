"""Notifications for reminders and escalations: the log always, plus an outbox file and a webhook.

A check writes one notification row per configured sink in the same transaction as the event
(the outbox table), and delivers only after that transaction has committed (DESIGN invariant 9):

1. a short transaction *leases* the due rows (``next_attempt_at`` moved past the lease) and commits;
2. each row is sent with no transaction open and no lock held — a slow or hung sink delays the
   check, never a caseworker;
3. a short transaction per row records the outcome: ``delivered``, or still ``pending`` with its
   ``attempts``, ``last_error`` and the back-off before the next try (1, 2, 4 … minutes, at most an
   hour), kept in the database so the next check (or another process) carries on.

Delivery is **at least once**: a process killed between sending and recording sends that row again
after its lease runs out. Every notification carries a stable ``notification_id`` (participant and
event sequence, ``"<participant>-<seq>"``), also sent as the ``Idempotency-Key`` header, so a
receiver can drop repeats.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol


from pathway.files import create_private
from pathway.log import get_logger

if TYPE_CHECKING:
    from pathway.services.context import ServiceContext
    from pathway.services.deadlines import CheckAction

log = get_logger("pathway.notify")

#: Back-off between checks after a failed delivery: 1, 2, 4 … minutes, at most an hour.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
#: How long a claimed row stays with the process that claimed it; after a crash it is retried then.
LEASE = timedelta(minutes=10)


class DeliveryTimeout(OSError):
    """The sink did not answer in time: not retried within this check (it would only wait again)."""


class Sink(Protocol):
    name: str

    def send(self, payload: dict[str, Any]) -> None:
        """Deliver or raise OSError."""


def notification_id(participant_id: int, event_seq: int) -> str:
    """The stable id of the notification for one event: the same on every retry and every sink."""
    return f"{participant_id}-{event_seq}"


class OutboxFileSink:
    """Appends one JSON object per line to a file another system picks up."""

    name = "outbox"

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, payload: dict[str, Any]) -> None:
        create_private(self.path)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(payload, ensure_ascii=False, sort_keys=True) + "\n")


class WebhookSink:
    """POSTs the notification as JSON through httpx; any non-2xx answer or network error is a failure.

    ``connect_timeout`` bounds reaching the server, ``timeout`` each read and write: a server that
    accepts and never answers costs at most ``connect_timeout + timeout`` seconds.
    """

    name = "webhook"

    def __init__(self, url: str, timeout: float = 5.0, connect_timeout: float = 3.0) -> None:
        self.url = url
        self.timeout = timeout
        self.connect_timeout = connect_timeout

    def send(self, payload: dict[str, Any]) -> None:
        import httpx  # only when a webhook is sent: every other command starts without it

        timeout = httpx.Timeout(self.timeout, connect=self.connect_timeout)
        headers = {"Idempotency-Key": str(payload.get("notification_id", ""))}
        try:
            response = httpx.post(self.url, json=payload, timeout=timeout, headers=headers)
        except httpx.TimeoutException as err:
            raise DeliveryTimeout(f"no answer within {self._limit(err)} s ({type(err).__name__})") from None
        except httpx.HTTPError as err:  # refused, reset, a malformed answer …
            raise OSError(f"{type(err).__name__}: {err}") from None
        if not 200 <= response.status_code < 300:
            raise OSError(f"HTTP {response.status_code}")

    def _limit(self, err: Exception) -> float:
        import httpx

        return self.connect_timeout if isinstance(err, httpx.ConnectTimeout) else self.timeout


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    #: rows not tried in this run because their sink had just failed (still pending, retried later)
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


class Notifier:
    """Queues a notification per sink for each action and delivers the pending ones after commit."""

    def __init__(self, sinks: list[Sink], sleep: Callable[[float], None] = time.sleep,
                 attempts_per_check: int = 3, pause_between: float = 0.5) -> None:
        self.sinks = sinks
        self.sleep = sleep
        self.attempts_per_check = attempts_per_check
        self.pause_between = pause_between
        self.last_report = DeliveryReport()

    def queue(self, action: CheckAction, now: datetime) -> list[dict[str, Any]]:
        """Outbox rows for one action (written by the caller in the check's own transaction)."""
        if not self.sinks:
            return []
        payload = {"notification_id": notification_id(action.participant_id, action.event_seq),
                   "type": action.kind, **action.to_json()}
        return [
            {"participant_id": action.participant_id, "event_seq": action.event_seq, "sink": sink.name,
             "payload": payload, "status": "pending", "attempts": 0, "last_error": None,
             "created_at": now, "next_attempt_at": now, "delivered_at": None}
            for sink in self.sinks
        ]

    def _send(self, sink: Sink, payload: dict[str, Any]) -> str | None:
        """Try a few times with a short back-off; returns the last error, or None when delivered."""
        error = None
        for attempt in range(self.attempts_per_check):
            if attempt:
                self.sleep(self.pause_between * 2 ** (attempt - 1))
            try:
                sink.send(payload)
                return None
            except DeliveryTimeout as err:
                return str(err)  # waiting again would only hold up the rest
            except OSError as err:
                error = str(err) or type(err).__name__
        return error

    def deliver(self, ctx: ServiceContext, now: datetime, batch: int = 200) -> DeliveryReport:
        """Send every due pending notification; no transaction is open while a sink is called."""
        report = DeliveryReport()
        self.last_report = report
        if not self.sinks:
            return report
        by_name = {s.name: s for s in self.sinks}
        down: set[str] = set()  # sinks that failed in this run: their other rows wait for the next
        while True:
            with ctx.uow() as uow:  # 1. lease, commit
                pending = uow.deadlines.claim_notifications(now, batch, sorted(set(by_name) - down))
                uow.deadlines.lease_notifications([n["id"] for n in pending], now + LEASE)
                uow.commit()
            skipped = []
            for note in pending:  # 2. send with nothing held, 3. record each outcome at once
                if note["sink"] in down:
                    skipped.append(note)
                    continue
                error = self._send(by_name[note["sink"]], note["payload"])
                attempts = note["attempts"] + 1
                if error is None:
                    report.delivered += 1
                    self._record(ctx, note["id"], status="delivered", attempts=attempts, delivered_at=now,
                                 last_error=None, next_attempt_at=None)
                    continue
                down.add(note["sink"])
                report.failed += 1
                report.errors.append(f"{note['sink']}: {error}")
                wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
                self._record(ctx, note["id"], attempts=attempts, last_error=error, next_attempt_at=now + wait)
                log.warning("notification_failed", sink=note["sink"], error=error,
                            notification_id=note["payload"].get("notification_id"),
                            participant_id=note["participant_id"], retry_at=(now + wait).isoformat())
            if skipped:  # give back their lease: they are due for the next run as they were
                with ctx.uow() as uow:
                    for note in skipped:
                        uow.deadlines.mark_notification(note["id"], next_attempt_at=note["next_attempt_at"])
                    uow.commit()
            if len(pending) < batch or set(by_name) <= down:
                break
        if down:
            report.deferred = self._waiting(ctx, now, down)
        return report

    @staticmethod
    def _record(ctx: ServiceContext, notification: int, **values: Any) -> None:
        with ctx.uow() as uow:
            uow.deadlines.mark_notification(notification, **values)
            uow.commit()

    @staticmethod
    def _waiting(ctx: ServiceContext, now: datetime, sinks: set[str]) -> int:
        """Due rows of sinks that failed in this run and were not even claimed (for the report)."""
        with ctx.uow() as uow:
            return uow.deadlines.count_due_notifications(now, sorted(sinks))


def notifier_from_settings(outbox: Path | None, webhook: str | None, timeout: float,
                           connect_timeout: float = 3.0) -> Notifier:
    sinks: list[Sink] = []
    if outbox is not None:
        sinks.append(OutboxFileSink(outbox))
    if webhook:
        sinks.append(WebhookSink(webhook, timeout, connect_timeout))
    return Notifier(sinks)
