"""Every fixture file in a real platform format, against numbers worked out by hand
(tests/fixtures/expected.json, written from the rows of make_fixtures.py, not by the importer)."""
import json
from decimal import Decimal

import pytest

from crm.db import Database
from crm.importing import import_file
from crm.summary import summary
from tests.conftest import FIXTURES

EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
FILES = {k: v for k, v in EXPECTED.items() if not k.startswith("_") and (FIXTURES / k).exists()}
REFUSAL_KEYS = {"empty": "refused_empty", "no_rows": "refused_no_rows", "binary": "refused_binary",
                "pdf": "refused_pdf", "zip": "refused_zip", "no_amount_column": "refused_missing_columns",
                "unrecognised": "refused_unrecognised"}


def _import(db, name, mapping=None):
    return import_file(db, FIXTURES / name, mapping=mapping)


def _ts(v):
    return v.strftime("%Y-%m-%d %H:%M:%S") if v is not None else None


def _mapping(exp):
    m = exp.get("mapping")
    return {k: (f"column{v}" if isinstance(v, int) else v) for k, v in m.items()} if m else None


def check_orders(db, name, exp, result):
    assert result.ok, result.message
    assert result.format == exp["format"]
    malformed = sum(1 for r in exp["rejected"] if r["reason"] == "malformed_line")
    assert result.rows_read in (exp["rows"], exp["rows"] + malformed)  # a cut-off last line was read, then rejected
    assert db.scalar("SELECT count(*) FROM orders") == exp["orders"]
    s = summary(db)
    assert s["orders"] == exp["purchases"]
    assert s["gmv"] == Decimal(exp["gmv"])
    assert s["buyers"] == exp["buyers"]
    assert s["members"] == exp["members"]
    if "repeat_buyers" in exp:
        assert s["repeat_buyers"] == exp["repeat_buyers"]
    first, last = db.query("SELECT min(ordered_at), max(ordered_at) FROM orders")[0]
    assert (_ts(first), _ts(last)) == (exp["first_order_at"], exp["last_order_at"])
    rejected = db.query("SELECT line, column_name, reason FROM rejects ORDER BY line")
    assert [{"line": a, "column": b, "reason": c} for a, b, c in rejected] == exp["rejected"]
    returns = exp.get("returns", {"lines": [], "amount": "0"})
    assert [r[0] for r in db.query("SELECT line FROM returns ORDER BY line")] == returns["lines"]
    assert result.returns_lines == len(returns["lines"])
    assert Decimal(str(result.returns_amount)) == Decimal(returns["amount"])
    for q_field, q_exp in (exp.get("order_quantity") or {}).items():
        assert db.scalar("SELECT quantity FROM orders WHERE order_id = ?", [q_field]) == q_exp
    for oid, amounts in (exp.get("order_amounts") or {}).items():
        assert db.query("SELECT amount, refund FROM orders WHERE order_id = ?", [oid])[0] == (
            Decimal(amounts["amount"]), Decimal(amounts["refund"]))
    for spot in exp.get("spot", []):
        if "order_id" not in spot:
            continue
        row = db.query("""SELECT customer_id, status_raw, amount, refund, ordered_at, paid_at, quantity, phone,
                                 province, city, is_purchase FROM orders WHERE order_id = ?""", [spot["order_id"]])
        assert row, f"order {spot['order_id']} (line {spot['line']}) missing"
        got = dict(zip(["customer_id", "status", "amount", "refund", "ordered_at", "paid_at", "quantity", "phone",
                        "province", "city", "purchase"], row[0]))
        for k, v in spot.items():
            if k in ("line", "order_id") or k not in got:
                continue
            g = got[k]
            if k in ("amount", "refund"):
                assert g == (Decimal(v) if v is not None else Decimal("0.00")), (spot, k, g)
            elif k in ("ordered_at", "paid_at"):
                assert _ts(g) == v, (spot, k, g)
            else:
                assert g == v, (spot, k, g)


@pytest.mark.parametrize("name", sorted(FILES))
def test_fixture(db, name):
    exp = FILES[name]
    if exp["kind"] == "refused":
        r = _import(db, name)
        assert not r.ok
        assert r.message[0] == REFUSAL_KEYS[exp["reason"]]
        assert db.scalar("SELECT count(*) FROM orders") == 0 and db.scalar("SELECT count(*) FROM imports") == 0
        if "with_mapping" in exp:
            w = exp["with_mapping"]
            check_orders(db, name, {**w, "format": "generic", "rows": w["rows"]}, _import(db, name, w["map"]))
        return
    if "must" in exp:  # unmatched quote: several behaviours are acceptable, the good rows must land
        r = _import(db, name)
        assert r.ok
        ids = {x[0] for x in db.query("SELECT order_id FROM orders")}
        assert set(exp["must"]["imported_order_ids"]) <= ids
        outcomes = {o["name"]: o for o in exp["accepted_outcomes"]}
        n = db.scalar("SELECT count(*) FROM orders")
        assert n in {o["orders"] for o in outcomes.values()}
        return
    r = _import(db, name, _mapping(exp))
    if exp["kind"] == "orders":
        check_orders(db, name, exp, r)
    elif exp["kind"] == "members":
        assert r.ok, r.message
        assert r.format == exp["format"] and r.rows_read == exp["rows"]
        assert db.scalar("SELECT count(*) FROM members") == exp["members"]
        assert summary(db)["members"] == exp["members"]
        if "levels" in exp:
            got = dict(db.query("SELECT level_code::VARCHAR, count(*) FROM members GROUP BY 1"))
            assert got == exp["levels"]
        if "trade_count_total" in exp:
            assert db.scalar("SELECT sum(trade_count) FROM members") == exp["trade_count_total"]
            assert db.scalar("SELECT sum(trade_amount) FROM members") == Decimal(exp["trade_amount_total"])
        if "missing_last_trade_at" in exp:
            assert db.scalar("SELECT count(*) FROM members WHERE last_trade_at IS NULL") == exp["missing_last_trade_at"]
        for spot in exp.get("spot", []):
            row = db.query("SELECT level, level_code, trade_count, trade_amount, last_trade_at, phone, province, city "
                           "FROM members WHERE customer_id = ?", [spot["customer_id"]])
            assert row, spot
            got = dict(zip(["level_name", "level", "trade_count", "trade_amount", "last_trade_at", "phone", "province",
                            "city"], row[0]))
            for k, v in spot.items():
                if k in got:
                    g = got[k]
                    if k == "trade_amount":
                        g, v = g, Decimal(v)
                    if k == "last_trade_at":
                        g = _ts(g)
                    assert g == v, (spot, k)
    elif exp["kind"] == "items":
        assert r.ok, r.message
        assert r.format == exp["format"] and r.rows_read == exp["rows"]
        assert db.scalar("SELECT count(*) FROM order_items") == exp["items"]
        assert db.scalar("SELECT count(DISTINCT order_id) FROM order_items") == exp["order_ids"]
        assert db.scalar("SELECT sum(quantity) FROM order_items") == exp["quantity"]
        assert db.scalar("SELECT sum(price * quantity) FROM order_items") == Decimal(exp["item_value"])
        assert db.scalar("SELECT count(*) FROM orders") == 0
        for spot in exp.get("spot", []):
            if "price" in spot:
                row = db.query("SELECT title, price, quantity FROM order_items WHERE order_id = ? AND title = ?",
                               [spot["order_id"], spot["item_title"]])
                assert row and row[0][1] == Decimal(spot["price"]) and row[0][2] == spot["quantity"], spot
        link = exp.get("linked_after_taobao_orders_54")
        if link:
            assert _import(db, "taobao_orders_54_gbk.csv").ok
            found = db.scalar("SELECT count(DISTINCT i.order_id) FROM order_items i JOIN orders o ON o.order_id = i.order_id")
            assert found == link["order_ids_found"]


def test_overlap_a_then_b(db):
    exp = EXPECTED["overlap_a_then_b"]
    assert _import(db, "taobao_overlap_a.csv").ok
    r = _import(db, "taobao_overlap_b.csv")
    assert (r.orders_new, r.orders_updated, r.orders_unchanged) == (exp["b_new"], exp["b_updated"], exp["b_unchanged"])
    s = summary(db)
    assert db.scalar("SELECT count(*) FROM orders") == exp["orders"]
    assert (s["orders"], s["gmv"], s["buyers"], s["members"]) == (exp["purchases"], Decimal(exp["gmv"]), exp["buyers"],
                                                                 exp["members"])


def test_excel_resaved_copy_merges_into_the_original(db):
    exp = EXPECTED["resaved_after_a"]
    assert _import(db, "taobao_overlap_a.csv").ok
    before = db.query("SELECT * EXCLUDE (last_import_id) FROM orders ORDER BY order_key")
    r = _import(db, "taobao_overlap_a_resaved.csv")
    assert (r.orders_new, r.orders_updated, r.orders_unchanged) == (exp["new"], exp["updated"], exp["unchanged"])
    # The copy lost the seconds of its times: the precise original times are kept.
    assert db.query("SELECT * EXCLUDE (last_import_id) FROM orders ORDER BY order_key") == before


def test_two_generations_of_the_same_orders(db):
    exp = EXPECTED["taobao_61_after_54"]
    assert _import(db, "taobao_orders_54_gbk.csv").ok
    r = _import(db, "taobao_orders_61_gbk.csv")
    assert (r.orders_new, r.orders_updated, r.orders_unchanged) == (exp["new"], exp["updated"], exp["unchanged"])
    s = summary(db)
    assert (s["orders"], s["gmv"]) == (exp["purchases"], Decimal(exp["gmv"]))


@pytest.mark.parametrize("name", [k for k, v in FILES.items() if v["kind"] != "refused" and "must" not in v])
def test_same_file_twice_changes_nothing(db, name):
    exp = FILES[name]
    assert _import(db, name, _mapping(exp)).ok
    snapshot = [db.query(f"SELECT * EXCLUDE (last_import_id) FROM {t} ORDER BY ALL") for t in ("orders", "members")]
    r = _import(db, name, _mapping(exp))
    assert r.ok and r.orders_new == 0 and r.orders_updated == 0 and r.members_new == 0 and r.items_new == 0
    assert snapshot == [db.query(f"SELECT * EXCLUDE (last_import_id) FROM {t} ORDER BY ALL") for t in ("orders", "members")]
