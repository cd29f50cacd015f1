"""Tags (标签): names the shop puts on customers (e.g. "双11唤醒", "已发券"), to group them across
cohorts and to exclude them later (`CohortSpec.tags_none`).

Rules:
- A tag name is trimmed, not empty, at most 100 characters, unique (case-sensitive).
- Adding members to a tag keeps their other tags and is idempotent (adding twice changes nothing).
- Moving members from one tag to another removes them from the first and adds them to the second;
  deleting a tag removes its assignments.
- Members are given as a list of cust_no, or as (sql, params) of a sub-query selecting cust_no
  (e.g. `cohorts.members_sql(...)`), so a whole cohort is tagged inside the database.
- Every write runs in `db.write()` (one transaction) and bumps the data version, so caches keyed
  on `data_version()` recompute. Validation problems raise `TagError` (a ValueError whose `key` is a
  message key of crm/locales/cohorts.py).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from .cohorts import NAME_MAX
from .errors import KeyedError
from .sql import Q
from .db import Database
from .levels import LevelRules
from .segments import LifecycleThresholds


class TagError(KeyedError):
    pass


def _name(name) -> str:
    s = name.strip() if isinstance(name, str) else ("" if name is None else str(name).strip())
    if not s:
        raise TagError("tags_error_empty_name")
    if len(s) > NAME_MAX:
        raise TagError("tags_error_name_too_long", max=NAME_MAX)
    return s


def _tag_id(cur, name: str, *, create: bool = False) -> int:
    name = _name(name)
    row = cur.execute("SELECT tag_id FROM tags WHERE name = ?", [name]).fetchone()
    if row:
        return int(row[0])
    if not create:
        raise TagError("tags_error_unknown", name=name)
    new_id = cur.execute("SELECT coalesce(max(tag_id), 0) + 1 FROM tags").fetchone()[0]
    cur.execute("INSERT INTO tags VALUES (?, ?, now()::TIMESTAMP)", [new_id, name])
    return int(new_id)


def _members(members) -> Q:
    """A sub-query selecting distinct, non-null cust_no from a list or a query (`Q`) of cust_no."""
    if isinstance(members, Q):
        return Q("SELECT DISTINCT cust_no FROM ({sql}) m WHERE cust_no IS NOT NULL").fill(sql=members)
    if isinstance(members, str):
        raise TypeError("pass members as a query (crm.sql.Q) or a list of cust_no")
    return Q("SELECT DISTINCT unnest($members::INTEGER[]) AS cust_no", members=[int(v) for v in (members or [])])


# -- tags --------------------------------------------------------------------------------------------
def create_tag(db: Database, name: str) -> int:
    """Create a tag; returns its id. A name already in use raises tags_error_duplicate."""
    name = _name(name)
    with db.write() as cur:
        if cur.execute("SELECT count(*) FROM tags WHERE name = ?", [name]).fetchone()[0]:
            raise TagError("tags_error_duplicate", name=name)
        tag_id = _tag_id(cur, name, create=True)
        db.bump_version(cur)
    return tag_id


def rename_tag(db: Database, old: str, new: str) -> None:
    old, new = _name(old), _name(new)
    with db.write() as cur:
        tag_id = _tag_id(cur, old)
        if new == old:
            return
        if cur.execute("SELECT count(*) FROM tags WHERE name = ?", [new]).fetchone()[0]:
            raise TagError("tags_error_duplicate", name=new)
        cur.execute("UPDATE tags SET name = ? WHERE tag_id = ?", [new, tag_id])
        db.bump_version(cur)


def delete_tag(db: Database, name: str) -> int:
    """Delete a tag and its assignments; returns how many customers had it."""
    with db.write() as cur:
        tag_id = _tag_id(cur, name)
        n = cur.execute("SELECT count(*) FROM customer_tags WHERE tag_id = ?", [tag_id]).fetchone()[0]
        cur.execute("DELETE FROM customer_tags WHERE tag_id = ?", [tag_id])
        cur.execute("DELETE FROM tags WHERE tag_id = ?", [tag_id])
        db.bump_version(cur)
    return int(n)


def list_tags(db: Database) -> pd.DataFrame:
    """tag_id, name, members, created_at — by name."""
    return db.frame("""
        SELECT t.tag_id, t.name, count(ct.cust_no) AS members, t.created_at
        FROM tags t LEFT JOIN customer_tags ct ON ct.tag_id = t.tag_id
        GROUP BY ALL ORDER BY t.name""", [])


# -- assignments -------------------------------------------------------------------------------------
def add_to_tag(db: Database, tag: str, members, *, create: bool = False) -> int:
    """Add members to a tag (their other tags stay). Idempotent. Returns how many were newly added.
    `create=True` creates the tag when it does not exist yet."""
    with db.write() as cur:
        tag_id = _tag_id(cur, tag, create=create)
        before = cur.execute("SELECT count(*) FROM customer_tags WHERE tag_id = ?", [tag_id]).fetchone()[0]
        cur.execute(*Q("""INSERT INTO customer_tags
                          SELECT $tag_id, s.cust_no, now()::TIMESTAMP FROM ({sub}) s
                          WHERE s.cust_no IN (SELECT cust_no FROM customers)
                          ON CONFLICT DO NOTHING""", tag_id=tag_id).fill(sub=_members(members)))
        after = cur.execute("SELECT count(*) FROM customer_tags WHERE tag_id = ?", [tag_id]).fetchone()[0]
        db.bump_version(cur)
    return int(after - before)


def remove_from_tag(db: Database, tag: str, members=None) -> int:
    """Remove members from a tag (all of them when members is None). Returns how many were removed."""
    with db.write() as cur:
        tag_id = _tag_id(cur, tag)
        cond = "" if members is None else Q(" AND cust_no IN ({sub})").fill(sub=_members(members))
        n = cur.execute(*Q("SELECT count(*) FROM customer_tags WHERE tag_id = $tag_id{cond}", tag_id=tag_id).fill(
            cond=cond)).fetchone()[0]
        cur.execute(*Q("DELETE FROM customer_tags WHERE tag_id = $tag_id{cond}", tag_id=tag_id).fill(cond=cond))
        db.bump_version(cur)
    return int(n)


def move_to_tag(db: Database, from_tag: str, to_tag: str, members=None, *, create: bool = False) -> int:
    """Move members (all of `from_tag` when None; otherwise only those of them that have `from_tag`)
    from one tag to the other. Returns how many were moved."""
    with db.write() as cur:
        src = _tag_id(cur, from_tag)
        dst = _tag_id(cur, to_tag, create=create)
        if src == dst:
            return 0
        cond = "" if members is None else Q(" AND cust_no IN ({sub})").fill(sub=_members(members))
        cur.execute(*Q("CREATE TEMP TABLE _moving AS SELECT cust_no FROM customer_tags WHERE tag_id = $tag_id{cond}",
                       tag_id=src).fill(cond=cond))
        try:
            n = cur.execute("SELECT count(*) FROM _moving").fetchone()[0]
            cur.execute("INSERT INTO customer_tags SELECT ?, cust_no, now()::TIMESTAMP FROM _moving "
                        "ON CONFLICT DO NOTHING", [dst])
            cur.execute("DELETE FROM customer_tags WHERE tag_id = ? AND cust_no IN (SELECT cust_no FROM _moving)",
                        [src])
        finally:
            cur.execute("DROP TABLE IF EXISTS _moving")
        db.bump_version(cur)
    return int(n)


def tags_of(db: Database, cust_no: int) -> list[str]:
    return [r[0] for r in db.query("SELECT t.name FROM customer_tags ct JOIN tags t ON t.tag_id = ct.tag_id "
                                   "WHERE ct.cust_no = ? ORDER BY t.name", [int(cust_no)])]


# -- one customer --------------------------------------------------------------------------------------
ORDERS_LIMIT = 200


def customer_detail(db: Database, customer_id: str, as_of: dt.date, rules: LevelRules | None = None,
                    thresholds: LifecycleThresholds | None = None) -> dict | None:
    """One customer: figures (cust_no, customer_id, first/last purchase, purchases, spend, aov,
    days_since_last, stage, level_code, province — None for the purchase figures when they have no
    purchase up to the as-of date), orders (their latest 200 orders of any status up to the as-of
    date, newest first), tags. None when the customer is unknown."""
    from .cohorts import base_sql
    from .metrics import level
    rules, thresholds = rules or LevelRules(), thresholds or LifecycleThresholds()
    row = db.query("SELECT cust_no, customer_id FROM customers WHERE customer_id = ?", [str(customer_id)])
    if not row:
        return None
    cust_no = int(row[0][0])
    facts = db.frame(Q("{base}\nSELECT * FROM base WHERE cust_no = $cust_no", cust_no=cust_no).fill(
        base=base_sql(as_of, rules, thresholds)))
    if facts.empty:
        other = db.query(Q("SELECT {level}, m.province FROM customers c "
                           "LEFT JOIN members m ON m.cust_no = c.cust_no WHERE c.cust_no = $cust_no",
                           cust_no=cust_no).fill(level=level(rules, "m.level_code", "0", "0")))[0]
        figures = {"cust_no": cust_no, "customer_id": row[0][1], "first_purchase_at": None,
                   "last_purchase_at": None, "purchases": 0, "spend": 0, "aov": None, "days_since_last": None,
                   "stage": None, "level_code": other[0], "province": other[1]}
    else:
        figures = {k: (v.item() if hasattr(v, "item") else v) for k, v in facts.iloc[0].to_dict().items()}
        for k in ("first_purchase_at", "last_purchase_at"):
            if isinstance(figures[k], pd.Timestamp):
                figures[k] = figures[k].to_pydatetime()
    orders = db.frame("""
        SELECT order_id, ordered_at, status, amount, refund, spend, is_purchase, item_title, platform, shop
        FROM orders WHERE cust_no = ? AND ordered_at < ?::DATE + INTERVAL 1 DAY
        ORDER BY ordered_at DESC, order_key LIMIT ?""", [cust_no, as_of, ORDERS_LIMIT])
    return {"figures": figures, "orders": orders, "tags": tags_of(db, cust_no)}
