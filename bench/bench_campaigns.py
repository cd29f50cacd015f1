"""Campaign timings on the benchmark databases (made by bench_import.py), on a copy.

    python bench/bench_campaigns.py                          # bench/out/bench_1000000.duckdb
    python bench/bench_campaigns.py --orders 1000000 10000000

For the dormant preset (no purchase for more than 2 × the usage cycle), median of 3 after a warm-up:
- plan: what the cohort page shows before creating (sizes, left-out counts, the cohort's own base
  rate from the same definition one window earlier, the detectable lift);
- create: draw the stratified holdout and store both groups (as of the latest order);
- report: the effect of a campaign whose window lies inside the data (it started 30 days before
  the latest order, as of the day before), so its window holds real orders;
- daily: the cumulative purchase-rate series of that campaign.
Prints one table.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm import campaigns as C  # noqa: E402
from crm import cohorts  # noqa: E402
from bench._shared import bench_copy, timed  # noqa: E402
from crm.levels import load_rules  # noqa: E402
from crm.segments import load_thresholds  # noqa: E402
from crm.summary import default_as_of  # noqa: E402


def bench(n: int) -> list[tuple]:
    rows = []
    with bench_copy(n) as db:
        as_of = default_as_of(db)
        rules, thresholds = load_rules(db), load_thresholds(db)
        spec = cohorts.presets(db, as_of, rules, thresholds)["dormant"]
        ms, p = timed(lambda: C.plan(db, spec, as_of, 0.1, 14, rules, thresholds))
        rows.append((n, "plan (sizes, left out, base rate, detectable lift)", p["members"], ms))
        counter = iter(range(1000))
        ms, made = timed(lambda: C.create(db, f"bench {next(counter)}", spec, as_of, holdout=0.1, seed=1,
                                          rules=rules, thresholds=thresholds))
        rows.append((n, "create (stratified holdout, both groups stored)", made["members"], ms))
        earlier = as_of - dt.timedelta(days=31)
        past = C.create(db, "bench past", spec, earlier, holdout=0.1, seed=2, start=earlier + dt.timedelta(days=1),
                        window=14, offer="满99减10", rules=rules, thresholds=thresholds)
        ms, r = timed(lambda: C.report(db, "bench past"))
        rows.append((n, "report (window inside the data)", past["members"], ms))
        ms, _ = timed(lambda: C.daily(db, "bench past"))
        rows.append((n, "daily cumulative rate", past["members"], ms))
        print(f"  {n:,} orders: report buyers {r['treatment']['buyers']:,} / {r['holdout']['buyers']:,}, "
              f"verdict {r['verdict']}", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, nargs="+", default=[1_000_000])
    args = ap.parse_args()
    rows = []
    for n in args.orders:
        rows += bench(n)
    print("\n| orders | step | members | time |\n|---:|---|---:|---:|")
    for n, step, members, ms in rows:
        print(f"| {n:,} | {step} | {members:,} | {ms:,.0f} ms |")


if __name__ == "__main__":
    main()
