"""The definitions of the README on tiny hand-checkable files, and the data-safety promises."""
import json
from decimal import Decimal

import pytest

from crm.importing import import_file
from crm.importing import pipeline
from crm.summary import summary

HEADER = "order_id,customer,order_time,paid_time,status,amount,refund\n"


def orders(db):
    return {r[0]: r[1:] for r in db.query(
        "SELECT order_key, is_paid, is_purchase, spend, refund, status FROM orders ORDER BY 1")}


def test_purchase_definition(db, make_file):
    f = make_file("log.csv", HEADER +
                  "A1,ann,2025-01-01 10:00:00,2025-01-01 10:01:00,paid,100.00,0\n"      # purchase 100
                  "A2,ann,2025-01-02 10:00:00,,unpaid,50.00,0\n"                          # unpaid
                  "A3,bob,2025-01-03 10:00:00,,closed,60.00,0\n"                          # closed before payment
                  "A4,bob,2025-01-04 10:00:00,2025-01-04 10:05:00,closed,80.00,80.00\n"   # refunded in full
                  "A5,cat,2025-01-05 10:00:00,2025-01-05 10:05:00,completed,90.00,30.00\n"  # partial: 60
                  "A6,cat,2025-01-06 10:00:00,2025-01-06 10:05:00,completed,0.00,0\n")   # gift: purchase, 0
    r = import_file(db, f, mapping={"order_id": "order_id", "customer_id": "customer", "ordered_at": "order_time",
                                    "paid_at": "paid_time", "status": "status", "amount": "amount", "refund": "refund"})
    assert r.ok, r.message
    o = orders(db)
    assert [k for k, v in o.items() if v[1]] == ["A1", "A5", "A6"]
    assert o["A5"][2] == Decimal("60.00") and o["A6"][2] == Decimal("0.00")
    s = summary(db)
    assert s["orders"] == 3 and s["gmv"] == Decimal("160.00")
    assert s["buyers"] == 2 and s["repeat_buyers"] == 1          # ann 1, cat 2 (A5, A6)
    assert s["members"] == 3                                      # ann, bob, cat
    assert s["avg_order_value"] == Decimal("53.33")               # 160 / 3
    assert s["avg_spend_per_buyer"] == Decimal("80.00")           # 160 / 2
    assert s["repurchase_rate"] == Decimal("0.5000")


def test_file_without_status_or_payment_every_row_paid(db, make_file):
    f = make_file("log.csv", "customer_id,date,amount\nx,2025-01-01,10\ny,2025-01-02,20\n")
    assert import_file(db, f).ok
    assert summary(db)["orders"] == 2


def test_file_without_ids_keeps_identical_rows_and_reimport_adds_nothing(db, make_file):
    f = make_file("cdnow.csv", "user_id,order_dt,order_products,order_amount\n"
                  "1,19970101,1,11.77\n2,19970112,5,77.00\n2,19970112,5,77.00\n")
    r1 = import_file(db, f)
    assert r1.ok and r1.orders_new == 3
    r2 = import_file(db, f)
    assert r2.ok and r2.orders_new == 0 and r2.orders_unchanged == 3
    s = summary(db)
    assert s["orders"] == 3 and s["gmv"] == Decimal("165.77") and s["repeat_buyers"] == 1


def test_overlapping_exports_update_shared_orders(db, make_file):
    m = {"order_id": "order_id", "customer_id": "customer", "ordered_at": "order_time", "paid_at": "paid_time",
         "status": "status", "amount": "amount", "refund": "refund"}
    a = make_file("a.csv", HEADER +
                  "B1,ann,2025-01-01 10:00:00,2025-01-01 10:00:00,shipped,100,0\n"
                  "B2,bob,2025-01-02 10:00:00,2025-01-02 10:00:00,shipped,50,0\n"
                  "B3,cat,2025-01-03 10:00:00,2025-01-03 10:00:00,completed,70,0\n")
    b = make_file("b.csv", HEADER +
                  "B2,bob,2025-01-02 10:00:00,2025-01-02 10:00:00,completed,50,0\n"
                  "B3,cat,2025-01-03 10:00:00,2025-01-03 10:00:00,completed,70,70\n"
                  "B1,ann,2025-01-01 10:00:00,2025-01-01 10:00:00,shipped,100,0\n"
                  "B4,dan,2025-01-04 10:00:00,2025-01-04 10:00:00,paid,20,0\n")
    assert import_file(db, a, mapping=m).orders_new == 3
    r = import_file(db, b, mapping=m)
    assert (r.orders_new, r.orders_updated, r.orders_unchanged) == (1, 2, 1)
    s = summary(db)
    assert s["orders"] == 3 and s["gmv"] == Decimal("170.00")
    assert db.scalar("SELECT count(*) FROM orders") == 4


def test_bad_rows_are_rejected_alone_with_line_and_reason(db, make_file):
    f = make_file("log.csv", "customer_id,date,amount\n"
                  "x,2025-01-01,10\n"
                  "y,2025-13-45,20\n"      # line 3: bad date
                  "z,2025-01-03,abc\n"     # line 4: bad amount
                  "w,2025-01-04,\"5\n")    # line 5: unterminated quote
    r = import_file(db, f)
    assert r.ok and r.orders_new == 1 and r.rows_rejected == 3
    rej = db.query("SELECT line, column_name, reason FROM rejects WHERE import_id = ? ORDER BY line", [r.import_id])
    assert rej[0] == (3, "ordered_at", "bad_date")
    assert rej[1] == (4, "amount", "bad_amount")
    assert rej[2][2] == "malformed_line" and rej[2][0] == 5


def test_import_is_all_or_nothing(db, make_file, monkeypatch):
    good = make_file("a.csv", "customer_id,date,amount\nx,2025-01-01,10\n")
    assert import_file(db, good).ok
    before = db.query("SELECT * FROM orders ORDER BY order_key"), db.query("SELECT count(*) FROM imports")

    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(pipeline, "_merge_orders", boom)
    f = make_file("b.csv", "customer_id,date,amount\ny,2025-01-02,20\nz,2025-01-03,30\n")
    with pytest.raises(RuntimeError):
        import_file(db, f)
    after = db.query("SELECT * FROM orders ORDER BY order_key"), db.query("SELECT count(*) FROM imports")
    assert before == after


@pytest.mark.parametrize("content, key", [
    (b"", "refused_empty"),
    (b"customer_id,date,amount\n", "refused_no_rows"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "refused_pdf"),
    (b"\x00\x01\x02\x03binary\x00\xff", "refused_binary"),
    ("城市,温度\n北京,3\n".encode("gb18030"), "refused_unrecognised"),
    (b"customer_id,date\nx,2025-01-01\n", "refused_missing_columns"),
])
def test_refused_files_leave_the_database_untouched(db, make_file, tmp_path, content, key):
    seed = make_file("seed.csv", "customer_id,date,amount\nx,2025-01-01,10\n")
    assert import_file(db, seed).ok
    snapshot = [db.query(f"SELECT * FROM {t} ORDER BY ALL") for t in ("orders", "members", "imports", "rejects")]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    r = import_file(db, bad)
    assert not r.ok and r.message[0] == key
    assert snapshot == [db.query(f"SELECT * FROM {t} ORDER BY ALL") for t in ("orders", "members", "imports", "rejects")]


def test_ledger_records_each_import(db, make_file):
    f = make_file("a.csv", "customer_id,date,amount\nx,2025-01-01,10\ny,2025-02-01,20\n")
    r = import_file(db, f)
    row = db.query("SELECT file_name, format, rows_read, orders_new, date_min::VARCHAR, date_max::VARCHAR, warnings "
                   "FROM imports WHERE import_id = ?", [r.import_id])[0]
    assert row[:6] == ("a.csv", "generic", 2, 2, "2025-01-01 00:00:00", "2025-02-01 00:00:00")
    assert any(w["key"] == "warn_no_order_ids" for w in json.loads(row[6]))


def test_generic_line_level_log_sums_lines_of_one_order(db, make_file):
    # Online-Retail style: one row per item, amount = quantity × unit price.
    f = make_file("retail.csv", "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
                  "536365,85123A,MUG,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
                  "536365,71053,LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom\n"
                  "536366,22633,HAND WARMER,6,12/1/2010 8:28,1.85,17850,United Kingdom\n")
    r = import_file(db, f)
    assert r.ok, r.message
    assert r.orders_new == 2
    assert db.query("SELECT order_key, amount FROM orders ORDER BY 1") == [
        ("536365", Decimal("35.64")), ("536366", Decimal("11.10"))]


def test_headerless_log_is_recognised_by_its_values(db, fixture):
    # CDNOW_master.txt layout: no header, whitespace-aligned, ids zero-padded.
    r = import_file(db, fixture("generic_cdnow.txt"))
    assert r.ok and r.orders_new == 10
    assert r.mapping == {"customer_id": "column1", "ordered_at": "column2", "amount": "column4", "quantity": "column3"}
    assert any(k == "warn_columns_guessed_values" for k, _ in r.warnings)


def test_user_mapping_is_remembered_for_the_same_header(db, fixture):
    from crm.importing import Refused  # noqa: F401
    m = {"customer_id": "Kunde", "ordered_at": "Datum", "amount": "Betrag", "order_id": "Bestellnummer"}
    assert not import_file(db, fixture("generic_custom.csv")).ok
    assert import_file(db, fixture("generic_custom.csv"), mapping=m, remember_mapping=True).ok
    r = import_file(db, fixture("generic_custom.csv"))
    assert r.ok and r.orders_unchanged == 6


def test_map_by_column_number_and_unknown_column_message(db, fixture):
    r = import_file(db, fixture("generic_custom.csv"), mapping={"customer_id": "1", "ordered_at": "2", "amount": "3"})
    assert r.ok and r.orders_new == 6
    r = import_file(db, fixture("generic_custom.csv"), mapping={"customer_id": "Kundennummer"})
    assert not r.ok and r.message[0] == "refused_unknown_column" and "Kunde" in r.message[1]["columns"]


def test_a_rejected_or_returned_rows_text_is_its_cells(db, make_file):
    """The text kept with a rejected row (and a return line) is its cells joined by commas, an empty
    cell as nothing — also the columns the format does not read, a quoted cell with a comma or a
    line break, and a tab-separated file; the row number is the one a spreadsheet shows."""
    f = make_file("log.csv", "order_id,customer,order_time,amount,note,phone\n"
                  "A1,ann,2025-01-01 10:00:00,100.00,,13800000001\n"
                  'A2,bob,2025-01-02 10:00:00,abc,"gift, wrapped",13800000002\n'
                  'A3,cat,2025-01-03 10:00:00,12.00,"two\nlines",\n'
                  "A4,dan,2025-01-04 10:00:00,-5.00,credit,13800000004\n"
                  "A5,eve,yesterday,7.00,,13800000005\n")
    r = import_file(db, f)
    assert r.ok and r.orders_new == 2 and r.returns_lines == 1
    assert db.query("SELECT line, reason, raw FROM rejects ORDER BY line") == [
        (3, "bad_amount", "A2,bob,2025-01-02 10:00:00,abc,gift, wrapped,13800000002"),     # cells, not quoting
        (6, "bad_date", "A5,eve,yesterday,7.00,,13800000005")]
    assert db.query("SELECT line, raw FROM returns") == [(5, "A4,dan,2025-01-04 10:00:00,-5.00,credit,13800000004")]
    t = make_file("log.tsv", "order_id\tcustomer\torder_time\tamount\n"
                  "B1\tann\t2025-01-01 10:00:00\t1.00\nB2\tbob\t2025-01-02 10:00:00\tx,y\n")
    r = import_file(db, t)
    assert r.ok and db.query("SELECT line, raw FROM rejects WHERE import_id = ?", [r.import_id]) == [
        (3, "B2,bob,2025-01-02 10:00:00,x,y")]


def test_contacts_stay_out_of_a_rejected_rows_text(db, make_file):
    from crm import privacy
    privacy.set_drop_contacts(db, True)
    f = make_file("log.csv", "order_id,customer,order_time,amount,phone\n"
                  "A1,ann,2025-01-01 10:00:00,abc,13800000001\nA2,bob,2025-01-02 10:00:00,-3,13800000002\n"
                  "A3,cat,2025-01-03 10:00:00,3,13800000003\n")
    r = import_file(db, f)
    assert r.ok and r.mapping.get("phone") == "phone"
    assert db.query("SELECT raw FROM rejects UNION ALL SELECT raw FROM returns ORDER BY 1") == [
        ("A1,ann,2025-01-01 10:00:00,abc,",), ("A2,bob,2025-01-02 10:00:00,-3,",)]
