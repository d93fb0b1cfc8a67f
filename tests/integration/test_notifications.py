"""Notifications for deadline actions, on SQLite and PostgreSQL: an outbox file and a webhook that may fail.

The webhook is a real HTTP server on 127.0.0.1 (a random port) in a thread; the notifier's pause
between attempts is an injected no-op, so nothing sleeps.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from pathway.clock import STOCKHOLM, FixedClock
from pathway.services.catalog import WorkflowCatalog
from pathway.services.context import ServiceContext
from pathway.services.deadlines import check
from pathway.services.notify import Notifier, OutboxFileSink, Sink, WebhookSink
from pathway.services.participants import enrol, history
from pathway.store import SqlUnitOfWork
from pathway.store.tables import notifications

REPO = Path(__file__).resolve().parents[2]
RULE = "first_meeting_within_14_days"
PAYLOAD_FIELDS = {"type", "participant_id", "ref", "workflow", "rule", "title", "kind", "level", "role",
                  "due_at", "due_date", "action_at", "event_seq"}


@pytest.fixture
def workflows(tmp_path: Path) -> Path:
    folder = tmp_path / "workflows"
    folder.mkdir()
    shutil.copy(REPO / "workflows" / "flen_tripartite.yaml", folder / "flen_tripartite.yaml")
    return folder


@dataclass
class Webhook:
    """A local HTTP endpoint answering 500 to the first ``fail_first`` requests and 200 afterwards."""

    url: str
    fail_first: int = 0
    received: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def delivered(self) -> list[dict[str, Any]]:
        return [body for status, body in self.received if status == 200]


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                status = 500 if len(hook.received) < hook.fail_first else 200
                hook.received.append((status, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/frister"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def notified_context(engine: Engine, workflows: Path, clock: FixedClock, sinks: list[Sink],
                     sleeps: list[float]) -> ServiceContext:
    """A ServiceContext wired as bootstrap does, with a notifier whose sleep only records."""
    return ServiceContext(
        uow=lambda: SqlUnitOfWork(engine),
        catalog=WorkflowCatalog(workflows, clock),
        clock=clock,
        actor="anna",
        notifier=Notifier(sinks, sleep=sleeps.append),
    )


def local(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=STOCKHOLM)


def stored(engine: Engine, sink: str | None = None) -> list[dict[str, Any]]:
    query = select(notifications).order_by(notifications.c.id)
    if sink is not None:
        query = query.where(notifications.c.sink == sink)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def enrol_flen(ctx: ServiceContext, application_date: str = "2026-03-02", ref: str | None = None) -> int:
    pid, _ = enrol(ctx, "flen_tripartite", ref=ref, attributes={"application_date": application_date})
    return pid


def test_failed_webhook_stays_pending_and_a_later_check_delivers_it(
    engine: Engine, workflows: Path, clock: FixedClock, webhook: Webhook
) -> None:
    """500s: the check still succeeds, the event is kept, the notification waits (attempts, last_error) and is retried later."""
    webhook.fail_first = 3  # every attempt of the first check
    sleeps: list[float] = []
    ctx = notified_context(engine, workflows, clock, [WebhookSink(webhook.url, timeout=5)], sleeps)
    pid = enrol_flen(ctx, ref="FL-7")
    clock.set(local(2026, 3, 11, 9))
    first = clock.now()

    actions = check(ctx)
    assert [(a.kind, a.rule) for a in actions] == [("reminder", RULE)]
    assert [e.type for e in history(ctx, pid)] == ["enrolled", "reminder"]  # the event is not lost
    assert [status for status, _ in webhook.received] == [500, 500, 500]
    assert sleeps == [0.5, 1.0]  # back-off between the attempts of one check, injected
    assert (ctx.notifier.last_report.delivered, ctx.notifier.last_report.failed) == (0, 1)
    (note,) = stored(engine)
    assert (note["sink"], note["status"], note["attempts"], note["last_error"]) == ("webhook", "pending", 1, "HTTP 500")
    assert note["participant_id"] == pid and note["event_seq"] == 2
    assert note["next_attempt_at"] == first + timedelta(minutes=1) and note["delivered_at"] is None

    clock.advance(seconds=30)  # before next_attempt_at: not tried again
    assert check(ctx) == []
    assert len(webhook.received) == 3 and stored(engine)[0]["attempts"] == 1

    clock.advance(seconds=31)
    assert check(ctx) == []  # nothing new to do, but the pending notification goes out
    (note,) = stored(engine)
    assert (note["status"], note["attempts"], note["last_error"]) == ("delivered", 2, None)
    assert note["delivered_at"] == clock.now() and note["next_attempt_at"] is None
    (body,) = webhook.delivered
    assert PAYLOAD_FIELDS <= set(body)
    assert (body["type"], body["kind"], body["participant_id"], body["ref"], body["rule"], body["level"]) == (
        "reminder", "reminder", pid, "FL-7", RULE, 0)
    assert body["due_date"] == "2026-03-16" and body["due_at"] == "2026-03-17T00:00:00+01:00"
    assert body["event_seq"] == 2 and body["role"] == "caseworker"

    clock.advance(hours=2)
    check(ctx)
    assert len(webhook.received) == 4  # delivered once, never again
    assert [e.type for e in history(ctx, pid)] == ["enrolled", "reminder"]  # retries append no events


def test_back_off_doubles_after_each_failed_check(
    engine: Engine, workflows: Path, clock: FixedClock, webhook: Webhook
) -> None:
    """After the 1st failed check the retry waits 1 min, after the 2nd 2 min; the 3rd check delivers."""
    webhook.fail_first = 6
    ctx = notified_context(engine, workflows, clock, [WebhookSink(webhook.url)], [])
    enrol_flen(ctx)
    clock.set(local(2026, 3, 11, 9))
    check(ctx)
    assert stored(engine)[0]["next_attempt_at"] == clock.now() + timedelta(minutes=1)
    clock.advance(minutes=1)
    check(ctx)
    note = stored(engine)[0]
    assert (note["status"], note["attempts"]) == ("pending", 2)
    assert note["next_attempt_at"] == clock.now() + timedelta(minutes=2)
    clock.advance(minutes=1, seconds=59)
    check(ctx)
    assert len(webhook.received) == 6
    clock.advance(seconds=1)
    check(ctx)
    assert (stored(engine)[0]["status"], stored(engine)[0]["attempts"]) == ("delivered", 3)
    assert len(webhook.delivered) == 1


def test_outbox_file_gets_one_line_per_action_with_the_documented_fields(
    engine: Engine, workflows: Path, clock: FixedClock, tmp_path: Path
) -> None:
    """The outbox sink appends one JSON line per performed action (participant_id, rule, kind, level, due_at …), once."""
    outbox = tmp_path / "outbox.jsonl"
    ctx = notified_context(engine, workflows, clock, [OutboxFileSink(outbox)], [])
    first = enrol_flen(ctx, ref="FL-1")
    second = enrol_flen(ctx, "2026-03-04", ref="FL-2")
    clock.set(local(2026, 3, 19, 9))
    actions = check(ctx)
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(actions) == 5  # FL-1: miss, levels 1 and 2; FL-2: miss, level 1
    for line in lines:
        assert PAYLOAD_FIELDS <= set(line)
        assert line["type"] == line["kind"] and line["rule"] == RULE and line["workflow"] == "flen_tripartite"
    assert sorted((ln["participant_id"], ln["kind"], ln["level"]) for ln in lines) == sorted([
        (first, "deadline_missed", 0), (first, "escalated", 1), (first, "escalated", 2),
        (second, "deadline_missed", 0), (second, "escalated", 1),
    ])
    by_ref = {(ln["ref"], ln["level"], ln["kind"]): ln for ln in lines}
    assert by_ref[("FL-1", 0, "deadline_missed")]["due_at"] == "2026-03-17T00:00:00+01:00"
    assert by_ref[("FL-2", 0, "deadline_missed")]["due_date"] == "2026-03-18"
    assert by_ref[("FL-1", 2, "escalated")]["role"] == "coordinator"
    assert by_ref[("FL-1", 2, "escalated")]["action_at"] == "2026-03-19T00:00:00+01:00"
    assert {n["status"] for n in stored(engine)} == {"delivered"}

    assert check(ctx) == []
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == 5


def test_each_sink_is_delivered_on_its_own(
    engine: Engine, workflows: Path, clock: FixedClock, webhook: Webhook, tmp_path: Path
) -> None:
    """A failing webhook does not hold back the outbox: one notification per sink per action."""
    webhook.fail_first = 100
    outbox = tmp_path / "outbox.jsonl"
    ctx = notified_context(engine, workflows, clock, [OutboxFileSink(outbox), WebhookSink(webhook.url)], [])
    enrol_flen(ctx)
    clock.set(local(2026, 3, 17, 9))
    assert len(check(ctx)) == 2
    assert [n["status"] for n in stored(engine, "outbox")] == ["delivered", "delivered"]
    assert [n["status"] for n in stored(engine, "webhook")] == ["pending", "pending"]
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == 2


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_webhook_is_a_failed_delivery(engine: Engine, workflows: Path, clock: FixedClock) -> None:
    """Connection refused counts as a failure with its reason; the check and its events stand."""
    ctx = notified_context(engine, workflows, clock, [WebhookSink(f"http://127.0.0.1:{_closed_port()}/x", timeout=2)], [])
    pid = enrol_flen(ctx)
    clock.set(local(2026, 3, 11, 9))
    assert len(check(ctx)) == 1
    (note,) = stored(engine)
    assert note["status"] == "pending" and note["attempts"] == 1 and note["last_error"]
    assert [e.type for e in history(ctx, pid)] == ["enrolled", "reminder"]


@pytest.fixture
def garbage_server() -> Iterator[str]:
    """An endpoint that answers every request with something that is not HTTP."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(b"this is not http\r\n\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/x"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def test_malformed_http_answer_is_a_failed_delivery_not_a_crash(
    engine: Engine, workflows: Path, clock: FixedClock, garbage_server: str
) -> None:
    """An endpoint answering garbage is a failed delivery like a 500: pending, last_error set, the check returns."""
    ctx = notified_context(engine, workflows, clock, [WebhookSink(garbage_server, timeout=2)], [])
    enrol_flen(ctx)
    clock.set(local(2026, 3, 11, 9))
    assert len(check(ctx)) == 1
    (note,) = stored(engine)
    assert note["status"] == "pending" and note["attempts"] == 1 and note["last_error"]


def test_pending_rows_of_a_removed_sink_do_not_starve_the_configured_ones(
    engine: Engine, workflows: Path, clock: FixedClock, webhook: Webhook, tmp_path: Path
) -> None:
    """After the webhook setting is removed, its stale pending rows must not keep the outbox rows from going out."""
    webhook.fail_first = 100
    unwritable = OutboxFileSink(tmp_path / "missing-folder" / "outbox.jsonl")
    ctx = notified_context(engine, workflows, clock, [WebhookSink(webhook.url), unwritable], [])
    enrol_flen(ctx)
    enrol_flen(ctx)
    clock.set(local(2026, 3, 11, 9))
    assert len(check(ctx)) == 2
    assert [(n["sink"], n["status"]) for n in stored(engine)] == [
        ("webhook", "pending"), ("outbox", "pending"), ("webhook", "pending"), ("outbox", "pending")]

    outbox = tmp_path / "outbox.jsonl"
    only_outbox = Notifier([OutboxFileSink(outbox)], sleep=lambda _: None)  # the webhook was switched off
    clock.advance(minutes=5)
    for _ in range(3):
        only_outbox.deliver(ctx, clock.now(), batch=2)
    assert [n["status"] for n in stored(engine, "outbox")] == ["delivered", "delivered"]
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == 2


@pytest.fixture
def hung_listener() -> Iterator[tuple[str, threading.Event]]:
    """A listener on localhost that accepts connections and never answers; the event is set on accept."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted = threading.Event()
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)  # keep it open, say nothing
            accepted.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hook", accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


def test_a_caseworkers_write_succeeds_while_the_webhook_hangs(
    engine: Engine, workflows: Path, clock: FixedClock, hung_listener: tuple[str, threading.Event]
) -> None:
    """While the check waits on a webhook that never answers, no lock is held: a caseworker's write commits at once."""
    url, accepted = hung_listener
    # 6 s: the write (milliseconds alone) must end while the check still waits, also on a machine busy
    # with other test workers; a write that waited for the check would take the whole 6 s
    ctx = notified_context(engine, workflows, clock, [WebhookSink(url, timeout=6, connect_timeout=1)], [])
    checked = enrol_flen(ctx, ref="FL-H")
    other = enrol_flen(ctx, ref="FL-W")
    clock.set(local(2026, 3, 11, 9))
    outcome: dict[str, Any] = {}
    checker = threading.Thread(target=lambda: outcome.setdefault("actions", check(ctx)))
    checker.start()
    assert accepted.wait(10), "the check never reached the webhook"
    from pathway.services.participants import set_attributes

    started = time.monotonic()
    changed = set_attributes(ctx, other, {"application_date": "2026-03-03"})  # the caseworker's write
    took = time.monotonic() - started
    assert changed == {"application_date": "2026-03-03"}
    assert checker.is_alive(), "the write only went through after the check let go"
    assert took < 4
    checker.join(30)
    assert len(outcome["actions"]) == 2 and checked
    report = ctx.notifier.last_report
    assert report.failed == 1 and report.deferred == 1  # the hung sink is tried once per check, not per row
    assert "no answer within 6" in report.errors[0]
    assert {n["status"] for n in stored(engine)} == {"pending"}


def test_each_notification_carries_a_stable_id_on_every_retry(
    engine: Engine, workflows: Path, clock: FixedClock, webhook: Webhook, tmp_path: Path
) -> None:
    """notification_id is '<participant>-<event seq>', the same in the outbox, the webhook body and its retries."""
    webhook.fail_first = 3
    outbox = tmp_path / "outbox.jsonl"
    ctx = notified_context(engine, workflows, clock, [OutboxFileSink(outbox), WebhookSink(webhook.url)], [])
    pid = enrol_flen(ctx)
    clock.set(local(2026, 3, 11, 9))
    check(ctx)
    clock.advance(minutes=2)
    check(ctx)
    ids = {body["notification_id"] for _, body in webhook.received}
    assert ids == {f"{pid}-2"} and len(webhook.received) == 4
    (line,) = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    assert line["notification_id"] == f"{pid}-2"


def test_a_check_that_loses_the_database_says_which_batches_it_committed(
    engine: Engine, workflows: Path, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch 2 cannot get the lock: the error names batch 1 and its actions, which stand and are delivered; the next check carries on."""
    from sqlalchemy.exc import OperationalError

    from pathway.errors import CheckInterrupted
    from pathway.services import deadlines as service

    outbox = tmp_path / "outbox.jsonl"
    ctx = notified_context(engine, workflows, clock, [OutboxFileSink(outbox)], [])
    people = [enrol_flen(ctx, ref=f"FL-{i}") for i in range(3)]
    clock.set(local(2026, 3, 11, 9))
    real = service._check_batch
    calls = []

    def flaky(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        return real(*args)

    monkeypatch.setattr(service, "_check_batch", flaky)
    with pytest.raises(CheckInterrupted) as caught:
        check(ctx, batch=1)
    message = caught.value.message
    assert "committed batch 1 (1 action(s): 1)" in message and "batch 2: database is locked" in message
    assert "run 'pathway deadlines check' again" in message and caught.value.exit_code == 1
    done = [p for p in people if [e.type for e in history(ctx, p)] == ["enrolled", "reminder"]]
    assert len(done) == 1
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == 1  # batch 1's notification went out

    monkeypatch.setattr(service, "_check_batch", real)
    assert len(check(ctx, batch=1)) == 2  # the next run carries on with the other two
    assert all([e.type for e in history(ctx, p)] == ["enrolled", "reminder"] for p in people)
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == 3
