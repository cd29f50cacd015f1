"""Crash safety: `python -m crm import` killed (SIGKILL) in the middle of a big import leaves the
database as it was before the import: it opens, its tables read in full and agree with each other,
the ledger has no half row, and importing the same file again then works.

Marked `slow` (a generated 200,000-order export, about 64 MB): it runs in the normal suite, in well
under a minute; `-m "not slow"` leaves it out."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm.db import Database
from crm.importing import import_file
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.slow
ORDERS = 200_000


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("big")
    subprocess.run([sys.executable, str(ROOT / "sample_data" / "generate.py"), "--orders", str(ORDERS),
                    "--no-items", "--no-members", "--out", str(out)], check=True, capture_output=True,
                   timeout=120)
    files = list(out.glob("*.csv"))
    assert len(files) == 1, files
    return files[0]


def crm_env(db: Path) -> dict:
    return dict(os.environ, CRM_LANG="en", CRM_DB=str(db), PYTHONPATH=str(ROOT))


def state(db: Database) -> dict:
    """Every table read in full (each row hashed, so every block is read back), and the counts
    that must agree with each other."""
    tables = [r[0] for r in db.query(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name")]
    full = {t: db.query(f"SELECT count(*), coalesce(sum(hash(x)), 0) FROM {t} x")[0] for t in tables}
    ledger = db.query("SELECT import_id, status, finished_at, rows_read, orders_new FROM imports ORDER BY import_id")
    return {
        "tables": full,
        "orders": full["orders"][0],
        "order_keys": db.scalar("SELECT count(DISTINCT order_key) FROM orders"),
        "ledger": ledger,
        "orders_from_ledger": db.scalar("SELECT coalesce(sum(orders_new), 0) FROM imports WHERE kind = 'orders'"),
        "orders_by_import": db.scalar("SELECT count(*) FROM orders WHERE first_import_id NOT IN "
                                      "(SELECT import_id FROM imports)"),
        "unknown_customers": db.scalar("SELECT count(*) FROM orders o WHERE cust_no IS NOT NULL AND cust_no NOT IN "
                                       "(SELECT cust_no FROM customers)"),
        "stats_vs_purchases": db.query(
            "SELECT (SELECT count(*) FROM customer_stats), "
            "(SELECT count(DISTINCT cust_no) FROM orders WHERE is_purchase AND cust_no IS NOT NULL), "
            "(SELECT count(*) FROM purchase_facts), (SELECT count(*) FROM orders WHERE is_purchase)")[0],
    }


def consistent(s: dict) -> None:
    assert s["orders"] == s["order_keys"]                    # no order twice
    assert s["orders"] == s["orders_from_ledger"]            # every stored order came with a ledger row
    assert s["orders_by_import"] == 0
    assert s["unknown_customers"] == 0
    stats, buyers, facts, purchases = s["stats_vs_purchases"]
    assert (stats, facts) == (buyers, purchases)             # derived tables match their source
    for import_id, status, finished_at, rows_read, orders_new in s["ledger"]:
        assert status == "ok" and finished_at is not None and rows_read and orders_new is not None


def run_until(db_path: Path, big: Path, trigger: str, seeded_size: int) -> tuple[float, int]:
    """Start the import, wait for the trigger, SIGKILL it. Returns (seconds in, db file size)."""
    proc = subprocess.Popen([sys.executable, "-m", "crm", "--db", str(db_path), "import", str(big)],
                            cwd=ROOT, env=crm_env(db_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wal = Path(str(db_path) + ".wal")
    t0 = time.monotonic()
    try:
        while proc.poll() is None:
            elapsed = time.monotonic() - t0
            size = db_path.stat().st_size
            wal_size = wal.stat().st_size if wal.exists() else 0
            if trigger == "staging" and elapsed >= 1.5:
                break
            # The merge writes the new blocks into the database file before the commit, which
            # then logs them to the WAL: a grown file and a small WAL mean "merging, uncommitted".
            if trigger == "merging" and size > seeded_size + 2**20 and wal_size < 2**20:
                break
            if elapsed > 45:
                break
            time.sleep(0.01)
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the import ended before it could be killed ({trigger}, {elapsed:.1f} s): "
                        f"{out.decode()[-300:]} {err.decode()[-300:]}")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return elapsed, size


@pytest.mark.parametrize("trigger", ["staging", "merging"])
def test_killed_import_leaves_the_database_as_before(tmp_path, big_file, trigger):
    db_path = tmp_path / "crash.duckdb"
    with Database(db_path) as db:
        assert import_file(db, FIXTURES / "taobao_orders_61_gbk.csv").ok
        assert import_file(db, FIXTURES / "taobao_members_isv.csv").ok
        before = state(db)
    consistent(before)
    seeded_size = db_path.stat().st_size

    elapsed, size = run_until(db_path, big_file, trigger, seeded_size)
    print(f"killed after {elapsed:.2f} s, database file {size} bytes (seeded {seeded_size})")

    with Database(db_path) as db:  # opens (replays or drops what the dead process left)
        after = state(db)
        consistent(after)
        assert after == before       # every table, row for row: nothing of the killed import
        db.set_setting("after_crash", "1")  # it takes writes again
        db.query("CHECKPOINT")

    # The same file again, as the user would: it goes in whole.
    p = subprocess.run([sys.executable, "-m", "crm", "--db", str(db_path), "import", str(big_file)],
                       cwd=ROOT, env=crm_env(db_path), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert f"{ORDERS} new" in p.stdout.replace(",", "")
    with Database(db_path) as db:
        again = state(db)
        consistent(again)
        assert again["orders"] == before["orders"] + ORDERS
        assert len(again["ledger"]) == len(before["ledger"]) + 1
        assert again["ledger"][-1][0] == before["ledger"][-1][0] + 1
