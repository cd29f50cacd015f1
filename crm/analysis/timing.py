"""Member time analysis (会员时间): when do members buy, and when do they come back?

Every query starts from `Filters.purchases()` (README, "Definitions"): purchases = paid and not
refunded in full, GMV = Σ spend (DECIMAL, summed in SQL), buyers = distinct customers (`cust_no`).
Orders without a buyer count in purchases and GMV, never in customer figures.

Two scopes are used, and each query says which:
- **in range** `p`: purchases in the order date range (start … min(end, as-of)) and the other filters;
- **history** `h`: every purchase up to the as-of date with the same level/province/platform/shop
  filters (`f.purchases(dates=False)`), for what depends on a buyer's whole past: first purchase
  ever (new vs returning, retention cohorts) and last purchase (days since last purchase).

Rules worth knowing (each one tested in tests/unit/test_analysis_timing.py):
- Trend periods: day, ISO week (Monday first) or calendar month, with empty periods filled with 0
  from the first day in scope (the range start, else the first purchase) to the last day. A period
  that the scope cuts (a half month at either end) is `complete = false`.
- Peak / off-season (高峰 / 淡季) by GMV over the complete periods, when there are at least
  `MIN_PERIODS_FOR_PEAKS` of them: peak = GMV ≥ P90 and above the median; off-season = GMV ≤ P10
  and below the median (P = DuckDB `quantile_cont`, linear interpolation). A flat series has none.
- Shopping festivals by calendar: 双11 (Nov 1–11), 618 (Jun 1–18), 双12 (Dec 12), 年货节 (the 21
  days before Chinese New Year, 2015–2030 from `CNY_DATES`). A period carries the festivals that
  overlap it.
- Days since last purchase (未购天数): for each buyer in range, whole calendar days from the date of
  their last purchase up to the as-of date (history scope, so a purchase after the range end counts)
  to the as-of date. Bins `RECENCY_BINS` (0–15, 16–30, 31–60, 61–90, 91–180, 181–365, 366+).
- Retention: cohort = month of a buyer's first purchase ever (history), for first purchases inside
  the range; cell (+k) = share of the cohort with a purchase in calendar month cohort + k,
  k = 1 … 12, only for months up to the as-of month. The as-of month is `partial` unless the as-of
  date is its last day (its rate can still grow).
- Inter-purchase gaps (回购间隔): per buyer, days between consecutive *purchase days* in range.
  Several purchases on one day are one visit (a basket split into several orders is not a return),
  so every gap is ≥ 1 day and a buyer needs purchases on two different days to have a gap.
  Median and P80 use DuckDB `quantile_cont` (linear interpolation between neighbouring gaps).
  Histogram: weekly bars 1–7, 8–14, … 358–364 and one open bar for gaps of 365 days or more.

Fast paths (same numbers, see crm/filters.py): with no province/platform/shop filter, the
purchases come from purchase_facts, where each purchase knows the customer's previous purchase
(`prev_at`) and first purchase (`first_at`): a buyer is counted in a period on their first purchase
in it (the previous one is before the period, or before the range start), so buyers per period need
no count(DISTINCT). Without a level filter either, the import's summaries answer: purchase_hours
(trend, weekday × hour, new vs returning), cohort_months (retention) and purchase_gaps (usage
cycle, whose median and P80 `crm.analysis.quantiles` computes from the counted gaps exactly as
`quantile_cont` would); days since last purchase come from customer_stats when the as-of date and
the range end are on or after the latest order.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..db import Database
from ..models import COHORT_MONTHS
from ..filters import Filters
from .. import metrics
from ..metrics import buyer_facts
from ..sql import Q
from .quantiles import quantile_cont
from ..numbers import num as _num

GRAINS = ("day", "week", "month")
MIN_PERIODS_FOR_PEAKS = 6
PEAK_Q, OFF_Q = 0.9, 0.1
RETENTION_MONTHS = 12
GAP_CAP_DAYS = 365           # the gap histogram groups this and everything above into one "365+" bar
GAP_BIN_DAYS = 7             # weekly bars: 1–7, 8–14, …

# Days since last purchase (未购天数) bins: (id, lowest day, highest day or None).
RECENCY_BINS = (("0-15", 0, 15), ("16-30", 16, 30), ("31-60", 31, 60), ("61-90", 61, 90),
                ("91-180", 91, 180), ("181-365", 181, 365), ("366+", 366, None))

# Chinese New Year (正月初一), for the 年货节 window.
CNY_DATES = {
    2015: dt.date(2015, 2, 19), 2016: dt.date(2016, 2, 8), 2017: dt.date(2017, 1, 28),
    2018: dt.date(2018, 2, 16), 2019: dt.date(2019, 2, 5), 2020: dt.date(2020, 1, 25),
    2021: dt.date(2021, 2, 12), 2022: dt.date(2022, 2, 1), 2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29), 2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6), 2028: dt.date(2028, 1, 26), 2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}
CNY_FESTIVAL_DAYS = 21       # 年货节: the 21 days before Chinese New Year
EVENT_KEYS = ("cny", "618", "double11", "double12")  # calendar order within a year


# -- helpers ---------------------------------------------------------------------------------------
def _frame(db: Database, sql: Q) -> pd.DataFrame:
    """Keep DuckDB's values (DECIMAL stays Decimal)."""
    return db.frame(sql)


def _scope(f: Filters, columns: str = "o.cust_no, o.ordered_at, o.spend") -> Q:
    return f.purchases(columns)


def _history(f: Filters, columns: str = "o.cust_no, o.ordered_at") -> Q:
    return f.purchases(columns, dates=False)


def _history_and_scope(f: Filters) -> dict[str, Q]:
    """For queries over both scopes: `history` from `Filters.purchases(dates=False)`, and `scope` as
    the rows of `h` inside the order date range (the Filters' own date conditions), so the level
    join, the costly part, runs once. Fill `WITH h AS ({history}), p AS ({scope})` with them."""
    dates = f.with_(provinces=(), platforms=(), shops=()).order_conditions("h")
    return {"history": _history(f), "scope": Q("SELECT * FROM h WHERE TRUE{dates}").fill(dates=dates)}


def _check_grain(grain: str) -> str:
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, not {grain!r}")
    return grain


# -- shopping festivals ----------------------------------------------------------------------------
def festivals(first: dt.date, last: dt.date) -> list[dict]:
    """Festival windows that overlap [first, last]: {key, start, end, day} (day = the peak day)."""
    out = []
    for year in range(first.year, last.year + 2):  # 年货节 of next year's CNY can fall in January
        windows = []
        cny = CNY_DATES.get(year)
        if cny:
            windows.append(("cny", cny - dt.timedelta(days=CNY_FESTIVAL_DAYS), cny - dt.timedelta(days=1), cny))
        windows += [("618", dt.date(year, 6, 1), dt.date(year, 6, 18), dt.date(year, 6, 18)),
                    ("double11", dt.date(year, 11, 1), dt.date(year, 11, 11), dt.date(year, 11, 11)),
                    ("double12", dt.date(year, 12, 12), dt.date(year, 12, 12), dt.date(year, 12, 12))]
        for key, start, end, day in windows:
            if start <= last and end >= first:
                out.append({"key": key, "start": start, "end": end, "day": day})
    return sorted(out, key=lambda e: e["start"])


def _label_festivals(trend: pd.DataFrame, events: list[dict]) -> list[str]:
    labels = []
    for start, end in zip(trend["period"], trend["period_end"]):
        keys = [e["key"] for e in events if e["start"] <= end and e["end"] >= start]
        labels.append(",".join(dict.fromkeys(keys)))
    return labels


# -- trend: GMV, purchases and buyers per day / week / month --------------------------------------
TREND_SQL = """
WITH {sources},
periods AS (
    SELECT unnest(generate_series(date_trunc('{grain}', first_day), date_trunc('{grain}', last_day),
                                  INTERVAL 1 {grain}))::DATE AS period, first_day, last_day
    FROM span
),
series AS (
    SELECT s.period, (s.period + INTERVAL 1 {grain} - INTERVAL 1 DAY)::DATE AS period_end,
           coalesce(a.gmv, 0)::DECIMAL(38,2) AS gmv, coalesce(a.purchases, 0) AS purchases,
           coalesce(a.buyers, 0) AS buyers,
           s.period >= s.first_day AND s.period + INTERVAL 1 {grain} - INTERVAL 1 DAY <= s.last_day AS complete
    FROM periods s LEFT JOIN sales a USING (period)
),
cut AS (    -- peak / off-season thresholds over the complete periods
    SELECT quantile_cont(gmv, $peak_q) AS hi, quantile_cont(gmv, 0.5) AS mid, quantile_cont(gmv, $off_q) AS lo,
           count(*) AS n
    FROM series WHERE complete
)
SELECT series.*,
       complete AND n >= $min_periods AND gmv >= hi AND gmv > mid AS peak,
       complete AND n >= $min_periods AND gmv <= lo AND gmv < mid AS off_season
FROM series, cut
ORDER BY period
"""


# The {sources} of TREND_SQL: `span` (first and last day in scope, no row when nothing is in
# scope) and `sales` (period, gmv, purchases, buyers), from the purchases in scope …
TREND_LIVE = """
p AS ({scope}),
span AS (   -- first day in scope: the range start, else the first purchase
    SELECT coalesce($range_start::DATE, min(ordered_at)::DATE) AS first_day, $range_end::DATE AS last_day
    FROM p HAVING count(*) > 0
),
sales AS (
    SELECT date_trunc('{grain}', ordered_at)::DATE AS period, sum(spend) AS gmv, count(*) AS purchases,
           count(DISTINCT cust_no) AS buyers
    FROM p GROUP BY 1
)"""
# … from purchase_facts: a buyer counts on their first purchase in the period (within the range) …
TREND_FACTS = """
p AS ({scope}),
span AS (
    SELECT coalesce($range_start::DATE, min(ordered_at)::DATE) AS first_day, $range_end::DATE AS last_day
    FROM p HAVING count(*) > 0
),
sales AS (
    SELECT date_trunc('{grain}', ordered_at)::DATE AS period, sum(spend) AS gmv, count(*) AS purchases,
           count(*) FILTER (WHERE cust_no IS NOT NULL AND (prev_at IS NULL OR prev_at < {period_start})) AS buyers
    FROM p GROUP BY 1
)"""
# … or from the import's purchases per day and hour (every purchase in scope, no level filter).
TREND_SUMMARY = """
h AS (SELECT day, gmv, purchases, {grain}_buyers AS buyers FROM purchase_hours WHERE day <= $range_end::DATE),
span AS (SELECT min(day) AS first_day, $range_end::DATE AS last_day FROM h HAVING count(*) > 0),
sales AS (
    SELECT date_trunc('{grain}', day)::DATE AS period, sum(gmv) AS gmv, sum(purchases) AS purchases,
           sum(buyers) AS buyers
    FROM h GROUP BY 1
)"""


def _period_start(f: Filters, grain: str) -> Q:
    """SQL for where a purchase's period starts, cut at the range start (purchase_facts rows)."""
    if f.start is None:
        return Q(f"date_trunc('{grain}', ordered_at)")
    return Q(f"greatest(date_trunc('{grain}', ordered_at), $range_start::TIMESTAMP)", range_start=f.start)


def trend(db: Database, f: Filters, grain: str = "month") -> pd.DataFrame:
    """Per period: period (first day), period_end, gmv (Decimal), purchases, buyers, complete,
    peak, off_season, festivals (comma-separated keys). Empty when nothing is in scope."""
    grain = _check_grain(grain)
    if f.summaries:
        sources = Q(TREND_SUMMARY).fill(grain=grain)
    elif f.facts:
        sources = Q(TREND_FACTS).fill(scope=_scope(f, "o.cust_no, o.ordered_at, o.spend, o.prev_at"), grain=grain,
                                      period_start=_period_start(f, grain))
    else:
        sources = Q(TREND_LIVE).fill(scope=_scope(f), grain=grain)
    sql = Q(TREND_SQL, peak_q=PEAK_Q, off_q=OFF_Q, min_periods=MIN_PERIODS_FOR_PEAKS, range_start=f.start,
            range_end=f.last_day).fill(sources=sources, grain=grain)
    df = _frame(db, sql)
    if df.empty:
        df["festivals"] = []
        return df
    events = festivals(df["period"].iloc[0], df["period_end"].iloc[-1])
    df["festivals"] = _label_festivals(df, events)
    return df


# -- weekday × hour --------------------------------------------------------------------------------
WEEKDAY_HOUR_SQL = """
WITH p AS ({scope}),
counts AS (
    SELECT isodow(ordered_at) - 1 AS weekday, hour(ordered_at) AS hour, count(*) AS purchases
    FROM p GROUP BY ALL
)
SELECT w.weekday, h.hour, coalesce(c.purchases, 0) AS purchases
FROM range(7) w(weekday) CROSS JOIN range(24) h(hour)
LEFT JOIN counts c ON c.weekday = w.weekday AND c.hour = h.hour
ORDER BY 1, 2
"""

HAS_TIME_SQL = """
WITH p AS ({scope})
SELECT count(*) > 0 FROM (SELECT 1 FROM p WHERE ordered_at <> date_trunc('day', ordered_at) LIMIT 1)
"""


# From purchase_hours (no level filter: the order date range is whole days, so it cuts exactly).
WEEKDAY_HOUR_SUMMARY_SQL = """
WITH counts AS (
    SELECT isodow(day) - 1 AS weekday, hour, sum(purchases) AS purchases
    FROM purchase_hours WHERE day <= $range_end::DATE{since} GROUP BY ALL
)
SELECT w.weekday, h.hour, coalesce(c.purchases, 0) AS purchases
FROM range(7) w(weekday) CROSS JOIN range(24) h(hour)
LEFT JOIN counts c ON c.weekday = w.weekday AND c.hour = h.hour
ORDER BY 1, 2
"""
HAS_TIME_SUMMARY_SQL = "SELECT coalesce(sum(off_midnight), 0) > 0 FROM purchase_hours WHERE day <= $range_end::DATE{since}"


def _hours(f: Filters, sql: str) -> Q:
    """`sql` over purchase_hours (no level/place filter), cut to the order date range."""
    since = "" if f.start is None else " AND day >= $range_start::DATE"
    return Q(sql, range_end=f.last_day, range_start=f.start).fill(since=since)


def weekday_hour(db: Database, f: Filters) -> pd.DataFrame:
    """168 rows: weekday (0 = Monday … 6 = Sunday), hour (0–23), purchases."""
    if f.facts and not f.levels:
        return _frame(db, _hours(f, WEEKDAY_HOUR_SUMMARY_SQL))
    return _frame(db, Q(WEEKDAY_HOUR_SQL).fill(scope=_scope(f, "o.ordered_at")))


def has_time_of_day(db: Database, f: Filters) -> bool:
    """False when every purchase in scope is at 00:00:00 (a file with dates only): the hour axis
    then means nothing."""
    if f.facts and not f.levels:
        return bool(db.scalar(_hours(f, HAS_TIME_SUMMARY_SQL)))
    return bool(db.scalar(Q(HAS_TIME_SQL).fill(scope=_scope(f, "o.ordered_at"))))


# -- new vs returning buyers per month -------------------------------------------------------------
NEW_RETURNING_SQL = """
WITH h AS ({history}),
p AS ({scope}),
first_purchase AS (   -- over all history up to the as-of date, not only the range
    SELECT cust_no, date_trunc('month', min(ordered_at))::DATE AS first_month
    FROM h WHERE cust_no IS NOT NULL GROUP BY cust_no
),
buyer_months AS (
    SELECT DISTINCT cust_no, date_trunc('month', ordered_at)::DATE AS month
    FROM p WHERE cust_no IS NOT NULL
)
SELECT b.month, count(*) AS buyers,
       count(*) FILTER (WHERE f.first_month = b.month) AS new_buyers,
       count(*) FILTER (WHERE f.first_month < b.month) AS returning_buyers
FROM buyer_months b JOIN first_purchase f USING (cust_no)
GROUP BY b.month ORDER BY b.month
"""


# purchase_facts: the buyer's first purchase in the month (within the range) counts them; first_at
# is their first purchase ever (on or before any purchase, so never after the as-of date).
NEW_RETURNING_FACTS_SQL = """
WITH p AS ({scope}),
firsts AS (
    SELECT date_trunc('month', ordered_at)::DATE AS month, first_at FROM p
    WHERE cust_no IS NOT NULL AND (prev_at IS NULL OR prev_at < {period_start})
)
SELECT month, count(*) AS buyers,
       count(*) FILTER (WHERE date_trunc('month', first_at)::DATE = month) AS new_buyers,
       count(*) FILTER (WHERE date_trunc('month', first_at)::DATE < month) AS returning_buyers
FROM firsts GROUP BY month ORDER BY month
"""
NEW_RETURNING_SUMMARY_SQL = """
SELECT date_trunc('month', day)::DATE AS month, sum(month_buyers) AS buyers, sum(new_buyers) AS new_buyers,
       sum(month_buyers) - sum(new_buyers) AS returning_buyers
FROM purchase_hours WHERE day <= $range_end::DATE
GROUP BY 1 HAVING sum(month_buyers) > 0 ORDER BY 1
"""


def new_returning(db: Database, f: Filters) -> pd.DataFrame:
    """Per month with buyers: month, buyers, new_buyers (first purchase ever in that month),
    returning_buyers (first purchase in an earlier month)."""
    if f.summaries:
        return _frame(db, Q(NEW_RETURNING_SUMMARY_SQL, range_end=f.last_day))
    if f.facts:
        return _frame(db, Q(NEW_RETURNING_FACTS_SQL).fill(
            scope=_scope(f, "o.cust_no, o.ordered_at, o.prev_at, o.first_at"), period_start=_period_start(f, "month")))
    return _frame(db, Q(NEW_RETURNING_SQL).fill(**_history_and_scope(f)))


def monthly(db: Database, f: Filters, month_trend: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every month in scope: month ('YYYY-MM'), gmv, purchases, buyers, new_buyers, returning_buyers,
    complete, peak, off_season, festivals."""
    t = trend(db, f, "month") if month_trend is None else month_trend
    cols = ["month", "gmv", "purchases", "buyers", "new_buyers", "returning_buyers",
            "complete", "peak", "off_season", "festivals"]
    if t.empty:
        return pd.DataFrame(columns=cols)
    nr = new_returning(db, f).rename(columns={"month": "period", "buyers": "nr_buyers"})
    out = t.merge(nr, on="period", how="left")
    for c in ("new_buyers", "returning_buyers"):
        out[c] = out[c].fillna(0).astype("int64")
    out["month"] = [p.strftime("%Y-%m") for p in out["period"]]
    return out[cols]


# -- days since last purchase ----------------------------------------------------------------------
# Buyers in range ({buyers}: metrics.buyer_facts) by days since their last purchase up to the as-of
# date, in the bins RECENCY_BINS.
DAYS_SINCE_LAST_SQL = """
WITH binned AS (
    SELECT CASE {cases} END AS pos, count(*) AS buyers FROM ({buyers}) b GROUP BY 1
),
bins(bin, lo, hi, pos) AS (VALUES {bins})
SELECT b.bin, b.lo, b.hi, coalesce(n.buyers, 0) AS buyers
FROM bins b LEFT JOIN binned n USING (pos)
ORDER BY b.pos
"""
# With complete history but a range that leaves purchases out, the buyers in range come from
# customer_stats too: when the range reaches the latest order, they are those whose last purchase
# is in it; otherwise a buyer's last purchase up to the range end (next_at after it) says so.
IN_RANGE_LATEST = """SELECT s.cust_no, s.last_purchase_at AS last_seen
FROM customer_stats s{join} WHERE s.last_purchase_at >= $range_start::DATE"""
IN_RANGE_NEXT = """SELECT s.cust_no, s.last_purchase_at AS last_seen
FROM customer_stats s{join} SEMI JOIN (
    SELECT cust_no FROM ({scope}) p
    WHERE cust_no IS NOT NULL AND (next_at IS NULL OR next_at >= $range_end::DATE + INTERVAL 1 DAY)) r
ON r.cust_no = s.cust_no"""


def days_since_last(db: Database, f: Filters) -> pd.DataFrame:
    """Buyers in range by days since their last purchase (未购天数): bin, lo, hi (None = no upper
    bound), buyers, share (of the buyers counted)."""
    # our constants only, never user values
    bins = ", ".join(f"('{b}', {lo}, {'NULL' if hi is None else hi}, {i})" for i, (b, lo, hi) in enumerate(RECENCY_BINS))
    cases = " ".join(f"WHEN days_since_last <= {hi} THEN {i}" if hi is not None else f"ELSE {i}"
                     for i, (_, _, hi) in enumerate(RECENCY_BINS))
    if f.facts and f.complete_history and not f.all_purchases:
        sql = IN_RANGE_LATEST if f.last_day >= f.data_last_day else IN_RANGE_NEXT
        buyers = metrics.with_derived(f, Q(sql, range_start=f.start, range_end=f.last_day).fill(
            join=f.level_join("s"), scope=_scope(f, "o.cust_no, o.next_at")), ("days_since_last",))
    else:
        buyers = buyer_facts(f, ("days_since_last",), dates=True)
    df = _frame(db, Q(DAYS_SINCE_LAST_SQL).fill(buyers=buyers, bins=bins, cases=cases))
    total = int(df["buyers"].sum())
    df["hi"] = pd.Series([None if pd.isna(v) else int(v) for v in df["hi"]], dtype=object)
    df["share"] = [(int(n) / total if total else 0.0) for n in df["buyers"]]
    return df


# -- retention of monthly first-purchase cohorts ---------------------------------------------------
RETENTION_SQL = """
WITH h AS ({history}),
buyer_months AS (
    SELECT DISTINCT cust_no, date_trunc('month', ordered_at)::DATE AS month
    FROM h WHERE cust_no IS NOT NULL
),
first_purchase AS (SELECT cust_no, min(ordered_at)::DATE AS first_day FROM h WHERE cust_no IS NOT NULL GROUP BY cust_no),
members AS (        -- cohort = month of the first purchase ever, for first purchases in the range
    SELECT cust_no, date_trunc('month', first_day)::DATE AS cohort FROM first_purchase
    WHERE first_day >= coalesce($range_start::DATE, DATE '0001-01-01') AND first_day <= $range_end::DATE
),
cohorts AS (SELECT cohort, count(*) AS size FROM members GROUP BY cohort),
grid AS (           -- months +0 (the cohort itself) … +N, up to the as-of month
    SELECT c.cohort, c.size, k.month_offset FROM cohorts c
    CROSS JOIN range(0, $months + 1) k(month_offset)
    WHERE c.cohort + to_months(k.month_offset) <= date_trunc('month', $as_of::DATE)
),
active AS (
    SELECT m.cohort, datediff('month', m.cohort, b.month) AS month_offset, count(*) AS buyers
    FROM members m JOIN buyer_months b USING (cust_no)
    WHERE b.month <= m.cohort + to_months($months)
    GROUP BY ALL
)
SELECT g.cohort, g.size, g.month_offset, coalesce(a.buyers, 0) AS buyers,
       g.cohort + to_months(g.month_offset) = date_trunc('month', $as_of::DATE)
           AND $as_of::DATE < last_day($as_of::DATE) AS partial
FROM grid g LEFT JOIN active a USING (cohort, month_offset)
ORDER BY g.cohort, g.month_offset
"""


# The same from counted activity {activity}: (first_day, month, buyers) = how many customers whose
# first purchase was on first_day bought in that month. A buyer counts in a month on their first
# purchase in it (purchase_facts: the previous one is before the month); cohort_months keeps these
# counts for every customer and the cohort month + 0 … COHORT_MONTHS.
RETENTION_COUNTED_SQL = """
WITH act AS ({activity}),
members AS (
    SELECT date_trunc('month', first_day)::DATE AS cohort, month, buyers FROM act
    WHERE first_day >= coalesce($range_start::DATE, DATE '0001-01-01') AND first_day <= $range_end::DATE
),
cohorts AS (SELECT cohort, sum(buyers) AS size FROM members WHERE month = cohort GROUP BY cohort),
grid AS (
    SELECT c.cohort, c.size, k.month_offset FROM cohorts c
    CROSS JOIN range(0, $months + 1) k(month_offset)
    WHERE c.cohort + to_months(k.month_offset) <= date_trunc('month', $as_of::DATE)
),
active AS (
    SELECT cohort, datediff('month', cohort, month) AS month_offset, sum(buyers) AS buyers
    FROM members WHERE month <= cohort + to_months($months)
    GROUP BY ALL
)
SELECT g.cohort, g.size, g.month_offset, coalesce(a.buyers, 0) AS buyers,
       g.cohort + to_months(g.month_offset) = date_trunc('month', $as_of::DATE)
           AND $as_of::DATE < last_day($as_of::DATE) AS partial
FROM grid g LEFT JOIN active a USING (cohort, month_offset)
ORDER BY g.cohort, g.month_offset
"""
RETENTION_ACTIVITY_FACTS = """
    SELECT first_at::DATE AS first_day, date_trunc('month', ordered_at)::DATE AS month, count(*) AS buyers
    FROM ({history}) h
    WHERE cust_no IS NOT NULL AND (prev_at IS NULL OR prev_at < date_trunc('month', ordered_at))
      AND first_at >= coalesce($range_start::DATE, DATE '0001-01-01') AND first_at < $range_end::DATE + INTERVAL 1 DAY
    GROUP BY 1, 2"""


def retention(db: Database, f: Filters, months: int = RETENTION_MONTHS) -> pd.DataFrame:
    """One row per cohort and month offset: cohort ('YYYY-MM'), size, month_offset, buyers,
    partial (the as-of month, not over yet), rate (= buyers / size). Offset 0 is the cohort itself
    (buyers = size, rate 1), so every cohort has a row even before its first month +1; offsets
    1…`months` only up to the as-of month."""
    params = {"range_start": f.start, "range_end": f.last_day, "months": months, "as_of": f.as_of}
    if f.facts and f.complete_history and not f.levels and months <= COHORT_MONTHS:
        sql = Q(RETENTION_COUNTED_SQL).fill(activity="SELECT first_day, month, buyers FROM cohort_months")
    elif f.facts:
        sql = Q(RETENTION_COUNTED_SQL).fill(activity=Q(RETENTION_ACTIVITY_FACTS).fill(
            history=_history(f, "o.cust_no, o.ordered_at, o.prev_at, o.first_at")))
    else:
        sql = Q(RETENTION_SQL).fill(history=_history(f))
    df = _frame(db, sql.bind(**params))
    if df.empty:
        return pd.DataFrame(columns=["cohort", "size", "month_offset", "buyers", "partial", "rate"])
    df["cohort"] = [c.strftime("%Y-%m") for c in df["cohort"]]
    df["rate"] = df["buyers"] / df["size"]
    return df


# -- inter-purchase gaps: the usage cycle ----------------------------------------------------------
GAPS_SQL = """
WITH p AS ({scope}),
purchase_days AS (  -- several purchases on one day are one visit
    SELECT DISTINCT cust_no, ordered_at::DATE AS day FROM p WHERE cust_no IS NOT NULL
),
gaps AS (
    SELECT cust_no, day - lag(day) OVER (PARTITION BY cust_no ORDER BY day) AS gap FROM purchase_days
    QUALIFY gap IS NOT NULL
),
stats AS (
    SELECT quantile_cont(gap, 0.5) AS median_days, quantile_cont(gap, 0.8) AS p80_days,
           count(*) AS gaps, count(DISTINCT cust_no) AS buyers FROM gaps
),
histogram AS (      -- weekly bars 1–7, 8–14, … 358–364; the cap (365) and above in one bar
    SELECT CASE WHEN gap >= $cap THEN $cap ELSE (gap - 1) // $width * $width + 1 END AS lo, count(*) AS n
    FROM gaps GROUP BY 1
)
SELECT s.median_days, s.p80_days, s.gaps, s.buyers, h.lo, h.n
FROM stats s LEFT JOIN histogram h ON true
ORDER BY h.lo
"""


# purchase_facts: a purchase whose previous one is on an earlier day starts a purchase day, and its
# gap is from that earlier day (which must be in range too). One row per gap length: gaps, and the
# buyers with a gap — from the first purchase day (one per buyer: without a range start) or, with
# a start, counted distinct in the extra row (gap NULL).
GAPS_FACTS_SQL = """
WITH p AS ({scope}),
g AS (
    SELECT cust_no, ordered_at::DATE - prev_at::DATE AS gap, prev_at::DATE = first_at::DATE AS first_gap
    FROM p WHERE prev_at::DATE < ordered_at::DATE{since}
)
SELECT gap, count(*) AS n, count(*) FILTER (WHERE first_gap) AS first_gaps FROM g GROUP BY gap
{distinct}ORDER BY gap NULLS LAST
"""
GAPS_SUMMARY_SQL = "SELECT gap, n, first_gaps FROM purchase_gaps WHERE step = 0 ORDER BY gap"


def usage_cycle(db: Database, f: Filters) -> dict:
    """The usage cycle (回购周期) from the gaps between a buyer's consecutive purchase days in range:
    median_days, p80_days (None without gaps), gaps (number of gaps), buyers (buyers with a gap),
    histogram (DataFrame lo, hi, gaps; hi None for the last, open bar)."""
    cap, width = GAP_CAP_DAYS, GAP_BIN_DAYS
    if f.facts:
        if f.summaries:
            rows = db.query(GAPS_SUMMARY_SQL)
        else:
            since = "" if f.start is None else " AND prev_at >= $range_start::DATE"
            distinct = "" if f.start is None else "UNION ALL SELECT NULL, NULL, count(DISTINCT cust_no) FROM g\n"
            rows = db.query(Q(GAPS_FACTS_SQL).fill(scope=_scope(f, "o.cust_no, o.ordered_at, o.prev_at, o.first_at"),
                                                   since=since, distinct=distinct))
        counted = [(int(gap), int(n)) for gap, n, _ in rows if gap is not None]
        median, p80 = quantile_cont(counted, 0.5), quantile_cont(counted, 0.8)
        n_gaps = sum(n for _, n in counted)
        buyers = sum(int(b) for gap, _, b in rows if gap is not None) if f.start is None else int(rows[-1][2])
        acc: dict[int, int] = {}
        for gap, n in counted:
            lo = cap if gap >= cap else (gap - 1) // width * width + 1
            acc[lo] = acc.get(lo, 0) + n
        bars = [(lo, None if lo >= cap else min(lo + width - 1, cap - 1), n) for lo, n in sorted(acc.items())]
    else:
        rows = db.query(Q(GAPS_SQL, cap=cap, width=width).fill(scope=_scope(f, "o.cust_no, o.ordered_at")))
        median, p80, n_gaps, buyers = rows[0][:4]
        bars = [(int(lo), None if lo >= cap else min(int(lo) + width - 1, cap - 1), int(n))
                for *_, lo, n in rows if lo is not None]
    hist = pd.DataFrame({"lo": [b[0] for b in bars], "hi": pd.Series([b[1] for b in bars], dtype=object),
                         "gaps": [b[2] for b in bars]})
    return {"median_days": None if median is None else float(median),
            "p80_days": None if p80 is None else float(p80),
            "gaps": int(n_gaps), "buyers": int(buyers), "histogram": hist}


# -- everything the page needs ---------------------------------------------------------------------
PARTS = ("core", "when", "back")   # the page's headline; its "when they buy" tab; its "coming back" tab


def compute(db: Database, f: Filters, grain: str = "month", parts: tuple[str, ...] = PARTS) -> dict:
    """The figures of the time page. `empty` is True when nothing is in scope. `parts` (the page asks
    only for what its open tab shows): core = monthly (new vs returning) and usage_cycle; when =
    trend (by `grain`), festivals, weekday_hour, has_time; back = days_since_last and retention."""
    grain = _check_grain(grain)
    out: dict = {"empty": False, "grain": grain}
    if "core" in parts or "when" in parts:
        month_trend = trend(db, f, "month")
        if month_trend.empty:
            return {"empty": True, "grain": grain}
    if "core" in parts:
        out |= {"monthly": monthly(db, f, month_trend), "usage_cycle": usage_cycle(db, f)}
    if "when" in parts:
        period_trend = month_trend if grain == "month" else trend(db, f, grain)
        first, last = period_trend["period"].iloc[0], period_trend["period_end"].iloc[-1]
        wh = weekday_hour(db, f)
        # a purchase after 00:59 proves the file has times of day; else ask (00:30 counts too)
        has_time = bool((wh["purchases"] > 0)[wh["hour"] > 0].any()) or has_time_of_day(db, f)
        out |= {"trend": period_trend, "festivals": festivals(first, last), "weekday_hour": wh, "has_time": has_time}
    if "back" in parts:
        out |= {"days_since_last": days_since_last(db, f), "retention": retention(db, f)}
    return out



def report(db: Database, f: Filters) -> dict:
    """JSON-ready numbers of the time analysis (see the module docstring for the rules)."""
    c = compute(db, f, "month")
    out = {"as_of": f.as_of.isoformat(), "start": f.start.isoformat() if f.start else None,
           "end": f.last_day.isoformat()}
    if c["empty"]:
        return out | {"usage_cycle": {"median_days": None, "p80_days": None, "gaps": 0, "buyers": 0},
                      "gap_histogram": [], "monthly": [], "weekday_hour": [], "has_time": False,
                      "days_since_last": [{"bin": b, "lo": lo, "hi": hi, "buyers": 0, "share": 0.0}
                                          for b, lo, hi in RECENCY_BINS],
                      "retention": [], "peaks": [], "off_season": []}
    u = c["usage_cycle"]
    m = c["monthly"]
    return out | {
        "usage_cycle": {"median_days": _num(u["median_days"]), "p80_days": _num(u["p80_days"]),
                        "gaps": u["gaps"], "buyers": u["buyers"]},
        "gap_histogram": [{"lo": int(r.lo), "hi": r.hi, "gaps": int(r.gaps)}
                          for r in u["histogram"].itertuples()],
        "monthly": [{"month": r.month, "gmv": _num(r.gmv), "purchases": int(r.purchases),
                     "buyers": int(r.buyers), "new_buyers": int(r.new_buyers),
                     "returning_buyers": int(r.returning_buyers), "complete": bool(r.complete),
                     "peak": bool(r.peak), "off_season": bool(r.off_season),
                     "festivals": [k for k in r.festivals.split(",") if k]}
                    for r in m.itertuples()],
        "weekday_hour": [{"weekday": int(r.weekday), "hour": int(r.hour), "purchases": int(r.purchases)}
                         for r in c["weekday_hour"].itertuples()],
        "has_time": c["has_time"],
        "days_since_last": [{"bin": r.bin, "lo": int(r.lo), "hi": r.hi, "buyers": int(r.buyers),
                             "share": _num(r.share, 4)} for r in c["days_since_last"].itertuples()],
        "retention": [{"cohort": r.cohort, "size": int(r.size), "month_offset": int(r.month_offset),
                       "buyers": int(r.buyers), "rate": _num(r.rate, 4), "partial": bool(r.partial)}
                      for r in c["retention"].itertuples() if r.month_offset >= 1],
        "peaks": [r.month for r in m.itertuples() if r.peak],
        "off_season": [r.month for r in m.itertuples() if r.off_season],
    }
