"""Headline numbers (Home page, `python -m crm summary`), following DESIGN.md's definitions.

orders = purchases (paid, not refunded in full); GMV = Σ(amount − refund) over purchases;
avg_order_value (笔单价) = GMV / purchases; avg_spend_per_buyer (客单价) = GMV / buyers;
repeat buyers have ≥ 2 purchases in the period; repurchase rate = repeat buyers / buyers.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .db import Database
from .numbers import div as _div

SUMMARY_SQL = """
WITH p AS (
    SELECT cust_no, spend, ordered_at FROM orders
    WHERE is_purchase AND ordered_at < ?::DATE + INTERVAL 1 DAY
      AND (?::DATE IS NULL OR ordered_at >= ?::DATE)
),
per_buyer AS (
    SELECT count(*) AS n FROM p WHERE cust_no IS NOT NULL GROUP BY cust_no
),
known AS (  -- customers.first_order_at / in_members are kept by the importer
    SELECT cust_no FROM customers WHERE in_members OR first_order_at < ?::DATE + INTERVAL 1 DAY
),
totals AS (
    SELECT count(*) AS orders, coalesce(sum(spend), 0)::DECIMAL(38,2) AS gmv,
           min(ordered_at) AS first_order_at, max(ordered_at) AS last_order_at FROM p
)
SELECT
    (SELECT count(*) FROM known) AS members,
    (SELECT count(*) FROM per_buyer) AS buyers,
    orders, gmv,
    (SELECT count(*) FROM per_buyer WHERE n >= 2) AS repeat_buyers,
    first_order_at, last_order_at
FROM totals
"""



def default_as_of(db: Database) -> dt.date | None:
    """The date of the latest order in the data (exports age; 'today' would make everyone dormant)."""
    return db.scalar("SELECT max(ordered_at)::DATE FROM orders")



# All history with the as-of date on or after the latest order: the per-customer totals the
# importer keeps (customer_stats) give buyers and repeat buyers without grouping every order.
FAST_SUMMARY_SQL = """
WITH totals AS (
    SELECT count(*) AS orders, coalesce(sum(spend), 0)::DECIMAL(38,2) AS gmv,
           min(ordered_at) AS first_order_at, max(ordered_at) AS last_order_at
    FROM orders WHERE is_purchase
)
SELECT
    (SELECT count(*) FROM customers WHERE in_members OR first_order_at < ?::DATE + INTERVAL 1 DAY) AS members,
    (SELECT count(*) FROM customer_stats) AS buyers,
    orders, gmv,
    (SELECT count(*) FROM customer_stats WHERE purchases >= 2) AS repeat_buyers,
    first_order_at, last_order_at
FROM totals
"""


def summary(db: Database, as_of: dt.date | None = None, start: dt.date | None = None) -> dict:
    """Headline numbers for purchases from `start` (inclusive, default: all) up to `as_of`
    (inclusive, default: the date of the latest order)."""
    latest = default_as_of(db)
    as_of = as_of or latest or dt.date.today()
    if start is None and latest is not None and as_of >= latest:
        row = db.query(FAST_SUMMARY_SQL, [as_of])[0]
    else:
        row = db.query(SUMMARY_SQL, [as_of, start, start, as_of])[0]
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
