"""How long a broken or hostile file takes to be refused (or to import its real rows).

    python bench/bench_hostile.py                    # every shape at full size
    python bench/bench_hostile.py --shape zip_bomb   # one shape

Each file (tests/fixtures/hostile.py: a 500 MB single line, a 4-million-column header, 100,000 empty
lines, an endless quote, a zip bomb renamed .xlsx, an XLSX with a million empty styled rows, …) is
written under bench/data/hostile/ (git-ignored) and imported by `python -m crm import` in a fresh
process into an empty database; the table shows the outcome and the wall time. Never part of the test suite: tests assert the outcome, this measures the time.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures import hostile  # noqa: E402

DATA = ROOT / "bench" / "data" / "hostile"


def run(path: Path) -> tuple[float, str]:
    """(seconds, outcome) of `python -m crm import` of one file into an empty database."""
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "crm", "--db", str(Path(d) / "x.duckdb"), "import",
                               str(path), "--json"], cwd=ROOT, capture_output=True,
                              env=dict(os.environ, PYTHONPATH=str(ROOT), CRM_LANG="en"))
        seconds = time.perf_counter() - t0
    out = proc.stdout
    r = json.loads(out)[0]
    outcome = (r["message"]["key"] if r["status"] != "ok" else f"imported {r['orders_new']} orders")
    return seconds, outcome


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", action="append", choices=hostile.SHAPES)
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    rows = []
    for shape in args.shape or hostile.SHAPES:
        path = DATA / hostile.file_name(shape)
        if not path.exists():
            hostile.make(shape, path)
        seconds, outcome = run(path)
        rows.append((shape, path.stat().st_size / 1024 / 1024, outcome, seconds))
        print(f"{shape:24} {rows[-1][1]:9.1f} MB  {outcome:32} {seconds:6.2f} s", flush=True)
    print("\n| file | size | outcome | time (import in a fresh process) |\n|---|---:|---|---:|")
    for shape, mb, outcome, seconds in rows:
        print(f"| {shape} | {mb:,.1f} MB | {outcome} | {seconds:.2f} s |")


if __name__ == "__main__":
    main()
