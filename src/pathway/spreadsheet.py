"""Text cells a spreadsheet shows as typed, never runs.

A CSV cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) is
read by Excel and LibreOffice as a formula: a ref, a reason or a note typed as
``=HYPERLINK("http://…", "Klicka")`` would run on the coordinator's or the funder's machine when they
open the file (OWASP's "CSV injection"). Such a text gets a leading apostrophe, which spreadsheets
take as "this is text" and do not show. Only texts: a number (``-3``) stays a number. The xlsx
workbooks mark every text cell as text instead (:mod:`pathway.reports.workbook`).
"""

from __future__ import annotations

#: what a spreadsheet reads as the start of a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """``text`` as a CSV cell: with a leading apostrophe when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
