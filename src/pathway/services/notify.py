"""Notifications for reminders and escalations: the log always, plus an outbox file and a webhook.

A check writes one notification row per configured sink in the same transaction as the event, and
delivers after committing. A failed delivery stays pending with its error and an exponential
back-off, and is retried by the next check: nothing blocks the check, nothing is lost.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pathway.log import get_logger

if TYPE_CHECKING:
    from pathway.services.context import ServiceContext
    from pathway.services.deadlines import CheckAction

log = get_logger("pathway.notify")

#: Back-off between checks after a failed delivery: 1, 2, 4 … minutes, at most an hour.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


class Sink(Protocol):
    name: str

    def send(self, payload: dict[str, Any]) -> None:
        """Deliver or raise."""


class OutboxFileSink:
    """Appends one JSON object per line to a file another system picks up."""

    name = "outbox"

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, payload: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(payload, ensure_ascii=False, sort_keys=True) + "\n")


class WebhookSink:
    """POSTs the notification as JSON; any non-2xx answer or network error is a failure."""

    name = "webhook"

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise OSError(f"HTTP {response.status}")
        except urllib.error.HTTPError as err:
            raise OSError(f"HTTP {err.code}") from None
        except urllib.error.URLError as err:
            raise OSError(str(err.reason)) from None
        except (http.client.HTTPException, ValueError) as err:  # a malformed answer is a failed delivery
            raise OSError(f"{type(err).__name__}: {err}") from None


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class Notifier:
    """Queues a notification per sink for each action and delivers the pending ones."""

    def __init__(self, sinks: list[Sink], sleep: Callable[[float], None] = time.sleep,
                 attempts_per_check: int = 3, pause_between: float = 0.5) -> None:
        self.sinks = sinks
        self.sleep = sleep
        self.attempts_per_check = attempts_per_check
        self.pause_between = pause_between
        self.last_report = DeliveryReport()

    def queue(self, action: CheckAction, now: datetime) -> list[dict[str, Any]]:
        if not self.sinks:
            return []
        payload = {"type": action.kind, **action.to_json()}
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
            except OSError as err:
                error = str(err) or type(err).__name__
        return error

    def deliver(self, ctx: ServiceContext, now: datetime, batch: int = 200) -> DeliveryReport:
        report = DeliveryReport()
        if not self.sinks:
            self.last_report = report
            return report
        by_name = {s.name: s for s in self.sinks}
        while True:
            with ctx.uow() as uow:
                pending = uow.deadlines.claim_notifications(now, batch, by_name.keys())
                for note in pending:
                    error = self._send(by_name[note["sink"]], note["payload"])
                    attempts = note["attempts"] + 1
                    if error is None:
                        report.delivered += 1
                        uow.deadlines.mark_notification(note["id"], status="delivered", attempts=attempts,
                                                        delivered_at=now, last_error=None, next_attempt_at=None)
                    else:
                        report.failed += 1
                        report.errors.append(f"{note['sink']}: {error}")
                        wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
                        uow.deadlines.mark_notification(note["id"], attempts=attempts, last_error=error,
                                                        next_attempt_at=now + wait)
                        log.warning("notification_failed", sink=note["sink"], error=error,
                                    participant_id=note["participant_id"], retry_at=(now + wait).isoformat())
                uow.commit()
            if len(pending) < batch:
                break
        self.last_report = report
        return report


def notifier_from_settings(outbox: Path | None, webhook: str | None, timeout: float) -> Notifier:
    sinks: list[Sink] = []
    if outbox is not None:
        sinks.append(OutboxFileSink(outbox))
    if webhook:
        sinks.append(WebhookSink(webhook, timeout))
    return Notifier(sinks)
