"""Prediction timings on the benchmark database (made by bench_import.py), on a copy.

    python bench/bench_predictions.py                 # bench/out/bench_1000000.duckdb
    python bench/bench_predictions.py --orders 1000000 10000000
    python bench/bench_predictions.py --unit week      # the models in weeks (the page opens in days)

Median of 3 after a warm-up: the per-customer summary in DuckDB; the BG/NBD and Gamma-Gamma fits on
200,000 customers (a sample of the summary) and on all of them; scoring 1,000,000 customers (the
summary repeated to that size: P(alive), expected purchases over 30/90/365 days and the horizon,
expected value, 12-month spend); everything `predict` does with no fit kept, with the fits kept in
the database from before, without customer ids (as the Predictions page asks: its summary computed
and kept, then read back as a later visit does); the page's view (its totals, histogram and top
50) computed and kept, then read back; one member's scores (the member page); the scores table
the cohort conditions read; the co-purchase rules and suggested items for 200,000 members. Prints
one table.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm import predictions as P  # noqa: E402
from crm import recommend as R  # noqa: E402
from bench._shared import bench_copy, timed  # noqa: E402
from crm.summary import default_as_of  # noqa: E402


def score(params: dict, gg: dict, s: pd.DataFrame, unit: str) -> None:
    x, tx, T, m = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "monetary_value"))
    days = P.UNITS[unit]
    P.p_alive(params, x, tx, T)
    for t in (30 / days, 90 / days, 365 / days):
        P.expected_purchases(params, t, x, tx, T)
    value = P.expected_value(gg, x, m)
    P._discounted_spend(params, x, tx, T, value, days, 0.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--unit", choices=sorted(P.UNITS), default="day",
                    help="the models' time unit (default: day, what the Predictions page opens with)")
    a = ap.parse_args()
    for orders in a.orders:
        bench(orders, a.unit)


def bench(orders: int, unit: str = "day") -> None:
    rows = []
    with bench_copy(orders) as db:
        as_of = default_as_of(db)
        ms, s = timed(lambda: P.summary(db, as_of, unit))
        rows.append(("per-customer summary (DuckDB)", len(s), ms))
        sample = s.sample(n=min(200_000, len(s)), random_state=1)
        ms, bg = timed(lambda: P.fit_bgnbd(sample["frequency"], sample["recency"], sample["T"]))
        rows.append(("BG/NBD fit", len(sample), ms))
        ms, gg = timed(lambda: P.fit_gamma_gamma(sample["frequency"], sample["monetary_value"]))
        rows.append(("Gamma-Gamma fit", int((sample["frequency"] > 0).sum()), ms))
        ms, _ = timed(lambda: P.fit_bgnbd(s["frequency"], s["recency"], s["T"]))
        rows.append(("BG/NBD fit, every buyer", len(s), ms))
        big = pd.concat([s] * int(np.ceil(1_000_000 / len(s))), ignore_index=True).head(1_000_000)
        ms, _ = timed(lambda: score(bg.params, gg.params, big, unit))
        rows.append(("scores (P(alive), 30/90/365-day purchases, value, 12-month spend)", len(big), ms))
        # no fit kept (the warm-up run keeps one): fit both models
        ms, _ = timed(lambda: (db.set_setting(f"model_fit_{unit}", ""), P.predict(db, as_of, unit)), runs=1)
        rows.append(("predict: summary + both fits + scores, every buyer", len(s), ms))
        ms, _ = timed(lambda: P.predict(db, as_of, unit))
        rows.append(("predict with the fits kept from before (a later first visit, any restart)", len(s), ms))
        ms, _ = timed(lambda: (db.set_setting(f"kept_summary_{unit}", ""), P.predict(db, as_of, unit, ids=False)))
        rows.append(("the same without customer ids (the Predictions page), its summary computed and kept",
                     len(s), ms))
        ms, _ = timed(lambda: P.predict(db, as_of, unit, ids=False))
        rows.append(("the same with the summary kept from before (a later first visit, any restart)", len(s), ms))
        ms, _ = timed(lambda: (db.set_setting(f"kept_view_{unit}", ""), P.page_view(db, as_of, unit),
                               P.wait_for_kept_summaries()))
        rows.append(("the Predictions page's view (totals, histogram, top 50) from the kept summary, kept",
                     len(s), ms))
        ms, _ = timed(lambda: P.page_view(db, as_of, unit))
        rows.append(("the page's view kept from before (a later first visit, any restart)", len(s), ms))
        member = int(s["cust_no"].iloc[len(s) // 2])
        ms, _ = timed(lambda: P.member_prediction(db, as_of, unit, member))
        rows.append(("one member's scores (the member page), with the page's view kept", 1, ms))
        t = time.perf_counter()
        P.ensure_scores(db, as_of)
        rows.append(("scores table for cohort conditions (first build)", len(s), (time.perf_counter() - t) * 1000))
        t = time.perf_counter()
        R.ensure(db)
        rows.append(("co-purchase rules (first build)", int(db.scalar("SELECT count(*) FROM reco_rules")),
                     (time.perf_counter() - t) * 1000))
        members = [int(c) for c in s["cust_no"].head(200_000)]
        ms, _ = timed(lambda: R.suggestions(db, members))
        rows.append(("suggested items", len(members), ms))
    print(f"\n{orders:,} orders, models in {unit}s\n| step | rows | time |\n|---|---:|---:|")
    for step, n, ms in rows:
        print(f"| {step} | {n:,} | {ms:,.0f} ms |")


if __name__ == "__main__":
    main()
