"""Headline numbers (Home page, `python -m crm summary`), following the README's definitions.

orders = purchases (paid, not refunded in full); GMV = Σ(amount − refund) over purchases;
avg_order_value (笔单价) = GMV / purchases; avg_spend_per_buyer (客单价) = GMV / buyers;
repeat buyers have ≥ 2 purchases in the period; repurchase rate = repeat buyers / buyers.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .db import Database
from .filters import Filters
from .metrics import buyer_totals, purchase_totals
from .sql import Q
from .numbers import div as _div

# {buyers}: metrics.buyer_totals, {totals}: metrics.purchase_totals, {p}: the purchases in scope.
SUMMARY_SQL = """
WITH b AS ({buyers}), t AS ({totals}),
span AS (SELECT min(ordered_at) AS first_order_at, max(ordered_at) AS last_order_at FROM ({p}) p)
SELECT (SELECT count(*) FROM customers WHERE in_members OR first_order_at < $as_of::DATE + INTERVAL 1 DAY) AS members,
       b.buyers, t.all_purchases, t.all_gmv, b.repeat_buyers, span.first_order_at, span.last_order_at
FROM b, t, span
"""


def default_as_of(db: Database) -> dt.date | None:
    """The date of the latest order in the data (exports age; 'today' would make everyone dormant)."""
    return db.scalar("SELECT max(ordered_at)::DATE FROM orders")



def summary(db: Database, as_of: dt.date | None = None, start: dt.date | None = None, fast: bool = True) -> dict:
    """Headline numbers for purchases from `start` (inclusive, default: all) up to `as_of`
    (inclusive, default: the date of the latest order). `fast=False` never reads the import-maintained
    tables (the tests compare both)."""
    latest = default_as_of(db)
    as_of = as_of or latest or dt.date.today()
    f = Filters(as_of=as_of, start=start, data_last_day=latest, fast=fast)
    row = db.query(Q(SUMMARY_SQL, as_of=as_of).fill(
        buyers=buyer_totals(f, ("buyers", "repeat_buyers")), totals=purchase_totals(f), p=f.purchases("o.ordered_at")))[0]
    members, buyers, orders, gmv, repeat, first, last = row
    return {
        "as_of": as_of.isoformat(),
        "start": start.isoformat() if start else None,
        "members": members,
        "buyers": buyers,
        "orders": orders,
        "gmv": gmv,
        "avg_order_value": _div(gmv, orders),
        "avg_spend_per_buyer": _div(gmv, buyers),
        "repeat_buyers": repeat,
        "repurchase_rate": _div(repeat, buyers, Decimal("0.0001")),
        "first_order_at": first,
        "last_order_at": last,
    }


def has_orders(db: Database) -> bool:
    """Whether any order has been imported (the welcome / empty states)."""
    return bool(db.scalar("SELECT EXISTS (SELECT 1 FROM orders)"))


def data_overview(db: Database) -> dict:
    """What is in the database at all (welcome screen vs Home, data page)."""
    row = db.query("""
        SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM members), (SELECT count(*) FROM order_items),
               (SELECT count(*) FROM imports), (SELECT min(ordered_at) FROM orders), (SELECT max(ordered_at) FROM orders),
               (SELECT count(*) FROM orders WHERE customer_id IS NULL)""")[0]
    return {"orders": row[0], "members": row[1], "items": row[2], "imports": row[3],
            "first_order_at": row[4], "last_order_at": row[5], "orders_without_customer": row[6]}


def to_json_ready(d: dict) -> dict:
    """Decimals → numbers with two decimals, timestamps → 'YYYY-MM-DD HH:MM:SS'."""
    out = {}
    for k, v in d.items():
        if isinstance(v, Decimal):
            out[k] = float(v)
        elif isinstance(v, dt.datetime):
            out[k] = v.strftime("%Y-%m-%d %H:%M:%S")
        elif isinstance(v, dt.date):
            out[k] = v.isoformat()
        else:
            out[k] = v
    return out
