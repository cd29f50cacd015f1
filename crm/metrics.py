"""One definition per number: what a buyer's figures are, written once and read from either source.

A buyer's facts (first and last purchase, purchases, spend, …) are aggregates over their purchases,
each defined once in `FACTS`. `buyer_facts(f, columns)` compiles them for the filters `f`:

- **fast**: from `customer_stats` (crm/models/customer_stats.sql stores these aggregates over every
  purchase), when the purchases the relation covers are all of them — the as-of date on or after
  the latest order, no province/platform/shop filter, and (with `dates=True`) no order date range
  that leaves any purchase out — and every fact asked for is stored there;
- **live**: the same aggregates over `f.purchases()` (purchase_facts or orders, with every filter).

Both give the same rows (tests/unit/test_fast_paths.py compares them on every filter). Figures of a
buyer that follow from the facts (`DERIVED`: days since last purchase, average order value, stage,
level) and the totals over buyers (`MEASURES`: buyers, GMV, repeat buyers) are defined once too,
over the facts' column names, so they read the same from both sources. Parameters are named:
`$as_of`, `$range_start`, `$range_end`, `$levels`, … (see crm/sql.py).

A new per-buyer figure is one entry: a fact (an aggregate over purchases) in `FACTS`, or a derived
figure in `DERIVED`; every page, cohort and export that asks for it by name gets it from either
source.
"""
from __future__ import annotations

from .filters import Filters
from .levels import LevelRules, rule_level_sql
from .segments import LifecycleThresholds
from .sql import Q, join

# Aggregates over one buyer's purchases (columns of Filters.purchases: ordered_at, spend, province,
# phone, receiver, address). The latest non-empty contact details are those of the latest purchase
# that has them.
FACTS: dict[str, str] = {
    "first_purchase_at": "min(ordered_at)",
    "last_purchase_at": "max(ordered_at)",
    "purchases": "count(*)",
    "spend": "sum(spend)::DECIMAL(38,2)",
    "spends": "list(spend)",                      # every purchase's order value, in no particular order
    "order_province": "arg_max(province, ordered_at) FILTER (WHERE province IS NOT NULL)",
    "order_phone": "arg_max(phone, ordered_at) FILTER (WHERE phone IS NOT NULL)",
    "order_receiver": "arg_max(receiver, ordered_at) FILTER (WHERE address IS NOT NULL OR receiver IS NOT NULL)",
    "order_address": "arg_max(address, ordered_at) FILTER (WHERE address IS NOT NULL)",
}
# The purchase columns a fact reads besides cust_no, ordered_at and spend.
_READS = {"order_province": ("province",), "order_phone": ("phone",), "order_receiver": ("receiver", "address"),
          "order_address": ("address",)}
# From the member export (members), by buyer.
MEMBER_FACTS = {"member_level": "level_code", "member_province": "province", "member_phone": "phone"}
# The buyer's latest purchase up to the as-of date, whatever the order date range: with `dates=True`
# it can be after the range's end.
LAST_SEEN = "last_seen"
# What customer_stats stores (the fast source), and under which name.
STORED = {"first_purchase_at": "first_purchase_at", "last_purchase_at": "last_purchase_at", "purchases": "purchases",
          "spend": "spend", "spends": "spends", "order_province": "order_province", "member_level": "member_level",
          "member_province": "member_province", LAST_SEEN: "last_purchase_at"}

# Figures that follow from the facts, per buyer.
DERIVED: dict[str, str] = {
    "days_since_last": "($as_of::DATE - last_seen::DATE)",          # 未购天数
    "aov": "round(spend::DOUBLE / purchases, 2)",                    # 笔单价 of one buyer
    "is_repeat": "(purchases >= 2)",
    "tenure_days": "($as_of::DATE - first_purchase_at::DATE)",      # 会员年龄: days since the first purchase
}
# What a derived figure needs.
_NEEDS = {"days_since_last": (LAST_SEEN,), "aov": ("spend", "purchases"), "is_repeat": ("purchases",),
          "tenure_days": ("first_purchase_at",), "level_code": ("member_level", "spend", "purchases")}
# The level (the member export's, else the rules' for the spend and purchases up to the as-of date):
# derived like the others, with the shop's rules. Only over a buyer's whole history.
LEVEL = "level_code"

# Totals over a set of buyers (rows of `buyer_facts`).
MEASURES: dict[str, str] = {
    "buyers": "count(*)",
    "buyer_gmv": "coalesce(sum(spend), 0)::DECIMAL(38,2)",
    "buyer_purchases": "coalesce(sum(purchases), 0)::BIGINT",
    "repeat_buyers": "count(*) FILTER (WHERE purchases >= 2)",
}


def stage(thresholds: LifecycleThresholds, days: str = "days_since_last") -> Q:
    """The lifecycle stage of a buyer (by days since last purchase)."""
    return thresholds.stage_sql(days)


def stage_no(thresholds: LifecycleThresholds, days: str = "days_since_last") -> Q:
    return thresholds.stage_no_sql(days)


def level(rules: LevelRules, member_level: str = "member_level", spend: str = "spend",
          purchases: str = "purchases") -> Q:
    """The level of a buyer: the member export's, else the one the rules give."""
    return Q("coalesce({m}, {rule})").fill(m=member_level, rule=rule_level_sql(rules, spend, purchases))


def uses_stats(f: Filters, columns, dates: bool = False) -> bool:
    """True when `buyer_facts(f, columns, dates=dates)` reads customer_stats."""
    if not (f.all_purchases if dates else f.facts and f.complete_history):
        return False
    return all(c in STORED for c in _facts_needed(columns))


def _facts_needed(columns) -> list[str]:
    out = []
    for c in columns:
        for n in _NEEDS.get(c, (c,) if c not in DERIVED and c != LEVEL else ()):
            if n not in out:
                out.append(n)
    return out


def buyer_facts(f: Filters, columns=("first_purchase_at", "last_purchase_at", "purchases", "spend"), *,
                dates: bool = False) -> Q:
    """One row per buyer: `cust_no` and the figures named in `columns` (FACTS, MEMBER_FACTS,
    LAST_SEEN, DERIVED). Over every purchase up to the as-of date (`dates=False`: a buyer's history)
    or over the purchases in the order date range (`dates=True`: only buyers with one); the
    level/province/platform/shop filters apply either way. Reads customer_stats when it may (see
    the module doc)."""
    for c in columns:
        if c not in FACTS and c not in MEMBER_FACTS and c not in DERIVED and c not in (LAST_SEEN, LEVEL):
            raise KeyError(f"unknown buyer figure {c!r}")
    if LEVEL in columns and dates and not f.all_purchases:
        raise ValueError("the level follows from a buyer's whole history, not from an order date range")
    needed = _facts_needed(columns)
    if uses_stats(f, columns, dates):
        base = Q("SELECT s.cust_no{cols} FROM customer_stats s{join}").fill(
            cols="".join(f", s.{STORED[c]} AS {c}" for c in needed), join=f.level_join("s"))
    else:
        aggs = [c for c in needed if c in FACTS]
        if LAST_SEEN in needed and not dates:      # the history is the scope
            aggs.append(LAST_SEEN)
        reads = "".join(f", o.{col}" for col in dict.fromkeys(col for c in aggs for col in _READS.get(c, ())))
        base = per_buyer(Q("({p}) p").fill(p=f.purchases(f"o.cust_no, o.ordered_at, o.spend{reads}", dates=dates)),
                         aggs)
        members = [c for c in needed if c in MEMBER_FACTS]
        if members:
            base = Q("SELECT b.*{cols} FROM ({base}) b LEFT JOIN members m ON m.cust_no = b.cust_no").fill(
                cols="".join(f", m.{MEMBER_FACTS[c]} AS {c}" for c in members), base=base)
        if LAST_SEEN in needed and dates:
            base = Q("""SELECT b.*, h.last_seen FROM ({base}) b JOIN (
                           SELECT cust_no, max(ordered_at) AS last_seen FROM ({h}) h GROUP BY cust_no) h
                        ON h.cust_no = b.cust_no""").fill(
                base=base, h=f.purchases("o.cust_no, o.ordered_at", dates=False))
    return with_derived(f, base, columns) if list(columns) != needed else base


def with_derived(f: Filters, facts: Q, columns) -> Q:
    """`facts` (rows of buyer facts) with the columns named: facts as they are, DERIVED computed."""
    def column(c):
        if c == LEVEL:
            return Q("{level} AS level_code").fill(level=level(f.rules))
        return Q(DERIVED[c] + f" AS {c}", as_of=f.as_of) if c in DERIVED else c
    cols = join([column(c) for c in columns], ", ")
    return Q("SELECT cust_no, {cols} FROM ({facts}) x").fill(cols=cols, facts=facts)


def per_buyer(purchases: "Q | str", columns) -> Q:
    """The FACTS named in `columns` per buyer over `purchases` (a relation with cust_no, ordered_at,
    spend, …: a sub-query, or the name of a CTE), buyers only."""
    aggs = "".join(f", {FACTS.get(c, 'max(ordered_at)')} AS {c}" for c in columns)   # LAST_SEEN: the latest
    return Q("SELECT cust_no{aggs} FROM {purchases} WHERE cust_no IS NOT NULL GROUP BY cust_no").fill(
        aggs=aggs, purchases=purchases)


def buyers_by_level(f: Filters) -> Q:
    """The buyers in scope with their level as of the as-of date: level_code, purchases, spend (in
    scope). When every purchase is in scope, one pass over customer_stats (the level from the same
    row); otherwise the buyers in scope joined with every buyer's level."""
    if f.all_purchases:
        where = " WHERE list_contains($levels::INTEGER[], level_code)" if f.levels else ""
        return Q("SELECT level_code, purchases, spend FROM ({b}) b{where}", levels=list(f.levels)).fill(
            b=buyer_facts(f.with_(levels=()), ("purchases", "spend", LEVEL), dates=True), where=where)
    return Q("SELECT lv.level_code, b.purchases, b.spend FROM ({b}) b JOIN ({lv}) lv ON lv.cust_no = b.cust_no").fill(
        b=buyer_facts(f, ("purchases", "spend"), dates=True), lv=f.buyer_levels())


def buyer_totals(f: Filters, measures=("buyers", "buyer_gmv", "buyer_purchases", "repeat_buyers"), *,
                 dates: bool = True) -> Q:
    """One row: the MEASURES named, over the buyers of `buyer_facts(f, dates=dates)`."""
    return Q("SELECT {cols} FROM ({buyers}) b").fill(
        cols=", ".join(f"{MEASURES[m]} AS {m}" for m in measures),
        buyers=buyer_facts(f, ("purchases", "spend"), dates=dates))


# Totals over the purchases in scope, orders without a buyer key included: each defined over the
# purchases, and how it rolls up from purchase_hours, which counts them by day and hour.
PURCHASE_MEASURES = {"all_purchases": ("count(*)", "sum(purchases)"), "all_gmv": ("sum(spend)", "sum(gmv)")}


def purchase_totals(f: Filters) -> Q:
    """One row: all_purchases, all_gmv (DECIMAL) of the purchases in scope."""
    if f.summaries:
        cols = {m: rollup for m, (_, rollup) in PURCHASE_MEASURES.items()}
        source = Q("purchase_hours")
    elif f.all_purchases:     # a level filter: only buyers' purchases are in scope
        return Q("SELECT buyer_purchases AS all_purchases, buyer_gmv AS all_gmv FROM ({t}) t").fill(
            t=buyer_totals(f, ("buyer_purchases", "buyer_gmv")))
    else:
        cols = {m: agg for m, (agg, _) in PURCHASE_MEASURES.items()}
        source = Q("({p}) p").fill(p=f.purchases("o.cust_no, o.spend"))
    return Q("SELECT coalesce({n}, 0)::BIGINT AS all_purchases, coalesce({g}, 0)::DECIMAL(38,2) AS all_gmv "
             "FROM {source}").fill(n=cols["all_purchases"], g=cols["all_gmv"], source=source)
