"""Member purchase amounts (会员交易金额): how much one order is worth, how much one buyer spends,
how concentrated GMV is among buyers, and 笔单价 / 客单价 by member level.

Every query starts from `Filters.purchases()` (README, "Definitions"): purchases = paid and not
refunded in full, order value = the purchase's spend (amount paid − amount refunded), GMV = Σ spend
(DECIMAL, summed in SQL), buyers = distinct customers (`cust_no`). A zero-amount purchase (a gift, a
fully discounted order) is a purchase with zero spend: it lands in the lowest band.

Two populations, and each figure says which:
- **Order-value figures** (笔单价分布: order-value bands, order-value percentiles) count *every*
  purchase in scope, including orders without a buyer key (Pinduoduo, Douyin exports).
- **Buyer figures** (客单价分布: buyer-spend bands, buyer-spend percentiles, the Pareto curve, by
  level) count only purchases with a buyer key; orders without one are in no buyer's spend.
  `totals["no_buyer_purchases"]` / `["no_buyer_gmv"]` say how much is left out. So the page's
  客单价 (`totals["avg_spend_per_buyer"]`) is the GMV of buyers / buyers; it equals Home's
  GMV / buyers whenever every purchase has a buyer key.

Definitions (each one tested in tests/unit/test_analysis_amount.py):
- **Bands** come from rising, positive edges e1 < e2 < … < en (yuan, at most 2 decimals, at most
  `MAX_EDGES`): band 0 = [0, e1), band i = [ei, ei+1), band n = [en, ∞). A value equal to an edge
  lands in the upper band (100.00 is in 100–200, not 50–100). `lo` of band 0 is 0, `hi` of the last
  band is None. Band id (`band`, also the chart's customdata): "0-50", "50-100", …, "1000+".
  Defaults: order value `ORDER_EDGES` (<50, 50–100, 100–200, 200–300, 300–500, 500–1000, 1000+);
  buyer spend `BUYER_EDGES` (<100, 100–200, 200–500, 500–1000, 1000–2000, 2000–5000, 5000+).
  Per order-value band: purchases, share (of all purchases), gmv, gmv_share (of all GMV).
  Per buyer-spend band (a buyer's spend = Σ spend of their purchases in scope): buyers, share (of
  all buyers), gmv, gmv_share (of the GMV of buyers).
- **Percentiles** P25 / P50 / P75 / P90 of order value (over purchases) and of buyer spend (over
  buyers): DuckDB `quantile_cont` (continuous: linear interpolation between the two neighbouring
  values), on the values as DOUBLE, rounded half-up to the cent. None when the scope is empty.
- **Pareto curve**: buyers ranked by spend, highest first, ties broken by `cust_no` (the order the
  customer was first seen), so the ranking is total. Point k: x = k / N (N = buyers), y = cumulative
  spend of ranks 1…k / the GMV of buyers. Computed in SQL with window functions; the chart gets at
  most `PARETO_POINTS` points (the origin, every s-th rank with s = ceil(N / (PARETO_POINTS − 2)),
  and the last rank), so it is exact for small N.
- **Top x %** (x in `TOP_PERCENTS` = 1, 5, 10, 20, 50): the top k = ceil(x % × N) buyers of that
  ranking (at least 1 when there is a buyer; computed exactly in integers as (N·x + 99) div 100);
  share = their spend / the GMV of buyers. With 3 buyers, top 1 % … top 20 % are the first buyer,
  top 50 % the first two. None when the GMV of buyers is 0 (every purchase free).
- **By level** (0–4, all five rows, even without buyers): a buyer's level is
  `customer_levels_sql(f.rules, f.as_of)` (exported level, else the level the rules give as of the
  as-of date); per level: purchases, buyers, gmv, 笔单价 avg_order_value = gmv / purchases,
  客单价 avg_spend_per_buyer = gmv / buyers (None without buyers), over the purchases in scope.

Fast paths (same numbers; crm/filters.py says when): with no province/platform/shop filter the
purchases come from purchase_facts and every figure is computed from counted values — order value
→ purchases, buyer spend → buyers — instead of every row: sums are DECIMAL sums of value × count in
SQL, percentiles come from the values at the two positions `quantile_cont` interpolates between
(`crm.analysis.quantiles`, the same double-precision result), and the Pareto points from the
cumulative spend of the counted buyer spends (buyers with the same spend are next to each other
in the ranking, so rank r in such a group has the group's running total minus the spend of those
ranked after r in it). When every purchase is in scope, the buyers are customer_stats itself, and
without a level filter both counts are kept by the import (order_value_counts, buyer_spend_counts).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pandas as pd

from ..db import Database
from ..filters import Filters
from ..metrics import buyer_facts, buyers_by_level, per_buyer
from ..sql import Q
from ..levels import LEVEL_NAMES_ZH
from .quantiles import POSITIONS_SQL, from_positions
from ..numbers import CENT, div as _div, num as _num

RATE = Decimal("0.0001")
ORDER_EDGES: tuple[Decimal, ...] = tuple(Decimal(v) for v in (50, 100, 200, 300, 500, 1000))
BUYER_EDGES: tuple[Decimal, ...] = tuple(Decimal(v) for v in (100, 200, 500, 1000, 2000, 5000))
MAX_EDGES = 20
MAX_EDGE = Decimal("1000000000")          # ¥1,000,000,000: anything above is a typo
QUANTILES = (0.25, 0.5, 0.75, 0.9)
PERCENTILE_KEYS = ("p25", "p50", "p75", "p90")
TOP_PERCENTS = (1, 5, 10, 20, 50)
PARETO_POINTS = 200


# -- band edges: parsing and checking (the page's text box) ----------------------------------------
def parse_edges(text: str | None) -> tuple[tuple[Decimal, ...] | None, tuple[str, dict] | None]:
    """'50, 100, 200' → ((50, 100, 200), None). On a problem: (None, (message key, params)).
    Commas (also ，、；;) and spaces separate; '¥' and thousands separators are not accepted
    (a '1,000' would be two edges), so say numbers plainly."""
    raw = (text or "").strip()
    for sep in ("，", "、", "；", ";"):
        raw = raw.replace(sep, ",")
    parts = [p for chunk in raw.split(",") for p in chunk.split()]
    if not parts:
        return None, ("amount_edges_empty", {})
    values = []
    for p in parts:
        try:
            v = Decimal(p)
        except InvalidOperation:
            return None, ("amount_edges_not_number", {"value": p})
        if not v.is_finite():
            return None, ("amount_edges_not_number", {"value": p})
        values.append(v)
    problem = edges_problem(values)
    if problem:
        return None, problem
    return tuple(values), None


def edges_problem(edges) -> tuple[str, dict] | None:
    """Why these edges cannot make bands (message key, params), or None when they can."""
    values = list(edges)
    if not values:
        return "amount_edges_empty", {}
    if len(values) > MAX_EDGES:
        return "amount_edges_too_many", {"max": MAX_EDGES}
    for v in values:
        v = Decimal(str(v))
        if v <= 0:
            return "amount_edges_not_positive", {"value": plain_number(v)}
        if v > MAX_EDGE:
            return "amount_edges_too_big", {"value": plain_number(v), "max": plain_number(MAX_EDGE)}
        if v != v.quantize(CENT):
            return "amount_edges_decimals", {"value": plain_number(v)}
    for a, b in zip(values, values[1:]):
        if Decimal(str(b)) <= Decimal(str(a)):
            return "amount_edges_not_rising", {"a": plain_number(Decimal(str(a))), "b": plain_number(Decimal(str(b)))}
    return None


def _check_edges(edges) -> tuple[Decimal, ...]:
    problem = edges_problem(edges)
    if problem:
        raise ValueError(f"invalid band edges {list(edges)!r}: {problem[0]}")
    return tuple(Decimal(str(v)) for v in edges)


def plain_number(v) -> str:
    """50 → '50', 49.50 → '49.5', 1E+3 → '1000' (no exponent, no trailing zeros)."""
    return format(Decimal(str(v)).normalize(), "f")


def edges_text(edges) -> str:
    """The text-box form of band edges: '50, 100, 200'."""
    return ", ".join(plain_number(e) for e in edges)


def _grouped(v: Decimal) -> str:
    """1000 → '1,000', 49.5 → '49.5'."""
    v = Decimal(v)
    if v == v.to_integral_value():
        return f"{int(v):,}"
    return f"{v.normalize():,f}"


def band_rows(edges) -> list[dict]:
    """The bands the edges make: pos, band (id), label, lo, hi (None for the open top band)."""
    edges = list(edges)
    rows = []
    for i in range(len(edges) + 1):
        lo = Decimal(0) if i == 0 else edges[i - 1]
        hi = edges[i] if i < len(edges) else None
        if hi is None:
            band, label = f"{plain_number(lo)}+", f"{_grouped(lo)}+"
        else:
            band = f"{plain_number(lo)}-{plain_number(hi)}"
            label = f"<{_grouped(hi)}" if i == 0 else f"{_grouped(lo)}–{_grouped(hi)}"
        rows.append({"pos": i, "band": band, "label": label, "lo": lo, "hi": hi})
    return rows


# -- helpers -------------------------------------------------------------------------------------

def _cents(v) -> Decimal | None:
    if v is None:
        return None
    return Decimal(repr(float(v))).quantize(CENT, rounding=ROUND_HALF_UP)


def _scope(f: Filters) -> Q:
    return f.purchases("o.cust_no, o.spend")


PER_BUYER = per_buyer("p", ("spend",))


# -- named queries ---------------------------------------------------------------------------------
# {p}: the purchases in scope (cust_no, spend).
TOTALS_SQL = """
WITH p AS ({p}),
per_buyer AS ({per_buyer}),
orders AS (
    SELECT count(*) AS purchases, coalesce(sum(spend), 0)::DECIMAL(38,2) AS gmv,
           count(cust_no) AS buyer_purchases,
           coalesce(sum(spend) FILTER (WHERE cust_no IS NOT NULL), 0)::DECIMAL(38,2) AS buyer_gmv,
           quantile_cont(spend::DOUBLE, [{q}]) AS order_q
    FROM p
),
buyers AS (SELECT count(*) AS buyers, quantile_cont(spend::DOUBLE, [{q}]) AS buyer_q FROM per_buyer)
SELECT o.purchases, o.gmv, o.buyer_purchases, o.buyer_gmv, b.buyers, o.order_q, b.buyer_q
FROM orders o, buyers b
"""

# Bands from the edges (a bound DECIMAL list): band `pos` = [edges[pos], edges[pos + 1]).
BANDS_CTE = """
e AS (SELECT $edges::DECIMAL(18,2)[] AS edges),
bands AS (
    SELECT pos, CASE WHEN pos = 0 THEN NULL ELSE edges[pos] END AS lo,
           CASE WHEN pos = len(edges) THEN NULL ELSE edges[pos + 1] END AS hi
    FROM (SELECT edges, unnest(range(len(edges) + 1)) AS pos FROM e)
)
"""

ORDER_BANDS_SQL = """
WITH p AS ({p}),
""" + BANDS_CTE + """
SELECT b.pos, count(p.spend) AS purchases, coalesce(sum(p.spend), 0)::DECIMAL(38,2) AS gmv
FROM bands b
LEFT JOIN p ON (b.lo IS NULL OR p.spend >= b.lo) AND (b.hi IS NULL OR p.spend < b.hi)
GROUP BY b.pos ORDER BY b.pos
"""

BUYER_BANDS_SQL = """
WITH p AS ({p}),
per_buyer AS ({per_buyer}),
""" + BANDS_CTE + """
SELECT b.pos, count(s.spend) AS buyers, coalesce(sum(s.spend), 0)::DECIMAL(38,2) AS gmv
FROM bands b
LEFT JOIN per_buyer s ON (b.lo IS NULL OR s.spend >= b.lo) AND (b.hi IS NULL OR s.spend < b.hi)
GROUP BY b.pos ORDER BY b.pos
"""

# Buyers ranked by spend (desc, ties by cust_no); the curve keeps every s-th rank and the last one,
# the headline rows are the ranks ceil(N · x / 100) for x in the bound percent list.
PARETO_SQL = """
WITH p AS ({p}),
per_buyer AS ({per_buyer}),
ranked AS (
    SELECT row_number() OVER w AS rank,
           sum(spend) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_gmv,
           count(*) OVER () AS n, sum(spend) OVER () AS total
    FROM per_buyer
    WINDOW w AS (ORDER BY spend DESC, cust_no)
),
tops AS (SELECT unnest($top_percents::INTEGER[]) AS pct)
SELECT 'curve' AS kind, NULL::INTEGER AS pct, rank, n, cum_gmv::DECIMAL(38,2) AS cum_gmv, total::DECIMAL(38,2) AS total
FROM ranked
WHERE rank % ((n + $step - 1) // $step) = 0 OR rank = n
UNION ALL
SELECT 'top', t.pct, r.rank, r.n, r.cum_gmv::DECIMAL(38,2), r.total::DECIMAL(38,2)
FROM tops t JOIN ranked r ON r.rank = (r.n * t.pct + 99) // 100
ORDER BY kind, rank, pct
"""

BY_LEVEL_SQL = """
WITH placed AS (SELECT level_code, purchases, spend AS gmv FROM ({placed}) p)
SELECT l.level_code, count(x.purchases) AS buyers, coalesce(sum(x.purchases), 0) AS purchases,
       coalesce(sum(x.gmv), 0)::DECIMAL(38,2) AS gmv
FROM unnest([0, 1, 2, 3, 4]) AS l(level_code)
LEFT JOIN placed x ON x.level_code = l.level_code
GROUP BY l.level_code ORDER BY l.level_code
"""


# -- fast paths (purchase_facts / customer_stats; see the module docstring) ---------------------------
# {counted}: `oh` (order value v, purchases n, of them with a buyer key bn) and `bh` (buyer spend v,
# buyers n) — from {p}, the purchases in scope (cust_no, spend), and {buyers}, one row per buyer in
# scope (cust_no, spend) …
COUNTED_CTES = """
p AS ({p}),
oh AS (SELECT spend AS v, count(*) AS n, count(cust_no) AS bn FROM p GROUP BY spend),
bh AS (SELECT spend AS v, count(*) AS n FROM ({buyers}) GROUP BY spend)"""
# … or, every purchase in scope and no level filter, as the import keeps them counted.
COUNTED_SUMMARY = """
oh AS (SELECT spend AS v, purchases AS n, buyer_purchases AS bn FROM order_value_counts),
bh AS (SELECT spend AS v, buyers AS n FROM buyer_spend_counts)"""
TOTALS_FAST_SQL = """
WITH {counted},
o AS (SELECT coalesce(sum(n), 0) AS purchases, coalesce(sum(v * n), 0)::DECIMAL(38,2) AS gmv,
             coalesce(sum(bn), 0) AS buyer_purchases, coalesce(sum(v * bn), 0)::DECIMAL(38,2) AS buyer_gmv FROM oh),
b AS (SELECT coalesce(sum(n), 0) AS buyers FROM bh),
oq AS ({order_positions}),
bq AS ({buyer_positions})
SELECT o.purchases, o.gmv, o.buyer_purchases, o.buyer_gmv, b.buyers,
       (SELECT list([pos, v]) FROM oq) AS order_q, (SELECT list([pos, v]) FROM bq) AS buyer_q
FROM o, b
"""
BANDS_FAST_SQL = """
WITH {counted},
""" + BANDS_CTE + """
SELECT b.pos, coalesce(sum(h.n), 0) AS n, coalesce(sum(h.v * h.n), 0)::DECIMAL(38,2) AS gmv
FROM bands b
LEFT JOIN {hist} h ON (b.lo IS NULL OR h.v >= b.lo) AND (b.hi IS NULL OR h.v < b.hi)
GROUP BY b.pos ORDER BY b.pos
"""
# Buyers with the same spend form a run of ranks upto − n + 1 … upto (ranked by spend, highest
# first); rank r of that run has the running total cum − v · (upto − r).
PARETO_FAST_SQL = """
WITH {bh},
c AS (
    SELECT v, n, sum(n) OVER w AS upto, sum(v * n) OVER w AS cum FROM bh
    WINDOW w AS (ORDER BY v DESC ROWS UNBOUNDED PRECEDING)
),
t AS (SELECT sum(n)::BIGINT AS n, sum(v * n) AS total FROM bh HAVING sum(n) > 0),
targets AS (
    (SELECT 'curve' AS kind, NULL::INTEGER AS pct, unnest(range((n + $step - 1) // $step, n + 1, (n + $step - 1) // $step)) AS rank FROM t
     UNION SELECT 'curve', NULL, n FROM t)
    UNION ALL
    SELECT 'top', x.pct, (t.n * x.pct + 99) // 100 FROM t, unnest($top_percents::INTEGER[]) AS x(pct)
)
SELECT g.kind, g.pct, g.rank, t.n, (c.cum - c.v * (c.upto - g.rank))::DECIMAL(38,2) AS cum_gmv,
       t.total::DECIMAL(38,2) AS total
FROM targets g CROSS JOIN t JOIN c ON c.upto - c.n < g.rank AND g.rank <= c.upto
ORDER BY kind, rank, pct
"""


def _counted(f: Filters) -> Q:
    """The {counted} CTEs (`oh`, `bh`)."""
    if f.summaries:
        return Q(COUNTED_SUMMARY)
    # every purchase in scope: the buyers from customer_stats; else from p itself
    buyers = buyer_facts(f, ("spend",), dates=True) if f.all_purchases else PER_BUYER
    return Q(COUNTED_CTES).fill(p=_scope(f), buyers=buyers)


def _totals_fast(db: Database, f: Filters) -> tuple:
    sql = Q(TOTALS_FAST_SQL, quantiles=list(QUANTILES)).fill(
        counted=_counted(f), order_positions=POSITIONS_SQL.format(total="(SELECT purchases FROM o)", hist="oh"),
        buyer_positions=POSITIONS_SQL.format(total="(SELECT buyers FROM b)", hist="bh"))
    purchases, gmv, b_purchases, b_gmv, buyers, order_pos, buyer_pos = db.query(sql)[0]

    def q(n, pos):
        if not n:
            return None
        values = {int(k): v for k, v in pos}
        return [from_positions(int(n), values, x) for x in QUANTILES]
    return purchases, gmv, b_purchases, b_gmv, buyers, q(purchases, order_pos), q(buyers, buyer_pos)


# -- the analyses ----------------------------------------------------------------------------------
def totals(db: Database, f: Filters) -> dict:
    """Purchases, GMV, buyers, the purchases and GMV of buyers and of orders without a buyer key,
    笔单价 and 客单价, and the percentiles of order value and of buyer spend."""
    if f.facts:
        purchases, gmv, b_purchases, b_gmv, buyers, order_q, buyer_q = _totals_fast(db, f)
    else:
        q = ", ".join(str(x) for x in QUANTILES)  # our constants
        purchases, gmv, b_purchases, b_gmv, buyers, order_q, buyer_q = db.query(
            Q(TOTALS_SQL).fill(p=_scope(f), per_buyer=PER_BUYER, q=q))[0]

    def pct(values):
        values = values or [None] * len(QUANTILES)
        return {k: _cents(v) for k, v in zip(PERCENTILE_KEYS, values)}
    return {
        "purchases": int(purchases), "gmv": gmv, "buyers": int(buyers),
        "buyer_purchases": int(b_purchases), "buyer_gmv": b_gmv,
        "no_buyer_purchases": int(purchases) - int(b_purchases), "no_buyer_gmv": (gmv - b_gmv).quantize(CENT),
        # 客单价 over buyers' own purchases: orders without a buyer key are in no buyer's spend
        "avg_order_value": _div(gmv, purchases), "avg_spend_per_buyer": _div(b_gmv, buyers),
        "order_value_percentiles": pct(order_q), "buyer_spend_percentiles": pct(buyer_q),
    }


def _bands_frame(rows: list[tuple], edges, count_col: str) -> pd.DataFrame:
    counts = {int(pos): (int(n), g) for pos, n, g in rows}
    total_n = sum(n for n, _ in counts.values())
    total_g = sum((g for _, g in counts.values()), Decimal(0))
    out = []
    for b in band_rows(edges):
        n, g = counts.get(b["pos"], (0, Decimal("0.00")))
        out.append(b | {count_col: n, "share": _div(n, total_n, RATE), "gmv": g,
                        "gmv_share": _div(g, total_g, RATE)})
    return pd.DataFrame(out, columns=["pos", "band", "label", "lo", "hi", count_col, "share", "gmv", "gmv_share"])


def order_value_bands(db: Database, f: Filters, edges=ORDER_EDGES) -> pd.DataFrame:
    """Every purchase in scope (with or without a buyer key) by its order value: one row per band
    (pos, band, label, lo, hi, purchases, share, gmv, gmv_share). Shares are None when the total
    is 0."""
    return _bands(db, f, edges, "oh", ORDER_BANDS_SQL, "purchases")


def buyer_spend_bands(db: Database, f: Filters, edges=BUYER_EDGES) -> pd.DataFrame:
    """Buyers by their spend in scope: one row per band (pos, band, label, lo, hi, buyers, share,
    gmv, gmv_share). Orders without a buyer key are left out."""
    return _bands(db, f, edges, "bh", BUYER_BANDS_SQL, "buyers")


def _bands(db: Database, f: Filters, edges, hist: str, live_sql: str, count_col: str) -> pd.DataFrame:
    """Counted values (`hist` of BANDS_FAST_SQL) when the filters allow, else `live_sql` over the scope."""
    edges = _check_edges(edges)
    if f.facts:
        sql = Q(BANDS_FAST_SQL).fill(counted=_counted(f), hist=hist)
    else:
        sql = Q(live_sql).fill(p=_scope(f), per_buyer=PER_BUYER)
    rows = db.query(sql.bind(edges=list(edges)))
    return _bands_frame(rows, edges, count_col)


def pareto(db: Database, f: Filters, points: int = PARETO_POINTS) -> dict:
    """The Pareto curve of buyer spend: `curve` (DataFrame rank, buyer_share, gmv_share; starts at the
    origin, at most `points` rows), `tops` (DataFrame pct, buyers (= k), gmv, gmv_share for
    x in TOP_PERCENTS), `buyers` (N) and `gmv` (the GMV of buyers)."""
    if points < 3:
        raise ValueError("points must be at least 3")
    step = points - 2  # the origin and the last rank come on top of the every-s-th ranks
    if f.facts:
        if f.summaries:
            bh = Q("bh AS (SELECT spend AS v, buyers AS n FROM buyer_spend_counts)")
        else:
            bh = Q("bh AS (SELECT spend AS v, count(*) AS n FROM ({b}) GROUP BY spend)").fill(
                b=buyer_facts(f, ("spend",), dates=True))
        sql = Q(PARETO_FAST_SQL).fill(bh=bh)
    else:
        sql = Q(PARETO_SQL).fill(p=_scope(f), per_buyer=PER_BUYER)
    rows = db.query(sql.bind(step=step, top_percents=list(TOP_PERCENTS)))
    curve = [(0, 0.0, 0.0)]
    tops = []
    n, total = 0, Decimal(0)
    for kind, pct, rank, n, cum, total in rows:
        share = _div(cum, total, RATE)
        if kind == "curve":
            curve.append((int(rank), int(rank) / int(n), None if share is None else float(share)))
        else:
            tops.append({"pct": int(pct), "buyers": int(rank), "gmv": cum, "gmv_share": share})
    if not rows:
        curve = []
    return {"curve": pd.DataFrame(curve, columns=["rank", "buyer_share", "gmv_share"]),
            "tops": pd.DataFrame(tops, columns=["pct", "buyers", "gmv", "gmv_share"]),
            "buyers": int(n), "gmv": total}


def by_level(db: Database, f: Filters) -> pd.DataFrame:
    """Per level 0–4 (five rows): buyers, purchases, gmv, 笔单价 avg_order_value, 客单价
    avg_spend_per_buyer (None where a level has no buyers). Buyers' purchases only."""
    rows = db.query(Q(BY_LEVEL_SQL).fill(placed=buyers_by_level(f)))
    return pd.DataFrame([{
        "level_code": int(code), "level_name_zh": LEVEL_NAMES_ZH[str(code)], "buyers": int(buyers),
        "purchases": int(purchases), "gmv": gmv, "avg_order_value": _div(gmv, purchases),
        "avg_spend_per_buyer": _div(gmv, buyers),
    } for code, buyers, purchases, gmv in rows], columns=[
        "level_code", "level_name_zh", "buyers", "purchases", "gmv", "avg_order_value", "avg_spend_per_buyer"])


def compute(db: Database, f: Filters, order_edges=ORDER_EDGES, buyer_edges=BUYER_EDGES) -> dict:
    """Everything the amount page needs. `empty` is True when no purchase is in scope (then only
    `totals` and the edges are given). Raises ValueError on invalid edges (check with
    `parse_edges` / `edges_problem` first)."""
    order_edges, buyer_edges = _check_edges(order_edges), _check_edges(buyer_edges)
    t = totals(db, f)
    base = {"totals": t, "order_edges": order_edges, "buyer_edges": buyer_edges}
    if not t["purchases"]:
        return base | {"empty": True}
    return base | {
        "empty": False,
        "order_bands": order_value_bands(db, f, order_edges),
        "buyer_bands": buyer_spend_bands(db, f, buyer_edges),
        "pareto": pareto(db, f),
        "by_level": by_level(db, f),
    }


# -- JSON ------------------------------------------------------------------------------------------

def _bands_json(df: pd.DataFrame, count_col: str) -> list[dict]:
    return [{"band": r["band"], "lo": _num(r["lo"]), "hi": _num(r["hi"]), count_col: int(r[count_col]),
             "share": _num(r["share"], 4), "gmv": _num(r["gmv"]), "gmv_share": _num(r["gmv_share"], 4)}
            for r in df.to_dict("records")]


def report(db: Database, f: Filters) -> dict:
    """JSON-ready numbers of the amount analysis with the default bands (see the module docstring):
    order_value_bands, buyer_spend_bands, order_value_percentiles, buyer_spend_percentiles,
    pareto {top_1 … top_50: share of buyers' GMV}, by_level, and totals (incl. orders without a
    buyer key). On an empty scope: zero bands, null percentiles and shares."""
    c = compute(db, f)
    t = c["totals"]
    out = {
        "as_of": f.as_of.isoformat(), "start": f.start.isoformat() if f.start else None,
        "end": f.last_day.isoformat(),
        "totals": {"purchases": t["purchases"], "gmv": _num(t["gmv"]), "buyers": t["buyers"],
                   "avg_order_value": _num(t["avg_order_value"]),
                   "avg_spend_per_buyer": _num(t["avg_spend_per_buyer"]),
                   "no_buyer_purchases": t["no_buyer_purchases"], "no_buyer_gmv": _num(t["no_buyer_gmv"])},
        "order_value_percentiles": {k: _num(v) for k, v in t["order_value_percentiles"].items()},
        "buyer_spend_percentiles": {k: _num(v) for k, v in t["buyer_spend_percentiles"].items()},
    }
    if c["empty"]:
        zero = {"share": None, "gmv": 0.0, "gmv_share": None}
        return out | {
            "order_value_bands": [{"band": b["band"], "lo": _num(b["lo"]), "hi": _num(b["hi"]), "purchases": 0} | zero
                                  for b in band_rows(c["order_edges"])],
            "buyer_spend_bands": [{"band": b["band"], "lo": _num(b["lo"]), "hi": _num(b["hi"]), "buyers": 0} | zero
                                  for b in band_rows(c["buyer_edges"])],
            "pareto": {f"top_{x}": None for x in TOP_PERCENTS},
            "by_level": [{"level_code": code, "purchases": 0, "buyers": 0, "gmv": 0.0, "avg_order_value": None,
                          "avg_spend_per_buyer": None} for code in range(5)],
        }
    tops = {int(r["pct"]): r["gmv_share"] for r in c["pareto"]["tops"].to_dict("records")}
    return out | {
        "order_value_bands": _bands_json(c["order_bands"], "purchases"),
        "buyer_spend_bands": _bands_json(c["buyer_bands"], "buyers"),
        "pareto": {f"top_{x}": _num(tops.get(x), 4) for x in TOP_PERCENTS},
        "by_level": [{"level_code": r["level_code"], "purchases": r["purchases"], "buyers": r["buyers"],
                      "gmv": _num(r["gmv"]), "avg_order_value": _num(r["avg_order_value"]),
                      "avg_spend_per_buyer": _num(r["avg_spend_per_buyer"])}
                     for r in c["by_level"].to_dict("records")],
    }
