"""A cohort in SQL and in numbers: the base population (one row per buyer, from the buyer figures of
crm/metrics.py), the cohort's rows, its members, and its figures in one pass."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from .. import metrics
from ..db import Database
from ..filters import Filters
from ..levels import LEVEL_CODES, LevelRules
from ..numbers import div as _div
from ..segments import STAGES, LifecycleThresholds
from ..sql import Q
from .conditions import where
from .spec import CohortSpec

BASE_SQL = """
WITH facts AS {materialized}({facts}),
base AS {materialized}(
    SELECT f.cust_no, {customer_id} AS customer_id, f.first_purchase_at, f.last_purchase_at, f.purchases, f.spend,
           f.aov, f.days_since_last, {stage} AS stage, {stage_no} AS stage_no, {level} AS level_code,
           {province} AS province{extra}
    FROM facts f{customers}
)"""
# The phone of the latest purchase that has one, else the member export's, preferring one the
# platform has not masked (138****0001).
_CONTACTS = """,
           CASE WHEN f.order_phone IS NOT NULL AND NOT contains(f.order_phone, '*') THEN f.order_phone
                WHEN f.member_phone IS NOT NULL AND NOT contains(f.member_phone, '*') THEN f.member_phone
                ELSE coalesce(f.order_phone, f.member_phone) END AS phone,
           f.order_receiver AS receiver, f.order_address AS address"""

COHORT_COLUMNS = ("cust_no", "customer_id", "first_purchase_at", "last_purchase_at", "purchases", "spend", "aov",
                  "days_since_last", "stage", "level_code")


def prepare(db: Database, spec: CohortSpec, as_of: dt.date) -> dict | None:
    """What a cohort's conditions read besides the orders: the predictions' scores for the as-of date
    (built once per data version and date). Returns the fit's {ok, problem} when the spec uses them."""
    if spec.needs_scores():
        from ..predictions import ensure_scores
        return ensure_scores(db, as_of)
    return None


def complete_history(db: Database, as_of: dt.date) -> bool:
    """True when no order is after the as-of date (the fast path gives exact results)."""
    last = db.scalar("SELECT max(ordered_at)::DATE FROM orders")
    return last is not None and as_of >= last


def base_sql(as_of: dt.date, rules: LevelRules, thresholds: LifecycleThresholds,
             contacts: bool = False, fast: bool = False, province: bool = True,
             spends: bool = False, ids: bool = True, inline: bool = False) -> Q:
    """`WITH facts AS (…), base AS (…)`: one row per buyer with their figures, stage, level,
    province. `fast` (only when `complete_history`) lets the buyer figures come from customer_stats;
    `province=False` leaves the province out (NULL) when nothing uses it; `spends` adds the column
    `spends` (the order value of each of the buyer's purchases, a list); `contacts` adds phone,
    receiver, address (unmasked); `ids=False` leaves customer_id NULL (no join with customers:
    every buyer is a customer anyway); `inline` marks the CTEs NOT MATERIALIZED, for a query that
    scans them more than once (cheaper than materialising customer_stats)."""
    cols = ["first_purchase_at", "last_purchase_at", "purchases", "spend", "aov", "days_since_last", "member_level"]
    cols += ["order_province", "member_province"] if province else []
    cols += ["spends"] if spends else []
    cols += ["order_phone", "order_receiver", "order_address", "member_phone"] if contacts else []
    f = Filters(as_of=as_of, rules=rules, data_last_day=as_of if fast else None)
    return Q(BASE_SQL).fill(
        facts=metrics.buyer_facts(f, cols), materialized="NOT MATERIALIZED " if inline else "",
        customer_id="c.customer_id" if ids else "NULL::VARCHAR",
        customers=" JOIN customers c ON c.cust_no = f.cust_no" if ids else "",
        stage=metrics.stage(thresholds, "f.days_since_last"), stage_no=metrics.stage_no(thresholds, "f.days_since_last"),
        level=metrics.level(rules, "f.member_level", "f.spend", "f.purchases"),
        province="coalesce(f.order_province, f.member_province)" if province else "NULL::VARCHAR",
        extra=(", f.spends" if spends else "") + (_CONTACTS if contacts else ""))


def cohort_sql(spec: CohortSpec, as_of: dt.date, rules: LevelRules | None = None,
               thresholds: LifecycleThresholds | None = None, *, extra: bool = False,
               contacts: bool = False, fast: bool = False, ids: bool = True) -> Q:
    """One row per customer in the cohort: cust_no, customer_id, first_purchase_at, last_purchase_at,
    purchases, spend (DECIMAL), aov, days_since_last, stage, level_code (+ province when `extra`,
    + phone, receiver, address when `extra` and `contacts`, unmasked), usable as a sub-query.
    `ids=False`: customer_id is NULL (join customers yourself on the rows you keep)."""
    rules, thresholds = rules or LevelRules(), thresholds or LifecycleThresholds()
    base = base_sql(as_of, rules, thresholds, contacts=extra and contacts, fast=fast,
                    province=extra or bool(spec.provinces), ids=ids)
    return Q("{base}\nSELECT {cols} FROM base WHERE {where}").fill(
        base=base, cols="*" if extra else ", ".join(COHORT_COLUMNS), where=where(spec, as_of, fast))


def members_sql(spec: CohortSpec, as_of: dt.date, rules: LevelRules | None = None,
                thresholds: LifecycleThresholds | None = None, fast: bool = False, strata: bool = False) -> Q:
    """SQL selecting `cust_no` of the cohort's members (for coupons, tags, campaigns). Pass
    `fast=complete_history(db, as_of)` for the fast path. `strata` adds level_code and stage_no
    (-1 when unknown), ordered by cust_no: what a campaign's random split stratifies by."""
    rules, thresholds = rules or LevelRules(), thresholds or LifecycleThresholds()
    base = base_sql(as_of, rules, thresholds, fast=fast, province=bool(spec.provinces), ids=False)
    cols = ("cust_no, coalesce(level_code, -1) AS level_code, coalesce(stage_no, -1) AS stage_no" if strata
            else "cust_no")
    return Q("{base}\nSELECT {cols} FROM base WHERE {where}{order}").fill(
        base=base, cols=cols, where=where(spec, as_of, fast), order=" ORDER BY cust_no" if strata else "")


# One query over the base population `c`: part 0 = buyers per level, stage and whether they are in
# the cohort, with their spend and purchases; part 1 = the members' purchases counted by order value
# in cents (only with `values`); part 2 = the sample: the top-spending members' rows (customer_id
# looked up afterwards, for those few only). On the fast path `c` is a plain scan of customer_stats,
# cheaper to repeat for each part than to materialise; otherwise (a fresh aggregation, or a
# condition that is a sub-query) `c` is materialised once.
EVALUATE_SQL = """{base},
c AS {materialized} (SELECT cust_no, level_code, stage_no, spend, purchases, first_purchase_at, last_purchase_at,
                          aov, days_since_last{spends}, ({where}) AS inside FROM base)
SELECT 0 AS part, level_code, stage_no, inside, count(*) AS n, sum(spend)::DECIMAL(38,2) AS money,
       sum(purchases)::BIGINT AS purchases, NULL AS sample
FROM c GROUP BY level_code, stage_no, inside{values}
UNION ALL
(SELECT 2, NULL, NULL, NULL, cust_no, spend, NULL,
        {{first: first_purchase_at, last: last_purchase_at, purchases: purchases,
         aov: aov, days: days_since_last, stage_no: stage_no, level: level_code}}
 FROM c WHERE inside ORDER BY spend DESC, cust_no LIMIT $sample)
"""
EVALUATE_VALUES_SQL = """
UNION ALL
SELECT 1, NULL, NULL, NULL, count(*), v, NULL, NULL
FROM (SELECT (unnest(spends) * 100)::BIGINT AS v FROM c WHERE inside) GROUP BY v"""


VALUES_ONLY_SQL = """{base},
c AS {materialized} (SELECT spends, ({where}) AS inside FROM base)
SELECT v, count(*) AS n FROM (SELECT (unnest(spends) * 100)::BIGINT AS v FROM c WHERE inside) GROUP BY v"""


def _evaluate_base(db: Database, spec: CohortSpec, as_of: dt.date, rules: LevelRules,
                   thresholds: LifecycleThresholds, values: bool) -> tuple[Q, bool, str]:
    """(the base population's SQL, fast path?, how `c` is kept) for `evaluate` and `order_value_counts`."""
    prepare(db, spec, as_of)
    fast = complete_history(db, as_of)
    # see EVALUATE_SQL: scan customer_stats per part rather than materialise — unless a condition is
    # a sub-query over orders or tags, which would then run once per part
    inline = fast and not (spec.item_contains or spec.tags_any or spec.tags_none)
    base = base_sql(as_of, rules, thresholds, fast=fast, province=bool(spec.provinces), spends=values,
                    ids=False, inline=inline)
    return base, fast, "NOT MATERIALIZED" if inline else "MATERIALIZED"


def order_value_counts(db: Database, spec: CohortSpec, as_of: dt.date, rules: LevelRules | None = None,
                       thresholds: LifecycleThresholds | None = None) -> list[tuple[int, int]]:
    """The members' purchases up to the as-of date counted by order value in cents, [(cents,
    purchases)]: what `evaluate(…, values=True)` adds as `order_values`, on its own — for a page
    that sizes coupons only when asked (a cohort change then costs the figures alone)."""
    rules, thresholds = rules or LevelRules(), thresholds or LifecycleThresholds()
    base, fast, materialized = _evaluate_base(db, spec, as_of, rules, thresholds, values=True)
    sql = Q(VALUES_ONLY_SQL).fill(base=base, where=where(spec, as_of, fast), materialized=materialized)
    return [(int(v), int(n)) for v, n in db.query(sql)]


def evaluate(db: Database, spec: CohortSpec, as_of: dt.date, rules: LevelRules | None = None,
             thresholds: LifecycleThresholds | None = None, sample: int = 20, values: bool = False) -> dict:
    """The cohort in numbers: members, gmv (Decimal, their spend up to the as-of date), purchases,
    aov (gmv / purchases), avg_spend (gmv / members), buyers (the base population) and share,
    level_mix (level_code, members, gmv — all five levels), stage_mix (stage, members, gmv — all five
    stages), sample (the `sample` top-spending members, cohort_sql columns), empty flag.
    `values=True` adds `order_values`: the members' purchases up to the as-of date counted by order
    value in cents, [(cents, purchases)], from the same pass (`crm.coupons.stats_from_counts` sizes
    coupons from it, exactly as `coupons.order_values` would with `members_sql`)."""
    rules, thresholds = rules or LevelRules(), thresholds or LifecycleThresholds()
    base, fast, materialized = _evaluate_base(db, spec, as_of, rules, thresholds, values)
    sql = Q(EVALUATE_SQL, sample=max(int(sample), 0)).fill(
        base=base, where=where(spec, as_of, fast), spends=", spends" if values else "",
        values=EVALUATE_VALUES_SQL if values else "", materialized=materialized)
    rows = db.query(sql)
    members, gmv, purchases, buyers = 0, Decimal("0.00"), 0, 0
    by_level = {code: [0, Decimal("0.00")] for code in LEVEL_CODES}
    by_stage = {s: [0, Decimal("0.00")] for s in STAGES}
    counted, top = [], []
    for part, level, stage_no, inside, n, money, count, row in rows:
        if part == 1:
            counted.append((int(money), int(n)))
        elif part == 2:
            top.append((int(n), money, row))
        else:
            buyers += int(n)
            if not inside:            # NULL (a condition on a missing value) is outside too
                continue
            members, gmv, purchases = members + int(n), gmv + money, purchases + int(count)
            if level is not None:
                by_level[int(level)][0] += int(n)
                by_level[int(level)][1] += money
            if stage_no is not None:
                by_stage[STAGES[stage_no]][0] += int(n)
                by_stage[STAGES[stage_no]][1] += money
    level_mix = pd.DataFrame({"level_code": list(by_level), "members": [v[0] for v in by_level.values()],
                              "gmv": [v[1] for v in by_level.values()]})
    stage_mix = pd.DataFrame({"stage": list(by_stage), "members": [v[0] for v in by_stage.values()],
                              "gmv": [v[1] for v in by_stage.values()]})
    for mix in (level_mix, stage_mix):
        mix["share"] = [m / members if members else 0.0 for m in mix["members"]]
    ids = dict(db.query(Q("SELECT cust_no, customer_id FROM customers WHERE cust_no IN (SELECT unnest($ids::INTEGER[]))",
                          ids=[t[0] for t in top]))) if top else {}
    sample_df = pd.DataFrame(
        [(no, ids.get(no), r["first"], r["last"], r["purchases"], spend, r["aov"], r["days"],
          None if r["stage_no"] is None else STAGES[r["stage_no"]], r["level"]) for no, spend, r in top],
        columns=list(COHORT_COLUMNS))
    out = {
        "as_of": as_of, "empty": members == 0, "members": members, "gmv": gmv, "purchases": purchases,
        "aov": _div(gmv, purchases), "avg_spend": _div(gmv, members), "buyers": buyers,
        "share": (members / buyers) if buyers else 0.0,
        "level_mix": level_mix, "stage_mix": stage_mix, "sample": sample_df,
    }
    if values:
        out["order_values"] = counted
    return out


def report(db: Database, spec: CohortSpec, as_of: dt.date, rules: LevelRules | None = None,
           thresholds: LifecycleThresholds | None = None) -> dict:
    """JSON-ready numbers of a cohort (CLI --json)."""
    e = evaluate(db, spec, as_of, rules, thresholds, sample=0)
    return {
        "as_of": as_of.isoformat(), "members": e["members"], "gmv": float(e["gmv"]),
        "purchases": e["purchases"], "aov": None if e["aov"] is None else float(e["aov"]),
        "avg_spend": None if e["avg_spend"] is None else float(e["avg_spend"]),
        "buyers": e["buyers"], "share": round(e["share"], 4), "spec": spec.to_dict(),
        "level_mix": [{"level_code": int(r.level_code), "members": int(r.members), "gmv": float(r.gmv)}
                      for r in e["level_mix"].itertuples()],
        "stage_mix": [{"stage": r.stage, "members": int(r.members), "gmv": float(r.gmv)}
                      for r in e["stage_mix"].itertuples()],
    }
