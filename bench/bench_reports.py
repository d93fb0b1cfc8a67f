#!/usr/bin/env python
"""Reports vs floor: ``pathway report …`` over N participants and ~10 N events against hand-written SQL.

The issue's requirement: "Reports over 100 000 participants and 1 000 000 events against the same
GROUP BY in plain SQL in the same run. Target ≤ 2× the floor; aggregation happens in the database,
not in Python loops."

Set-up (not timed):

* A fresh database — a SQLite file in a temporary directory, or with ``--db postgresql+psycopg://…``
  a fresh schema ``bench_reports`` (dropped first, reached through ``search_path``) — migrated with
  ``pathway.store.migrate.upgrade``. The workflow ``utrikesfodda`` (workflows/utrikesfodda.yaml) is
  registered through the catalog, as an enrolment would.
* Synthetic rows written with SQLAlchemy Core ``executemany`` (chunks of 10 000, one transaction;
  the table types do the same conversions as the store: UTC timestamps, JSON/JSONB, dates):
  N participants enrolled on weekdays over 2009–2012 with realistic attributes (gender, birth date
  giving ages mostly 25–55, education, household, income source, referring agency, born abroad, AF
  code …, a few left unrecorded), exactly 10 events each: ``enrolled`` (data ``{ref, attributes}``),
  ``transition`` events along the pathway (with its branch to competence building and circulation
  back to step 2), internal follow-ups / leave events (``to_step`` NULL), 0–2 ``escalated`` events,
  and for about 45 % the exit transition into ``exited`` with ``{reason, income_source_at_exit,
  af_code_at_exit}`` as the last event. The projection columns are filled as the store fills them:
  step, status, exit_reason, exited_at, ``enrolled_on`` / ``exited_on`` (Swedish local dates),
  last_step_change_at, last_seq, version. Open participants have one open step-limit deadline.
  PostgreSQL tables are ANALYZEd after the load (autovacuum would); SQLite has no statistics
  unless ``--analyze`` (a default installation never runs ANALYZE).

Passes, in one process, for each report:

* **report** — ``pathway.reports.reporting.run(ctx, "utrikesfodda", builder, …)`` with a ServiceContext
  from ``pathway.bootstrap.bootstrap`` (fixed clock at NOW): the whole use case, i.e. loading the
  definition through the catalog, one read-only transaction, SQL compiled by SQLAlchemy, the
  ReportTable built (zero cells filled in).
* **floor** — the SQL an analyst would write by hand for the same numbers, on the raw DB-API
  connection of an engine made by ``make_engine`` (same pragmas), fetched completely.
  Every floor's numbers are asserted equal to the report's before anything is timed.

Timing: one warm-up of each, then ``--repeat`` (5) interleaved timed runs, best reported (median
too); tracemalloc off. Memory: the tracemalloc peak of one separate traced run of each, and the rise
of the peak resident set (VmHWM, bench/memory.py) over the timed runs, which includes SQLite's page
cache. For diagnosis the report's statements are captured (SQLAlchemy cursor events) with their
own times and plans (EXPLAIN QUERY PLAN on SQLite; EXPLAIN ANALYZE on PostgreSQL) into the JSON.

Run:  .venv/bin/python bench/bench_reports.py --n 100000 [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import shutil
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from memory import environment as machine, proc_status_kib, reset_rss_peak  # bench/memory.py: run as a script, this folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
RESULTS = Path(__file__).resolve().parent / "results"
WORKFLOW_ID = "utrikesfodda"
ACTOR = "bench"
PG_SCHEMA = "bench_reports"
#: The clock: Tuesday 2 April 2013, 10:00 in Stockholm. Enrolments of the last 12 months are still
#: inside the goal's window.
NOW = datetime(2013, 4, 2, 8, 0, tzinfo=timezone.utc)
AS_OF = date(2013, 4, 2)
FIRST_DAY, LAST_DAY = date(2009, 1, 1), date(2012, 12, 31)
#: The exits report's period (with --with-open: those still in at its end are a row).
PERIOD = (date(2011, 1, 1), date(2011, 12, 31))
EVENTS_PER_PARTICIPANT = 10
EXIT_SHARE = 0.45
CHUNK = 10_000

#: The pathway's main line (trigger into each step), the branch and the way back.
MAIN = [("referral", None), ("mapping_interview", "call_to_mapping"), ("case_transfer", "transfer_case"),
        ("tripartite_meeting", "hold_tripartite_meeting"), ("competence_portfolio", "start_portfolio"),
        ("occupations", "portfolio_done"), ("more_competence", "occupations_chosen")]
FOLLOW_UP_STEPS = {"competence_portfolio", "occupations", "more_competence", "competence_building",
                   "application", "job_or_internship"}
AF_CODES = ["11", "12", "14", "21", "22", "34", "41", "68", "69", "70", "96", "98"]
#: what is recorded around the steps (in place of some follow-up and leave events)
INTERVENTION_KINDS = ["job_seeker_group", "motivational_interviewing", "work_ability_assessment", "cbt", "health_care"]
PLACEMENT_TYPES = ["internship", "work_training", "work_trial"]
PLACEMENT_HOURS = [None, 4, 6, 8, 10, 12, 16, 20]
#: the bench's copy of the workflow adds Flen's 14-day rule, from the application to the tripartite meeting
RULE_ID = "first_meeting_within_14_days"
RULE_TARGET = "tripartite_meeting"
RULE_YAML = f"""
deadlines:
  - id: {RULE_ID}
    title: Första personliga mötet inom 14 dagar från ansökan
    start: {{attribute: application_date}}
    target: {{entered: {RULE_TARGET}}}
    within: 14d
"""


def weighted(rng: random.Random, table: list[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


# -- synthetic data ---------------------------------------------------------------------------

@dataclass
class Generated:
    participants: int = 0
    events: int = 0
    exited: int = 0
    deadlines: int = 0
    seconds: float = 0.0


def next_moves(step: str, rng: random.Random) -> tuple[str, str]:
    """(trigger, next step) from ``step`` along the pathway (with its branch and circulation)."""
    order = [s for s, _ in MAIN]
    if step in order[:-1]:
        nxt, trig = MAIN[order.index(step) + 1]
        return trig, nxt
    if step == "more_competence":
        return "assess_competence", ("competence_building" if rng.random() < 0.35 else "application")
    if step == "competence_building":
        return "competence_done", "application"
    if step == "application":
        return (("reconsider_occupations", "occupations") if rng.random() < 0.08
                else ("seek_job_or_internship", "job_or_internship"))
    if step == "job_or_internship":
        return "reconsider_occupations", "occupations"
    raise AssertionError(step)


def make_attributes(rng: random.Random, enrolled_on: date, workflow: Any) -> dict[str, Any]:
    a = workflow.attributes
    attrs: dict[str, Any] = {}
    gender = weighted(rng, [("female", 0.47), ("male", 0.51), ("other", 0.01), (None, 0.01)])
    if gender:
        attrs["gender"] = gender
    if rng.random() < 0.985:
        age = rng.randint(25, 55) if rng.random() < 0.96 else rng.choice([19, 21, 23, 24, 56, 58, 61, 63])
        born = enrolled_on - timedelta(days=int(age * 365.25) + rng.randint(0, 364))
        attrs["birth_date"] = born.isoformat()
    if rng.random() < 0.97:
        attrs["education"] = weighted(rng, list(zip(a["education"].choices, [0.12, 0.30, 0.14, 0.22, 0.07, 0.15])))
    attrs["household"] = weighted(rng, list(zip(a["household"].choices, [0.38, 0.2, 0.04, 0.12, 0.26])))
    attrs["income_source"] = weighted(rng, list(zip(a["income_source"].choices,
                                                   [0.9, 0.02, 0.02, 0.01, 0.02, 0.02, 0.01])))
    attrs["referring_agency"] = weighted(rng, list(zip(a["referring_agency"].choices, [0.82, 0.1, 0.03, 0.03, 0.02])))
    attrs["born_abroad"] = rng.random() < 0.99
    attrs["application_date"] = (enrolled_on - timedelta(days=rng.randint(20, 900))).isoformat()
    attrs["af_code"] = weighted(rng, list(zip(AF_CODES, [0.45, 0.05, 0.05, 0.04, 0.04, 0.04, 0.03, 0.12, 0.08,
                                                         0.04, 0.03, 0.03])))
    attrs["obstacles"] = sorted(rng.sample(a["obstacles"].choices, rng.choice([0, 0, 1, 1, 2, 3])))
    attrs["unemployed"] = True
    attrs["long_term_assistance"] = rng.random() < 0.7
    attrs["available_to_labour_market"] = rng.random() < 0.85
    if rng.random() < 0.5:
        attrs["target_occupations"] = rng.choice(["undersköterska", "lagerarbetare", "städare", "kock", "chaufför"])
    attrs["warning_flags"] = sorted(rng.sample(a["warning_flags"].choices, rng.choice([0, 0, 0, 1, 2])))
    return attrs


def participant_rows(i: int, rng: random.Random, workflow: Any, version: int
                     ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """One participant's projection row, its 10 events, its open step deadline (if still open) and its
    14-day rule (when the application date is known)."""
    from pathway.clock import STOCKHOLM

    span = (LAST_DAY - FIRST_DAY).days
    day = FIRST_DAY + timedelta(days=rng.randint(0, span))
    while day.weekday() >= 5:
        day -= timedelta(days=1) if day > FIRST_DAY else timedelta(days=-1)
    local = datetime(day.year, day.month, day.day, rng.randint(8, 16), rng.randint(0, 59), rng.randint(0, 59),
                     tzinfo=STOCKHOLM)
    enrolled_at = local.astimezone(timezone.utc)
    attrs = make_attributes(rng, day, workflow)
    ref = f"UF-{i:07d}"
    exits = rng.random() < EXIT_SHARE
    escalations = weighted(rng, [(0, 0.5), (1, 0.3), (2, 0.2)])
    room = EVENTS_PER_PARTICIPANT - 1 - escalations - (1 if exits else 0)
    moves = rng.randint(max(1, room // 2 - 1), room) if room > 0 else 0
    kinds = ["move"] * moves + ["esc"] * escalations + ["fill"] * (room - moves)
    rng.shuffle(kinds)
    if exits:
        kinds.append("exit")
    # gaps: spread the history over up to NOW (an hour before it at the latest)
    gaps = [rng.expovariate(1 / 25) + 0.5 for _ in kinds]
    budget = (NOW - timedelta(hours=1) - enrolled_at).total_seconds() / 86400
    if sum(gaps) > budget:
        gaps = [g * budget / sum(gaps) for g in gaps]

    def event(seq: int, at: datetime, type_: str, trigger: str | None, from_step: str | None,
              to_step: str | None, data: dict[str, Any]) -> dict[str, Any]:
        return {"participant_id": i, "seq": seq, "type": type_, "trigger": trigger, "from_step": from_step,
                "to_step": to_step, "data": data, "actor": ACTOR, "effective_at": at, "recorded_at": at,
                "reason": None, "workflow_id": WORKFLOW_ID, "workflow_version": version}

    events = [event(1, enrolled_at, "enrolled", None, None, "referral", {"ref": ref, "attributes": attrs})]
    step, at, changed_at, leave_open = "referral", enrolled_at, enrolled_at, False
    open_intervention: str | None = None
    placement: str | None = None
    first_meeting_at: datetime | None = None
    exit_reason = exited_at = None
    for kind, gap in zip(kinds, gaps):
        at = at + timedelta(days=gap)
        seq = len(events) + 1
        if kind == "move":
            trigger, nxt = next_moves(step, rng)
            data: dict[str, Any] = {}
            if trigger == "assess_competence":
                data = {"more_competence_needed": nxt == "competence_building"}
            events.append(event(seq, at, "transition", trigger, step, nxt, data))
            step, changed_at = nxt, at
            if step == RULE_TARGET and first_meeting_at is None:
                first_meeting_at = at
        elif kind == "esc":
            events.append(event(seq, at, "escalated", None, step, step,
                                {"rule": f"limit:{step}", "title": "Steggräns", "level": 1,
                                 "role": "coordinator"}))
        elif kind == "fill":
            roll = rng.random()
            if roll < 0.25:  # a parallel intervention starts, or the open one ends
                if open_intervention is None:
                    open_intervention = f"i{seq}"
                    events.append(event(seq, at, "intervention_started", None, step, step,
                                        {"id": open_intervention, "kind": rng.choice(INTERVENTION_KINDS)}))
                else:
                    events.append(event(seq, at, "intervention_ended", None, step, step, {"id": open_intervention}))
                    open_intervention = None
            elif roll < 0.45:  # a placement starts, or the open one is followed up with the hours reached
                if placement is None:
                    placement = f"p{seq}"
                    events.append(event(seq, at, "placement_started", None, step, step,
                                        {"id": placement, "type": rng.choice(PLACEMENT_TYPES),
                                         "hours_per_week": rng.choice(PLACEMENT_HOURS)}))
                else:
                    events.append(event(seq, at, "placement_followup", None, step, step,
                                        {"id": placement, "hours_per_week": rng.choice(PLACEMENT_HOURS)}))
            elif step in FOLLOW_UP_STEPS and not leave_open:
                events.append(event(seq, at, "transition", "tripartite_follow_up", step, None,
                                    {"led_by": rng.choice(["project_caseworker", "employment_officer"])}))
            elif leave_open:
                events.append(event(seq, at, "transition", "leave_ends", step, None, {}))
                leave_open = False
            else:
                events.append(event(seq, at, "transition", "leave_starts", step, None,
                                    {"leave_type": rng.choice(["sick_leave", "parental_leave"])}))
                leave_open = True
        else:  # exit: always the last event
            if step in ("competence_building", "job_or_internship") and rng.random() < 0.6:
                trigger, exit_reason = "complete", weighted(rng, [("work", 0.75), ("studies", 0.25)])
            else:
                trigger = "exit"
                exit_reason = weighted(rng, [("work", 0.18), ("studies", 0.07), ("moved_within_sweden", 0.12),
                                             ("moved_abroad", 0.05), ("other_target_group", 0.25),
                                             ("parental_benefit", 0.1), ("unemployment_insurance", 0.08),
                                             ("other", 0.15)])
            income = ("salary" if exit_reason == "work" and rng.random() < 0.8 else
                      weighted(rng, [("social_assistance", 0.7), ("unemployment_insurance", 0.1), ("none", 0.1),
                                     ("activity_compensation", 0.05), ("rehabilitation_benefit", 0.05)]))
            data = {"reason": exit_reason, "income_source_at_exit": income}
            if rng.random() < 0.9:
                data["af_code_at_exit"] = "00" if exit_reason == "work" and rng.random() < 0.5 else rng.choice(AF_CODES)
            events.append(event(seq, at, "transition", trigger, step, "exited", data))
            step, changed_at, exited_at = "exited", at, at
    assert len(events) == EVENTS_PER_PARTICIPANT, len(events)
    row = {
        "id": i, "ref": ref, "workflow_id": WORKFLOW_ID, "workflow_version": version, "step": step,
        "status": "exited" if exited_at else "open", "attributes": attrs, "enrolled_at": enrolled_at,
        "last_step_change_at": changed_at, "exited_at": exited_at, "exit_reason": exit_reason,
        "enrolled_on": enrolled_at.astimezone(STOCKHOLM).date(),
        "exited_on": exited_at.astimezone(STOCKHOLM).date() if exited_at else None,
        "last_seq": len(events), "version": len(events),
    }
    rule = None
    if rng.random() < 0.85:  # the application date is known: the 14-day rule runs from it
        started = enrolled_at - timedelta(days=rng.randint(0, 10))
        due_date = started.astimezone(STOCKHOLM).date() + timedelta(days=14)
        due_at = datetime.combine(due_date + timedelta(days=1), datetime.min.time(), tzinfo=STOCKHOLM)
        status = "met" if first_meeting_at else ("cancelled" if exited_at else "open")
        rule = {
            "participant_id": i, "workflow_id": WORKFLOW_ID, "key": f"rule:{RULE_ID}", "rule": RULE_ID,
            "title": "Första mötet inom 14 dagar", "step": None, "owner": "project_caseworker", "status": status,
            "started_at": started, "due_date": due_date, "due_at": due_at, "actions": [], "progress": 0,
            "level": 0, "next_action_at": None, "met_at": first_meeting_at,
            "closed_at": exited_at if status == "cancelled" else None, "version": 1,
        }
    deadline = None
    if not exited_at:
        due_date = changed_at.astimezone(STOCKHOLM).date() + timedelta(days=rng.choice([14, 21, 28, 42]))
        due_at = datetime.combine(due_date + timedelta(days=1), datetime.min.time(), tzinfo=STOCKHOLM)
        deadline = {
            "participant_id": i, "workflow_id": WORKFLOW_ID, "key": f"limit:{step}:{len(events)}",
            "rule": f"limit:{step}", "title": f"Steggräns {step}", "step": step, "owner": "project_caseworker",
            "status": "open", "started_at": changed_at, "due_date": due_date, "due_at": due_at,
            "actions": [], "progress": 0, "level": 0, "next_action_at": due_at, "met_at": None,
            "closed_at": None, "version": 1,
        }
    return row, events, [d for d in (deadline, rule) if d is not None]


def build(url: str, n: int, seed: int, analyze: bool) -> Generated:
    """Migrate, register the workflow, and bulk-load N participants with Core executemany."""
    from sqlalchemy import event, text

    from pathway.bootstrap import bootstrap
    from pathway.config import Settings
    from pathway.store import make_engine
    from pathway.store.migrate import upgrade
    from pathway.store.tables import deadlines, events, participants

    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    ctx = bootstrap(Settings(database_url=url, workflows=WORKFLOWS, actor=ACTOR, now=NOW.isoformat()))
    with ctx.uow() as uow:
        registered = ctx.catalog.register_current(uow, WORKFLOW_ID)
        uow.commit()
        uow.connection.engine.dispose()  # type: ignore[union-attr]
    workflow, version = registered.loaded.definition, registered.version

    rng = random.Random(seed)
    out = Generated()
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        engine.dispose()

        @event.listens_for(engine, "connect")
        def _bulk_load(dbapi_connection: Any, _record: Any) -> None:  # after the store's own pragmas
            dbapi_connection.execute("PRAGMA synchronous=OFF")
            dbapi_connection.execute("PRAGMA cache_size=-262144")  # 256 MiB: index building without thrashing
    with engine.connect() as conn:
        with conn.begin():
            p_rows: list[dict[str, Any]] = []
            e_rows: list[dict[str, Any]] = []
            d_rows: list[dict[str, Any]] = []

            def flush(final: bool = False) -> None:
                for table, rows in ((participants, p_rows), (events, e_rows), (deadlines, d_rows)):
                    if rows and (final or len(rows) >= CHUNK):
                        conn.execute(table.insert(), rows)
                        rows.clear()

            for i in range(1, n + 1):
                row, evs, found = participant_rows(i, rng, workflow, version)
                p_rows.append(row)
                e_rows.extend(evs)
                out.exited += row["status"] == "exited"
                d_rows.extend(found)
                out.deadlines += sum(1 for d in found if d["status"] == "open")
                if len(p_rows) >= CHUNK // EVENTS_PER_PARTICIPANT or len(e_rows) >= CHUNK:
                    # participants first: the events and deadlines refer to them
                    conn.execute(participants.insert(), p_rows)
                    p_rows.clear()
                    flush()
            if p_rows:
                conn.execute(participants.insert(), p_rows)
                p_rows.clear()
            flush(final=True)
        if not sqlite:
            for table in ("participants", "events", "deadlines"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            conn.commit()
        if analyze or not sqlite:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        out.participants = conn.execute(text("SELECT count(*) FROM participants")).scalar_one()
        out.events = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
    engine.dispose()
    assert out.participants == n and out.events == n * EVENTS_PER_PARTICIPANT, out
    out.seconds = time.perf_counter() - started
    return out


# -- the floors -------------------------------------------------------------------------------

class Dialect:
    """The fragments that differ between SQLite and PostgreSQL in the hand-written SQL."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sqlite = name == "sqlite"

    def sql(self, text: str) -> str:
        return text if self.sqlite else text.replace("?", "%s")

    def attr(self, column: str, *path: str) -> str:
        if self.sqlite:
            return f"json_extract({column}, '$.{'.'.join(path)}')"
        return column + "".join(f"->'{p}'" for p in path[:-1]) + f"->>'{path[-1]}'"

    def day(self, d: date) -> Any:
        return d.isoformat() if self.sqlite else d

    def moment(self, m: datetime) -> Any:
        return m.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else m

    def age(self) -> str:
        bd = self.attr("attributes", "birth_date")
        if self.sqlite:
            return (f"(CAST(substr(enrolled_on, 1, 4) AS INTEGER) - CAST(substr({bd}, 1, 4) AS INTEGER)"
                    f" - (substr(enrolled_on, 6, 5) < substr({bd}, 6, 5)))")
        return f"date_part('year', age(enrolled_on, ({bd})::date))::int"

    def year(self) -> str:
        return "substr(enrolled_on, 1, 4)" if self.sqlite else "to_char(enrolled_on, 'YYYY')"

    def plus_year(self) -> str:
        if self.sqlite:  # SQLite rolls 29 Feb + 12 months over to 1 March; the calendar clamps to 28 Feb
            return ("CASE WHEN substr(enrolled_on, 6, 5) = '02-29' THEN date(enrolled_on, '+12 months', '-1 day')"
                    " ELSE date(enrolled_on, '+12 months') END")
        return "(enrolled_on + interval '12 months')::date"

    def days(self, start: str, end: str) -> str:
        if self.sqlite:
            return f"(julianday({end}) - julianday({start}))"
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


def age_band_sql(d: Dialect, bands: tuple[int, ...]) -> str:
    age = d.age()
    whens = [f"WHEN {age} < {bands[0]} THEN '<{bands[0]}'"]
    whens += [f"WHEN {age} < {high} THEN '{low}-{high - 1}'" for low, high in zip(bands, bands[1:])]
    return f"CASE WHEN {age} IS NULL THEN NULL {' '.join(whens)} ELSE '{bands[-1]}-' END"


def fetch(cur: Any, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    cur.execute(sql, params)
    return cur.fetchall()


def floor_participants_age_gender(cur: Any, d: Dialect) -> dict[Any, int]:
    from pathway.reports.scope import DEFAULT_AGE_BANDS

    sql = d.sql(f"SELECT {age_band_sql(d, DEFAULT_AGE_BANDS)}, {d.attr('attributes', 'gender')}, count(*) "
                "FROM participants WHERE workflow_id = ? AND enrolled_on <= ? GROUP BY 1, 2")
    return {(a, g): c for a, g, c in fetch(cur, sql, (WORKFLOW_ID, d.day(AS_OF)))}


def floor_participants_year_agency(cur: Any, d: Dialect) -> dict[Any, int]:
    sql = d.sql(f"SELECT {d.year()}, {d.attr('attributes', 'referring_agency')}, count(*) "
                "FROM participants WHERE workflow_id = ? AND enrolled_on <= ? GROUP BY 1, 2")
    return {(y, a): c for y, a, c in fetch(cur, sql, (WORKFLOW_ID, d.day(AS_OF)))}


def floor_exits_reason_gender(cur: Any, d: Dialect) -> dict[Any, int]:
    # exited in the period, or still in at its end: enrolled by its end and not exited before its start
    sql = d.sql("SELECT CASE WHEN exited_on IS NULL OR exited_on > ? THEN 'open_at_period_end' ELSE exit_reason END, "
                f"{d.attr('attributes', 'gender')}, count(*) FROM participants "
                "WHERE workflow_id = ? AND enrolled_on <= ? AND (exited_on IS NULL OR exited_on >= ?) GROUP BY 1, 2")
    start, end = PERIOD
    return {(r, g): c for r, g, c in fetch(cur, sql, (d.day(end), WORKFLOW_ID, d.day(end), d.day(start)))}


def floor_goals(cur: Any, d: Dialect) -> dict[Any, int]:
    sql = d.sql(
        "SELECT count(*), "
        "count(CASE WHEN window_end < ? THEN 1 END), "
        "count(CASE WHEN window_end < ? AND met_on <= window_end THEN 1 END), "
        "count(CASE WHEN window_end >= ? THEN 1 END), "
        "count(CASE WHEN window_end >= ? AND met_on <= window_end THEN 1 END) "
        f"FROM (SELECT {d.plus_year()} AS window_end, "
        "CASE WHEN exit_reason IN ('work', 'studies') AND exited_on <= ? THEN exited_on END AS met_on "
        "FROM participants WHERE workflow_id = ? AND enrolled_on <= ?) AS w")
    a = d.day(AS_OF)
    total, den, num, inside, inside_met = fetch(cur, sql, (a, a, a, a, a, WORKFLOW_ID, a))[0]
    return {"total": total, "denominator": den, "numerator": num, "inside_window": inside,
            "inside_window_met": inside_met}


def floor_flow(cur: Any, d: Dialect) -> dict[Any, Any]:
    from pathway.clock import STOCKHOLM

    as_of_end = datetime.combine(AS_OF + timedelta(days=1), datetime.min.time(), tzinfo=STOCKHOLM)
    scope = "p.workflow_id = ? AND p.enrolled_on <= ?"
    params = (WORKFLOW_ID, d.day(AS_OF))
    visits = (
        "WITH v AS (SELECT e.participant_id AS pid, e.to_step AS step, e.effective_at AS entered_at, "
        "lead(e.effective_at) OVER (PARTITION BY e.participant_id ORDER BY e.seq) AS left_at "
        f"FROM events e JOIN participants p ON p.id = e.participant_id WHERE {scope} "
        "AND (e.type = 'enrolled' OR (e.type IN ('transition', 'migrated') AND e.to_step IS NOT NULL "
        "AND e.to_step <> e.from_step)) AND e.effective_at < ?), "
        "per AS (SELECT step, pid, count(*) AS c FROM v GROUP BY step, pid), "
        f"r AS (SELECT step, {d.days('entered_at', 'left_at')} AS days, "
        f"row_number() OVER (PARTITION BY step ORDER BY {d.days('entered_at', 'left_at')}) AS rk, "
        "count(*) OVER (PARTITION BY step) AS n FROM v WHERE left_at IS NOT NULL) "
        "SELECT 'visits', step, sum(c), count(*), sum(CASE WHEN c > 1 THEN 1 ELSE 0 END) FROM per GROUP BY step "
        "UNION ALL SELECT 'circulating', NULL, count(DISTINCT pid), NULL, NULL FROM per WHERE c > 1 "
        "UNION ALL SELECT 'days', step, max(CASE WHEN rk = (n + 1) / 2 THEN days END), "
        "max(CASE WHEN rk = (n * 9 + 9) / 10 THEN days END), NULL FROM r GROUP BY step")
    out: dict[Any, Any] = {}
    for kind, step, a, b, c in fetch(cur, d.sql(visits), (*params, d.moment(as_of_end))):
        if kind == "visits":
            out[("entered", step)], out[("participants", step)], out[("re_entered", step)] = a, b, c
        elif kind == "circulating":
            out["circulating"] = a
        else:
            out[("median_days", step)] = None if a is None else round(float(a), 1)
            out[("p90_days", step)] = None if b is None else round(float(b), 1)
    # today's report: in the project now = status 'open' (the (workflow_id, status, step) index)
    for step, c in fetch(cur, d.sql("SELECT step, count(*) FROM participants p WHERE p.workflow_id = ? "
                                    "AND p.enrolled_on <= ? AND p.status = 'open' GROUP BY step"), params):
        out[("in_now", step)] = c
    for step, c in fetch(cur, d.sql("SELECT e.from_step, count(*) FROM events e JOIN participants p "
                                    f"ON p.id = e.participant_id WHERE {scope} AND e.type = 'escalated' "
                                    "AND e.effective_at < ? GROUP BY e.from_step"),
                         (*params, d.moment(as_of_end))):
        out[("escalations", step)] = c
    for step, c in fetch(cur, d.sql("SELECT p.step, count(*) FROM deadlines dl JOIN participants p "
                                    f"ON p.id = dl.participant_id WHERE {scope} AND dl.status = 'open' "
                                    "AND dl.due_at < ? GROUP BY p.step"), (*params, d.moment(NOW))):
        out[("overdue_now", step)] = c
    out["total"] = fetch(cur, d.sql("SELECT count(*) FROM participants p WHERE p.workflow_id = ? "
                                    "AND p.enrolled_on <= ?"), params)[0][0]
    # the report's rows are the non-terminal steps (entries into 'exited' only end the visit before)
    return {k: v for k, v in out.items() if not (isinstance(k, tuple) and k[1] == "exited")}


def _latest_sql(d: Dialect, name: str) -> str:
    """The value most recently recorded before the exit (enrolment or a later correction), correlated."""
    value = (f"CASE WHEN r.type = 'enrolled' THEN {d.attr('r.data', 'attributes', name)} "
             f"ELSE {d.attr('r.data', 'set', name)} END")
    return (f"(SELECT {value} FROM events r WHERE r.participant_id = p.id AND r.type IN ('enrolled', "
            f"'attributes_set') AND r.effective_at <= p.exited_at AND {value} IS NOT NULL "
            "ORDER BY r.effective_at DESC, r.seq DESC LIMIT 1)")


def floor_before_after(cur: Any, d: Dialect) -> dict[Any, int]:
    sql = d.sql(
        f"WITH x AS (SELECT {d.attr('en.data', 'attributes', 'income_source')} AS bi, "
        f"COALESCE({d.attr('ex.data', 'income_source_at_exit')}, {_latest_sql(d, 'income_source')}) AS ai, "
        f"{d.attr('en.data', 'attributes', 'af_code')} AS ba, "
        f"COALESCE({d.attr('ex.data', 'af_code_at_exit')}, {_latest_sql(d, 'af_code')}) AS aa "
        "FROM participants p "
        "JOIN events ex ON ex.participant_id = p.id AND ex.type = 'transition' AND ex.to_step = 'exited' "
        "JOIN events en ON en.participant_id = p.id AND en.type = 'enrolled' "
        "WHERE p.workflow_id = ? AND p.enrolled_on <= ? AND p.exited_on IS NOT NULL AND p.exited_on <= ?) "
        "SELECT 'total', NULL, count(*) FROM x "
        "UNION ALL SELECT 'income_source:at_enrolment', bi, count(*) FROM x GROUP BY bi "
        "UNION ALL SELECT 'income_source:at_exit', ai, count(*) FROM x GROUP BY ai "
        "UNION ALL SELECT 'af_code:at_enrolment', ba, count(*) FROM x GROUP BY ba "
        "UNION ALL SELECT 'af_code:at_exit', aa, count(*) FROM x GROUP BY aa")
    a = d.day(AS_OF)
    out: dict[Any, int] = {}
    for kind, value, c in fetch(cur, sql, (WORKFLOW_ID, a, a)):
        out["total" if kind == "total" else (kind, value)] = c
    return out


def _as_of_end(d: Dialect) -> Any:
    from pathway.clock import STOCKHOLM

    return d.moment(datetime.combine(AS_OF + timedelta(days=1), datetime.min.time(), tzinfo=STOCKHOLM))


def _period_moments(d: Dialect) -> tuple[Any, Any]:
    from pathway.clock import STOCKHOLM

    start, end = PERIOD
    return (d.moment(datetime.combine(start, datetime.min.time(), tzinfo=STOCKHOLM)),
            d.moment(datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=STOCKHOLM)))


def floor_intervention_running(cur: Any, d: Dialect) -> dict[Any, int]:
    """Participants in the project during the period, by intervention kinds running in it."""
    begins, ends = _period_moments(d)
    sql = d.sql(
        f"WITH k AS MATERIALIZED (SELECT DISTINCT s.participant_id, {d.attr('s.data', 'kind')} AS kind FROM events s "
        "LEFT JOIN events x ON x.participant_id = s.participant_id AND x.type = 'intervention_ended' "
        f"AND {d.attr('x.data', 'id')} = {d.attr('s.data', 'id')} AND x.effective_at < ? "
        "WHERE s.type = 'intervention_started' AND s.effective_at < ? AND x.id IS NULL) "
        "SELECT k.kind, count(*) FROM participants p LEFT JOIN k ON k.participant_id = p.id "
        "WHERE p.workflow_id = ? AND p.enrolled_on <= ? AND (p.exited_on IS NULL OR p.exited_on >= ?) GROUP BY 1")
    start, end = PERIOD
    return {(k,): c for k, c in fetch(cur, sql, (begins, ends, WORKFLOW_ID, d.day(end), d.day(start)))}


def floor_placement_hours(cur: Any, d: Dialect) -> dict[Any, int]:
    hours = (f"CAST({d.attr('data', 'hours_per_week')} AS REAL)" if d.sqlite
             else f"({d.attr('data', 'hours_per_week')})::float")
    sql = d.sql(
        "SELECT CASE WHEN h.pid IS NULL THEN 'no_placement' WHEN h.hours IS NULL THEN 'no_hours_recorded' "
        f"WHEN h.hours >= 10 THEN 'reached' ELSE 'below' END, {d.attr('p.attributes', 'gender')}, count(*) "
        "FROM participants p LEFT JOIN h ON h.pid = p.id WHERE p.workflow_id = ? AND p.enrolled_on <= ? GROUP BY 1, 2")
    sql = d.sql(f"WITH h AS MATERIALIZED (SELECT participant_id AS pid, max({hours}) AS hours FROM events "
                "WHERE type IN ('placement_started', 'placement_followup') AND effective_at < ? "
                "GROUP BY participant_id) ") + sql
    return {(v, g): c for v, g, c in fetch(cur, sql, (_as_of_end(d), WORKFLOW_ID, d.day(AS_OF)))}


def floor_warning_flag_count(cur: Any, d: Dialect) -> dict[Any, int]:
    length = ("json_array_length(attributes, '$.warning_flags')" if d.sqlite
              else "jsonb_array_length(attributes->'warning_flags')")
    sql = d.sql(f"SELECT {length}, count(*) FROM participants WHERE workflow_id = ? AND enrolled_on <= ? GROUP BY 1")
    return {(n,): c for n, c in fetch(cur, sql, (WORKFLOW_ID, d.day(AS_OF)))}


def floor_deadline_rule(cur: Any, d: Dialect) -> dict[Any, int]:
    end = _as_of_end(d)
    sql = d.sql(
        "SELECT CASE WHEN r.participant_id IS NULL OR r.started_at >= ? THEN 'not_started' "
        "WHEN r.met_at IS NOT NULL AND r.met_at < ? AND (r.due_at IS NULL OR r.met_at < r.due_at) THEN 'met' "
        "WHEN r.status = 'cancelled' AND r.closed_at < ? AND (r.due_at IS NULL OR r.closed_at < r.due_at) "
        "THEN 'cancelled' WHEN r.due_at < ? THEN 'missed' ELSE 'open' END, "
        f"{d.attr('p.attributes', 'gender')}, count(*) FROM participants p "
        "LEFT JOIN deadlines r ON r.participant_id = p.id AND r.key = ? "
        "WHERE p.workflow_id = ? AND p.enrolled_on <= ? GROUP BY 1, 2")
    return {(v, g): c for v, g, c in fetch(cur, sql, (end, end, end, end, f"rule:{RULE_ID}", WORKFLOW_ID,
                                                       d.day(AS_OF)))}


# -- the reports, as the numbers the floors give ----------------------------------------------

def crosstab_counts(tables: list[Any]) -> dict[Any, int]:
    (t,) = tables
    return {tuple(r[dim] for dim in t.dimensions): r["count"] for r in t.rows if r["count"]}


def goals_counts(tables: list[Any]) -> dict[Any, int]:
    (t,) = tables
    (row,) = t.rows
    return {"total": t.total, **{k: row[k] for k in ("denominator", "numerator", "inside_window",
                                                      "inside_window_met")}}


def flow_counts(tables: list[Any]) -> dict[Any, Any]:
    (t,) = tables
    out: dict[Any, Any] = {"total": t.total}
    for r in t.rows:
        for m in ("entered", "participants", "re_entered", "in_now", "median_days", "p90_days", "overdue_now",
                  "escalations"):
            if r[m] not in (0, None):
                out[(m, r["step"])] = r[m]
    (note,) = [n for n in t.notes if "circulation" in n]
    out["circulating"] = int(note.split()[0])
    return out


def before_after_counts(tables: list[Any]) -> dict[Any, int]:
    (t,) = tables
    out: dict[Any, int] = {"total": t.total}
    for r in t.rows:
        for side in ("at_enrolment", "at_exit"):
            if r[side]:
                out[(f"{r['field']}:{side}", r["value"])] = r[side]
    return out


def clean(counts: dict[Any, Any]) -> dict[Any, Any]:
    """Drop zero and NULL cells (the report prints declared codes with 0; SQL has no such rows)."""
    return {k: v for k, v in counts.items() if v not in (0, None)}


@dataclass
class Report:
    name: str
    builder: Callable[[], Any]
    floor: Callable[[Any, Dialect], dict[Any, Any]]
    numbers: Callable[[list[Any]], dict[Any, Any]]
    period: tuple[date, date] | None = None
    floor_sql: str = ""


def reports() -> list[Report]:
    from pathway.reports import builders

    return [
        Report("participants --by age_band,gender", lambda: builders.participants(["age_band", "gender"]),
               floor_participants_age_gender, crosstab_counts,
               floor_sql="SELECT <age band CASE over json birth_date and enrolled_on>, gender, count(*) "
                         "FROM participants WHERE workflow_id=? AND enrolled_on<=? GROUP BY 1,2"),
        Report("participants --by year,referring_agency", lambda: builders.participants(["year", "referring_agency"]),
               floor_participants_year_agency, crosstab_counts,
               floor_sql="SELECT substr(enrolled_on,1,4), referring_agency, count(*) FROM participants "
                         "WHERE workflow_id=? AND enrolled_on<=? GROUP BY 1,2"),
        Report("exits --by reason,gender --with-open (2011)", lambda: builders.exits(["reason", "gender"], with_open=True),
               floor_exits_reason_gender, crosstab_counts, period=PERIOD,
               floor_sql="SELECT CASE WHEN exited_on IS NULL OR exited_on>:to THEN 'open_at_period_end' ELSE "
                         "exit_reason END, gender, count(*) FROM participants WHERE workflow_id=? AND "
                         "enrolled_on<=:to AND (exited_on IS NULL OR exited_on>=:from) GROUP BY 1,2"),
        Report("participants --active --by intervention", lambda: builders.participants(["intervention"], active=True),
               floor_intervention_running, crosstab_counts, period=PERIOD,
               floor_sql="participants LEFT JOIN (SELECT DISTINCT participant, kind of intervention_started events "
                         "before the period's end with no intervention_ended of that id before its start) GROUP BY kind"),
        Report("participants --by placement_hours:10,gender", lambda: builders.participants(["placement_hours:10", "gender"]),
               floor_placement_hours, crosstab_counts,
               floor_sql="participants LEFT JOIN (SELECT participant, max(hours) FROM placement start/follow-up "
                         "events GROUP BY participant) → CASE reached/below/no hours/no placement, gender"),
        Report("participants --by count:warning_flags", lambda: builders.participants(["count:warning_flags"]),
               floor_warning_flag_count, crosstab_counts,
               floor_sql="SELECT json_array_length(attributes->warning_flags), count(*) FROM participants GROUP BY 1"),
        Report("participants --by deadline,gender", lambda: builders.participants(["deadline", "gender"]),
               floor_deadline_rule, crosstab_counts,
               floor_sql="participants LEFT JOIN deadlines ON key='rule:…' → CASE met/cancelled/missed/open/"
                         "not started as of the day, gender, count(*)"),
        Report("goals", lambda: builders.goals, floor_goals, goals_counts,
               floor_sql="one SELECT of five conditional counts over participants, window end = "
                         "enrolled_on + 12 months in SQL, met = exited_on of a work/studies exit"),
        Report("flow", lambda: builders.flow, floor_flow, flow_counts,
               floor_sql="one WITH visits (events ⋈ participants, lead() per participant) feeding per-step "
                         "visits/participants/re-entries, circulation and nearest-rank percentiles "
                         "(row_number); in-now by status='open'; escalations; overdue deadlines; total"),
        Report("before-after", lambda: builders.before_after, floor_before_after, before_after_counts,
               floor_sql="one WITH x (participants ⋈ exit event ⋈ enrolled event) and five aggregates "
                         "over it (total and four GROUP BYs) in one UNION ALL"),
    ]


# -- measuring --------------------------------------------------------------------------------

@dataclass
class Measured:
    name: str
    report_seconds: list[float] = field(default_factory=list)
    floor_seconds: list[float] = field(default_factory=list)
    report_rss_rise_kib: int = 0
    floor_rss_rise_kib: int = 0
    report_peak_bytes: int = 0
    floor_peak_bytes: int = 0
    statements: list[dict[str, Any]] = field(default_factory=list)
    cells: int = 0


def timed(fn: Callable[[], Any]) -> tuple[float, int, Any]:
    gc.collect()
    reset = reset_rss_peak()
    start_rss = proc_status_kib("VmRSS").get("VmRSS", 0)
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    peak = proc_status_kib("VmHWM").get("VmHWM", 0) if reset else 0
    return seconds, max(0, peak - start_rss), result


def traced(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def capture_statements(engine: Any, fn: Callable[[], Any]) -> list[dict[str, Any]]:
    """The statements a report executes, each with its own wall time."""
    from sqlalchemy import event

    captured: list[dict[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        captured.append({"sql": statement, "params": parameters,
                         "execute_seconds": time.perf_counter() - conn.info.pop("bench_t0")})

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return captured


def explain(raw: Any, d: Dialect, statement: dict[str, Any]) -> str:
    """EXPLAIN QUERY PLAN (SQLite) or EXPLAIN ANALYZE (PostgreSQL) of a captured statement."""
    sql, params = statement["sql"], statement["params"]
    cur = raw.cursor()
    try:
        if d.sqlite:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(f"{r[0]}/{r[1]}: {r[3]}" for r in cur.fetchall())
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())
    finally:
        cur.close()


def fetch_rows(cur: Any, sql: str, params: Any) -> int:
    cur.execute(sql, params)
    return len(cur.fetchall())


def measure(url: str, d: Dialect, repeat: int, explain_plans: bool,
            only: str | None = None) -> tuple[list[Measured], dict[str, Any]]:
    from pathway.bootstrap import bootstrap
    from pathway.config import Settings
    from pathway.services import reporting
    from pathway.store import make_engine

    ctx = bootstrap(Settings(database_url=url, workflows=WORKFLOWS, actor=ACTOR, now=NOW.isoformat()))
    with ctx.uow() as uow:
        report_engine = uow.connection.engine
    floor_engine = make_engine(url)
    raw = floor_engine.raw_connection()
    cur = raw.cursor()
    checks: dict[str, Any] = {}
    results: list[Measured] = []
    try:
        plan_list = reports()
        if only:
            wanted = tuple(w.strip() for w in only.split(",") if w.strip())
            plan_list = [r for r in plan_list if r.name.startswith(wanted)]
        runners = []
        for r in plan_list:
            period = r.period or (None, None)

            def run_report(r: Report = r, period: tuple[Any, Any] = period) -> list[Any]:
                return reporting.run(ctx, WORKFLOW_ID, r.builder(), period_from=period[0], period_to=period[1])

            def run_floor(r: Report = r) -> dict[Any, Any]:
                out = r.floor(cur, d)
                if not d.sqlite:
                    raw.rollback()  # psycopg opens a transaction; end it like the report's
                return out

            runners.append((r, run_report, run_floor))

        # equivalence first (and warm-up): every floor gives the report's numbers
        for r, run_report, run_floor in runners:
            tables = run_report()
            got, want = clean(r.numbers(tables)), clean(run_floor())
            if got != want:
                diff = {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
                raise AssertionError(f"{r.name}: report and floor differ (report, floor): {diff}")
            checks[r.name] = {"cells_equal": len(got)}
            results.append(Measured(r.name, cells=len(got)))
            print(f"  ✓ {r.name}: report = floor ({len(got)} non-zero numbers)", flush=True)

        for k in range(repeat):
            for (_r, run_report, run_floor), m in zip(runners, results):
                s, rise, _ = timed(run_report)
                m.report_seconds.append(s)
                m.report_rss_rise_kib = max(m.report_rss_rise_kib, rise)
                s, rise, _ = timed(run_floor)
                m.floor_seconds.append(s)
                m.floor_rss_rise_kib = max(m.floor_rss_rise_kib, rise)
            print(f"  run {k + 1}/{repeat}: " + ", ".join(
                f"{m.name.split(' ')[0]} {m.report_seconds[-1]:.3f}/{m.floor_seconds[-1]:.3f}" for m in results),
                flush=True)

        for (_r, run_report, run_floor), m in zip(runners, results):
            m.report_peak_bytes = traced(run_report)
            m.floor_peak_bytes = traced(run_floor)
            m.statements = capture_statements(report_engine, run_report)
            if explain_plans:
                for st in m.statements:
                    if st["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                        st["plan"] = explain(raw, d, st)
                        if not d.sqlite:
                            raw.rollback()
            for st in m.statements:
                st["params"] = repr(st["params"])
    finally:
        cur.close()
        raw.close()
        floor_engine.dispose()
        report_engine.dispose()  # type: ignore[union-attr]
    return results, checks


# -- reporting --------------------------------------------------------------------------------

def environment(url: str) -> dict[str, Any]:
    return machine(database="sqlite" if url.startswith("sqlite") else "postgresql")


def summarise(m: Measured) -> dict[str, Any]:
    best_r, best_f = min(m.report_seconds), min(m.floor_seconds)
    med_r, med_f = statistics.median(m.report_seconds), statistics.median(m.floor_seconds)
    slowest = sorted(m.statements, key=lambda s: -s["execute_seconds"])
    return {
        "report": m.name, "report_seconds": round(best_r, 4), "floor_seconds": round(best_f, 4),
        "ratio": round(best_r / best_f, 2), "median_ratio": round(med_r / med_f, 2),
        "all_report_seconds": [round(s, 4) for s in m.report_seconds],
        "all_floor_seconds": [round(s, 4) for s in m.floor_seconds],
        "report_tracemalloc_peak_bytes": m.report_peak_bytes, "floor_tracemalloc_peak_bytes": m.floor_peak_bytes,
        "report_rss_peak_rise_kib": m.report_rss_rise_kib, "floor_rss_peak_rise_kib": m.floor_rss_rise_kib,
        "statements": len(m.statements),
        "statement_seconds": round(sum(s["execute_seconds"] for s in m.statements), 4),
        "numbers_checked": m.cells,
        "statements_detail": [{"execute_seconds": round(s["execute_seconds"], 4), "sql": s["sql"],
                               "params": s["params"], **({"plan": s["plan"]} if "plan" in s else {})}
                              for s in slowest],
    }


def print_table(rows: list[dict[str, Any]], n: int, events: int, backend: str) -> None:
    head = (f"{'report':<46}{'report s':>10}{'floor s':>9}{'ratio':>7}{'med':>7}{'stmts':>6}{'in SQL s':>9}"
            f"{'peak KiB':>10}{'floor KiB':>10}{'RSS+ KiB':>9}")
    print(f"\n{backend}: N={n:,} participants, {events:,} events")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['report']:<46}{r['report_seconds']:>10.3f}{r['floor_seconds']:>9.3f}{r['ratio']:>7.2f}"
              f"{r['median_ratio']:>7.2f}{r['statements']:>6}{r['statement_seconds']:>9.3f}"
              f"{r['report_tracemalloc_peak_bytes'] / 1024:>10,.0f}{r['floor_tracemalloc_peak_bytes'] / 1024:>10,.0f}"
              f"{r['report_rss_peak_rise_kib']:>9,}")
    print("seconds: best of the timed runs (med: ratio of the medians). in SQL s: the report's statements' own "
          "execute time (captured pass). peak: tracemalloc, separate traced run. RSS+: peak resident-set rise.")
    for r in rows:
        if r["ratio"] > 2:
            top = r["statements_detail"][0]
            print(f"\n  {r['report']}: {r['ratio']}× — slowest statement {top['execute_seconds']:.3f} s:\n"
                  f"    {' '.join(top['sql'].split())[:400]}")
            if "plan" in top:
                print("    plan: " + top["plan"].replace("\n", "\n          "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="participants (default 100000; 10 events each)")
    parser.add_argument("--db", default=None,
                        help="database URL (default: a SQLite file in a temporary directory); a PostgreSQL URL "
                             f"gets a fresh schema {PG_SCHEMA}, dropped afterwards")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per report after a warm-up (default 5)")
    parser.add_argument("--seed", type=int, default=20090101)
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE on SQLite after the load too")
    parser.add_argument("--no-explain", action="store_true", help="skip the query plans of the report's statements")
    parser.add_argument("--schema", default=PG_SCHEMA,
                        help=f"the PostgreSQL schema to create and drop (default {PG_SCHEMA}; give your own when "
                             "others may run this bench on the same server)")
    parser.add_argument("--only", default=None,
                        help="only the reports whose names start with one of these, comma-separated (e.g. goals,flow)")
    parser.add_argument("--keep", action="store_true", help="keep the database (SQLite file / PostgreSQL schema)")
    parser.add_argument("--tmp", type=Path, help="parent folder for the temporary directory")
    parser.add_argument("--json-out", type=Path,
                        help="write the JSON summary here (default bench/results/reports-<db>-n<N>.json)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="pathway-bench-reports-", dir=args.tmp))
    global WORKFLOWS
    (tmp / "workflows").mkdir()
    (tmp / "workflows" / f"{WORKFLOW_ID}.yaml").write_text(
        (WORKFLOWS / f"{WORKFLOW_ID}.yaml").read_text(encoding="utf-8") + RULE_YAML, encoding="utf-8")
    WORKFLOWS = tmp / "workflows"
    admin = None
    backend = "sqlite"
    if args.db and not args.db.startswith("sqlite"):
        from sqlalchemy import create_engine

        from pathway.store.database import normalise_url

        backend = "postgresql"
        base = normalise_url(args.db)
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE')
            conn.exec_driver_sql(f'CREATE SCHEMA "{args.schema}"')
        url = base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{args.schema}"
    else:
        url = args.db or f"sqlite:///{tmp / 'reports.db'}"
    d = Dialect(backend)
    env = environment(url)
    try:
        print(f"building {backend} database: N={args.n:,} participants …", flush=True)
        built = build(url, args.n, args.seed, args.analyze)
        size = (Path(url.removeprefix("sqlite:///")).stat().st_size if backend == "sqlite" else None)
        print(f"  built in {built.seconds:.1f} s: {built.participants:,} participants ({built.exited:,} exited), "
              f"{built.events:,} events, {built.deadlines:,} open deadlines"
              + (f", {size / 2**20:,.0f} MiB" if size else ""), flush=True)
        measured, checks = measure(url, d, args.repeat, not args.no_explain, args.only)
    finally:
        if admin is not None:
            if not args.keep:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE')
            admin.dispose()
        if args.keep:
            print(f"kept: {url}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    rows = [summarise(m) for m in measured]
    floors = {r.name: r.floor_sql for r in reports()}
    summary = {
        "benchmark": "reports vs plain-SQL floor",
        "now": NOW.isoformat(), "as_of": AS_OF.isoformat(), "exits_period": [p.isoformat() for p in PERIOD],
        "n": args.n, "events": built.events, "exited": built.exited, "open_deadlines": built.deadlines,
        "build_seconds": round(built.seconds, 1), "db_file_bytes": size, "repeat": args.repeat,
        "analyzed": args.analyze or backend != "sqlite",
        "reports": [{**r, "floor_sql": floors[r["report"]]} for r in rows],
        "checks": checks,
        "total_seconds": round(time.perf_counter() - started, 1),
        "environment": env,
    }
    print_table(rows, args.n, built.events, backend)
    out = args.json_out or RESULTS / f"reports-{backend}-n{args.n}{'-analyzed' if args.analyze else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
