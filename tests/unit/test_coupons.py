"""Coupon sizing on tiny hand-computed data: order values, candidate offers, economics, the
recommendation and the charts."""
import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from crm.sql import Q

from crm import coupons
from crm.charts import coupons as charts
from crm.coupons import Assumptions
from crm.filters import Filters
from crm.i18n import msg
from crm.importing import import_file

AS_OF = dt.date(2025, 12, 31)
MAP = {"order_id": "order_id", "customer_id": "customer", "ordered_at": "date", "amount": "amount",
       "refund": "refund", "province": "province"}
# ann 10/20/30/40/50, bob 60/0 (a gift)/100, cat 200, dan only an order refunded in full,
# eve buys after the as-of date, ann's 999 is after the as-of date too.
LOG = ("order_id,customer,date,amount,refund,province\n"
       "1,ann,2025-01-01,10,0,广东省\n"
       "2,ann,2025-02-01,20,0,广东省\n"
       "3,ann,2025-03-01,30,0,广东省\n"
       "4,ann,2025-04-01,40,0,广东省\n"
       "5,ann,2025-05-01,50,0,广东省\n"
       "6,bob,2025-01-05,60,0,广东省\n"
       "7,bob,2025-02-05,0,0,广东省\n"
       "8,bob,2025-03-05,100,0,北京\n"
       "9,cat,2025-06-01,200,0,北京\n"
       "10,dan,2025-06-01,500,500,北京\n"
       "11,eve,2026-01-05,70,0,北京\n"
       "12,ann,2026-01-10,999,0,广东省\n"
       "13,frank,2025-07-01,88,0,广东省\n"
       "14,gil,2025-07-01,30,0,广东省\n"
       "15,gil,2025-08-01,30,0,广东省\n"
       "16,hal,2025-09-01,30,0,广东省\n"
       "17,ivy,2025-09-01,1234567.89,0,广东省\n"
       "18,ivy,2025-10-01,9876543.21,0,广东省\n"
       "19,jon,2025-10-01,2345678.90,0,广东省\n")  # big, under the ¥10M per-order cap
BY_NAME = "SELECT cust_no FROM customers WHERE list_contains($names::VARCHAR[], customer_id)"


def by_name(names) -> Q:
    return Q(BY_NAME, names=list(names))


@pytest.fixture
def loaded(db, make_file):
    assert import_file(db, make_file("log.csv", LOG), mapping=MAP).ok
    return db


def values(db, *names, as_of=AS_OF, f=None):
    return coupons.order_values(db, by_name(names), as_of, f)


# -- 1. order values ---------------------------------------------------------------------------
def test_order_values_hand_computed(loaded):
    s = values(loaded, "ann", "bob", "cat", "dan")
    # dan is a member without a purchase; bob's gift counts as a purchase but not as an order value
    assert (s["members"], s["buyers"], s["purchases"], s["zero_spend"], s["orders"]) == (4, 3, 9, 1, 8)
    assert s["gmv"] == Decimal("510.00") and s["mean"] == Decimal("63.75")  # 510 / 8
    # quantile_cont over 10 20 30 40 50 60 100 200: position 7q, linear between neighbours
    assert [s[k] for k in ("p10", "p25", "p50", "p60", "p70", "p75", "p80", "p90")] == [
        Decimal(v) for v in ("17.00", "27.50", "45.00", "52.00", "59.00", "70.00", "84.00", "130.00")]
    # P90 = 130 → width 10 (floor(130/5)+1 = 27 > 20, floor(130/10)+1 = 14); open bin from 140
    assert s["bin_width"] == 10 and s["cap"] == 140
    h = s["histogram"]
    assert list(h["bin"]) == list(range(15)) and h["lo"].iloc[-1] == 140 and pd.isna(h["hi"].iloc[-1])
    assert dict(zip(h["bin"], h["orders"])) == {0: 0, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 0, 8: 0, 9: 0,
                                                10: 1, 11: 0, 12: 0, 13: 0, 14: 1}
    assert h["orders"].sum() == 8 and h["share"].sum() == pytest.approx(1)
    tail = s["tail"]
    assert list(tail["cents"]) == [v * 100 for v in (10, 20, 30, 40, 50, 60, 100, 200)]
    assert list(tail["orders_at_least"]) == [8, 7, 6, 5, 4, 3, 2, 1]
    assert tail["spend_at_least_cents"].iloc[3] == 45000  # 40+50+60+100+200
    assert coupons.reaching(s, 60) == (3, Decimal(120)) and coupons.reaching(s, 201) == (0, None)
    assert coupons.reaching(s, Decimal("59.99")) == (3, Decimal(120))


def test_as_of_and_filters_scope_the_history(loaded):
    s = values(loaded, "ann", as_of=dt.date(2026, 1, 31))  # ann's 999 now counts
    assert s["orders"] == 6 and s["gmv"] == Decimal("1149.00")
    s = values(loaded, "ann", "bob", "cat", f=Filters(as_of=AS_OF, provinces=("北京",),
                                                      start=dt.date(2025, 6, 1)))  # date range ignored
    assert (s["members"], s["buyers"], s["orders"]) == (3, 2, 2)


def test_duplicate_and_null_members_are_counted_once(loaded):
    sql = "SELECT cust_no FROM orders UNION ALL SELECT cust_no FROM orders UNION ALL SELECT NULL"
    s = coupons.order_values(loaded, Q(sql), AS_OF)
    assert s["members"] == 10  # ann … jon: eve too (her only order is after the as-of date), dan too


def test_empty_cohort(loaded):
    s = values(loaded, "nobody", "nobody-else")
    assert s["empty"] and s["members"] == 0 and s["orders"] == 0 and s["p50"] is None
    assert s["histogram"].empty and s["tail"].empty
    offers = coupons.candidate_offers(s)
    assert offers.empty and list(offers.columns) == coupons.OFFER_COLUMNS
    econ = coupons.economics(offers, s["members"])
    assert econ.empty and list(econ.columns) == coupons.ECONOMICS_COLUMNS
    assert coupons.recommend(econ) is None
    plan = coupons.plan(loaded, by_name(["dan"]), AS_OF)  # a member, but no purchase
    assert plan["stats"]["members"] == 1 and plan["stats"]["empty"] and plan["recommendation"] is None


def test_empty_database(db):
    s = values(db, "ann")
    assert s["empty"] and s["members"] == 0


# -- 2. candidate offers -----------------------------------------------------------------------
def test_thresholds_and_amounts(loaded):
    s = values(loaded, "ann", "bob", "cat")
    # step = largest of 1, 5, 10, … ≤ P75/5 = 14 → 10; P50 45 ↓ 40, P60 52 → 50, P70 59 → 60,
    # P75 70 → 70, P80 84 ↑ 90
    assert coupons.threshold_step(s["p75"]) == 10
    assert coupons.default_thresholds(s) == [Decimal(v) for v in (40, 50, 60, 70, 90)]
    assert coupons.default_thresholds(s, charm=True) == [Decimal(v) for v in (39, 49, 59, 69, 89)]
    offers = coupons.candidate_offers(s)
    by_x = offers.groupby("threshold")["amount"].apply(list).to_dict()
    assert by_x == {40: [1, 2, 3, 5, 10], 50: [1, 2, 3, 5, 10], 60: [2, 3, 5, 10],
                    70: [2, 3, 5, 10, 20], 90: [2, 3, 5, 10, 20]}
    row = offers.set_index("offer").loc["60-5"]
    assert row["discount"] == pytest.approx(5 / 60)
    assert (row["orders_reaching"], row["reach_share"], row["mean_reaching"]) == (3, 3 / 8, 120.0)
    assert row["lift"] == pytest.approx(60 / 45 - 1) and row["lift_yuan"] == 15.0
    row = offers.set_index("offer").loc["40-10"]
    assert (row["orders_reaching"], row["mean_reaching"], row["lift_yuan"]) == (5, 90.0, -5.0)
    assert offers["discount"].between(0.02, 0.30).all()


def test_custom_thresholds_amounts_and_bounds(loaded):
    s = values(loaded, "ann", "bob", "cat")
    offers = coupons.candidate_offers(s, thresholds=[59, 0, -5, 59], amounts=[1, 2, 5, 20],
                                      min_discount=0.03, max_discount=0.10)
    assert list(offers["offer"]) == ["59-2", "59-5"]  # 1/59 < 3%, 20/59 > 10%
    assert coupons.amounts_for(100) == [Decimal(v) for v in (2, 3, 5, 10, 20, 30)]
    assert coupons.amounts_for(50, min_discount=0.02, max_discount=0.3) == [Decimal(v) for v in (1, 2, 3, 5, 10)]


def test_one_member_with_one_order(loaded):
    s = values(loaded, "frank")
    assert (s["members"], s["orders"], s["p10"], s["p50"], s["p90"], s["mean"]) == (
        1, 1, Decimal("88.00"), Decimal("88.00"), Decimal("88.00"), Decimal("88.00"))
    # width 5 (floor(88/2)+1 = 45 > 20, floor(88/5)+1 = 18); 88 in bin 17 = [85, 90); open bin from 90
    assert s["bin_width"] == 5 and s["cap"] == 90
    assert s["histogram"].set_index("bin").loc[17, "orders"] == 1 and len(s["histogram"]) == 19
    # step 10: 88 ↓ 80, 88 → 90, 88 ↑ 90 → {80, 90} + 100 to have three
    assert coupons.default_thresholds(s) == [Decimal(80), Decimal(90), Decimal(100)]
    offers = coupons.candidate_offers(s)
    reach = offers.groupby("threshold")["reach_share"].first().to_dict()
    assert reach == {80: 1.0, 90: 0.0, 100: 0.0}
    assert offers.loc[offers["threshold"] == 90, "mean_reaching"].isna().all()
    rec = coupons.recommend(coupons.economics(offers, s["members"]))
    assert rec is not None and rec["offer"]["cohort_size"] == 1


def test_all_orders_of_the_same_value(loaded):
    s = values(loaded, "gil", "hal")
    assert s["p10"] == s["p90"] == Decimal("30.00") and s["orders"] == 3
    assert s["bin_width"] == 2 and s["cap"] == 32  # floor(30/2)+1 = 16 ≤ 20
    assert s["histogram"].set_index("bin").loc[15, "orders"] == 3
    assert coupons.default_thresholds(s) == [Decimal(30), Decimal(35), Decimal(40)]  # step 5
    offers = coupons.candidate_offers(s)
    assert offers.groupby("threshold")["reach_share"].first().to_dict() == {30: 1.0, 35: 0.0, 40: 0.0}
    assert list(offers.loc[offers["threshold"] == 30, "amount"]) == [1, 2, 3, 5]


def test_huge_values(loaded):
    s = values(loaded, "ivy", "jon")
    assert s["p50"] == Decimal("2345678.90") and s["mean"] == Decimal("4485596.67")
    xs = coupons.default_thresholds(s)
    assert 3 <= len(xs) <= 5 and all(x > 0 and x % 500_000 == 0 for x in xs)  # step ≤ P75/5 (6,111,111)
    offers = coupons.candidate_offers(s)
    assert not offers.empty and offers["discount"].between(0.02, 0.30).all()
    assert offers["amount"].min() >= 50_000
    econ = coupons.economics(offers, s["members"])
    assert econ["gross_profit"].notna().all()
    assert s["histogram"]["orders"].sum() == 3


# -- 3. economics ------------------------------------------------------------------------------
def Flat(**kw):
    """One redemption rate for every offer (the hand-computed formulas below)."""
    return Assumptions(reach_elasticity=0, discount_elasticity=0, **kw)


def offer(x, y, mean_reaching):
    return pd.DataFrame([{"offer": coupons.offer_id(x, y), "threshold": x, "amount": y, "discount": y / x,
                          "orders_reaching": 1, "reach_share": 0.5, "mean_reaching": mean_reaching,
                          "lift": 0.0, "lift_yuan": 0.0}])


def test_economics_hand_computed():
    row = coupons.economics(offer(60, 5, 120.0), 1000, Flat()).iloc[0]
    # R = 1000 × 0.08 = 80; A = max(60, 120) = 120; C = 80 × 5 = 400; M = 0.05 × 1000 = 50
    # I = 1000 × (0.08 − 0.02) = 60; G = 60 × 120 = 7200; P = 7200 × 0.5 − 400 − 50 = 3150
    assert (row["redemptions"], row["orders"], row["avg_order_value"]) == (80.0, 80.0, 120.0)
    assert (row["coupon_cost"], row["message_cost"]) == (400.0, 50.0)
    assert (row["incremental_buyers"], row["incremental_gmv"], row["gross_profit"]) == (60.0, 7200.0, 3150.0)
    assert row["roi"] == pytest.approx(7.0)                              # 3150 / 450
    assert row["break_even_rate"] == pytest.approx(1.25 / 55)            # (0.05 + 0.02×120×0.5) / (60 − 5)


def test_economics_without_orders_reaching_the_threshold():
    row = coupons.economics(offer(100, 10, None), 10, Flat()).iloc[0]
    # A = X = 100; R = 0.8; C = 8; M = 0.5; I = 0.6; G = 60; P = 30 − 8 − 0.5 = 21.5
    assert (row["avg_order_value"], row["coupon_cost"], row["message_cost"]) == (100.0, 8.0, 0.5)
    assert (row["incremental_gmv"], row["gross_profit"]) == (60.0, 21.5)
    assert row["roi"] == pytest.approx(21.5 / 8.5)
    assert row["break_even_rate"] == pytest.approx(1.05 / 40)            # (0.05 + 1) / (50 − 10)


def test_economics_with_zero_assumptions():
    # redemption 0: nothing redeemed, messages still cost; break-even does not depend on r
    row = coupons.economics(offer(60, 5, 120.0), 1000, Flat(redemption_rate=0)).iloc[0]
    assert (row["redemptions"], row["coupon_cost"], row["incremental_gmv"], row["gross_profit"]) == (0, 0, 0, -50.0)
    assert row["roi"] == pytest.approx(-1.0) and row["break_even_rate"] == pytest.approx(1.25 / 55)
    # message cost 0: ROI = 3200 / 400
    row = coupons.economics(offer(60, 5, 120.0), 1000, Flat(message_cost=0)).iloc[0]
    assert row["gross_profit"] == 3200.0 and row["roi"] == pytest.approx(8.0)
    assert row["break_even_rate"] == pytest.approx(1.2 / 55)
    # both 0: nothing spent → ROI undefined (None), profit 0
    row = coupons.economics(offer(60, 5, 120.0), 1000, Flat(redemption_rate=0, message_cost=0)).iloc[0]
    assert row["gross_profit"] == 0 and row["roi"] is None
    # baseline 0 and message cost 0: any redemption pays → break-even 0
    row = coupons.economics(offer(60, 5, 120.0), 10, Flat(baseline_rate=0, message_cost=0)).iloc[0]
    assert row["break_even_rate"] == 0
    # baseline above redemption: no incremental buyer, the coupons are pure cost
    row = coupons.economics(offer(60, 5, 120.0), 1000, Flat(redemption_rate=0.01)).iloc[0]
    assert (row["incremental_buyers"], row["gross_profit"]) == (0, -100.0)  # −10×5 − 50
    # margin 0: no profit whatever the rate
    row = coupons.economics(offer(60, 5, 120.0), 1000, Flat(gross_margin=0)).iloc[0]
    assert row["break_even_rate"] is None and row["gross_profit"] == -450.0
    # cohort of 0: everything 0, still defined
    row = coupons.economics(offer(60, 5, 120.0), 0, Flat()).iloc[0]
    assert row["gross_profit"] == 0 and row["roi"] is None and row["break_even_rate"] == pytest.approx(1.25 / 55)


def test_break_even_never():
    # A × m = 120 × 0.04 = 4.8 ≤ Y = 5: every redeemed order loses money
    row = coupons.economics(offer(60, 5, 120.0), 100, Flat(gross_margin=0.04)).iloc[0]
    assert row["break_even_rate"] is None
    # a rate above 100% is never reached: (100 + 1.2) / 55 > 1
    row = coupons.economics(offer(60, 5, 120.0), 100, Flat(message_cost=100)).iloc[0]
    assert row["break_even_rate"] is None


def test_money_rounded_to_cents():
    row = coupons.economics(offer(30, 3, 33.333), 7, Flat(redemption_rate=0.123)).iloc[0]
    # A = 33.333 → 33.33; G = 7 × 0.103 × 33.333 = 24.033093 → 24.03; C = 0.861 × 3 = 2.583 → 2.58
    assert (row["avg_order_value"], row["incremental_gmv"], row["coupon_cost"]) == (33.33, 24.03, 2.58)
    # P = 24.033093 × 0.5 − 2.583 − 0.35 = 9.0835465 → 9.08
    assert row["gross_profit"] == 9.08


def test_assumptions_are_validated():
    for bad in (dict(redemption_rate=1.5), dict(baseline_rate=-0.1), dict(gross_margin=2),
                dict(message_cost=-1), dict(window_days=0)):
        with pytest.raises(ValueError):
            coupons.economics(offer(60, 5, 120.0), 10, Flat(**bad))
    assert Assumptions().to_dict()["window_days"] == 30


def test_pipeline_on_data(loaded):
    s = values(loaded, "ann", "bob", "cat", "dan")
    econ = coupons.economics(coupons.candidate_offers(s), s["members"], Flat(redemption_rate=0.5))
    row = econ.set_index("offer").loc["60-5"]
    # N = 4: R = 2, A = 120, C = 10, M = 0.2, I = 4 × 0.48 = 1.92, G = 230.4, P = 115.2 − 10.2 = 105
    assert (row["cohort_size"], row["redemptions"], row["coupon_cost"], row["incremental_gmv"],
            row["gross_profit"]) == (4, 2.0, 10.0, 230.4, 105.0)


# -- 4. recommendation -------------------------------------------------------------------------
def econ_rows(*rows):
    """(threshold, amount, profit, break_even) → an economics-shaped frame."""
    out = []
    for x, y, p, be in rows:
        r = {c: 0.0 for c in coupons.ECONOMICS_COLUMNS}
        r.update(offer=coupons.offer_id(x, y), threshold=x, amount=y, discount=y / x, reach_share=0.62,
                 gross_profit=p, break_even_rate=be, roi=None)
        out.append(r)
    return pd.DataFrame(out, columns=coupons.ECONOMICS_COLUMNS)


def test_recommend_highest_profit_then_smaller_amount_then_lower_threshold():
    df = econ_rows((59, 5, 100.0, 0.031), (69, 3, 120.0, 0.02), (79, 3, 120.0, 0.02), (79, 2, 120.0, 0.02),
                   (99, 10, -5.0, None))
    rec = coupons.recommend(df)
    assert rec["profitable"] and rec["offer"]["offer"] == "79-2"
    df = econ_rows((69, 3, 120.0, 0.02), (59, 3, 120.0, 0.02))
    assert coupons.recommend(df)["offer"]["offer"] == "59-3"
    rec = coupons.recommend(econ_rows((59, 5, 100.0, 0.031)))
    assert rec["reason"] == {"key": "coupons_reason_best", "threshold": "59", "amount": "5", "reach": "62.0%",
                             "discount": "8.5%", "profit": "¥100.00", "break_even": "3.1%"}
    assert msg(rec["reason"], "zh").startswith("满59减5：这群会员过去的订单中有 62.0% 已达到 ¥59")
    assert msg(rec["reason"], "en").startswith("¥5 off ¥59: 62.0% of this cohort's past orders already reach ¥59, "
                                               "the coupon costs 8.5% of the order, and it pays for itself from a "
                                               "3.1% redemption rate")


def test_recommend_when_nothing_pays():
    rec = coupons.recommend(econ_rows((59, 5, -30.0, 0.12), (69, 5, -10.0, 0.15), (79, 10, -10.0, None)))
    assert not rec["profitable"] and rec["offer"]["offer"] == "69-5"  # least loss, then smaller Y
    assert rec["reason"]["key"] == "coupons_reason_loss" and rec["reason"]["break_even"] == "15.0%"
    assert "15.0%" in msg(rec["reason"], "zh") and "15.0%" in msg(rec["reason"], "en")
    rec = coupons.recommend(econ_rows((59, 5, -30.0, None), (69, 5, -10.0, None)))
    assert rec["reason"]["key"] == "coupons_reason_loss_never" and rec["offer"]["offer"] == "69-5"
    assert "满69减5" in msg(rec["reason"], "zh")
    # profit exactly 0 is not a profit
    assert not coupons.recommend(econ_rows((59, 5, 0.0, 0.08)))["profitable"]
    assert coupons.recommend(econ_rows()) is None and coupons.recommend(None) is None


def test_recommendation_is_plain_json(loaded):
    import json
    rec = coupons.plan(loaded, by_name(["ann", "bob", "cat"]), AS_OF)["recommendation"]
    json.dumps(rec)
    assert rec["profitable"]  # with the default assumptions on this cohort


# -- 5. charts ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts(loaded, lang):
    plan = coupons.plan(loaded, by_name(["ann", "bob", "cat"]), AS_OF)
    rec = plan["recommendation"]
    fig = charts.order_value_histogram(plan["stats"], lang, rec)
    assert list(fig.data[0].customdata) == list(range(15)) and list(fig.data[0].y)[14] == 1
    texts = [a.text for a in fig.layout.annotations]
    assert any(("中位数" if lang == "zh" else "Median") in x and "45" in x for x in texts)
    assert any(x.endswith(f"¥{rec['offer']['threshold']:g}") for x in texts)
    assert fig.layout.xaxis.ticktext[-1] == "≥¥140"
    # P25, median, P75 and the threshold: a line across the plot each, at its value
    lines = [(sh.x0, sh.yref, sh.y0, sh.y1) for sh in fig.layout.shapes]
    assert lines == [(27.5, "paper", 0, 1), (45.0, "paper", 0, 1), (70.0, "paper", 0, 1),
                     (float(rec["offer"]["threshold"]), "paper", 0, 1)]
    assert [a.x for a in fig.layout.annotations] == [x for x, *_ in lines]
    bars = charts.profit_bars(plan["economics"], lang, rec)
    assert set(bars.data[0].customdata) == set(plan["economics"]["offer"])
    assert bars.data[0].customdata[-1] == rec["offer"]["offer"]  # best on top
    label = charts.offer_label(60, 5, lang)
    assert label == ("满60减5" if lang == "zh" else "¥5 off ¥60") and label in list(bars.data[0].y)
    sc = charts.offers_scatter(plan["economics"], lang, rec)
    assert len(sc.data[0].x) == len(plan["economics"])
    assert charts.column_labels(lang)["gross_profit"].startswith("预期毛利" if lang == "zh" else "Expected")
    empty = coupons.plan(loaded, by_name(["nobody"]), AS_OF)
    for fig in (charts.order_value_histogram(empty["stats"], lang), charts.profit_bars(empty["economics"], lang),
                charts.offers_scatter(empty["offers"], lang)):
        assert len(fig.data) == 0 and fig.layout.title.text


def test_offer_rate_follows_reach_and_discount():
    a = Assumptions(redemption_rate=0.08)
    # reference offer: reach 0.5, 10% off → the assumed rate
    assert coupons.response_factor(0.5, 0.10, a) == 1.0
    # a quarter of orders reach it, 2.5% off → (0.5) × sqrt(0.25) = 0.25
    assert abs(coupons.response_factor(0.25, 0.025, a) - 0.25) < 1e-12
    assert coupons.response_factor(1.0, 1.0, a) == coupons.MAX_RESPONSE  # capped
    df = pd.DataFrame([{"offer": "60-6", "threshold": 60, "amount": 6, "discount": 0.10, "orders_reaching": 1,
                        "reach_share": 0.25, "mean_reaching": 80.0, "lift": 0.0, "lift_yuan": 0.0}])
    row = coupons.economics(df, 1000, a).iloc[0]
    # r = 0.08 × 0.5 = 0.04: R = 40, C = 240, I = 1000 × 0.02 = 20, G = 1600, P = 800 − 240 − 50 = 510
    assert (row["redemption_rate"], row["redemptions"], row["coupon_cost"], row["gross_profit"]) == (0.04, 40.0, 240.0, 510.0)


def test_recommendation_is_not_always_the_highest_threshold(loaded):
    s = values(loaded, "ann", "bob", "cat", "dan")
    econ = coupons.economics(coupons.candidate_offers(s), 1000, Assumptions())
    best = coupons.recommend(econ)["offer"]
    top = econ["threshold"].max()
    smallest = econ[econ["threshold"] == top]["amount"].min()
    assert (best["threshold"], best["amount"]) != (top, smallest) or len(econ) == 1


def test_stats_from_counts_hand_computed():
    """Counted values in cents, in any order, a value given twice, zero-value purchases."""
    s = coupons.stats_from_counts([(5000, 1), (0, 2), (1000, 1), (5000, 1), (2000, 2)], 7, 4, AS_OF)
    # order values 10, 20, 20, 50, 50 (+ two gifts of 0)
    assert (s["members"], s["buyers"], s["purchases"], s["zero_spend"], s["orders"]) == (7, 4, 7, 2, 5)
    assert s["gmv"] == Decimal("150.00") and s["mean"] == Decimal("30.00")
    assert s["p50"] == Decimal("20.00") and s["p75"] == Decimal("50.00") and s["p10"] == Decimal("14.00")
    assert list(s["tail"]["cents"]) == [1000, 2000, 5000]
    assert list(s["tail"]["orders_at_least"]) == [5, 4, 2]
    assert list(s["tail"]["spend_at_least_cents"]) == [15000, 14000, 10000]
    assert coupons.reaching(s, Decimal("20.01")) == (2, Decimal(50)) and coupons.reaching(s, 20) == (4, Decimal("35"))
    assert int(s["histogram"]["orders"].sum()) == 5
    empty = coupons.stats_from_counts([(0, 3)], 2, 1, AS_OF)
    assert empty["empty"] and empty["zero_spend"] == 3 and empty["gmv"] == Decimal("0.00") and empty["p50"] is None
    assert coupons.stats_from_counts([], 0, 0, AS_OF)["empty"]
