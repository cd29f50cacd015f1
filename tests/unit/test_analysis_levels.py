"""Member levels (crm.analysis.levels) on tiny hand-computed data.

Default rules: levels 1–4 at cumulative spend 200 / 800 / 2000 / 5000 (no count thresholds).
LOG, as of 2025-12-31:
    ann  100 (Jan) + 150 (Feb)          spend 250  → 普通会员 (1), 2 purchases
    bob  900 (Mar) + 100−40 refund (Jun) spend 960  → 高级会员 (2), 2 purchases
    cat  20 (Apr)                       spend 20   → 店铺客户 (0)
    dan  5000 (May)                     spend 5000 → 至尊VIP (4)
    eve  80 refunded in full (May)      spend 0    → 店铺客户 (0), a member but not a buyer
    (no buyer) 30 (May)                 a purchase in no level
VIP会员 (3) has no members. Purchases 7, GMV 6260.
"""
import datetime as dt
import json
from decimal import Decimal

import pytest

from crm.analysis import levels as L
from crm.filters import Filters
from crm.importing import import_file
from crm.levels import LevelRules

LOG = ("order_id,customer,date,amount,refund\n"
       "1,ann,2025-01-05,100,0\n"
       "2,ann,2025-02-10,150,0\n"
       "3,bob,2025-03-01,900,0\n"
       "4,cat,2025-04-01,20,0\n"
       "5,dan,2025-05-01,5000,0\n"
       "6,,2025-05-02,30,0\n"
       "7,eve,2025-05-03,80,80\n"
       "8,bob,2025-06-01,100,40\n")
MAP = {"order_id": "order_id", "customer_id": "customer", "ordered_at": "date", "amount": "amount",
       "refund": "refund"}
AS_OF = dt.date(2025, 12, 31)


def load(db, make_file, text=LOG, name="log.csv"):
    r = import_file(db, make_file(name, text), mapping=MAP)
    assert r.ok, r.message


def rows(result) -> dict:
    return {r["level_code"]: r for r in result["by_level"].to_dict("records")}


@pytest.fixture
def shop(db, make_file):
    load(db, make_file)
    return db


def test_per_level_figures(shop):
    res = L.compute(shop, Filters(as_of=AS_OF))
    by = rows(res)
    assert list(by) == [0, 1, 2, 3, 4]
    assert {c: by[c]["members"] for c in by} == {0: 2, 1: 1, 2: 1, 3: 0, 4: 1}
    assert {c: by[c]["buyers"] for c in by} == {0: 1, 1: 1, 2: 1, 3: 0, 4: 1}
    assert {c: by[c]["purchases"] for c in by} == {0: 1, 1: 2, 2: 2, 3: 0, 4: 1}
    assert {c: by[c]["gmv"] for c in by} == {0: Decimal("20.00"), 1: Decimal("250.00"), 2: Decimal("960.00"),
                                             3: Decimal("0.00"), 4: Decimal("5000.00")}
    # 笔单价 = GMV / purchases, 客单价 = GMV / buyers
    assert by[1]["avg_order_value"] == Decimal("125.00") and by[1]["avg_spend_per_buyer"] == Decimal("250.00")
    assert by[2]["avg_order_value"] == Decimal("480.00") and by[2]["avg_spend_per_buyer"] == Decimal("960.00")
    # 复购率 = buyers with ≥ 2 purchases / buyers
    assert by[1]["repurchase_rate"] == Decimal("1.0000") and by[0]["repurchase_rate"] == Decimal("0.0000")
    assert by[0]["level_name_zh"] == "店铺客户" and by[4]["level_name_zh"] == "至尊VIP会员"
    assert res["source"] == {"export": 0, "rules": 5}


def test_gmv_share_and_orders_without_a_buyer(shop):
    res = L.compute(shop, Filters(as_of=AS_OF))
    by = rows(res)
    # shares of all GMV in scope (6260), the no-buyer order (30) is in no level
    assert {c: by[c]["gmv_share"] for c in by} == {0: Decimal("0.0032"), 1: Decimal("0.0399"), 2: Decimal("0.1534"),
                                                   3: Decimal("0.0000"), 4: Decimal("0.7987")}
    assert res["totals"] == {"purchases": 7, "gmv": Decimal("6260.00"), "no_buyer_purchases": 1,
                             "no_buyer_gmv": Decimal("30.00")}


def test_level_without_members_is_a_zero_row(shop):
    by = rows(L.compute(shop, Filters(as_of=AS_OF)))
    assert by[3]["members"] == by[3]["buyers"] == by[3]["purchases"] == 0
    assert by[3]["avg_order_value"] is None and by[3]["avg_spend_per_buyer"] is None
    assert by[3]["repurchase_rate"] is None


def test_level_filter_keeps_every_row(shop):
    res = L.compute(shop, Filters(as_of=AS_OF, levels=(1, 2)))
    by = rows(res)
    assert {c: by[c]["members"] for c in by} == {0: 0, 1: 1, 2: 1, 3: 0, 4: 0}
    assert res["totals"]["purchases"] == 4 and res["totals"]["gmv"] == Decimal("1210.00")
    assert by[2]["gmv_share"] == Decimal("0.7934")  # 960 / 1210
    assert res["totals"]["no_buyer_purchases"] == 0


def test_date_range_and_as_of(shop):
    # Feb–Mar: ann's 150 and bob's 900; levels stay those as of the as-of date
    by = rows(L.compute(shop, Filters(as_of=AS_OF, start=dt.date(2025, 2, 1), end=dt.date(2025, 3, 31))))
    assert (by[1]["buyers"], by[1]["purchases"], by[1]["gmv"], by[1]["repeat_buyers"]) == (1, 1, Decimal("150.00"), 0)
    assert (by[2]["buyers"], by[2]["gmv"]) == (1, Decimal("900.00"))
    assert by[0]["members"] == 2  # members are everyone known as of the as-of date
    # as of mid-March only ann and bob are known, with their spend so far
    by = rows(L.compute(shop, Filters(as_of=dt.date(2025, 3, 15))))
    assert {c: by[c]["members"] for c in by} == {0: 0, 1: 1, 2: 1, 3: 0, 4: 0}


def test_range_with_no_orders(shop):
    f = Filters(as_of=AS_OF, start=dt.date(2025, 7, 1), end=dt.date(2025, 8, 31))
    res = L.compute(shop, f)
    by = rows(res)
    assert res["totals"]["purchases"] == 0 and res["totals"]["gmv"] == Decimal("0.00")
    assert all(by[c]["buyers"] == 0 and by[c]["gmv_share"] is None for c in by)
    assert sum(by[c]["members"] for c in by) == 5
    assert res["mix"].empty and list(res["mix"].columns) == ["month", "level_code", "buyers", "share"]
    rep = L.report(shop, f)
    json.dumps(rep)
    assert rep["by_level"][1]["gmv_share"] is None and rep["no_buyer"] == {"purchases": 0, "gmv": 0.0}


def test_empty_database(db):
    res = L.compute(db, Filters(as_of=AS_OF))
    assert len(res["by_level"]) == 5 and res["by_level"]["members"].sum() == 0
    assert res["mix"].empty
    w = L.what_if(db, Filters(as_of=AS_OF), LevelRules(spend=(1, 2, 3, 4)))
    assert (w["up"], w["down"], w["same"]) == (0, 0, 0) and w["movers"].empty
    json.dumps(L.report(db, Filters(as_of=AS_OF)))


def test_everyone_bought_once(db, make_file):
    load(db, make_file, "order_id,customer,date,amount,refund\n1,a,2025-01-01,50,0\n2,b,2025-01-02,300,0\n"
                        "3,c,2025-02-01,900,0\n")
    by = rows(L.compute(db, Filters(as_of=AS_OF)))
    assert {c: by[c]["buyers"] for c in by} == {0: 1, 1: 1, 2: 1, 3: 0, 4: 0}
    assert all(by[c]["repeat_buyers"] == 0 for c in by)
    assert by[1]["repurchase_rate"] == Decimal("0.0000")
    assert by[2]["avg_order_value"] == by[2]["avg_spend_per_buyer"] == Decimal("900.00")


def test_one_buyer(db, make_file):
    load(db, make_file, "order_id,customer,date,amount,refund\n1,x,2025-01-01,100,0\n2,x,2025-01-02,100,0\n"
                        "3,x,2025-03-01,100.5,0\n")
    res = L.compute(db, Filters(as_of=AS_OF))
    by = rows(res)
    assert (by[1]["buyers"], by[1]["purchases"], by[1]["gmv"]) == (1, 3, Decimal("300.50"))
    assert by[1]["avg_order_value"] == Decimal("100.17") and by[1]["avg_spend_per_buyer"] == Decimal("300.50")
    assert by[1]["gmv_share"] == Decimal("1.0000") and by[1]["repurchase_rate"] == Decimal("1.0000")
    mix = res["mix"]
    assert list(mix["buyers"]) == [1, 1] and list(mix["share"]) == [1.0, 1.0]


def test_zero_amount_purchases_have_no_share(db, make_file):
    load(db, make_file, "order_id,customer,date,amount,refund\n1,x,2025-01-01,0,0\n")
    res = L.compute(db, Filters(as_of=AS_OF))
    by = rows(res)
    assert by[0]["purchases"] == 1 and by[0]["gmv"] == Decimal("0.00") and by[0]["gmv_share"] is None


def test_level_mix_by_month(shop):
    mix = L.compute(shop, Filters(as_of=AS_OF))["mix"]
    got = {(m.strftime("%Y-%m"), c): (b, round(s, 4)) for m, c, b, s in mix.itertuples(index=False)}
    # May: dan (4) bought, eve's order was refunded, the no-buyer order has no level
    assert got[("2025-05", 4)] == (1, 1.0)
    assert got[("2025-01", 1)] == (1, 1.0) and got[("2025-06", 2)] == (1, 1.0)
    assert len(got) == 6


def test_exported_levels_and_their_source(shop, make_file):
    r = import_file(shop, make_file("m.csv", "买家昵称,会员等级编号\ncat,3\nzed,4\n"))
    assert r.ok
    res = L.compute(shop, Filters(as_of=AS_OF))
    by = rows(res)
    assert {c: by[c]["members"] for c in by} == {0: 1, 1: 1, 2: 1, 3: 1, 4: 2}
    assert by[3]["gmv"] == Decimal("20.00") and by[4]["buyers"] == 1
    assert res["source"] == {"export": 2, "rules": 4}


PROPOSED = LevelRules(spend=(100, 1000, None, 6000), count=(None, None, 2, None))


def test_what_if_moves(shop):
    # ann 250/2 → 3 (count ≥ 2), bob 960/2 → 3, dan 5000/1 → 2 (spend ≥ 1000), cat and eve stay 0
    w = L.what_if(shop, Filters(as_of=AS_OF), PROPOSED)
    assert w["problems"] == []
    assert (w["up"], w["down"], w["same"]) == (2, 1, 2)
    assert list(w["counts"]["current"]) == [2, 1, 1, 0, 1]
    assert list(w["counts"]["proposed"]) == [2, 0, 1, 2, 0]
    m = w["matrix"]
    assert (m.loc[1, 3], m.loc[2, 3], m.loc[4, 2], m.loc[0, 0]) == (1, 1, 1, 2) and int(m.values.sum()) == 5
    assert list(w["movers"]["customer_id"]) == ["dan", "bob", "ann"]
    assert list(w["movers"]["proposed_level"]) == [2, 3, 3]
    assert (w["by_rules"], w["affected"]) == (5, 3)


def test_what_if_same_rules_moves_nobody(shop):
    w = L.what_if(shop, Filters(as_of=AS_OF), LevelRules())
    assert (w["up"], w["down"], w["same"]) == (0, 0, 5) and w["movers"].empty


def test_what_if_ignores_exported_levels_and_reports_problems(shop, make_file):
    assert import_file(shop, make_file("m.csv", "买家昵称,会员等级编号\ncat,3\n")).ok
    w = L.what_if(shop, Filters(as_of=AS_OF), LevelRules(spend=(500, 100, None, None)))
    assert w["problems"] == ["levels_rule_not_rising_spend"]
    assert w["counts"]["current"][0] == 2  # cat by the rules, not her exported VIP level
    # 500 then 100: whoever reaches 100 gets level 2 first (the CASE tests the highest level first)
    assert list(w["counts"]["proposed"]) == [2, 0, 3, 0, 0]
    assert LevelRules(count=(-1, None, None, None)).validate() == ["levels_rule_negative_count"]
    # saving would only change customers without an exported level (cat keeps her VIP level)
    # (spend ≥ 0 for level 1: cat and eve move up; eve has no exported level, so only she is affected)
    w = L.what_if(shop, Filters(as_of=AS_OF), LevelRules(spend=(0, 800, 2000, 5000)))
    assert (w["up"], w["down"], w["by_rules"], w["affected"]) == (2, 0, 4, 1)


def test_report_is_json_ready(shop):
    rep = L.report(shop, Filters(as_of=AS_OF))
    text = json.dumps(rep)
    assert rep["by_level"][4]["gmv"] == 5000.0 and rep["by_level"][4]["gmv_share"] == 0.7987
    assert rep["no_buyer"] == {"purchases": 1, "gmv": 30.0}
    assert rep["rules"] == {"spend": [200, 800, 2000, 5000], "count": [None, None, None, None]}
    assert "VIP" in json.loads(text)["by_level"][3]["level_name_zh"]


@pytest.mark.parametrize("damaged", ["{not json", '{"spend": "abc"}', '{"spend": [1, 2]}', '[1, 2, 3]',
                                     '{"spend": [800, 200, 2000, 5000]}'])
def test_a_damaged_level_rules_setting_falls_back_to_the_defaults(damaged, caplog):
    from crm.levels import LevelRules
    assert LevelRules.from_json(damaged) == LevelRules()
    assert "damaged level_rules setting" in caplog.text
