"""The one shape every report returns, whatever the output format.

A :class:`ReportTable` is what the funder sees as one table (and one sheet of the workbook): its
dimensions (the grouping columns, codes), its measures (``count`` for a cross-tab; named numbers
for goals and flow), rows of plain JSON values, and the total. The JSON form is the documented,
stable contract: ``{"dimensions": [...], "rows": [{"<dim>": value, ..., "count": n}], "total": n}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReportTable:
    #: short id, used as the sheet name and in ``report all``
    name: str
    #: the heading people read (Swedish labels come from the workflow)
    title: str
    dimensions: list[str]
    rows: list[dict[str, Any]]
    total: int
    measures: list[str] = field(default_factory=lambda: ["count"])
    #: display labels per dimension and code, e.g. {"reason": {"work": "Arbete"}}
    labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    #: how the scope was chosen (workflow, period, as-of), repeated in every export
    scope: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: measures that count people, hidden below the threshold in exports like a cross-tab's cells
    suppressible: list[str] = field(default_factory=list)
    #: Swedish names of dimensions (attribute titles), for the workbook's headings
    dimension_titles: dict[str, str] = field(default_factory=dict)

    @property
    def is_crosstab(self) -> bool:
        return self.measures == ["count"]

    def to_json(self) -> dict[str, Any]:
        return {
            "report": self.name, "title": self.title, **self.scope,
            "dimensions": list(self.dimensions),
            **({} if self.is_crosstab else {"measures": list(self.measures)}),
            "rows": [dict(r) for r in self.rows],
            "total": self.total,
            **({"notes": list(self.notes)} if self.notes else {}),
        }

    def label(self, dimension: str, value: Any) -> str:
        """The human label of a value (the code itself when the workflow gives none)."""
        if value is None:
            return "(not recorded)"
        known = self.labels.get(dimension, {})
        if value in known:
            return known[value]
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)
