"""Shared filters and member levels on tiny hand-checkable data."""
import datetime as dt

from crm.filters import Filters
from crm.importing import import_file
from crm.levels import LevelRules, customer_levels_sql, load_rules, save_rules

LOG = ("order_id,customer,date,amount,province\n"
       "1,ann,2025-01-01,100,广东省\n"
       "2,ann,2025-02-01,150,广东省\n"
       "3,bob,2025-03-01,900,北京\n"
       "4,cat,2025-04-01,20,广东省\n"
       "5,dan,2025-05-01,5000,上海\n")
MAP = {"order_id": "order_id", "customer_id": "customer", "ordered_at": "date", "amount": "amount",
       "province": "province"}


def load(db, make_file):
    assert import_file(db, make_file("log.csv", LOG), mapping=MAP).ok


def levels(db, rules, as_of):
    sql, params = customer_levels_sql(rules, as_of)
    rows = db.query(f"SELECT c.customer_id, l.level_code, l.spend, l.purchases FROM ({sql}) l "
                    "JOIN customers c USING (cust_no) ORDER BY 1", params)
    return {r[0]: r[1:] for r in rows}


def test_rule_levels_by_spend_or_count(db, make_file):
    load(db, make_file)
    got = levels(db, LevelRules(), dt.date(2025, 12, 31))  # 200 / 800 / 2000 / 5000 by spend
    assert {k: v[0] for k, v in got.items()} == {"ann": 1, "bob": 2, "cat": 0, "dan": 4}
    got = levels(db, LevelRules(spend=(None, None, None, None), count=(2, None, None, None)), dt.date(2025, 12, 31))
    assert {k: v[0] for k, v in got.items()} == {"ann": 1, "bob": 0, "cat": 0, "dan": 0}
    # as of Jan 2025 only ann's first order counts
    got = levels(db, LevelRules(), dt.date(2025, 1, 15))
    assert got["ann"] == (0, 100, 1) and got["dan"] == (0, 0, 0)


def test_exported_level_wins(db, make_file, fixture):
    load(db, make_file)
    assert import_file(db, make_file("m.csv", "买家昵称,会员等级编号\ncat,3\n")).ok
    got = levels(db, LevelRules(), dt.date(2025, 12, 31))
    assert got["cat"][0] == 3


def test_rules_validate_and_persist(db):
    assert LevelRules(spend=(200, 100, None, None)).validate() == ["levels_rule_not_rising_spend"]
    rules = LevelRules(spend=(100, 500, None, None), count=(None, 3, 6, 9))
    save_rules(db, rules)
    assert load_rules(db) == rules


def test_filters_scope_purchases(db, make_file):
    load(db, make_file)

    def count(f):
        sql, params = f.purchases("o.order_id")
        return sorted(r[0] for r in db.query(sql, params))
    f = Filters(as_of=dt.date(2025, 12, 31))
    assert count(f) == ["1", "2", "3", "4", "5"]
    assert count(f.with_(start=dt.date(2025, 2, 1), end=dt.date(2025, 4, 1))) == ["2", "3", "4"]
    assert count(f.with_(as_of=dt.date(2025, 3, 1))) == ["1", "2", "3"]
    assert count(f.with_(provinces=("广东省",))) == ["1", "2", "4"]
    assert count(f.with_(levels=(1, 2))) == ["1", "2", "3"]
    assert count(f.with_(provinces=("nowhere' OR 1=1 --",))) == []
    sql, params = f.with_(start=dt.date(2025, 3, 1)).purchases("o.order_id", dates=False)
    assert len(db.query(sql, params)) == 5


def test_fast_path_matches_live_aggregation(db, make_file):
    """With the as-of date on or after the latest order, levels and customer facts read the
    importer's per-customer totals; they must equal a fresh aggregation."""
    from crm.segments import customer_facts_sql
    load(db, make_file)
    as_of = dt.date(2025, 12, 31)
    live = Filters(as_of=as_of)
    fast = Filters(as_of=as_of, data_last_day=dt.date(2025, 5, 1))
    assert fast.complete_history and not live.complete_history
    assert not Filters(as_of=dt.date(2025, 4, 1), data_last_day=dt.date(2025, 5, 1)).complete_history
    for f_sql in (lambda f: f.customer_levels(), customer_facts_sql):
        rows = []
        for f in (live, fast):
            sql, params = f_sql(f)
            rows.append(sorted(db.query(f"SELECT * FROM ({sql}) x", params)))
        assert rows[0] == rows[1] and rows[0]
    # a later import refreshes the totals
    assert import_file(db, make_file("more.csv", "order_id,customer,date,amount,province\n9,cat,2025-06-01,700,广东省\n"),
                       mapping=MAP).ok
    fast = fast.with_(data_last_day=dt.date(2025, 6, 1))
    sql, params = fast.customer_levels()
    got = {r[0]: r[1] for r in db.query(f"SELECT c.customer_id, l.spend FROM ({sql}) l JOIN customers c USING (cust_no)", params)}
    assert got["cat"] == 720
