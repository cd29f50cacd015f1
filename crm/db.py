"""The database: where it lives, its schema and migrations, and the concurrency policy.

One DuckDB connection per process and database file, held by a `Database` object. Readers get a
`cursor()` each (one per thread / browser session); writers take `db.write()` which serialises
imports and other writes behind one lock and runs them in a single transaction.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "crm.duckdb"
SCHEMA_VERSION = 8


def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """`--db` wins, then the environment variable CRM_DB, then data/crm.duckdb in the project."""
    if path:
        return Path(path).expanduser()
    env = os.environ.get("CRM_DB")
    if env:
        return Path(env).expanduser()
    return DEFAULT_DB


# Each migration moves the schema one version up. Never edit a released one: add the next.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS imports (
            import_id INTEGER PRIMARY KEY,
            file_name VARCHAR, file_hash VARCHAR, file_size BIGINT,
            format VARCHAR, kind VARCHAR, platform VARCHAR, encoding VARCHAR,
            started_at TIMESTAMP, finished_at TIMESTAMP,
            status VARCHAR,            -- 'ok' or 'refused'
            message VARCHAR,           -- refusal reason (message key + params as JSON)
            rows_read BIGINT, rows_rejected BIGINT,
            orders_new BIGINT, orders_updated BIGINT, orders_unchanged BIGINT,
            items_new BIGINT, members_new BIGINT, members_updated BIGINT,
            date_min TIMESTAMP, date_max TIMESTAMP,
            warnings VARCHAR,          -- JSON list of {key, params}
            mapping VARCHAR            -- JSON {canonical field: source column}
        )""",
        """CREATE TABLE IF NOT EXISTS orders (
            order_key VARCHAR NOT NULL,     -- order id, or f:<file hash>:<row> for files without ids
            order_id VARCHAR,
            platform VARCHAR, shop VARCHAR,
            customer_id VARCHAR,
            ordered_at TIMESTAMP NOT NULL, paid_at TIMESTAMP,
            status_raw VARCHAR, status VARCHAR,
            amount DECIMAL(18,2) NOT NULL, refund DECIMAL(18,2) NOT NULL,
            quantity INTEGER, item_title VARCHAR,
            receiver VARCHAR, phone VARCHAR, address VARCHAR, province VARCHAR, city VARCHAR,
            is_paid BOOLEAN NOT NULL, is_purchase BOOLEAN NOT NULL, spend DECIMAL(18,2) NOT NULL,
            first_import_id INTEGER, last_import_id INTEGER,
            cust_no INTEGER
        )""",
        """CREATE TABLE IF NOT EXISTS order_items (
            item_key VARCHAR NOT NULL,      -- <order id>:<line id or position>
            order_id VARCHAR, platform VARCHAR,
            title VARCHAR, sku VARCHAR, attributes VARCHAR,
            quantity INTEGER, price DECIMAL(18,2), amount DECIMAL(18,2),
            status_raw VARCHAR,
            first_import_id INTEGER, last_import_id INTEGER
        )""",
        """CREATE TABLE IF NOT EXISTS members (
            customer_id VARCHAR NOT NULL,
            platform VARCHAR, name VARCHAR, email VARCHAR,
            level VARCHAR, level_code INTEGER,
            phone VARCHAR, province VARCHAR, city VARCHAR,
            trade_count INTEGER, trade_amount DECIMAL(18,2), last_trade_at TIMESTAMP,
            joined_at TIMESTAMP,
            first_import_id INTEGER, last_import_id INTEGER,
            cust_no INTEGER
        )""",
        """CREATE TABLE IF NOT EXISTS rejects (
            import_id INTEGER, line BIGINT, column_name VARCHAR, value VARCHAR,
            reason VARCHAR, raw VARCHAR
        )""",
        """CREATE TABLE IF NOT EXISTS column_maps (
            signature VARCHAR PRIMARY KEY, kind VARCHAR, mapping VARCHAR, header VARCHAR,
            saved_at TIMESTAMP
        )""",
        """CREATE TABLE IF NOT EXISTS settings (key VARCHAR PRIMARY KEY, value VARCHAR)""",
        # Every customer key ever seen gets a small integer: analyses group by integers, not text.
        """CREATE TABLE IF NOT EXISTS customers (
            cust_no INTEGER NOT NULL, customer_id VARCHAR NOT NULL, first_import_id INTEGER,
            first_order_at TIMESTAMP,            -- earliest order of any status (members as of a date)
            in_members BOOLEAN DEFAULT false     -- listed in a member export
        )""",
    ],
    2: [
        # Saved cohort definitions (re-evaluated on new data): the spec as JSON.
        """CREATE TABLE IF NOT EXISTS cohorts (
            name VARCHAR PRIMARY KEY, spec VARCHAR NOT NULL, created_at TIMESTAMP, updated_at TIMESTAMP
        )""",
        """CREATE TABLE IF NOT EXISTS tags (
            tag_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, created_at TIMESTAMP
        )""",
        """CREATE TABLE IF NOT EXISTS customer_tags (
            tag_id INTEGER NOT NULL, cust_no INTEGER NOT NULL, tagged_at TIMESTAMP,
            PRIMARY KEY (tag_id, cust_no)
        )""",
    ],
    3: [
        # Per-customer purchase totals over all purchases, rebuilt by every import that changes
        # orders. Analyses whose as-of date is on or after the latest order read it instead of
        # aggregating all orders again (crm.filters.Filters.complete_history).
        """CREATE TABLE IF NOT EXISTS customer_stats (
            cust_no INTEGER PRIMARY KEY, first_purchase_at TIMESTAMP, last_purchase_at TIMESTAMP,
            purchases INTEGER, spend DECIMAL(18,2)
        )""",
        "REFRESH_CUSTOMER_STATS",
    ],
    4: [
        # More import-maintained data (rebuilt with customer_stats by `refresh_customer_stats`), so
        # the analysis pages need no window function, DISTINCT or customer-sized join over all
        # orders. Each table says what it is; crm/filters.py says when a page may read it.
        #
        # Every purchase, sorted by order time, with where it stands in its customer's history:
        # seq = the customer's n-th purchase (by ordered_at), prev_at / next_at = the customer's
        # previous / next purchase, first_at = the customer's first purchase. Purchases of one
        # customer at the same time are numbered in any order: nothing read from this table
        # depends on which of them comes first (they have the same time). Customer columns are
        # NULL for orders without a buyer key.
        """CREATE TABLE IF NOT EXISTS purchase_facts (
            cust_no INTEGER, ordered_at TIMESTAMP NOT NULL, spend DECIMAL(18,2) NOT NULL,
            seq INTEGER, prev_at TIMESTAMP, next_at TIMESTAMP, first_at TIMESTAMP
        )""",
        # Purchases per day and hour of the day: counts, GMV (all / with a buyer key), purchases
        # not at midnight, and buyers counted once per day / ISO week / month / ever (the purchase
        # that is the customer's first in that day / week / month, or their first purchase ever).
        """CREATE TABLE IF NOT EXISTS purchase_hours (
            day DATE NOT NULL, hour INTEGER NOT NULL, purchases BIGINT, gmv DECIMAL(38,2),
            buyer_purchases BIGINT, buyer_gmv DECIMAL(38,2), off_midnight BIGINT,
            day_buyers BIGINT, week_buyers BIGINT, month_buyers BIGINT, new_buyers BIGINT
        )""",
        # Customers by the day of their first purchase and a month they bought in (that month and
        # the COHORT_MONTHS calendar months after it): monthly retention cohorts.
        """CREATE TABLE IF NOT EXISTS cohort_months (first_day DATE NOT NULL, month DATE NOT NULL, buyers BIGINT)""",
        # Gaps in days, counted: step 0 = between a customer's consecutive purchase *days* (the
        # usage cycle; first_gaps = those from the first purchase day, one per customer with two
        # purchase days), step k = between the (k-1)-th and the k-th purchase (k = 2 … GAP_STEPS).
        """CREATE TABLE IF NOT EXISTS purchase_gaps (step INTEGER NOT NULL, gap BIGINT NOT NULL, n BIGINT,
            first_gaps BIGINT)""",
        # Buyers of each month by their purchases and spend in all (customer_stats): the level mix.
        """CREATE TABLE IF NOT EXISTS buyer_months (month DATE NOT NULL, purchases INTEGER, spend DECIMAL(18,2),
            buyers BIGINT)""",
        "REFRESH_CUSTOMER_STATS",
    ],
    5: [
        # Also import-maintained (`refresh_customer_stats`): every purchase counted by its order value
        # (all / with a buyer key), and every buyer by their spend in all (customer_stats).
        """CREATE TABLE IF NOT EXISTS order_value_counts (spend DECIMAL(18,2) NOT NULL, purchases BIGINT,
            buyer_purchases BIGINT)""",
        """CREATE TABLE IF NOT EXISTS buyer_spend_counts (spend DECIMAL(18,2) NOT NULL, buyers BIGINT)""",
        "REFRESH_DERIVED",
    ],
    6: [
        # customer_stats also keeps every purchase's order value (spends, in no particular order),
        # the province of the latest purchase that has one (order_province) and the level and
        # province of the member export (member_level, member_province: members.level_code and
        # .province, kept in step by member imports too: `refresh_member_facts`), so cohorts and
        # coupon sizing read one table: a cohort's order values unnest the rows of its members
        # instead of joining every purchase with the cohort, and neither the level nor the province
        # needs another pass over members or orders.
        # Derived data: rebuilt, not altered.
        "DROP TABLE IF EXISTS customer_stats",
        """CREATE TABLE customer_stats (
            cust_no INTEGER PRIMARY KEY, first_purchase_at TIMESTAMP, last_purchase_at TIMESTAMP,
            purchases INTEGER, spend DECIMAL(18,2), spends DECIMAL(18,2)[], order_province VARCHAR,
            member_level INTEGER, member_province VARCHAR
        )""",
        # "Bought an item whose title contains …" without a text search over every purchase: the
        # distinct item titles of purchases (orders.item_title, and order_items.title of a purchase's
        # order id), numbered and lower-cased (a plain substring search is ~5× faster than ILIKE on
        # Chinese text), and who bought each (distinct title, buyer pairs).
        """CREATE TABLE IF NOT EXISTS item_titles (title_no INTEGER NOT NULL, title VARCHAR NOT NULL,
            title_lower VARCHAR NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS item_buyers (title_no INTEGER NOT NULL, cust_no INTEGER NOT NULL)""",
        "REFRESH_CUSTOMER_STATS",
    ],
    7: [
        # Returns and corrections (a line with a quantity <= 0 or a negative amount: credit notes,
        # stock adjustments) are neither purchases nor rejected rows: each is kept here, once (its key
        # is its order key and the digest of every column of its row, so the same line in an
        # overlapping export is not stored twice), for a later version to match them to orders.
        """CREATE TABLE IF NOT EXISTS returns (
            return_key VARCHAR NOT NULL, import_id INTEGER, line BIGINT,
            order_id VARCHAR, customer_id VARCHAR, ordered_at TIMESTAMP, item_title VARCHAR, sku VARCHAR,
            quantity INTEGER, price DECIMAL(18,2), amount DECIMAL(18,2), raw VARCHAR
        )""",
        "ALTER TABLE imports ADD COLUMN IF NOT EXISTS returns_lines BIGINT DEFAULT 0",
        "ALTER TABLE imports ADD COLUMN IF NOT EXISTS returns_amount DECIMAL(18,2) DEFAULT 0",
    ],
    8: [
        # Campaigns (crm/campaigns.py): who was contacted and who was held out, per campaign; members
        # who opted out (by buyer key, so a key not yet seen in any order counts once it appears);
        # contact plans that create campaigns on a cadence; members' birthdays from member exports.
        """CREATE TABLE IF NOT EXISTS optouts (customer_id VARCHAR PRIMARY KEY, added_at TIMESTAMP,
            source VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS campaigns (
            campaign_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, channel VARCHAR,
            start_date DATE NOT NULL, window_days INTEGER NOT NULL, offer VARCHAR,
            holdout_share DOUBLE, seed BIGINT, as_of DATE, cohort VARCHAR, source VARCHAR,
            margin DOUBLE, message_cost DECIMAL(18,2), plan_id INTEGER, created_at TIMESTAMP
        )""",
        """CREATE TABLE IF NOT EXISTS campaign_members (campaign_id INTEGER NOT NULL, cust_no INTEGER,
            customer_id VARCHAR NOT NULL, grp VARCHAR NOT NULL, stratum VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS contact_plans (
            plan_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, kind VARCHAR, cohort_name VARCHAR,
            birthday_days INTEGER, cadence VARCHAR, holdout_share DOUBLE, cap_days INTEGER, channel VARCHAR,
            window_days INTEGER, offer VARCHAR, next_due DATE, active BOOLEAN, created_at TIMESTAMP
        )""",
        "ALTER TABLE members ADD COLUMN IF NOT EXISTS birthday DATE",
    ],
}

COHORT_MONTHS = 12      # cohort_months keeps the cohort month and this many months after it
GAP_STEPS = 10          # purchase_gaps keeps the funnel steps 2 … GAP_STEPS

CUSTOMER_STATS_SQL = """
    INSERT INTO customer_stats (cust_no, first_purchase_at, last_purchase_at, purchases, spend)
    SELECT cust_no, min(ordered_at), max(ordered_at), count(*)::INTEGER, sum(spend)::DECIMAL(18,2)
    FROM orders WHERE is_purchase AND cust_no IS NOT NULL GROUP BY cust_no ORDER BY cust_no
"""
CUSTOMER_STATS_V6_SQL = """
    INSERT INTO customer_stats (cust_no, first_purchase_at, last_purchase_at, purchases, spend, spends,
                                order_province, member_level, member_province)
    SELECT s.*, m.level_code, m.province FROM (
        SELECT cust_no, min(ordered_at), max(ordered_at), count(*)::INTEGER, sum(spend)::DECIMAL(18,2),
               list(spend)::DECIMAL(18,2)[], arg_max(province, ordered_at) FILTER (WHERE province IS NOT NULL)
        FROM orders WHERE is_purchase AND cust_no IS NOT NULL GROUP BY cust_no) s
    LEFT JOIN members m ON m.cust_no = s.cust_no
    ORDER BY s.cust_no
"""


# Schema 4: the tables below, all derived from the purchases (orders WHERE is_purchase).
PURCHASE_FACTS_SQL = """
    INSERT INTO purchase_facts
    SELECT cust_no, ordered_at, spend,
           CASE WHEN cust_no IS NOT NULL THEN row_number() OVER w END::INTEGER,
           CASE WHEN cust_no IS NOT NULL THEN lag(ordered_at) OVER w END,
           CASE WHEN cust_no IS NOT NULL THEN lead(ordered_at) OVER w END,
           CASE WHEN cust_no IS NOT NULL THEN first_value(ordered_at) OVER w END
    FROM orders WHERE is_purchase
    WINDOW w AS (PARTITION BY cust_no ORDER BY ordered_at)
    ORDER BY ordered_at
"""
# "first in a period": the customer's previous purchase is before the period (or there is none)
PURCHASE_HOURS_SQL = """
    INSERT INTO purchase_hours
    SELECT ordered_at::DATE, hour(ordered_at), count(*), sum(spend), count(cust_no),
           coalesce(sum(spend) FILTER (WHERE cust_no IS NOT NULL), 0),
           count(*) FILTER (WHERE ordered_at <> date_trunc('day', ordered_at)),
           count(*) FILTER (WHERE cust_no IS NOT NULL AND (prev_at IS NULL OR prev_at < date_trunc('day', ordered_at))),
           count(*) FILTER (WHERE cust_no IS NOT NULL AND (prev_at IS NULL OR prev_at < date_trunc('week', ordered_at))),
           count(*) FILTER (WHERE cust_no IS NOT NULL AND (prev_at IS NULL OR prev_at < date_trunc('month', ordered_at))),
           count(*) FILTER (WHERE seq = 1)
    FROM purchase_facts GROUP BY 1, 2 ORDER BY 1, 2
"""
COHORT_MONTHS_SQL = f"""
    INSERT INTO cohort_months
    SELECT first_at::DATE, date_trunc('month', ordered_at)::DATE, count(*)
    FROM purchase_facts
    WHERE cust_no IS NOT NULL AND (prev_at IS NULL OR prev_at < date_trunc('month', ordered_at))
      AND ordered_at < date_trunc('month', first_at) + INTERVAL {COHORT_MONTHS + 1} MONTH
    GROUP BY 1, 2 ORDER BY 1, 2
"""
PURCHASE_GAPS_SQL = f"""
    INSERT INTO purchase_gaps
    SELECT 0, ordered_at::DATE - prev_at::DATE, count(*), count(*) FILTER (WHERE prev_at::DATE = first_at::DATE)
    FROM purchase_facts WHERE prev_at::DATE < ordered_at::DATE GROUP BY 1, 2
    UNION ALL
    SELECT seq, ordered_at::DATE - prev_at::DATE, count(*), 0
    FROM purchase_facts WHERE seq BETWEEN 2 AND {GAP_STEPS} GROUP BY 1, 2
    ORDER BY 1, 2
"""
BUYER_MONTHS_SQL = """
    INSERT INTO buyer_months
    SELECT date_trunc('month', p.ordered_at)::DATE, s.purchases, s.spend, count(*)
    FROM purchase_facts p JOIN customer_stats s ON s.cust_no = p.cust_no
    WHERE p.prev_at IS NULL OR p.prev_at < date_trunc('month', p.ordered_at)
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
# Schema 5.
ORDER_VALUE_COUNTS_SQL = """
    INSERT INTO order_value_counts
    SELECT spend, count(*), count(cust_no) FROM purchase_facts GROUP BY spend ORDER BY spend
"""
BUYER_SPEND_COUNTS_SQL = """
    INSERT INTO buyer_spend_counts SELECT spend, count(*) FROM customer_stats GROUP BY spend ORDER BY spend
"""
# Schema 6: item titles of purchases and their buyers (cohorts' "bought an item whose title contains").
_PURCHASED_TITLES = """
    SELECT item_title AS title, cust_no FROM orders
    WHERE is_purchase AND cust_no IS NOT NULL AND item_title IS NOT NULL
    UNION ALL
    SELECT i.title, o.cust_no FROM order_items i JOIN orders o ON o.order_id = i.order_id
    WHERE o.is_purchase AND o.cust_no IS NOT NULL AND i.title IS NOT NULL
"""
ITEM_TITLES_SQL = f"""
    INSERT INTO item_titles
    SELECT row_number() OVER (ORDER BY title)::INTEGER, title, lower(title)
    FROM (SELECT DISTINCT title FROM ({_PURCHASED_TITLES}))
"""
ITEM_BUYERS_SQL = f"""
    INSERT INTO item_buyers
    SELECT DISTINCT t.title_no, p.cust_no FROM ({_PURCHASED_TITLES}) p JOIN item_titles t ON t.title = p.title
    ORDER BY 1, 2
"""
# Each schema version's derived tables, in the order they are built (later ones read earlier ones).
DERIVED_TABLES = {4: [("purchase_facts", PURCHASE_FACTS_SQL), ("purchase_hours", PURCHASE_HOURS_SQL),
                      ("cohort_months", COHORT_MONTHS_SQL), ("purchase_gaps", PURCHASE_GAPS_SQL),
                      ("buyer_months", BUYER_MONTHS_SQL)],
                  5: [("order_value_counts", ORDER_VALUE_COUNTS_SQL), ("buyer_spend_counts", BUYER_SPEND_COUNTS_SQL)],
                  6: [("item_titles", ITEM_TITLES_SQL), ("item_buyers", ITEM_BUYERS_SQL)]}


def _refresh_derived(cur, version: int) -> None:
    for table, sql in DERIVED_TABLES[version]:
        cur.execute(f"DELETE FROM {table}")
        cur.execute(sql)


def refresh_customer_stats(cur, schema: int = SCHEMA_VERSION) -> None:
    """Rebuild `customer_stats` and every other table derived from the purchases (schema 4:
    purchase_facts, purchase_hours, cohort_months, purchase_gaps, buyer_months; schema 5:
    order_value_counts, buyer_spend_counts; schema 6: customer_stats with each buyer's order values,
    latest order province and member-export level and province; item_titles, item_buyers), inside the caller's transaction. The one place that
    keeps them in step with `orders`: every write that changes orders calls it. `schema`: the
    schema being built (a migration to an older version rebuilds only the tables that version has)."""
    cur.execute("DELETE FROM customer_stats")
    cur.execute(CUSTOMER_STATS_V6_SQL if schema >= 6 else CUSTOMER_STATS_SQL)
    for version in DERIVED_TABLES:
        if schema >= version:
            _refresh_derived(cur, version)


def refresh_item_buyers(cur) -> None:
    """After an item import: rebuild item_titles and item_buyers (schema 6; orders imports rebuild them
    with everything else in `refresh_customer_stats`)."""
    _refresh_derived(cur, 6)


def refresh_member_facts(cur) -> None:
    """After a member import: customer_stats' member_level and member_province = the members' (schema 6)."""
    cur.execute("""UPDATE customer_stats SET member_level = m.level_code, member_province = m.province FROM members m
                   WHERE m.cust_no = customer_stats.cust_no
                     AND (customer_stats.member_level IS DISTINCT FROM m.level_code
                          OR customer_stats.member_province IS DISTINCT FROM m.province)""")


def _parse_bytes(text: str) -> int:
    """DuckDB's '953.6 MiB' / '1.0 GiB' / '1GB' → bytes."""
    import re
    m = re.match(r"\s*([\d.]+)\s*([KMGT]?)i?B", text or "", re.I)
    if not m:
        return 0
    return int(float(m.group(1)) * 1024 ** " KMGT".index(m.group(2).upper() or " "))


class Database:
    """Owns the connection to one database file and the policy: parallel readers, one writer."""

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False,
                 memory_limit: str | None = None, threads: int | None = None):
        self.path = resolve_path(path)
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        config = {
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "memory_limit": memory_limit or os.environ.get("CRM_MEMORY_LIMIT", "1GB"),
            "preserve_insertion_order": "true",
        }
        if threads:
            config["threads"] = str(threads)
        self._con = duckdb.connect(str(self.path), read_only=read_only, config=config)
        self.closed = False
        self._write_lock = threading.RLock()
        self.read_only = read_only
        if not read_only:
            self.migrate()

    # -- memory ------------------------------------------------------------------------------
    @contextmanager
    def memory_for(self, file_bytes: int) -> Iterator[None]:
        """Raise DuckDB's memory limit for one big import (a 10M-order export needs more than the
        default 1 GB for its merge), within half the machine's memory; restored afterwards."""
        # Under the write lock (imports are serialised anyway; `write()` re-enters it) and on
        # cursors: the shared connection refuses a second thread ("connection is busy"), and two
        # imports at once must not restore each other's limit.
        with self._write_lock:
            with self.read() as cur:
                base = cur.execute("SELECT current_setting('memory_limit')").fetchone()[0]
            want = int(file_bytes * 1.5)
            try:
                total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
            except (ValueError, OSError, AttributeError):
                total = 8 * 2**30
            want = min(want, total // 2)
            if want <= _parse_bytes(base):
                yield
                return
            with self.read() as cur:
                cur.execute(f"SET memory_limit = '{want // 2**20}MB'")
            try:
                yield
            finally:
                with self.read() as cur:
                    cur.execute(f"SET memory_limit = '{base}'")

    # -- connections -------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor: use one per thread or session, read each result fully, then close it."""
        return self._con.cursor()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One writer at a time, in one transaction: all of it lands or none of it."""
        with self._write_lock:
            cur = self.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                else:
                    cur.execute("COMMIT")
            finally:
                cur.close()

    def query(self, sql: str, params: list | tuple | dict | None = None) -> list[tuple]:
        with self.read() as cur:
            return cur.execute(sql, params or []).fetchall()

    def query_df(self, sql: str, params: list | tuple | dict | None = None):
        """A pandas DataFrame (DuckDB's .df(): DECIMAL becomes float — for charts, not money sums)."""
        with self.read() as cur:
            return cur.execute(sql, params or []).df()

    def frame(self, sql: str, params: list | tuple | dict | None = None):
        """A pandas DataFrame that keeps DuckDB's values as they are (DECIMAL stays Decimal)."""
        import pandas as pd
        with self.read() as cur:
            res = cur.execute(sql, params or [])
            cols = [d[0] for d in res.description]
            rows = res.fetchall()
        return pd.DataFrame(rows, columns=cols)

    def scalar(self, sql: str, params: list | tuple | dict | None = None):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def close(self) -> None:
        self.closed = True
        try:
            self._con.close()
        except duckdb.Error:
            pass

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- schema ------------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self.read() as cur:
            exists = cur.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
            ).fetchone()[0]
            if not exists:
                return 0
            row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> None:
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise RuntimeError(f"database schema {current} is newer than this program ({SCHEMA_VERSION})")
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.write() as cur:
                for statement in MIGRATIONS[version]:
                    if statement == "REFRESH_CUSTOMER_STATS":
                        refresh_customer_stats(cur, version)
                    elif statement == "REFRESH_DERIVED":   # only the tables this version adds
                        _refresh_derived(cur, version)
                    else:
                        cur.execute(statement)
                cur.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)]
                )
        if not self.query("SELECT 1 FROM meta WHERE key = 'db_id'"):
            import uuid
            with self.write() as cur:
                cur.execute("INSERT OR IGNORE INTO meta VALUES ('db_id', ?)", [uuid.uuid4().hex[:12]])

    # -- data version: changes on every write, so caches can key on it ---------------------------
    def data_version(self) -> str:
        """Changes on every write; unique per database (its file and its random id), so two databases
        with the same number of imports and edits never share a cached result."""
        rows = self.query("SELECT coalesce(max(import_id), 0), count(*), "
                          "(SELECT value FROM meta WHERE key = 'edits'), "
                          "(SELECT value FROM meta WHERE key = 'db_id') FROM imports")
        return f"{self.path}:{rows[0][3] or ''}:{rows[0][0]}:{rows[0][1]}:{rows[0][2] or 0}"

    def bump_version(self, cur=None) -> None:
        """Record an edit that is not an import (tags, deletions) so caches keyed on
        `data_version()` recompute. Pass the cursor when inside a `write()` block."""
        sql = ("INSERT OR REPLACE INTO meta SELECT 'edits', "
               "CAST(coalesce((SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'edits'), 0) + 1 AS VARCHAR)")
        if cur is not None:
            cur.execute(sql)
        else:
            with self.write() as c:
                c.execute(sql)

    # -- settings --------------------------------------------------------------------------------
    def get_setting(self, key: str, default: str | None = None) -> str | None:
        rows = self.query("SELECT value FROM settings WHERE key = ?", [key])
        return rows[0][0] if rows else default

    def set_setting(self, key: str, value: str) -> None:
        with self.write() as cur:
            cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, value])
