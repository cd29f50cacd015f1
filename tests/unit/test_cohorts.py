"""Cohorts on tiny hand-computed data: every filter alone, boundaries, combinations, presets, saved
cohorts, the member list with masking, and SQL injection attempts.

As of 2025-12-31 (default level rules 200/800/2000/5000 by spend, stages 15/90/180/365):

  customer  purchases (date amount)                          days  purch spend    aov     level stage       province
  ann       2025-01-01 100, 2025-02-01 1500                  333   2     1600.00  800.00  2     sleeping    广东省
  bob       2025-10-02 900                                    90   1      900.00  900.00  2     active      北京
  cat       2025-12-01 20                                     30   1       20.00   20.00  0     active      广东省
  dan       2024-06-01 5000, 2025-12-31 10                     0   2     5010.00 2505.00  4     after_sale  上海
  eve       2025-10-01 15:00 300                              91   1      300.00  300.00  1     silent      浙江省
  hal       2024-12-30 50                                    366   1       50.00   50.00  0     lost        广东省
  ivy       2025-09-01 10, 09-15 10, 10-15 13.33              77   3       33.33   11.11  3*    active      四川省*
  fay       2025-06-01 80 refunded in full                    — not a purchase: not in any cohort
  gus       2026-01-05 70                                     — after the as-of date
  (* from the member export; ivy has no province on her orders)

Usage cycle gaps (purchase days): ann 31, dan 578, ivy 14 and 30 → median 30.5.
Spend P75 over the 7 buyers: 20, 33.33, 50, 300, 900, 1600, 5010 → 900 + 0.5 × 700 = 1250.
"""
import datetime as dt
from decimal import Decimal

import pytest

from crm import cohorts as C
from crm import tags as T
from crm.cohorts import CohortSpec, KeyedError
from crm.importing import import_file
from crm.levels import LevelRules
from crm.segments import LifecycleThresholds

AS_OF = dt.date(2025, 12, 31)
INJECTION = "x'; DROP TABLE orders; --"

LOG = (
    "order_id,customer,date,amount,refund,province,item,phone,receiver,address\n"
    "1,ann,2025-01-01 10:00,100,0,广东省,Blue Cup,13900000001,王小明,广东省 广州市 天河区 旧地址1号\n"
    "2,ann,2025-02-01 10:00,1500,0,广东省,Green Tea,13900000002,王小明,广东省 深圳市 南山区 新地址2号\n"
    "3,bob,2025-10-02 09:00,900,0,北京,Tea Pot,13812345678,张三,北京市 北京市 朝阳区 建国路88号\n"
    "4,cat,2025-12-01 08:00,20,0,广东省,Red 50%_off Mug,,,\n"
    "5,dan,2024-06-01 12:00,5000,0,上海,Silver Spoon,,,\n"
    f"6,dan,2025-12-31 23:59,10,0,上海,\"{INJECTION}\",,,\n"
    "7,eve,2025-10-01 15:00,300,0,浙江省,Mug 500ml,,,\n"
    "8,hal,2024-12-30 11:00,50,0,广东省,茶叶礼盒,,,\n"
    "9,ivy,2025-09-01 10:00,10,0,,Sticker,,,\n"
    "10,ivy,2025-09-15 10:00,10,0,,Sticker,,,\n"
    "11,ivy,2025-10-15 10:00,13.33,0,,Sticker,,,\n"
    "12,fay,2025-06-01 10:00,80,80,江苏省,Blue Cup,,,\n"
    "13,gus,2026-01-05 10:00,70,0,江苏省,Blue Cup,,,\n"
)
MAP = {"order_id": "order_id", "customer_id": "customer", "ordered_at": "date", "amount": "amount",
       "refund": "refund", "province": "province", "item_title": "item", "phone": "phone",
       "receiver": "receiver", "address": "address"}
MEMBERS = "买家昵称,会员等级编号,省份,手机号\nivy,3,四川省,13700001111\njay,1,湖南省,\n"
EVERYONE = {"ann", "bob", "cat", "dan", "eve", "hal", "ivy"}


def load(db, make_file):
    r = import_file(db, make_file("log.csv", LOG), mapping=MAP)
    assert r.ok, r.message
    r = import_file(db, make_file("members.csv", MEMBERS))
    assert r.ok and r.kind == "members", r.message


@pytest.fixture
def shop(db, make_file):
    """A database of its own, for tests that write (tags, saved cohorts, imports)."""
    load(db, make_file)
    return db


@pytest.fixture(scope="module")
def ro(tmp_path_factory):
    """One shared database for the tests that only read."""
    from crm.db import Database
    d = tmp_path_factory.mktemp("cohorts")

    def make(name, text):
        p = d / name
        p.write_text(text, encoding="utf-8")
        return p
    database = Database(d / "ro.duckdb")
    load(database, make)
    yield database
    database.close()


def who(db, spec, as_of=AS_OF, rules=None, thresholds=None):
    sql, params = C.cohort_sql(spec, as_of, rules, thresholds)
    return {r[0] for r in db.query(f"SELECT customer_id FROM ({sql}) s", params)}


def test_base_population_and_facts(ro):
    sql, params = C.cohort_sql(CohortSpec(), AS_OF)
    df = ro.frame(f"SELECT * FROM ({sql}) s ORDER BY customer_id", params)
    assert list(df.columns) == list(C.COHORT_COLUMNS)
    rows = {r.customer_id: r for r in df.itertuples()}
    assert set(rows) == EVERYONE  # fay: refunded in full; gus: after the as-of date; jay: no order
    ann, ivy, dan = rows["ann"], rows["ivy"], rows["dan"]
    assert (ann.purchases, ann.spend, ann.aov, ann.days_since_last, ann.stage, ann.level_code) == \
        (2, Decimal("1600.00"), 800.0, 333, "sleeping", 2)
    assert ann.first_purchase_at == dt.datetime(2025, 1, 1, 10) and ann.last_purchase_at == dt.datetime(2025, 2, 1, 10)
    assert (ivy.purchases, ivy.spend, ivy.aov, ivy.days_since_last, ivy.stage, ivy.level_code) == \
        (3, Decimal("33.33"), 11.11, 77, "active", 3)  # exported level wins
    assert (dan.days_since_last, dan.stage, dan.level_code) == (0, "after_sale", 4)
    assert rows["hal"].days_since_last == 366 and rows["hal"].stage == "lost"
    # as of an earlier date, later purchases do not exist
    assert who(ro, CohortSpec(), dt.date(2025, 1, 31)) == {"ann", "dan", "hal"}


@pytest.mark.parametrize("spec, expected", [
    (CohortSpec(days_min=30), {"cat", "bob", "eve", "ann", "hal", "ivy"}),
    (CohortSpec(days_min=31), {"bob", "eve", "ann", "hal", "ivy"}),
    (CohortSpec(days_max=30), {"dan", "cat"}),
    (CohortSpec(days_max=29), {"dan"}),
    (CohortSpec(days_min=30, days_max=90), {"cat", "bob", "ivy"}),
    (CohortSpec(days_min=90, days_max=90), {"bob"}),
    (CohortSpec(days_min=366), {"hal"}),
    (CohortSpec(stages=("active",)), {"bob", "cat", "ivy"}),
    (CohortSpec(stages=("after_sale", "lost")), {"dan", "hal"}),
    (CohortSpec(stages=("silent",)), {"eve"}),
    (CohortSpec(purchases_min=2), {"ann", "dan", "ivy"}),
    (CohortSpec(purchases_max=1), {"bob", "cat", "eve", "hal"}),
    (CohortSpec(purchases_min=3, purchases_max=3), {"ivy"}),
    (CohortSpec(spend_min=300), {"ann", "bob", "dan", "eve"}),
    (CohortSpec(spend_max=300), {"cat", "eve", "hal", "ivy"}),
    (CohortSpec(spend_min="33.33", spend_max="33.33"), {"ivy"}),
    (CohortSpec(aov_min=800), {"ann", "bob", "dan"}),
    (CohortSpec(aov_max="11.11"), {"ivy"}),       # 33.33 / 3 = 11.11 exactly as DECIMAL
    (CohortSpec(aov_max="11.10"), set()),
    (CohortSpec(aov_min=20, aov_max=300), {"cat", "eve", "hal"}),
    (CohortSpec(levels=(3, 4)), {"dan", "ivy"}),
    (CohortSpec(levels=(0,)), {"cat", "hal"}),
    (CohortSpec(levels=(2,)), {"ann", "bob"}),
    (CohortSpec(provinces=("广东省",)), {"ann", "cat", "hal"}),
    (CohortSpec(provinces=("四川省",)), {"ivy"}),  # from the member export
    (CohortSpec(provinces=("江苏省",)), set()),    # fay and gus are not buyers as of the date
    (CohortSpec(first_from=dt.date(2025, 10, 1)), {"bob", "cat", "eve"}),
    (CohortSpec(first_to=dt.date(2025, 10, 1)), {"ann", "dan", "eve", "hal", "ivy"}),  # 15:00 on the day counts
    (CohortSpec(first_from="2025-10-01", first_to="2025-10-01"), {"eve"}),
    (CohortSpec(item_contains="mug"), {"cat", "eve"}),
    (CohortSpec(item_contains="MUG 500"), {"eve"}),
    (CohortSpec(item_contains="50%_off"), {"cat"}),
    (CohortSpec(item_contains="%"), {"cat"}),      # literal, not a wildcard
    (CohortSpec(item_contains="_"), {"cat"}),
    (CohortSpec(item_contains="茶叶"), {"hal"}),
    (CohortSpec(item_contains="blue cup"), {"ann"}),  # fay's refunded order and gus's later one do not count
])
def test_each_filter_alone(ro, spec, expected):
    assert who(ro, spec) == expected


def test_combinations(ro):
    assert who(ro, CohortSpec(provinces=("广东省",), days_min=31)) == {"ann", "hal"}
    assert who(ro, CohortSpec(stages=("active",), purchases_max=1, spend_min=100)) == {"bob"}
    assert who(ro, CohortSpec(levels=(0, 1, 2), days_min=30, days_max=365, item_contains="mug")) == {"cat", "eve"}
    assert who(ro, CohortSpec(purchases_min=2, aov_max=1000, days_min=1)) == {"ann", "ivy"}
    assert who(ro, CohortSpec(provinces=("广东省",), levels=(4,))) == set()


def test_item_in_order_items_table(shop):
    with shop.write() as cur:  # an item report line for bob's order
        cur.execute("INSERT INTO order_items (item_key, order_id, platform, title) VALUES ('3:1', '3', 'generic', "
                    "'Golden SPOON set')")
    assert who(shop, CohortSpec(item_contains="spoon")) == {"bob", "dan"}


def test_stage_follows_thresholds(ro):
    th = LifecycleThresholds(after_sale=30, active=60, silent=91, sleeping=400)
    assert who(ro, CohortSpec(stages=("after_sale",)), thresholds=th) == {"dan", "cat"}
    assert who(ro, CohortSpec(stages=("silent",)), thresholds=th) == {"bob", "eve", "ivy"}
    assert who(ro, CohortSpec(stages=("lost",)), thresholds=th) == set()


def test_level_follows_rules(ro):
    rules = LevelRules(spend=(None, None, None, None), count=(2, 3, None, None))
    assert who(ro, CohortSpec(levels=(1,)), rules=rules) == {"ann", "dan"}
    assert who(ro, CohortSpec(levels=(3,)), rules=rules) == {"ivy"}  # exported level still wins


def test_tags_filters(shop):
    T.create_tag(shop, "vip")
    T.add_to_tag(shop, "vip", [r[0] for r in shop.query(
        "SELECT cust_no FROM customers WHERE customer_id IN ('ann', 'bob')")])
    assert who(shop, CohortSpec(tags_any=("vip",))) == {"ann", "bob"}
    assert who(shop, CohortSpec(tags_none=("vip",))) == EVERYONE - {"ann", "bob"}
    assert who(shop, CohortSpec(tags_any=("vip", "nope"), tags_none=("nope",))) == {"ann", "bob"}
    assert who(shop, CohortSpec(tags_any=("nope",))) == set()


def test_sql_injection_is_matched_literally(shop):
    before = shop.scalar("SELECT count(*) FROM orders")
    assert who(shop, CohortSpec(item_contains=INJECTION)) == {"dan"}
    assert who(shop, CohortSpec(provinces=(INJECTION,))) == set()
    assert who(shop, CohortSpec(tags_any=(INJECTION,))) == set()
    assert who(shop, CohortSpec(tags_none=(INJECTION,))) == EVERYONE
    T.create_tag(shop, INJECTION)
    assert T.add_to_tag(shop, INJECTION, C.members_sql(CohortSpec(days_max=0), AS_OF)) == 1
    assert who(shop, CohortSpec(tags_any=(INJECTION,))) == {"dan"}
    spec = CohortSpec(item_contains="' OR 1=1 --", provinces=("' OR '1'='1",))
    assert who(shop, spec) == set()
    assert shop.scalar("SELECT count(*) FROM orders") == before
    sql, params = C.cohort_sql(CohortSpec(item_contains=INJECTION, provinces=(INJECTION,), tags_any=(INJECTION,)), AS_OF)
    assert "DROP" not in sql and INJECTION.strip() not in sql


def test_zero_and_one_member_cohorts(ro):
    e = C.evaluate(ro, CohortSpec(days_min=1000), AS_OF)
    assert e["empty"] and e["members"] == 0 and e["gmv"] == Decimal("0.00") and e["purchases"] == 0
    assert e["aov"] is None and e["buyers"] == 7 and e["sample"].empty
    assert list(e["level_mix"]["members"]) == [0, 0, 0, 0, 0] and list(e["stage_mix"]["members"]) == [0] * 5
    assert C.member_list(ro, CohortSpec(days_min=1000), AS_OF, lang="en").empty
    e = C.evaluate(ro, CohortSpec(days_max=0), AS_OF)
    assert (e["members"], e["gmv"], e["purchases"], e["aov"], e["avg_spend"]) == \
        (1, Decimal("5010.00"), 2, Decimal("2505.00"), Decimal("5010.00"))
    assert dict(zip(e["level_mix"]["level_code"], e["level_mix"]["members"])) == {0: 0, 1: 0, 2: 0, 3: 0, 4: 1}
    assert list(e["sample"]["customer_id"]) == ["dan"]


def test_evaluate_everyone(ro):
    e = C.evaluate(ro, CohortSpec(), AS_OF, sample=3)
    assert e["members"] == 7 and e["buyers"] == 7 and e["share"] == 1.0
    assert e["gmv"] == Decimal("7913.33") and isinstance(e["gmv"], Decimal) and e["purchases"] == 11
    assert dict(zip(e["level_mix"]["level_code"], e["level_mix"]["members"])) == {0: 2, 1: 1, 2: 2, 3: 1, 4: 1}
    assert dict(zip(e["level_mix"]["level_code"], e["level_mix"]["gmv"]))[2] == Decimal("2500.00")
    assert dict(zip(e["stage_mix"]["stage"], e["stage_mix"]["members"])) == \
        {"after_sale": 1, "active": 3, "silent": 1, "sleeping": 1, "lost": 1}
    assert list(e["sample"]["customer_id"]) == ["dan", "ann", "bob"]  # top spenders
    r = C.report(ro, CohortSpec(days_min=30, days_max=90), AS_OF)
    assert (r["members"], r["gmv"], r["purchases"], r["spec"]) == (3, 953.33, 5, {"days_min": 30, "days_max": 90})


def test_spec_json_roundtrip_and_validation():
    spec = CohortSpec(days_min=30, days_max=90, stages=["lost", "active"], spend_min=99.9, aov_max="¥1,000",
                      levels=[4, 3, 3], provinces=["广东省", " 广东省 "], first_from="2025-01-02",
                      item_contains="  杯子 ", tags_any=["a"], tags_none=("b",), not_contacted_days=14)
    assert spec.stages == ("active", "lost") and spec.levels == (3, 4) and spec.provinces == ("广东省",)
    assert spec.spend_min == Decimal("99.90") and spec.aov_max == Decimal("1000.00")
    assert spec.item_contains == "杯子" and spec.first_from == dt.date(2025, 1, 2)
    assert CohortSpec.from_json(spec.to_json()) == spec
    assert hash(spec) == hash(CohortSpec.from_json(spec.to_json()))
    assert CohortSpec().is_empty() and CohortSpec(not_contacted_days=7).is_empty()
    assert not CohortSpec(days_min=0).is_empty() and not CohortSpec(item_contains="x").is_empty()
    assert CohortSpec.from_json('{"days_min": 5, "future_field": 1}') == CohortSpec(days_min=5)
    assert [p.key for p in CohortSpec(days_min=90, days_max=30).validate()] == ["cohorts_error_min_max"]
    assert [p.key for p in CohortSpec(spend_min=-1).validate()] == ["cohorts_error_negative"]
    for bad in (dict(stages=("sleepy",)), dict(levels=(7,)), dict(days_min="abc"), dict(spend_min="1e999x"),
                dict(first_from="31/12/2025"), dict(days_min=1.5)):
        with pytest.raises(KeyedError):
            CohortSpec(**bad)
    assert C.describe(CohortSpec(), "en") == ["Every buyer (no condition set)"]
    assert C.describe(CohortSpec(purchases_min=1, purchases_max=1, days_min=30), "zh") == \
        ["未购天数 ≥ 30 天", "成交订单 1 笔"]


def test_not_contacted_days_without_campaigns_leaves_everyone(ro):
    assert who(ro, CohortSpec(not_contacted_days=30)) == EVERYONE


def test_presets(ro):
    basis = C.preset_basis(ro, AS_OF)
    assert basis["usage_cycle_days"] == 30.5 and basis["spend_p75"] == Decimal("1250.00")
    p = C.presets(ro, AS_OF)
    assert set(p) == set(C.PRESETS)
    assert p["dormant"] == CohortSpec(days_min=62)           # > 2 × 30.5
    assert who(ro, p["dormant"]) == {"bob", "eve", "ann", "hal", "ivy"}
    assert C.presets(ro, AS_OF, k=3)["dormant"].days_min == 92
    assert who(ro, C.presets(ro, AS_OF, k=3)["dormant"]) == {"ann", "hal"}
    assert who(ro, p["sleeping_high_value"]) == {"ann"}    # eve is silent but spent 300 < 1250
    assert who(ro, p["one_time_30_90"]) == {"bob", "cat"}  # eve: 91 days
    assert who(ro, p["vip_quiet"]) == {"ivy"}              # level 3, 77 days > 30.5; dan bought today
    for pid in C.PRESETS:
        assert C.preset_name(pid, "zh") != C.preset_name(pid, "en") != f"cohorts_preset_{pid}"
    with pytest.raises(KeyedError):
        C.presets(ro, AS_OF, k=0)


def test_presets_fallback_without_gaps(db, make_file):
    assert import_file(db, make_file("one.csv", "customer,date,amount\na,2025-01-01,10\nb,2025-06-01,20\n"),
                       mapping={"customer_id": "customer", "ordered_at": "date", "amount": "amount"}).ok
    basis = C.preset_basis(db, AS_OF)
    assert basis["usage_cycle_days"] is None and basis["cycle_days"] == 90
    assert C.presets(db, AS_OF, k=2.0)["dormant"].days_min == 181
    assert who(db, C.presets(db, AS_OF)["dormant"]) == {"a", "b"}  # 364 and 213 days


def test_empty_database(db):
    e = C.evaluate(db, CohortSpec(), AS_OF)
    assert e["empty"] and e["buyers"] == 0
    p = C.presets(db, AS_OF)
    assert p["sleeping_high_value"].spend_min is None
    assert C.member_list(db, CohortSpec(), AS_OF, lang="zh").empty


def test_saved_cohorts_reevaluate_after_import(shop, make_file):
    spec = CohortSpec(days_min=60, provinces=("广东省",))
    assert C.save_cohort(shop, "  广东沉睡 ", spec) == "广东沉睡"
    assert C.load_cohort(shop, "广东沉睡") == spec
    assert who(shop, C.load_cohort(shop, "广东沉睡")) == {"ann", "hal"}
    # hal buys again: the saved definition, evaluated again, no longer holds her
    assert import_file(shop, make_file("more.csv", "order_id,customer,date,amount,province\n"
                                                   "20,hal,2025-12-20,99,广东省\n"), mapping={
        "order_id": "order_id", "customer_id": "customer", "ordered_at": "date", "amount": "amount",
        "province": "province"}).ok
    assert who(shop, C.load_cohort(shop, "广东沉睡")) == {"ann"}
    C.save_cohort(shop, "广东沉睡", spec.with_(days_min=1))  # replace
    assert who(shop, C.load_cohort(shop, "广东沉睡")) == {"ann", "cat", "hal"}
    C.save_cohort(shop, "b", CohortSpec())
    assert [c["name"] for c in C.list_cohorts(shop)] == ["b", "广东沉睡"]
    assert C.list_cohorts(shop)[1]["spec"].days_min == 1
    C.delete_cohort(shop, "b")
    assert [c["name"] for c in C.list_cohorts(shop)] == ["广东沉睡"]
    for call, key in ((lambda: C.load_cohort(shop, "b"), "cohorts_error_unknown"),
                      (lambda: C.delete_cohort(shop, "b"), "cohorts_error_unknown"),
                      (lambda: C.save_cohort(shop, "  ", spec), "cohorts_error_empty_name"),
                      (lambda: C.save_cohort(shop, "x" * 101, spec), "cohorts_error_name_too_long"),
                      (lambda: C.save_cohort(shop, "bad", CohortSpec(days_min=9, days_max=1)), "cohorts_error_min_max")):
        with pytest.raises(ValueError) as e:
            call()
        assert e.value.key == key
    assert "广东沉睡" in KeyedError("cohorts_error_unknown", name="广东沉睡").text("zh")


def test_member_list_columns_and_headers(ro):
    df = C.member_list(ro, CohortSpec(days_min=30, days_max=90), AS_OF, lang="en")
    assert list(df.columns) == ["Buyer", "Member level", "Last purchase", "Purchases", "Total spend",
                                "Average order value", "Days since last purchase", "Lifecycle stage", "Tags",
                                "Province"]
    assert list(df["Buyer"]) == ["bob", "ivy", "cat"]  # highest spend first
    bob = df.iloc[0]
    assert (bob["Member level"], bob["Last purchase"], bob["Purchases"], bob["Total spend"],
            bob["Days since last purchase"], bob["Lifecycle stage"], bob["Province"]) == \
        ("Senior member", "2025-10-02", 1, 900.0, 90, "Active", "北京")
    assert df.iloc[1]["Province"] == "四川省" and df.iloc[1]["Member level"] == "VIP"
    zh = C.member_list(ro, CohortSpec(days_max=0), AS_OF, lang="zh", offer="满200减20",
                       columns=["name", "stage", "aov", "offer"])
    assert list(zh.columns) == ["买家会员名", "生命周期", "笔单价", "建议优惠"]
    assert zh.iloc[0].tolist() == ["dan", "售后期", 2505.0, "满200减20"]
    assert "建议优惠" in C.member_list(ro, CohortSpec(), AS_OF, lang="zh", offer="券").columns
    assert len(C.member_list(ro, CohortSpec(), AS_OF, lang="zh", limit=2)) == 2
    with pytest.raises(KeyedError):
        C.member_list(ro, CohortSpec(), AS_OF, columns=["name", "password"])


def test_member_list_tags_column(shop):
    T.create_tag(shop, "b-tag")
    T.create_tag(shop, "a-tag")
    bob = shop.scalar("SELECT cust_no FROM customers WHERE customer_id = 'bob'")
    T.add_to_tag(shop, "b-tag", [bob])
    T.add_to_tag(shop, "a-tag", [bob])
    df = C.member_list(shop, CohortSpec(purchases_max=1, spend_min=900), AS_OF, lang="en", columns=["name", "tags"])
    assert df.values.tolist() == [["bob", "a-tag,b-tag"]]
    df = C.member_list(shop, CohortSpec(days_max=0), AS_OF, lang="en", columns=["tags"])
    assert df.values.tolist() == [[""]]


def test_contacts_masked_unless_included(ro):
    spec = CohortSpec(provinces=("北京", "广东省"), purchases_min=1, spend_min=500)
    masked = C.member_list(ro, spec, AS_OF, lang="en", columns=["name", "phone", "receiver", "address"])
    rows = {r[0]: r[1:] for r in masked.values.tolist()}
    assert rows["bob"] == ["138****5678", "张*", "北京市 北京市 ****"]
    assert rows["ann"] == ["139****0002", "王**", "广东省 深圳市 ****"]  # the latest purchase's contact
    full = C.member_list(ro, spec, AS_OF, lang="en", columns=["name", "phone", "address"], include_contacts=True)
    assert {r[0]: r[1:] for r in full.values.tolist()}["bob"] == ["13812345678", "北京市 北京市 朝阳区 建国路88号"]
    # contact columns only when asked for
    assert "Phone" not in C.member_list(ro, spec, AS_OF, lang="en").columns
    assert {"Phone", "Receiver", "Address"} <= set(C.member_list(ro, spec, AS_OF, lang="en",
                                                                 include_contacts=True).columns)
    # ivy's phone comes from the member export (her orders have none)
    ivy = C.member_list(ro, CohortSpec(levels=(3,)), AS_OF, lang="en", columns=["phone"], include_contacts=True)
    assert ivy.values.tolist() == [["13700001111"]]


@pytest.mark.parametrize("value, expected", [
    ("13812345678", "138****5678"), ("+8613812345678", "+86****5678"), ("1234567", "1*****7"), ("12", "**"),
    ("", ""), (None, None),
])
def test_mask_phone(value, expected):
    assert C.mask_phone(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("张三", "张*"), ("欧阳娜娜", "欧***"), ("张", "张*"), ("Alexander", "A***"), (None, None),
])
def test_mask_name(value, expected):
    assert C.mask_name(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("广东省 广州市 越秀区 华乐街道12号(510620)", "广东省 广州市 ****"),
    ("浙江省杭州市西湖区文三路1号", "浙江省杭州市****"),
    ("北京市朝阳区建国路88号", "北京市****"),
    ("新疆维吾尔自治区乌鲁木齐市天山区1号", "新疆维吾尔自治区乌鲁木齐市****"),
    ("广东省 深圳市", "广东省 ****"),
    ("somewhere 12", "somewhere ****"),
    ("unparseable", "****"),
])
def test_mask_address(value, expected):
    assert C.mask_address(value) == expected


def test_every_dynamic_message_key_exists():
    from crm.i18n import CATALOG
    keys = [f"cohorts_col_{c}" for c in C.LIST_COLUMNS] + [f"cohorts_preset_{p}" for p in C.PRESETS]
    keys += [f"cohorts_desc_{k}_{v}" for k in ("days", "purchases", "spend", "aov", "first")
             for v in ("exact", "between", "min", "max")]
    keys += ["cohorts_error_" + k for k in ("empty_name", "name_too_long", "unknown", "number", "date", "level",
                                            "stage", "negative", "min_max", "column", "k")]
    keys += ["tags_error_" + k for k in ("empty_name", "name_too_long", "duplicate", "unknown")]
    for lang in ("zh", "en"):
        assert [k for k in keys if k not in CATALOG[lang]] == []


def test_phone_prefers_one_not_masked_by_the_platform(shop, make_file):
    # the member export masks bob's phone; his order has it in full; cat's only phone is masked
    assert import_file(shop, make_file("m2.csv", "买家昵称,手机号\nbob,138****0000\ncat,139****1111\n")).ok
    df = C.member_list(shop, CohortSpec(provinces=("北京", "广东省"), purchases_max=1, days_max=90), AS_OF,
                       lang="en", columns=["name", "phone"], include_contacts=True)
    assert {r[0]: r[1] for r in df.values.tolist()} == {"bob": "13812345678", "cat": "139****1111"}


def test_fast_path_gives_the_same_cohorts(tmp_path):
    """As-of on or after the latest order: customer_stats instead of a fresh aggregation, same rows."""
    import datetime as _dt

    from crm import cohorts as C
    from crm.db import Database as _DB
    from crm.samples import load_sample
    d = _DB(tmp_path / "s.duckdb")
    assert all(r.ok for r in load_sample(d))
    as_of = d.scalar("SELECT max(ordered_at)::DATE FROM orders")
    assert C.complete_history(d, as_of) and not C.complete_history(d, as_of - _dt.timedelta(days=1))
    province = d.scalar("SELECT province FROM orders WHERE province IS NOT NULL LIMIT 1")
    specs = [C.CohortSpec(), C.CohortSpec(days_min=180), C.CohortSpec(stages=("silent", "sleeping"), purchases_min=2),
             C.CohortSpec(provinces=(province,), spend_min=100), C.CohortSpec(levels=(1, 2), aov_max=80)]
    for spec in specs:
        got = []
        for fast in (False, True):
            sql, params = C.cohort_sql(spec, as_of, fast=fast, extra=True)
            got.append(sorted(d.query(f"SELECT cust_no, purchases, spend, days_since_last, stage, level_code, province "
                                      f"FROM ({sql}) x", params)))
        assert got[0] == got[1] and got[0], spec
        live = [r[0] for r in d.query(*C.members_sql(spec, as_of))]
        fast = [r[0] for r in d.query(*C.members_sql(spec, as_of, fast=True))]
        assert sorted(live) == sorted(fast)
    d.close()


def _same_stats(a: dict, b: dict) -> None:
    import pandas as pd
    for key in a:
        if isinstance(a[key], pd.DataFrame):
            pd.testing.assert_frame_equal(a[key], b[key], check_dtype=False)
        else:
            assert a[key] == b[key], key


def test_evaluate_counts_the_coupon_order_values_in_the_same_pass(tmp_path):
    """evaluate(values=True) gives the members' purchases counted by order value, and
    order_value_counts the same counts on their own; sized from them, the coupon figures equal
    coupons.order_values over members_sql — on the import's per-customer tables (as-of = latest
    order) and on a fresh aggregation (an earlier as-of date)."""
    import datetime as _dt

    from crm import coupons
    from crm.db import Database as _DB
    from crm.samples import load_sample
    d = _DB(tmp_path / "s.duckdb")
    assert all(r.ok for r in load_sample(d))
    last = d.scalar("SELECT max(ordered_at)::DATE FROM orders")
    province = d.scalar("SELECT province FROM orders WHERE province IS NOT NULL LIMIT 1")
    specs = [C.CohortSpec(), C.CohortSpec(days_min=180), C.CohortSpec(stages=("silent", "sleeping"), purchases_min=2),
             C.CohortSpec(provinces=(province,), spend_min=100), C.CohortSpec(levels=(1, 2), aov_max=80),
             C.CohortSpec(days_min=100000), C.CohortSpec(item_contains="洗发", purchases_min=2)]
    for as_of in (last, last - _dt.timedelta(days=120)):
        for spec in specs:
            e = C.evaluate(d, spec, as_of, values=True)
            got = coupons.stats_from_counts(e["order_values"], e["members"], e["members"], as_of)
            want = coupons.order_values(d, C.members_sql(spec, as_of, fast=C.complete_history(d, as_of)), as_of)
            _same_stats(got, want)
            assert sum(n for _, n in e["order_values"]) == e["purchases"]
            assert sorted(C.order_value_counts(d, spec, as_of)) == sorted(e["order_values"])   # on its own
            plain = C.evaluate(d, spec, as_of)          # the same figures without the values
            assert "order_values" not in plain and plain["members"] == e["members"]
            assert plain["sample"].equals(e["sample"]) and plain["level_mix"].equals(e["level_mix"])
    d.close()


def test_evaluate_sample_is_the_top_spenders(ro):
    e = C.evaluate(ro, CohortSpec(), AS_OF, sample=3)
    assert list(e["sample"]["customer_id"]) == ["dan", "ann", "bob"]    # 5010, 1600, 900
    assert C.evaluate(ro, CohortSpec(), AS_OF, sample=0)["sample"].empty


def _levels(d, as_of, column="level_code"):
    """{customer: level (or province)} of everyone, on the import's per-customer table and on a
    fresh aggregation (which must agree)."""
    return _both_ways(d, CohortSpec(), as_of, column)


def test_member_export_level_follows_every_import(shop, make_file, tmp_path):
    """customer_stats keeps the member export's level and province for the cohorts' fast path: right
    after orders then members (the fixture), after a member export that changes them, members first."""
    assert _levels(shop, dt.date(2026, 1, 5))["ivy"] == 3
    assert _levels(shop, dt.date(2026, 1, 5), "province")["ivy"] == "四川省"     # no province on her orders
    assert import_file(shop, make_file("m2.csv", "买家昵称,会员等级编号,省份\nivy,2,江西省\nbob,4,湖北省\n")).ok
    levels = _levels(shop, dt.date(2026, 1, 5))
    assert levels["ivy"] == 2 and levels["bob"] == 4 and levels["ann"] == 2
    provinces = _levels(shop, dt.date(2026, 1, 5), "province")
    assert provinces["ivy"] == "江西省" and provinces["bob"] == "北京"             # bob's order has one
    assert C.evaluate(shop, CohortSpec(levels=(4,)), dt.date(2026, 1, 5))["members"] == 2   # bob, dan
    from crm.db import Database as _DB
    d = _DB(tmp_path / "members-first.duckdb")
    assert import_file(d, make_file("m.csv", MEMBERS)).ok
    assert import_file(d, make_file("log.csv", LOG), mapping=MAP).ok
    assert _levels(d, dt.date(2026, 1, 5))["ivy"] == 3
    assert _levels(d, dt.date(2026, 1, 5), "province")["ivy"] == "四川省"
    d.close()


def _both_ways(d, spec, as_of, column=None):
    """The cohort on the import's per-customer tables and on a fresh aggregation, which must agree:
    {customer: column} (with `column`), else the set of customers."""
    got = []
    for fast in (False, True):
        sql, params = C.cohort_sql(spec, as_of, fast=fast, extra=True)
        rows = d.query(f"SELECT customer_id, {column or 'NULL'} FROM ({sql}) s", params)
        got.append({r[0]: r[1] for r in rows} if column else {r[0] for r in rows})
    assert got[0] == got[1], spec
    return got[0]


def test_item_contains_on_the_import_tables(shop):
    """As of the latest order, "bought an item whose title contains" reads item_titles / item_buyers:
    the same members as searching every purchase, literal % and _, refunded orders left out."""
    as_of = dt.date(2026, 1, 5)
    assert C.complete_history(shop, as_of)
    cases = {"blue cup": {"ann", "gus"}, "mug": {"cat", "eve"}, "%": {"cat"}, "_": {"cat"}, "茶叶": {"hal"},
             INJECTION: {"dan"}, "no such thing": set()}
    for text, expected in cases.items():
        assert _both_ways(shop, CohortSpec(item_contains=text), as_of) == expected, text
    assert C.evaluate(shop, CohortSpec(item_contains="mug", days_max=40), as_of)["members"] == 1   # cat


@pytest.mark.parametrize("orders, items", [("taobao_orders_61_gbk.csv", "taobao_items_2022.csv"),
                                           ("taobao_orders_54_gbk.csv", "taobao_items_old.csv"),
                                           ("shopify_orders.csv", None)])
def test_item_tables_follow_item_imports(db, orders, items):
    """Item exports imported after the orders (and line-level order files) update the item tables:
    every title fragment finds the same buyers on both paths."""
    from pathlib import Path
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    assert import_file(db, fixtures / orders).ok
    if items:
        assert import_file(db, fixtures / items).ok
    as_of = db.scalar("SELECT max(ordered_at)::DATE FROM orders")
    titles = [r[0] for r in db.query("SELECT DISTINCT title FROM order_items WHERE title IS NOT NULL "
                                     "UNION SELECT DISTINCT item_title FROM orders WHERE item_title IS NOT NULL")]
    assert titles
    found = 0
    for title in titles[:25]:
        for fragment in (title[:3], title[-4:], title.upper()):
            found += bool(_both_ways(db, CohortSpec(item_contains=fragment), as_of))
    assert found
