"""Member levels (会员等级): who sits in each level and what each level buys, the level mix over
time, and a what-if on the level rules before changing them on the platform.

Definitions (README, "Definitions"):
- A customer's level is `customer_levels_sql(f.rules, f.as_of)`: the exported level (member export)
  where there is one, else the level the saved rules give from cumulative spend / purchase count up
  to the as-of date.
- Members (会员数) of a level: customers known as of the as-of date (first order on or before it, or
  listed in a member export) at that level. The level filter applies; when provinces, platforms or
  shops are chosen, only customers with an order there (up to the as-of date) count.
- Buyers, purchases, GMV, 笔单价 = GMV / purchases, 客单价 = GMV / buyers, repurchase rate = buyers
  with ≥ 2 purchases in scope / buyers — over the purchases in scope (`f.purchases()`).
- GMV share: a level's GMV / all GMV in scope (orders without a buyer key are in no level, so the
  shares then add up to less than 100 %; `no_buyer` says how much).
- Level mix over time: buyers of each month, by their level as of the as-of date (not the level they
  had in that month).
- What-if: rule-based levels only (exported levels ignored), current rules vs proposed rules, for
  every member known as of the as-of date (the sidebar's level/province/platform/shop filters do
  not apply: thresholds apply to everyone). Moving up / down: proposed level above / below the
  current one. Saving the rules changes the level only of members without an exported level.

Fast paths (same numbers; crm/filters.py says when): with complete history and no province/
platform/shop filter, members per level need no join of all customers with their totals: buyers
are customer_stats (with their exported level, if any), every other known customer is either in
a member export with a level or has the level the rules give to no purchase at all. When every
purchase is in scope, the buyers' figures come from customer_stats too, and the level mix from
buyer_months (buyers of each month by their purchases and spend in all) unless exported levels
exist; otherwise purchase_facts counts a buyer in a month on their first purchase in it.
"""
from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

import pandas as pd

from ..db import Database
from ..filters import Filters
from ..levels import LEVEL_CODES, LEVEL_NAMES_ZH, LevelRules, rule_level_sql
from ..metrics import MEASURES as METRIC_MEASURES, buyers_by_level, level as metric_level, purchase_totals
from ..numbers import CENT, div as _div
from ..sql import Q

RATE = Decimal("0.0001")
MOVERS_LIMIT = 500

# -- named queries -----------------------------------------------------------------------------------
# The per-level rows, all five levels: members per level ({members}: a CTE member_counts, live or
# fast), the buyers in scope by their level ({placed}: metrics.buyers_by_level) with the buyer
# measures of crm/metrics.py, and the totals in scope ({totals}: metrics.purchase_totals).
BY_LEVEL_SQL = """
WITH {members},
buyers AS (SELECT level_code, {measures} FROM ({placed}) p GROUP BY 1),
totals AS ({totals})
SELECT l.level_code, coalesce(m.members, 0) AS members, coalesce(m.from_export, 0) AS from_export,
       coalesce(b.buyers, 0) AS buyers, coalesce(b.purchases, 0) AS purchases,
       coalesce(b.gmv, 0)::DECIMAL(38,2) AS gmv, coalesce(b.repeat_buyers, 0) AS repeat_buyers,
       t.all_purchases, t.all_gmv
FROM unnest([0, 1, 2, 3, 4]) AS l(level_code)
CROSS JOIN totals t
LEFT JOIN member_counts m ON m.level_code = l.level_code
LEFT JOIN buyers b ON b.level_code = l.level_code
ORDER BY l.level_code
"""
MEASURES = {"buyers": "buyers", "buyer_purchases": "purchases", "buyer_gmv": "gmv", "repeat_buyers": "repeat_buyers"}

# Customers known as of the as-of date, per level ({lvc}: every customer's level) and where the
# level comes from; {scope}: who counts as a member under the sidebar filters.
MEMBERS_LIVE = """member_counts AS (
    SELECT lvc.level_code, count(*) AS members, count(*) FILTER (WHERE lvc.export_level IS NOT NULL) AS from_export
    FROM ({lvc}) lvc JOIN customers c ON c.cust_no = lvc.cust_no
    WHERE (c.in_members OR c.first_order_at < $as_of::DATE + INTERVAL 1 DAY){scope}
    GROUP BY 1
)"""
# Fast (complete history, no province/platform/shop filter): buyers from customer_stats, known
# customers without a purchase from a member export's level or else the level the rules give to
# nothing bought ({rule0}); {rule} over s.spend / s.purchases.
MEMBERS_FAST = """
sb AS (
    SELECT {level} AS level_code, s.member_level IS NOT NULL AS exported
    FROM customer_stats s
),
known AS (SELECT count(*) AS n FROM customers c WHERE c.in_members OR c.first_order_at < $as_of::DATE + INTERVAL 1 DAY),
exported AS (   -- in a member export with a level, no purchase
    SELECT m.level_code, count(*) AS n FROM members m
    WHERE m.level_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customer_stats s WHERE s.cust_no = m.cust_no)
    GROUP BY 1
),
others AS (
    SELECT {rule0} AS level_code,
           (SELECT n FROM known) - (SELECT count(*) FROM sb) - (SELECT coalesce(sum(n), 0) FROM exported) AS n
),
member_counts AS (
    SELECT level_code, sum(members) AS members, sum(from_export) AS from_export FROM (
        SELECT level_code, count(*) AS members, count(*) FILTER (WHERE exported) AS from_export FROM sb GROUP BY 1
        UNION ALL SELECT level_code, n, n FROM exported
        UNION ALL SELECT level_code, n, 0 FROM others
    ) WHERE TRUE{in_levels}
    GROUP BY 1
)"""

# Buyers of each month by their level as of the as-of date.
MIX_SQL = """
WITH p AS ({p}),
lv AS ({lv}),
buyer_months AS (  -- one row per buyer and month (cheaper than count(DISTINCT) after the join)
    SELECT DISTINCT date_trunc('month', ordered_at)::DATE AS month, cust_no FROM p WHERE cust_no IS NOT NULL
)
SELECT b.month, lv.level_code, count(*) AS buyers
FROM buyer_months b JOIN lv ON lv.cust_no = b.cust_no
GROUP BY ALL
ORDER BY 1, 2
"""

# Level mix, fast: buyer_months when every purchase is in scope and no member export gives levels
# ({rule} over spend / purchases) …
MIX_COUNTED_SQL = """
SELECT month, level_code, sum(buyers) AS buyers
FROM (SELECT month, {rule} AS level_code, buyers FROM buyer_months) WHERE TRUE{in_levels}
GROUP BY ALL ORDER BY 1, 2
"""
# … or purchase_facts: a buyer counts in a month on their first purchase in it (within the range).
MIX_FACTS_SQL = """
WITH p AS ({p}),
lvb AS ({lvb})
SELECT date_trunc('month', p.ordered_at)::DATE AS month, lvb.level_code, count(*) AS buyers
FROM p JOIN lvb ON lvb.cust_no = p.cust_no
WHERE p.prev_at IS NULL OR p.prev_at < {period_start}
GROUP BY ALL
ORDER BY 1, 2
"""

EXPORTED_LEVELS_SQL = "SELECT count(*) > 0 FROM members WHERE level_code IS NOT NULL"

# Every member known as of the as-of date: rule level under the rules in force and under the
# proposed ones ({proposed}: the proposed rules' CASE expression over lv.spend / lv.purchases).
WHAT_IF_BASE = """
WITH lv AS ({lv}),
k AS (
    SELECT lv.cust_no, lv.spend, lv.purchases, lv.rule_level AS current_level, {proposed} AS proposed_level,
           lv.export_level IS NULL AS by_rules
    FROM lv JOIN customers c ON c.cust_no = lv.cust_no
    WHERE c.in_members OR c.first_order_at < $as_of::DATE + INTERVAL 1 DAY
)
"""
WHAT_IF_MATRIX_SQL = WHAT_IF_BASE + """
SELECT current_level, proposed_level, by_rules, count(*) AS customers FROM k GROUP BY ALL ORDER BY 1, 2, 3
"""
WHAT_IF_MOVERS_SQL = WHAT_IF_BASE + """
SELECT c.customer_id, k.spend, k.purchases, k.current_level, k.proposed_level
FROM k JOIN customers c ON c.cust_no = k.cust_no
WHERE k.current_level <> k.proposed_level
ORDER BY k.spend DESC, k.purchases DESC, k.cust_no
LIMIT $limit
"""


# -- helpers -----------------------------------------------------------------------------------------

def _member_scope(f: Filters) -> Q:
    """Conditions on `lvc` for who counts as a member under the sidebar filters."""
    sql = ""
    if f.levels:
        sql += " AND list_contains($levels::INTEGER[], lvc.level_code)"
    if f.provinces or f.platforms or f.shops:
        sql += " AND EXISTS (SELECT 1 FROM orders o WHERE o.cust_no = lvc.cust_no{where})"
    return Q(sql, levels=list(f.levels)).fill(where=f.order_conditions("o", dates=False))


def _rules_dict(rules: LevelRules) -> dict:
    d = asdict(rules)
    return {"spend": list(d["spend"]), "count": list(d["count"])}


# -- the analyses ------------------------------------------------------------------------------------
def by_level(db: Database, f: Filters) -> tuple[pd.DataFrame, dict, dict]:
    """Per level 0–4 (all five rows): members, buyers, purchases, GMV and its share, 笔单价, 客单价,
    repeat buyers and repurchase rate. Money stays Decimal. Also where levels come from
    ({export, rules}) and the purchases/GMV of orders without a buyer key."""
    if f.facts and f.complete_history:
        members = Q(MEMBERS_FAST).fill(level=metric_level(f.rules, "s.member_level", "s.spend", "s.purchases"),
                                       rule0=rule_level_sql(f.rules, "0::DECIMAL(18,2)", "0::INTEGER"),
                                       in_levels=_in_levels(f))
    else:
        members = Q(MEMBERS_LIVE).fill(lvc=f.customer_levels(), scope=_member_scope(f))
    rows = db.query(Q(BY_LEVEL_SQL, as_of=f.as_of).fill(
        members=members, placed=buyers_by_level(f), totals=purchase_totals(f),
        measures=", ".join(f"{METRIC_MEASURES[m]} AS {alias}" for m, alias in MEASURES.items())))
    records, source = [], {"export": 0, "rules": 0}
    all_purchases, all_gmv = (rows[0][7], rows[0][8]) if rows else (0, Decimal(0))
    for code, members, from_export, buyers, purchases, gmv, repeat, _, _ in rows:
        source["export"] += from_export
        source["rules"] += members - from_export
        records.append({
            "level_code": int(code), "level_name_zh": LEVEL_NAMES_ZH[str(code)],
            "members": int(members), "buyers": int(buyers), "purchases": int(purchases), "gmv": gmv,
            "gmv_share": _div(gmv, all_gmv, RATE) if all_gmv else None,
            "avg_order_value": _div(gmv, purchases), "avg_spend_per_buyer": _div(gmv, buyers),
            "repeat_buyers": int(repeat), "repurchase_rate": _div(repeat, buyers, RATE),
        })
    df = pd.DataFrame(records, columns=[
        "level_code", "level_name_zh", "members", "buyers", "purchases", "gmv", "gmv_share",
        "avg_order_value", "avg_spend_per_buyer", "repeat_buyers", "repurchase_rate"])
    placed_purchases = int(df["purchases"].sum()) if len(df) else 0
    placed_gmv = sum(df["gmv"], Decimal(0)) if len(df) else Decimal(0)
    totals = {"purchases": int(all_purchases), "gmv": all_gmv,
              "no_buyer_purchases": int(all_purchases) - placed_purchases,
              "no_buyer_gmv": (all_gmv - placed_gmv).quantize(CENT)}
    return df, source, totals


def _in_levels(f: Filters, col: str = "level_code") -> Q:
    if not f.levels:
        return Q("")
    return Q(f" AND list_contains($levels::INTEGER[], {col})", levels=list(f.levels))


def level_mix(db: Database, f: Filters) -> pd.DataFrame:
    """Per month of the date range: buyers of that month by their level as of the as-of date, and
    their share of the month's buyers (a chart frame: month, level_code, buyers, share)."""
    if f.all_purchases and not db.scalar(EXPORTED_LEVELS_SQL):
        sql = Q(MIX_COUNTED_SQL).fill(rule=rule_level_sql(f.rules, "spend", "purchases"), in_levels=_in_levels(f))
    elif f.facts:
        start = ("date_trunc('month', p.ordered_at)" if f.start is None
                 else "greatest(date_trunc('month', p.ordered_at), $range_start::TIMESTAMP)")
        sql = Q(MIX_FACTS_SQL, range_start=f.start).fill(
            p=f.purchases("o.cust_no, o.ordered_at, o.prev_at"), lvb=f.buyer_levels(), period_start=start)
    else:
        sql = Q(MIX_SQL).fill(p=f.purchases("o.cust_no, o.ordered_at"), lv=f.buyer_levels())
    df = db.query_df(sql)
    if df.empty:
        return pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"), "level_code": pd.Series(dtype="int64"),
                             "buyers": pd.Series(dtype="int64"), "share": pd.Series(dtype="float64")})
    df["month"] = pd.to_datetime(df["month"])
    df["level_code"] = df["level_code"].astype("int64")
    df["buyers"] = df["buyers"].astype("int64")
    df["share"] = df["buyers"] / df.groupby("month")["buyers"].transform("sum")
    return df


def compute(db: Database, f: Filters) -> dict:
    """Everything the page needs except the what-if (which recomputes on its own as thresholds change)."""
    table, source, totals = by_level(db, f)
    return {"by_level": table, "source": source, "totals": totals, "mix": level_mix(db, f),
            "rules": f.rules, "as_of": f.as_of}


def what_if(db: Database, f: Filters, proposed: LevelRules) -> dict:
    """Rule-based levels of every member known as of `f.as_of` under the rules in force (`f.rules`)
    and under `proposed` (exported levels ignored): members per level before/after, the movement
    matrix (from × to counts, 5×5), how many move up / down / stay, and up to 500 movers.
    `by_rules`: members without an exported level (saved rules decide their level); `affected`:
    those of them whose level the proposed rules would change if saved."""
    parts = {"lv": f.customer_levels(), "proposed": rule_level_sql(proposed, "lv.spend", "lv.purchases", "proposed")}
    pairs = db.query(Q(WHAT_IF_MATRIX_SQL, as_of=f.as_of).fill(**parts))
    matrix = pd.DataFrame(0, index=pd.Index(LEVEL_CODES, name="current_level"),
                          columns=pd.Index(LEVEL_CODES, name="proposed_level"), dtype="int64")
    by_rules = affected = 0
    for cur, new, rules_level, n in pairs:
        matrix.loc[int(cur), int(new)] += int(n)
        if rules_level:
            by_rules += int(n)
            affected += int(n) if cur != new else 0
    counts = pd.DataFrame({"level_code": list(LEVEL_CODES),
                           "current": [int(matrix.loc[c].sum()) for c in LEVEL_CODES],
                           "proposed": [int(matrix[c].sum()) for c in LEVEL_CODES]})
    up = sum(int(matrix.loc[a, b]) for a in LEVEL_CODES for b in LEVEL_CODES if b > a)
    down = sum(int(matrix.loc[a, b]) for a in LEVEL_CODES for b in LEVEL_CODES if b < a)
    same = sum(int(matrix.loc[a, a]) for a in LEVEL_CODES)
    movers = pd.DataFrame([], columns=["customer_id", "spend", "purchases", "current_level", "proposed_level"])
    if up or down:
        rows = db.query(Q(WHAT_IF_MOVERS_SQL, as_of=f.as_of, limit=MOVERS_LIMIT).fill(**parts))
        movers = pd.DataFrame(rows, columns=["customer_id", "spend", "purchases", "current_level", "proposed_level"])
    return {"problems": proposed.validate(), "current_rules": f.rules, "proposed_rules": proposed,
            "counts": counts, "matrix": matrix, "up": up, "down": down, "same": same, "movers": movers,
            "by_rules": by_rules, "affected": affected}


def report(db: Database, f: Filters) -> dict:
    """JSON-ready: per-level figures, where levels come from, and the rules in force.
    Ratios with a zero denominator (a level without buyers) are null."""
    table, source, totals = by_level(db, f)

    def num(v, digits: int):
        return None if v is None else round(float(v), digits)

    rows = [{
        "level_code": r["level_code"], "level_name_zh": r["level_name_zh"], "members": r["members"],
        "buyers": r["buyers"], "purchases": r["purchases"], "gmv": num(r["gmv"], 2),
        "gmv_share": num(r["gmv_share"], 4), "avg_order_value": num(r["avg_order_value"], 2),
        "avg_spend_per_buyer": num(r["avg_spend_per_buyer"], 2), "repurchase_rate": num(r["repurchase_rate"], 4),
    } for r in table.to_dict("records")]
    return {"as_of": f.as_of.isoformat(), "by_level": rows, "source": source, "rules": _rules_dict(f.rules),
            "no_buyer": {"purchases": totals["no_buyer_purchases"], "gmv": num(totals["no_buyer_gmv"], 2)}}
