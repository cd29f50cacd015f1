"""Quantiles from counted values, exactly as DuckDB's `quantile_cont` computes them.

The import keeps some distributions counted (purchase_gaps: gap → how many), and a spend or a gap
grouped in SQL (value → how many) is much cheaper than `quantile_cont` over every row. This gives
the same number `quantile_cont(x, q)` gives over the expanded values: with N values sorted
ascending, RN = (N − 1) · q, lo / hi = the values at positions floor(RN) / ceil(RN) (0-based), and
with d = RN − floor(RN) the result lo · (1 − d) + hi · d in double precision, the way DuckDB's
build evaluates it (a fused multiply-add: hi · d rounded, then lo · (1 − d) added to it with one
rounding), so the result is the same to the last bit. tests/unit/test_fast_paths.py checks this
against DuckDB itself on random data: if a DuckDB upgrade changes its arithmetic, that test fails.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Iterable, Sequence


def _fma(a: float, b: float, c: float) -> float:
    """a · b + c with a single rounding (math.fma arrives only in Python 3.13)."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def positions(n: int, q: float) -> tuple[int, int]:
    """The 0-based positions (floor, ceil of (N − 1) · q) whose values a quantile needs."""
    rn = float(n - 1) * q
    return math.floor(rn), math.ceil(rn)


def from_positions(n: int, values: dict[int, float], q: float) -> float | None:
    """The quantile from the values at `positions(n, q)` (None when n = 0)."""
    if n == 0:
        return None
    rn = float(n - 1) * q
    frn, crn = math.floor(rn), math.ceil(rn)
    lo = float(values[frn])
    if frn == crn:
        return lo
    hi = float(values[crn])
    d = rn - frn
    return _fma(lo, 1.0 - d, hi * d)


def quantile_cont(counted: Sequence[tuple[float, int]], q: float) -> float | None:
    """`counted`: (value, count) pairs sorted by value ascending, counts > 0. None when empty."""
    return quantiles_cont(counted, [q])[0]


# SQL for the values at the positions the quantiles need, from counted values {hist} (columns v, n)
# and their total {total} (a scalar sub-query): rows (pos, v), v as DOUBLE. Positions are computed
# as `positions()` does ((N − 1) · q in double precision, floor and ceiling).
POSITIONS_SQL = """
SELECT x.pos, min(c.v)::DOUBLE AS v
FROM (SELECT DISTINCT unnest([floor(({total} - 1)::DOUBLE * q), ceil(({total} - 1)::DOUBLE * q)])::BIGINT AS pos
      FROM unnest($quantiles::DOUBLE[]) AS qs(q) WHERE {total} > 0) x
JOIN (SELECT v, sum(n) OVER (ORDER BY v ROWS UNBOUNDED PRECEDING) AS upto FROM {hist}) c ON c.upto > x.pos
GROUP BY x.pos
"""


def quantiles_cont(counted: Sequence[tuple[float, int]], qs: Iterable[float]) -> list[float | None]:
    """Several quantiles of the same (value, count) pairs (sorted by value) at once."""
    return quantiles_of_sorted([v for v, _ in counted], [int(c) for _, c in counted], qs)


def quantiles_of_sorted(values, counts, qs: Iterable[float]) -> list[float | None]:
    """As `quantiles_cont`, from two arrays: distinct `values` ascending (floats) and their `counts`
    (> 0). Finds each needed position with a binary search over the cumulative counts."""
    import numpy as np
    qs = list(qs)
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    if n == 0:
        return [None] * len(qs)
    upto = np.cumsum(counts)                    # positions < upto[i] hold values[0 … i]
    wanted = sorted({p for q in qs for p in positions(n, q)})
    idx = np.searchsorted(upto, wanted, side="right")
    at = {p: float(values[i]) for p, i in zip(wanted, idx)}
    return [from_positions(n, at, q) for q in qs]
