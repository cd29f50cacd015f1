"""What they will buy next: co-purchase lift by hand, suggested items in target lists, and what a
cohort likes."""
from __future__ import annotations

import datetime as dt

import pytest

from crm import recommend as R
from crm.cohorts import CohortSpec, member_list
from crm.sql import Q
from crm.importing import import_file

# u1–u3 bought A and B, u4 A and C, u5 C, u6 D. Items with ≥ 3 buyers: A (4), B (3); A and B share
# 3 buyers: lift = 3 × 6 ÷ (4 × 3) = 1.5 both ways. C (2 buyers) and D (1) make no rule.
LOG = ("user_id,order_dt,order_amount,item\n"
       "u1,2025-01-01,10,A\nu1,2025-01-02,10,B\nu2,2025-01-01,10,A\nu2,2025-01-03,10,B\n"
       "u3,2025-01-01,10,A，B\nu4,2025-01-01,10,A\nu4,2025-01-05,10,C\nu5,2025-01-01,10,C\nu6,2025-01-01,10,D\n")


@pytest.fixture
def shop(db, make_file):
    assert import_file(db, make_file("log.csv", LOG)).ok
    return db


def test_rules_by_hand(shop):
    R.ensure(shop)
    items = dict(shop.query("SELECT item, buyers FROM reco_items"))
    assert items == {"A": 4, "B": 3, "C": 2, "D": 1}          # u3's order title 'A，B' is split
    rules = shop.query("""SELECT ix.item, iy.item, r.nxy, r.lift FROM reco_rules r JOIN reco_items ix ON ix.item_no = r.x
                          JOIN reco_items iy ON iy.item_no = r.y ORDER BY 1, 2""")
    assert [(a, b, n) for a, b, n, _ in rules] == [("A", "B", 3), ("B", "A", 3)]
    assert all(lift == pytest.approx(1.5) for *_, lift in rules)


def test_suggested_items(shop):
    ids = dict(shop.query("SELECT customer_id, cust_no FROM customers"))
    got = R.suggestions(shop, list(ids.values()))
    by_key = {k: got.get(v) for k, v in ids.items()}
    # u4 bought A (not B): B; u1–u3 have both; u5 and u6 bought items without a rule
    assert by_key == {"u1": None, "u2": None, "u3": None, "u4": "B", "u5": None, "u6": None}
    df = member_list(shop, CohortSpec(), dt.date(2025, 1, 5), lang="en", columns=["name", "suggested_item"])
    assert dict(zip(df.iloc[:, 0], df.iloc[:, 1])) == {"u1": "", "u2": "", "u3": "", "u4": "B", "u5": "", "u6": ""}


def test_what_a_cohort_likes(shop):
    members = Q("SELECT cust_no FROM customers WHERE customer_id IN ('u1', 'u2', 'u3', 'u4')")
    likes = R.cohort_likes(shop, members)
    assert list(likes["item"]) == ["A", "B"]
    assert list(likes["members"]) == [4, 3]
    assert list(likes["lift"]) == [pytest.approx(1.5), pytest.approx(1.5)]


def test_rebuilt_when_the_data_change(shop, make_file):
    R.ensure(shop)
    assert import_file(shop, make_file("more.csv", "user_id,order_dt,order_amount,item\nu5,2025-02-01,10,A\n"
                                       "u5,2025-02-02,10,B\n")).ok
    ids = dict(shop.query("SELECT customer_id, cust_no FROM customers"))
    assert R.suggestions(shop, [ids["u5"]]) == {}          # u5 has A and B now: nothing left to suggest
    assert dict(shop.query("SELECT item, buyers FROM reco_items"))["B"] == 4
