"""The filters every analysis shares (sidebar, kept while navigating): order date range, as-of
date, member levels, provinces, platforms and shops.

`Filters.purchases()` gives the SQL of the purchases in scope, with its bound parameters, for a
`WITH p AS (…)`. Every analysis starts from it, so a filter means the same thing on every page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from .db import Database
from .levels import LevelRules, customer_levels_sql


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

    @property
    def complete_history(self) -> bool:
        """True when every order in the database is on or before the as-of date, so per-customer
        totals kept by the importer (table customer_stats) equal a fresh aggregation."""
        return self.data_last_day is not None and self.as_of >= self.data_last_day

    def customer_levels(self) -> tuple[str, list]:
        """`customer_levels_sql` for these filters (the fast path when history is complete)."""
        return customer_levels_sql(self.rules, self.as_of, fast=self.complete_history)

    @property
    def last_day(self) -> dt.date:
        return min(self.end or self.as_of, self.as_of)

    def with_(self, **changes) -> "Filters":
        return replace(self, **changes)

    def order_conditions(self, alias: str = "o", dates: bool = True) -> tuple[str, list]:
        """WHERE conditions (joined by AND, starting with 'AND') on an orders table alias."""
        conds, params = [], []
        if dates:
            conds.append(f"{alias}.ordered_at < ?::DATE + INTERVAL 1 DAY")
            params.append(self.last_day)
            if self.start:
                conds.append(f"{alias}.ordered_at >= ?::DATE")
                params.append(self.start)
        for col, values in (("province", self.provinces), ("platform", self.platforms), ("shop", self.shops)):
            if values:
                conds.append(f"list_contains(?::VARCHAR[], {alias}.{col})")
                params.append(list(values))
        return "".join(f" AND {c}" for c in conds), params

    def level_join(self, alias: str = "o") -> tuple[str, list]:
        """A JOIN restricting to customers of the chosen levels (empty when all levels)."""
        if not self.levels:
            return "", []
        sql, params = self.customer_levels()
        return (f" JOIN ({sql}) lv ON lv.cust_no = {alias}.cust_no AND list_contains(?::INTEGER[], lv.level_code)",
                params + [list(self.levels)])

    def purchases(self, columns: str = "o.*", dates: bool = True) -> tuple[str, list]:
        """SELECT of the purchases in scope. `dates=False` keeps the level/province/platform/shop
        filters but takes every purchase up to the as-of date (for histories such as cohorts)."""
        join, jparams = self.level_join("o")
        if dates:
            where, wparams = self.order_conditions("o")
        else:
            where, wparams = self.with_(start=None, end=None).order_conditions("o")
        return (f"SELECT {columns} FROM orders o{join} WHERE o.is_purchase{where}", jparams + wparams)


def filter_options(db: Database) -> dict[str, list]:
    """What the sidebar offers: the values present in the data."""
    def distinct(col: str) -> list[str]:
        return [r[0] for r in db.query(f"SELECT DISTINCT {col} FROM orders WHERE {col} IS NOT NULL ORDER BY 1")]
    row = db.query("SELECT min(ordered_at)::DATE, max(ordered_at)::DATE FROM orders")[0]
    return {"provinces": distinct("province"), "platforms": distinct("platform"), "shops": distinct("shop"),
            "first_day": row[0], "last_day": row[1]}
