"""What they will buy next (个性化推荐): items bought together more often than chance.

Items come from the item data the shop has: item reports and line-level orders (`order_items.title`)
and the order report's 宝贝标题 (all the order's item titles joined by full-width commas, split here).
For two items X and Y bought by n_X and n_Y of the N buyers with items, n_XY of them both:
lift(X → Y) = n_XY × N ÷ (n_X × n_Y) — how much more likely a buyer of X is to have bought Y than
any buyer. A rule needs at least MIN_SUPPORT common buyers and a lift above 1. A member's suggested
item is the item they have not bought with the highest lift from any item they have bought (co-
purchase, not popularity); a cohort "likes" the items its members bought most over the shop's rate.

The tables (reco_items, reco_customer_items, reco_rules) are rebuilt when the data have changed since
the last build (`ensure`), not on every import.
"""
from __future__ import annotations

import pandas as pd

from .db import Database
from .sql import Q

MIN_SUPPORT = 3

ITEMS_SQL = """
CREATE OR REPLACE TEMP TABLE reco_raw AS
SELECT cust_no, trim(unnest(string_split(item_title, '，'))) AS item FROM orders
WHERE is_purchase AND cust_no IS NOT NULL AND item_title IS NOT NULL
UNION ALL
SELECT o.cust_no, trim(i.title) FROM order_items i JOIN orders o ON o.order_id = i.order_id
WHERE o.is_purchase AND o.cust_no IS NOT NULL AND i.title IS NOT NULL;
CREATE OR REPLACE TABLE reco_items AS
SELECT row_number() OVER (ORDER BY item)::INTEGER AS item_no, item, count(DISTINCT cust_no) AS buyers
FROM reco_raw WHERE item <> '' GROUP BY item;
CREATE OR REPLACE TABLE reco_customer_items AS
SELECT DISTINCT r.cust_no, i.item_no FROM reco_raw r JOIN reco_items i USING (item);
CREATE OR REPLACE TABLE reco_rules AS
WITH big AS (SELECT item_no FROM reco_items WHERE buyers >= {support}),
ci AS (SELECT * FROM reco_customer_items WHERE item_no IN (SELECT item_no FROM big)),
n AS (SELECT count(DISTINCT cust_no)::DOUBLE AS total FROM reco_customer_items),
pairs AS (SELECT a.item_no AS x, b.item_no AS y, count(*) AS nxy FROM ci a JOIN ci b
          ON a.cust_no = b.cust_no AND a.item_no <> b.item_no GROUP BY 1, 2 HAVING count(*) >= {support})
SELECT p.x, p.y, p.nxy, p.nxy * (SELECT total FROM n) / (ix.buyers * iy.buyers) AS lift
FROM pairs p JOIN reco_items ix ON ix.item_no = p.x JOIN reco_items iy ON iy.item_no = p.y
WHERE p.nxy * (SELECT total FROM n) > ix.buyers * iy.buyers;
DROP TABLE reco_raw;
"""


def ensure(db: Database) -> None:
    """Build the co-purchase tables when the data changed since they were built."""
    version = db.data_version()
    if db.get_setting("reco_version") == version and db.query(
            "SELECT 1 FROM information_schema.tables WHERE table_name = 'reco_rules'"):
        return
    with db.write() as cur:
        for statement in ITEMS_SQL.format(support=int(MIN_SUPPORT)).split(";"):
            if statement.strip():
                cur.execute(statement)
        cur.execute("INSERT OR REPLACE INTO settings VALUES ('reco_version', ?)", [version])


SUGGEST_SQL = """
SELECT ci.cust_no, arg_max(it.item, r.lift * 1e6 + r.nxy) AS suggested_item, max(r.lift) AS lift
FROM reco_customer_items ci JOIN reco_rules r ON r.x = ci.item_no JOIN reco_items it ON it.item_no = r.y
WHERE ci.cust_no IN (SELECT unnest(?::INTEGER[]))
  AND NOT EXISTS (SELECT 1 FROM reco_customer_items c2 WHERE c2.cust_no = ci.cust_no AND c2.item_no = r.y)
GROUP BY ci.cust_no"""


def suggestions(db: Database, cust_nos: list[int]) -> dict[int, str]:
    """Each member's suggested item (members without one are left out)."""
    if not cust_nos:
        return {}
    ensure(db)
    return {int(c): item for c, item, _ in db.query(SUGGEST_SQL, [[int(c) for c in cust_nos]])}


LIKES_SQL = """
WITH m AS ({members}),
size AS (SELECT count(*)::DOUBLE AS n FROM m),
total AS (SELECT count(DISTINCT cust_no)::DOUBLE AS n FROM reco_customer_items),
cm AS (SELECT ci.item_no, count(*) AS members FROM reco_customer_items ci
       WHERE ci.cust_no IN (SELECT cust_no FROM m) GROUP BY 1 HAVING count(*) >= $min_support)
SELECT it.item, cm.members, cm.members / (SELECT n FROM size) AS share,
       it.buyers / (SELECT n FROM total) AS shop_share,
       (cm.members / (SELECT n FROM size)) / (it.buyers / (SELECT n FROM total)) AS lift
FROM cm JOIN reco_items it USING (item_no)
ORDER BY lift DESC, cm.members DESC, it.item LIMIT $limit"""


def cohort_likes(db: Database, members: Q, limit: int = 10) -> pd.DataFrame:
    """The items a cohort's members bought most over the shop's rate: item, members (who bought it),
    share (of the cohort), shop_share (of all buyers with items), lift = share ÷ shop_share."""
    ensure(db)
    return db.frame(Q(LIKES_SQL, min_support=MIN_SUPPORT, limit=int(limit)).fill(members=members))
