"""The bad-input corpus (tests/fixtures/bad/, written by make_fixtures.py and make_bad.py).

For every file: nothing escapes `import_file`, and the file is either
- refused with a specific message key (never the catch-all `refused_unreadable` when a better one
  exists) whose Chinese and English texts exist, read as a sentence (no placeholder left) and name
  what is wrong and, where there is a where, the line; the database is then exactly as it was, or
- imported with its bad rows rejected one by one, each with its line, column and a reason that has
  a text in both languages, and a ledger that adds up: rows read = rows imported + rows rejected.

Decisions (made here, implemented in crm/importing, checked below):
- Absurd amounts: an order amount, refund or price above ¥10,000,000 (clean.MAX_ORDER_AMOUNT) is
  not a shop's order (it is an order id or a phone number in the wrong column): the row is rejected,
  reason `absurd_amount`; exactly ¥10,000,000.00 is kept. Numbers too large to store are absurd
  too, not "unreadable". A negative amount is a return or correction (kept apart, neither a purchase
  nor a rejected row); a negative refund is rejected (it would add to GMV). `−12.00` (U+2212) and
  `(12.00)` are read as negative.
- Dates: before 1995-01-01 (clean.PLAUSIBLE_FROM) → `date_too_old` (1900-01-01, Excel's 1899-12-30
  and the 1970 epoch are placeholders). The suggested bound was 2000, but the CDNOW log (1997-98),
  a real and much-used public order log, is supported (test_import_rules, test_formats, test_cli),
  and no online shop sold before 1995. After tomorrow (today + 1 day, for shops ahead of this
  computer's clock) → `date_in_future`. The as-of date is not a bound: it is derived from the data
  and edited later, while an import must decide now. Every date column counts (a payment time in
  the future rejects the row), and a text that is no date stays `bad_date`.
- One order id with two different buyers in one file: every row of that order is rejected with
  reason `conflicting_buyer` (column customer_id, value = that row's buyer). Keeping the last (or
  the first) would silently give one customer another's purchase, and the usual cause is two orders
  whose ids Excel rounded to the same number. Exact repeats of a row stay harmless (counted once).
- Two shops in one file: imported; every order keeps its shop (orders.shop), with a warning naming
  the shops, since analyses add them up.
- Duplicated header names: the leftmost column of each name is used, with a warning naming them.
- Formula cells: the value Excel cached is read; a formula error (#DIV/0!) reads as an empty cell
  (that is what the spreadsheet reader gives), so the row is rejected as `missing_amount`.
- A member export given as orders (`--format taobao_orders`), or orders as members: refused with
  `refused_format_mismatch`, naming the chosen and the recognised format.
- Rows whose every cell is empty (Excel adds ",,,,," lines) are not rows: neither read nor rejected.
- A line that decodes in neither UTF-8 nor GBK keeps U+FFFD and a warning; if the damage hits the
  order id or the buyer, the row is rejected (`bad_characters`): a garbled key would split a customer.
- "Line" is the row number as a spreadsheet shows the file (header = 1; for .xlsx the sheet row):
  empty lines count, a line break inside a quoted cell does not. It is also how the CSV reader
  numbers the lines it cannot read, so both kinds of rejects agree.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from crm import i18n
from crm.importing import import_file, pipeline, preview_file
from tests.conftest import FIXTURES

BAD = FIXTURES / "bad"
SEED = FIXTURES / "taobao_orders_61_gbk.csv"
OID = "40000000000000000{:02d}".format   # the order ids of make_bad.py

# -- refusals: file (or (file, format)) → key, parameters expected, texts that must be named -------
REFUSED = {
    "empty.csv": ("refused_empty", {}, []),
    "blank_lines_only.csv": ("refused_empty", {}, []),
    "bom_only.csv": ("refused_empty", {}, []),
    "empty_workbook.xlsx": ("refused_empty", {}, []),
    "header_only.csv": ("refused_no_rows", {}, []),
    "header_only.xlsx": ("refused_no_rows", {}, []),
    "header_and_comma_rows.csv": ("refused_no_rows", {}, []),
    "binary.csv": ("refused_binary", {}, []),
    "png_renamed.csv": ("refused_image", {}, []),
    "pdf_renamed.csv": ("refused_pdf", {}, ["PDF"]),
    "zip_renamed.csv": ("refused_zip", {}, ["zip"]),
    "zip_with_export.csv": ("refused_zip_contents", {"names": "ExportOrderList202506011200.csv"},
                            ["ExportOrderList202506011200.csv"]),
    "docx_renamed.csv": ("refused_office_document", {"app": "Word"}, ["Word"]),
    "truncated.xlsx": ("refused_bad_spreadsheet", {}, ["Excel"]),
    "password_protected.xlsx": ("refused_encrypted", {}, ["Excel"]),
    "html_page.csv": ("refused_html", {}, ["HTML"]),
    "html_table.xls": ("refused_html", {}, ["HTML", "xls"]),
    "json_renamed.csv": ("refused_json", {}, ["JSON"]),
    "one_column_list.csv": ("refused_not_table", {}, []),
    "thousands_of_columns.csv": ("refused_header_too_wide", {"columns": 3009, "limit": 1000}, ["3009", "1000"]),
    "undecodable_most.csv": ("refused_encoding_at", {"line": 2}, ["2", "UTF-8", "GBK"]),
    "no_amount.csv": ("refused_missing_columns", {"fields": "amount"}, ["(amount)", "订单编号"]),
    "not_an_export.csv": ("refused_unrecognised", {}, ["station"]),
    ("member_export.csv", "taobao_orders"): ("refused_format_mismatch",
                                             {"format": "taobao_orders", "detected": "taobao_members"},
                                             ["taobao_orders", "taobao_members"]),
    ("two_shops.csv", "taobao_members"): ("refused_format_mismatch",
                                          {"format": "taobao_members", "detected": "taobao_orders"},
                                          ["taobao_members", "taobao_orders"]),
}


# -- imports: what is read, what is rejected (line, column, reason), what lands --------------------
def _orders(db):
    return {r[0]: r[1:] for r in db.query(
        "SELECT order_id, customer_id, amount, refund, status_raw, shop, ordered_at FROM orders ORDER BY 1")}


def _amounts(db):
    return {k: v[1] for k, v in _orders(db).items()}


def check_utf16(db):
    assert {v[0] for v in _orders(db).values()} == {"小鹿乱撞2019", "橙子不酸", "阿狸sama", "大熊不熊"}


def check_mixed(db):
    o = _orders(db)
    assert {v[0] for v in o.values()} == {"小鹿乱撞2019", "橙子不酸", "阿狸sama", "大熊不熊"}
    assert {v[3] for v in o.values()} == {"交易成功"}          # no GBK-read UTF-8 mojibake


def check_latin1(db):
    assert {v[0] for v in _orders(db).values()} == {"José Müller", "Ana Peñalver"}


def check_formulas(db):
    assert _amounts(db) == {OID(1): Decimal("25.00"), OID(2): Decimal("20.00"), OID(4): Decimal("29.00")}


def check_duplicate_headers(db):
    o = _orders(db)   # the leftmost 买家实际支付金额 / 订单状态
    assert {k: (v[1], v[3]) for k, v in o.items()} == {
        OID(1): (Decimal("10.00"), "交易成功"), OID(2): (Decimal("20.00"), "交易成功"),
        OID(3): (Decimal("30.00"), "交易关闭")}


def check_absurd(db):
    assert _amounts(db) == {OID(1): Decimal("10.00"), OID(2): Decimal("10000000.00")}


def check_dates(db):
    assert {k: v[5] for k, v in _orders(db).items()} == {
        OID(1): dt.datetime(2025, 6, 2, 10), OID(8): dt.datetime(1997, 5, 1, 10)}


def check_two_buyers(db):
    assert {k: v[0] for k, v in _orders(db).items()} == {OID(1): "小鹿乱撞2019", OID(3): "阿狸sama"}


def check_two_buyers_lines(db):
    assert db.query("SELECT order_id, customer_id, amount FROM orders") == [("A2", "bob", Decimal("10.00"))]


def check_negative_amounts(db):
    # -20.00, −40.00 (U+2212) and (50.00): returns, with their lines and amounts as in the file.
    assert db.query("SELECT line, order_id, amount FROM returns ORDER BY line") == [
        (3, OID(2), Decimal("-20.00")), (5, OID(4), Decimal("-40.00")), (6, OID(5), Decimal("-50.00"))]
    assert db.query("SELECT returns_lines, returns_amount FROM imports") == [(3, Decimal("-110.00"))]


def check_two_shops(db):
    assert {k: v[4] for k, v in _orders(db).items()} == {
        OID(1): "童趣玩具小店", OID(2): "童趣玩具旗舰店", OID(3): "童趣玩具旗舰店", OID(4): "童趣玩具小店"}


def check_unmatched_quote(db):
    assert {"3000000000000000071", "3000000000000000072"} <= set(_orders(db))


def check_members(db):
    assert db.query("SELECT customer_id, level_code FROM members ORDER BY 2") == [("橙子不酸", 1), ("小鹿乱撞2019", 3)]


M = "malformed_line"
# file → (rows read, [(line, column, reason)], stored orders (or members), warning keys, extra check)
IMPORTED = {
    "truncated.csv": (4, [(5, None, M)], 3, {"warn_undecodable_lines"}, None),
    "truncated_in_quotes.csv": (4, [(5, None, M)], 3, set(), None),
    "unmatched_quote.csv": (3, [(4, None, M)], 2, set(), check_unmatched_quote),
    "ragged_rows.csv": (5, [(3, None, M), (5, None, M)], 3, set(), None),
    "comma_rows_tail.csv": (3, [], 3, set(), None),
    "blank_lines_between_rows.csv": (3, [(5, "amount", "bad_amount")], 2, set(), None),
    "line_breaks_in_cells.csv": (3, [(3, "ordered_at", "bad_date")], 2, set(), None),
    "cr_line_endings.csv": (4, [], 4, set(), check_utf16),
    "enormous_line.csv": (3, [], 3, set(), None),
    "utf16le_tabs.txt": (4, [], 4, set(), check_utf16),
    "utf16le_no_bom.csv": (4, [], 4, set(), check_utf16),
    "mixed_gbk_utf8.csv": (4, [], 4, {"warn_mixed_encodings"}, check_mixed),
    "undecodable_line.csv": (4, [(4, "customer_id", "bad_characters")], 3, {"warn_undecodable_lines"}, None),
    "latin1.csv": (2, [], 2, {"warn_encoding_guessed"}, check_latin1),
    "xlsx_renamed.csv": (3, [], 3, set(), None),
    "several_sheets.xlsx": (4, [], 4, {"warn_other_sheets"}, None),
    "merged_header.xlsx": (4, [(7, "ordered_at", "bad_date")], 3, set(), None),
    "formulas.xlsx": (4, [(4, "amount", "missing_amount")], 3, set(), check_formulas),
    "duplicate_headers.csv": (3, [], 3, {"warn_duplicate_columns"}, check_duplicate_headers),
    "negative_amounts.csv": (6, [(4, "refund", "negative_amount")], 2, set(), check_negative_amounts),
    "absurd_amounts.csv": (7, [(4, "amount", "absurd_amount"), (5, "amount", "absurd_amount"),
                               (6, "amount", "absurd_amount"), (7, "amount", "absurd_amount"),
                               (8, "refund", "absurd_amount")], 2, set(), check_absurd),
    "dates_out_of_range.csv": (8, [(3, "ordered_at", "date_too_old"), (4, "ordered_at", "date_too_old"),
                                   (5, "ordered_at", "date_too_old"), (6, "ordered_at", "date_in_future"),
                                   (7, "paid_at", "date_in_future"), (8, "ordered_at", "bad_date")], 2, set(),
                               check_dates),
    "one_order_two_buyers.csv": (5, [(3, "customer_id", "conflicting_buyer"),
                                     (5, "customer_id", "conflicting_buyer")], 2, {"warn_duplicate_rows"},
                                 check_two_buyers),
    "one_order_two_buyers_lines.csv": (4, [(2, "customer_id", "conflicting_buyer"),
                                           (3, "customer_id", "conflicting_buyer"),
                                           (4, "customer_id", "conflicting_buyer")], 1, set(), check_two_buyers_lines),
    "two_shops.csv": (4, [], 4, {"warn_several_shops"}, check_two_shops),
    "member_export.csv": (2, [], 2, set(), check_members),
}


def _name(case):
    return case if isinstance(case, str) else f"{case[0]}--format={case[1]}"


def _texts_ok(key: str, params: dict) -> dict[str, str]:
    """The message in both languages: it exists, and reads as a sentence."""
    out = {}
    for lang in ("zh", "en"):
        assert key in i18n.CATALOG[lang], f"{key} has no {lang} text"
        text = i18n.msg((key, params), lang)
        assert text and text != key
        assert not re.search(r"{\w+}", text), f"{key} ({lang}) leaves a placeholder: {text}"
        out[lang] = text
    return out


def _state(db):
    """Every table's row count, and checksums of the tables an import writes."""
    tables = [r[0] for r in db.query(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary "
        "ORDER BY 1")]
    counts = {t: db.scalar(f'SELECT count(*) FROM "{t}"') for t in tables}
    sums = {t: db.scalar(f'SELECT md5(coalesce(string_agg(x::VARCHAR, \'|\' ORDER BY x::VARCHAR), \'\')) '
                         f'FROM "{t}" x') for t in ("orders", "customers", "members", "imports", "rejects")}
    return counts, sums


def _import(db, path, **kw):
    try:
        return import_file(db, path, **kw)
    except Exception as e:  # noqa: BLE001 - the point of the test
        pytest.fail(f"import_file raised {type(e).__name__}: {e}")


def test_the_corpus_is_covered():
    files = {p.name for p in BAD.iterdir() if p.is_file()}
    covered = {c if isinstance(c, str) else c[0] for c in list(REFUSED) + list(IMPORTED)}
    assert files - covered == set(), "a bad file without a test"
    assert covered - files == set(), "a test without its file (run tests/fixtures/make_bad.py)"
    assert len(files) >= 30


@pytest.mark.parametrize("case", list(REFUSED), ids=_name)
def test_refused_with_a_specific_message_and_nothing_written(db, case):
    name, fmt = (case, None) if isinstance(case, str) else case
    key, params, named = REFUSED[case]
    assert _import(db, SEED).ok
    before = _state(db)
    r = _import(db, BAD / name, format_name=fmt)
    assert r.status == "refused" and not r.ok
    assert r.message[0] == key, r.message
    assert key != "refused_unreadable"
    for k, v in params.items():
        assert str(r.message[1][k]) == str(v), (k, r.message)
    texts = _texts_ok(*r.message)
    for lang, text in texts.items():
        for word in named:
            assert word in text, (lang, word, text)
        line = i18n.t("cli_refused", lang, file=r.file_name, reason=text)
        assert name in line and "\n" not in line            # one line, naming the file
    assert r.import_id is None and r.rows_read == 0 and r.rows_rejected == 0
    assert _state(db) == before


@pytest.mark.parametrize("name", list(IMPORTED))
def test_imported_with_bad_rows_rejected_and_a_ledger_that_adds_up(db, name):
    rows, rejected, stored, warnings, check = IMPORTED[name]
    r = _import(db, BAD / name)
    assert r.ok, r.message
    got = db.query("SELECT line, column_name, reason FROM rejects WHERE import_id = ? ORDER BY line, column_name",
                   [r.import_id])
    assert got == rejected
    # The ledger: rows read = rows imported + rows rejected, in the result and in the imports table.
    assert r.rows_read == rows
    assert r.rows_rejected == len(rejected) == len({line for line, _, _ in got})
    assert db.query("SELECT rows_read, rows_rejected FROM imports WHERE import_id = ?", [r.import_id]) == [
        (r.rows_read, r.rows_rejected)]
    imported = r.rows_read - r.rows_rejected - r.returns_lines
    if r.kind == "members":
        assert r.members_new == stored == imported
    else:
        assert r.orders_new == stored == db.scalar("SELECT count(*) FROM orders")
        assert imported >= stored            # lines of one order, exact repeats: several rows, one order
    # Every reason and warning has its words in both languages; a rejected row says where.
    for line, column, reason in got:
        _texts_ok(f"reason_{reason}", {})
        assert line >= 2
        assert column is None or column in r.mapping
    for key, params in r.warnings:
        _texts_ok(key, params)
    assert warnings <= {k for k, _ in r.warnings}
    if check:
        check(db)


@pytest.mark.parametrize("name", sorted({c if isinstance(c, str) else c[0] for c in list(REFUSED) + list(IMPORTED)}))
def test_preview_never_raises(db, name):
    p = preview_file(BAD / name, db=db)
    assert p.refused is None or p.refused[0] != "refused_unreadable"


def test_refused_import_after_a_good_one_keeps_the_good_one(db):
    """The refusal in the middle of a batch: the files before and after it land, it leaves no trace."""
    assert _import(db, SEED).ok
    counts, sums = _state(db)
    assert _import(db, BAD / "truncated.xlsx").message[0] == "refused_bad_spreadsheet"
    r = _import(db, BAD / "two_shops.csv")
    assert r.ok and r.import_id == counts["imports"] + 1


def test_enormous_line_over_the_line_limit_is_rejected_alone(db, monkeypatch):
    # The real limit is 16 MiB; the committed file has one 70,000-character line.
    monkeypatch.setattr(pipeline, "MAX_LINE", 64 * 1024)
    r = _import(db, BAD / "enormous_line.csv")
    assert r.ok and r.rows_read == 3 and r.rows_rejected == 1 and r.orders_new == 2
    assert db.query("SELECT line, column_name, reason FROM rejects") == [(3, None, "line_too_long")]
    _texts_ok("reason_line_too_long", {})


def test_future_means_after_tomorrow(db, make_file, monkeypatch):
    monkeypatch.setattr(pipeline, "_today", lambda: dt.date(2025, 6, 10))
    f = make_file("log.csv", "order_id,customer_id,date,amount\n"
                  "F1,ann,2025-06-10 23:59:59,10\n"      # today
                  "F2,bob,2025-06-11 23:59:59,10\n"      # tomorrow: a shop ahead of this clock
                  "F3,cat,2025-06-12 00:00:00,10\n"      # the day after: rejected
                  "F4,dan,1994-12-31 23:59:59,10\n"      # before 1995: rejected
                  "F5,eve,1995-01-01 00:00:00,10\n")
    r = _import(db, f)
    assert sorted(x[0] for x in db.query("SELECT order_id FROM orders")) == ["F1", "F2", "F5"]
    assert db.query("SELECT line, reason FROM rejects WHERE import_id = ? ORDER BY line", [r.import_id]) == [
        (4, "date_in_future"), (5, "date_too_old")]


def test_conflicting_buyer_value_is_the_rows_buyer(db):
    r = _import(db, BAD / "one_order_two_buyers.csv")
    assert db.query("SELECT line, value FROM rejects WHERE import_id = ? ORDER BY line", [r.import_id]) == [
        (3, "橙子不酸"), (5, "大熊不熊")]


def test_cli_refuses_bad_files_one_line_each_without_traceback(tmp_path):
    from tests.unit.test_cli import crm
    files = [str(BAD / n) for n in ("empty.csv", "png_renamed.csv", "html_page.csv", "zip_with_export.csv",
                                    "truncated.xlsx", "undecodable_most.csv")]
    code, out, err = crm("--db", str(tmp_path / "x.duckdb"), "import", *files, cwd=tmp_path)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == len(files) and "Traceback" not in err
    for f, line in zip(files, lines):
        assert f.rsplit("/", 1)[-1] in line
