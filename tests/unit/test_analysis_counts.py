"""Purchase count analysis on tiny hand-computed data (definitions: crm/analysis/counts.py)."""
import datetime as dt
import json
from decimal import Decimal

from crm.analysis import counts
from crm.filters import Filters
from crm.importing import import_file

MAP = {"order_id": "order_id", "customer_id": "customer", "ordered_at": "date", "amount": "amount",
       "refund": "refund"}
HEADER = "order_id,customer,date,amount,refund\n"
# ann 4 purchases (gaps 10, 20, 29 days), bob 3 (two on Feb 1: gap 0, then 24), cat 2 (gap 31;
# order 9 refunded 50 of 200 → spend 150), dan 1, eve 1 (order 12 refunded in full: no purchase),
# order 13 has no buyer key. GMV in scope 2580 = 400 + 150 + 450 + 1000 + 80 + 500 (no buyer).
SHOP = HEADER + (
    "1,ann,2025-01-01 10:00:00,100,0\n"
    "2,ann,2025-01-11 10:00:00,100,0\n"
    "3,ann,2025-01-31 10:00:00,100,0\n"
    "4,ann,2025-03-01 10:00:00,100,0\n"
    "5,bob,2025-02-01 09:00:00,50,0\n"
    "6,bob,2025-02-01 15:00:00,50,0\n"
    "7,bob,2025-02-25 12:00:00,50,0\n"
    "8,cat,2025-03-01 08:00:00,300,0\n"
    "9,cat,2025-04-01 08:00:00,200,50\n"
    "10,dan,2025-05-01 08:00:00,1000,0\n"
    "11,eve,2025-06-01 08:00:00,80,0\n"
    "12,eve,2025-06-05 08:00:00,80,80\n"
    "13,,2025-07-01 08:00:00,500,0\n")
AS_OF = dt.date(2025, 12, 31)


def load(db, make_file, text=SHOP, name="log.csv"):
    assert import_file(db, make_file(name, text), mapping=MAP).ok


def test_exact_counts_with_shares_gmv_and_spend_per_buyer(db, make_file):
    load(db, make_file)
    table, totals = counts.by_count(db, Filters(as_of=AS_OF))
    assert table["purchases"].tolist() == [1, 2, 3, 4]
    assert table["buyers"].tolist() == [2, 1, 1, 1]
    assert table["buyer_share"].tolist() == [Decimal("0.4"), Decimal("0.2"), Decimal("0.2"), Decimal("0.2")]
    assert table["gmv"].tolist() == [Decimal("1080.00"), Decimal("450.00"), Decimal("150.00"), Decimal("400.00")]
    # shares of all GMV in scope (2580, the order without a buyer included)
    assert table["gmv_share"].tolist() == [Decimal("0.4186"), Decimal("0.1744"), Decimal("0.0581"), Decimal("0.1550")]
    money = lambda *v: [Decimal(x) for x in v]  # noqa: E731
    assert table["avg_spend_per_buyer"].tolist() == money("540.00", "450.00", "150.00", "400.00")
    assert table["avg_order_value"].tolist() == money("540.00", "225.00", "50.00", "100.00")
    assert totals["buyers"] == 5 and totals["repeat_buyers"] == 3
    assert totals["repurchase_rate"] == Decimal("0.6")
    assert totals["purchases"] == 12 and totals["gmv"] == Decimal("2580.00")
    assert totals["purchases_per_buyer"] == Decimal("2.20")  # 11 purchases with a buyer / 5 buyers


def test_orders_without_buyer_are_in_no_buyer_figure(db, make_file):
    load(db, make_file)
    c = counts.compute(db, Filters(as_of=AS_OF))
    assert c["totals"]["no_buyer_purchases"] == 1 and c["totals"]["no_buyer_gmv"] == Decimal("500.00")
    assert int(c["by_count"]["buyers"].sum()) == 5
    assert int(c["funnel"]["buyers"].iloc[0]) == 5
    # a scope with only orders without a buyer (Jan 2): purchases, but no buyers
    load(db, make_file, HEADER + "x1,,2025-01-02,10,0\nx2,,2025-01-02,20,0\n", "nobuyer.csv")
    f = Filters(as_of=dt.date(2025, 1, 2), start=dt.date(2025, 1, 2))
    c = counts.compute(db, f)
    assert not c["empty"] and c["no_buyers"] and c["totals"]["no_buyer_gmv"] == Decimal("30.00")
    rep = counts.report(db, f)
    assert rep["purchase_counts"] == [] and rep["buyers"] == 0 and rep["silent_repeat"]["buyers"] == 0


def test_refunded_in_full_orders_are_not_counted(db, make_file):
    load(db, make_file)
    table, _ = counts.by_count(db, Filters(as_of=AS_OF))
    # eve paid twice, one refunded in full: she is a one-purchase buyer with GMV 80
    ones = table[table["purchases"] == 1].iloc[0]
    assert ones["buyers"] == 2 and ones["gmv"] == Decimal("1080.00")  # dan 1000 + eve 80
    f = Filters(as_of=AS_OF, start=dt.date(2025, 6, 1), end=dt.date(2025, 6, 30))
    assert counts.report(db, f)["purchase_counts"] == [{"purchases": 1, "buyers": 1}]


def test_groups_cover_every_band(db, make_file):
    load(db, make_file)
    c = counts.compute(db, Filters(as_of=AS_OF))
    g = c["groups"]
    assert g["group"].tolist() == ["1", "2", "3", "4-5", "6-10", "11+"]
    assert g["buyers"].tolist() == [2, 1, 1, 1, 0, 0]
    assert g["gmv"].tolist()[3] == Decimal("400.00") and g["gmv"].tolist()[4] == Decimal("0.00")
    assert g["avg_spend_per_buyer"].tolist()[4] is None
    assert g["hi"].tolist() == [1, 2, 3, 5, 10, None]
    # 6–10 and 11+ from larger counts
    many = HEADER + "".join(f"m{i},max,2025-0{1 + i // 10}-{1 + i % 10:02d},10,0\n" for i in range(12)) \
        + "".join(f"s{i},sue,2025-01-{1 + i:02d},10,0\n" for i in range(7))
    load(db, make_file, many, "many.csv")
    g = counts.compute(db, Filters(as_of=AS_OF))["groups"]
    assert g["buyers"].tolist() == [2, 1, 1, 1, 1, 1]


def test_funnel_shares_conversion_and_median_days(db, make_file):
    load(db, make_file)
    fn = counts.compute(db, Filters(as_of=AS_OF))["funnel"]
    assert fn["step"].tolist() == [1, 2, 3, 4, 5]
    assert fn["buyers"].tolist() == [5, 3, 2, 1, 0]
    assert fn["share"].tolist() == [1.0, 0.6, 0.4, 0.2, 0.0]
    assert [round(v, 4) for v in fn["conversion"]] == [1.0, 0.6, 0.6667, 0.5, 0.0]
    # 1st→2nd: ann 10, bob 0 (same day), cat 31 → 10; 2nd→3rd: ann 20, bob 24 → 22 (interpolated);
    # 3rd→4th: ann 29
    assert fn["median_days"].tolist() == [None, 10.0, 22.0, 29.0, None]


def test_funnel_uses_purchases_in_scope(db, make_file):
    load(db, make_file)
    # from Jan 20: ann's 1st purchase in scope is Jan 31, her 2nd Mar 1 (29 days)
    f = Filters(as_of=AS_OF, start=dt.date(2025, 1, 20))
    fn = counts.compute(db, f)["funnel"]
    assert fn["buyers"].tolist() == [5, 3, 1, 0, 0]
    assert fn["median_days"].tolist() == [None, 29.0, 24.0, None, None]  # ann 29, bob 0, cat 31


def test_silent_repeat_buyers(db, make_file):
    load(db, make_file)
    f = Filters(as_of=AS_OF)
    s = counts.silent_repeat(db, f, min_purchases=3, min_days=180)
    assert s["buyers"] == 2 and s["gmv"] == Decimal("550.00")
    rows = s["rows"]
    assert rows["customer_id"].tolist() == ["ann", "bob"]  # by spend: 400, 150
    assert rows["purchases"].tolist() == [4, 3]
    assert rows["spend"].tolist() == [Decimal("400.00"), Decimal("150.00")]
    assert rows["last_purchase"].tolist() == [dt.date(2025, 3, 1), dt.date(2025, 2, 25)]
    assert rows["days_since_last"].tolist() == [305, 309]
    assert rows["level_code"].tolist() == [1, 0]  # default rules: 200 / 800 / …
    # strictly more than min_days
    assert counts.silent_repeat(db, f, 3, 305)["rows"]["customer_id"].tolist() == ["bob"]
    assert counts.silent_repeat(db, f, 3, 304)["buyers"] == 2
    assert counts.silent_repeat(db, f, 4, 180)["rows"]["customer_id"].tolist() == ["ann"]
    # two purchases: cat too (last Apr 1 → 274 days), sorted by spend
    two = counts.silent_repeat(db, f, 2, 180)
    assert two["rows"]["customer_id"].tolist() == ["cat", "ann", "bob"] and two["gmv"] == Decimal("1000.00")
    # the as-of date moves days since last purchase
    s = counts.silent_repeat(db, f.with_(as_of=dt.date(2025, 6, 1)), 3, 90)
    assert s["rows"]["days_since_last"].tolist() == [92, 96]
    # the list is limited in SQL; the count and GMV still cover everyone
    s = counts.silent_repeat(db, f, 2, 180, limit=1)
    assert len(s["rows"]) == 1 and s["buyers"] == 3 and s["gmv"] == Decimal("1000.00")


def test_days_since_last_purchase_uses_history_up_to_as_of(db, make_file):
    text = HEADER + ("1,gus,2025-01-01,10,0\n2,gus,2025-01-02,10,0\n3,gus,2025-01-03,10,0\n"
                     "4,gus,2025-09-01,10,0\n")
    load(db, make_file, text)
    # range up to June: 3 purchases in scope, but the last purchase up to the as-of date is Sep 1
    f = Filters(as_of=AS_OF, end=dt.date(2025, 6, 30))
    assert counts.silent_repeat(db, f, 3, 180)["buyers"] == 0
    s = counts.silent_repeat(db, f, 3, 100)
    r = s["rows"].iloc[0]
    assert (r["customer_id"], r["purchases"], r["spend"]) == ("gus", 3, Decimal("30.00"))
    assert r["last_purchase"] == dt.date(2025, 9, 1) and r["days_since_last"] == 121
    # a purchase after the as-of date does not count
    s = counts.silent_repeat(db, Filters(as_of=dt.date(2025, 8, 31)), 3, 180)
    assert s["rows"]["last_purchase"].tolist() == [dt.date(2025, 1, 3)]
    assert s["rows"]["days_since_last"].tolist() == [240]


def test_default_min_days_is_twice_the_usage_cycle(db, make_file):
    load(db, make_file)
    # purchase-day gaps: ann 10, 20, 29; bob 24; cat 31 → median 24 → 48
    assert counts.default_min_days(db, Filters(as_of=AS_OF)) == 48
    c = counts.compute(db, Filters(as_of=AS_OF))
    assert c["silent"]["min_days"] == 48 and c["silent"]["buyers"] == 2
    assert counts.report(db, Filters(as_of=AS_OF))["silent_repeat"] == {
        "min_purchases": 3, "min_days": 48, "buyers": 2, "gmv": 550.0}


def test_everyone_bought_once(db, make_file):
    text = HEADER + "1,a,2025-01-01,10,0\n2,b,2025-02-01,20,0\n3,c,2025-03-01,30,0\n"
    load(db, make_file, text)
    f = Filters(as_of=AS_OF)
    c = counts.compute(db, f)
    assert c["totals"]["repeat_buyers"] == 0 and c["totals"]["repurchase_rate"] == Decimal("0")
    assert c["funnel"]["buyers"].tolist() == [3, 0, 0, 0, 0]
    assert c["funnel"]["median_days"].tolist() == [None] * 5
    assert c["silent"]["buyers"] == 0 and c["silent"]["rows"].empty
    assert counts.default_min_days(db, f) == 180
    rep = counts.report(db, f)
    assert rep["purchase_counts"] == [{"purchases": 1, "buyers": 3}]
    assert [s["share"] for s in rep["funnel"]] == [0.0, 0.0, 0.0, 0.0]
    assert rep["silent_repeat"] == {"min_purchases": 3, "min_days": 180, "buyers": 0, "gmv": 0.0}
    assert counts.silent_repeat(db, f, 1, 30)["buyers"] == 3


def test_one_buyer(db, make_file):
    load(db, make_file, HEADER + "1,solo,2025-01-01,10,0\n2,solo,2025-01-08,30,0\n")
    c = counts.compute(db, Filters(as_of=dt.date(2025, 1, 31)))
    assert c["by_count"]["purchases"].tolist() == [2] and c["by_count"]["buyer_share"].tolist() == [Decimal("1")]
    assert c["groups"]["buyers"].tolist() == [0, 1, 0, 0, 0, 0]
    assert c["funnel"]["share"].tolist() == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert c["funnel"]["median_days"].tolist()[1] == 7.0
    assert c["totals"]["purchases_per_buyer"] == Decimal("2.00")


def test_empty_range_and_levels_without_members(db, make_file):
    load(db, make_file)
    for f in (Filters(as_of=AS_OF, start=dt.date(2025, 8, 1)),   # no orders after July
              Filters(as_of=AS_OF, levels=(4,))):                  # nobody at level 4
        c = counts.compute(db, f)
        assert c["empty"] and c["by_count"].empty
        assert c["groups"]["buyers"].tolist() == [0] * 6
        assert c["funnel"]["buyers"].tolist() == [0] * 5
        assert c["silent"]["buyers"] == 0
        rep = counts.report(db, f)
        json.dumps(rep)
        assert rep["purchase_counts"] == [] and len(rep["funnel"]) == 4


def test_empty_database(db):
    c = counts.compute(db, Filters(as_of=AS_OF))
    assert c["empty"] and c["funnel"]["buyers"].tolist() == [0] * 5
    assert counts.report(db, Filters(as_of=AS_OF))["purchase_counts"] == []


def test_report_shape(db, make_file):
    load(db, make_file)
    rep = counts.report(db, Filters(as_of=AS_OF))
    json.dumps(rep)
    assert rep["purchase_counts"] == [{"purchases": 1, "buyers": 2}, {"purchases": 2, "buyers": 1},
                                      {"purchases": 3, "buyers": 1}, {"purchases": 4, "buyers": 1}]
    assert [g["group"] for g in rep["groups"]] == ["1", "2", "3", "4-5", "6-10", "11+"]
    assert rep["funnel"][0] == {"step": 2, "buyers": 3, "share": 0.6, "conversion": 0.6, "median_days": 10.0}
    assert {"min_purchases", "min_days", "buyers", "gmv"} <= set(rep["silent_repeat"])
    assert rep["no_buyer"] == {"purchases": 1, "gmv": 500.0}
