"""Bar charts as SVG, drawn on the server (no script, no chart library in the browser).

Every label is escaped here; the SVG is then placed in the page as trusted markup. Each chart has
a ``<title>`` and a ``<desc>`` and an ``aria-labelledby``, so a screen reader names it; the numbers
are also in the table beside it.
"""

from __future__ import annotations

from html import escape
from typing import Any

from pathway.reports.table import ReportTable

BAR = 22
GAP = 8
LABEL_WIDTH = 260
PLOT_WIDTH = 360


def bar_chart(title: str, bars: list[tuple[str, float]], chart_id: str) -> str:
    """Horizontal bars, one per (label, value)."""
    top = max((v for _, v in bars), default=0) or 1
    height = len(bars) * (BAR + GAP) + 40
    width = LABEL_WIDTH + PLOT_WIDTH + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" aria-labelledby="{chart_id}-t {chart_id}-d">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">{escape("; ".join(f"{label}: {_num(v)}" for label, v in bars))}</desc>']
    for i, (label, value) in enumerate(bars):
        y = 20 + i * (BAR + GAP)
        length = PLOT_WIDTH * value / top
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end" '
                     f'font-size="13" fill="#1b1b1b">{escape(label[:40])}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR}" fill="#00437a"/>')
        parts.append(f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR * 0.7:.1f}" font-size="13" '
                     f'fill="#1b1b1b">{escape(_num(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


#: which measure to draw for the tables that are not cross-tabs
MEASURE = {"flow": ("entered", "in_step"), "goals": ("share", "numerator")}


def for_table(table: ReportTable) -> str | None:
    """A chart for a report table: counts per first dimension (cross-tabs), flow per step, goals."""
    if not table.rows:
        return None
    dimension = table.dimensions[0] if table.dimensions else None
    if dimension is None:
        return None
    if table.is_crosstab:
        sums: dict[Any, float] = {}
        for row in table.rows:
            sums[row.get(dimension)] = sums.get(row.get(dimension), 0) + (row.get("count") or 0)
        bars = [(table.label(dimension, k), float(v)) for k, v in sums.items()]
    else:
        measure = next((m for m in (*MEASURE.get(table.name, ()), *table.measures)
                        if any(isinstance(r.get(m), (int, float)) and not isinstance(r.get(m), bool)
                               for r in table.rows)), None)
        if measure is None:
            return None
        bars = [(table.label(dimension, r.get(dimension)), float(r.get(measure) or 0)) for r in table.rows
                if isinstance(r.get(measure) or 0, (int, float))]
        title_suffix = f" ({measure})"
        return bar_chart(table.title + title_suffix, bars, f"chart-{table.name}")
    return bar_chart(table.title, bars, f"chart-{table.name}")
