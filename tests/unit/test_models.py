"""The models layer (crm/models): each import-maintained table is one SQL file with its dependencies
and invariants; the build order comes from the dependencies; invariants hold on real fixtures;
a changed definition is rebuilt when the database is opened."""
from __future__ import annotations

from pathlib import Path

import pytest

from crm import models
from crm.db import MIGRATIONS, Database
from crm.importing import import_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = ["taobao_orders_61_gbk.csv", "taobao_orders_44_gbk.csv", "taobao_overlap_a.csv", "taobao_overlap_b.csv",
         "taobao_items_2022.csv", "taobao_members_isv.csv", "invoice_log_a.csv", "invoice_log_b.csv",
         "shopify_orders.csv", "shopify_customers.csv", "jd_orders.csv", "douyin_orders.csv",
         "pinduoduo_orders.csv", "youzan_orders.csv", "youzan_customers.csv", "generic_cdnow.csv"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    db = Database(tmp_path_factory.mktemp("models") / "m.duckdb")
    for name in FILES:
        assert import_file(db, FIXTURES / name).ok, name
    yield db
    db.close()


def tables(db) -> set[str]:
    return {r[0] for r in db.query("SELECT table_name FROM information_schema.tables")}


def test_every_model_declares_what_it_reads_and_is_built_after_it():
    loaded_models = models.load()
    order = list(loaded_models)
    assert {"customer_stats", "purchase_facts", "purchase_hours", "cohort_months", "purchase_gaps", "buyer_months",
            "order_value_counts", "buyer_spend_counts", "item_titles", "item_buyers"} <= set(order)
    for m in loaded_models.values():
        assert m.doc, m.name
        for dep in m.depends:
            assert dep in models.SOURCES or order.index(dep) < order.index(m.name), (m.name, dep)
        if not m.ephemeral:
            assert m.unique or m.not_null, f"{m.name} declares no invariant"


def test_migrations_no_longer_carry_derived_tables_or_markers():
    statements = [s for v in MIGRATIONS.values() for s in v]
    assert not [s for s in statements if s.startswith("REFRESH")]
    for m in models.stored():
        assert not [s for s in statements if f"TABLE IF NOT EXISTS {m.name} " in s or f"TABLE {m.name} " in s]


def test_an_empty_database_has_every_model_table(db):
    assert {m.name for m in models.stored()} <= tables(db)
    assert "purchased_titles" not in tables(db)          # ephemeral: written into its readers
    assert models.violations(db.cursor()) == []


def test_invariants_hold_on_every_fixture(loaded):
    assert loaded.scalar("SELECT count(*) FROM customer_stats") > 20
    assert loaded.scalar("SELECT count(*) FROM item_buyers") > 0
    assert models.violations(loaded.cursor()) == []


@pytest.mark.parametrize("damage, words", [
    ("INSERT INTO customer_stats SELECT * FROM customer_stats LIMIT 1", "repeated value(s) of the key (cust_no)"),
    ("UPDATE purchase_hours SET hour = 24 WHERE rowid = 0", "break hour BETWEEN 0 AND 23"),
    ("UPDATE customer_stats SET member_level = 7 WHERE rowid = 0", "member_level not in (0, 1, 2, 3, 4)"),
    ("UPDATE customer_stats SET spend = NULL WHERE rowid = 0", "NULL value(s) in spend"),
    ("UPDATE customer_stats SET purchases = purchases + 1 WHERE rowid = 0", "len(spends) = purchases"),
])
def test_a_broken_invariant_is_reported(tmp_path, damage, words):
    db = Database(tmp_path / "d.duckdb")
    assert import_file(db, FIXTURES / "taobao_orders_61_gbk.csv").ok
    assert import_file(db, FIXTURES / "taobao_items_2022.csv").ok
    con = db.cursor()
    con.execute("BEGIN TRANSACTION")
    if "customer_stats SELECT" in damage:       # the primary key would refuse it: a copy without the key
        con.execute("CREATE TABLE cs AS SELECT * FROM customer_stats")
        con.execute("DROP TABLE customer_stats")
        con.execute("ALTER TABLE cs RENAME TO customer_stats")
    con.execute(damage)
    found = models.violations(con)
    con.execute("ROLLBACK")
    assert any(words in v for v in found), found
    db.close()


def test_what_a_change_reaches():
    assert models.plan({"members"}) == [("customer_stats", "update:members")]   # no other model reads its columns
    assert models.plan({"order_items"}) == [("item_titles", "build"), ("item_buyers", "build")]
    steps = [name for name, _ in models.plan({"orders"})]
    assert set(steps) == {m.name for m in models.stored()}
    assert steps.index("customer_stats") < steps.index("buyer_months") < len(steps)
    assert steps.index("purchase_facts") < steps.index("purchase_hours")


def test_a_member_import_updates_the_member_columns_only(tmp_path):
    db = Database(tmp_path / "d.duckdb")
    assert import_file(db, FIXTURES / "taobao_orders_61_gbk.csv").ok
    before = db.query("SELECT * FROM buyer_months ORDER BY ALL")
    assert import_file(db, FIXTURES / "taobao_members_isv.csv").ok
    stats = "SELECT * REPLACE (list_sort(spends) AS spends) FROM customer_stats ORDER BY cust_no"
    got = db.query(stats)
    with db.write() as cur:       # a full rebuild gives the same table
        models.refresh(cur, set(), rebuild={"customer_stats"})
    assert db.query(stats) == got
    assert db.query("SELECT * FROM buyer_months ORDER BY ALL") == before
    assert db.scalar("SELECT count(*) FROM customer_stats WHERE member_level IS NOT NULL") > 0
    db.close()


def test_a_changed_definition_is_rebuilt_when_the_database_opens(tmp_path, monkeypatch):
    path = tmp_path / "d.duckdb"
    db = Database(path)
    assert import_file(db, FIXTURES / "taobao_orders_61_gbk.csv").ok
    hours = db.query("SELECT * FROM purchase_hours ORDER BY ALL")
    with db.write() as cur:     # as a definition changed since the table was built would leave it
        cur.execute("DELETE FROM purchase_hours")
        cur.execute("UPDATE meta SET value = 'old' WHERE key = 'model:purchase_hours'")
        cur.execute("DELETE FROM buyer_months")
    db.close()
    db = Database(path)
    assert db.query("SELECT * FROM purchase_hours ORDER BY ALL") == hours
    assert db.scalar("SELECT count(*) FROM buyer_months") == 0   # not reached by the change: left as it was
    assert db.scalar("SELECT value FROM meta WHERE key = 'model:purchase_hours'") == models.load()["purchase_hours"].digest
    db.close()


def test_a_database_from_before_the_digests_keeps_its_tables(tmp_path):
    path = tmp_path / "d.duckdb"
    db = Database(path)
    assert import_file(db, FIXTURES / "taobao_orders_61_gbk.csv").ok
    with db.write() as cur:
        cur.execute("DELETE FROM meta WHERE key LIKE 'model:%'")
        cur.execute("DROP TABLE item_buyers")
    db.close()
    db = Database(path)
    assert db.scalar("SELECT count(*) FROM meta WHERE key LIKE 'model:%'") == len(models.stored())
    assert db.scalar("SELECT count(*) FROM item_buyers") > 0      # the missing table is made and filled
    db.close()


@pytest.mark.parametrize("text, problem", [
    ("-- x\nSELECT 1;", "expected 'depends:'"),
    ("-- x\n-- depends: orders\nCREATE TABLE other (a INT);\nSELECT 1;", "must be CREATE TABLE bad"),
    ("-- x\n-- depends: orders\nCREATE TABLE bad (a INT);\nSELECT 1", "no ';'"),
])
def test_a_model_file_out_of_shape_is_named(text, problem):
    with pytest.raises(ValueError, match=problem) as e:
        models.parse("bad", text)
    assert "bad.sql" in str(e.value)
