"""Every text a user can type reaches SQL as a bound value: injection attempts through the sidebar
filters, cohort conditions, tag and cohort names, column names and mappings match literally (or are
refused) and leave the data intact; exported cells never start a formula."""
import datetime as dt
import io

import pandas as pd
import pytest

from crm import cohorts, exports, tags
from crm.analysis import amount, counts, levels, lifecycle, timing
from crm.filters import Filters
from crm.importing import import_file
from crm.summary import summary

EVIL = ["x'; DROP TABLE orders; --", "' OR '1'='1", "a\"); DELETE FROM customers; --", "%", "_", "\\",
        "=HYPERLINK(\"http://evil\")", "🙂'||(SELECT 1)||'"]

LOG = ("order_id,customer,date,amount,province\n"
       "1,ann,2025-01-01,100,广东省\n"
       "2,ann,2025-02-01,150,广东省\n"
       "3,bob,2025-03-01,900,北京\n"
       "4,\"x'; DROP TABLE orders; --\",2025-04-01,20,\"a' OR '1'='1\"\n")
MAP = {"order_id": "order_id", "customer_id": "customer", "ordered_at": "date", "amount": "amount",
       "province": "province"}


def state(db):
    return (db.scalar("SELECT count(*) FROM orders"), db.scalar("SELECT count(*) FROM customers"),
            db.scalar("SELECT sum(spend) FROM orders"))


@pytest.fixture
def loaded(db, make_file):
    assert import_file(db, make_file("log.csv", LOG), mapping=MAP).ok
    return db


def test_sidebar_filters(loaded):
    before = state(loaded)
    as_of = dt.date(2025, 12, 31)
    for text in EVIL:
        f = Filters(as_of=as_of, provinces=(text,), platforms=(text,), shops=(text,))
        for mod in (levels, timing, amount, counts, lifecycle):
            mod.report(loaded, f)
    # the literal province value matches exactly its own order
    f = Filters(as_of=as_of, provinces=("a' OR '1'='1",))
    sql, params = f.purchases("o.order_id")
    assert [r[0] for r in loaded.query(sql, params)] == ["4"]
    assert state(loaded) == before
    assert summary(loaded, as_of=as_of)["orders"] == 4


def test_cohort_conditions_and_names(loaded):
    before = state(loaded)
    as_of = dt.date(2025, 12, 31)
    for text in EVIL:
        spec = cohorts.CohortSpec(item_contains=text, provinces=(text,), tags_any=(text,), tags_none=(text,))
        assert cohorts.evaluate(loaded, spec, as_of)["members"] == 0
        cohorts.save_cohort(loaded, text, cohorts.CohortSpec(days_min=1))
        assert cohorts.load_cohort(loaded, text) == cohorts.CohortSpec(days_min=1)
    spec = cohorts.CohortSpec(provinces=("a' OR '1'='1",))
    assert cohorts.evaluate(loaded, spec, as_of)["members"] == 1
    assert state(loaded) == before


def test_tag_names(loaded):
    before = state(loaded)
    everyone = cohorts.members_sql(cohorts.CohortSpec(), dt.date(2025, 12, 31))
    for i, text in enumerate(EVIL):
        tags.create_tag(loaded, text)
        assert tags.add_to_tag(loaded, text, everyone) == 3
        tags.rename_tag(loaded, text, text + str(i))
    names = set(tags.list_tags(loaded)["name"])
    assert names == {t + str(i) for i, t in enumerate(EVIL)}
    tags.delete_tag(loaded, EVIL[0] + "0")
    assert state(loaded) == before


def test_column_names_and_mappings(db, make_file):
    evil_header = "id,\"x'); DROP TABLE orders; --\",\"when\"\"\",amount\n1,ann,2025-01-01,10\n"
    f = make_file("evil.csv", evil_header)
    r = import_file(db, f, mapping={"order_id": "id", "customer_id": "x'); DROP TABLE orders; --",
                                    "ordered_at": "when\"", "amount": "amount"})
    assert r.ok, r.message
    assert db.query("SELECT customer_id FROM orders") == [("ann",)]
    # a mapping naming a column that does not exist is refused, nothing written
    r = import_file(db, make_file("x.csv", "a,b,c\n1,2,2025-01-01\n"),
                    mapping={"customer_id": "b'; DROP TABLE orders; --", "amount": "a", "ordered_at": "c"})
    assert not r.ok
    assert db.scalar("SELECT count(*) FROM orders") == 1


def test_exported_cells_never_start_a_formula():
    df = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "ok", "-5"],
                       "spend": [1, 2, 3, 4, 5, 6, 7]})
    text = exports.to_csv_bytes(df).decode("utf-8-sig")
    got = pd.read_csv(io.StringIO(text), dtype=str)["name"].tolist()
    assert all(not v.startswith(("=", "+", "@", "\t")) for v in got)
    assert got[-1] == "-5" and got[2].startswith("'")
    book = pd.read_excel(io.BytesIO(exports.to_xlsx_bytes(df)), engine="calamine", dtype=str)
    assert all(not str(v).startswith(("=", "+", "@", "\t")) for v in book["name"])
    txt = exports.to_txt_bytes(df["name"]).decode("utf-8").splitlines()
    assert all(not v.startswith(("=", "+", "@", "\t")) for v in txt)
    assert exports.safe_filename("../../etc/passwd") == "etc_passwd" or "/" not in exports.safe_filename("../../etc/passwd")
