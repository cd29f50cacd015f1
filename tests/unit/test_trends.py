"""Home's trend figures on hand-checkable data."""
import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

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


def test_the_command_lines_report_has_the_weekly_figures(tmp_path, make_file):
    """`python -m crm report` lists every week of the trend, oldest first, with the same figures."""
    import json

    from crm.db import Database
    from tests.unit.test_cli import crm
    path = tmp_path / "r.duckdb"
    with Database(path) as d:
        load(d, make_file, [("ann", "2025-03-31", 10), ("ann", "2025-03-25", 20.5), ("bob", "2025-03-24", 30),
                            ("bob", "2025-03-04", 40)])
        want = trends.weekly_trend(d, AS_OF)
    code, out, err = crm("--db", str(path), "report", "--as-of", "2025-03-31", cwd=tmp_path)
    assert code == 0, err
    weekly = json.loads(out)["weekly_trend"]
    assert len(weekly) == 26 and weekly[-1] == {"week_end": "2025-03-31", "purchases": 2, "buyers": 1, "gmv": 30.5,
                                                "avg_spend_per_buyer": 30.5, "repurchase_rate_4w": 1.0}
    assert weekly[0] == {"week_end": "2024-10-07", "purchases": 0, "buyers": 0, "gmv": 0.0,
                         "avg_spend_per_buyer": None, "repurchase_rate_4w": None}
    assert [w["gmv"] for w in weekly] == want["gmv"].tolist()
    assert [w["buyers"] for w in weekly] == want["buyers"].tolist()


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


# The weekly figures' definition over the orders themselves (gaps by a window over each buyer's
# purchases in the weeks read), for comparison with `weekly_trend`, which reads the import's purchase
# table and its next purchase.
BY_ORDERS_SQL = trends.WEEKLY_SQL.replace(
    """WITH p AS (  -- purchases of the weeks shown and of the trailing window before the first one
    SELECT cust_no, spend, (?::DATE - ordered_at::DATE) AS age,
           CASE WHEN next_at < ?::DATE + INTERVAL 1 DAY THEN next_at::DATE - ordered_at::DATE END AS gap
    FROM purchase_facts
    WHERE ordered_at < ?::DATE + INTERVAL 1 DAY AND ordered_at >= ?::DATE - to_days(CAST(? * 7 + ? AS INTEGER))
),""", """WITH p AS (
    SELECT cust_no, spend, (?::DATE - ordered_at::DATE) AS age FROM orders
    WHERE is_purchase AND ordered_at < ?::DATE + INTERVAL 1 DAY
      AND ordered_at >= ?::DATE - to_days(CAST(? * 7 + ? AS INTEGER))
),
gaps AS (
    SELECT cust_no, age, age - lag(age) OVER (PARTITION BY cust_no ORDER BY age) AS gap
    FROM p WHERE cust_no IS NOT NULL
),""").replace("close AS (SELECT DISTINCT cust_no FROM p WHERE cust_no IS NOT NULL AND gap < ?),",
               "close AS (SELECT DISTINCT cust_no FROM gaps WHERE gap < ?),")


@pytest.mark.parametrize("files", [["cdnow_sample.txt"], ["invoice_log_a.csv", "invoice_log_b.csv"],
                                   ["taobao_overlap_a.csv", "taobao_overlap_b.csv", "taobao_orders_61_gbk.csv"]])
def test_weekly_figures_equal_their_definition_over_the_orders(tmp_path, files):
    """Each purchase's gap to the buyer's next purchase (from the purchase table) gives exactly the
    figures of gaps between a buyer's purchases in the weeks read — several purchases a day, returns
    and closed orders, as-of dates through the history, other windows."""
    from crm.db import Database
    from tests.conftest import FIXTURES
    assert BY_ORDERS_SQL != trends.WEEKLY_SQL and "lag(age)" in BY_ORDERS_SQL
    db = Database(tmp_path / "w.duckdb")
    for name in files:
        assert import_file(db, FIXTURES / name).ok
    first, last = db.query("SELECT min(ordered_at)::DATE, max(ordered_at)::DATE FROM orders WHERE is_purchase")[0]
    for as_of in (last, first + (last - first) / 2, first + dt.timedelta(days=20)):
        for weeks, W in ((26, 28), (10, 7), (52, 90)):
            want = db.query_df(BY_ORDERS_SQL, [as_of, as_of, as_of, weeks, W, W, weeks, W, W, as_of, weeks])
            for col in ("gmv", "avg_spend_per_buyer", "repurchase_rate"):
                want[col] = want[col].astype(float)
            got = trends.weekly_trend(db, as_of, weeks, W)
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            assert_same_weeks(trends.weekly_columns(db, as_of, weeks, W), got)
    db.close()


def assert_same_weeks(cols: dict, df: pd.DataFrame) -> None:
    """`weekly_columns`' lists hold exactly `weekly_trend`'s frame (None where it has NaN)."""
    assert list(cols) == list(df.columns)
    assert cols["week_end"] == [t.date() for t in df["week_end"]]
    for name in list(df.columns)[1:]:
        assert cols[name] == [None if pd.isna(v) else v for v in df[name].tolist()], name
        assert all(v is None or type(v) is (float if name in trends.MONEY_AND_RATES else int) for v in cols[name])
    assert trends.anomalies(cols) == trends.anomalies(df)


def test_homes_weekly_lists_are_the_weekly_frame(db, make_file):
    """What Home shows first (plain lists, no pandas) is the frame the charts and the command line
    use, value for value, with the same anomaly flags: on the hand-checked weeks above and on a
    flagged jump."""
    load(db, make_file, [("ann", "2025-03-31", 10), ("ann", "2025-03-25", 20.5), ("bob", "2025-03-24", 30),
                         ("bob", "2025-03-04", 40), ("cat", "2025-02-01", 50)]
         + [(f"c{i}", "2025-03-30", 5) for i in range(30)])          # a jump in buyers this week
    cols = trends.weekly_columns(db, AS_OF)
    assert len(cols["week_end"]) == 26 and cols["week_end"][-1] == AS_OF
    assert cols["buyers"][-1] == 31 and cols["gmv"][-1] == 180.5 and cols["avg_spend_per_buyer"][0] is None
    assert_same_weeks(cols, trends.weekly_trend(db, AS_OF))
    assert {"buyers", "gmv"} <= {f["metric"] for f in trends.anomalies(cols)}
    assert trends.weekly_columns(db, dt.date(2000, 1, 1), weeks=3)["buyers"] == [0, 0, 0]


def test_homes_first_page_needs_no_pandas():
    """Home (and everything a session's first run imports for it) does not import pandas: ~0.4 s of
    a just-started server's first page. The weekly charts' tab and the other pages import it."""
    import subprocess
    import sys

    from tests.conftest import ROOT
    code = ("import sys, streamlit, crm.ui, crm.trends, crm.summary, crm.samples, crm.i18n, crm.filters;"
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    source = (ROOT / "pages" / "home.py").read_text(encoding="utf-8")
    top = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert top == ["import datetime as dt", "import streamlit as st", "from crm import i18n, trends, ui",
                   "from crm.samples import load_sample", "from crm.summary import default_as_of, summary"]
