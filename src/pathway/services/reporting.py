"""The report use cases: check the access policy, log the read, choose the workflow and scope, and
read in one read-only transaction. The queries and tables are :mod:`pathway.reports` (pure).

Labels and code lists come from the workflow's current file (its newest stored version when the
file has gone), so a report prints the codes a funder knows today. Nothing is ever committed but
the access-log row, written apart before the read.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pathway.clock import to_local
from pathway.errors import UnknownWorkflow
from pathway.reports.builders import Builder
from pathway.reports.circulation import Period, circulation_table
from pathway.reports.finsam import FinsamExport, build_export
from pathway.reports.scope import DEFAULT_AGE_BANDS, ReportScope
from pathway.reports.table import ReportTable
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.store.database import read_only_options

if TYPE_CHECKING:
    from pathway.definitions.models import Workflow


def run(ctx: ServiceContext, workflow_id: str, build: Builder, period_from: date | None = None,
        period_to: date | None = None, as_of: date | None = None,
        age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS, name: str = "report",
        permission: str = "report.read") -> list[ReportTable]:
    """Build report tables for one workflow in a single read-only transaction (``name`` goes to the
    access log). ``permission``: ``report.read`` for the aggregate tables funders and steering
    groups get; ``report.records`` for a table that lists participants' entries (corrections)."""
    policy.require(ctx, permission, workflow=workflow_id)
    # aggregates: one access-log row per report, never one per participant; written by the policy
    # in a transaction of its own, before the read-only snapshot below
    policy.log_read_apart(ctx, None, f"report {name}", workflow_id)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        # a snapshot that cannot write, and on SQLite does not hold writers up while it runs
        dialect = uow.connection.dialect.name  # type: ignore[attr-defined]
        uow.connection.execution_options(**read_only_options(dialect))  # type: ignore[attr-defined]
        workflow = definition(ctx, uow, workflow_id)
        today = to_local(now).date()
        scope = ReportScope(workflow=workflow, as_of=as_of or today, now=now, period_from=period_from,
                            period_to=period_to, age_bands=age_bands,
                            dialect=dialect)
        try:
            return build(uow.connection, scope)  # type: ignore[attr-defined]
        finally:
            uow.rollback()


def definition(ctx: ServiceContext, uow: Any, workflow_id: str) -> Workflow:
    """The definition a report of ``workflow_id`` reads: the current file, else the newest stored version."""
    if workflow_id in ctx.catalog.file_ids():
        return ctx.catalog.load_current(workflow_id).definition
    stored = [w for w in uow.workflows.all() if w.workflow_id == workflow_id]
    if not stored:
        known = set(ctx.catalog.file_ids()) | {w.workflow_id for w in uow.workflows.all()}
        raise UnknownWorkflow(workflow_id, known)
    newest = max(stored, key=lambda w: w.version)
    return ctx.catalog.pinned(uow, workflow_id, newest.version).definition


def circulation(ctx: ServiceContext, period_from: date | None = None, period_to: date | None = None,
                per: Period = Period.YEAR) -> list[ReportTable]:
    """The circulation table across every workflow, in one read-only transaction."""
    policy.require(ctx, "report.read")
    policy.log_read_apart(ctx, None, "report circulation")  # one access-log row per report
    now = ctx.clock.now()
    with ctx.uow() as uow:
        dialect = uow.connection.dialect.name  # type: ignore[attr-defined]
        uow.connection.execution_options(**read_only_options(dialect))  # type: ignore[attr-defined]
        ids = set(ctx.catalog.file_ids()) | {w.workflow_id for w in uow.workflows.all()}
        definitions = {wid: definition(ctx, uow, wid) for wid in sorted(ids)}
        try:
            return [circulation_table(uow.connection, definitions, period_from, period_to, per,  # type: ignore[attr-defined]
                                      to_local(now).date(), dialect)]
        finally:
            uow.rollback()


def finsam(ctx: ServiceContext, workflow_id: str, period_from: date | None = None,
           period_to: date | None = None) -> FinsamExport:
    """The national follow-up export: the participants of ``workflow_id`` whose enrolment overlaps the
    period, in national terms (see :mod:`pathway.reports.finsam`)."""
    policy.require(ctx, "export.national", workflow=workflow_id)
    with ctx.uow() as uow:
        session = uow.connection  # type: ignore[attr-defined]
        session.execution_options(**read_only_options(session.dialect.name))
        workflow = definition(ctx, uow, workflow_id)
        try:
            result = build_export(session, workflow, period_from, period_to)
        finally:
            uow.rollback()
    policy.log_read_apart(ctx, None, "finsam export", workflow_id)
    return result


__all__ = ["circulation", "definition", "finsam", "run"]
