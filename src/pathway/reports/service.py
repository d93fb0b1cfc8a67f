"""The report use cases: choose the workflow and scope, read in one read-only transaction.

Labels and code lists come from the workflow's current file (its newest stored version when the
file has gone), so a report prints the codes a funder knows today. Nothing is ever committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy.orm import Session

from pathway.clock import to_local
from pathway.definitions.models import Workflow
from pathway.errors import UnknownWorkflow
from pathway.reports.before_after import Wave, before_after_table
from pathway.reports.crosstab import exits_table, participants_table
from pathway.reports.flow import flow_table
from pathway.reports.goals import goals_table
from pathway.reports.outcomes import outcomes_table
from pathway.reports.scope import DEFAULT_AGE_BANDS, ReportScope
from pathway.reports.table import ReportTable
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.store.database import read_only_options

Builder = Callable[[Session, ReportScope], list[ReportTable]]


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
        dialect = uow.session.get_bind().dialect.name  # type: ignore[attr-defined]
        uow.session.connection(execution_options=read_only_options(dialect))  # type: ignore[attr-defined]
        workflow = _definition(ctx, uow, workflow_id)
        today = to_local(now).date()
        scope = ReportScope(workflow=workflow, as_of=as_of or today, now=now, period_from=period_from,
                            period_to=period_to, age_bands=age_bands,
                            dialect=dialect)
        try:
            return build(uow.session, scope)  # type: ignore[attr-defined]
        finally:
            uow.rollback()


def _definition(ctx: ServiceContext, uow: object, workflow_id: str) -> Workflow:
    if workflow_id in ctx.catalog.file_ids():
        return ctx.catalog.load_current(workflow_id).definition
    stored = [w for w in uow.workflows.all() if w.workflow_id == workflow_id]  # type: ignore[attr-defined]
    if not stored:
        known = set(ctx.catalog.file_ids()) | {w.workflow_id for w in uow.workflows.all()}  # type: ignore[attr-defined]
        raise UnknownWorkflow(workflow_id, known)
    newest = max(stored, key=lambda w: w.version)
    return ctx.catalog.pinned(uow, workflow_id, newest.version).definition  # type: ignore[arg-type]


def participants(by: Sequence[str], active: bool = False) -> Builder:
    return lambda session, scope: [participants_table(session, scope, by, active)]


def exits(by: Sequence[str], with_open: bool = False) -> Builder:
    return lambda session, scope: [exits_table(session, scope, by, with_open)]


def outcomes(session: Session, scope: ReportScope) -> list[ReportTable]:
    """Participants per outcome: those who exited in the period, and those still in the project at its
    end counted as ongoing (aggregate: no ref, see reports/outcomes.py)."""
    return [outcomes_table(session, scope)]


def exited_outcomes(session: Session, scope: ReportScope) -> list[ReportTable]:
    """Only those who exited in the period."""
    return [outcomes_table(session, scope, with_ongoing=False)]


def goals(session: Session, scope: ReportScope) -> list[ReportTable]:
    return [goals_table(session, scope)]


def flow(session: Session, scope: ReportScope) -> list[ReportTable]:
    return [flow_table(session, scope)]


def flow_by(by: str | None) -> Builder:
    """Flow per step, split by one more dimension (any a cross-tab takes)."""
    return lambda session, scope: [flow_table(session, scope, by)]


def before_after(session: Session, scope: ReportScope) -> list[ReportTable]:
    return [before_after_table(session, scope)]


def before_after_of(fields: Sequence[str] | None = None, start_within_days: int = 0,
                    waves: Sequence[Wave] = ()) -> Builder:
    """Before-after for named fields, a window for the value at start, and follow-up waves."""
    return lambda session, scope: [before_after_table(session, scope, list(fields or []) or None, start_within_days,
                                                      tuple(waves))]


#: ``report all``: the tables of the seeds' reports, each by gender where the workflow records it.
ALL_PARTICIPANT_DIMENSIONS = ("age_band", "year", "referring_agency", "education", "household", "income_source")


def everything(session: Session, scope: ReportScope) -> list[ReportTable]:
    """Every table above: participants by each background variable, by each deadline rule and by
    intervention, exits, outcomes, goals, flow, before-after."""
    attributes = scope.workflow.attributes
    across = ["gender"] if "gender" in attributes else []
    tables = []
    for dimension in ALL_PARTICIPANT_DIMENSIONS:
        if dimension in attributes or dimension == "year" or (dimension == "age_band" and "birth_date" in attributes):
            tables.append(participants_table(session, scope, [dimension, *across]))
    for rule in scope.workflow.deadlines:  # Flen's headline: the share whose 14-day rule was met
        tables.append(participants_table(session, scope, [f"deadline:{rule.id}", *across]))
    if scope.workflow.interventions:
        tables.append(participants_table(session, scope, ["intervention", *across], active=True))
    tables.append(exits_table(session, scope, ["reason", *across], with_open=scope.period_to is not None))
    if any(spec.type.value == "exit_reasons" for t in scope.workflow.transitions for spec in t.data.values()):
        tables.append(outcomes_table(session, scope))
    tables += [goals_table(session, scope), flow_table(session, scope), before_after_table(session, scope)]
    return tables


__all__ = ["run"]
