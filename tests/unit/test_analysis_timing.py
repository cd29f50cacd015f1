"""Time analysis (会员时间) on tiny hand-computed data: every rule of crm/analysis/timing.py."""
import datetime as dt
import json
from decimal import Decimal

import pandas as pd
import pytest

from crm import i18n
from crm.analysis import timing
from crm.charts import timing as charts
from crm.filters import Filters
from crm.importing import import_file

D = dt.date
MAP = {"order_id": "order_id", "customer_id": "customer", "ordered_at": "time", "amount": "amount"}


def load(db, make_file, rows: str, name: str = "log.csv"):
    """rows: 'customer,time,amount' lines; order ids are numbered here."""
    lines = [line.strip() for line in rows.strip().splitlines()]
    text = "order_id,customer,time,amount\n" + "".join(f"{i},{line}\n" for i, line in enumerate(lines, 1))
    assert import_file(db, make_file(name, text), mapping=MAP).ok


def by_period(df, col):
    return {(p.isoformat() if hasattr(p, "isoformat") else p): v for p, v in zip(df.iloc[:, 0], df[col])}


# -- trend -------------------------------------------------------------------------------------------
TREND = """
ann,2025-01-15 10:00:00,100
bob,2025-01-20 11:00:00,50
ann,2025-03-03 12:00:00,30.5
"""


def test_trend_by_month_fills_empty_months_and_flags_cut_ones(db, make_file):
    load(db, make_file, TREND)
    t = timing.trend(db, Filters(as_of=D(2025, 3, 31)), "month")
    assert [p.isoformat() for p in t["period"]] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert [p.isoformat() for p in t["period_end"]] == ["2025-01-31", "2025-02-28", "2025-03-31"]
    assert list(t["gmv"]) == [Decimal("150.00"), Decimal("0.00"), Decimal("30.50")]
    assert list(t["purchases"]) == [2, 0, 1] and list(t["buyers"]) == [2, 0, 1]
    # no range start: the scope starts at the first purchase (Jan 15), so January is cut
    assert list(t["complete"]) == [False, True, True]
    # as of Mar 20, March is cut too; a range start of Jan 1 makes January whole
    t = timing.trend(db, Filters(as_of=D(2025, 3, 20), start=D(2025, 1, 1)), "month")
    assert list(t["complete"]) == [True, True, False]


def test_trend_by_week_and_day(db, make_file):
    load(db, make_file, TREND)
    f = Filters(as_of=D(2025, 3, 31), start=D(2025, 1, 13), end=D(2025, 3, 5))  # Jan 13 is a Monday
    w = timing.trend(db, f, "week")
    assert len(w) == 8 and w["period"].iloc[0] == D(2025, 1, 13) and w["period_end"].iloc[0] == D(2025, 1, 19)
    assert w["period"].iloc[-1] == D(2025, 3, 3)
    assert list(w["complete"]) == [True] * 7 + [False]        # Mar 3–9 is cut at Mar 5
    assert by_period(w, "purchases") == {**{p.isoformat(): 0 for p in w["period"]},
                                         "2025-01-13": 1, "2025-01-20": 1, "2025-03-03": 1}
    # a range starting mid-week cuts its first week
    w = timing.trend(db, f.with_(start=D(2025, 1, 15)), "week")
    assert w["period"].iloc[0] == D(2025, 1, 13) and not w["complete"].iloc[0]
    d = timing.trend(db, f, "day")
    assert len(d) == (D(2025, 3, 5) - D(2025, 1, 13)).days + 1 and d["complete"].all()
    assert int(d["purchases"].sum()) == 3 and d.loc[d["period"] == D(2025, 1, 15), "gmv"].iloc[0] == Decimal("100")
    with pytest.raises(ValueError):
        timing.trend(db, f, "year")


def test_orders_without_buyer_count_in_gmv_not_in_buyers(db, make_file):
    load(db, make_file, "ann,2025-01-15 10:00:00,100\n,2025-01-16 10:00:00,40")
    t = timing.trend(db, Filters(as_of=D(2025, 1, 31)), "month")
    assert list(t["purchases"]) == [2] and list(t["gmv"]) == [Decimal("140")] and list(t["buyers"]) == [1]


# -- peaks and off-season ----------------------------------------------------------------------------
def monthly_log(values, customer="ann"):
    return "\n".join(f"{customer},2025-{m:02d}-01 10:00:00,{v}" for m, v in enumerate(values, 1))


def test_peaks_and_off_season_by_gmv_percentiles(db, make_file):
    # 8 complete months. Sorted GMV 10,100×6,1000: P90 = 100 + 0.3 × 900 = 370, P10 = 10 + 0.7 × 90 = 73,
    # median 100 → May (1000) is the peak, July (10) the off-season.
    load(db, make_file, monthly_log([100, 100, 100, 100, 1000, 100, 10, 100]))
    t = timing.trend(db, Filters(as_of=D(2025, 8, 31)), "month")
    assert t["complete"].all()
    assert [p.month for p in t.loc[t["peak"], "period"]] == [5]
    assert [p.month for p in t.loc[t["off_season"], "period"]] == [7]
    # as of Aug 20 August is cut: it is never a peak or off-season, and 7 complete months remain
    t = timing.trend(db, Filters(as_of=D(2025, 8, 20)), "month")
    assert not t["complete"].iloc[-1] and not t["peak"].iloc[-1] and not t["off_season"].iloc[-1]
    assert t["peak"].sum() == 1
    # fewer than MIN_PERIODS_FOR_PEAKS complete months: none
    t = timing.trend(db, Filters(as_of=D(2025, 5, 31)), "month")
    assert len(t) == 5 and not t["peak"].any() and not t["off_season"].any()


def test_flat_series_has_no_peaks(db, make_file):
    load(db, make_file, monthly_log([100] * 8))
    t = timing.trend(db, Filters(as_of=D(2025, 8, 31)), "month")
    assert not t["peak"].any() and not t["off_season"].any()


# -- festivals ---------------------------------------------------------------------------------------
def test_festival_windows_by_calendar():
    ev = timing.festivals(D(2024, 1, 1), D(2024, 12, 31))
    assert [(e["key"], e["start"], e["end"]) for e in ev] == [
        ("cny", D(2024, 1, 20), D(2024, 2, 9)),       # CNY 2024-02-10, the 21 days before
        ("618", D(2024, 6, 1), D(2024, 6, 18)),
        ("double11", D(2024, 11, 1), D(2024, 11, 11)),
        ("double12", D(2024, 12, 12), D(2024, 12, 12))]
    # 年货节 2025: CNY Jan 29 → Jan 8 … Jan 28
    assert timing.festivals(D(2025, 1, 1), D(2025, 1, 7)) == []
    assert [e["key"] for e in timing.festivals(D(2025, 1, 1), D(2025, 1, 8))] == ["cny"]
    assert [e["key"] for e in timing.festivals(D(2025, 1, 28), D(2025, 1, 29))] == ["cny"]
    assert timing.festivals(D(2025, 1, 29), D(2025, 1, 29)) == []   # CNY itself: the festival is over
    # across a year end: 2028's CNY (Jan 26) window starts Jan 5, 2028
    ev = timing.festivals(D(2027, 12, 20), D(2028, 1, 10))
    assert [(e["key"], e["start"]) for e in ev] == [("cny", D(2028, 1, 5))]


def test_trend_periods_carry_their_festivals(db, make_file):
    load(db, make_file, "ann,2024-11-05 10:00:00,10\nbob,2025-01-07 10:00:00,10\nbob,2025-01-08 10:00:00,10")
    m = timing.trend(db, Filters(as_of=D(2025, 1, 31)), "month")
    assert by_period(m, "festivals") == {"2024-11-01": "double11", "2024-12-01": "double12", "2025-01-01": "cny"}
    d = timing.trend(db, Filters(as_of=D(2025, 1, 8), start=D(2025, 1, 6)), "day")
    assert by_period(d, "festivals") == {"2025-01-06": "", "2025-01-07": "", "2025-01-08": "cny"}


# -- weekday × hour ----------------------------------------------------------------------------------
def test_weekday_hour(db, make_file):
    # Mon 2025-01-06 10:xx twice, Sun 2025-01-12 23:59 once
    load(db, make_file, "ann,2025-01-06 10:05:00,1\nbob,2025-01-06 10:55:00,1\nann,2025-01-12 23:59:00,1")
    f = Filters(as_of=D(2025, 1, 31))
    wh = timing.weekday_hour(db, f)
    assert len(wh) == 168 and int(wh["purchases"].sum()) == 3
    cell = {(int(r.weekday), int(r.hour)): int(r.purchases) for r in wh.itertuples() if r.purchases}
    assert cell == {(0, 10): 2, (6, 23): 1}
    assert timing.has_time_of_day(db, f) is True


def test_dates_without_time_have_no_hours(db, make_file):
    load(db, make_file, "ann,2025-01-06,1\nbob,2025-01-07,1")
    f = Filters(as_of=D(2025, 1, 31))
    assert timing.has_time_of_day(db, f) is False
    wh = timing.weekday_hour(db, f)
    assert wh.groupby("weekday")["purchases"].sum().to_dict() == {0: 1, 1: 1, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0}


# -- new vs returning --------------------------------------------------------------------------------
NEW_RETURNING = """
dan,2024-12-15 10:00:00,60
ann,2025-01-05 10:00:00,10
ann,2025-01-25 10:00:00,10
dan,2025-01-10 10:00:00,40
ann,2025-02-03 10:00:00,10
bob,2025-02-10 10:00:00,20
"""


def test_new_vs_returning_uses_the_whole_history(db, make_file):
    load(db, make_file, NEW_RETURNING)
    f = Filters(as_of=D(2025, 2, 28), start=D(2025, 1, 1))
    nr = timing.new_returning(db, f)
    # Jan: ann new (first purchase ever, twice that month), dan returning (first in Dec, before the range)
    # Feb: ann returning, bob new
    assert [(p.isoformat(), b, n, r) for p, b, n, r in nr.itertuples(index=False)] == [
        ("2025-01-01", 2, 1, 1), ("2025-02-01", 2, 1, 1)]
    m = timing.monthly(db, f)
    assert list(m["month"]) == ["2025-01", "2025-02"]
    assert list(m["new_buyers"]) == [1, 1] and list(m["returning_buyers"]) == [1, 1]
    assert list(m["purchases"]) == [3, 2] and list(m["gmv"]) == [Decimal("60"), Decimal("30")]


# -- days since last purchase ------------------------------------------------------------------------
def test_days_since_last_purchase_bins(db, make_file):
    load(db, make_file, """
        ann,2025-02-10 10:00:00,1
        ann,2025-03-31 23:00:00,1
        bob,2025-02-01 10:00:00,1
        bob,2025-03-15 10:00:00,1
        cat,2024-03-30 10:00:00,1
        dan,2024-03-31 10:00:00,1
        eve,2025-03-20 10:00:00,1
    """)
    # range ends Feb 28, as of Mar 31: ann 0 days and bob 16 days (their later purchases count),
    # dan 365 days (2024 is a leap year), cat 366; eve bought only after the range: not counted.
    d = timing.days_since_last(db, Filters(as_of=D(2025, 3, 31), end=D(2025, 2, 28)))
    assert list(d["bin"]) == [b for b, _, _ in timing.RECENCY_BINS]
    assert dict(zip(d["bin"], d["buyers"])) == {"0-15": 1, "16-30": 1, "31-60": 0, "61-90": 0, "91-180": 0,
                                               "181-365": 1, "366+": 1}
    assert d["share"].sum() == pytest.approx(1.0) and d["share"].iloc[0] == pytest.approx(0.25)
    assert d["hi"].iloc[-1] is None and d["hi"].iloc[0] == 15


# -- retention ---------------------------------------------------------------------------------------
RETENTION = """
dan,2024-12-05 10:00:00,1
ann,2025-01-10 10:00:00,1
dan,2025-01-07 10:00:00,1
bob,2025-01-20 10:00:00,1
ann,2025-02-05 10:00:00,1
cat,2025-02-01 10:00:00,1
cat,2025-02-20 10:00:00,1
cat,2025-03-01 10:00:00,1
bob,2025-03-03 10:00:00,1
ann,2025-04-02 10:00:00,1
"""


def test_retention_of_monthly_cohorts(db, make_file):
    load(db, make_file, RETENTION)
    r = timing.retention(db, Filters(as_of=D(2025, 4, 15), start=D(2025, 1, 1)))
    got = {(c, int(k)): (int(s), int(b), float(rate), bool(p))
           for c, s, k, b, p, rate in r[["cohort", "size", "month_offset", "buyers", "partial", "rate"]].itertuples(index=False)}
    # dan's first purchase (Dec 2024) is before the range: no cohort; ann + bob = Jan, cat = Feb
    assert got == {
        ("2025-01", 0): (2, 2, 1.0, False), ("2025-01", 1): (2, 1, 0.5, False),   # ann in Feb
        ("2025-01", 2): (2, 1, 0.5, False),                                      # bob in Mar
        ("2025-01", 3): (2, 1, 0.5, True),                                       # ann in Apr (not over)
        ("2025-02", 0): (1, 1, 1.0, False), ("2025-02", 1): (1, 1, 1.0, False),   # cat in Mar
        ("2025-02", 2): (1, 0, 0.0, True),
    }
    # at the end of April nothing is partial; offsets stop at RETENTION_MONTHS
    r = timing.retention(db, Filters(as_of=D(2025, 4, 30), start=D(2025, 1, 1)))
    assert not r["partial"].any()
    r = timing.retention(db, Filters(as_of=D(2027, 1, 31)))
    assert r["month_offset"].max() == timing.RETENTION_MONTHS
    assert set(r["cohort"]) == {"2024-12", "2025-01", "2025-02"}
    dec = r[r["cohort"] == "2024-12"].set_index("month_offset")["buyers"]
    assert dec[1] == 1 and dec[2] == 0     # dan came back in January


# -- usage cycle -------------------------------------------------------------------------------------
def test_usage_cycle_median_p80_and_same_day_purchases(db, make_file):
    load(db, make_file, """
        ann,2025-01-01 10:00:00,1
        ann,2025-01-01 18:00:00,1
        ann,2025-01-11 10:00:00,1
        ann,2025-01-31 09:00:00,1
        bob,2025-01-05 10:00:00,1
        bob,2025-02-04 23:00:00,1
        cat,2025-01-03 10:00:00,1
        cat,2025-01-03 11:00:00,1
        dan,2025-01-09 10:00:00,1
    """)
    u = timing.usage_cycle(db, Filters(as_of=D(2025, 3, 31)))
    # ann: same day counts once → gaps 10, 20; bob 30; cat two orders on one day → no gap; dan once
    # gaps 10, 20, 30: median 20, P80 = 20 + 0.6 × 10 = 26
    assert u["median_days"] == 20.0 and u["p80_days"] == pytest.approx(26.0)
    assert u["gaps"] == 3 and u["buyers"] == 2
    h = u["histogram"]
    assert [(int(r.lo), r.hi, int(r.gaps)) for r in h.itertuples()] == [(8, 14, 1), (15, 21, 1), (29, 35, 1)]


def test_gap_histogram_open_bar(db, make_file):
    # gaps 364 (last weekly bar, 358–364), 365 and 400 (the open "365+" bar)
    load(db, make_file, """
        ann,2023-01-01 10:00:00,1
        ann,2023-12-31 10:00:00,1
        bob,2023-01-01 10:00:00,1
        bob,2024-01-01 10:00:00,1
        cat,2023-01-01 10:00:00,1
        cat,2024-02-05 10:00:00,1
    """)
    u = timing.usage_cycle(db, Filters(as_of=D(2024, 3, 1)))
    assert [(int(r.lo), r.hi, int(r.gaps)) for r in u["histogram"].itertuples()] == [(358, 364, 1), (365, None, 2)]
    assert u["median_days"] == 365.0


def test_everyone_bought_once(db, make_file):
    load(db, make_file, "ann,2025-01-01 10:00:00,10\nbob,2025-01-02 10:00:00,20\ncat,2025-02-03 10:00:00,30")
    f = Filters(as_of=D(2025, 2, 28))
    u = timing.usage_cycle(db, f)
    assert u["median_days"] is None and u["p80_days"] is None and u["gaps"] == 0 and u["buyers"] == 0
    assert u["histogram"].empty
    c = timing.compute(db, f)
    assert not c["empty"] and list(c["monthly"]["returning_buyers"]) == [0, 0]
    r = c["retention"]
    assert list(r.loc[r["month_offset"] == 1, "buyers"]) == [0]     # Jan cohort, nobody back in Feb
    rep = timing.report(db, f)
    assert rep["usage_cycle"] == {"median_days": None, "p80_days": None, "gaps": 0, "buyers": 0}
    json.dumps(rep)


def test_one_buyer(db, make_file):
    load(db, make_file, "ann,2025-01-01 10:00:00,10\nann,2025-01-08 10:00:00,20\nann,2025-01-22 10:00:00,30")
    c = timing.compute(db, Filters(as_of=D(2025, 1, 31)), "week")
    u = c["usage_cycle"]
    assert (u["median_days"], u["gaps"], u["buyers"]) == (10.5, 2, 1)   # gaps 7 and 14
    assert u["p80_days"] == pytest.approx(12.6)                           # 7 + 0.8 × 7
    assert list(c["trend"]["buyers"]) == [1, 1, 0, 1, 0]   # weeks of Dec 30, Jan 6, 13, 20, 27
    assert list(c["days_since_last"]["buyers"]) == [1, 0, 0, 0, 0, 0, 0]  # 9 days
    assert list(c["monthly"]["new_buyers"]) == [1]


# -- empty scopes ------------------------------------------------------------------------------------
def test_range_with_no_orders_is_empty(db, make_file):
    load(db, make_file, TREND)
    f = Filters(as_of=D(2025, 3, 31), start=D(2025, 2, 1), end=D(2025, 2, 28))
    c = timing.compute(db, f, "day")
    assert c == {"empty": True, "grain": "day"}
    assert timing.trend(db, f).empty and timing.new_returning(db, f).empty and timing.retention(db, f).empty
    assert int(timing.days_since_last(db, f)["buyers"].sum()) == 0
    assert timing.usage_cycle(db, f)["median_days"] is None
    rep = timing.report(db, f)
    assert rep["monthly"] == [] and rep["usage_cycle"]["gaps"] == 0
    json.dumps(rep)


def test_levels_with_no_members_are_empty(db, make_file):
    load(db, make_file, TREND)   # everyone below the first spend threshold: level 0 (店铺客户)
    assert timing.compute(db, Filters(as_of=D(2025, 3, 31), levels=(4,)))["empty"]
    assert not timing.compute(db, Filters(as_of=D(2025, 3, 31), levels=(0,)))["empty"]


def test_empty_database(db):
    assert timing.compute(db, Filters(as_of=D(2025, 3, 31)))["empty"]
    json.dumps(timing.report(db, Filters(as_of=D(2025, 3, 31))))


# -- report ------------------------------------------------------------------------------------------
def test_report_is_json_ready(db, make_file):
    load(db, make_file, RETENTION)
    rep = timing.report(db, Filters(as_of=D(2025, 4, 15)))
    text = json.dumps(rep, ensure_ascii=False)
    assert json.loads(text) == rep
    assert rep["as_of"] == "2025-04-15" and rep["start"] is None and rep["end"] == "2025-04-15"
    assert [m["month"] for m in rep["monthly"]] == ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04"]
    jan = rep["monthly"][1]
    assert jan == {"month": "2025-01", "gmv": 3.0, "purchases": 3, "buyers": 3, "new_buyers": 2,
                   "returning_buyers": 1, "complete": True, "peak": False, "off_season": False,
                   "festivals": ["cny"]}
    assert rep["monthly"][0]["complete"] is False and rep["monthly"][-1]["complete"] is False
    assert len(rep["weekday_hour"]) == 168 and rep["has_time"] is True
    assert [b["bin"] for b in rep["days_since_last"]] == [b for b, _, _ in timing.RECENCY_BINS]
    assert {"cohort": "2025-01", "size": 2, "month_offset": 3, "buyers": 1, "rate": 0.5, "partial": True} in rep["retention"]
    assert all(r["month_offset"] >= 1 for r in rep["retention"])
    # cat: Feb 1 → Feb 20 → Mar 1 (19, 9); ann: Jan 10 → Feb 5 → Apr 2 (26, 56); bob 42; dan 33
    assert rep["usage_cycle"]["gaps"] == 6 and rep["usage_cycle"]["buyers"] == 4
    assert rep["usage_cycle"]["median_days"] == 29.5       # 9, 19, 26, 33, 42, 56
    assert rep["peaks"] == [] and rep["off_season"] == []


# -- figures and tables ------------------------------------------------------------------------------
def test_every_festival_has_a_name_in_both_languages():
    for key in timing.EVENT_KEYS:
        assert key in ("cny", "618", "double11", "double12")
        for lang in ("zh", "en"):
            assert f"timing_fest_{key}" in i18n.CATALOG[lang]
    assert charts.festival_name("cny", "zh") == "年货节" and charts.festival_name("double11", "zh") == "双11"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_figures_carry_segment_ids(db, make_file, lang):
    load(db, make_file, RETENTION)
    f = Filters(as_of=D(2025, 4, 15), start=D(2025, 1, 1))
    c = timing.compute(db, f, "week")
    fig = charts.trend_chart(c["trend"], "gmv", "week", c["festivals"], lang)
    assert fig.data[0].customdata[0] == "2024-12-30"
    assert any(s.x0 == "2025-01-08" for s in fig.layout.shapes)            # 年货节 2025 shaded
    fig = charts.days_since_last_bars(c["days_since_last"], f.as_of, lang)
    assert list(fig.data[0].customdata) == [b for b, _, _ in timing.RECENCY_BINS]
    fig = charts.retention_heatmap(c["retention"], lang)
    assert [row[0] for row in fig.data[0].customdata] == ["2025-01", "2025-02"]
    assert fig.data[0].text[0][2] == "50.0%*"                                # Jan cohort, +3 = April, not over
    fig = charts.new_returning_bars(c["monthly"], lang)
    assert fig.data[0].customdata[0] == "new:2025-01" and fig.data[1].customdata[0] == "returning:2025-01"
    u = c["usage_cycle"]
    fig = charts.gap_histogram(u["histogram"], u["median_days"], u["p80_days"], lang)
    assert [s.x0 for s in fig.layout.shapes] == [u["median_days"], u["p80_days"]]
    assert charts.weekday_hour_heatmap(c["weekday_hour"], lang).data[0].z.shape == (7, 24)
    assert list(charts.weekday_bars(c["weekday_hour"], lang).data[0].y) == [2, 1, 2, 1, 1, 2, 0]  # 9 in range
    table = charts.retention_table(c["retention"], lang)
    assert list(table.iloc[0]) == ["2025-01", 2, 50.0, 50.0, 50.0]
    assert pd.isna(table.iloc[1, -1])
    m = charts.monthly_table(c["monthly"], lang)
    assert len(m) == 4 and m.iloc[0, 1] == 3.0
