"""Secondary suppression, proved by attack: read an exported CSV as a reader would, and try to work
out every hidden count from the printed numbers.

The attacker knows every printed count and total, that ``<3`` is 1 or 2 and that ``..`` is some
whole number from 0 to the grand total, and that each row and column adds up to its total. For every
hidden cell it searches all whole-number tables that fit what is printed; the cell is protected
when at least two values fit. The same attacker, given the old export (small counts hidden, nothing
else), does recover cells — so it is able to.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import pytest

from pathway.reports import render
from pathway.reports.table import ReportTable

MIN_CELL = 3


def pivot(counts: list[list[int]]) -> ReportTable:
    rows = [{"down": f"r{i}", "across": f"c{j}", "count": n} for i, line in enumerate(counts) for j, n in enumerate(line)]
    return ReportTable(name="participants", title="T", dimensions=["down", "across"], rows=rows,
                       total=sum(map(sum, counts)))


def one_dimension(counts: list[int]) -> ReportTable:
    return ReportTable(name="exits", title="T", dimensions=["reason"], total=sum(counts),
                       rows=[{"reason": f"r{i}", "count": n} for i, n in enumerate(counts)])


Unknown = tuple[int, int]


def read_pivot(text: str) -> tuple[dict[Unknown, Any], int, int]:
    """The printed grid (rows × columns, the last row and column the totals), as a reader sees it."""
    lines = list(csv.reader(io.StringIO(text)))
    body = [line[1:-1] for line in lines[1:]]  # drop the label column and the share column
    grid = {(i, j): cell for i, line in enumerate(body) for j, cell in enumerate(line)}
    return grid, len(body), len(body[0])


def feasible_values(grid: dict[Unknown, Any], height: int, width: int) -> dict[Unknown, set[int]]:
    """For every hidden position, each value some whole-number table fitting the print gives it."""
    grand = int(grid[(height - 1, width - 1)])
    bounds: dict[Unknown, tuple[int, int]] = {}
    known: dict[Unknown, int] = {}
    for key, cell in grid.items():
        if cell == f"<{MIN_CELL}":
            bounds[key] = (1, MIN_CELL - 1)
        elif cell == render.SECONDARY:
            bounds[key] = (0, grand)
        else:
            known[key] = int(cell)
    # rows: cells add up to the last column; columns: cells add up to the last row
    equations = [[(i, j) for j in range(width - 1)] + [(i, width - 1)] for i in range(height)]
    equations += [[(i, j) for i in range(height - 1)] + [(height - 1, j)] for j in range(width)]
    return {key: {v for v in range(bounds[key][0], bounds[key][1] + 1)
                  if _solvable({**bounds, key: (v, v)}, known, equations)} for key in bounds}


def other_value(grid: dict[Unknown, Any], height: int, width: int, truth: dict[Unknown, int]) -> dict[Unknown, Any]:
    """For every hidden position: True-value check and another value that fits (None: none does)."""
    grand = int(grid[(height - 1, width - 1)])
    bounds = {k: ((1, MIN_CELL - 1) if c == f"<{MIN_CELL}" else (0, grand)) for k, c in grid.items()
              if c in (f"<{MIN_CELL}", render.SECONDARY)}
    known = {k: int(c) for k, c in grid.items() if k not in bounds}
    equations = [[(i, j) for j in range(width - 1)] + [(i, width - 1)] for i in range(height)]
    equations += [[(i, j) for i in range(height - 1)] + [(height - 1, j)] for j in range(width)]
    found: dict[Unknown, Any] = {}
    for key in bounds:
        assert _solvable({**bounds, key: (truth[key], truth[key])}, known, equations), key
        found[key] = next((v for v in range(bounds[key][0], bounds[key][1] + 1)
                           if v != truth[key] and _solvable({**bounds, key: (v, v)}, known, equations)), None)
    return found


def _solvable(bounds: dict[Unknown, tuple[int, int]], known: dict[Unknown, int],
              equations: list[list[Unknown]]) -> bool:
    """Backtracking with interval checks: is there a table within the bounds where every line adds up?"""
    order = sorted(bounds, key=lambda k: bounds[k][1] - bounds[k][0])

    def consistent(assigned: dict[Unknown, int]) -> bool:
        for line in equations:
            *cells, total = line
            low = high = 0
            for cell in cells:
                value = known.get(cell, assigned.get(cell))
                low += bounds[cell][0] if value is None else value
                high += bounds[cell][1] if value is None else value
            t = known.get(total, assigned.get(total))
            t_low, t_high = (bounds[total] if t is None else (t, t))
            if high < t_low or low > t_high:
                return False
        return True

    def search(index: int, assigned: dict[Unknown, int]) -> bool:
        if not consistent(assigned):
            return False
        if index == len(order):
            return True
        key = order[index]
        return any(search(index + 1, {**assigned, key: v}) for v in range(bounds[key][0], bounds[key][1] + 1))

    return search(0, {})


def assert_protected(table: ReportTable) -> int:
    """Every hidden cell of the export has at least two values that fit; returns how many were hidden."""
    grid, height, width = read_pivot(render.as_csv([table], MIN_CELL))
    others = other_value(grid, height, width, _true_values(table))  # the true value fits (checked) …
    for key, value in others.items():
        assert value is not None, f"hidden cell {key} can be worked out from the printed numbers"  # … and another
    return len(others)


def _true_values(table: ReportTable) -> dict[Unknown, int]:
    header, rows = render.grid(table, 0)
    return {(i, j): int(cell) for i, row in enumerate(rows) for j, cell in enumerate(row[1:-1])}


def test_a_single_small_count_beside_its_totals_is_no_longer_given_away() -> None:
    """The issue's leak: '<3' in a column whose other cells and total are printed."""
    table = pivot([[1, 2], [29, 24], [0, 0]])
    lines = list(csv.reader(io.StringIO(render.as_csv([table], MIN_CELL))))
    assert lines[1][1:3] == ["<3", "<3"]
    assert lines[2][1:3] == [render.SECONDARY, render.SECONDARY]          # 29 and 24 hidden to protect them
    assert assert_protected(table) == 4


def test_the_attacker_recovers_cells_from_the_old_export() -> None:
    """Hiding small counts alone is not enough: the same attacker works them out (a control)."""
    table = pivot([[1, 2], [29, 24], [0, 0]])
    grid, height, width = read_pivot(render.as_csv([table], MIN_CELL))
    truth = _true_values(table)
    old = {k: (str(truth[k]) if v == render.SECONDARY else v) for k, v in grid.items()}
    possible = feasible_values(old, height, width)
    assert possible[(0, 0)] == {1} and possible[(0, 1)] == {2}


@pytest.mark.parametrize("seed", range(8))
def test_no_hidden_cell_of_a_random_table_can_be_recomputed(seed: int) -> None:
    """Tables full of small counts, zeros and large ones: every hidden cell keeps two possible values."""
    rng = random.Random(seed)
    height, width = rng.randint(2, 4), rng.randint(2, 3)
    counts = [[rng.choice([0, 1, 1, 2, 3, 5, 8, 13]) for _ in range(width)] for _ in range(height)]
    table = pivot(counts)
    hidden = assert_protected(table)
    small = sum(1 for line in counts for n in line if 0 < n < MIN_CELL)
    assert hidden >= small


@pytest.mark.parametrize("counts", [[1, 5, 10], [2, 0, 0, 7], [1, 1, 9], [4, 2, 0], [1, 0, 0, 0],
                                    [28, 0, 4, 0, 1, 0, 3, 1, 0, 0, 1],      # Table 3, before
                                    [12, 1, 4, 2, 2, 1, 5, 0, 1, 1, 9]])     # Table 3, January 2011
def test_a_one_dimension_list_never_gives_a_small_count_away(counts: list[int]) -> None:
    """With the total printed, one '<3' alone would be the total minus the rest: another is hidden."""
    lines = list(csv.reader(io.StringIO(render.as_csv([one_dimension(counts)], MIN_CELL))))
    shown = [line[1] for line in lines[1:-1]]
    total = int(lines[-1][1])
    unknown = [i for i, cell in enumerate(shown) if not cell.isdigit()]
    if not unknown:
        return
    rest = total - sum(int(c) for c in shown if c.isdigit())
    for i in unknown:
        low, high = (1, MIN_CELL - 1) if shown[i] == f"<{MIN_CELL}" else (0, total)
        others = [(1, MIN_CELL - 1) if shown[j] == f"<{MIN_CELL}" else (0, total) for j in unknown if j != i]
        fits = [v for v in range(low, high + 1)
                if sum(lo for lo, _ in others) <= rest - v <= sum(hi for _, hi in others)]
        assert len(fits) >= 2, (counts, shown, i, fits)
    if len(unknown) == 1:
        pytest.fail(f"a single hidden count in {shown} is the total minus the rest")


def test_before_after_columns_protect_their_small_counts() -> None:
    """A field's values add up to the total, so a lone '<3' in its column is protected too."""
    rows = [{"field": "income_source", "value": v, "at_enrolment": a, "at_exit": b}
            for v, a, b in (("social_assistance", 20, 9), ("salary", 1, 10), ("none", 4, 6))]
    table = ReportTable(name="before_after", title="T", dimensions=["field", "value"], rows=rows, total=25,
                        measures=["at_enrolment", "at_exit"], suppressible=["at_enrolment", "at_exit"])
    header, shown = render.grid(table, MIN_CELL)
    column = [row[2] for row in shown]
    assert column.count("<3") == 1 and column.count(render.SECONDARY) == 1
    assert [row[3] for row in shown] == [9, 10, 6]                     # nothing small at exit: all printed
