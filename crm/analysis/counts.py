"""Purchase count (会员交易笔数): how many times do buyers buy, who comes back for a 2nd, 3rd, 4th
purchase and after how long, and which loyal buyers have gone quiet.

Every query starts from `Filters.purchases()` (README, "Definitions"): purchases = paid and not
refunded in full (an order refunded in full is no purchase and is not counted anywhere here),
GMV = Σ spend (DECIMAL, summed in SQL), buyers = distinct customers (`cust_no`). Orders without a
buyer key count in the GMV total (`totals`) but in no buyer figure: not in the count table, not in
the funnel, not among the silent repeat buyers.

Two scopes, and each figure says which:
- **in scope** `p`: the purchases in the order date range (start … min(end, as-of)) with the
  level/province/platform/shop filters;
- **history** `h`: every purchase up to the as-of date with the same level/province/platform/shop
  filters (`f.purchases(dates=False)`), used only for a buyer's last purchase.

Definitions (each one tested in tests/unit/test_analysis_counts.py):
- A buyer's purchase count = their purchases in scope. The table by exact count (1, 2, 3, …) lists
  only counts that have buyers: buyers, share of buyers, GMV, share of GMV (of *all* GMV in scope,
  orders without a buyer included, as on the levels page — the shares then add up to less than
  100 % and `totals` says how much has no buyer), 笔单价 = GMV / purchases, 客单价 = GMV / buyers.
- Groups for the chart: 1, 2, 3, 4–5, 6–10, 11+ purchases (`GROUPS`; the id — "1", "4-5", "11+" —
  is the chart's customdata). All six groups are always listed, empty ones with 0.
- Repeat funnel, in scope: step k = buyers with ≥ k purchases in scope (k = 1 … `FUNNEL_STEPS`);
  share = buyers(k) / buyers(1) (of all buyers), conversion = buyers(k) / buyers(k − 1).
  A buyer's purchases in scope are ordered by ordered_at, ties by order key (the order id; files
  without ids have a per-row key), so the 1st purchase is the first *in scope*, not the first ever;
  only the dates enter the gaps, so the order among purchases at the same time changes nothing.
  median_days of step k = DuckDB `quantile_cont(…, 0.5)` (linear interpolation) over buyers with
  ≥ k purchases of the whole calendar days between the dates of their (k−1)-th and k-th purchase.
  Two purchases on one day are two purchases (a gap of 0 days). No buyer at a step → median None.
- Long-silent repeat buyers (久未回购的老客): buyers with ≥ `min_purchases` purchases in scope
  (default 3) whose days since last purchase is more than `min_days` (strictly greater). Days since
  last purchase (未购天数) = whole calendar days between the date of the buyer's last purchase up to
  the as-of date (history scope: a purchase after the range end, up to the as-of date, counts) and
  the as-of date. Default `min_days` = 2 × the shop's usage cycle (the median of
  `crm.analysis.timing.usage_cycle`, rounded to whole days) when it has one, else 180.
  Purchases and spend of the list are in scope (with the default range: the whole history up to the
  as-of date); sorted by spend, then purchases, then customer id; at most `SILENT_LIMIT` rows are
  returned (limited in SQL), with the total number of such buyers and their combined GMV. Level =
  the level as of the as-of date (`customer_levels_sql`: exported level first, else the rules).

Fast paths (same numbers; crm/filters.py says when): with no province/platform/shop filter the
purchases come from purchase_facts, where each purchase carries its number in the customer's
history (`seq`) and the customer's previous purchase: without a range start, a buyer's k-th
purchase in scope is their k-th purchase ever, so the funnel is a count of purchases with seq = k
and the median of their gaps (from the counted gaps, `crm.analysis.quantiles`). When every
purchase is in scope, each buyer's count, spend and last purchase are customer_stats', and without
a level filter the funnel comes from the import's counted gaps (purchase_gaps).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from ..db import Database
from ..models import GAP_STEPS
from ..filters import Filters
from .quantiles import quantile_cont
from ..metrics import buyer_facts, purchase_totals
from ..numbers import CENT, div as _div, num as _num
from ..sql import Q

RATE = Decimal("0.0001")
SILENT_LIMIT = 500
DEFAULT_MIN_PURCHASES = 3
FALLBACK_MIN_DAYS = 180
FUNNEL_STEPS = 5
# Chart groups: (id, lowest count, highest count or None).
GROUPS = (("1", 1, 1), ("2", 2, 2), ("3", 3, 3), ("4-5", 4, 5), ("6-10", 6, 10), ("11+", 11, None))

COUNT_COLUMNS = ["purchases", "buyers", "buyer_share", "gmv", "gmv_share", "avg_order_value",
                 "avg_spend_per_buyer"]
GROUP_COLUMNS = ["group", "lo", "hi"] + COUNT_COLUMNS[1:]
FUNNEL_COLUMNS = ["step", "buyers", "share", "conversion", "median_days"]
SILENT_COLUMNS = ["customer_id", "purchases", "spend", "last_purchase", "days_since_last", "level_code"]

# -- named queries -----------------------------------------------------------------------------------
# Buyers by their exact purchase count in scope ({buyers}: metrics.buyer_facts), and the totals of
# everything in scope ({totals}: metrics.purchase_totals).
BY_COUNT_SQL = """
WITH by_count AS (
    SELECT purchases, count(*) AS buyers, sum(spend)::DECIMAL(38,2) AS gmv FROM ({buyers}) b GROUP BY purchases
),
totals AS ({totals})
SELECT b.purchases, b.buyers, b.gmv, t.all_purchases, t.all_gmv
FROM totals t LEFT JOIN by_count b ON true
ORDER BY b.purchases
"""

# The dates of each buyer's first purchases in scope (`min(x, n)`: the n smallest, ascending),
# then per step k: buyers with a k-th purchase and the median days since their (k−1)-th.
# Only dates enter the gaps, so ties in time (broken by order key) cannot change them.
FUNNEL_SQL = """
WITH p AS ({scope}),
firsts AS (
    SELECT min(ordered_at::DATE, {steps}) AS d FROM p WHERE cust_no IS NOT NULL GROUP BY cust_no
)
SELECT {columns} FROM firsts
"""


def _funnel_columns(steps: int) -> str:
    """count(d[k]) and the median of d[k] − d[k−1] for k = 1 … steps (our constants only)."""
    cols = ["count(*) AS buyers_1", "NULL AS median_1"]
    for k in range(2, steps + 1):
        cols += [f"count(d[{k}]) AS buyers_{k}", f"quantile_cont(d[{k}] - d[{k - 1}], 0.5) AS median_{k}"]
    return ", ".join(cols)


# Fast funnel: purchases with seq 1 … steps in scope (no range start), counted by gap length.
FUNNEL_FACTS_SQL = """
WITH p AS ({scope})
SELECT seq, ordered_at::DATE - prev_at::DATE AS gap, count(*) AS n FROM p
WHERE seq <= $steps GROUP BY ALL ORDER BY seq, gap NULLS FIRST
"""
FUNNEL_SUMMARY_SQL = """
SELECT 1 AS seq, NULL AS gap, count(*) AS n FROM customer_stats
UNION ALL
SELECT step, gap, n FROM purchase_gaps WHERE step BETWEEN 2 AND $steps
ORDER BY seq, gap NULLS FIRST
"""

# Repeat buyers in scope whose last purchase up to the as-of date is more than N days old
# ({buyers}: purchases and spend in scope, days since the last purchase up to the as-of date).
SILENT_SQL = """
WITH silent AS (
    SELECT b.cust_no, b.purchases, b.spend, b.last_seen::DATE AS last_purchase, b.days_since_last
    FROM ({buyers}) b
    WHERE b.purchases >= $min_purchases AND b.days_since_last > $min_days
),
top AS (
    SELECT s.*, c.customer_id, count(*) OVER () AS total, sum(s.spend) OVER ()::DECIMAL(38,2) AS total_gmv
    FROM silent s JOIN customers c USING (cust_no)
    ORDER BY s.spend DESC, s.purchases DESC, c.customer_id
    LIMIT $limit
),
lv AS (SELECT * FROM ({levels}) WHERE cust_no IN (SELECT cust_no FROM top))
SELECT t.customer_id, t.purchases, t.spend, t.last_purchase, t.days_since_last, lv.level_code,
       t.total, t.total_gmv
FROM top t LEFT JOIN lv ON lv.cust_no = t.cust_no
ORDER BY t.spend DESC, t.purchases DESC, t.customer_id
"""


# -- helpers -----------------------------------------------------------------------------------------

def _frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=columns)


def _group_of(n: int) -> str:
    for gid, lo, hi in GROUPS:
        if n >= lo and (hi is None or n <= hi):
            return gid
    raise ValueError(n)


# -- the analyses ------------------------------------------------------------------------------------
def by_count(db: Database, f: Filters) -> tuple[pd.DataFrame, dict]:
    """Buyers by exact purchase count in scope (only counts with buyers, ascending): purchases,
    buyers, buyer_share, gmv, gmv_share, avg_order_value (笔单价), avg_spend_per_buyer (客单价);
    money and ratios Decimal. Also the totals: buyers, repeat buyers, purchases and GMV in scope,
    and the purchases / GMV of orders without a buyer key."""
    rows = db.query(Q(BY_COUNT_SQL).fill(buyers=buyer_facts(f, ("purchases", "spend"), dates=True),
                                         totals=purchase_totals(f)))
    all_purchases, all_gmv = (int(rows[0][3]), rows[0][4]) if rows else (0, Decimal(0))
    counted = [(int(n), int(k), g) for n, k, g, _, _ in rows if n is not None]
    buyers = sum(k for _, k, _ in counted)
    records = [{"purchases": n, "buyers": k, "buyer_share": _div(k, buyers, RATE), "gmv": g,
                "gmv_share": _div(g, all_gmv, RATE), "avg_order_value": _div(g, n * k),
                "avg_spend_per_buyer": _div(g, k)} for n, k, g in counted]
    buyer_purchases = sum(n * k for n, k, _ in counted)
    buyer_gmv = sum((g for _, _, g in counted), Decimal(0))
    repeat = sum(k for n, k, _ in counted if n >= 2)
    totals = {"buyers": buyers, "repeat_buyers": repeat, "repurchase_rate": _div(repeat, buyers, RATE),
              "purchases": all_purchases, "gmv": all_gmv, "buyer_purchases": buyer_purchases,
              "purchases_per_buyer": _div(buyer_purchases, buyers),
              "no_buyer_purchases": all_purchases - buyer_purchases,
              "no_buyer_gmv": (all_gmv - buyer_gmv).quantize(CENT)}
    return _frame(records, COUNT_COLUMNS), totals


def groups(table: pd.DataFrame, all_gmv: Decimal) -> pd.DataFrame:
    """The exact-count table folded into the chart groups 1, 2, 3, 4–5, 6–10, 11+ (all six rows)."""
    acc = {gid: {"buyers": 0, "purchases": 0, "gmv": Decimal(0)} for gid, _, _ in GROUPS}
    for r in table.itertuples():
        a = acc[_group_of(int(r.purchases))]
        a["buyers"] += int(r.buyers)
        a["purchases"] += int(r.purchases) * int(r.buyers)
        a["gmv"] += r.gmv
    buyers = sum(a["buyers"] for a in acc.values())
    records = []
    for gid, lo, hi in GROUPS:
        a = acc[gid]
        gmv = a["gmv"].quantize(CENT)
        records.append({"group": gid, "lo": lo, "hi": hi, "buyers": a["buyers"],
                        "buyer_share": _div(a["buyers"], buyers, RATE) if buyers else None,
                        "gmv": gmv, "gmv_share": _div(gmv, all_gmv, RATE),
                        "avg_order_value": _div(gmv, a["purchases"]), "avg_spend_per_buyer": _div(gmv, a["buyers"])})
    df = _frame(records, GROUP_COLUMNS)
    df["hi"] = pd.Series([r["hi"] for r in records], dtype=object)
    return df


def funnel(db: Database, f: Filters, steps: int = FUNNEL_STEPS) -> pd.DataFrame:
    """Steps 1 … `steps`: buyers with ≥ k purchases in scope, share (of all buyers), conversion
    (of the previous step), median_days from the (k−1)-th to the k-th purchase (None at step 1 and
    where nobody got there)."""
    steps = int(steps)
    if f.facts and f.start is None:
        if f.summaries and steps <= GAP_STEPS:
            rows = db.query(Q(FUNNEL_SUMMARY_SQL, steps=steps))
        else:
            rows = db.query(Q(FUNNEL_FACTS_SQL, steps=steps).fill(
                scope=f.purchases("o.cust_no, o.ordered_at, o.prev_at, o.seq")))
        counted: dict[int, list] = {}
        for seq, gap, n in rows:
            counted.setdefault(int(seq), []).append((gap, int(n)))
        got = {}
        for k, pairs in counted.items():
            median = None if k == 1 else quantile_cont([(int(g), n) for g, n in pairs], 0.5)
            got[k] = (sum(n for _, n in pairs), median)
    else:
        row = db.query(Q(FUNNEL_SQL).fill(scope=f.purchases("o.cust_no, o.ordered_at"), steps=str(steps),
                                          columns=_funnel_columns(steps)))[0]
        got = {k: (int(row[2 * (k - 1)]), row[2 * (k - 1) + 1]) for k in range(1, steps + 1)}
    first = got.get(1, (0, None))[0]
    records, prev = [], None
    for k in range(1, steps + 1):
        n, median = got.get(k, (0, None))
        records.append({"step": k, "buyers": n, "share": n / first if first else 0.0,
                        "conversion": (n / prev if prev else 0.0) if k > 1 else (1.0 if first else 0.0),
                        "median_days": None if median is None or k == 1 else float(median)})
        prev = n
    df = _frame(records, FUNNEL_COLUMNS)
    df["median_days"] = pd.Series([r["median_days"] for r in records], dtype=object)
    return df


def default_min_days(db: Database, f: Filters) -> int:
    """2 × the usage cycle (median days between a buyer's purchase days, timing page) when there is
    one, else 180."""
    from .timing import usage_cycle
    median = usage_cycle(db, f)["median_days"]
    if median is None:
        return FALLBACK_MIN_DAYS
    return max(1, int(Decimal(str(2 * median)).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def silent_repeat(db: Database, f: Filters, min_purchases: int = DEFAULT_MIN_PURCHASES,
                  min_days: int = FALLBACK_MIN_DAYS, limit: int = SILENT_LIMIT) -> dict:
    """Long-silent repeat buyers: {min_purchases, min_days, buyers (all of them), gmv (their
    combined spend in scope), rows (DataFrame of at most `limit`: customer_id, purchases, spend,
    last_purchase, days_since_last, level_code)}."""
    min_purchases, min_days = max(1, int(min_purchases)), max(0, int(min_days))
    sql = Q(SILENT_SQL, min_purchases=min_purchases, min_days=min_days, limit=int(limit)).fill(
        buyers=buyer_facts(f, ("purchases", "spend", "last_seen", "days_since_last"), dates=True),
        levels=f.buyer_levels())   # the silent buyers are buyers
    rows = db.query(sql)
    df = _frame([dict(zip(SILENT_COLUMNS, r[:6])) for r in rows], SILENT_COLUMNS)
    if len(df):
        df["purchases"] = df["purchases"].astype("int64")
        df["days_since_last"] = df["days_since_last"].astype("int64")
        df["level_code"] = pd.Series([None if pd.isna(v) else int(v) for v in df["level_code"]], dtype=object)
    total, gmv = (int(rows[0][6]), rows[0][7]) if rows else (0, Decimal("0.00"))
    return {"min_purchases": min_purchases, "min_days": min_days, "buyers": total, "gmv": gmv, "rows": df}


def compute(db: Database, f: Filters, min_purchases: int = DEFAULT_MIN_PURCHASES,
            min_days: int | None = None) -> dict:
    """Everything the page needs. `min_days` None → `default_min_days`. `empty` is True when no
    purchase is in scope; `no_buyers` when purchases are in scope but none has a buyer key."""
    table, totals = by_count(db, f)
    days_default = default_min_days(db, f) if totals["buyers"] else FALLBACK_MIN_DAYS
    out = {"empty": totals["purchases"] == 0, "no_buyers": totals["purchases"] > 0 and totals["buyers"] == 0,
           "as_of": f.as_of, "totals": totals, "by_count": table, "groups": groups(table, totals["gmv"]),
           "default_min_days": days_default}
    if out["empty"] or out["no_buyers"]:
        return out | {"funnel": funnel_empty(),
                      "silent": {"min_purchases": int(min_purchases),
                                 "min_days": int(days_default if min_days is None else min_days),
                                 "buyers": 0, "gmv": Decimal("0.00"), "rows": _frame([], SILENT_COLUMNS)}}
    return out | {"funnel": funnel(db, f),
                  "silent": silent_repeat(db, f, min_purchases, days_default if min_days is None else min_days)}


def funnel_empty(steps: int = FUNNEL_STEPS) -> pd.DataFrame:
    df = _frame([{"step": k, "buyers": 0, "share": 0.0, "conversion": 0.0, "median_days": None}
                 for k in range(1, steps + 1)], FUNNEL_COLUMNS)
    df["median_days"] = pd.Series([None] * steps, dtype=object)
    return df



def report(db: Database, f: Filters) -> dict:
    """JSON-ready: purchase_counts [{purchases, buyers}] by exact count (ascending, only counts with
    buyers — the CLI relies on this key and shape), groups, funnel (steps 2 …), silent_repeat with
    the default thresholds."""
    c = compute(db, f)
    t = c["totals"]
    s = c["silent"]
    return {
        "as_of": f.as_of.isoformat(), "start": f.start.isoformat() if f.start else None,
        "end": f.last_day.isoformat(),
        "buyers": t["buyers"], "repeat_buyers": t["repeat_buyers"], "repurchase_rate": _num(t["repurchase_rate"], 4),
        "no_buyer": {"purchases": t["no_buyer_purchases"], "gmv": _num(t["no_buyer_gmv"])},
        "purchase_counts": [{"purchases": int(r.purchases), "buyers": int(r.buyers)}
                            for r in c["by_count"].itertuples()],
        "by_count": [{"purchases": int(r.purchases), "buyers": int(r.buyers), "buyer_share": _num(r.buyer_share, 4),
                      "gmv": _num(r.gmv), "gmv_share": _num(r.gmv_share, 4),
                      "avg_order_value": _num(r.avg_order_value), "avg_spend_per_buyer": _num(r.avg_spend_per_buyer)}
                     for r in c["by_count"].itertuples()],
        "groups": [{"group": r.group, "lo": int(r.lo), "hi": None if r.hi is None else int(r.hi),
                    "buyers": int(r.buyers), "buyer_share": _num(r.buyer_share, 4), "gmv": _num(r.gmv),
                    "gmv_share": _num(r.gmv_share, 4), "avg_spend_per_buyer": _num(r.avg_spend_per_buyer)}
                   for r in c["groups"].itertuples()],
        "funnel": [{"step": int(r.step), "buyers": int(r.buyers), "share": _num(r.share, 4),
                    "conversion": _num(r.conversion, 4), "median_days": _num(r.median_days, 1)}
                   for r in c["funnel"].itertuples() if r.step >= 2],
        "silent_repeat": {"min_purchases": s["min_purchases"], "min_days": s["min_days"],
                          "buyers": s["buyers"], "gmv": _num(s["gmv"])},
    }
