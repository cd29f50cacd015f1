"""Coupon sizing (优惠券测算): how many coupons, how big, for whom?

The seller's case: more than a thousand customers have not bought for six months while the product
is used up in three; most orders are under ¥100, so a ¥2–5 coupon is attractive and affordable.
This module sizes a 满X减Y coupon (spend ¥X, get ¥Y off) for one cohort of members and says
whether it pays. The cohort comes as a SQL sub-query selecting `cust_no` plus its bound parameters
(`members_sql, members_params`), e.g. from `crm.cohorts`; this module does not depend on how it
was built.

Flow: `order_values()` → `candidate_offers()` → `economics()` → `recommend()` (or `plan()` for all
four). Only `order_values()` reads the database: the cohort sub-query and the scan of its purchases
run once, into temporary tables of its own cursor, and a few small queries summarise them; the
other steps work on that small result (the exact cumulative counts of distinct order values).

Definitions (DESIGN.md "Definitions"):
- **Cohort size** (`members`): distinct non-null `cust_no` of the cohort sub-query, whether or not
  they ever bought: everyone in the cohort is contacted.
- **Cohort orders**: every purchase (成交订单: paid, not refunded in full) of a cohort member up to
  the as-of date (统计截止日), whatever the order date range; the optional `Filters` keeps its
  level/province/platform/shop filters (`f.purchases(dates=False)`).
- **Order value** (订单金额) = spend of one purchase (amount paid − amount refunded). Purchases of
  zero spend (gifts, fully discounted orders) are counted in `zero_spend` and left out of the
  distribution: percentiles, mean, histogram, shares and thresholds are over orders with value > 0.
- **Percentiles** P10 … P90: DuckDB `quantile_cont` (linear interpolation), computed in double
  precision and rounded to cents. **Mean order value** (笔单价 of the cohort's history) =
  Σ order value / orders, DECIMAL in SQL, rounded to cents.
- **Histogram**: bins of width W, the smallest of 1, 2, 5, 10, 20, 50, 100, … yuan for which
  floor(P90 / W) + 1 ≤ 20; bins [0, W), [W, 2W), … up to the first edge above P90 (`cap`), then
  one open bin "≥ cap". Empty bins are kept (0 orders).
- **Thresholds** 满X (when not given): step S = the largest of 1, 5, 10, 50, 100, 500, … yuan with
  S ≤ P75 / 5 (at least ¥1). Candidates: P50 rounded down to S, P60 / P70 / P75 rounded to the
  nearest S (halves up), P80 rounded up to S; any 0 becomes S; duplicates dropped; while fewer than
  3, the largest plus S is added. So 3–5 distinct thresholds from about P50 to a bit above P75.
  `charm=True` turns thresholds of ¥20 and more that are multiples of 10 into X − 1 (60 → 59,
  100 → 99), the way shops often price them.
- **Amounts** 减Y: denominations 1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, … yuan, keeping
  those with effective discount Y / X between `min_discount` (2%) and `max_discount` (30%), inclusive.
- **Share reaching** (已达门槛订单占比) = orders with value ≥ X / orders (exact: from the cumulative
  counts of distinct order values computed in SQL). **Mean reaching** = Σ order values ≥ X /
  orders with value ≥ X (None when no order reaches X).
- **Lift** (门槛提升): what the threshold asks for over the typical order: `lift` = X / P50 − 1
  (a fraction; 0.2 = the threshold is 20% above the median order), `lift_yuan` = X − P50.
- **Economics** (see `economics()` for the exact formulas and `Assumptions` for the inputs).
  The assumed redemption rate is that of a reference offer (10% off, a threshold half of the
  cohort's past orders reach); each offer's own rate scales with the share of past orders reaching
  its threshold and with the square root of its discount (`Assumptions`, `response_factor`). With
  one flat rate for every offer, the most profitable offer would always be the highest threshold
  with the smallest amount, which nobody redeems in reality.

Money: the `order_values()` dict keeps money as `Decimal` (as DuckDB returns DECIMAL). Every
DataFrame (histogram bounds, offers, economics) holds money as float rounded half-up to cents,
computed with `Decimal` from exact inputs; rates, shares and ROI are unrounded floats (fractions, 0.05
= 5%). Each money figure is rounded from its exact value, so a total may differ from the sum of
its rounded parts by a cent.

Empty cases never raise: a cohort with no members, or whose members have no order with value > 0,
gives `empty: True`, empty frames, no offers, and `recommend()` → None.
"""
from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import asdict, dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

import pandas as pd

from .db import Database
from .filters import Filters
from .i18n import fmt_money, fmt_pct

CENT = Decimal("0.01")
MAX_BINS = 20                         # closed histogram bins at most (plus the open one)
QUANTILES = (("p10", 0.10), ("p25", 0.25), ("p50", 0.50), ("p60", 0.60), ("p70", 0.70),
             ("p75", 0.75), ("p80", 0.80), ("p90", 0.90))
MIN_THRESHOLDS = 3
MIN_DISCOUNT, MAX_DISCOUNT = 0.02, 0.30
_MAX_POWER = 18                       # DECIMAL(18,2) holds < 10^16 yuan; 10^18 covers every scale


def _nice(mantissas: tuple[int, ...]) -> list[int]:
    return [m * 10 ** k for k in range(_MAX_POWER + 1) for m in mantissas]


BIN_WIDTHS = _nice((1, 2, 5))         # yuan
THRESHOLD_STEPS = _nice((1, 5))       # yuan
DENOMINATIONS = _nice((1, 2, 3, 5))   # yuan

HIST_COLUMNS = ["bin", "lo", "hi", "orders", "share"]
TAIL_COLUMNS = ["value", "orders_at_least", "spend_at_least"]
OFFER_COLUMNS = ["offer", "threshold", "amount", "discount", "orders_reaching", "reach_share",
                 "mean_reaching", "lift", "lift_yuan"]
ECONOMICS_COLUMNS = OFFER_COLUMNS + [
    "cohort_size", "redemption_rate", "redemptions", "orders", "avg_order_value", "coupon_cost", "message_cost",
    "incremental_buyers", "incremental_gmv", "gross_profit", "roi", "break_even_rate"]


# -- helpers -------------------------------------------------------------------------------------
def _dec(x) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _cents(x: Decimal | None) -> float | None:
    return None if x is None else float(_dec(x).quantize(CENT, rounding=ROUND_HALF_UP))


def _yuan_text(x) -> str:
    """59 → '59', 59.5 → '59.5', 0.05 → '0.05' (same in both languages)."""
    d = _dec(x).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{d:,.0f}" if d == d.to_integral_value() else f"{d:,.2f}".rstrip("0")


def offer_id(threshold, amount) -> str:
    """'59-5' for 满59减5: the id of an offer in tables and chart customdata."""
    return f"{_yuan_text(threshold).replace(',', '')}-{_yuan_text(amount).replace(',', '')}"


# -- 1. the cohort's order values ----------------------------------------------------------------
# The cohort sub-query and the scan of its purchases run once, into two temporary tables private to
# this cursor (dropped at the end); the statistics are then simple queries over them.
MEMBERS_SQL = """
CREATE TEMP TABLE coupon_members AS
SELECT DISTINCT cust_no FROM ({members}) cohort WHERE cust_no IS NOT NULL
"""

PURCHASES_SQL = """
CREATE TEMP TABLE coupon_orders AS
SELECT s.cust_no, s.spend FROM ({scope}) s WHERE s.cust_no IN (SELECT cust_no FROM coupon_members)
"""

STATS_SQL = """
SELECT (SELECT count(*) FROM coupon_members) AS members,
       count(*) AS purchases,
       count(DISTINCT cust_no) AS buyers,
       coalesce(sum(spend), 0)::DECIMAL(38,2) AS gmv,
       count(*) FILTER (WHERE spend > 0) AS orders,
       round(sum(spend) FILTER (WHERE spend > 0)::DECIMAL(38,4)
             / nullif(count(*) FILTER (WHERE spend > 0), 0), 2)::DECIMAL(38,2) AS mean,
       quantile_cont(spend::DOUBLE, ?::DOUBLE[]) FILTER (WHERE spend > 0) AS q
FROM coupon_orders
"""

VALUES_SQL = """      -- the distinct order values > 0 with their number of orders
CREATE TEMP TABLE coupon_values AS
SELECT spend AS value, count(*) AS orders, sum(spend) AS total
FROM coupon_orders WHERE spend > 0 GROUP BY spend
"""

HISTOGRAM_SQL = """   -- bin i = [i·W, (i+1)·W) in cents; the last bin (open_bin) takes everything above
SELECT least((value * 100)::BIGINT // ?, ?) AS bin, sum(orders) AS orders
FROM coupon_values GROUP BY 1 ORDER BY 1
"""

TAIL_SQL = """        -- per distinct order value: orders and Σ value at or above it
SELECT value,
       sum(orders) OVER (ORDER BY value DESC) AS orders_at_least,
       sum(total) OVER (ORDER BY value DESC) AS spend_at_least
FROM coupon_values ORDER BY value
"""


def bin_width(p90) -> int:
    """Histogram width in yuan: the smallest of 1, 2, 5, 10, 20, 50, … with floor(P90 / W) + 1 ≤ 20."""
    p = _dec(p90)
    return next(w for w in BIN_WIDTHS if (p // w) + 1 <= MAX_BINS)


def order_values(db: Database, members_sql: str, members_params: list | tuple | None,
                 as_of: dt.date, f: Filters | None = None) -> dict:
    """The cohort's historical order values (SQL over the cohort's purchases).

    Returns {as_of, members (cohort size), buyers (members with a purchase), purchases (all,
    zero-spend included), zero_spend (purchases of value 0, left out of the distribution), orders
    (purchases with value > 0: the distribution), gmv, mean, p10, p25, p50, p60, p70, p75, p80, p90
    (Decimal, None when no orders), bin_width (yuan) and cap (start of the open bin) or None,
    histogram (DataFrame bin, lo, hi — NaN for the open bin —, orders, share), tail (DataFrame of
    the distinct order values, ascending: value, orders_at_least, spend_at_least; Decimal), empty}.

    `f` (optional) keeps the sidebar's level/province/platform/shop filters; its date range is
    ignored (history up to `as_of`)."""
    scope_f = (f or Filters(as_of=as_of)).with_(as_of=as_of, start=None, end=None)
    scope, scope_params = scope_f.purchases("o.cust_no, o.spend", dates=False)
    with db.read() as cur:
        try:
            cur.execute(MEMBERS_SQL.format(members=members_sql), list(members_params or []))
            cur.execute(PURCHASES_SQL.format(scope=scope), scope_params)
            res = cur.execute(STATS_SQL, [[q for _, q in QUANTILES]])
            cols = [d[0] for d in res.description]
            row = dict(zip(cols, res.fetchall()[0]))
            n = int(row["orders"])
            if n:
                cur.execute(VALUES_SQL)
                p90 = _dec(round(row["q"][[k for k, _ in QUANTILES].index("p90")], 2))
                width = bin_width(p90)
                open_bin = int(p90 // width) + 1
                hist = dict(cur.execute(HISTOGRAM_SQL, [width * 100, open_bin]).fetchall())
                tail = cur.execute(TAIL_SQL).fetchall()
        finally:
            cur.execute("DROP TABLE IF EXISTS coupon_values")
            cur.execute("DROP TABLE IF EXISTS coupon_orders")
            cur.execute("DROP TABLE IF EXISTS coupon_members")
    out = {"as_of": as_of, "members": int(row["members"]), "buyers": int(row["buyers"]),
           "purchases": int(row["purchases"]), "zero_spend": int(row["purchases"]) - n,
           "orders": n, "gmv": row["gmv"], "mean": row["mean"], "empty": n == 0}
    for i, (key, _) in enumerate(QUANTILES):
        out[key] = _dec(round(row["q"][i], 2)).quantize(CENT) if n else None
    if n == 0:
        out.update(bin_width=None, cap=None, histogram=pd.DataFrame(columns=HIST_COLUMNS),
                   tail=pd.DataFrame(columns=TAIL_COLUMNS))
        return out
    bins = range(open_bin + 1)
    counts = [int(hist.get(b, 0)) for b in bins]
    out["bin_width"] = Decimal(width)
    out["cap"] = Decimal(width * open_bin)
    out["histogram"] = pd.DataFrame({
        "bin": list(bins),
        "lo": [float(width * b) for b in bins],
        "hi": [float(width * (b + 1)) if b < open_bin else None for b in bins],
        "orders": counts,
        "share": [c / n for c in counts],
    })
    out["tail"] = pd.DataFrame(tail, columns=TAIL_COLUMNS)
    out["tail"]["orders_at_least"] = out["tail"]["orders_at_least"].astype("int64")
    return out


def _tail_lists(stats: dict) -> tuple[list, list, list]:
    tail = stats.get("tail")
    if tail is None or tail.empty:
        return [], [], []
    return list(tail["value"]), list(tail["orders_at_least"]), list(tail["spend_at_least"])


def reaching(stats: dict, threshold, _lists=None) -> tuple[int, Decimal | None]:
    """(orders with value ≥ threshold, their mean value) from the exact cumulative tail."""
    values, counts, sums = _lists or _tail_lists(stats)
    i = bisect.bisect_left(values, _dec(threshold))
    if i >= len(values):
        return 0, None
    return int(counts[i]), _dec(sums[i]) / int(counts[i])


# -- 2. candidate offers -------------------------------------------------------------------------
def _round_to(x: Decimal, step: int, rounding) -> Decimal:
    return (x / step).quantize(Decimal(1), rounding=rounding) * step


def threshold_step(p75) -> int:
    """The largest of 1, 5, 10, 50, 100, … yuan that is ≤ P75 / 5 (at least 1)."""
    limit = _dec(p75) / 5
    return max([s for s in THRESHOLD_STEPS if s <= limit], default=1)


def default_thresholds(stats: dict, charm: bool = False) -> list[Decimal]:
    """3–5 distinct round thresholds from about P50 to a bit above P75 (module docstring)."""
    if stats.get("empty", True) or stats.get("p50") is None:
        return []
    step = threshold_step(stats["p75"])
    picks = [_round_to(stats["p50"], step, ROUND_FLOOR)]
    picks += [_round_to(stats[k], step, ROUND_HALF_UP) for k in ("p60", "p70", "p75")]
    picks.append(_round_to(stats["p80"], step, ROUND_CEILING))
    out = sorted({p if p > 0 else Decimal(step) for p in picks})
    while len(out) < MIN_THRESHOLDS:
        out.append(out[-1] + step)
    if charm:
        out = [x - 1 if x >= 20 and x % 10 == 0 else x for x in out]
    return [x.quantize(CENT) for x in out]


def amounts_for(threshold, denominations=None, min_discount: float = MIN_DISCOUNT,
                max_discount: float = MAX_DISCOUNT) -> list[Decimal]:
    """Denominations Y with min_discount ≤ Y / threshold ≤ max_discount."""
    x = _dec(threshold)
    lo, hi = x * _dec(min_discount), x * _dec(max_discount)
    return [_dec(y) for y in (denominations or DENOMINATIONS) if lo <= _dec(y) <= hi]


def candidate_offers(stats: dict, thresholds=None, amounts=None, min_discount: float = MIN_DISCOUNT,
                     max_discount: float = MAX_DISCOUNT, charm: bool = False) -> pd.DataFrame:
    """满X减Y candidates for the cohort, one row per (threshold, amount), sorted by X then Y.

    Columns: offer ('X-Y'), threshold X, amount Y (yuan), discount = Y / X, orders_reaching
    (orders with value ≥ X), reach_share = orders_reaching / orders, mean_reaching (mean value of
    those orders, None when none), lift = X / P50 − 1, lift_yuan = X − P50.
    `thresholds` / `amounts` replace the defaults (thresholds ≤ 0 are dropped). Empty frame when
    the cohort has no orders."""
    if stats.get("empty", True):
        return pd.DataFrame(columns=OFFER_COLUMNS)
    xs = default_thresholds(stats, charm) if thresholds is None else \
        sorted({_dec(x).quantize(CENT) for x in thresholds if _dec(x) > 0})
    n, p50 = stats["orders"], stats["p50"]
    lists = _tail_lists(stats)
    rows = []
    for x in xs:
        count, mean = reaching(stats, x, lists)
        for y in amounts_for(x, amounts, min_discount, max_discount):
            rows.append({
                "offer": offer_id(x, y), "threshold": _cents(x), "amount": _cents(y),
                "discount": float(y / x), "orders_reaching": count, "reach_share": count / n,
                "mean_reaching": _cents(mean),
                "lift": float(x / p50 - 1) if p50 else None, "lift_yuan": _cents(x - p50),
            })
    return pd.DataFrame(rows, columns=OFFER_COLUMNS)


# -- 3. economics --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Assumptions:
    """What the seller expects; every rate is a fraction (0.08 = 8%)."""
    redemption_rate: float = 0.08   # share of the contacted cohort that redeems the coupon in the window
    baseline_rate: float = 0.02     # share who would come back anyway in the window, without a coupon
    gross_margin: float = 0.5       # gross margin on the order value
    message_cost: float = 0.05      # ¥ per person contacted (SMS, etc.)
    window_days: int = 30           # the campaign window the two rates refer to
    # How the redemption rate of an offer differs from the one above, which is the rate of a
    # reference offer (a 10% discount that half of the cohort's past orders already reach):
    # offer rate = redemption_rate × (reach / 0.5)^reach_elasticity × (discount / 0.10)^discount_elasticity,
    # the factor capped at 3 and the rate at 100%. Set both elasticities to 0 for one flat rate.
    reach_elasticity: float = 1.0
    discount_elasticity: float = 0.5
    reference_reach: float = 0.5
    reference_discount: float = 0.10

    def validate(self) -> None:
        for name in ("redemption_rate", "baseline_rate", "gross_margin"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise ValueError(f"{name} must be between 0 and 1, not {v!r}")
        if self.message_cost < 0:
            raise ValueError(f"message_cost must be ≥ 0, not {self.message_cost!r}")
        for name in ("reach_elasticity", "discount_elasticity"):
            if not 0 <= getattr(self, name) <= 5:
                raise ValueError(f"{name} must be between 0 and 5, not {getattr(self, name)!r}")
        if not (0 < self.reference_reach <= 1 and 0 < self.reference_discount <= 1):
            raise ValueError("reference_reach and reference_discount must be in (0, 1]")
        if self.window_days <= 0:
            raise ValueError(f"window_days must be > 0, not {self.window_days!r}")

    def to_dict(self) -> dict:
        return asdict(self)


MAX_RESPONSE = 3.0


def response_factor(reach_share, discount, a: Assumptions) -> float:
    """How much more (or less) an offer is redeemed than the reference offer (see Assumptions):
    (reach / reference_reach)^reach_elasticity × (discount / reference_discount)^discount_elasticity,
    capped at 3. A missing reach or discount counts as the reference."""
    reach = a.reference_reach if reach_share is None or _isnan(reach_share) else float(reach_share)
    disc = a.reference_discount if discount is None or _isnan(discount) else float(discount)
    f = (reach / a.reference_reach) ** a.reach_elasticity * (disc / a.reference_discount) ** a.discount_elasticity
    return min(f, MAX_RESPONSE)


def _economics_row(x: Decimal, y: Decimal, mean_reaching, n: int, a: Assumptions, factor: float = 1.0) -> dict:
    r = min(_dec(a.redemption_rate) * _dec(round(factor, 6)), Decimal(1))
    b = _dec(a.baseline_rate)
    m, c = _dec(a.gross_margin), _dec(a.message_cost)
    aov = max(x, _dec(mean_reaching)) if mean_reaching is not None and not _isnan(mean_reaching) else x
    redemptions = n * r
    coupon_cost = redemptions * y
    message_cost = c * n
    incremental_buyers = n * max(r - b, Decimal(0))
    incremental_gmv = incremental_buyers * aov
    profit = incremental_gmv * m - coupon_cost - message_cost
    spent = coupon_cost + message_cost
    margin_per_order = aov * m - y
    if margin_per_order > 0:
        be = (c + b * aov * m) / margin_per_order
        break_even = float(be) if be <= 1 else None
    else:
        break_even = None
    return {
        "cohort_size": n, "redemption_rate": float(r), "redemptions": float(redemptions), "orders": float(redemptions),
        "avg_order_value": _cents(aov), "coupon_cost": _cents(coupon_cost),
        "message_cost": _cents(message_cost), "incremental_buyers": float(incremental_buyers),
        "incremental_gmv": _cents(incremental_gmv), "gross_profit": _cents(profit),
        "roi": float(profit / spent) if spent else None, "break_even_rate": break_even,
    }


def _isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def economics(offers: pd.DataFrame, cohort_size: int, assumptions: Assumptions | None = None) -> pd.DataFrame:
    """Expected outcome of sending each offer to the whole cohort, one row per offer.

    With N = cohort_size, b = baseline_rate, m = gross_margin, c = message_cost (¥ per person),
    X = threshold, Y = amount, and r = the offer's own redemption rate
      redemption_rate      r = min(1, assumed redemption_rate × response_factor(reach, discount))
                               (the assumed rate is that of the reference offer: a 10% discount
                               that half of the cohort's past orders reach; a coupon fewer orders
                               reach, or a smaller one, is redeemed less — see `Assumptions`)
      redemptions          R = N × r
      orders                 = R                               (one order per redeemed coupon)
      avg_order_value      A = max(X, mean of past order values ≥ X)   (= X when no order reached X)
      coupon_cost          C = R × Y                           (includes coupons used by people who
                                                                would have bought anyway)
      message_cost         M = c × N
      incremental_buyers   I = N × max(r − b, 0)
      incremental_gmv      G = I × A
      gross_profit         P = G × m − C − M
      roi                    = P / (C + M)                     (None when C + M = 0)
      break_even_rate     r* = (c + b × A × m) / (A × m − Y)   (the r where P = 0, for r > b;
                               None when A × m ≤ Y — every redeemed order loses money — or r* > 1)
    r* is the offer's own redemption rate at which it breaks even; it does not depend on r, so
    it is computed for r = 0 too. Money: float rounded half-up to cents
    from exact Decimal values; redemptions, orders and incremental_buyers are expected counts
    (unrounded floats); roi and break_even_rate are unrounded fractions."""
    a = assumptions or Assumptions()
    a.validate()
    n = int(cohort_size)
    if n < 0:
        raise ValueError(f"cohort_size must be ≥ 0, not {cohort_size!r}")
    if offers is None or offers.empty:
        return pd.DataFrame(columns=ECONOMICS_COLUMNS)
    rows = []
    for rec in offers.to_dict("records"):
        row = {k: rec.get(k) for k in OFFER_COLUMNS}
        factor = response_factor(rec.get("reach_share"), rec.get("discount"), a)
        row.update(_economics_row(_dec(rec["threshold"]), _dec(rec["amount"]), rec.get("mean_reaching"), n, a,
                                  factor))
        rows.append(row)
    return pd.DataFrame(rows, columns=ECONOMICS_COLUMNS)


# -- 4. recommendation ---------------------------------------------------------------------------
def _plain(v):
    if v is None or _isnan(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def recommend(economics_df: pd.DataFrame) -> dict | None:
    """The offer with the highest expected gross profit among those with a positive profit
    (ties: smaller amount Y, then lower threshold X), or — when none is profitable — the one with
    the smallest loss (same ties). None when there is no offer (empty cohort).

    Returns {offer: the row as a plain dict, profitable: bool, reason: {key, **params}} where the
    reason is a message key of crm/locales/coupons.py with display-ready params:
    coupons_reason_best, coupons_reason_loss (a break-even rate exists above the assumed one) or
    coupons_reason_loss_never (no redemption rate ≤ 100% makes it pay)."""
    if economics_df is None or economics_df.empty:
        return None
    df = economics_df.sort_values(["gross_profit", "amount", "threshold"], ascending=[False, True, True],
                                  kind="mergesort")
    best = {k: _plain(v) for k, v in df.iloc[0].to_dict().items()}
    profitable = best["gross_profit"] is not None and best["gross_profit"] > 0
    params = {
        "threshold": _yuan_text(best["threshold"]), "amount": _yuan_text(best["amount"]),
        "reach": fmt_pct(best["reach_share"]), "discount": fmt_pct(best["discount"]),
        "profit": fmt_money(best["gross_profit"]),
        "break_even": fmt_pct(best["break_even_rate"]) if best["break_even_rate"] is not None else "—",
    }
    if profitable:
        key = "coupons_reason_best"
    elif best["break_even_rate"] is not None:
        key = "coupons_reason_loss"
    else:
        key = "coupons_reason_loss_never"
    return {"offer": best, "profitable": profitable, "reason": {"key": key, **params}}


def plan(db: Database, members_sql: str, members_params, as_of: dt.date,
         assumptions: Assumptions | None = None, f: Filters | None = None, **offer_options) -> dict:
    """All four steps: {stats, offers, economics, recommendation}."""
    stats = order_values(db, members_sql, members_params, as_of, f)
    offers = candidate_offers(stats, **offer_options)
    econ = economics(offers, stats["members"], assumptions)
    return {"stats": stats, "offers": offers, "economics": econ, "recommendation": recommend(econ)}
