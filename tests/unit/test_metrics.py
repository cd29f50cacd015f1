"""One definition per number (crm/metrics.py) and the SQL builder (crm/sql.py): a figure asked for by
name reads the same from customer_stats and from a fresh aggregation, on hand-checkable data."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm import metrics
from crm.filters import Filters
from crm.importing import import_file
from crm.sql import Q, join

AS_OF = dt.date(2025, 6, 30)
ORDERS = """order_id,customer_id,ordered_at,amount,status,province
1,ann,2025-01-10 10:00,100.00,paid,北京
2,ann,2025-03-01 09:00,50.50,paid,上海
3,bob,2025-06-01 12:00,20.00,paid,
4,bob,2025-06-30 23:00,30.00,paid,广东
5,cat,2024-12-31 08:00,999.99,paid,浙江
6,,2025-02-02 02:00,5.00,paid,
"""
MAP = {"order_id": "order_id", "customer_id": "customer_id", "ordered_at": "ordered_at", "amount": "amount",
       "status": "status", "province": "province"}


@pytest.fixture
def shop(db, make_file):
    assert import_file(db, make_file("o.csv", ORDERS), mapping=MAP).ok
    return db


def figures(db, f, columns, dates=False):
    rows = db.query(Q("SELECT c.customer_id, {cols} FROM ({b}) x JOIN customers c USING (cust_no) ORDER BY 1").fill(
        cols=", ".join(f"x.{c}" for c in columns), b=metrics.buyer_facts(f, columns, dates=dates)))
    return {r[0]: r[1:] for r in rows}


def test_a_figure_reads_the_same_from_both_sources(shop):
    cols = ("purchases", "spend", "last_purchase_at", "days_since_last", "aov", "tenure_days", "order_province")
    f = Filters(as_of=AS_OF, data_last_day=AS_OF)
    assert metrics.uses_stats(f, cols) and not metrics.uses_stats(f.with_(fast=False), cols)
    fast, live = figures(shop, f, cols), figures(shop, f.with_(fast=False), cols)
    assert fast == live
    assert fast["ann"][:2] == (2, Decimal("150.50")) and fast["ann"][3] == 121 and fast["ann"][5] == 171
    assert fast["ann"][4] == 75.25 and fast["ann"][6] == "上海"
    assert fast["bob"][3] == 0 and fast["bob"][6] == "广东"
    assert fast["cat"][3] == 181 and fast["cat"][5] == 181
    assert set(fast) == {"ann", "bob", "cat"}          # the order without a buyer key is in no buyer


def test_the_order_date_range_and_the_last_purchase_up_to_the_as_of_date(shop):
    f = Filters(as_of=AS_OF, start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 1), data_last_day=AS_OF)
    got = figures(shop, f, ("purchases", "spend", "days_since_last"), dates=True)
    # bob's purchase of 30 June is after the range but before the as-of date: his days since last are 0
    assert got == {"ann": (2, Decimal("150.50"), 121), "bob": (1, Decimal("20.00"), 0)}
    assert figures(shop, f.with_(fast=False), ("purchases", "spend", "days_since_last"), dates=True) == got


def test_totals_over_buyers_and_purchases(shop):
    f = Filters(as_of=AS_OF, data_last_day=AS_OF)
    for g in (f, f.with_(fast=False)):
        assert shop.query(metrics.buyer_totals(g)) == [(3, Decimal("1200.49"), 5, 2)]
        assert shop.query(metrics.purchase_totals(g))[0][0] == 6      # the order without a buyer too
    assert shop.query(metrics.purchase_totals(f.with_(levels=(0, 1, 2, 3, 4))))[0][0] == 5


def test_the_level_is_derived_from_the_whole_history(shop):
    f = Filters(as_of=AS_OF, data_last_day=AS_OF)
    for g in (f, f.with_(fast=False)):   # default rules: ¥200 level 1, ¥800 level 2
        assert figures(shop, g, ("spend", "level_code")) == {
            "ann": (Decimal("150.50"), 0), "bob": (Decimal("50.00"), 0), "cat": (Decimal("999.99"), 2)}
    by_level = shop.query(Q("SELECT level_code, count(*) FROM ({b}) b GROUP BY 1 ORDER BY 1").fill(
        b=metrics.buyers_by_level(f)))
    assert by_level == [(0, 2), (2, 1)]
    assert shop.query(Q("SELECT level_code, count(*) FROM ({b}) b GROUP BY 1 ORDER BY 1").fill(
        b=metrics.buyers_by_level(f.with_(fast=False)))) == by_level
    with pytest.raises(ValueError, match="whole history"):
        metrics.buyer_facts(f.with_(start=dt.date(2025, 3, 1)), ("level_code",), dates=True)


def test_an_unknown_figure_is_refused():
    with pytest.raises(KeyError, match="no_such"):
        metrics.buyer_facts(Filters(as_of=AS_OF), ("no_such",))


# -- the SQL builder ---------------------------------------------------------------------------------
def test_parts_carry_their_named_parameters():
    q = Q("SELECT * FROM ({a}) a WHERE x > $lo").fill(a=Q("SELECT $v AS x", v=1)).bind(lo=0)
    text, params = q.compile()
    assert text == "SELECT * FROM (SELECT $v AS x) a WHERE x > $lo" and params == {"v": 1, "lo": 0}


def test_a_name_bound_to_two_values_is_an_error():
    with pytest.raises(ValueError, match=r"\$as_of bound to two values"):
        Q("{a} {b}").fill(a=Q("$as_of", as_of=dt.date(2025, 1, 1)), b=Q("$as_of", as_of=dt.date(2025, 1, 2)))
    same = Q("{a} {b}").fill(a=Q("$as_of", as_of=AS_OF), b=Q("$as_of", as_of=AS_OF))
    assert same.compile()[1] == {"as_of": AS_OF}


def test_unused_parameters_are_dropped_and_missing_ones_named(db):
    assert db.query(Q("SELECT $a + 1", a=1, unused=2)) == [(2,)]
    with pytest.raises(KeyError, match="b"):
        Q("SELECT $a, $b", a=1).compile()
    assert join([Q("a = $a", a=1), "b", Q("c = $c", c=3)], " AND ").compile() == ("a = $a AND b AND c = $c",
                                                                                    {"a": 1, "c": 3})
