"""Lifecycle stages, RFM scores and segments, and the 12-month stage movement on tiny
hand-computed data (crm/analysis/lifecycle.py, crm/segments.py)."""
import datetime as dt
import json
import random
from decimal import Decimal

import pandas as pd
import pytest

from crm.analysis import lifecycle as L
from crm.filters import Filters
from crm.importing import import_file
from crm.segments import LifecycleThresholds, RfmCuts, load_thresholds, save_thresholds

MAP = {"order_id": "order_id", "customer_id": "customer", "ordered_at": "date", "amount": "amount"}
AS_OF = dt.date(2025, 6, 30)

# Days since last purchase as of 2025-06-30 on each stage boundary (defaults 15 / 90 / 180 / 365):
#   a 15 (after-sale)  b 16 (active, 2 purchases)  i 30  j 31  c 90 (active)
#   d 91, e 180 (silent)   f 181 (sleeping, 2 purchases)   g 365 (sleeping)   h 366 (lost)
# a also bought after the as-of date (2025-07-01): not counted.
LOG = ("order_id,customer,date,amount\n"
       "1,a,2025-06-15 23:59:00,100\n"
       "2,b,2025-01-10 10:00:00,50\n"
       "3,b,2025-06-14 08:00:00,150\n"
       "4,c,2025-04-01,200\n"
       "5,d,2025-03-31,300\n"
       "6,e,2025-01-01,20\n"
       "7,f,2024-12-31,1000\n"
       "8,f,2024-06-01,500\n"
       "9,g,2024-06-30,80\n"
       "10,h,2024-06-29,60\n"
       "11,i,2025-05-31,99.99\n"
       "12,j,2025-05-30,1000\n"
       "13,a,2025-07-01,999\n")


def load(db, make_file, text=LOG, name="log.csv"):
    assert import_file(db, make_file(name, text), mapping=MAP).ok


def by(df, col):
    return {r[col]: r for r in df.to_dict("records")}


# -- lifecycle stages ---------------------------------------------------------------------------------
def test_stages_at_boundary_days(db, make_file):
    load(db, make_file)
    res = L.compute(db, Filters(as_of=AS_OF))
    assert not res["empty"] and res["problems"] == []
    st = by(res["stages"], "stage")
    assert [st[s]["customers"] for s in ("after_sale", "active", "silent", "sleeping", "lost")] == [1, 4, 2, 2, 1]
    assert (st["active"]["lo"], st["active"]["hi"], st["lost"]["lo"], st["lost"]["hi"]) == (16, 90, 366, None)
    # after-sale: a (100, one purchase up to the as-of date: the 999 on 2025-07-01 is later)
    assert st["after_sale"]["gmv"] == Decimal("100.00") and st["after_sale"]["new"] == 1
    # active: b 50+150, c 200, i 99.99, j 1000 → 1499.99 over 5 purchases and 4 customers
    a = st["active"]
    assert a["gmv"] == Decimal("1499.99") and a["purchases"] == 5
    assert a["avg_order_value"] == Decimal("300.00") and a["avg_spend_per_buyer"] == Decimal("375.00")
    assert (a["new"], a["returning"]) == (3, 1) and a["share"] == pytest.approx(0.4)
    # sleeping: f (2 purchases, 1500) and g (80)
    assert st["sleeping"]["gmv"] == Decimal("1580.00") and (st["sleeping"]["new"], st["sleeping"]["returning"]) == (1, 1)
    assert st["lost"]["gmv"] == Decimal("60.00")
    assert res["totals"] == {"customers": 10, "purchases": 12, "gmv": Decimal("3559.99"), "new": 8, "returning": 2}


def test_edited_thresholds_move_customers(db, make_file):
    load(db, make_file)
    t = LifecycleThresholds(after_sale=16, active=30, silent=91, sleeping=366)
    st = by(L.compute(db, Filters(as_of=AS_OF), t)["stages"], "stage")
    # a 15, b 16 → after-sale; i 30 → active; j 31, c 90, d 91 → silent; e 180 … h 366 → sleeping
    assert [st[s]["customers"] for s in ("after_sale", "active", "silent", "sleeping", "lost")] == [2, 1, 3, 4, 0]
    assert st["lost"]["share"] == 0.0 and st["lost"]["avg_order_value"] is None


def test_stage_thresholds_sql_matches_python():
    t = LifecycleThresholds()
    assert [t.stage_of(d) for d in (0, 15, 16, 90, 91, 180, 181, 365, 366, None)] == [
        "after_sale", "after_sale", "active", "active", "silent", "silent", "sleeping", "sleeping", "lost", None]
    assert t.range_of("after_sale") == (0, 15) and t.range_of("sleeping") == (181, 365)


def test_invalid_thresholds_and_cuts_fall_back_to_defaults(db, make_file):
    load(db, make_file)
    assert LifecycleThresholds(15, 10, 180, 365).validate() == ["segments_not_rising"]
    assert LifecycleThresholds(-1, 90, 180, 365).validate() == ["segments_negative"]
    assert RfmCuts(monetary=(100, 50, 500, 1000)).validate() == ["segments_rfm_not_rising_monetary"]
    assert RfmCuts(recency=(-5, 90, 180, 365)).validate() == ["segments_rfm_negative"]
    res = L.compute(db, Filters(as_of=AS_OF), LifecycleThresholds(15, 10, 180, 365), RfmCuts(frequency=(3, 3, 4, 6)))
    assert res["problems"] == ["segments_not_rising", "segments_rfm_not_rising_frequency"]
    assert res["thresholds"] == LifecycleThresholds() and res["cuts"] == RfmCuts()
    assert by(res["stages"], "stage")["active"]["customers"] == 4


def test_thresholds_saved_as_the_shop_default(db, make_file):
    load(db, make_file)
    assert load_thresholds(db) == LifecycleThresholds()
    save_thresholds(db, LifecycleThresholds(10, 60, 120, 300))
    assert load_thresholds(db) == LifecycleThresholds(10, 60, 120, 300)
    rep = L.report(db, Filters(as_of=AS_OF))   # the report uses the saved thresholds
    assert rep["thresholds"] == {"after_sale": 10, "active": 60, "silent": 120, "sleeping": 300}
    counts = {s["stage"]: s["customers"] for s in rep["stages"]}
    # a 15, b 16, i 30, j 31 → active; c 90, d 91 → silent; e 180, f 181 → sleeping; g 365, h 366 → lost
    assert counts == {"after_sale": 0, "active": 4, "silent": 2, "sleeping": 2, "lost": 2}


# -- RFM ----------------------------------------------------------------------------------------------
def test_rfm_scores_at_cut_points(db, make_file):
    load(db, make_file)
    res = L.compute(db, Filters(as_of=AS_OF))
    grid = {r["cell"]: r for r in res["rf_grid"].to_dict("records")}
    assert len(grid) == 25 and list(res["rf_grid"]["cell"][:6]) == ["R5F1", "R5F2", "R5F3", "R5F4", "R5F5", "R4F1"]
    # R: ≤30 → 5 (a 15, i 30, b 16), ≤90 → 4 (j 31, c 90), ≤180 → 3 (d 91, e 180), ≤365 → 2 (f, g), else 1 (h)
    # F: 1 purchase → F1, 2 → F2 (b, f)
    got = {c: r["customers"] for c, r in grid.items() if r["customers"]}
    assert got == {"R5F1": 2, "R5F2": 1, "R4F1": 2, "R3F1": 2, "R2F2": 1, "R2F1": 1, "R1F1": 1}
    assert grid["R5F1"]["gmv"] == Decimal("199.99") and grid["R4F1"]["gmv"] == Decimal("1200.00")
    # M: < 100 → 1 (e 20, g 80, h 60, i 99.99), ≥ 100 → 2 (a 100), ≥ 200 → 3 (b, c, d), ≥ 1000 → 5 (f 1500, j 1000)
    m = by(res["m_distribution"], "m")
    assert [m[s]["customers"] for s in (1, 2, 3, 4, 5)] == [4, 1, 3, 0, 2]
    assert m[1]["gmv"] == Decimal("259.99") and (m[5]["lo"], m[5]["hi"]) == (1000, None)


def test_rfm_custom_cuts(db, make_file):
    load(db, make_file)
    cuts = RfmCuts(recency=(15, 16, 90, 91), frequency=(2, 3, 4, 5), monetary=(20, 80, 99.99, 100))
    res = L.compute(db, Filters(as_of=AS_OF), cuts=cuts)
    grid = {r["cell"]: r["customers"] for r in res["rf_grid"].to_dict("records") if r["customers"]}
    # R5: a (15); R4: b (16); R3: i 30, j 31, c 90; R2: d 91; R1: e, f, g, h
    assert grid == {"R5F1": 1, "R4F2": 1, "R3F1": 3, "R2F1": 1, "R1F1": 3, "R1F2": 1}
    m = by(res["m_distribution"], "m")
    # M1 < 20: none; M2 20–79.99: e, h; M3 80–99.98: g; M4 99.99: i; M5 ≥ 100: the rest
    assert [m[s]["customers"] for s in (1, 2, 3, 4, 5)] == [0, 2, 1, 1, 6]
    ranges = res["ranges"]
    assert ranges["r"][0] == (5, 0, 15) and ranges["r"][-1] == (1, 92, None)
    assert ranges["f"][0] == (1, 1, 1) and ranges["f"][-1] == (5, 5, None)


def test_segments(db, make_file):
    load(db, make_file)
    res = L.compute(db, Filters(as_of=AS_OF))
    seg = by(res["segments"], "segment")
    assert list(res["segments"]["segment"]) == ["champions", "win_back_vip", "grow_high_value", "keep_high_value",
                                                "potential", "new", "maintain", "lost_low"]
    # high = R ≥ 3, F ≥ 2, M ≥ 3: b R5F2M3 champions; f R2F2M5 win back; c R4F1M3, d R3F1M3, j R4F1M5 grow;
    # a R5F1M2, e R3F1M1, i R5F1M1 new; g R2F1M1, h R1F1M1 lost
    assert {s: r["customers"] for s, r in seg.items()} == {
        "champions": 1, "win_back_vip": 1, "grow_high_value": 3, "keep_high_value": 0, "potential": 0,
        "new": 3, "maintain": 0, "lost_low": 2}
    g = seg["grow_high_value"]
    assert g["gmv"] == Decimal("1500.00") and g["avg_days"] == pytest.approx((90 + 91 + 31) / 3)
    assert g["avg_purchases"] == 1 and g["share"] == pytest.approx(0.3) and g["pattern"] == "hlh"
    assert g["gmv_share"] == pytest.approx(1500 / 3559.99)
    assert seg["new"]["gmv"] == Decimal("219.99") and seg["new"]["avg_days"] == pytest.approx(75)
    assert pd.isna(seg["maintain"]["avg_days"]) and seg["maintain"]["gmv"] == Decimal("0.00")


def test_segment_sql_matches_python(db):
    cuts = RfmCuts()
    expr, params = cuts.segment_sql()
    rows = db.query(f"SELECT r, f, m, {expr} FROM range(1, 6) a(r), range(1, 6) b(f), range(1, 6) c(m)", params)
    assert len(rows) == 125
    assert all(seg == cuts.segment(r, f, m) for r, f, m, seg in rows)


# -- the 12-month movement ----------------------------------------------------------------------------
def test_month_ends():
    ends = L.month_ends(AS_OF)
    assert ends[0] == dt.date(2024, 7, 31) and ends[-1] == AS_OF and len(ends) == 12
    assert ends[7] == dt.date(2025, 2, 28)
    mid = L.month_ends(dt.date(2024, 3, 15))
    assert mid[-1] == dt.date(2024, 3, 15) and mid[-2] == dt.date(2024, 2, 29) and mid[0] == dt.date(2023, 4, 30)


def test_movement_by_hand(db, make_file):
    load(db, make_file)
    res = L.compute(db, Filters(as_of=AS_OF))
    mv = res["movement"]
    assert len(mv) == 60

    def at(day):
        rows = mv[mv["month_end"] == day]
        return list(rows["customers"])
    # the last point is the stage table
    assert at(AS_OF) == list(res["stages"]["customers"])
    # 2025-05-31: i 0, j 1 → after-sale; c 60, d 61 → active; b 141, e 150, f 151 → silent; g 335, h 336 → sleeping
    assert at(dt.date(2025, 5, 31)) == [2, 2, 3, 2, 0]
    # 2024-07-31: only f (2024-06-01, 60 days), g (31), h (32) have bought: all active
    assert at(dt.date(2024, 7, 31)) == [0, 3, 0, 0, 0]
    # 2025-01-31: b 21 days; e 30; f 31 → active; g 215, h 216 → sleeping
    assert at(dt.date(2025, 1, 31)) == [0, 3, 0, 2, 0]


def naive_movement(orders, as_of, t):
    """Customers per stage at each month end, purchase by purchase (the definition, slowly)."""
    out = {}
    for end in L.month_ends(as_of):
        last = {}
        for cust, day in orders:
            if day <= end:
                last[cust] = max(last.get(cust, day), day)
        counts = dict.fromkeys(("after_sale", "active", "silent", "sleeping", "lost"), 0)
        for day in last.values():
            counts[t.stage_of((end - day).days)] += 1
        out[end] = list(counts.values())
    return out


def random_shop(db, make_file, as_of, seed=7, orders_n=400, customers=60):
    rng = random.Random(seed)
    orders, lines = [], ["order_id,customer,date,amount"]
    for n in range(orders_n):
        cust = f"c{rng.randrange(customers)}"
        day = as_of - dt.timedelta(days=rng.randrange(900))
        orders.append((cust, day))
        lines.append(f"{n},{cust},{day.isoformat()} {rng.randrange(24):02d}:00:00,{rng.randrange(1, 500)}")
    load(db, make_file, "\n".join(lines) + "\n", "random.csv")
    return orders


@pytest.mark.parametrize("thresholds", [LifecycleThresholds(), LifecycleThresholds(0, 31, 59, 400)])
@pytest.mark.parametrize("complete", [False, True])
def test_movement_matches_the_definition_on_random_data(db, make_file, thresholds, complete):
    as_of = dt.date(2025, 3, 17)
    orders = random_shop(db, make_file, as_of)
    # complete: every order is on or before the as-of date, so the importer's per-customer totals are used
    f = Filters(as_of=as_of, data_last_day=max(d for _, d in orders) if complete else None)
    assert f.complete_history == complete
    mv = L.movement(db, f, thresholds)
    expected = naive_movement(orders, as_of, thresholds)
    for end, counts in expected.items():
        assert list(mv[mv["month_end"] == end]["customers"]) == counts, end


def test_fast_path_gives_the_same_figures(db, make_file):
    as_of = dt.date(2025, 3, 17)
    orders = random_shop(db, make_file, as_of, seed=11)
    slow = L.compute(db, Filters(as_of=as_of))
    fast = L.compute(db, Filters(as_of=as_of, data_last_day=max(d for _, d in orders)))
    for key in ("stages", "rf_grid", "m_distribution", "segments", "movement"):
        assert slow[key].equals(fast[key]), key
    assert slow["totals"] == fast["totals"]
    ranged = Filters(as_of=as_of, start=dt.date(2025, 1, 1), data_last_day=as_of)
    assert L.compute(db, ranged)["movement"].equals(L.compute(db, ranged.with_(data_last_day=None))["movement"])


# -- scope --------------------------------------------------------------------------------------------
def test_date_range_keeps_customers_with_a_purchase_in_it(db, make_file):
    load(db, make_file)
    f = Filters(as_of=AS_OF, start=dt.date(2025, 6, 1), end=dt.date(2025, 6, 30))
    res = L.compute(db, f)
    st = by(res["stages"], "stage")
    # a (06-15) and b (06-14) bought in June; b's figures still cover both of its purchases
    assert res["totals"]["customers"] == 2 and st["active"]["gmv"] == Decimal("200.00")
    assert (st["active"]["new"], st["active"]["returning"]) == (0, 1)
    assert sum(res["movement"][res["movement"]["month_end"] == AS_OF]["customers"]) == 2
    # b had bought by 2025-01-31 (21 days before); a had not
    jan = res["movement"][res["movement"]["month_end"] == dt.date(2025, 1, 31)]
    assert list(jan["customers"]) == [0, 1, 0, 0, 0]


def test_everyone_bought_once(db, make_file):
    load(db, make_file, "order_id,customer,date,amount\n1,x,2025-06-01,10\n2,y,2025-03-01,300\n3,z,2023-01-01,5000\n")
    res = L.compute(db, Filters(as_of=AS_OF))
    assert res["totals"]["returning"] == 0 and res["totals"]["new"] == 3
    assert all(r["returning"] == 0 for r in res["stages"].to_dict("records"))
    seg = {r["segment"]: r["customers"] for r in res["segments"].to_dict("records")}
    # nobody has F ≥ 2: champions, win back, potential and maintain stay empty
    assert seg == {"champions": 0, "win_back_vip": 0, "grow_high_value": 1, "keep_high_value": 1, "potential": 0,
                   "new": 1, "maintain": 0, "lost_low": 0}
    assert set(res["rf_grid"].query("customers > 0")["f"]) == {1}


def test_one_buyer(db, make_file):
    load(db, make_file, "order_id,customer,date,amount\n1,solo,2025-06-20,150\n2,solo,2025-06-25,50\n")
    res = L.compute(db, Filters(as_of=AS_OF))
    st = by(res["stages"], "stage")
    assert st["after_sale"]["customers"] == 1 and st["after_sale"]["share"] == 1.0
    assert st["after_sale"]["avg_order_value"] == Decimal("100.00") and st["after_sale"]["avg_spend_per_buyer"] == Decimal("200.00")
    assert st["active"]["share"] == 0.0 and st["active"]["avg_spend_per_buyer"] is None
    seg = by(res["segments"], "segment")
    assert seg["champions"]["customers"] == 1 and seg["champions"]["share"] == 1.0   # R5 F2 M3
    mv = res["movement"]
    assert int(mv["customers"].sum()) == 1 and list(mv[mv["month_end"] == AS_OF]["customers"]) == [1, 0, 0, 0, 0]


def test_empty_scopes(db, make_file):
    res = L.compute(db, Filters(as_of=AS_OF))   # empty database
    assert res["empty"] and res["no_buyer_purchases"] == 0
    load(db, make_file)
    res = L.compute(db, Filters(as_of=dt.date(2020, 1, 1)))   # before any order
    assert res["empty"] and res["no_buyer_purchases"] == 0
    res = L.compute(db, Filters(as_of=AS_OF, start=dt.date(2024, 8, 1), end=dt.date(2024, 11, 30)))  # no orders then
    assert res["empty"]
    res = L.compute(db, Filters(as_of=AS_OF, levels=(4,)))   # a level with no members
    assert res["empty"]
    rep = L.report(db, Filters(as_of=dt.date(2020, 1, 1)))
    assert rep["customers"] == 0 and [s["customers"] for s in rep["stages"]] == [0] * 5
    json.dumps(rep)


def test_orders_without_buyer_key(db, fixture):
    assert import_file(db, fixture("pinduoduo_orders.csv")).ok
    as_of = db.scalar("SELECT max(ordered_at)::DATE FROM orders")
    res = L.compute(db, Filters(as_of=as_of))
    assert res["empty"] and res["no_buyer_purchases"] > 0


def test_report_is_json_ready(db, make_file):
    load(db, make_file)
    rep = L.report(db, Filters(as_of=AS_OF))
    text = json.dumps(rep)
    assert rep["customers"] == 10 and rep["gmv"] == 3559.99 and rep["new"] == 8
    assert [s["customers"] for s in rep["stages"]] == [1, 4, 2, 2, 1]
    assert rep["stages"][4]["hi"] is None and rep["rfm_cuts"]["recency"] == [30, 90, 180, 365]
    assert {s["segment"]: s["customers"] for s in rep["segments"]}["grow_high_value"] == 3
    assert len(rep["rf_grid"]) == 25 and len(rep["movement"]) == 60 and "R3F1" in text


def test_weekly_stage_moves_by_hand(db, make_file):
    """A: purchases on 1 Jan and 1 Mar (gap 59: active → after-sale on 1 Mar; after-sale → active on
    17 Jan and 17 Mar). B: one purchase on 1 Jan (after-sale → active 17 Jan, active → silent 2 Apr:
    91 days). 12 weeks up to 30 Apr reach back to 6 Feb; weeks end on 30 Apr − 7k."""
    import datetime as dt
    from crm.analysis.lifecycle import weekly_moves
    from crm.importing import import_file
    from crm.segments import LifecycleThresholds
    f = make_file("log.csv", "customer_id,order_dt,order_amount\nA,2025-01-01,10\nA,2025-03-01,10\nB,2025-01-01,10\n"
                  "C,2025-06-01,10\n")      # after the as-of date: does not exist for the count
    assert import_file(db, f).ok
    got = weekly_moves(db, dt.date(2025, 4, 30), LifecycleThresholds())
    assert [tuple(r) for r in got.itertuples(index=False)] == [
        (dt.date(2025, 3, 5), "active", "after_sale", 1),
        (dt.date(2025, 3, 19), "after_sale", "active", 1),
        (dt.date(2025, 4, 2), "active", "silent", 1)]
    # a longer view reaches the January slips too
    longer = weekly_moves(db, dt.date(2025, 4, 30), LifecycleThresholds(), weeks=20)
    assert int(longer[(longer["from_stage"] == "after_sale")]["customers"].sum()) == 3
