"""Every fast path gives exactly what the live queries give.

The analyses read import-maintained tables (crm/db.py schemas 4–5: customer_stats, purchase_facts,
purchase_hours, cohort_months, purchase_gaps, buyer_months, order_value_counts, buyer_spend_counts)
when the filters allow it
(crm/filters.py). `Filters(fast=False)` switches that off, so each test computes a page both ways
on the same small data and compares everything: values, types, column dtypes. The data is random
but seeded, with what makes the definitions differ: purchases at the same second and on the same
day, times at midnight, orders without a buyer key, unpaid orders and full refunds, zero-amount
purchases, a member export (levels for buyers and for customers who never bought), heavy buyers
(funnel steps past 10), months without buyers.
"""
import datetime as dt
import random
from decimal import Decimal

import pandas as pd
import pytest

from crm.analysis import amount, counts, levels, lifecycle, timing
from crm.analysis.quantiles import quantile_cont, quantiles_cont
from crm import models
from crm.db import SCHEMA_VERSION, Database
from crm.filters import Filters
from crm.importing import import_file
from crm.levels import LevelRules
from crm.summary import default_as_of

MAP = {"order_id": "order_id", "customer_id": "customer", "ordered_at": "date", "paid_at": "paid",
       "amount": "amount", "refund": "refund", "province": "province"}
AMOUNTS = ("0", "9.99", "50", "100", "100", "199.50", "200", "350", "1000", "2500", "5000.01")


def order_log(seed: int = 7, n_orders: int = 420, once: bool = False) -> str:
    """A generic order log. `once`: every buyer buys exactly once."""
    rng = random.Random(seed)
    customers = [f"c{i:02d}" for i in range(45)]
    weights = [12 if i < 3 else 4 if i < 10 else 1 for i in range(len(customers))]  # a few heavy buyers
    first = dt.datetime(2023, 10, 14)
    lines, prev = ["order_id,customer,date,paid,amount,refund,province"], None
    for i in range(n_orders):
        if once:
            cust = f"u{i:03d}" if rng.random() > 0.05 else ""
        else:
            cust = "" if rng.random() < 0.04 else rng.choices(customers, weights)[0]
        if prev and rng.random() < 0.06:            # same customer, same second / same day
            cust, at = prev[0], prev[1] + (dt.timedelta(0) if rng.random() < 0.5 else dt.timedelta(hours=2))
        else:
            at = first + dt.timedelta(days=rng.randint(0, 600))
            # a quiet stretch: no orders in 2024-07
            if at.year == 2024 and at.month == 7:
                at += dt.timedelta(days=31)
            if rng.random() > 0.2:
                at += dt.timedelta(seconds=rng.randint(0, 86399))
        prev = (cust, at)
        amt = rng.choice(AMOUNTS) if rng.random() < 0.7 else f"{rng.randint(1, 300000) / 100:.2f}"
        paid = "" if rng.random() < 0.05 else at.strftime("%Y-%m-%d %H:%M:%S")
        r = rng.random()
        refund = amt if r < 0.05 else (f"{Decimal(amt) / 2:.2f}" if r < 0.1 else "0")
        province = rng.choice(["广东省", "北京", "上海"])
        lines.append(f"{i + 1},{cust},{at:%Y-%m-%d %H:%M:%S},{paid},{amt},{refund},{province}")
    return "\n".join(lines) + "\n"


MEMBERS = "买家昵称,会员等级编号\nc01,4\nc05,2\nc30,0\nzed,3\nyan,1\nxia,\n"


@pytest.fixture
def loaded(db, make_file):
    assert import_file(db, make_file("log.csv", order_log()), mapping=MAP).ok
    assert import_file(db, make_file("members.csv", MEMBERS)).ok
    return db


def same(fast, live, path: str = "") -> None:
    """Deep equality with types: dicts, lists, DataFrames (dtypes too), Decimals, floats, dates."""
    if isinstance(live, dict):
        assert isinstance(fast, dict) and fast.keys() == live.keys(), path
        for k in live:
            same(fast[k], live[k], f"{path}.{k}")
    elif isinstance(live, pd.DataFrame):
        pd.testing.assert_frame_equal(fast, live, check_dtype=True, check_exact=True, obj=path)
    elif isinstance(live, (list, tuple)):
        assert type(fast) is type(live) and len(fast) == len(live), path
        for i, (a, b) in enumerate(zip(fast, live)):
            same(a, b, f"{path}[{i}]")
    else:
        assert type(fast) is type(live), (path, fast, live)
        assert fast == live or (fast != fast and live != live), (path, fast, live)


def filters_grid(db: Database) -> list[Filters]:
    last = default_as_of(db)
    base = Filters(as_of=last, data_last_day=last)
    mid = dt.date(2024, 9, 14)
    return [
        base,                                                        # every purchase: summaries
        base.with_(levels=(1, 2)),                                   # all purchases, level filter
        base.with_(levels=(0,)),
        base.with_(as_of=last + dt.timedelta(days=40)),              # as-of after the latest order
        base.with_(start=mid),                                       # range start mid-month
        base.with_(start=dt.date(2024, 9, 1), levels=(3, 4)),        # start on a month's first day
        base.with_(start=last - dt.timedelta(days=89), levels=(1, 2, 3, 4)),  # the page default "90 days"
        base.with_(end=mid),                                         # range end before the latest
        base.with_(start=dt.date(2024, 2, 10), end=mid, levels=(0, 1)),
        base.with_(as_of=mid),                                       # as-of before the latest order
        base.with_(as_of=mid, levels=(0, 2)),
        base.with_(as_of=mid, start=dt.date(2024, 5, 20)),
        base.with_(provinces=("广东省",)),                           # places: always live
        base.with_(start=dt.date(2020, 1, 1), end=dt.date(2020, 3, 1)),   # nothing in range
        base.with_(rules=LevelRules(spend=(0, 500, None, None), count=(None, 3, 6, None))),  # level 1 for all
        base.with_(rules=LevelRules(spend=(None, None, None, None), count=(2, 4, 8, 12)), levels=(2,)),
    ]


PAGES = {
    "levels": lambda db, f: levels.compute(db, f),
    "timing_month": lambda db, f: timing.compute(db, f, "month"),
    "timing_week": lambda db, f: timing.compute(db, f, "week"),
    "timing_day": lambda db, f: timing.compute(db, f, "day"),
    "amount": lambda db, f: amount.compute(db, f),
    "amount_edges": lambda db, f: amount.compute(db, f, (Decimal("0.01"), Decimal("100"), Decimal("199.5")),
                                                (Decimal("100"), Decimal("5000.01"))),
    "counts": lambda db, f: counts.compute(db, f),
    "counts_options": lambda db, f: counts.compute(db, f, min_purchases=2, min_days=30)
    | {"funnel12": counts.funnel(db, f, 12)},
    "retention_6": lambda db, f: timing.retention(db, f, 6),
    "lifecycle": lambda db, f: lifecycle.compute(db, f),
    "lifecycle_options": lambda db, f: lifecycle.compute(
        db, f, lifecycle.LifecycleThresholds(3, 40, 100, 200), lifecycle.RfmCuts(recency=(10, 40, 90, 200))),
}
REPORTS = (levels, timing, amount, counts, lifecycle)


@pytest.mark.parametrize("page", list(PAGES))
def test_fast_equals_live(loaded, page):
    compute = PAGES[page]
    grid = filters_grid(loaded)
    assert grid[0].summaries and grid[1].all_purchases and not grid[1].summaries
    assert grid[4].facts and not grid[4].all_purchases and not grid[12].facts
    for f in grid:
        same(compute(loaded, f), compute(loaded, f.with_(fast=False)), f"{page} {f}")


def test_reports_fast_equals_live(loaded):
    for f in [filters_grid(loaded)[i] for i in (0, 1, 6, 9)]:
        for m in REPORTS:
            same(m.report(loaded, f), m.report(loaded, f.with_(fast=False)), f"{m.__name__} {f}")


def test_fast_equals_live_without_exported_levels(db, make_file):
    """No member export: the level mix reads buyer_months, members per level need no export."""
    assert import_file(db, make_file("log.csv", order_log()), mapping=MAP).ok
    for f in filters_grid(db):
        for name in ("levels", "amount"):
            same(PAGES[name](db, f), PAGES[name](db, f.with_(fast=False)), f"{name} {f}")


def test_fast_equals_live_everyone_bought_once(db, make_file):
    assert import_file(db, make_file("once.csv", order_log(3, 150, once=True)), mapping=MAP).ok
    for f in [filters_grid(db)[i] for i in (0, 1, 4, 7, 9)]:
        for name in ("levels", "timing_month", "amount", "counts", "lifecycle"):
            same(PAGES[name](db, f), PAGES[name](db, f.with_(fast=False)), f"{name} {f}")


def test_fast_equals_live_without_orders(db, make_file):
    assert import_file(db, make_file("members.csv", MEMBERS)).ok
    f = Filters(as_of=dt.date(2025, 1, 1), data_last_day=None)
    for name in ("levels", "timing_month", "amount", "counts", "lifecycle"):
        same(PAGES[name](db, f), PAGES[name](db, f.with_(fast=False)), name)


def test_tables_follow_every_import(loaded, make_file):
    """A later export that changes orders (refunds, another buyer, a new order) rebuilds every
    derived table: the fast paths still equal the live queries."""
    changed = ("order_id,customer,date,paid,amount,refund,province\n"
               "1,c02,2023-10-14 08:00:00,2023-10-14 08:00:00,80,80,北京\n"      # refunded in full now
               "2,zed,2024-01-05 00:00:00,2024-01-05 00:00:00,300,0,北京\n"       # another buyer
               "9001,c03,2025-06-30 23:59:59,2025-06-30 23:59:59,120,0,上海\n")  # a new latest order
    assert import_file(loaded, make_file("changed.csv", changed), mapping=MAP).ok
    for f in filters_grid(loaded)[:7]:
        for name in ("levels", "timing_month", "amount", "counts", "lifecycle"):
            same(PAGES[name](loaded, f), PAGES[name](loaded, f.with_(fast=False)), f"{name} {f}")
    fresh = loaded.query("SELECT count(*) FROM orders WHERE is_purchase")[0][0]
    assert loaded.scalar("SELECT count(*) FROM purchase_facts") == fresh


V4 = ("purchase_facts", "purchase_hours", "cohort_months", "purchase_gaps", "buyer_months")
V5 = ("order_value_counts", "buyer_spend_counts")
V6 = ("item_titles", "item_buyers")


@pytest.mark.parametrize("old_version", [3, 4, 5, 6])
def test_migrations_fill_the_tables(tmp_path, make_file, old_version):
    """A database made before schema 4 (or 5, 6, 7, 8) gets the new tables, filled, when opened."""
    path = tmp_path / "old.duckdb"
    db = Database(path)
    assert import_file(db, make_file("log.csv", order_log(11, 120)), mapping=MAP).ok
    expected = {t: db.query(f"SELECT * FROM {t} ORDER BY ALL") for t in V4 + V5 + V6}
    stats_sql = "SELECT * REPLACE (list_sort(spends) AS spends) FROM customer_stats ORDER BY cust_no"
    expected_stats = db.query(stats_sql)
    assert db.scalar("SELECT sum(len(spends)) FROM customer_stats") == db.scalar("SELECT sum(purchases) FROM customer_stats")
    with db.write() as cur:   # back to the old schema
        for t in ("optouts", "campaigns", "campaign_members", "contact_plans"):   # schema 8
            cur.execute(f"DROP TABLE {t}")
        cur.execute("ALTER TABLE members DROP COLUMN birthday")
        cur.execute("DROP TABLE returns")          # schema 7: returns, and their counts in the ledger
        cur.execute("ALTER TABLE imports DROP COLUMN returns_lines")
        cur.execute("ALTER TABLE imports DROP COLUMN returns_amount")
        if old_version < 6:
            for t in (V4 + V5 if old_version == 3 else V5 if old_version == 4 else ()) + V6:
                cur.execute(f"DROP TABLE {t}")
            cur.execute("DROP TABLE customer_stats")   # schema 3–5: without the order values
            cur.execute("CREATE TABLE customer_stats (cust_no INTEGER PRIMARY KEY, first_purchase_at TIMESTAMP, "
                        "last_purchase_at TIMESTAMP, purchases INTEGER, spend DECIMAL(18,2))")
        cur.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(old_version)])
    db.close()
    db = Database(path)
    try:
        assert db.schema_version() == SCHEMA_VERSION == 8
        for t, rows in expected.items():
            assert db.query(f"SELECT * FROM {t} ORDER BY ALL") == rows, t
        assert db.query(stats_sql) == expected_stats
        assert db.query("SELECT returns_lines, returns_amount FROM imports") == [(0, 0)]
        assert db.scalar("SELECT count(*) FROM returns") == 0
        assert db.scalar("SELECT count(*) FROM campaigns") == 0
        assert db.query("SELECT DISTINCT birthday FROM members") in ([], [(None,)])
    finally:
        db.close()


def test_refresh_keeps_purchase_facts_in_time_order(loaded):
    rows = loaded.query("SELECT ordered_at FROM purchase_facts")
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    with loaded.write() as cur:
        models.refresh(cur, {"orders"})
    assert loaded.scalar("SELECT count(*) FROM purchase_facts") == len(rows)


def test_purchases_read_facts_only_when_they_can(loaded):
    f = Filters(as_of=dt.date(2025, 12, 31))
    assert "FROM purchase_facts" in f.purchases("o.cust_no, o.ordered_at, o.spend")[0]
    assert "FROM orders" in f.purchases("o.order_id")[0]
    assert "FROM orders" in f.purchases()[0]
    assert "FROM orders" in f.with_(provinces=("北京",)).purchases("o.cust_no")[0]
    assert "FROM orders" in f.with_(fast=False).purchases("o.cust_no")[0]
    sql, params = f.purchases("o.cust_no, o.spend")
    live_sql, live_params = f.with_(fast=False).purchases("o.cust_no, o.spend")
    key = lambda r: (r[0] is None, r[0] or 0, r[1])  # noqa: E731
    assert sorted(loaded.query(sql, params), key=key) == sorted(loaded.query(live_sql, live_params), key=key)


def test_quantiles_from_counts_match_duckdb():
    """quantile_cont from (value, count) pairs equals DuckDB's to the last bit."""
    import duckdb
    con = duckdb.connect()
    rng = random.Random(5)
    qs = (0.1, 0.25, 0.5, 0.75, 0.8, 0.9)
    for _ in range(300):
        n = rng.randint(1, 50)
        if rng.random() < 0.5:
            values = [rng.randint(0, rng.choice([3, 30, 400])) for _ in range(n)]
            con.execute("CREATE OR REPLACE TABLE t AS SELECT unnest(?::BIGINT[]) AS v", [values])
        else:
            values = [f"{rng.uniform(0, rng.choice([1, 100, 10000])):.2f}" for _ in range(n)]
            con.execute("CREATE OR REPLACE TABLE t AS SELECT unnest(?::DECIMAL(18,2)[])::DOUBLE AS v", [values])
        want = con.execute("SELECT " + ", ".join(f"quantile_cont(v, {q})" for q in qs) + " FROM t").fetchone()
        counted = con.execute("SELECT v, count(*) FROM t GROUP BY v ORDER BY v").fetchall()
        assert [quantile_cont(counted, q) for q in qs] == list(want)
        assert quantiles_cont(counted, qs) == list(want)           # one walk for all of them
    assert quantile_cont([], 0.5) is None and quantiles_cont([], qs) == [None] * len(qs)
    con.close()


def test_cents_as_double_equal_duckdbs_decimal_cast():
    """Coupon sizing counts order values in integer cents and takes percentiles of cents / 100:
    the same double DuckDB's DECIMAL(18,2) → DOUBLE cast gives, for every magnitude."""
    import duckdb
    con = duckdb.connect()
    rng = random.Random(11)
    cents = [rng.randint(0, 10 ** rng.randint(1, 15)) for _ in range(20000)] + list(range(0, 100001, 7))
    texts = [f"{c // 100}.{c % 100:02d}" for c in cents]          # exact DECIMAL(18,2) values
    got = con.execute("SELECT list(v::DECIMAL(18,2)::DOUBLE) FROM unnest(?::VARCHAR[]) AS t(v)",
                      [texts]).fetchone()[0]
    assert [c / 100 for c in cents] == got
    con.close()


def test_summary_fast_path_matches_live(tmp_path):
    """Home's headline numbers: all history up to (or after) the latest order reads customer_stats."""
    import datetime as _dt

    from crm import summary as S
    from crm.db import Database as _DB
    from crm.samples import load_sample
    d = _DB(tmp_path / "s.duckdb")
    assert all(r.ok for r in load_sample(d))
    latest = S.default_as_of(d)
    for as_of in (latest, latest + _dt.timedelta(days=30)):
        fast = S.summary(d, as_of=as_of)
        slow = S.summary(d, as_of=as_of, fast=False)
        live = tuple(slow[k] for k in ("members", "buyers", "orders", "gmv", "repeat_buyers", "first_order_at",
                                       "last_order_at"))
        assert (fast["members"], fast["buyers"], fast["orders"], fast["gmv"], fast["repeat_buyers"],
                fast["first_order_at"], fast["last_order_at"]) == tuple(live)
    d.close()
