"""Real invoice-line logs (tests/fixtures/invoice_log_a.csv, _b.csv: the online-retail shape with
credit notes, stock adjustments, guest lines, two lines that differ only in their stock code) and
the rules they rely on: returns and corrections are neither purchases nor rejected rows, exact
duplicates compare every column, an overlapping export merges to the union, a file none of whose
rows import is refused, buyer keys written as decimals are the same key. Every number here is
computed by hand in expected.json's notes."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from crm import i18n
from crm.importing import import_file
from crm.importing.detect import guess_generic
from crm.summary import summary
from tests.conftest import FIXTURES
from tests.unit.test_cli import crm

A, B = FIXTURES / "invoice_log_a.csv", FIXTURES / "invoice_log_b.csv"
UNION = {"orders": 12, "gmv": Decimal("502.20"), "buyers": 6, "members": 6, "repeat_buyers": 2}
UNION_RETURNS = (9, Decimal("-11127.62"))


def _totals(db) -> dict:
    s = summary(db)
    return {k: s[k] for k in UNION}


def _returns(db):
    return db.query("SELECT count(*), sum(amount) FROM returns")[0]


def _orders(db):
    return db.query("SELECT order_key, customer_id, ordered_at, amount, refund, spend, is_purchase FROM orders ORDER BY 1")


def test_overlapping_export_merges_to_exactly_the_union(db):
    a = import_file(db, A)
    b = import_file(db, B)
    assert a.ok and b.ok
    assert (b.orders_new, b.orders_updated, b.orders_unchanged) == (3, 0, 1)   # 536597 is in both
    assert (b.returns_lines, Decimal(str(b.returns_amount))) == (2, Decimal("-6.65"))   # as in the file
    # 536597 5.90 once; 536800 44.40 + 536801 18.00 + 536803 25.50 added; 17850 and 13047 buy again
    assert _totals(db) == UNION
    # the credit note in both files is stored once; C536802 is added
    assert _returns(db) == UNION_RETURNS
    assert db.query("SELECT returns_lines FROM imports ORDER BY import_id") == [(8,), (2,)]


def test_the_order_of_the_exports_does_not_matter(db, tmp_path):
    from crm.db import Database
    assert import_file(db, A).ok and import_file(db, B).ok
    other = Database(tmp_path / "other.duckdb")
    try:
        assert import_file(other, B).ok and import_file(other, A).ok
        assert _orders(other) == _orders(db)
        assert _totals(other) == UNION and _returns(other) == UNION_RETURNS
        assert (other.query("SELECT return_key, amount FROM returns ORDER BY 1")
                == db.query("SELECT return_key, amount FROM returns ORDER BY 1"))
    finally:
        other.close()


def test_the_same_log_again_changes_nothing(db):
    assert import_file(db, A).ok
    orders, totals, returns = _orders(db), _totals(db), _returns(db)
    again = import_file(db, A)
    assert again.ok and again.orders_new == 0 and again.orders_updated == 0 and again.orders_unchanged == 9
    assert again.returns_lines == 8                  # the file's own count; none stored twice
    assert (_orders(db), _totals(db), _returns(db)) == (orders, totals, returns)


def test_lines_that_differ_in_any_column_are_two_lines(db, make_file):
    """Same invoice, title, quantity and price: different stock codes are two lines, the same stock
    code (every column equal) one."""
    head = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    f = make_file("lines.csv", head +
                  "900001,22728,ALARM CLOCK,2,12/1/2010 8:45,3.75,12583,France\n"
                  "900001,22727,ALARM CLOCK,2,12/1/2010 8:45,3.75,12583,France\n"
                  "900002,22728,ALARM CLOCK,2,12/1/2010 9:45,3.75,12583,France\n"
                  "900002,22728,ALARM CLOCK,2,12/1/2010 9:45,3.75,12583,France\n"
                  "900003,22728,ALARM CLOCK,2,12/1/2010 10:45,3.75,12583,France\n"
                  "900003,22728,ALARM CLOCK,2,12/1/2010 10:45,3.75,12583,Germany\n")
    r = import_file(db, f)
    assert r.ok and ("warn_duplicate_rows", {"count": 1}) in r.warnings
    assert db.query("SELECT order_id, amount FROM orders ORDER BY 1") == [
        ("900001", Decimal("15.00")), ("900002", Decimal("7.50")), ("900003", Decimal("15.00"))]


def test_returns_in_a_log_without_order_ids(db, make_file):
    """Each row its own order; a negative amount is a return, kept once across imports."""
    f = make_file("log.csv", "user_id,order_dt,order_amount\n"
                  "1,1997-01-01,10.00\n2,1997-01-02,-4.00\n1,1997-01-03,5.00\n2,1997-01-02,-4.00\n")
    r = import_file(db, f)
    assert r.ok and r.orders_new == 2 and r.rows_rejected == 0 and r.returns_lines == 2
    assert db.query("SELECT line, customer_id, amount FROM returns ORDER BY line") == [
        (3, "2", Decimal("-4.00")), (5, "2", Decimal("-4.00"))]   # identical rows both count: a log
    assert summary(db)["gmv"] == Decimal("15.00") and summary(db)["buyers"] == 1
    assert import_file(db, f).ok and db.scalar("SELECT count(*) FROM returns") == 2


def test_a_return_line_of_a_taobao_export_is_not_a_rejected_row(db):
    r = import_file(db, FIXTURES / "bad" / "negative_amounts.csv")
    assert r.ok and r.returns_lines == 3 and r.rows_rejected == 1          # only the negative refund
    assert db.query("SELECT reason FROM rejects") == [("negative_amount",)]


def test_cli_json_reports_returns_and_history_keeps_them(tmp_path):
    db = tmp_path / "x.duckdb"
    code, out, err = crm("--db", str(db), "import", str(A), "--json", cwd=tmp_path)
    assert code == 0, err
    d = json.loads(out)[0]
    assert d["returns"] == {"lines": 8, "amount": -11123.92}
    assert d["returns_lines"] == 8 and d["rows_rejected"] == 0 and d["orders_new"] == 9
    code, out, err = crm("--db", str(db), "import", str(B), cwd=tmp_path)
    assert code == 0 and "returns/corrections: 2 lines, -¥6.65" in out
    code, out, err = crm("--db", str(db), "summary", "--json", cwd=tmp_path)
    s = json.loads(out)
    assert (s["orders"], s["gmv"], s["buyers"], s["repeat_buyers"]) == (12, 502.2, 6, 2)
    from crm.db import Database
    from crm import ledger
    with Database(db) as d2:
        hist = ledger.history(d2)
        assert list(hist["returns_lines"]) == [2, 8]
        assert [float(x) for x in hist["returns_amount"]] == [-6.65, -11123.92]


def test_a_file_none_of_whose_rows_import_is_a_failed_import(db, make_file, tmp_path):
    rows = "".join(f"u{i},2025-01-{i % 28 + 1:02d},n/a{i}\n" for i in range(50))
    f = make_file("all_bad.csv", "user_id,order_dt,order_amount\n" + rows)
    r = import_file(db, f)
    assert not r.ok and r.message == ("refused_all_rejected", {"count": 50, "reasons": [["bad_amount", 50]]})
    assert i18n.msg(r.message, "en") == "None of the 50 rows could be imported: every amount is unreadable."
    assert i18n.msg(r.message, "zh") == "50 行都无法导入：每一行的金额都无法识别。"
    assert len(r.rejected_rows) == 50 and r.rejected_rows[0][:4] == (2, "amount", "n/a0", "bad_amount")
    assert db.scalar("SELECT count(*) FROM imports") == 0 and db.scalar("SELECT count(*) FROM rejects") == 0
    # the command line: non-zero, one line that says why, no traceback
    code, out, err = crm("--db", str(tmp_path / "c.duckdb"), "import", str(f), cwd=tmp_path)
    assert code == 1 and "Traceback" not in err
    assert err.strip() == "all_bad.csv: not imported: None of the 50 rows could be imported: every amount is unreadable."


def test_several_reasons_are_named_with_their_counts(db, make_file):
    f = make_file("mixed.csv", "user_id,order_dt,order_amount\nu1,2025-01-01,x\nu2,2025-01-02,y\nu3,nodate,5\n")
    r = import_file(db, f)
    assert r.message[0] == "refused_all_rejected"
    assert i18n.msg(r.message, "en") == ("None of the 3 rows could be imported: amount not recognised (2 rows); "
                                         "date not recognised (1 rows).")


def test_a_file_of_returns_only_is_imported(db, make_file):
    f = make_file("credits.csv", "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
                  "C1,A,X,-1,12/1/2010 9:00,2.00,1\nC2,B,Y,-2,12/1/2010 9:30,1.00,2\n")
    r = import_file(db, f)
    assert r.ok and r.orders_new == 0 and r.returns_lines == 2 and r.rows_rejected == 0


def test_buyer_keys_written_as_decimals_are_the_same_customer(db, make_file):
    orders = make_file("o.csv", "customer_id,order_dt,order_amount\n13085.0,2025-01-01,10\n 13085 ,2025-02-01,20\n"
                       "13085.00,2025-03-01,5\n")
    members = make_file("m.csv", "customer_id,level\n13085,VIP会员\n")
    assert import_file(db, orders).ok and import_file(db, members).ok
    assert db.query("SELECT customer_id FROM customers") == [("13085",)]
    s = summary(db)
    assert (s["members"], s["buyers"], s["repeat_buyers"], s["orders"]) == (1, 1, 1, 3)


@pytest.mark.parametrize("header, mapping", [
    (["Client", "Sale Date", "Dollars"], {"customer_id": "Client", "ordered_at": "Sale Date", "amount": "Dollars"}),
    (["customer", "date", "sales"], {"customer_id": "customer", "ordered_at": "date", "amount": "sales"}),
    (["member", "time", "revenue"], {"customer_id": "member", "ordered_at": "time", "amount": "revenue"}),
    (["user", "order_date", "order_total"], {"customer_id": "user", "ordered_at": "order_date", "amount": "order_total"}),
    (["buyer", "created", "grand total"], {"customer_id": "buyer", "ordered_at": "created", "amount": "grand total"}),
    (["客户", "日期", "金额"], {"customer_id": "客户", "ordered_at": "日期", "amount": "金额"}),
    (["会员", "下单时间", "实付"], {"customer_id": "会员", "ordered_at": "下单时间", "amount": "实付"}),
    (["会员名称", "成交时间", "实付款", "运费"], {"customer_id": "会员名称", "ordered_at": "成交时间", "amount": "实付款"}),
    (["Customer Name", "Order Date", "Grand Total (USD)", "Shipping"],
     {"customer_id": "Customer Name", "ordered_at": "Order Date", "amount": "Grand Total (USD)"}),
    (["client_id", "txn_date", "amount_paid", "refund_amount"],
     {"customer_id": "client_id", "ordered_at": "txn_date", "amount": "amount_paid", "refund": "refund_amount"}),
    (["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"],
     {"order_id": "Invoice", "customer_id": "Customer ID", "ordered_at": "InvoiceDate", "quantity": "Quantity",
      "price": "Price", "item_title": "Description", "sku": "StockCode"}),
])
def test_a_sellers_own_column_names_are_recognised(header, mapping):
    det = guess_generic(header)
    assert det is not None and det.named_mapping(header) == mapping


@pytest.mark.parametrize("header", [
    ["user", "date", "sales usd", "sales cny"],     # two equally good amounts: ask
    ["Kunde", "Datum", "Betrag"],                  # words we do not know: ask
    ["customer_count", "date", "total"],           # a count of customers is no customer
])
def test_asks_for_a_mapping_when_it_cannot_tell(header):
    assert guess_generic(header) is None


def test_values_decide_between_look_alike_columns():
    """`order_value` holds dates here, so the amount is the column whose values are numbers."""
    header = ["customer", "order_value", "sales", "date"]
    rows = [["a", "2025-01-01", "10.00", "2025-01-01"], ["b", "2025-01-02", "12.50", "2025-01-02"]]
    det = guess_generic(header, rows)
    assert det.named_mapping(header)["amount"] == "sales"
