"""Purchase amounts (crm/analysis/amount.py) on tiny hand-computed data."""
import datetime as dt
import json
from decimal import Decimal as D

import pytest

from crm.analysis import amount
from crm.filters import Filters
from crm.importing import import_file

MAP = {"order_id": "order_id", "customer_id": "customer", "ordered_at": "date", "amount": "amount",
       "refund": "refund"}

# spends: ann 50 + (120 − 20 refunded) = 150; bob 0 + 40 = 40; cat 1000; dan 300; eve 200;
# fay's only order is refunded in full (no purchase); order 8 has no buyer key (900).
SHOP = ("order_id,customer,date,amount,refund\n"
        "1,ann,2025-01-01 10:00:00,50,0\n"
        "2,ann,2025-02-01 10:00:00,120,20\n"
        "3,bob,2025-03-01 10:00:00,0,0\n"
        "4,bob,2025-03-02 10:00:00,40,0\n"
        "5,cat,2025-04-01 10:00:00,1000,0\n"
        "6,dan,2025-05-01 10:00:00,300,0\n"
        "7,eve,2025-06-01 10:00:00,200,0\n"
        "8,,2025-06-02 10:00:00,900,0\n"
        "9,fay,2025-07-01 10:00:00,80,80\n")
AS_OF = dt.date(2025, 12, 31)


def load(db, make_file, text=SHOP):
    assert import_file(db, make_file("shop.csv", text), mapping=MAP).ok


def log(make_file, db, rows, name="log.csv"):
    """rows: (customer, amount) — one purchase each, on consecutive days."""
    lines = ["order_id,customer,date,amount,refund"]
    day = dt.date(2025, 1, 1)
    for i, (cust, amt) in enumerate(rows, 1):
        lines.append(f"{i},{cust},{day + dt.timedelta(days=i % 300)} 12:00:00,{amt},0")
    assert import_file(db, make_file(name, "\n".join(lines) + "\n"), mapping=MAP).ok


def f(**kw):
    return Filters(**({"as_of": AS_OF} | kw))


def col(df, name):
    return list(df[name])


# -- totals and definitions ------------------------------------------------------------------------
def test_totals_and_the_no_buyer_split(db, make_file):
    load(db, make_file)
    t = amount.totals(db, f())
    assert t["purchases"] == 8 and t["gmv"] == D("2590.00")          # fay refunded in full: not a purchase
    assert t["buyers"] == 5 and t["buyer_purchases"] == 7 and t["buyer_gmv"] == D("1690.00")
    assert t["no_buyer_purchases"] == 1 and t["no_buyer_gmv"] == D("900.00")
    assert t["avg_order_value"] == D("323.75")                       # 2590 / 8, every purchase
    assert t["avg_spend_per_buyer"] == D("338.00")                   # 1690 / 5, buyers' own purchases


def test_order_value_bands_edges_land_in_the_upper_band(db, make_file):
    load(db, make_file)
    b = amount.order_value_bands(db, f())
    assert col(b, "band") == ["0-50", "50-100", "100-200", "200-300", "300-500", "500-1000", "1000+"]
    assert col(b, "label") == ["<50", "50–100", "100–200", "200–300", "300–500", "500–1,000", "1,000+"]
    # 0 and 40 → <50 (zero spend is a purchase); 50 → 50–100; 120 − 20 = 100 → 100–200;
    # 200 → 200–300; 300 → 300–500; 900 (no buyer key, still counted) → 500–1000; 1000 → 1000+
    assert col(b, "purchases") == [2, 1, 1, 1, 1, 1, 1]
    assert col(b, "gmv") == [D("40.00"), D("50.00"), D("100.00"), D("200.00"), D("300.00"), D("900.00"), D("1000.00")]
    assert col(b, "share") == [D("0.2500")] + [D("0.1250")] * 6
    assert b["gmv_share"].iloc[0] == D("0.0154")                      # 40 / 2590
    assert b["gmv_share"].iloc[6] == D("0.3861")                      # 1000 / 2590
    assert col(b, "lo")[0] == 0 and col(b, "hi")[-1] is None


def test_buyer_spend_bands(db, make_file):
    load(db, make_file)
    b = amount.buyer_spend_bands(db, f())
    assert col(b, "band") == ["0-100", "100-200", "200-500", "500-1000", "1000-2000", "2000-5000", "5000+"]
    # bob 40 | ann 150 | eve 200 (edge), dan 300 | — | cat 1000 (edge) | — | —
    assert col(b, "buyers") == [1, 1, 2, 0, 1, 0, 0]
    assert col(b, "gmv") == [D("40.00"), D("150.00"), D("500.00"), D("0.00"), D("1000.00"), D("0.00"), D("0.00")]
    assert col(b, "share") == [D("0.2000"), D("0.2000"), D("0.4000"), D("0.0000"), D("0.2000"), D("0.0000"), D("0.0000")]
    assert b["gmv_share"].iloc[4] == D("0.5917")                      # 1000 / 1690: buyers' GMV only


def test_custom_edges_with_cents(db, make_file):
    log(make_file, db, [("a", "49.99"), ("b", "50"), ("c", "99.99"), ("d", "100")])
    b = amount.order_value_bands(db, f(), (D("49.99"), D("100")))
    assert col(b, "band") == ["0-49.99", "49.99-100", "100+"]
    assert col(b, "purchases") == [0, 3, 1]
    b = amount.order_value_bands(db, f(), (50, 100))
    assert col(b, "purchases") == [1, 2, 1]


def test_percentiles_use_linear_interpolation(db, make_file):
    load(db, make_file)
    t = amount.totals(db, f())
    # order values 0, 40, 50, 100, 200, 300, 900, 1000: position (n − 1)·p = 7p
    assert t["order_value_percentiles"] == {"p25": D("47.50"), "p50": D("150.00"), "p75": D("450.00"),
                                            "p90": D("930.00")}
    # buyer spends 40, 150, 200, 300, 1000: position 4p
    assert t["buyer_spend_percentiles"] == {"p25": D("150.00"), "p50": D("200.00"), "p75": D("300.00"),
                                            "p90": D("720.00")}


def test_pareto_shares_by_hand(db, make_file):
    load(db, make_file)
    p = amount.pareto(db, f())
    # ranking cat 1000, dan 300, eve 200, ann 150, bob 40; N = 5, buyers' GMV 1690
    assert p["buyers"] == 5 and p["gmv"] == D("1690.00")
    tops = {r["pct"]: (r["buyers"], r["gmv_share"]) for r in p["tops"].to_dict("records")}
    # k = ceil(x% × 5): 1, 1, 1, 1, 3
    assert tops == {1: (1, D("0.5917")), 5: (1, D("0.5917")), 10: (1, D("0.5917")), 20: (1, D("0.5917")),
                    50: (3, D("0.8876"))}
    assert col(p["curve"], "rank") == [0, 1, 2, 3, 4, 5]
    assert col(p["curve"], "gmv_share") == [0.0, 0.5917, 0.7692, 0.8876, 0.9763, 1.0]
    assert col(p["curve"], "buyer_share") == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_top_percent_rounds_buyers_up(db, make_file):
    # 150 buyers spending 1 … 150: top 1 % = ceil(1.5) = 2 buyers, top 5 % = ceil(7.5) = 8
    log(make_file, db, [(f"c{i:03d}", i) for i in range(1, 151)])
    p = amount.pareto(db, f())
    tops = {r["pct"]: (r["buyers"], r["gmv"]) for r in p["tops"].to_dict("records")}
    assert tops[1] == (2, D("299.00"))                     # 150 + 149
    assert tops[5] == (8, D("1172.00"))                    # 143 … 150
    assert tops[50] == (75, D(sum(range(76, 151))).quantize(D("0.01")))


def test_pareto_curve_is_downsampled(db, make_file):
    # 450 buyers spending 1 … 450 (total 101,475)
    log(make_file, db, [(f"c{i:03d}", i) for i in range(1, 451)])
    p = amount.pareto(db, f())
    curve = p["curve"]
    assert len(curve) <= amount.PARETO_POINTS
    assert curve.iloc[0].tolist() == [0, 0.0, 0.0] and curve.iloc[-1].tolist() == [450, 1.0, 1.0]
    assert list(curve["rank"]) == sorted(curve["rank"]) and curve["gmv_share"].is_monotonic_increasing
    tops = {r["pct"]: r["gmv_share"] for r in p["tops"].to_dict("records")}
    # k = 5, 23, 45, 90, 225 → 2240, 10097, 19260, 36495, 76050 of 101,475
    assert tops == {1: D("0.0221"), 5: D("0.0995"), 10: D("0.1898"), 20: D("0.3596"), 50: D("0.7494")}
    small = amount.pareto(db, f(), points=10)["curve"]
    assert len(small) <= 10 and small["rank"].iloc[-1] == 450


def test_ties_are_broken_by_customer_number(db, make_file):
    # x and y both spend 100: the one seen first (x) ranks first; the shares do not depend on it
    log(make_file, db, [("x", 100), ("y", 100), ("z", 50)])
    p = amount.pareto(db, f())
    tops = {r["pct"]: (r["buyers"], r["gmv_share"]) for r in p["tops"].to_dict("records")}
    assert tops[20] == (1, D("0.4000")) and tops[50] == (2, D("0.8000"))


def test_by_level(db, make_file):
    load(db, make_file)
    lv = amount.by_level(db, f())
    assert col(lv, "level_code") == [0, 1, 2, 3, 4]
    # default rules 200 / 800 / 2000 / 5000: ann 150, bob 40 → 0; dan 300, eve 200 → 1; cat 1000 → 2
    assert col(lv, "buyers") == [2, 2, 1, 0, 0]
    assert col(lv, "purchases") == [4, 2, 1, 0, 0]
    assert col(lv, "gmv") == [D("190.00"), D("500.00"), D("1000.00"), D("0.00"), D("0.00")]
    assert col(lv, "avg_order_value") == [D("47.50"), D("250.00"), D("1000.00"), None, None]
    assert col(lv, "avg_spend_per_buyer") == [D("95.00"), D("250.00"), D("1000.00"), None, None]
    # the level filter narrows every figure
    only1 = amount.compute(db, f(levels=(1,)))
    assert only1["totals"]["purchases"] == 2 and only1["totals"]["gmv"] == D("500.00")


def test_everyone_bought_once(db, make_file):
    log(make_file, db, [("a", 30), ("b", 60), ("c", 150), ("d", 150)])
    c = amount.compute(db, f(), order_edges=(100,), buyer_edges=(100,))
    t = c["totals"]
    assert t["avg_order_value"] == t["avg_spend_per_buyer"] == D("97.50")
    assert col(c["order_bands"], "purchases") == col(c["buyer_bands"], "buyers") == [2, 2]
    assert t["order_value_percentiles"] == t["buyer_spend_percentiles"]
    lv = c["by_level"]
    assert col(lv, "avg_order_value") == col(lv, "avg_spend_per_buyer")


def test_one_buyer(db, make_file):
    log(make_file, db, [("solo", 80)])
    c = amount.compute(db, f())
    assert not c["empty"] and c["totals"]["buyers"] == 1
    assert set(c["totals"]["order_value_percentiles"].values()) == {D("80.00")}
    assert set(c["totals"]["buyer_spend_percentiles"].values()) == {D("80.00")}
    assert col(c["pareto"]["tops"], "gmv_share") == [D("1.0000")] * 5
    assert col(c["pareto"]["tops"], "buyers") == [1] * 5
    assert col(c["order_bands"], "purchases") == [0, 1, 0, 0, 0, 0, 0]
    assert col(c["buyer_bands"], "buyers") == [1, 0, 0, 0, 0, 0, 0]


def test_only_free_purchases(db, make_file):
    log(make_file, db, [("a", 0), ("b", 0)])
    c = amount.compute(db, f())
    assert c["totals"]["purchases"] == 2 and c["totals"]["gmv"] == D("0.00")
    assert col(c["order_bands"], "purchases")[0] == 2 and c["order_bands"]["gmv_share"].iloc[0] is None
    assert col(c["pareto"]["tops"], "gmv_share") == [None] * 5
    json.dumps(amount.report(db, f()))


def test_date_range_with_no_orders(db, make_file):
    load(db, make_file)
    scope = f(start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30))
    c = amount.compute(db, scope)
    assert c["empty"] and c["totals"]["purchases"] == 0
    assert set(c["totals"]["order_value_percentiles"].values()) == {None}
    r = amount.report(db, scope)
    json.dumps(r)
    assert [b["purchases"] for b in r["order_value_bands"]] == [0] * 7
    assert r["pareto"] == {"top_1": None, "top_5": None, "top_10": None, "top_20": None, "top_50": None}
    assert len(r["by_level"]) == 5 and r["by_level"][0]["avg_order_value"] is None
    # an as-of date before every order is the same
    assert amount.compute(db, f(as_of=dt.date(2000, 1, 1)))["empty"]


def test_empty_database(db):
    c = amount.compute(db, f())
    assert c["empty"] and c["totals"]["buyers"] == 0 and c["totals"]["avg_order_value"] is None
    json.dumps(amount.report(db, f()))


def test_date_range_narrows(db, make_file):
    load(db, make_file)
    c = amount.compute(db, f(start=dt.date(2025, 3, 1), end=dt.date(2025, 4, 30)))
    assert c["totals"]["purchases"] == 3 and c["totals"]["gmv"] == D("1040.00")   # bob 0 + 40, cat 1000
    assert col(c["buyer_bands"], "buyers") == [1, 0, 0, 0, 1, 0, 0]


def test_levels_with_no_members(db, make_file):
    log(make_file, db, [("a", 10), ("b", 20)])
    lv = amount.by_level(db, f())
    assert col(lv, "buyers") == [2, 0, 0, 0, 0]
    assert col(lv, "avg_spend_per_buyer")[1:] == [None] * 4


def test_report_is_json_ready(db, make_file):
    load(db, make_file)
    r = amount.report(db, f())
    json.dumps(r)
    assert r["order_value_bands"][0] == {"band": "0-50", "lo": 0.0, "hi": 50.0, "purchases": 2, "share": 0.25,
                                         "gmv": 40.0, "gmv_share": 0.0154}
    assert r["order_value_bands"][-1]["hi"] is None
    assert r["buyer_spend_bands"][2]["buyers"] == 2
    assert r["order_value_percentiles"] == {"p25": 47.5, "p50": 150.0, "p75": 450.0, "p90": 930.0}
    assert r["buyer_spend_percentiles"]["p90"] == 720.0
    assert r["pareto"] == {"top_1": 0.5917, "top_5": 0.5917, "top_10": 0.5917, "top_20": 0.5917, "top_50": 0.8876}
    assert r["by_level"][1] == {"level_code": 1, "purchases": 2, "buyers": 2, "gmv": 500.0,
                                "avg_order_value": 250.0, "avg_spend_per_buyer": 250.0}
    assert r["totals"]["no_buyer_purchases"] == 1 and r["totals"]["no_buyer_gmv"] == 900.0


# -- band edges --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, edges", [
    ("50, 100, 200", (50, 100, 200)),
    ("50，100 200；300", (50, 100, 200, 300)),
    ("  49.99,100 ", (D("49.99"), 100)),
])
def test_parse_edges(text, edges):
    got, problem = amount.parse_edges(text)
    assert problem is None and got == tuple(D(str(e)) for e in edges)


@pytest.mark.parametrize("text, key", [
    ("", "amount_edges_empty"),
    (" , ", "amount_edges_empty"),
    ("50, abc", "amount_edges_not_number"),
    ("¥50", "amount_edges_not_number"),
    ("nan", "amount_edges_not_number"),
    ("0, 50", "amount_edges_not_positive"),
    ("-5, 50", "amount_edges_not_positive"),
    ("100, 50", "amount_edges_not_rising"),
    ("50, 50", "amount_edges_not_rising"),
    ("1.234", "amount_edges_decimals"),
    ("1e12", "amount_edges_too_big"),
    (", ".join(str(i) for i in range(1, 30)), "amount_edges_too_many"),
])
def test_invalid_edges_say_why(text, key):
    edges, problem = amount.parse_edges(text)
    assert edges is None and problem[0] == key


def test_compute_refuses_invalid_edges(db):
    with pytest.raises(ValueError):
        amount.compute(db, f(), order_edges=(100, 50))
    with pytest.raises(ValueError):
        amount.order_value_bands(db, f(), ())


def test_invalid_edge_messages_exist_in_both_languages():
    from crm import i18n
    for text in ("", "x", "0", "2,1", "1.234", "1e12", ", ".join(str(i) for i in range(1, 30))):
        _, (key, params) = amount.parse_edges(text)
        for lang in ("zh", "en"):
            words = i18n.t(key, lang, which="W", **params)
            assert key not in words and "{" not in words
