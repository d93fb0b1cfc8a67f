"""What a report is made of: builders that turn one read-only session and a scope into tables.

Pure queries: the use case that checks the access policy, logs the read and opens the read-only
transaction is :func:`pathway.services.reporting.run`, which takes one of these builders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Connection

from pathway.reports.before_after import Wave, before_after_table
from pathway.reports.crosstab import exits_table, participants_table
from pathway.reports.flow import flow_table
from pathway.reports.goals import goals_table
from pathway.reports.outcomes import outcomes_table
from pathway.reports.scope import ReportScope
from pathway.reports.table import ReportTable

Builder = Callable[[Connection, ReportScope], list[ReportTable]]


def participants(by: Sequence[str], active: bool = False) -> Builder:
    return lambda session, scope: [participants_table(session, scope, by, active)]


def exits(by: Sequence[str], with_open: bool = False) -> Builder:
    return lambda session, scope: [exits_table(session, scope, by, with_open)]


def outcomes(session: Connection, scope: ReportScope) -> list[ReportTable]:
    """Participants per outcome: those who exited in the period, and those still in the project at its
    end counted as ongoing (aggregate: no ref, see reports/outcomes.py)."""
    return [outcomes_table(session, scope)]


def exited_outcomes(session: Connection, scope: ReportScope) -> list[ReportTable]:
    """Only those who exited in the period."""
    return [outcomes_table(session, scope, with_ongoing=False)]


def goals(session: Connection, scope: ReportScope) -> list[ReportTable]:
    return [goals_table(session, scope)]


def flow(session: Connection, scope: ReportScope) -> list[ReportTable]:
    return [flow_table(session, scope)]


def flow_by(by: str | None) -> Builder:
    """Flow per step, split by one more dimension (any a cross-tab takes)."""
    return lambda session, scope: [flow_table(session, scope, by)]


def before_after(session: Connection, scope: ReportScope) -> list[ReportTable]:
    return [before_after_table(session, scope)]


def before_after_of(fields: Sequence[str] | None = None, start_within_days: int = 0,
                    waves: Sequence[Wave] = ()) -> Builder:
    """Before-after for named fields, a window for the value at start, and follow-up waves."""
    return lambda session, scope: [before_after_table(session, scope, list(fields or []) or None, start_within_days,
                                                      tuple(waves))]


#: ``report all``: the tables of the seeds' reports, each by gender where the workflow records it.
ALL_PARTICIPANT_DIMENSIONS = ("age_band", "year", "referring_agency", "education", "household", "income_source")


def everything(session: Connection, scope: ReportScope) -> list[ReportTable]:
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


__all__ = ["ALL_PARTICIPANT_DIMENSIONS", "Builder", "before_after", "before_after_of", "everything", "exited_outcomes",
           "exits", "flow", "flow_by", "goals", "outcomes", "participants"]
