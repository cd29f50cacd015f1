"""Lifecycle & RFM (生命周期 / RFM): where each customer stands by days since their last purchase,
their RFM scores and segment, and how the stage sizes moved over the last 12 months.

Definitions (README, "Definitions"; the segment rules themselves live in `crm/segments.py`):
- Customers (客户): every customer with at least one purchase up to the as-of date
  (`customer_facts_sql`: the level / province / platform / shop filters apply, the order date range
  does not cut their history). When the sidebar has an order date range, only customers with a
  purchase inside that range count (their figures still cover their whole history up to the as-of
  date). Orders without a buyer key belong to no customer.
- Days since last purchase (未购天数): whole calendar days from the date of the customer's last
  purchase up to the as-of date to the as-of date.
- Lifecycle stage (生命周期) by days since last purchase, thresholds editable (`LifecycleThresholds`,
  defaults 售后期 ≤ 15, 活跃期 ≤ 90, 沉默期 ≤ 180, 睡眠期 ≤ 365, 流失期 > 365; each bound inclusive).
  Per stage: customers, share of all customers, their historical GMV (成交金额: Σ spend of all their
  purchases up to the as-of date), purchases, 笔单价 = GMV / purchases, 客单价 = GMV / customers.
- New vs returning within a stage: new = exactly one purchase up to the as-of date; returning = two
  or more (so "returning" is a repeat buyer over the customer's whole history, not in the range).
- RFM (`RfmCuts`, fixed visible cut points, not quantiles): R from days since last purchase (R5 =
  most recent: days ≤ 30 → 5, ≤ 90 → 4, ≤ 180 → 3, ≤ 365 → 2, else 1), F from the number of
  purchases up to the as-of date (1 → F1, 2 → F2, 3 → F3, 4–5 → F4, 6+ → F5), M from total spend up
  to the as-of date (< 100 → M1, 100–199.99 → M2, 200–499.99 → M3, 500–999.99 → M4, ≥ 1000 → M5).
  A value on a cut point goes to the higher score (F: 2 purchases → F2; M: exactly 100 → M2; R:
  exactly 30 days → R5).
- The 8 segments (the common RFM model): R/F/M "high" when R ≥ 3, F ≥ 2, M ≥ 3 (`RfmCuts.high_*`);
  segment = `RFM_SEGMENTS[hhh … lll]`. Per segment: customers, share, GMV and its share, average
  days since last purchase, average purchases.
- Stage movement: for each of the 12 months up to the as-of month, the customers in each stage as of
  that month's end (days since last purchase counted to the month end, over purchases up to it); the
  as-of month ends on the as-of date itself, so the last point equals the stage table. A customer
  counts from the first month end on or after their first purchase; the same customers as the stage
  table are counted (with a date range: customers with a purchase in the range, at every month end).
  Computed in one query without expanding customers × month ends: per purchase day, bit masks say
  which month ends it keeps the customer within each threshold (see `MOVEMENT_SQL`); a customer's
  masks are OR-ed over their purchases, and only purchases late enough to matter are read. With no
  province/platform/shop filter, purchase_facts knows each purchase's next one, so a purchase's
  mask is cut to the month ends where it is the customer's latest: no grouping by customer
  (`MOVEMENT_FACTS_SQL`; the same counts, tests/unit/test_fast_paths.py).
- Invalid thresholds or cut points (negative, not rising) are reported in `problems` (message keys
  from `crm/segments.py`) and the defaults are used instead.
"""
from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from ..db import Database
from ..filters import Filters
from ..metrics import stage as stage_sql, stage_no
from ..sql import Q
from ..segments import (RFM_SEGMENTS, STAGES, LifecycleThresholds, RfmCuts, customer_facts_sql,
                        load_thresholds)
from ..numbers import div as _div, num as _num

MOVEMENT_MONTHS = 12
SCORES = (1, 2, 3, 4, 5)
SEGMENTS = tuple(RFM_SEGMENTS.values())
SEGMENT_PATTERN = {seg: key for key, seg in RFM_SEGMENTS.items()}   # segment id → "hhl"

# -- named queries -----------------------------------------------------------------------------------
# Customers in scope, one row each: {facts} = customer_facts_sql(f), restricted to customers with a
# purchase in the order date range when there is one ({in_range}).
CUSTOMERS_SQL = "SELECT * FROM ({facts}) c{in_range}"
IN_RANGE = " WHERE c.cust_no IN (SELECT cust_no FROM ({p}) p)"

# One row per (stage, R, F, M, new/returning) with what the tables need: stage table, R×F grid,
# M distribution and segments are all sums over these ≤ 250 rows (money summed in SQL, DECIMAL).
CUBE_SQL = """
WITH c AS ({customers}),
scored AS (
    SELECT purchases, spend, days_since_last, {stage} AS stage, {rfm} FROM c
)
SELECT stage, r, f, m, purchases = 1 AS is_new, count(*) AS customers, sum(purchases) AS purchases,
       sum(spend)::DECIMAL(38,2) AS gmv, sum(days_since_last) AS days
FROM scored
GROUP BY ALL
"""

# Stage movement. `lut` (`movement_lut`) has one packed BIGINT per day from `base` to the as-of
# date: for a purchase on that day, which month ends it keeps a customer within each of the four
# thresholds (bits 12·j + k: month end k, threshold j) and which month ends it is on or before
# (bits 48 + k: "has bought by then"). OR-ing the masks of a customer's purchases gives, per
# threshold, the month ends at which their last purchase up to that month end was within it.
# - within: purchases after `base` only (earlier ones are within no threshold at any month end),
#   OR-ed per customer; customers with the same masks counted together.
# - bought: customers by the day of their first purchase (its lut entry says from which month end
#   they count).
# Both count the customers of `customers_sql` (the same as the stage table).
MOVEMENT_SQL = """
WITH c AS ({customers}),
h AS ({history}),
recent AS (
    SELECT bit_or(list_extract($lut::BIGINT[], (ordered_at::DATE - $base::DATE) + 1)) AS masks
    FROM h WHERE cust_no IS NOT NULL AND ordered_at >= $base::DATE + INTERVAL 1 DAY{in_range}
    GROUP BY cust_no
),
within AS (SELECT masks, count(*) AS customers FROM recent GROUP BY masks),
bought AS (   -- customers by the day of their first purchase (days after `base`; 0: on or before it)
    SELECT greatest(first_purchase_at::DATE - $base::DATE, 0) AS day, count(*) AS customers FROM c GROUP BY 1
)
SELECT 'within' AS part, masks, customers FROM within
UNION ALL
SELECT 'bought', day, customers FROM bought
"""

# The same from purchase_facts (no province/platform/shop filter), without grouping by customer:
# a purchase is a customer's latest up to month end k exactly when k is before their next purchase
# (`next_at`), so masking its lut entry with `$next_lut` (`movement_next_lut`: the month ends before a day)
# leaves the bits of the month ends where it decides the customer's stage. Every customer has one
# such purchase per month end, so counting masks over purchases counts customers.
MOVEMENT_FACTS_SQL = """
WITH c AS ({customers}),
h AS ({history}),
within AS (
    SELECT list_extract($lut::BIGINT[], (ordered_at::DATE - $base::DATE) + 1)
           & CASE WHEN next_at IS NULL OR next_at::DATE > $last_end::DATE THEN -1
                  ELSE list_extract($next_lut::BIGINT[], (next_at::DATE - $base::DATE) + 1) END AS masks,
           count(*) AS customers
    FROM h WHERE cust_no IS NOT NULL AND ordered_at >= $base::DATE + INTERVAL 1 DAY
      AND (next_at IS NULL OR next_at >= $first_end::DATE + INTERVAL 1 DAY){in_range}
    GROUP BY 1
),
bought AS (
    SELECT greatest(first_purchase_at::DATE - $base::DATE, 0) AS day, count(*) AS customers FROM c GROUP BY 1
)
SELECT 'within' AS part, masks, customers FROM within
UNION ALL
SELECT 'bought', day, customers FROM bought
"""

NO_BUYER_SQL = "SELECT count(*) FROM ({p}) p"


# -- helpers -----------------------------------------------------------------------------------------

def _ratio(a, b) -> float | None:
    return float(a) / float(b) if b else None


def has_range(f: Filters) -> bool:
    """True when the sidebar's order date range is narrower than 'everything up to the as-of date'."""
    return f.start is not None or f.last_day < f.as_of


def customers_sql(f: Filters) -> Q:
    """The customers in scope, one row each (columns of `customer_facts_sql`)."""
    in_range = Q(IN_RANGE).fill(p=f.purchases("o.cust_no")) if has_range(f) else ""
    return Q(CUSTOMERS_SQL).fill(facts=customer_facts_sql(f), in_range=in_range)


def month_ends(as_of: dt.date, months: int = MOVEMENT_MONTHS) -> list[dt.date]:
    """The last day of each of the `months` calendar months up to the as-of month, oldest first;
    the as-of month ends on the as-of date."""
    out, y, m = [], as_of.year, as_of.month
    for _ in range(months):
        out.append(min(dt.date(y, m, calendar.monthrange(y, m)[1]), as_of))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def score_ranges(cuts: RfmCuts) -> dict[str, list[tuple]]:
    """Per letter, (score, lowest, highest or None) — R in days, F in purchases, M in spend."""
    r = cuts.recency
    rec = [(5, 0, r[0]), (4, r[0] + 1, r[1]), (3, r[1] + 1, r[2]), (2, r[2] + 1, r[3]), (1, r[3] + 1, None)]
    fr = cuts.frequency
    freq = [(1, 1, fr[0] - 1)] + [(i + 2, fr[i], fr[i + 1] - 1) for i in range(3)] + [(5, fr[3], None)]
    mo = cuts.monetary
    mon = [(1, 0, mo[0])] + [(i + 2, mo[i], mo[i + 1]) for i in range(3)] + [(5, mo[3], None)]
    return {"r": rec, "f": freq, "m": mon}


def check(thresholds: LifecycleThresholds | None, cuts: RfmCuts | None
          ) -> tuple[LifecycleThresholds, RfmCuts, list[str]]:
    """The thresholds and cut points to use, and the problems of those asked for (defaults replace
    invalid ones)."""
    thresholds = thresholds or LifecycleThresholds()
    cuts = cuts or RfmCuts()
    t_problems, c_problems = thresholds.validate(), cuts.validate()
    return (LifecycleThresholds() if t_problems else thresholds, RfmCuts() if c_problems else cuts,
            t_problems + c_problems)


# -- the analyses ------------------------------------------------------------------------------------
class _Sum:
    """Running totals of a group of cube rows."""
    __slots__ = ("customers", "purchases", "gmv", "days", "new")

    def __init__(self):
        self.customers, self.purchases, self.gmv, self.days, self.new = 0, 0, Decimal("0.00"), 0, 0

    def add(self, row: tuple) -> None:
        customers, purchases, gmv, days, is_new = row[5], row[6], row[7], row[8], row[4]
        self.customers += customers
        self.purchases += purchases
        self.gmv += gmv
        self.days += days
        if is_new:
            self.new += customers


def cube(db: Database, f: Filters, thresholds: LifecycleThresholds, cuts: RfmCuts) -> list[tuple]:
    """Customers grouped by stage, R, F, M and new/returning, as rows (stage, r, f, m, is_new,
    customers, purchases, gmv, days) — gmv Decimal, days = Σ days since last purchase."""
    return db.query(Q(CUBE_SQL).fill(customers=customers_sql(f), stage=stage_sql(thresholds),
                                     rfm=cuts.score_sql("days_since_last", "purchases", "spend")))


def _group(rows: list[tuple], key) -> dict:
    sums: dict = {}
    for row in rows:
        sums.setdefault(key(row), _Sum()).add(row)
    return sums


def _with_open_hi(records: list[dict], columns: list[str]) -> pd.DataFrame:
    """A frame whose `hi` column keeps None (no upper bound) instead of turning into NaN."""
    df = pd.DataFrame(records, columns=columns)
    df["hi"] = pd.Series([r["hi"] for r in records], dtype=object)
    return df


def stages_table(rows: list[tuple], thresholds: LifecycleThresholds) -> pd.DataFrame:
    """One row per stage (all five): stage, lo, hi (days; None = no upper bound), customers, share,
    gmv, purchases, avg_order_value (笔单价), avg_spend_per_buyer (客单价), new, returning, new_share."""
    sums, total = _group(rows, lambda r: r[0]), sum(r[5] for r in rows)
    records = []
    for stage in STAGES:
        s = sums.get(stage, _Sum())
        lo, hi = thresholds.range_of(stage)
        records.append({
            "stage": stage, "lo": lo, "hi": hi, "customers": s.customers, "share": _ratio(s.customers, total),
            "gmv": s.gmv, "purchases": s.purchases, "avg_order_value": _div(s.gmv, s.purchases),
            "avg_spend_per_buyer": _div(s.gmv, s.customers), "new": s.new, "returning": s.customers - s.new,
            "new_share": _ratio(s.new, s.customers),
        })
    return _with_open_hi(records, list(records[0]))


def rf_grid(rows: list[tuple]) -> pd.DataFrame:
    """25 rows, R 5 → 1 and F 1 → 5: r, f, cell ('R3F2'), customers, gmv, share."""
    sums, total = _group(rows, lambda r: (r[1], r[2])), sum(r[5] for r in rows)
    records = []
    for r in reversed(SCORES):
        for fs in SCORES:
            s = sums.get((r, fs), _Sum())
            records.append({"r": r, "f": fs, "cell": f"R{r}F{fs}", "customers": s.customers, "gmv": s.gmv,
                            "share": _ratio(s.customers, total)})
    return pd.DataFrame(records)


def m_distribution(rows: list[tuple], cuts: RfmCuts) -> pd.DataFrame:
    """5 rows: m, lo, hi (spend; lo inclusive, hi exclusive, None = no upper bound), customers,
    share, gmv."""
    sums, total = _group(rows, lambda r: r[3]), sum(r[5] for r in rows)
    records = []
    for score, lo, hi in score_ranges(cuts)["m"]:
        s = sums.get(score, _Sum())
        records.append({"m": score, "lo": lo, "hi": hi, "customers": s.customers,
                        "share": _ratio(s.customers, total), "gmv": s.gmv})
    return _with_open_hi(records, list(records[0]))


def segments_table(rows: list[tuple], cuts: RfmCuts) -> pd.DataFrame:
    """The 8 segments in model order: segment, pattern ('hhl': R/F/M high or low), customers, share,
    gmv, gmv_share, avg_days (days since last purchase), avg_purchases, avg_spend_per_buyer."""
    sums = _group(rows, lambda r: cuts.segment(r[1], r[2], r[3]))
    total, total_gmv = sum(r[5] for r in rows), sum((r[7] for r in rows), Decimal(0))
    records = []
    for seg in SEGMENTS:
        s = sums.get(seg, _Sum())
        records.append({
            "segment": seg, "pattern": SEGMENT_PATTERN[seg], "customers": s.customers,
            "share": _ratio(s.customers, total), "gmv": s.gmv, "gmv_share": _ratio(s.gmv, total_gmv),
            "avg_days": _ratio(s.days, s.customers), "avg_purchases": _ratio(s.purchases, s.customers),
            "avg_spend_per_buyer": _div(s.gmv, s.customers),
        })
    return pd.DataFrame(records)


def movement_lut(ends: list[dt.date], thresholds: LifecycleThresholds) -> tuple[dt.date, list[int]]:
    """(base, lut): lut[i] describes a purchase on day base + i (any earlier day: lut[0]). Bits
    12·j + k (j = 0…3: the first four stages' thresholds; j = 4: no limit) are set when month end k
    is on or after the purchase and at most threshold j days after it."""
    n = len(ends)
    base = ends[0] - dt.timedelta(days=thresholds.sleeping + 2)  # on or before base: within no threshold
    end_days = np.array([e.toordinal() for e in ends], dtype=np.int64)
    days = np.arange(base.toordinal(), ends[-1].toordinal() + 1, dtype=np.int64)
    k0 = np.searchsorted(end_days, days, side="left")          # first month end on or after the day
    one = np.int64(1)
    packed = np.zeros(len(days), dtype=np.int64)
    for j, limit in enumerate(list(thresholds.bounds()) + [None]):
        # month ends more than `limit` days after the day are not within the threshold
        k1 = np.full(len(days), n) if limit is None else np.searchsorted(end_days, days + limit + 1, side="left")
        packed |= ((one << k1) - (one << k0)) << (n * j)
    return base, [int(v) for v in packed]


def movement_next_lut(ends: list[dt.date], base: dt.date) -> list[int]:
    """For a next purchase on day base + i: the bits (every threshold, as in `movement_lut`) of
    the month ends before that day — those at which the purchase before it is the latest."""
    n = len(ends)
    end_days = np.array([e.toordinal() for e in ends], dtype=np.int64)
    days = np.arange(base.toordinal(), ends[-1].toordinal() + 1, dtype=np.int64)
    before = (np.int64(1) << np.searchsorted(end_days, days, side="left")) - 1
    packed = np.zeros(len(days), dtype=np.int64)
    for j in range(5):
        packed |= before << (n * j)
    return [int(v) for v in packed]


def movement(db: Database, f: Filters, thresholds: LifecycleThresholds,
             months: int = MOVEMENT_MONTHS) -> pd.DataFrame:
    """Customers per stage at each of the last `months` month ends: month_end, stage, customers
    (every stage of every month end, zeros included; long format, stages in lifecycle order)."""
    ends = month_ends(f.as_of, months)
    base, lut = movement_lut(ends, thresholds)
    in_range = Q(" AND cust_no IN (SELECT cust_no FROM ({p}) p)").fill(p=f.purchases("o.cust_no")) if has_range(f) else ""
    if f.facts:
        sql = Q(MOVEMENT_FACTS_SQL, last_end=ends[-1], next_lut=movement_next_lut(ends, base), first_end=ends[0])
        history = f.purchases("o.cust_no, o.ordered_at, o.next_at", dates=False)
    else:
        sql, history = Q(MOVEMENT_SQL), f.purchases("o.cust_no, o.ordered_at", dates=False)
    rows = db.query(sql.fill(customers=customers_sql(f), history=history, in_range=in_range).bind(lut=lut, base=base))
    # within[j][k]: customers whose days since last purchase at month end k are ≤ threshold j;
    # within[4][k]: customers with a purchase by month end k
    parts: dict[str, tuple[list, list]] = {"within": ([], []), "bought": ([], [])}
    for part, key, n in rows:
        parts[part][0].append(key if part == "within" else lut[key])
        parts[part][1].append(n)
    within = np.zeros((5, months), dtype=np.int64)
    for part, j_range in (("within", range(4)), ("bought", (4,))):
        masks, counts = (np.array(v, dtype=np.int64) for v in parts[part])
        for j in j_range:
            for k in range(months):
                within[j, k] = int(counts[((masks >> (months * j + k)) & 1) == 1].sum())
    per_stage = np.vstack([within[0], np.diff(within, axis=0)])   # after_sale, active − after_sale, …
    return pd.DataFrame([{"month_end": end, "stage": s, "customers": int(per_stage[i, k])}
                         for k, end in enumerate(ends) for i, s in enumerate(STAGES)])


def compute(db: Database, f: Filters, thresholds: LifecycleThresholds | None = None,
            cuts: RfmCuts | None = None) -> dict:
    """Everything the lifecycle page needs. `empty` is True when no customer is in scope
    (`no_buyer_purchases` then says whether there were purchases without a buyer key)."""
    thresholds, cuts, problems = check(thresholds, cuts)
    base = {"as_of": f.as_of, "thresholds": thresholds, "cuts": cuts, "problems": problems,
            "ranges": score_ranges(cuts), "month_ends": month_ends(f.as_of)}
    rows = cube(db, f, thresholds, cuts)
    if not rows:
        return base | {"empty": True,
                       "no_buyer_purchases": int(db.scalar(Q(NO_BUYER_SQL).fill(p=f.purchases("o.cust_no"))))}
    tot = _group(rows, lambda r: None)[None]
    totals = {"customers": tot.customers, "purchases": tot.purchases, "gmv": tot.gmv, "new": tot.new,
              "returning": tot.customers - tot.new}
    return base | {
        "empty": False,
        "totals": totals,
        "stages": stages_table(rows, thresholds),
        "rf_grid": rf_grid(rows),
        "m_distribution": m_distribution(rows, cuts),
        "segments": segments_table(rows, cuts),
        "movement": movement(db, f, thresholds),
    }


# -- JSON for the command line -----------------------------------------------------------------------

def report(db: Database, f: Filters) -> dict:
    """JSON-ready: stages (with the saved thresholds), RFM grid, M distribution and segments (default
    cut points), and the 12-month stage movement."""
    res = compute(db, f, load_thresholds(db), RfmCuts())
    t, cuts = res["thresholds"], res["cuts"]
    out = {"as_of": f.as_of.isoformat(),
           "thresholds": {"after_sale": t.after_sale, "active": t.active, "silent": t.silent, "sleeping": t.sleeping},
           "rfm_cuts": {"recency": list(cuts.recency), "frequency": list(cuts.frequency),
                        "monetary": [float(v) for v in cuts.monetary]},
           "problems": res["problems"]}
    if res["empty"]:
        return out | {"customers": 0, "new": 0, "returning": 0, "gmv": 0.0,
                      "stages": [{"stage": s, "customers": 0, "share": None, "gmv": 0.0, "purchases": 0,
                                  "avg_order_value": None, "avg_spend_per_buyer": None, "new": 0, "returning": 0}
                                 for s in STAGES],
                      "rf_grid": [], "m_distribution": [], "segments": [], "movement": []}
    tot = res["totals"]
    return out | {
        "customers": tot["customers"], "new": tot["new"], "returning": tot["returning"], "gmv": _num(tot["gmv"]),
        "stages": [{"stage": r.stage, "lo": int(r.lo), "hi": None if r.hi is None else int(r.hi),
                    "customers": int(r.customers), "share": _num(r.share, 4), "gmv": _num(r.gmv),
                    "purchases": int(r.purchases), "avg_order_value": _num(r.avg_order_value),
                    "avg_spend_per_buyer": _num(r.avg_spend_per_buyer), "new": int(r.new),
                    "returning": int(r.returning)} for r in res["stages"].itertuples()],
        "rf_grid": [{"cell": r.cell, "r": int(r.r), "f": int(r.f), "customers": int(r.customers), "gmv": _num(r.gmv)}
                    for r in res["rf_grid"].itertuples()],
        "m_distribution": [{"m": int(r.m), "lo": float(r.lo), "hi": None if r.hi is None else float(r.hi),
                            "customers": int(r.customers), "gmv": _num(r.gmv)}
                           for r in res["m_distribution"].itertuples()],
        "segments": [{"segment": r.segment, "pattern": r.pattern, "customers": int(r.customers),
                      "share": _num(r.share, 4), "gmv": _num(r.gmv), "gmv_share": _num(r.gmv_share, 4),
                      "avg_days": _num(r.avg_days, 1), "avg_purchases": _num(r.avg_purchases, 2)}
                     for r in res["segments"].itertuples()],
        "movement": [{"month_end": r.month_end.isoformat(), "stage": r.stage, "customers": int(r.customers)}
                     for r in res["movement"].itertuples()],
    }


# -- weekly stage moves -------------------------------------------------------------------------------
# Each purchase moves its buyer to after-sale from the stage their days since the previous purchase
# put them in (a "return" when that stage was not after-sale); between two purchases (or after the
# last, up to the as-of date) the buyer slips down one stage on the day after each threshold. Both
# kinds of move are counted in the week they happen, for the `weeks` weeks ending on the as-of date
# (week k: the 7 days ending as-of − 7k). Purchases after the as-of date do not exist for this count.
WEEKLY_MOVES_SQL = """
WITH p AS (SELECT cust_no, ordered_at::DATE AS d, prev_at::DATE AS prev_d,
                  CASE WHEN next_at::DATE <= $as_of::DATE THEN next_at::DATE END AS next_d
           FROM purchase_facts WHERE cust_no IS NOT NULL AND ordered_at < $as_of::DATE + INTERVAL 1 DAY),
bounds AS (SELECT unnest($bounds::INTEGER[]) AS hi, unnest(range(4)) AS k),
returns AS (SELECT d AS day, {stage_of_gap} AS from_no, 0 AS to_no FROM p
            WHERE prev_d IS NOT NULL AND d - prev_d > $stage_bound_0::INTEGER),
slips AS (SELECT d + (b.hi + 1)::INTEGER AS day, b.k AS from_no, b.k + 1 AS to_no FROM p, bounds b
          WHERE d + (b.hi + 1)::INTEGER < coalesce(next_d, $as_of::DATE + 1)),
moves AS (SELECT * FROM returns UNION ALL SELECT * FROM slips)
SELECT ($as_of::DATE - (7 * (($as_of::DATE - day) // 7))::INTEGER)::DATE AS week_end, from_no, to_no, count(*) AS customers
FROM moves WHERE day > $as_of::DATE - (7 * $weeks::INTEGER) AND day <= $as_of::DATE
GROUP BY ALL ORDER BY 1, 2, 3"""


def weekly_moves(db: Database, as_of: dt.date, thresholds: LifecycleThresholds, weeks: int = 12) -> pd.DataFrame:
    """Members who moved between lifecycle stages each week: week_end, from_stage, to_stage, customers
    (every week and every move that happened, zero rows left out)."""
    sql = Q(WEEKLY_MOVES_SQL, as_of=as_of, bounds=list(thresholds.bounds()), weeks=int(weeks)).fill(
        stage_of_gap=stage_no(thresholds, "(d - prev_d)"))
    rows = db.query(sql)
    return pd.DataFrame([(w, STAGES[f], STAGES[t], int(n)) for w, f, t, n in rows],
                        columns=["week_end", "from_stage", "to_stage", "customers"])
