"""Cohort, coupon and export timings on the benchmark databases (made by bench_import.py).

    python bench/bench_cohorts.py                       # bench/out/bench_1000000.duckdb
    python bench/bench_cohorts.py --orders 1000000 10000000
    python bench/bench_cohorts.py --with-members        # on a copy with a member export for 70 %

For each preset cohort, median of 5 after a warm-up:
- filter change: what the cohort page recomputes when a condition changes: the cohort's figures
  (members, GMV, level/stage mix, sample) and its members' order values in one pass
  (`cohorts.evaluate(values=True)`), then the order-value statistics, candidate offers, economics
  and recommendation;
- coupons.plan over a member query: `coupons.plan` over `cohorts.members_sql` (for callers with
  their own member query: tags, scripts);
- slider move: economics + recommendation only (the page caches the order values).
Then the target list of up to 200,000 members as CSV, XLSX and TXT. Prints two tables.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm import cohorts, coupons, exports  # noqa: E402
from crm.db import Database  # noqa: E402
from crm.summary import default_as_of  # noqa: E402


def timed(fn, runs: int = 5) -> float:
    fn()
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out) * 1000


def once(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def with_members(path: Path) -> Path:
    """A copy of the database where 70% of the customers have a member export row (level, province),
    as a shop that also imported its member list would."""
    import shutil

    from crm import models
    copy = path.with_name(path.stem + "_members.duckdb")
    shutil.copyfile(path, copy)
    db = Database(copy)
    with db.write() as cur:
        cur.execute("DELETE FROM members")
        cur.execute("""INSERT INTO members (customer_id, level_code, province, cust_no)
                       SELECT customer_id, (hash(cust_no) % 5)::INTEGER,
                              ['广东省', '浙江省', '江苏省', '上海', '北京'][(hash(cust_no) % 5)::INTEGER + 1], cust_no
                       FROM customers WHERE hash(cust_no) % 10 < 7""")
        models.refresh(cur, {"members"})
    db.close()
    return copy


def filter_change(db, spec, as_of):
    """What the cohort page computes after a condition changed (nothing cached for the new spec)."""
    e = cohorts.evaluate(db, spec, as_of, values=True)
    stats = coupons.stats_from_counts(e["order_values"], e["members"], e["members"], as_of)
    econ = coupons.economics(coupons.candidate_offers(stats), stats["members"], coupons.Assumptions())
    return e, coupons.recommend(econ)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--db", help="a database file instead of bench/out/bench_<orders>.duckdb")
    ap.add_argument("--with-members", action="store_true",
                    help="run on a copy (bench/out/bench_<orders>_members.duckdb) where 70%% of the customers "
                         "also have a member export row with a level and a province")
    args = ap.parse_args()
    print("| orders | cohort | members | filter change (cohort + offer table) | coupons.plan over a member query | slider move |")
    print("|---:|---|---:|---:|---:|---:|")
    exports_rows = []
    for n in args.orders:
        path = Path(args.db) if args.db else ROOT / "bench" / "out" / f"bench_{n}.duckdb"
        if args.with_members:
            path = with_members(path)
        db = Database(path)
        as_of = default_as_of(db)
        specs = cohorts.presets(db, as_of)
        # two combined conditions the presets do not use: a province + level + spend cohort, and
        # one that bought an item whose title contains a text (a scan of every purchase's items)
        specs["custom_province_level"] = cohorts.CohortSpec(days_min=90, provinces=("广东省", "浙江省"),
                                                            levels=(1, 2, 3), spend_min=100)
        specs["custom_item_contains"] = specs["dormant"].with_(item_contains="洗发水")
        for name, spec in specs.items():
            e = cohorts.evaluate(db, spec, as_of)
            members = cohorts.members_sql(spec, as_of, fast=cohorts.complete_history(db, as_of))
            ev = timed(lambda: filter_change(db, spec, as_of))
            plan = timed(lambda: coupons.plan(db, members, as_of))
            stats = coupons.order_values(db, members, as_of)
            offers = coupons.candidate_offers(stats)
            slider = timed(lambda: coupons.recommend(coupons.economics(
                offers, stats["members"], coupons.Assumptions(redemption_rate=0.1))), 5)
            print(f"| {n:,} | {name} | {e['members']:,} | {ev:.0f} ms | {plan:.0f} ms | {slider:.1f} ms |")
        spec = specs["dormant"]
        frame = {}
        t_list = once(lambda: frame.setdefault("df", cohorts.member_list(db, spec, as_of, limit=200_000)))
        df = frame["df"]
        exports_rows.append((n, len(df), t_list, once(lambda: exports.to_csv_bytes(df)),
                             once(lambda: exports.to_xlsx_bytes(df, "members")),
                             once(lambda: exports.to_txt_bytes(df.iloc[:, 0]))))
        db.close()
    print()
    print("| orders | rows exported | member list query | CSV | XLSX | TXT |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n, rows, q, c, x, t in exports_rows:
        print(f"| {n:,} | {rows:,} | {q:.0f} ms | {c:.0f} ms | {x:.0f} ms | {t:.0f} ms |")


if __name__ == "__main__":
    main()
