"""Contacts: masked on screen and in exports by default; never kept when the shop says so."""
import datetime as dt
import inspect

import pytest

from crm import privacy
from crm.cohorts import CohortSpec, member_list
from crm.exports import to_csv_bytes, to_xlsx_bytes
from crm.importing import import_file, pipeline
from crm.tags import customer_detail
from tests.conftest import FIXTURES

TAOBAO = "taobao_orders_61_gbk.csv"
AS_OF = dt.date(2020, 3, 31)
# in the Taobao fixture: 小鹿乱撞2019 = receiver 赵小红, 13800000001, 广东省 广州市 越秀区 华乐街道12号(510620)
BUYER, PHONE, RECEIVER, STREET = "小鹿乱撞2019", "13800000001", "赵小红", "华乐街道"


@pytest.fixture
def hooked(monkeypatch):
    """The importer with its privacy hook (until crm/importing/pipeline.py calls privacy.scrub
    itself, the call is added here exactly where it belongs: right after the staging table)."""
    if "privacy.scrub(" in inspect.getsource(pipeline):
        return
    original = pipeline._stage_clean

    def stage_clean(cur, det, *args):
        original(cur, det, *args)
        privacy.scrub(cur, det.mapping)
    monkeypatch.setattr(pipeline, "_stage_clean", stage_clean)


def cells(df) -> str:
    return " ".join(str(v) for v in df.astype(str).to_numpy().ravel()) + " " + " ".join(map(str, df.columns))


# -- on screen and in exports, by default --------------------------------------------------------------
def test_customer_detail_shows_no_contacts(db):
    assert import_file(db, FIXTURES / TAOBAO).ok
    assert db.scalar("SELECT count(*) FROM orders WHERE phone = ?", [PHONE]) > 0  # they are stored
    detail = customer_detail(db, BUYER, AS_OF)
    orders = detail["orders"]
    assert len(orders) >= 2
    assert not {"phone", "receiver", "address"} & set(orders.columns)
    text = cells(orders) + " " + " ".join(map(str, detail["figures"].values()))
    for secret in (PHONE, RECEIVER, STREET):
        assert secret not in text
    # what the page downloads from it is the same frame
    assert PHONE.encode() not in to_csv_bytes(orders)


def test_target_list_masks_contacts_unless_asked(db):
    assert import_file(db, FIXTURES / TAOBAO).ok
    spec = CohortSpec()
    default = member_list(db, spec, AS_OF, lang="en")
    assert not {"Phone", "Receiver", "Address"} & set(default.columns)
    for secret in (PHONE, RECEIVER, STREET):
        assert secret.encode() not in to_csv_bytes(default)
    cols = ["name", "phone", "receiver", "address"]
    masked = member_list(db, spec, AS_OF, lang="en", columns=cols)
    row = masked[masked.iloc[:, 0] == BUYER].iloc[0].tolist()
    assert row == [BUYER, "138****0001", "赵**", "广东省 广州市 ****"]
    blob = to_csv_bytes(masked) + to_xlsx_bytes(masked)
    for secret in (PHONE, RECEIVER, STREET):
        assert secret.encode() not in blob
    full = member_list(db, spec, AS_OF, lang="en", columns=cols, include_contacts=True)
    row = full[full.iloc[:, 0] == BUYER].iloc[0].tolist()
    assert row[1] == PHONE and row[2] == RECEIVER and STREET in row[3]


# -- the setting ---------------------------------------------------------------------------------------
def test_setting_is_off_by_default_and_stored(db):
    assert privacy.drop_contacts(db) is False
    privacy.set_drop_contacts(db, True)
    assert privacy.drop_contacts(db) is True and db.get_setting("privacy_drop_contacts") == "1"
    privacy.set_drop_contacts(db, False)
    assert privacy.drop_contacts(db) is False


def test_off_changes_nothing(db, hooked):
    assert import_file(db, FIXTURES / TAOBAO).ok
    assert privacy.stored_contacts(db)["orders"] == db.scalar("SELECT count(*) FROM orders")
    assert db.scalar("SELECT count(*) FROM orders WHERE phone = ?", [PHONE]) > 0


def test_import_keeps_no_contacts_when_on(db, hooked, tmp_path):
    from crm.db import Database
    baseline = Database(tmp_path / "baseline.duckdb")
    assert import_file(baseline, FIXTURES / TAOBAO).ok
    privacy.set_drop_contacts(db, True)
    r = import_file(db, FIXTURES / TAOBAO)
    assert r.ok and r.orders_new == 9
    assert db.scalar("SELECT count(*) FROM orders WHERE phone IS NOT NULL OR receiver IS NOT NULL") == 0
    addresses = {a for (a,) in db.query("SELECT DISTINCT address FROM orders")}
    assert "广东省 广州市" in addresses and not any(a and (STREET in a or "(" in a) for a in addresses)
    # everything the analyses read is as without the setting: province, city, amounts, buyers
    q = "SELECT order_key, customer_id, province, city, amount, spend, is_purchase FROM orders ORDER BY 1"
    assert db.query(q) == baseline.query(q)
    baseline.close()
    # the same file again: nothing changed
    again = import_file(db, FIXTURES / TAOBAO)
    assert again.ok and again.orders_new == 0 and again.orders_updated == 0 and again.orders_unchanged == 9
    # the target list has nothing to show
    full = member_list(db, CohortSpec(), AS_OF, lang="en", columns=["name", "phone", "receiver"],
                       include_contacts=True)
    assert full.iloc[:, 1].isna().all() and full.iloc[:, 2].isna().all()


def test_member_import_keeps_no_contacts_when_on(db, hooked):
    privacy.set_drop_contacts(db, True)
    for name in ("youzan_customers.csv", "shopify_customers.csv", "taobao_members_isv.csv"):
        assert import_file(db, FIXTURES / name).ok
    assert db.scalar("SELECT count(*) FROM members") > 0
    assert db.scalar("SELECT count(*) FROM members WHERE phone IS NOT NULL OR name IS NOT NULL "
                     "OR email IS NOT NULL") == 0
    assert db.scalar("SELECT count(*) FROM members WHERE province IS NOT NULL") > 0


def test_rejected_rows_keep_no_contacts_when_on(db, hooked):
    privacy.set_drop_contacts(db, True)
    r = import_file(db, FIXTURES / "quirk_amounts.csv")
    assert r.ok and r.rows_rejected == 1 and r.returns_lines == 1     # 'abc' rejected, -5.00 a return
    raws = [raw for (raw,) in db.query("SELECT raw FROM rejects UNION ALL SELECT raw FROM returns")]
    assert len(raws) == 2
    assert all(raw is None or "138000" not in raw for raw in raws)
    assert all(raw is None or "街" not in raw and "路" not in raw for raw in raws)


def test_scrub_of_the_reject_list():
    rejects = [(1, 5, None, None, "malformed_line", "a,b,13800000001,广东省 广州市 xx路"),
               (1, 7, "phone", "138", "bad_phone", None),
               (1, 9, "amount", "abc", "bad_amount", None)]

    class Cur:  # only the setting is read; no staging tables exist
        def execute(self, sql, params=None):
            self.sql = sql
            return self

        def fetchone(self):
            return ("1",) if "settings" in self.sql else None

        def fetchall(self):
            raise RuntimeError("no such table")
    out = privacy.scrub(Cur(), {"phone": 2}, rejects)
    assert out == [(1, 5, None, None, "malformed_line", ""), (1, 7, "phone", None, "bad_phone", None),
                   (1, 9, "amount", "abc", "bad_amount", None)]


def test_scrub_is_a_no_op_when_off(db):
    with db.write() as cur:
        cur.execute("CREATE TEMP TABLE stg AS SELECT 'x' AS phone, 'y' AS receiver, 'a b c' AS address")
        rejects = [(1, 1, None, None, "malformed_line", "raw")]
        assert privacy.scrub(cur, {"phone": 0}, rejects) is rejects
        assert cur.execute("SELECT * FROM stg").fetchall() == [("x", "y", "a b c")]


def test_scrub_now_erases_what_is_stored(db):
    for name in (TAOBAO, "youzan_customers.csv", "quirk_amounts.csv"):
        assert import_file(db, FIXTURES / name).ok
    before_version = db.data_version()
    buyers = db.query("SELECT cust_no, province, city, spend FROM orders ORDER BY order_key")
    stored = privacy.stored_contacts(db)
    assert stored["orders"] > 0 and stored["members"] > 0
    counts = privacy.scrub_now(db)
    assert counts["orders"] == stored["orders"] and counts["members"] == stored["members"] and counts["rejects"] == 1
    assert counts["returns"] == 1       # quirk_amounts.csv: 'abc' is rejected, -5.00 is a return
    assert privacy.stored_contacts(db) == {"orders": 0, "members": 0}
    assert db.scalar("SELECT count(*) FROM rejects WHERE raw IS NOT NULL") == 0
    assert db.scalar("SELECT count(*) FROM returns WHERE raw IS NOT NULL") == 0
    assert db.query("SELECT cust_no, province, city, spend FROM orders ORDER BY order_key") == buyers
    assert db.data_version() != before_version
    assert privacy.scrub_now(db) == {"orders": 0, "members": 0, "rejects": 0, "returns": 0}  # nothing left


def test_coarse_address():
    import duckdb
    con = duckdb.connect()

    def coarse(a):
        return con.execute(f"SELECT {privacy.COARSE_ADDRESS_SQL} FROM (SELECT ?::VARCHAR AS address)", [a]).fetchone()[0]
    assert coarse("广东省 广州市 越秀区 华乐街道12号(510620)") == "广东省 广州市"
    assert coarse("上海 上海市 浦东新区 张江路100号") == "上海 上海市"
    assert coarse("浙江省杭州市西湖区文三路1号") == "浙江省 杭州市"
    assert coarse("北京市朝阳区建国路1号") == "北京市"
    assert coarse("新疆维吾尔自治区乌鲁木齐市天山区1号") == "新疆维吾尔自治区 乌鲁木齐市"
    assert coarse("12 Main Street, Springfield") is None
    assert coarse("某某路1号") is None
    assert coarse(None) is None
