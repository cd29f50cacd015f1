"""Coupon sizing (优惠券测算): how many coupons, how big, for whom?

The seller's case: more than a thousand customers have not bought for six months while the product
is used up in three; most orders are under ¥100, so a ¥2–5 coupon is attractive and affordable.
This module sizes a 满X减Y coupon (spend ¥X, get ¥Y off) for one cohort of members and says
whether it pays. The cohort comes as a SQL sub-query selecting `cust_no` plus its bound parameters
(`members_sql, members_params`), e.g. from `crm.cohorts`; this module does not depend on how it
was built.

Flow: `order_values()` → `candidate_offers()` → `economics()` → `recommend()` (or `plan()` for all
four). Only `order_values()` reads the database: one query counts the cohort's purchases by order
value; everything else is computed from those counts (`stats_from_counts`), and the later steps
work on that small result (the exact cumulative counts of distinct order values).

Definitions (README, "Definitions"):
- **Cohort size** (`members`): distinct non-null `cust_no` of the cohort sub-query, whether or not
  they ever bought: everyone in the cohort is contacted.
- **Cohort orders**: every purchase (成交订单: paid, not refunded in full) of a cohort member up to
  the as-of date (统计截止日), whatever the order date range; the optional `Filters` keeps its
  level/province/platform/shop filters (`f.purchases(dates=False)`).
- **Order value** (订单金额) = spend of one purchase (amount paid − amount refunded). Purchases of
  zero spend (gifts, fully discounted orders) are counted in `zero_spend` and left out of the
  distribution: percentiles, mean, histogram, shares and thresholds are over orders with value > 0.
- **Percentiles** P10 … P90: DuckDB `quantile_cont` (linear interpolation) over the order values,
  computed in double precision from the counted values (bit for bit what DuckDB would give,
  `crm.analysis.quantiles`) and rounded to cents. **Mean order value** (笔单价 of the cohort's history) =
  Σ order value / orders, exact, rounded to cents (halves up).
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

import numpy as np
import pandas as pd

from .analysis.quantiles import quantiles_of_sorted
from .db import Database
from .filters import Filters
from .i18n import fmt_money, fmt_pct
from .numbers import CENT
from .sql import Q

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
TAIL_COLUMNS = ["cents", "orders_at_least", "spend_at_least_cents"]   # int64, exact
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
# One query: the cohort's purchases counted by order value (value → purchases), plus the cohort
# size and its buyers. Everything else (percentiles, histogram, tail) is computed from those counts
# in `stats_from_counts`, exactly (percentiles as DuckDB's quantile_cont: crm.analysis.quantiles).
VALUES_SQL = """
WITH m AS MATERIALIZED (SELECT DISTINCT cust_no FROM ({members}) cohort WHERE cust_no IS NOT NULL),
s AS MATERIALIZED (SELECT s.cust_no, s.spend FROM ({scope}) s WHERE s.cust_no IN (SELECT cust_no FROM m))
SELECT NULL::BIGINT AS cents, (SELECT count(*) FROM m) AS n, count(DISTINCT cust_no) AS buyers FROM s
UNION ALL
SELECT (spend * 100)::BIGINT, count(*), NULL FROM s GROUP BY spend
"""


def bin_width(p90) -> int:
    """Histogram width in yuan: the smallest of 1, 2, 5, 10, 20, 50, … with floor(P90 / W) + 1 ≤ 20."""
    p = _dec(p90)
    return next(w for w in BIN_WIDTHS if (p // w) + 1 <= MAX_BINS)


def order_values(db: Database, members: Q, as_of: dt.date, f: Filters | None = None) -> dict:
    """The cohort's historical order values (`members`: SQL giving the cohort's cust_no).

    Returns {as_of, members (cohort size), buyers (members with a purchase), purchases (all,
    zero-spend included), zero_spend (purchases of value 0, left out of the distribution), orders
    (purchases with value > 0: the distribution), gmv, mean, p10, p25, p50, p60, p70, p75, p80, p90
    (Decimal, None when no orders), bin_width (yuan) and cap (start of the open bin) or None,
    histogram (DataFrame bin, lo, hi — NaN for the open bin —, orders, share), tail (DataFrame of
    the distinct order values, ascending, all int64: cents = the value in cents, orders_at_least,
    spend_at_least_cents = Σ of the values at or above it in cents; `reaching()` reads it), empty}.

    `f` (optional) keeps the sidebar's level/province/platform/shop filters; its date range is
    ignored (history up to `as_of`). `crm.cohorts.evaluate(…, values=True)` gives the counts of a
    cohort in the same pass as its figures; `stats_from_counts` turns them into this dict."""
    scope_f = (f or Filters(as_of=as_of)).with_(as_of=as_of, start=None, end=None)
    rows = db.query(Q(VALUES_SQL).fill(members=members, scope=scope_f.purchases("o.cust_no, o.spend", dates=False)))
    head = next(r for r in rows if r[2] is not None)
    return stats_from_counts([(r[0], r[1]) for r in rows if r[2] is None], int(head[1]), int(head[2]), as_of)


def stats_from_counts(counted, members: int, buyers: int, as_of: dt.date) -> dict:
    """`order_values()`'s dict from the cohort's purchases counted by order value: `counted` is
    (order value in integer cents, purchases) pairs in any order, zero values included; `members`
    the cohort size and `buyers` those of them with a purchase. Exact: money in integer cents,
    percentiles as DuckDB's quantile_cont over the expanded values."""
    pairs = np.array(list(counted), dtype=np.int64).reshape(-1, 2)
    purchases = int(pairs[:, 1].sum())
    pos = pairs[(pairs[:, 0] > 0) & (pairs[:, 1] > 0)]
    cents, at = np.unique(pos[:, 0], return_inverse=True)                 # distinct values, ascending
    counts = np.bincount(at, weights=pos[:, 1], minlength=len(cents)).astype(np.int64) if len(pos) else \
        np.zeros(0, dtype=np.int64)
    n = int(counts.sum())
    spend_at_least = _suffix_sums(cents, counts)                          # Σ value ≥ each value, cents
    total = int(spend_at_least[0]) if n else 0
    negative = pairs[pairs[:, 0] < 0]     # none from the importer (refunds never exceed the amount)
    gmv = total + sum(int(c) * int(k) for c, k in negative)
    out = {"as_of": as_of, "members": int(members), "buyers": int(buyers), "purchases": purchases,
           "zero_spend": purchases - n, "orders": n,
           "gmv": Decimal(gmv).scaleb(-2).quantize(CENT),
           "mean": (Decimal(total) / (100 * n)).quantize(CENT, rounding=ROUND_HALF_UP) if n else None,
           "empty": n == 0}
    qs = quantiles_of_sorted(cents / 100, counts, [q for _, q in QUANTILES])
    for (key, _), v in zip(QUANTILES, qs):
        out[key] = _dec(round(v, 2)).quantize(CENT) if v is not None else None
    if n == 0:
        out.update(bin_width=None, cap=None, histogram=pd.DataFrame(columns=HIST_COLUMNS),
                   tail=pd.DataFrame(columns=TAIL_COLUMNS))
        return out
    width = bin_width(out["p90"])
    open_bin = int(out["p90"] // width) + 1
    # bin i = [i·W, (i+1)·W); the last (open) bin takes the rest
    hist = np.bincount(np.minimum(cents // (width * 100), open_bin), weights=counts,
                       minlength=open_bin + 1).astype(np.int64)
    bins = range(open_bin + 1)
    out["bin_width"] = Decimal(width)
    out["cap"] = Decimal(width * open_bin)
    out["histogram"] = pd.DataFrame({
        "bin": list(bins),
        "lo": [float(width * b) for b in bins],
        "hi": [float(width * (b + 1)) if b < open_bin else None for b in bins],
        "orders": [int(h) for h in hist],
        "share": [int(h) / n for h in hist],
    })
    out["tail"] = pd.DataFrame({"cents": cents, "orders_at_least": np.cumsum(counts[::-1])[::-1],
                                "spend_at_least_cents": spend_at_least}, columns=TAIL_COLUMNS)
    return out


def _suffix_sums(cents: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Σ cents × counts from each position to the end, exact (int64 cannot overflow here: the
    importer caps an order at ¥10,000,000 = 10^9 cents, so 9 × 10^9 orders would be needed)."""
    if len(cents) and int(cents.max()) * int(counts.sum()) >= 2 ** 63:
        raise OverflowError("order values too large to sum exactly")
    return np.cumsum((cents * counts)[::-1])[::-1]


def _tail_lists(stats: dict) -> tuple[list, list, list]:
    tail = stats.get("tail")
    if tail is None or tail.empty:
        return [], [], []
    return [int(v) for v in tail["cents"]], list(tail["orders_at_least"]), list(tail["spend_at_least_cents"])


def reaching(stats: dict, threshold, _lists=None) -> tuple[int, Decimal | None]:
    """(orders with value ≥ threshold, their mean value) from the exact cumulative tail."""
    values, counts, sums = _lists or _tail_lists(stats)
    # value ≥ threshold ⇔ cents ≥ threshold × 100 rounded up (values are whole cents)
    i = bisect.bisect_left(values, int((_dec(threshold) * 100).to_integral_value(rounding=ROUND_CEILING)))
    if i >= len(values):
        return 0, None
    return int(counts[i]), Decimal(int(sums[i])) / 100 / int(counts[i])


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


def plan(db: Database, members: Q, as_of: dt.date,
         assumptions: Assumptions | None = None, f: Filters | None = None, **offer_options) -> dict:
    """All four steps: {stats, offers, economics, recommendation}."""
    stats = order_values(db, members, as_of, f)
    offers = candidate_offers(stats, **offer_options)
    econ = economics(offers, stats["members"], assumptions)
    return {"stats": stats, "offers": offers, "economics": econ, "recommendation": recommend(econ)}
