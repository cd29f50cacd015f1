"""Backup and restore of the whole database, and "delete all data" (crm/backup.py)."""
from __future__ import annotations

import datetime as dt
import threading

import duckdb
import pytest

from crm import backup
from crm.analysis import counts
from crm.backup import BackupError
from crm.cohorts import CohortSpec, save_cohort
from crm.db import SCHEMA_VERSION, Database
from crm.filters import Filters
from crm.importing import import_file
from crm.levels import LevelRules, load_rules, save_rules
from crm.summary import summary
from tests.conftest import FIXTURES

FAR = dt.date(2100, 1, 1)


def fingerprint(db: Database) -> dict:
    """Counts of every table, GMV, and a hash of every row of the main tables."""
    tables = [r[0] for r in db.query("SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
                                     "AND database_name = current_database() ORDER BY table_name")]
    out = {t: db.scalar(f'SELECT count(*) FROM "{t}"') for t in tables}
    for t in ("orders", "members", "imports", "settings", "customers"):
        out[f"{t}#"] = db.scalar(f"SELECT coalesce(sum(hash(x)), 0) FROM {t} x")
    s = summary(db, as_of=FAR)
    out["summary"] = (s["orders"], s["gmv"], s["buyers"], s["members"])
    return out


@pytest.fixture
def loaded(tmp_path):
    path = tmp_path / "crm.duckdb"
    db = Database(path)
    for name in ("taobao_orders_61_gbk.csv", "taobao_members_isv.csv", "jd_orders.csv"):
        assert import_file(db, FIXTURES / name).ok
    save_rules(db, LevelRules(spend=(100, 500, 1000, 3000)))
    save_cohort(db, "big spenders", CohortSpec(spend_min=500))
    yield db
    db.close()


def test_round_trip(loaded, tmp_path):
    db = loaded
    before = fingerprint(db)
    data = backup.backup_bytes(db)
    assert data[8:12] == b"DUCK"
    assert backup.inspect_bytes(data)["orders"] == before["orders"]

    # change the data: more orders, other settings
    assert import_file(db, FIXTURES / "youzan_orders.csv").ok
    save_rules(db, LevelRules())
    assert fingerprint(db) != before

    info = backup.restore(db.path, data, db=db)   # closes `db`
    assert info["orders"] == before["orders"] and info["schema_version"] == SCHEMA_VERSION
    with Database(db.path) as again:
        assert fingerprint(again) == before
        assert load_rules(again) == LevelRules(spend=(100, 500, 1000, 3000))
        assert [c["name"] for c in backup_cohorts(again)] == ["big spenders"]
        # the restored database works: an import of a new file goes in
        assert import_file(again, FIXTURES / "youzan_orders.csv").ok
    kept = db.path.parent / (db.path.name + ".before-restore")
    assert kept.exists()  # the replaced file is kept, with the youzan import in it
    with Database(kept) as old:
        assert old.scalar("SELECT count(*) FROM imports") == before["imports"] + 1


def backup_cohorts(db):
    from crm.cohorts import list_cohorts
    return list_cohorts(db)


def test_backup_is_one_moment_while_imports_run(loaded):
    """A backup taken while another session imports holds either all of an import or none."""
    db = loaded
    errors, backups = [], []

    def importer():
        try:
            for name in ("youzan_orders.csv", "shopify_orders.csv", "douyin_orders.csv", "pinduoduo_orders.csv"):
                assert import_file(db, FIXTURES / name).ok
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=importer)
    t.start()
    while t.is_alive() or not backups:
        backups.append(backup.backup_bytes(db))
    t.join()
    assert not errors
    for data in backups:
        info = backup.inspect_bytes(data)
        assert info["orders"] == sum(r for r in ledger_orders(data))


def ledger_orders(data: bytes):
    """orders_new of each import in a backup."""
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "b.duckdb"
        p.write_bytes(data)
        con = duckdb.connect(str(p), read_only=True)
        try:
            return [r[0] for r in con.execute("SELECT orders_new FROM imports WHERE kind = 'orders'").fetchall()]
        finally:
            con.close()


def _refuses(db: Database, data: bytes, key: str) -> BackupError:
    before = fingerprint(db)
    with pytest.raises(BackupError) as e:
        backup.restore(db.path, data, db=db)
    assert e.value.key == key, e.value.params
    assert fingerprint(db) == before           # untouched, and still open
    assert not list(db.path.parent.glob("*.before-restore"))
    assert not list(db.path.parent.glob(".*restore-*"))  # no temporary file left behind
    return e.value


def test_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(loaded, tmp_path):
    db = loaded
    from crm import i18n
    e = _refuses(db, (FIXTURES / "taobao_orders_61_gbk.csv").read_bytes(), "backup_refused_not_database")
    assert "not a backup" in i18n.msg(e.message, "en")
    _refuses(db, b"", "backup_refused_not_database")
    # a DuckDB database that is not ours
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    e = _refuses(db, other.read_bytes(), "backup_refused_not_ours")
    assert "orders" in e.params["tables"]
    # a backup cut short (an interrupted download)
    data = backup.backup_bytes(db)
    _refuses(db, data[: len(data) // 3], "backup_refused_unreadable")
    # a backup from a newer program
    newer = tmp_path / "newer.duckdb"
    newer.write_bytes(data)
    con = duckdb.connect(str(newer))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    e = _refuses(db, newer.read_bytes(), "backup_refused_newer")
    assert e.params == {"version": SCHEMA_VERSION + 1, "ours": SCHEMA_VERSION}


def test_an_older_backup_is_migrated_on_restore(tmp_path):
    src = tmp_path / "old.duckdb"
    with Database(src) as db:
        assert import_file(db, FIXTURES / "taobao_orders_61_gbk.csv").ok
        data = backup.backup_bytes(db)
    # pretend it is from schema 3: drop what 4 added
    old = tmp_path / "v3.duckdb"
    old.write_bytes(data)
    con = duckdb.connect(str(old))
    for t in ("purchase_facts", "purchase_hours", "cohort_months", "purchase_gaps", "buyer_months"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    con.close()
    target = tmp_path / "target.duckdb"
    info = backup.restore(target, old.read_bytes())
    assert info["schema_version"] == 3
    with Database(target) as db:
        assert db.schema_version() == SCHEMA_VERSION
        assert db.scalar("SELECT count(*) FROM purchase_facts") == db.scalar(
            "SELECT count(*) FROM orders WHERE is_purchase")


def test_delete_all_empties_the_data_and_keeps_the_settings(loaded):
    db = loaded
    version = db.data_version()
    deleted = backup.delete_all(db)
    assert deleted["orders"] > 0 and deleted["members"] > 0 and deleted["imports"] == 3
    for t in backup.data_tables(db):
        assert db.scalar(f'SELECT count(*) FROM "{t}"') == 0, t
    assert set(backup.data_tables(db)) >= {"orders", "order_items", "members", "customers", "imports", "rejects",
                                           "customer_stats", "purchase_facts", "customer_tags"}
    assert load_rules(db) == LevelRules(spend=(100, 500, 1000, 3000))   # kept
    assert [c["name"] for c in backup_cohorts(db)] == ["big spenders"]
    assert db.data_version() != version                                  # caches recompute
    # the app still works on the empty database, and takes new data
    s = summary(db, as_of=FAR)
    assert (s["orders"], s["gmv"], s["members"]) == (0, 0, 0)
    counts.compute(db, Filters(as_of=FAR))  # an analysis on no data: no error
    r = import_file(db, FIXTURES / "taobao_orders_61_gbk.csv")
    assert r.ok and r.orders_new == 9 and r.import_id == 1
    s = summary(db)
    assert (s["orders"], str(s["gmv"])) == (6, "3432.00")


def test_delete_all_is_one_transaction(loaded, monkeypatch):
    db = loaded
    before = fingerprint(db)
    tables = backup.data_tables(db)
    monkeypatch.setattr(backup, "data_tables", lambda d: tables + ["no_such_table"])
    with pytest.raises(duckdb.Error):
        backup.delete_all(db)
    assert fingerprint(db) == before
