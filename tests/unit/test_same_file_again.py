"""The same file imported again, right after itself, is recognised and not read a second time —
and what it reports and stores is exactly what reading it again would have given."""
import datetime as dt

import pytest

from crm import privacy, tags
from crm.db import Database
from crm.importing import pipeline
from crm.importing.pipeline import import_file
from tests.unit.test_merge_paths import NORMAL

# Orders with rejects and warnings, returns, line-level orders with items, an item file, members,
# a file without order ids (its keys come from the file's digest), GBK and an XLSX.
FILES = ["quirk_amounts.csv", "quirk_dates.csv", "invoice_log_a.csv", "shopify_orders.csv",
         "taobao_items_2022.csv", "taobao_members_isv.csv", "generic_cdnow.csv", "taobao_orders_54_gbk.csv",
         "taobao_orders.xlsx", "douyin_orders.csv"]

TABLES = {"orders": "*", "order_items": "*", "members": "*",
          "customers": "*", "rejects": "*", "returns": "*", "customer_stats": "*",
          "imports": "* EXCLUDE (started_at, finished_at, warnings)"}


def _dump(db: Database) -> dict:
    return {t: [sorted(db.query(q), key=repr) for q in NORMAL.get(t, [f"SELECT {cols} FROM {t}"])]
            for t, cols in TABLES.items()}


def _figures(r) -> dict:
    d = r.to_dict()
    d.pop("seconds")
    d["warnings"] = [w for w in d["warnings"] if w["key"] != "warn_same_file"]
    return d


@pytest.mark.parametrize("name", FILES)
def test_again_equals_reading_it_again(tmp_path, fixture, monkeypatch, name):
    quick = Database(tmp_path / "quick.duckdb")
    slow = Database(tmp_path / "slow.duckdb")
    try:
        for d in (quick, slow):
            assert import_file(d, fixture(name)).ok
        again = import_file(quick, fixture(name))
        assert ("warn_same_file", {"import_id": 1}) in again.warnings
        with monkeypatch.context() as m:
            m.setattr(pipeline, "_repeat_last", lambda *a: False)
            full = import_file(slow, fixture(name))
        assert not any(k == "warn_same_file" for k, _ in full.warnings)
        assert again.ok and full.ok
        assert _figures(again) == _figures(full)
        assert again.orders_new == again.orders_updated == again.members_new == again.items_new == 0
        assert _dump(quick) == _dump(slow)
        # A third time is again a repeat (of the repeat).
        third = import_file(quick, fixture(name))
        assert ("warn_same_file", {"import_id": 2}) in third.warnings
        assert {**_figures(third), "import_id": 2} == _figures(full)
    finally:
        quick.close()
        slow.close()


def _repeated(r) -> bool:
    return any(k == "warn_same_file" for k, _ in r.warnings)


def test_anything_between_means_reading_it_again(db, fixture, monkeypatch):
    a, b = fixture("taobao_overlap_a.csv"), fixture("taobao_overlap_b.csv")
    assert import_file(db, a).ok
    assert import_file(db, b).ok
    r = import_file(db, a)              # another file came between: a is read (and wins again)
    assert not _repeated(r) and r.orders_updated > 0
    assert _repeated(import_file(db, a))

    tags.create_tag(db, "vip")          # any edit since
    assert not _repeated(import_file(db, a))

    privacy.set_drop_contacts(db, True)  # another contact setting
    assert not _repeated(import_file(db, a))
    assert _repeated(import_file(db, a))

    # Another day: a date that was "in the future" yesterday may not be today.
    monkeypatch.setattr(pipeline, "_today", lambda: dt.date.today() + dt.timedelta(days=1))
    assert not _repeated(import_file(db, a))

    # The same text under another mapping is another import.
    r = import_file(db, a, mapping={"order_id": "订单编号", "customer_id": "买家会员名",
                                    "ordered_at": "订单付款时间", "amount": "买家实际支付金额"})
    assert r.ok and not _repeated(r)


def test_a_refused_import_between_changes_nothing(db, fixture, make_file):
    a = fixture("taobao_overlap_a.csv")
    assert import_file(db, a).ok
    assert not import_file(db, make_file("x.csv", "just,some\nthing,else\n")).ok
    assert _repeated(import_file(db, a))


def test_same_bytes_under_another_name(db, fixture, tmp_path):
    a = fixture("taobao_overlap_a.csv")
    copy = tmp_path / "copy_of_a.csv"
    copy.write_bytes(a.read_bytes())
    assert import_file(db, a).ok
    r = import_file(db, copy)
    assert _repeated(r) and r.file_name == "copy_of_a.csv"
    assert db.query("SELECT file_name FROM imports ORDER BY import_id") == [("taobao_overlap_a.csv",), ("copy_of_a.csv",)]
