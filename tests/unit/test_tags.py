"""Tags: create / rename / delete, adding and moving members (idempotent, other tags kept), the data
version, validation keys, and the customer detail. Data: tests/unit/test_cohorts.py."""
import datetime as dt
from decimal import Decimal

import pytest

from crm import tags as T
from crm.cohorts import CohortSpec, members_sql
from crm.i18n import t
from crm.importing import import_file
from tests.unit.test_cohorts import AS_OF, INJECTION, load


@pytest.fixture
def shop(db, make_file):
    load(db, make_file)
    return db


def nos(db, *names):
    rows = db.query("SELECT customer_id, cust_no FROM customers WHERE list_contains(?::VARCHAR[], customer_id)",
                    [list(names)])
    return [d[1] for d in sorted(rows)]


def members_of(db, tag):
    return {r[0] for r in db.query("SELECT c.customer_id FROM customer_tags ct JOIN tags t USING (tag_id) "
                                   "JOIN customers c ON c.cust_no = ct.cust_no WHERE t.name = ?", [tag])}


def counts(db):
    return {r.name: int(r.members) for r in T.list_tags(db).itertuples()}


def test_create_rename_delete(shop):
    v0 = shop.data_version()
    a = T.create_tag(shop, "  双11唤醒 ")
    assert shop.data_version() != v0
    b = T.create_tag(shop, "已发券")
    assert a != b
    assert counts(shop) == {"双11唤醒": 0, "已发券": 0}
    T.add_to_tag(shop, "双11唤醒", nos(shop, "ann", "bob"))
    T.rename_tag(shop, "双11唤醒", "双12唤醒")
    assert counts(shop) == {"双12唤醒": 2, "已发券": 0}  # assignments follow the rename
    T.rename_tag(shop, "双12唤醒", "双12唤醒")           # same name: nothing to do
    v1 = shop.data_version()
    assert T.delete_tag(shop, "双12唤醒") == 2
    assert shop.data_version() != v1
    assert counts(shop) == {"已发券": 0}
    assert shop.scalar("SELECT count(*) FROM customer_tags") == 0
    T.create_tag(shop, "双12唤醒")                       # the name is free again, with no members
    assert counts(shop)["双12唤醒"] == 0


@pytest.mark.parametrize("call, key", [
    (lambda db: T.create_tag(db, "   "), "tags_error_empty_name"),
    (lambda db: T.create_tag(db, None), "tags_error_empty_name"),
    (lambda db: T.create_tag(db, "x" * 101), "tags_error_name_too_long"),
    (lambda db: T.create_tag(db, "vip"), "tags_error_duplicate"),
    (lambda db: T.create_tag(db, " vip "), "tags_error_duplicate"),
    (lambda db: T.rename_tag(db, "nope", "x"), "tags_error_unknown"),
    (lambda db: T.rename_tag(db, "vip", "other"), "tags_error_duplicate"),
    (lambda db: T.rename_tag(db, "vip", ""), "tags_error_empty_name"),
    (lambda db: T.delete_tag(db, "nope"), "tags_error_unknown"),
    (lambda db: T.add_to_tag(db, "nope", [1]), "tags_error_unknown"),
    (lambda db: T.remove_from_tag(db, "nope"), "tags_error_unknown"),
    (lambda db: T.move_to_tag(db, "nope", "vip"), "tags_error_unknown"),
    (lambda db: T.move_to_tag(db, "vip", "nope"), "tags_error_unknown"),
])
def test_validation_errors_have_message_keys(db, call, key):
    T.create_tag(db, "vip")
    T.create_tag(db, "other")
    before = (db.data_version(), counts(db))
    with pytest.raises(ValueError) as e:
        call(db)
    assert e.value.key == key and str(e.value) == key
    assert t(key, "zh") != key and t(key, "en") != key
    assert e.value.text("en") and "{" not in e.value.text("en")
    assert (db.data_version(), counts(db)) == before  # nothing written


def test_add_is_idempotent_and_keeps_other_tags(shop):
    T.create_tag(shop, "a")
    T.create_tag(shop, "b")
    assert T.add_to_tag(shop, "b", nos(shop, "ann")) == 1
    assert T.add_to_tag(shop, "a", nos(shop, "ann", "bob")) == 2
    assert T.add_to_tag(shop, "a", nos(shop, "ann", "bob", "bob")) == 0  # again: nothing new
    assert T.add_to_tag(shop, "a", []) == 0
    assert T.add_to_tag(shop, "a", [999999]) == 0                        # unknown customer numbers are ignored
    assert members_of(shop, "a") == {"ann", "bob"} and members_of(shop, "b") == {"ann"}
    assert T.tags_of(shop, nos(shop, "ann")[0]) == ["a", "b"]
    assert T.tags_of(shop, nos(shop, "cat")[0]) == []


def test_add_a_whole_cohort_by_sql(shop):
    sub = members_sql(CohortSpec(days_min=30, days_max=90), AS_OF)
    assert T.add_to_tag(shop, "30-90", sub, create=True) == 3
    assert members_of(shop, "30-90") == {"bob", "cat", "ivy"}
    assert T.add_to_tag(shop, "30-90", sub) == 0
    assert T.add_to_tag(shop, "30-90", members_sql(CohortSpec(days_max=30), AS_OF)) == 1  # dan; cat already in
    assert counts(shop) == {"30-90": 4}


def test_move_and_remove(shop):
    T.create_tag(shop, "from")
    T.create_tag(shop, "to")
    T.create_tag(shop, "keep")
    T.add_to_tag(shop, "from", nos(shop, "ann", "bob", "cat"))
    T.add_to_tag(shop, "to", nos(shop, "cat"))
    T.add_to_tag(shop, "keep", nos(shop, "ann"))
    # only those of the given members who have "from" move; dan has no "from": untouched
    assert T.move_to_tag(shop, "from", "to", nos(shop, "ann", "cat", "dan")) == 2
    assert members_of(shop, "from") == {"bob"} and members_of(shop, "to") == {"ann", "cat"}
    assert members_of(shop, "keep") == {"ann"}
    assert T.move_to_tag(shop, "from", "to", nos(shop, "ann")) == 0       # again: nothing to move
    assert T.move_to_tag(shop, "to", "to") == 0
    assert T.move_to_tag(shop, "from", "to") == 1                         # everyone left in "from"
    assert members_of(shop, "from") == set() and members_of(shop, "to") == {"ann", "bob", "cat"}
    assert T.move_to_tag(shop, "to", "new", members_sql(CohortSpec(spend_min=900), AS_OF), create=True) == 2
    assert members_of(shop, "new") == {"ann", "bob"} and members_of(shop, "to") == {"cat"}
    assert T.remove_from_tag(shop, "new", nos(shop, "bob", "cat")) == 1
    assert T.remove_from_tag(shop, "new", nos(shop, "bob")) == 0
    assert T.remove_from_tag(shop, "keep") == 1
    assert counts(shop) == {"from": 0, "keep": 0, "new": 1, "to": 1}


def test_tag_names_are_data_not_sql(shop):
    before = shop.scalar("SELECT count(*) FROM orders")
    T.create_tag(shop, INJECTION)
    T.add_to_tag(shop, INJECTION, nos(shop, "ann"))
    T.rename_tag(shop, INJECTION, INJECTION + " 2")
    assert counts(shop) == {INJECTION + " 2": 1}
    assert shop.scalar("SELECT count(*) FROM orders") == before
    T.delete_tag(shop, INJECTION + " 2")
    assert shop.scalar("SELECT count(*) FROM orders") == before


def test_customer_detail(shop):
    T.create_tag(shop, "vip")
    T.add_to_tag(shop, "vip", nos(shop, "ann"))
    d = T.customer_detail(shop, "ann", AS_OF)
    f = d["figures"]
    assert (f["customer_id"], f["purchases"], f["spend"], f["days_since_last"], f["stage"], f["level_code"],
            f["province"]) == ("ann", 2, Decimal("1600.00"), 333, "sleeping", 2, "广东省")
    assert f["last_purchase_at"] == dt.datetime(2025, 2, 1, 10)
    assert list(d["orders"]["order_id"]) == ["2", "1"] and d["tags"] == ["vip"]
    # refunded orders are listed, not counted
    fay = T.customer_detail(shop, "fay", AS_OF)
    assert fay["figures"]["purchases"] == 0 and fay["figures"]["stage"] is None
    assert list(fay["orders"]["is_purchase"]) == [False]
    # a member without orders, and orders after the as-of date
    jay = T.customer_detail(shop, "jay", AS_OF)
    assert jay["figures"]["level_code"] == 1 and jay["orders"].empty
    assert T.customer_detail(shop, "gus", AS_OF)["orders"].empty
    assert T.customer_detail(shop, "nobody", AS_OF) is None
    assert T.customer_detail(shop, INJECTION, AS_OF) is None


def test_customer_detail_orders_capped(db, make_file):
    lines = "".join(f"{i},zed,2025-01-01 00:{i // 60:02d}:{i % 60:02d},1\n" for i in range(230))
    assert import_file(
        db, make_file("many.csv", "order_id,customer,date,amount\n" + lines),
        mapping={"order_id": "order_id", "customer_id": "customer", "ordered_at": "date", "amount": "amount"}).ok
    d = T.customer_detail(db, "zed", AS_OF)
    assert len(d["orders"]) == 200 and d["figures"]["purchases"] == 230
    assert d["orders"]["order_id"].iloc[0] == "229"
