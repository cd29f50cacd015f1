"""Import and Home-page benchmark on generated Taobao exports (1M and 10M orders).

    python bench/bench_import.py                 # 1M orders
    python bench/bench_import.py --orders 1000000 10000000

For each size it generates a GBK `ExportOrderList*.csv` (cached in bench/data/, git-ignored) and
measures, each in a fresh process (wall time and peak memory of that process):
  floor   Python's incremental gb18030 decoder (4 MB chunks) writing UTF-8 to a temporary file, then
          DuckDB read_csv(all_varchar=true) of every column into a table: the least any importer does
  import  `python -m crm import` of the file into an empty database
  again   the same file imported a second time (idempotent merge: nothing new)
  home    the Home page's queries (headline numbers + data overview), median of 7 runs
and prints a table. Never part of the test suite: tests assert behaviour, this measures speed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))


def run_measured(code: str, *args: str) -> tuple[float, float, str]:
    """Run python code in a fresh process; return (seconds, peak RSS in MB, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark step failed:\n{err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, out


# The least any importer must do: Python's incremental gb18030 decoder over 4 MB chunks writing UTF-8
# to a temporary file, then DuckDB's read_csv of every column as text into a table.
FLOOR = r"""
import codecs, sys, tempfile, duckdb
from pathlib import Path
src = Path(sys.argv[1])
with tempfile.TemporaryDirectory() as d:
    dst = Path(d) / "x.csv"
    dec = codecs.getincrementaldecoder("gb18030")()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(4 << 20):
            fout.write(dec.decode(chunk).encode("utf-8"))
        fout.write(dec.decode(b"", final=True).encode("utf-8"))
    con = duckdb.connect(str(Path(d) / "floor.duckdb"), config={"memory_limit": "1GB"})
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar=true)", [str(dst)])
    print(con.execute("SELECT count(*) FROM t").fetchone()[0])
    con.close()
"""

IMPORT = r"""
import sys, json
from crm.db import Database
from crm.importing import import_file
db = Database(sys.argv[1])
r = import_file(db, sys.argv[2])
db.close()
print(json.dumps({"ok": r.ok, "rows": r.rows_read, "new": r.orders_new, "unchanged": r.orders_unchanged,
                  "rejected": r.rows_rejected, "message": r.message}, default=str))
"""

HOME = r"""
import sys, time, json, statistics
from crm.db import Database
from crm.summary import summary, data_overview, default_as_of
db = Database(sys.argv[1])
times = []
for _ in range(8):
    t = time.perf_counter()
    as_of = default_as_of(db)
    s = summary(db, as_of=as_of)
    data_overview(db)
    times.append(time.perf_counter() - t)
db.close()
print(json.dumps({"median_ms": statistics.median(times[1:]) * 1000, "orders": s["orders"], "gmv": str(s["gmv"])}))
"""


def ensure_data(n: int) -> Path:
    folder = DATA / f"{n}"
    files = sorted(folder.glob("ExportOrderList*.csv")) if folder.exists() else []
    if files:
        return files[0]
    print(f"generating {n:,} orders into {folder} …", flush=True)
    subprocess.run([sys.executable, str(ROOT / "sample_data" / "generate.py"), "--orders", str(n), "--out",
                    str(folder), "--no-items", "--no-members"], check=True)
    return sorted(folder.glob("ExportOrderList*.csv"))[0]


def bench(n: int) -> dict:
    src = ensure_data(n)
    size_mb = src.stat().st_size / 1e6
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"bench_{n}.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    floor_s, floor_mb, _ = run_measured(FLOOR, str(src))
    imp_s, imp_mb, out = run_measured(IMPORT, str(db), str(src))
    first = json.loads(out)
    again_s, again_mb, out2 = run_measured(IMPORT, str(db), str(src))
    second = json.loads(out2)
    _, _, home = run_measured(HOME, str(db))
    home = json.loads(home)
    return {"orders": n, "file_mb": size_mb, "floor_s": floor_s, "floor_mb": floor_mb, "import_s": imp_s,
            "import_mb": imp_mb, "ratio": imp_s / floor_s, "again_s": again_s, "again_mb": again_mb,
            "home_ms": home["median_ms"], "first": first, "second": second}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, nargs="+", default=[1_000_000])
    args = ap.parse_args()
    rows = [bench(n) for n in args.orders]
    print()
    print("| orders | file | floor (decode + read_csv) | import | import ÷ floor | peak memory (import) "
          "| same file again | Home queries |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['orders']:,} | {r['file_mb']:,.0f} MB | {r['floor_s']:.1f} s | {r['import_s']:.1f} s "
              f"| {r['ratio']:.2f}× | {r['import_mb']:,.0f} MB | {r['again_s']:.1f} s ({r['again_mb']:,.0f} MB) "
              f"| {r['home_ms']:.0f} ms |")
    for r in rows:
        print(f"\n{r['orders']:,}: first import {r['first']}; again {r['second']}")


if __name__ == "__main__":
    main()
