"""Orders none of which is stored yet (a first import, the next month's export) are inserted as they
are; the result is exactly what the full merge (compare, keep, update) gives."""
import pytest

from crm.db import Database
from crm.importing import pipeline
from crm.importing.pipeline import import_file

TABLES = ("orders", "customers", "customer_stats", "purchase_facts", "purchase_gaps", "cohort_months",
          "purchase_hours", "buyer_months", "order_value_counts", "buyer_spend_counts", "item_titles",
          "item_buyers", "order_items", "rejects", "returns")

SEQUENCES = [["taobao_orders_54_gbk.csv"], ["invoice_log_a.csv"], ["shopify_orders.csv"], ["generic_cdnow.csv"],
             ["taobao_members_isv.csv", "taobao_orders_54_gbk.csv"],   # members first: customers exist
             ["jd_orders.csv", "pinduoduo_orders.csv", "douyin_orders.csv", "youzan_orders.csv"],  # none overlap
             ["taobao_overlap_a.csv", "taobao_overlap_b.csv"]]          # overlap: the full merge both times


# Where the models leave an order free (purchases of one customer at the same moment are numbered in
# any order; `spends` is in no particular order), compare what is defined.
NORMAL = {"purchase_facts": ["SELECT cust_no, ordered_at, spend FROM purchase_facts",
                             "SELECT * EXCLUDE (spend) FROM purchase_facts"],
          "customer_stats": ["SELECT * REPLACE (list_sort(spends) AS spends) FROM customer_stats"]}


def _state(db: Database) -> dict:
    return {t: [sorted(db.query(q), key=repr) for q in NORMAL.get(t, [f"SELECT * FROM {t}"])] for t in TABLES}


@pytest.mark.parametrize("files", SEQUENCES, ids=lambda f: "+".join(f))
def test_inserting_new_orders_is_the_full_merge(tmp_path, fixture, monkeypatch, files):
    fast, full = Database(tmp_path / "fast.duckdb"), Database(tmp_path / "full.duckdb")
    added = []
    real = pipeline._add_orders
    monkeypatch.setattr(pipeline, "_add_orders", lambda *a: added.append(1) or real(*a))
    try:
        for name in files:
            a = import_file(fast, fixture(name))
            with monkeypatch.context() as m:
                m.setattr(pipeline, "_none_stored", lambda cur: False)
                b = import_file(full, fixture(name))
            strip = lambda r: {k: v for k, v in r.to_dict().items() if k != "seconds"}  # noqa: E731
            assert a.ok and strip(a) == strip(b)
        assert _state(fast) == _state(full)
        assert added, "the insert path was not taken"
    finally:
        fast.close()
        full.close()
