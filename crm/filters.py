"""The filters every analysis shares (sidebar, kept while navigating): order date range, as-of
date, member levels, provinces, platforms and shops.

`Filters.purchases()` gives the SQL of the purchases in scope, with its bound parameters, for a
`WITH p AS (…)`. Every analysis starts from it, so a filter means the same thing on every page.

Fast paths. Imports keep tables derived from the purchases (crm/db.py, schemas 3–5:
customer_stats, purchase_facts, purchase_hours, cohort_months, purchase_gaps, buyer_months,
order_value_counts, buyer_spend_counts). They
give exactly what a fresh aggregation over `orders` gives, but only for some filters; the
properties below say which, and the analyses read them only then:
- `facts`: no province/platform/shop filter (those would change which purchase is a customer's
  previous, next or first one). purchase_facts then stands for the purchases, at any as-of date
  (`purchases()` reads it by itself when the asked columns are there).
- `complete_history`: the as-of date is on or after the latest order, so per-customer totals
  (customer_stats) are those up to the as-of date.
- `all_purchases`: both, and the order date range is the whole history: no start, and the last
  day on or after the latest order. Every purchase is in scope, except for a level filter.
- `summaries`: `all_purchases` without a level filter: tables summed over every customer
  (purchase_hours, cohort_months, purchase_gaps, order_value_counts, buyer_spend_counts) answer.
`fast=False` switches all of them off (the tests compare both ways on the same data).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from .db import Database
from .levels import LevelRules, customer_levels_sql
from .sql import Q

# Columns of purchase_facts (crm/db.py): `purchases()` reads it when only these are asked for.
FACT_COLUMNS = frozenset({"cust_no", "ordered_at", "spend", "seq", "prev_at", "next_at", "first_at"})


@dataclass(frozen=True)
class Filters:
    as_of: dt.date
    start: dt.date | None = None            # first order day in scope (None: from the beginning)
    end: dt.date | None = None              # last order day in scope (None: the as-of date)
    levels: tuple[int, ...] = ()            # level codes 0–4 (empty: all)
    provinces: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    shops: tuple[str, ...] = ()
    rules: LevelRules = field(default_factory=LevelRules)
    data_last_day: dt.date | None = None    # date of the latest order in the database, if known
    fast: bool = True                       # False: never read the import-maintained tables

    @property
    def places(self) -> bool:
        """A province, platform or shop filter is set."""
        return bool(self.provinces or self.platforms or self.shops)

    @property
    def facts(self) -> bool:
        """purchase_facts may stand for the purchases (no province/platform/shop filter)."""
        return self.fast and not self.places

    @property
    def complete_history(self) -> bool:
        """True when every order in the database is on or before the as-of date, so per-customer
        totals kept by the importer (table customer_stats) equal a fresh aggregation."""
        return self.fast and self.data_last_day is not None and self.as_of >= self.data_last_day

    @property
    def whole_range(self) -> bool:
        """The order date range covers every order: no start, last day on or after the latest."""
        return self.start is None and self.data_last_day is not None and self.last_day >= self.data_last_day

    @property
    def all_purchases(self) -> bool:
        """Every purchase in the database is in scope (a level filter aside), with complete
        histories: customer_stats gives each buyer's purchases, spend, first and last purchase."""
        return self.facts and self.complete_history and self.whole_range

    @property
    def summaries(self) -> bool:
        """`all_purchases` without a level filter: the tables summed over all customers answer."""
        return self.all_purchases and not self.levels

    def customer_levels(self) -> Q:
        """`customer_levels_sql` for these filters (the fast path when history is complete)."""
        return customer_levels_sql(self.rules, self.as_of, fast=self.complete_history)

    @property
    def last_day(self) -> dt.date:
        return min(self.end or self.as_of, self.as_of)

    def with_(self, **changes) -> "Filters":
        return replace(self, **changes)

    def order_conditions(self, alias: str = "o", dates: bool = True) -> Q:
        """WHERE conditions (joined by AND, starting with 'AND') on an orders table alias. With
        `dates`, the order date range ($range_start … $range_end); without, up to $as_of."""
        conds, params = [], {}
        if dates:
            conds.append(f"{alias}.ordered_at < $range_end::DATE + INTERVAL 1 DAY")
            params["range_end"] = self.last_day
            if self.start:
                conds.append(f"{alias}.ordered_at >= $range_start::DATE")
                params["range_start"] = self.start
        else:
            conds.append(f"{alias}.ordered_at < $as_of::DATE + INTERVAL 1 DAY")
            params["as_of"] = self.as_of
        for col, values in (("province", self.provinces), ("platform", self.platforms), ("shop", self.shops)):
            if values:
                conds.append(f"list_contains(${col}s::VARCHAR[], {alias}.{col})")
                params[f"{col}s"] = list(values)
        return Q("".join(f" AND {c}" for c in conds), **params)

    def buyer_levels(self) -> Q:
        """One row per customer with a purchase up to the as-of date (at least): cust_no and
        level_code, as `customer_levels()` gives them. With complete history, from customer_stats
        alone (it keeps the member export's level: no customer-sized join with customers or members)."""
        if not self.complete_history:
            return self.customer_levels()
        from .metrics import level
        return Q("SELECT b.cust_no, {level} AS level_code FROM customer_stats b").fill(
            level=level(self.rules, "b.member_level", "b.spend", "b.purchases"))

    def level_join(self, alias: str = "o") -> Q:
        """A JOIN restricting to customers of the chosen levels (empty when all levels). Only for
        rows of buyers (purchases, customer_stats): `buyer_levels()` covers them."""
        if not self.levels:
            return Q("")
        return Q(" JOIN ({levels}) lv ON lv.cust_no = {alias}.cust_no AND list_contains($levels::INTEGER[], lv.level_code)",
                 levels=list(self.levels)).fill(levels=self.buyer_levels(), alias=alias)

    def reads_facts(self, columns: str) -> bool:
        """True when `purchases(columns)` reads purchase_facts rather than orders."""
        if not self.facts:
            return False
        names = [c.strip() for c in columns.split(",")]
        return all(n.startswith("o.") and n[2:] in FACT_COLUMNS for n in names)

    def purchases(self, columns: str = "o.*", dates: bool = True) -> Q:
        """SELECT of the purchases in scope. `dates=False` keeps the level/province/platform/shop
        filters but takes every purchase up to the as-of date (for histories such as cohorts).
        Reads purchase_facts (the same rows, sorted by time) when it may and has the columns
        (`o.cust_no`, `o.ordered_at`, `o.spend`, and its own `o.seq`, `o.prev_at`, …)."""
        table = "purchase_facts o{join} WHERE TRUE" if self.reads_facts(columns) else "orders o{join} WHERE o.is_purchase"
        return Q(f"SELECT {{columns}} FROM {table}{{where}}").fill(
            columns=columns, join=self.level_join("o"), where=self.order_conditions("o", dates))


def filter_options(db: Database) -> dict[str, list]:
    """What the sidebar offers: the values present in the data."""
    def distinct(col: str) -> list[str]:
        return [r[0] for r in db.query(f"SELECT DISTINCT {col} FROM orders WHERE {col} IS NOT NULL ORDER BY 1")]
    row = db.query("SELECT min(ordered_at)::DATE, max(ordered_at)::DATE FROM orders")[0]
    return {"provinces": distinct("province"), "platforms": distinct("platform"), "shops": distinct("shop"),
            "first_day": row[0], "last_day": row[1]}
