"""What the benchmarks share: a median timer and a throw-away copy of a benchmark database."""
from __future__ import annotations

import contextlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, runs: int = 3) -> tuple[float, object]:
    """(median milliseconds of `runs` calls after a warm-up, the last result)."""
    out = fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, out


@contextlib.contextmanager
def bench_copy(orders: int):
    """An open Database on a copy of bench/out/bench_<orders>.duckdb (made by bench_import.py)."""
    sys.path.insert(0, str(ROOT))
    from crm.db import Database
    src = ROOT / "bench" / "out" / f"bench_{orders}.duckdb"
    if not src.exists():
        sys.exit(f"{src} is missing: run bench/bench_import.py --orders {orders} first")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "copy.duckdb"
        shutil.copy(src, path)
        db = Database(path)
        try:
            yield db
        finally:
            db.close()
