"""Home's trend lines: the previous period of equal length, weekly figures and anomaly flags.

Weeks end on the as-of date: week 0 is the 7 days up to and including the as-of date, week 1 the
7 days before, and so on, so the latest week is always complete.
"""
from __future__ import annotations

import datetime as dt
import statistics
from typing import TYPE_CHECKING

from .db import Database
from .summary import summary

if TYPE_CHECKING:
    import pandas as pd

WEEKLY_SQL = """
-- From the import's purchase table (sorted by time, so only the weeks read are scanned): a purchase's
-- gap is the days to the same buyer's next purchase when that one is shown too.
WITH p AS (  -- purchases of the weeks shown and of the trailing window before the first one
    SELECT cust_no, spend, (?::DATE - ordered_at::DATE) AS age,
           CASE WHEN next_at < ?::DATE + INTERVAL 1 DAY THEN next_at::DATE - ordered_at::DATE END AS gap
    FROM purchase_facts
    WHERE ordered_at < ?::DATE + INTERVAL 1 DAY AND ordered_at >= ?::DATE - to_days(CAST(? * 7 + ? AS INTEGER))
),
weekly AS (  -- week k holds the days with age 7k … 7k+6
    SELECT age // 7 AS k, count(*) AS purchases, count(DISTINCT cust_no) AS buyers, sum(spend) AS gmv
    FROM p GROUP BY 1
),
-- Repurchase rate over the trailing window (W days) ending each week. Only buyers with two
-- purchases less than W days apart can be counted twice in a window or be repeat buyers in it:
-- they are counted exactly; every other purchase stands for one buyer in each window it lies in.
close AS (SELECT DISTINCT cust_no FROM p WHERE cust_no IS NOT NULL AND gap < ?),
plain_days AS (
    SELECT age, count(*) AS n FROM p WHERE cust_no IS NOT NULL AND cust_no NOT IN (SELECT cust_no FROM close)
    GROUP BY age
),
plain AS (
    SELECT w.k, sum(d.n) AS buyers FROM (SELECT range AS k FROM range(?)) w
    JOIN plain_days d ON d.age >= 7 * w.k AND d.age < 7 * w.k + ? GROUP BY w.k
),
close_spread AS (
    SELECT unnest(range(greatest(0, (age - ? + 7) // 7)::BIGINT, (age // 7 + 1)::BIGINT)) AS k, cust_no
    FROM p WHERE cust_no IN (SELECT cust_no FROM close)
),
close_k AS (
    SELECT k, count(*) AS buyers, count(*) FILTER (WHERE n >= 2) AS repeat
    FROM (SELECT k, cust_no, count(*) AS n FROM close_spread GROUP BY k, cust_no) GROUP BY k
)
SELECT ?::DATE - (7 * w.k)::INTEGER AS week_end, coalesce(weekly.purchases, 0) AS purchases,
       coalesce(weekly.buyers, 0) AS buyers, coalesce(weekly.gmv, 0)::DECIMAL(18,2) AS gmv,
       CASE WHEN weekly.buyers > 0 THEN round(weekly.gmv / weekly.buyers, 2) END AS avg_spend_per_buyer,
       CASE WHEN coalesce(pl.buyers, 0) + coalesce(c.buyers, 0) > 0
            THEN round(coalesce(c.repeat, 0) / (coalesce(pl.buyers, 0) + coalesce(c.buyers, 0)), 4) END
           AS repurchase_rate
FROM (SELECT range AS k FROM range(?)) w LEFT JOIN weekly USING (k) LEFT JOIN plain pl USING (k)
     LEFT JOIN close_k c USING (k)
ORDER BY week_end
"""

METRICS = ("buyers", "gmv", "repurchase_rate", "avg_spend_per_buyer")


MONEY_AND_RATES = ("gmv", "avg_spend_per_buyer", "repurchase_rate")


def _weekly_params(as_of: dt.date, weeks: int, W: int) -> list:
    return [as_of, as_of, as_of, as_of, weeks, W, W, weeks, W, W, as_of, weeks]


def weekly_trend(db: Database, as_of: dt.date, weeks: int = 26, window_days: int = 28) -> pd.DataFrame:
    """Buyers, purchases, GMV and 客单价 per week, and the repurchase rate over the trailing
    `window_days` ending each week (a single week is too short for anyone to buy twice)."""
    df = db.query_df(WEEKLY_SQL, _weekly_params(as_of, weeks, window_days))
    for col in MONEY_AND_RATES:
        df[col] = df[col].astype(float)
    return df


def weekly_columns(db: Database, as_of: dt.date, weeks: int = 26, window_days: int = 28) -> dict[str, list]:
    """`weekly_trend` as plain lists, one per column, oldest week first (dates as `datetime.date`,
    money and rates as floats, None where the frame has NaN): what Home shows first, without
    pandas, whose import alone is ~0.4 s of a just-started server's first page."""
    with db.read() as cur:
        cur.execute(WEEKLY_SQL, _weekly_params(as_of, weeks, window_days))
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    cols = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    for col in MONEY_AND_RATES:
        cols[col] = [None if v is None else float(v) for v in cols[col]]
    return cols


def anomalies(df, lookback: int = 8, metrics=METRICS) -> list[dict]:
    """Metrics whose latest week leaves the normal range of the `lookback` weeks before it:
    median ± 3 × the median absolute deviation (at least ±10% of the median, so a flat history
    does not flag every wobble). `df`: `weekly_trend`'s frame or `weekly_columns`' lists."""
    out = []
    for m in metrics:
        series = list(df[m])
        if len(series) < lookback + 1:
            return out
        latest, history = series[-1], [v for v in series[-lookback - 1:-1] if v == v and v is not None]
        if latest is None or latest != latest or len(history) < lookback // 2:
            continue
        med = statistics.median(history)
        mad = statistics.median(abs(v - med) for v in history)
        spread = max(3 * 1.4826 * mad, 0.1 * abs(med))
        low, high = med - spread, med + spread
        if latest > high or latest < low:
            out.append({"metric": m, "value": latest, "low": max(low, 0), "high": high,
                        "direction": "up" if latest > high else "down"})
    return out


def previous_period(db: Database, as_of: dt.date, start: dt.date | None) -> dict | None:
    """The headline numbers of the period of equal length just before [start, as_of]."""
    if start is None:
        return None
    days = (as_of - start).days + 1
    prev_end = start - dt.timedelta(days=1)
    return summary(db, as_of=prev_end, start=prev_end - dt.timedelta(days=days - 1))


def change(current, previous) -> float | None:
    """Relative change, None when there is nothing to compare with."""
    if current is None or previous is None or previous == 0:
        return None
    return float(current) / float(previous) - 1
