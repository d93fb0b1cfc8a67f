"""Secondary suppression: no hidden count can be worked back out of what an export shows.

Hiding a small count (primary suppression, shown ``<3``) is not enough when its row or column total
is printed: a single ``<3`` beside its total gives it away by subtraction, and so can a longer chain
of sums. This module takes the published sums of a table (each an equation *cells = total* that
holds on the true counts), the counts hidden because they are small, and hides further counts
(secondary suppression, shown ``..``) until every hidden count can take another value that fits
every published number.

What a reader knows: every published count and total; a ``<N`` count lies between 1 and N-1; a
``..`` count is some whole number ≥ 0. A hidden count is *protected* when a different table
exists that agrees with all of that — found here as the true table plus a whole-number vector that
keeps every published sum (a vector of the null space of the hidden part of the equations). Counts
are hidden in turn, the smallest non-zero count of an equation the exposed count is in first,
until no hidden count is exposed. Exact arithmetic (fractions); tables are small.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm
from typing import Any

Key = Hashable


@dataclass(frozen=True)
class Equation:
    """``sum(cells) == total``, where ``total`` is itself a key (a printed total may be hidden too)."""

    cells: tuple[Key, ...]
    total: Key


def protect(values: dict[Key, int], equations: Sequence[Equation], min_cell: int,
            fixed: frozenset[Key] = frozenset()) -> tuple[set[Key], set[Key]]:
    """(primary, secondary): the keys hidden because they are small, and those hidden to protect them.

    ``values`` holds every printed count and total; ``fixed`` are keys always printed (the grand
    total). Only equations that hold on ``values`` are used: a table whose cells may count a
    participant twice (several codes apply) has no equation between them and its total.
    """
    primary = {k for k, v in values.items() if 0 < v < min_cell and k not in fixed} if min_cell > 1 else set()
    holding = [e for e in equations if sum(values[c] for c in e.cells) == values[e.total]]
    hidden = _cover(values, holding, set(primary), primary, fixed, min_cell)
    if _exposed(values, holding, hidden, primary, min_cell):
        # the '<N' marks themselves give a count away (a total of 2 over two non-zero cells makes both
        # 1): show every hidden count as '..', which says nothing about its size
        return set(), _cover(values, holding, hidden, set(), fixed, min_cell)
    return primary, hidden - primary


def _cover(values: dict[Key, int], holding: Sequence[Equation], hidden: set[Key], primary: set[Key],
           fixed: frozenset[Key], min_cell: int) -> set[Key]:
    """Hide counts beside exposed ones until none is exposed or nothing is left to hide."""
    hidden = set(hidden)
    while True:
        exposed = _exposed(values, holding, hidden, primary, min_cell)
        if not exposed:
            break
        path = _cycle(values, holding, hidden, fixed, exposed[0])
        if path:
            hidden |= path
            continue
        partner = _partner(values, holding, hidden, fixed, exposed[0])
        if partner is None:  # nothing left to hide beside it (only the fixed total): stop
            break
        hidden.add(partner)
    return hidden


#: the cost of hiding a printed zero rather than a count (a hidden zero can only be larger: weak cover)
_ZERO_COST = 1000
_OUTSIDE = ("outside",)


def _cycle(values: dict[Key, int], equations: Sequence[Equation], hidden: set[Key], fixed: frozenset[Key],
           key: Key) -> set[Key]:
    """The cheapest set of printed counts whose hiding closes a cycle of hidden counts through ``key``.

    Each equation is a node and each count an edge between the (at most two) equations it is in, so
    a cycle of hidden counts can move by ±1 around it without changing a printed sum. The path back
    (Dijkstra) costs nothing over hidden counts and a count's size over printed ones. Empty when the
    table's equations do not have that shape or no new count would help."""
    import heapq

    ends: dict[Key, list[Any]] = {}
    for index, equation in enumerate(equations):
        for k in (*equation.cells, equation.total):
            ends.setdefault(k, []).append(index)
    if any(len(e) > 2 for e in ends.values()):
        return set()
    adjacency: dict[Any, list[tuple[Any, Key]]] = {}
    for k, nodes in ends.items():
        if k == key or k in fixed:
            continue
        a, b = (nodes[0], _OUTSIDE) if len(nodes) == 1 else nodes
        adjacency.setdefault(a, []).append((b, k))
        adjacency.setdefault(b, []).append((a, k))
    start, goal = (ends[key][0], _OUTSIDE) if len(ends[key]) == 1 else ends[key]
    best: dict[Any, int] = {start: 0}
    queue: list[tuple[int, int, Any, tuple[Key, ...]]] = [(0, 0, start, ())]
    counter = 1
    while queue:
        cost, _, node, path = heapq.heappop(queue)
        if node == goal:
            return {k for k in path if k not in hidden}
        if cost > best.get(node, cost):
            continue
        for other, k in adjacency.get(node, []):
            step = 0 if k in hidden else (values[k] if values[k] > 0 else _ZERO_COST)
            if cost + step < best.get(other, cost + step + 1):
                best[other] = cost + step
                heapq.heappush(queue, (cost + step, counter, other, (*path, k)))
                counter += 1
    return set()


def _rows(equations: Sequence[Equation], order: list[Key]) -> list[list[Fraction]]:
    """Each equation as coefficients over the hidden keys (cells +1, the total -1)."""
    index = {k: i for i, k in enumerate(order)}
    rows = []
    for equation in equations:
        row = [Fraction(0)] * len(order)
        for cell in equation.cells:
            if cell in index:
                row[index[cell]] += 1
        if equation.total in index:
            row[index[equation.total]] -= 1
        if any(row):
            rows.append(row)
    return rows


def null_space(rows: list[list[Fraction]], width: int) -> list[list[int]]:
    """A basis of whole-number vectors v with rows · v = 0 (reduced row echelon form, exact)."""
    matrix = [list(r) for r in rows]
    pivots: list[int] = []
    rank = 0
    for col in range(width):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][col] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        lead = matrix[rank][col]
        matrix[rank] = [x / lead for x in matrix[rank]]
        for r in range(len(matrix)):
            if r != rank and matrix[r][col] != 0:
                factor = matrix[r][col]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank])]
        pivots.append(col)
        rank += 1
    basis = []
    for free in (c for c in range(width) if c not in pivots):
        vector = [Fraction(0)] * width
        vector[free] = Fraction(1)
        for r, col in enumerate(pivots):
            vector[col] = -matrix[r][free]
        scale = lcm(*(x.denominator for x in vector))
        whole = [int(x * scale) for x in vector]
        divisor = gcd(*whole) or 1
        basis.append([x // divisor for x in whole])
    return basis


def _fits(value: int, key: Key, primary: set[Key], min_cell: int) -> bool:
    return 1 <= value <= min_cell - 1 if key in primary else value >= 0


def _exposed(values: dict[Key, int], equations: Sequence[Equation], hidden: set[Key], primary: set[Key],
             min_cell: int) -> list[Key]:
    """Hidden keys with no other value that fits every published number (smallest first)."""
    order = sorted(hidden, key=lambda k: (values[k], str(k)))
    basis = null_space(_rows(equations, order), len(order))
    # a basis vector alone may push another hidden count out of its bounds where a sum or a
    # difference of two would not (two '<3' beside a '..' in one column): try those too
    basis += [[a + sign * b for a, b in zip(u, w)] for i, u in enumerate(basis) for w in basis[i + 1:]
              for sign in (1, -1)]
    exposed = []
    for i, key in enumerate(order):
        if not any(vector[i] != 0 and any(
                all(_fits(values[k] + sign * vector[j], k, primary, min_cell) for j, k in enumerate(order))
                for sign in (1, -1)) for vector in basis):
            exposed.append(key)
    return exposed


def _partner(values: dict[Key, int], equations: Sequence[Equation], hidden: set[Key], fixed: frozenset[Key],
             key: Key) -> Key | None:
    """The count to hide next to ``key``: in an equation with it, non-zero and smallest first."""
    sharing = [e for e in equations if key in e.cells or key == e.total]
    candidates = {k for e in sharing for k in (*e.cells, e.total)} - hidden - fixed
    if not candidates:
        # the equations it is in are all hidden already: widen to any equation touching a hidden key
        candidates = {k for e in equations if hidden & {*e.cells, e.total} for k in (*e.cells, e.total)} \
            - hidden - fixed
    if not candidates:
        return None
    return min(candidates, key=lambda k: (values[k] == 0, values[k], str(k)))


__all__ = ["Equation", "null_space", "protect"]
