"""Each page's full set of queries, timed on the benchmark databases (made by bench_import.py).

    python bench/bench_pages.py                       # bench/out/bench_1000000.duckdb
    python bench/bench_pages.py --orders 1000000 10000000
    python bench/bench_pages.py --db /tmp/copy.duckdb # any database (opened for writing: use a copy)
    python bench/bench_pages.py --pages timing counts --runs 3
    python bench/bench_pages.py --db /tmp/copy.duckdb --pages counts --queries   # + every query's time

For every page: the median of `--runs` runs (after one warm-up) of everything the page computes
with the default filters, with a 90-day date range and a level filter, and with a province filter
(the province with most orders: the filter that reads the orders themselves). "cohort": evaluating
the cohort page's dormant and quiet-VIP presets (the figures, mixes and sample a preset click
computes), and their members' order values (computed when the coupon tab opens). Prints wall time
and CPU time of this process (`time.process_time`: all DuckDB threads; with other processes on the
machine the wall time varies, the CPU time much less), and the load average before and after.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
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


def timed(fn, runs: int = 5) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of `runs` calls after one warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


class _TimedCursor:
    """Wraps a cursor: records each statement's wall / CPU time (results read in full)."""

    def __init__(self, cur, log: list):
        self._cur, self._log = cur, log

    def execute(self, sql, params=None):
        t, c = time.perf_counter(), time.process_time()
        res = self._cur.execute(sql, params or [])
        rows, description = res.fetchall(), res.description
        self._log.append(((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000, " ".join(sql.split())))
        return _Result(rows, description)

    def close(self):
        self._cur.close()


class _Result:
    def __init__(self, rows, description):
        self.rows, self.description = rows, description

    def fetchall(self):
        return self.rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def df(self):
        import pandas as pd
        return pd.DataFrame(self.rows, columns=[d[0] for d in self.description])


def query_times(db, fn) -> list[tuple[float, float, str]]:
    """(wall ms, CPU ms, SQL) of every statement one call of `fn` runs (after a warm-up call)."""
    fn()
    log: list = []
    plain = db.cursor
    db.cursor = lambda: _TimedCursor(plain(), log)
    try:
        fn()
    finally:
        db.cursor = plain
    return log


def home(db, as_of):
    summary(db, as_of=as_of)
    data_overview(db)
    previous_period(db, as_of, as_of - dt.timedelta(days=89))
    anomalies(weekly_trend(db, as_of))


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--db", nargs="+", help="database file(s) to time instead of bench/out/bench_<n>.duckdb")
    ap.add_argument("--pages", nargs="+", default=["home", *PAGES, "cohort"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--queries", action="store_true", help="also print each query's time (one run per page)")
    args = ap.parse_args()
    paths = ([Path(p) for p in args.db] if args.db
             else [ROOT / "bench" / "out" / f"bench_{n}.duckdb" for n in args.orders])
    results = {}
    print(f"load average before: {_load()}  (cores: {os.cpu_count()})", file=sys.stderr)
    for path in paths:
        if not path.exists():
            sys.exit(f"{path} missing: run bench/bench_import.py first (or give --db)")
        db = Database(path)
        as_of = default_as_of(db)
        orders = db.scalar("SELECT count(*) FROM orders")
        f = Filters(as_of=as_of, rules=load_rules(db), data_last_day=as_of)
        narrow = f.with_(start=as_of - dt.timedelta(days=89), levels=(1, 2, 3, 4))
        top = db.scalar("SELECT province FROM orders WHERE province IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        place = f.with_(provinces=(top,))
        row = {}
        if "home" in args.pages:
            row["home"] = (timed(lambda: home(db, as_of), args.runs), None, None)
        if "cohort" in args.pages:
            from crm import cohorts
            from crm.segments import load_thresholds
            th = load_thresholds(db)
            specs = cohorts.presets(db, as_of, f.rules, th)
            row["cohort"] = tuple(timed(lambda sp=specs[k]: cohorts.evaluate(db, sp, as_of, f.rules, th),
                                        args.runs) for k in ("dormant", "vip_quiet")) + (None,)
            row["cohort: coupon tab"] = tuple(
                timed(lambda sp=specs[k]: cohorts.order_value_counts(db, sp, as_of, f.rules, th), args.runs)
                for k in ("dormant", "vip_quiet")) + (None,)
        for page in PAGES:
            if page not in args.pages:
                continue
            try:
                mod = importlib.import_module(f"crm.analysis.{page}")
            except ImportError:
                continue
            # the time page computes what its open tab shows: the first tab on arrival, the rest when opened
            views = {page: {}} if page != "timing" else {"timing": {"parts": ("core", "when")},
                                                          "timing: coming-back tab": {"parts": ("back",)}}
            for view, kw in views.items():
                row[view] = tuple(timed(lambda flt=flt: mod.compute(db, flt, **kw), args.runs)
                                  for flt in (f, narrow, place))
            print(f"  {path.name} {page}: {[row[v] for v in views]}", file=sys.stderr)
            if args.queries:
                for label, flt in (("all", f), ("90 days + levels 1–4", narrow), (f"province {top}", place)):
                    print(f"  {page}, {label}: wall ms / CPU ms / query", file=sys.stderr)
                    for wall, cpu, sql in query_times(db, lambda: mod.compute(db, flt)):
                        print(f"    {wall:7.1f} {cpu:7.1f}  {sql[:110]}", file=sys.stderr)
        results[f"{orders:,} orders ({path.name})"] = row
        db.close()
    print(f"load average after: {_load()}", file=sys.stderr)
    pages = list(next(iter(results.values())))
    print("| page | " + " | ".join(f"{k}: all / 90 days + levels 1–4 / one province (wall, CPU)"
                                   for k in results) + " |")
    print("|---|" + "---:|" * len(results))

    def cell(t):
        return f"{t[0]:.0f} ms ({t[1]:.0f})"
    for p in pages:
        cells = []
        for k in results:
            got = [t for t in results[k].get(p, ()) if t is not None]
            cells.append(" / ".join(cell(t) for t in got) or "—")
        label = {"cohort": "cohort (dormant / quiet VIP preset)",
                 "cohort: coupon tab": "cohort: its order values when the coupon tab opens"}.get(p, p)
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
