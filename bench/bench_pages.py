"""Each page's full set of queries, timed on the benchmark databases (made by bench_import.py).

    python bench/bench_pages.py                       # bench/out/bench_1000000.duckdb
    python bench/bench_pages.py --orders 1000000 10000000

For every page: the median of 5 runs (after one warm-up) of everything the page computes with the
default filters, and with a 90-day date range and a level filter. Prints a table.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm.db import Database  # noqa: E402
from crm.filters import Filters  # noqa: E402
from crm.levels import load_rules  # noqa: E402
from crm.summary import data_overview, default_as_of, summary  # noqa: E402
from crm.trends import anomalies, previous_period, weekly_trend  # noqa: E402

PAGES = ("levels", "timing", "amount", "counts", "lifecycle")


def timed(fn, runs: int = 5) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def home(db, as_of):
    summary(db, as_of=as_of)
    data_overview(db)
    previous_period(db, as_of, as_of - dt.timedelta(days=89))
    anomalies(weekly_trend(db, as_of))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, nargs="+", default=[1_000_000])
    args = ap.parse_args()
    results = {}
    for n in args.orders:
        path = ROOT / "bench" / "out" / f"bench_{n}.duckdb"
        if not path.exists():
            sys.exit(f"{path} missing: run bench/bench_import.py --orders {n} first")
        db = Database(path)
        as_of = default_as_of(db)
        f = Filters(as_of=as_of, rules=load_rules(db), data_last_day=as_of)
        narrow = f.with_(start=as_of - dt.timedelta(days=89), levels=(1, 2, 3, 4))
        row = {"home": (timed(lambda: home(db, as_of)), None)}
        for page in PAGES:
            try:
                mod = importlib.import_module(f"crm.analysis.{page}")
            except ImportError:
                continue
            row[page] = (timed(lambda: mod.compute(db, f)), timed(lambda: mod.compute(db, narrow)))
        results[n] = row
        db.close()
    pages = list(next(iter(results.values())))
    print("| page | " + " | ".join(f"{n:,} orders (all / 90 days + levels 1–4)" for n in results) + " |")
    print("|---|" + "---:|" * len(results))
    for p in pages:
        cells = []
        for n in results:
            a, b = results[n].get(p, (None, None))
            cells.append("—" if a is None else (f"{a:.0f} ms" + (f" / {b:.0f} ms" if b is not None else "")))
        print(f"| {p} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
