"""Home's trend figures on hand-checkable data."""
import datetime as dt
from decimal import Decimal

import pandas as pd

from crm import trends
from crm.importing import import_file

AS_OF = dt.date(2025, 3, 31)  # week 0 = 03-25 … 03-31, week 1 = 03-18 … 03-24, …


def load(db, make_file, rows):
    f = make_file("log.csv", "customer_id,date,amount\n" + "".join(f"{c},{d},{a}\n" for c, d, a in rows))
    assert import_file(db, f).ok


def test_weekly_figures_and_rolling_repurchase(db, make_file):
    load(db, make_file, [
        ("ann", "2025-03-31", 10), ("ann", "2025-03-25", 20),   # week 0, twice
        ("bob", "2025-03-24", 30),                               # week 1
        ("bob", "2025-03-04", 40),                               # week 3 (age 27): same 4-week window as 03-24
        ("cat", "2025-02-01", 50),                               # outside the 4 weeks before week 0
    ])
    df = trends.weekly_trend(db, AS_OF, weeks=5, window_days=28).set_index("week_end")
    w0, w1 = df.loc[pd.Timestamp("2025-03-31")], df.loc[pd.Timestamp("2025-03-24")]
    assert (w0.purchases, w0.buyers, w0.gmv) == (2, 1, 30.0) and w0.avg_spend_per_buyer == 30.0
    assert (w1.purchases, w1.buyers, w1.gmv) == (1, 1, 30.0)
    # window ending 03-31 (03-04 … 03-31): ann 2 purchases, bob 2 → 2 repeat of 2 buyers
    assert w0.repurchase_rate == 1.0
    # window ending 03-24 (02-25 … 03-24): bob twice → 1 of 1
    assert w1.repurchase_rate == 1.0
    # window ending 03-03 (02-04 … 03-03): nobody; week without purchases has zeros
    w4 = df.loc[pd.Timestamp("2025-03-03")]
    assert w4.purchases == 0 and pd.isna(w4.repurchase_rate)


def test_rolling_repurchase_counts_each_buyer_once(db, make_file):
    load(db, make_file, [("ann", "2025-03-30", 1), ("ann", "2025-03-29", 1), ("ann", "2025-03-28", 1),
                         ("bob", "2025-03-30", 1), ("cat", "2025-01-01", 1), ("cat", "2025-03-01", 1)])
    df = trends.weekly_trend(db, AS_OF, weeks=1, window_days=28)
    # buyers in 03-04 … 03-31: ann (3 purchases), bob (1) → 1 repeat / 2 buyers
    assert df.iloc[0].repurchase_rate == 0.5


def test_anomaly_flags_only_a_real_jump():
    steady = pd.DataFrame({"buyers": [100, 104, 98, 101, 99, 103, 100, 102, 101], "gmv": [1.0] * 9,
                           "repurchase_rate": [0.1] * 9, "avg_spend_per_buyer": [50.0] * 9})
    assert trends.anomalies(steady) == []
    jump = steady.copy()
    jump.loc[8, "buyers"] = 180
    flags = trends.anomalies(jump)
    assert [f["metric"] for f in flags] == ["buyers"] and flags[0]["direction"] == "up"
    assert trends.anomalies(steady.head(3)) == []  # too little history: no verdict


def test_previous_period_of_equal_length(db, make_file):
    load(db, make_file, [("ann", "2025-03-01", 10), ("bob", "2025-03-20", 20), ("cat", "2025-02-20", 5)])
    prev = trends.previous_period(db, AS_OF, dt.date(2025, 3, 2))  # 30 days → 01-31 … 03-01
    assert prev["as_of"] == "2025-03-01" and prev["start"] == "2025-01-31"
    assert prev["orders"] == 2 and prev["gmv"] == Decimal("15.00")
    assert trends.previous_period(db, AS_OF, None) is None
    assert trends.change(Decimal("15"), Decimal("10")) == 0.5 and trends.change(1, 0) is None
