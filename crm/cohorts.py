"""Cohorts (人群): who to talk to. A cohort is a *definition* (`CohortSpec`), evaluated against the
data as of a date; saved cohorts store the definition, never a member list, so they re-evaluate
on new data by themselves.

Definitions (DESIGN.md):
- Base population: every customer with at least one purchase (paid, not refunded in full) up to the
  as-of date. Their history is every purchase up to the as-of date (`Filters.purchases(dates=False)`
  with no other filter — the sidebar filters do not apply: a cohort says who, on its own).
- purchases (成交订单数) and spend (成交金额 = Σ(amount − refund), DECIMAL) over that history;
  aov (笔单价) = spend / purchases (filters compare exactly: spend ≥ aov_min × purchases);
  first / last purchase = the order times of the first / last purchase.
- days since last purchase (未购天数) = whole calendar days from the date of the last purchase to the
  as-of date. Bounds are inclusive: days_min=30, days_max=90 keeps 30 and 90.
- stage (生命周期) from days since last purchase and the editable `LifecycleThresholds`.
- level (会员等级): the exported level where there is one, else the level the shop's rules give from
  spend / purchases up to the as-of date (same as `customer_levels_sql`).
- province (省份) of a customer: the province of their latest purchase that has one, else the member
  export's. Contacts (phone, receiver, address) likewise come from the latest purchase that has them;
  the phone is the latest purchase's, else the member export's, preferring one that is not already
  masked by the platform (138****0001).
- item_contains: bought (a purchase up to the as-of date) an item whose title contains the text,
  case-insensitively: `orders.item_title`, or `order_items.title` of the order (joined by order id).
  The text is matched literally (% and _ are escaped).
- tags_any: has at least one of these tags; tags_none: has none of them.
- not_contacted_days (D): leave out the members of the contacted (treatment) group of every campaign
  that started in the D days up to the as-of date (start date from as-of − D to as-of, inclusive).
- Opted-out members (退订, crm/campaigns.py) are never in a cohort: not in its figures, target lists,
  tags it adds to, or campaigns. `left_out` counts them (and the recently contacted) apart.

Every value reaches SQL as a bound parameter. Validation problems raise `KeyedError` (a ValueError
whose `key` is a message key of crm/locales/cohorts.py).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, fields, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

import pandas as pd

from .db import Database
from .filters import Filters
from .i18n import t
from .levels import LEVEL_CODES, LevelRules, level_name, rule_level_sql
from .segments import STAGES, LifecycleThresholds, stage_name
from .numbers import CENT, div as _div


class KeyedError(ValueError):
    """A validation problem: `key` is a message key, `params` its placeholders. str() is the key."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


# -- the definition --------------------------------------------------------------------------------
_INT_FIELDS = ("days_min", "days_max", "purchases_min", "purchases_max", "not_contacted_days",
               "birthday_within_days")
_MONEY_FIELDS = ("spend_min", "spend_max", "aov_min", "aov_max", "p_alive_min", "p_alive_max", "predicted_spend_min")
SCORE_FIELDS = ("p_alive_min", "p_alive_max", "predicted_spend_min")   # read crm/predictions' scores
_DATE_FIELDS = ("first_from", "first_to")
_TEXT_TUPLES = ("stages", "provinces", "tags_any", "tags_none")


def _money(v) -> Decimal | None:
    if v is None or v == "":
        return None
    try:
        d = Decimal(str(v).strip().replace(",", "").lstrip("¥￥"))
    except InvalidOperation:
        raise KeyedError("cohorts_error_number", value=v) from None
    if not d.is_finite():
        raise KeyedError("cohorts_error_number", value=v)
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _int(v) -> int | None:
    if v is None or v == "":
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise KeyedError("cohorts_error_number", value=v) from None
    if not math.isfinite(f) or f != int(f):
        raise KeyedError("cohorts_error_number", value=v)
    return int(f)


def _date(v) -> dt.date | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        raise KeyedError("cohorts_error_date", value=v) from None


def _texts(v) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        v = [v]
    out = []
    for x in v:
        s = str(x).strip()
        if s and s not in out:
            out.append(s)
    return tuple(out)


@dataclass(frozen=True)
class CohortSpec:
    """Who is in a cohort. None / empty means "no condition". Frozen and hashable (a cache key)."""
    days_min: int | None = None          # days since last purchase, inclusive
    days_max: int | None = None
    stages: tuple[str, ...] = ()         # lifecycle stage ids (segments.STAGES)
    purchases_min: int | None = None
    purchases_max: int | None = None
    spend_min: Decimal | None = None     # cumulative spend up to the as-of date (成交金额)
    spend_max: Decimal | None = None
    aov_min: Decimal | None = None       # the customer's 笔单价 = spend / purchases
    aov_max: Decimal | None = None
    levels: tuple[int, ...] = ()         # level codes 0–4
    provinces: tuple[str, ...] = ()
    first_from: dt.date | None = None    # date of the first purchase, inclusive
    first_to: dt.date | None = None
    item_contains: str | None = None
    tags_any: tuple[str, ...] = ()
    tags_none: tuple[str, ...] = ()
    not_contacted_days: int | None = None  # leave out members contacted in the last D days
    birthday_within_days: int | None = None  # birthday (member export) in the next N days
    p_alive_min: Decimal | None = None     # probability still a customer (BG/NBD), 0–1: at least
    p_alive_max: Decimal | None = None     # … below
    predicted_spend_min: Decimal | None = None  # predicted 12-month spend (BG/NBD × Gamma-Gamma) at least

    def __post_init__(self):
        set_ = object.__setattr__
        for name in _INT_FIELDS:
            set_(self, name, _int(getattr(self, name)))
        for name in _MONEY_FIELDS:
            set_(self, name, _money(getattr(self, name)))
        for name in _DATE_FIELDS:
            set_(self, name, _date(getattr(self, name)))
        for name in _TEXT_TUPLES:
            set_(self, name, _texts(getattr(self, name)))
        levels = []
        for v in (self.levels if not isinstance(self.levels, (int, str)) else [self.levels]):
            code = _int(v)
            if code not in LEVEL_CODES:
                raise KeyedError("cohorts_error_level", value=v)
            if code not in levels:
                levels.append(code)
        set_(self, "levels", tuple(sorted(levels)))
        for s in self.stages:
            if s not in STAGES:
                raise KeyedError("cohorts_error_stage", value=s)
        set_(self, "stages", tuple(s for s in STAGES if s in self.stages))  # canonical order
        item = self.item_contains
        set_(self, "item_contains", (str(item).strip() or None) if item is not None else None)

    # -- checks --------------------------------------------------------------------------------
    def validate(self) -> list[KeyedError]:
        """Problems that make the definition meaningless (negative bounds, min above max)."""
        problems = []
        for name in _INT_FIELDS + _MONEY_FIELDS:
            v = getattr(self, name)
            if v is not None and v < 0:
                problems.append(KeyedError("cohorts_error_negative", field=name))
        for name in ("p_alive_min", "p_alive_max"):
            v = getattr(self, name)
            if v is not None and v > 1:
                problems.append(KeyedError("cohorts_error_probability", field=name))
        for lo, hi in (("days_min", "days_max"), ("purchases_min", "purchases_max"), ("spend_min", "spend_max"),
                       ("aov_min", "aov_max"), ("first_from", "first_to")):
            a, b = getattr(self, lo), getattr(self, hi)
            if a is not None and b is not None and a > b:
                problems.append(KeyedError("cohorts_error_min_max", low=lo, high=hi))
        return problems

    def needs_scores(self) -> bool:
        """A condition on the predictions: their scores must exist for the as-of date first."""
        return any(getattr(self, f) is not None for f in SCORE_FIELDS)

    def is_empty(self) -> bool:
        """True when no condition is set (the cohort is every buyer). The placeholder
        not_contacted_days does not count: it only narrows another condition."""
        return not any(getattr(self, f.name) not in (None, ()) for f in fields(self)
                       if f.name != "not_contacted_days")

    # -- storage -------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-ready: only the conditions that are set; money as strings (exact), dates ISO."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None or v == ():
                continue
            if isinstance(v, Decimal):
                v = str(v)
            elif isinstance(v, dt.date):
                v = v.isoformat()
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict | None) -> "CohortSpec":
        if not d:
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in known})

    @classmethod
    def from_json(cls, text: str | None) -> "CohortSpec":
        return cls.from_dict(json.loads(text) if text else None)

    def with_(self, **changes) -> "CohortSpec":
        return replace(self, **changes)


def describe(spec: CohortSpec, lang: str) -> list[str]:
    """The conditions in words, one per line (page captions, CLI output)."""
    out = []

    def rng(key, lo, hi, fmt=str):
        if lo is not None and lo == hi:
            out.append(t(f"cohorts_desc_{key}_exact", lang, value=fmt(lo)))
        elif lo is not None and hi is not None:
            out.append(t(f"cohorts_desc_{key}_between", lang, lo=fmt(lo), hi=fmt(hi)))
        elif lo is not None:
            out.append(t(f"cohorts_desc_{key}_min", lang, lo=fmt(lo)))
        elif hi is not None:
            out.append(t(f"cohorts_desc_{key}_max", lang, hi=fmt(hi)))

    sep = "、" if lang == "zh" else ", "
    money = lambda v: f"¥{v:,.2f}"  # noqa: E731
    rng("days", spec.days_min, spec.days_max)
    if spec.stages:
        out.append(t("cohorts_desc_stages", lang, values=sep.join(stage_name(s, lang) for s in spec.stages)))
    rng("purchases", spec.purchases_min, spec.purchases_max)
    rng("spend", spec.spend_min, spec.spend_max, money)
    rng("aov", spec.aov_min, spec.aov_max, money)
    if spec.levels:
        out.append(t("cohorts_desc_levels", lang, values=sep.join(level_name(c, lang) for c in spec.levels)))
    if spec.provinces:
        out.append(t("cohorts_desc_provinces", lang, values=sep.join(spec.provinces)))
    rng("first", spec.first_from, spec.first_to, lambda d: d.isoformat())
    if spec.item_contains:
        out.append(t("cohorts_desc_item", lang, text=spec.item_contains))
    if spec.tags_any:
        out.append(t("cohorts_desc_tags_any", lang, values=sep.join(spec.tags_any)))
    if spec.tags_none:
        out.append(t("cohorts_desc_tags_none", lang, values=sep.join(spec.tags_none)))
    if spec.birthday_within_days is not None:
        out.append(t("cohorts_desc_birthday", lang, days=spec.birthday_within_days))
    if spec.p_alive_min is not None:
        out.append(t("cohorts_desc_p_alive_min", lang, value=f"{float(spec.p_alive_min) * 100:.0f}%"))
    if spec.p_alive_max is not None:
        out.append(t("cohorts_desc_p_alive_max", lang, value=f"{float(spec.p_alive_max) * 100:.0f}%"))
    if spec.predicted_spend_min is not None:
        out.append(t("cohorts_desc_predicted_spend_min", lang, value=money(spec.predicted_spend_min)))
    if spec.not_contacted_days is not None:
        out.append(t("cohorts_desc_not_contacted", lang, days=spec.not_contacted_days))
    if not out:
        out.append(t("cohorts_desc_everyone", lang))
    return out


# -- SQL -------------------------------------------------------------------------------------------
def _like_pattern(text: str) -> str:
    """'50%_off' → '%50\\%\\_off%': a literal 'contains' pattern for ILIKE … ESCAPE '\\'."""
    esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{esc}%"


BASE_SQL = """
WITH h AS ({history}),
facts AS (  -- one row per customer with a purchase up to the as-of date
    SELECT cust_no, min(ordered_at) AS first_purchase_at, max(ordered_at) AS last_purchase_at,
           count(*) AS purchases, sum(spend)::DECIMAL(38,2) AS spend,
           (?::DATE - max(ordered_at)::DATE) AS days_since_last,
           arg_max(province, ordered_at) FILTER (WHERE province IS NOT NULL) AS order_province{spend_aggs}{contact_aggs}
    FROM h WHERE cust_no IS NOT NULL GROUP BY cust_no
),
base AS (
    SELECT f.cust_no, {customer_id} AS customer_id, f.first_purchase_at, f.last_purchase_at, f.purchases, f.spend,
           round(f.spend::DOUBLE / f.purchases, 2) AS aov, f.days_since_last,
           {stage} AS stage, {stage_no} AS stage_no,
           coalesce({member_level}, {level}) AS level_code,
           {province} AS province{spend_cols}{contact_cols}
    FROM facts f{customers}{members}
)"""
_MEMBERS_JOIN = "\n    LEFT JOIN members m ON m.cust_no = f.cust_no"

_CONTACT_AGGS = """,
           arg_max(phone, ordered_at) FILTER (WHERE phone IS NOT NULL) AS order_phone,
           arg_max(receiver, ordered_at) FILTER (WHERE address IS NOT NULL OR receiver IS NOT NULL) AS order_receiver,
           arg_max(address, ordered_at) FILTER (WHERE address IS NOT NULL) AS order_address"""
_CONTACT_SELECT = """,
           CASE WHEN f.order_phone IS NOT NULL AND NOT contains(f.order_phone, '*') THEN f.order_phone
                WHEN m.phone IS NOT NULL AND NOT contains(m.phone, '*') THEN m.phone
                ELSE coalesce(f.order_phone, m.phone) END AS phone,
           f.order_receiver AS receiver, f.order_address AS address"""

COHORT_COLUMNS = ("cust_no", "customer_id", "first_purchase_at", "last_purchase_at", "purchases", "spend", "aov",
                  "days_since_last", "stage", "level_code")


# The fast path (as-of date on or after the latest order): the per-customer totals the importer
# keeps (customer_stats: totals, order values, latest province, member-export level) equal a fresh
# aggregation.
FAST_FACTS_SQL = """
WITH facts AS (
    SELECT s.cust_no, s.first_purchase_at, s.last_purchase_at, s.purchases, s.spend,
           (?::DATE - s.last_purchase_at::DATE) AS days_since_last, {province} AS order_province,
           s.member_level, s.member_province{spends}
    FROM customer_stats s
)"""


def prepare(db: Database, spec: CohortSpec, as_of: dt.date) -> dict | None:
    """What a cohort's conditions read besides the orders: the predictions' scores for the as-of date
    (built once per data version and date). Returns the fit's {ok, problem} when the spec uses them."""
    if spec.needs_scores():
        from .predictions import ensure_scores
        return ensure_scores(db, as_of)
    return None


def complete_history(db: Database, as_of: dt.date) -> bool:
    """True when no order is after the as-of date (the fast path gives exact results)."""
    last = db.scalar("SELECT max(ordered_at)::DATE FROM orders")
    return last is not None and as_of >= last


def _base(as_of: dt.date, rules: LevelRules, thresholds: LifecycleThresholds,
          contacts: bool = False, fast: bool = False, province: bool = True,
          spends: bool = False, ids: bool = True, inline: bool = False) -> tuple[str, list]:
    """The WITH … base AS (…) part: one row per buyer with their facts, stage, level, province.
    `fast` (only when `complete_history`) reads customer_stats; `province=False` lets the fast
    path skip the province lookup when nothing uses it (the column is then NULL); `spends` adds
    the column `spends`: the order value of each of the buyer's purchases (a list); `ids=False`
    leaves customer_id NULL (no join with customers: every buyer is a customer anyway); `inline`
    (fast path) marks the CTEs NOT MATERIALIZED, for a query that scans them more than once."""
    stage, sparams = thresholds.stage_sql("f.days_since_last")
    stage_no, nparams = thresholds.stage_no_sql("f.days_since_last")
    sparams = sparams + nparams
    level, lparams = rule_level_sql(rules, "f.spend", "f.purchases")
    spend_cols = ", f.spends" if spends else ""
    ident = {"customer_id": "c.customer_id" if ids else "NULL::VARCHAR",
             "customers": " JOIN customers c ON c.cust_no = f.cust_no" if ids else ""}
    if fast and not contacts:   # customer_stats has the member export's level and province too
        facts = FAST_FACTS_SQL.format(province="s.order_province" if province else "NULL::VARCHAR",
                                      spends=", s.spends" if spends else "")
        base = BASE_SQL[BASE_SQL.index("base AS ("):].format(
            stage=stage, stage_no=stage_no, level=level, contact_cols="", spend_cols=spend_cols,
            member_level="f.member_level", members="",
            province="coalesce(f.order_province, f.member_province)" if province else "NULL::VARCHAR", **ident)
        sql = f"{facts},\n{base}"
        if inline:
            sql = sql.replace("facts AS (", "facts AS NOT MATERIALIZED (", 1).replace(
                "base AS (", "base AS NOT MATERIALIZED (", 1)
        return sql, [as_of] + sparams + lparams
    cols = "o.cust_no, o.ordered_at, o.spend, o.province" + (", o.phone, o.receiver, o.address" if contacts else "")
    history, hparams = Filters(as_of=as_of, rules=rules).purchases(cols, dates=False)
    sql = BASE_SQL.format(history=history, stage=stage, stage_no=stage_no, level=level, **ident,
                          member_level="m.level_code", members=_MEMBERS_JOIN,
                          province="coalesce(f.order_province, m.province)",
                          spend_aggs=",\n           list(spend) AS spends" if spends else "", spend_cols=spend_cols,
                          contact_aggs=_CONTACT_AGGS if contacts else "",
                          contact_cols=_CONTACT_SELECT if contacts else "")
    return sql, hparams + [as_of] + sparams + lparams


def _conditions(spec: CohortSpec, as_of: dt.date, fast: bool = False, optouts: bool = True) -> tuple[str, list]:
    """The cohort's conditions on `base` columns, as one boolean SQL expression and its parameters.
    `fast` (only when `complete_history`): "bought an item" reads the import's item_titles /
    item_buyers instead of searching every purchase."""
    conds, params = [], []

    def add(sql, *values):
        conds.append(sql)
        params.extend(values)

    if spec.days_min is not None:
        add("days_since_last >= ?", spec.days_min)
    if spec.days_max is not None:
        add("days_since_last <= ?", spec.days_max)
    if spec.stages:
        add("list_contains(?::VARCHAR[], stage)", list(spec.stages))
    if spec.purchases_min is not None:
        add("purchases >= ?", spec.purchases_min)
    if spec.purchases_max is not None:
        add("purchases <= ?", spec.purchases_max)
    if spec.spend_min is not None:
        add("spend >= ?::DECIMAL(38,2)", spec.spend_min)
    if spec.spend_max is not None:
        add("spend <= ?::DECIMAL(38,2)", spec.spend_max)
    if spec.aov_min is not None:  # spend / purchases ≥ x  ⇔  spend ≥ x × purchases (exact, DECIMAL)
        add("spend >= ?::DECIMAL(38,2) * purchases", spec.aov_min)
    if spec.aov_max is not None:
        add("spend <= ?::DECIMAL(38,2) * purchases", spec.aov_max)
    if spec.levels:
        add("list_contains(?::INTEGER[], level_code)", list(spec.levels))
    if spec.provinces:
        add("list_contains(?::VARCHAR[], province)", list(spec.provinces))
    if spec.first_from is not None:
        add("first_purchase_at >= ?::DATE", spec.first_from)
    if spec.first_to is not None:
        add("first_purchase_at < ?::DATE + INTERVAL 1 DAY", spec.first_to)
    if spec.item_contains and fast:
        add("""cust_no IN (SELECT b.cust_no FROM item_buyers b WHERE b.title_no IN (
                SELECT t.title_no FROM item_titles t WHERE contains(t.title_lower, lower(?))))""",
            spec.item_contains)
    elif spec.item_contains:
        pattern = _like_pattern(spec.item_contains)
        add("""cust_no IN (
                SELECT o.cust_no FROM orders o
                WHERE o.is_purchase AND o.cust_no IS NOT NULL AND o.ordered_at < ?::DATE + INTERVAL 1 DAY
                  AND (o.item_title ILIKE ? ESCAPE '\\'
                       OR o.order_id IN (SELECT i.order_id FROM order_items i
                                         WHERE i.order_id IS NOT NULL AND i.title ILIKE ? ESCAPE '\\')))""",
            as_of, pattern, pattern)
    if spec.tags_any:
        add("cust_no IN (SELECT ct.cust_no FROM customer_tags ct JOIN tags tg ON tg.tag_id = ct.tag_id "
            "WHERE list_contains(?::VARCHAR[], tg.name))", list(spec.tags_any))
    if spec.tags_none:
        add("cust_no NOT IN (SELECT ct.cust_no FROM customer_tags ct JOIN tags tg ON tg.tag_id = ct.tag_id "
            "WHERE list_contains(?::VARCHAR[], tg.name))", list(spec.tags_none))
    if spec.birthday_within_days is not None:
        add(BIRTHDAY_SQL, as_of, spec.birthday_within_days)
    if spec.p_alive_min is not None:
        add("cust_no IN (SELECT cust_no FROM prediction_scores WHERE p_alive >= ?::DOUBLE)", spec.p_alive_min)
    if spec.p_alive_max is not None:
        add("cust_no IN (SELECT cust_no FROM prediction_scores WHERE p_alive < ?::DOUBLE)", spec.p_alive_max)
    if spec.predicted_spend_min is not None:
        add("cust_no IN (SELECT cust_no FROM prediction_scores WHERE predicted_12m_spend >= ?::DOUBLE)",
            spec.predicted_spend_min)
    if spec.not_contacted_days is not None:
        add(CONTACTED_SQL, as_of, spec.not_contacted_days, as_of)
    if optouts:
        add(OPTED_OUT_SQL)
    return (" AND ".join(f"({c})" for c in conds) or "true"), params


# Members of the contacted group of campaigns that started in the D days up to the as-of date; and
# members who opted out. Both are left out of every cohort (the second always).
CONTACTED_SQL = """cust_no NOT IN (SELECT cm.cust_no FROM campaign_members cm JOIN campaigns cp USING (campaign_id)
                   WHERE cm.grp = 'treatment' AND cm.cust_no IS NOT NULL
                     AND cp.start_date BETWEEN ?::DATE - ?::INTEGER AND ?::DATE)"""
OPTED_OUT_SQL = "cust_no NOT IN (SELECT c.cust_no FROM optouts o JOIN customers c USING (customer_id))"
# Birthday (members.birthday, from a member export) in the next N days, the as-of day included; a
# 29 February birthday falls on 28 February in other years. Parameters: the as-of date, N.
_BDAY = ("make_date({y}, month(m.birthday), CASE WHEN month(m.birthday) = 2 AND day(m.birthday) = 29 "
         "AND NOT ({y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0)) THEN 28 ELSE day(m.birthday) END)")
BIRTHDAY_SQL = f"""cust_no IN (SELECT m.cust_no FROM members m, (SELECT ?::DATE AS d, ?::INTEGER AS n) p
    WHERE m.birthday IS NOT NULL AND m.cust_no IS NOT NULL
      AND CASE WHEN {_BDAY.format(y="year(p.d)")} >= p.d THEN {_BDAY.format(y="year(p.d)")}
               ELSE {_BDAY.format(y="(year(p.d) + 1)")} END - p.d <= p.n)"""


def cohort_sql(spec: CohortSpec, as_of: dt.date, rules: LevelRules | None = None,
               thresholds: LifecycleThresholds | None = None, *, extra: bool = False,
               contacts: bool = False, fast: bool = False, ids: bool = True) -> tuple[str, list]:
    """One row per customer in the cohort: cust_no, customer_id, first_purchase_at, last_purchase_at,
    purchases, spend (DECIMAL), aov, days_since_last, stage, level_code (+ province when `extra`,
    + phone, receiver, address when `extra` and `contacts`, unmasked). Returns SQL and its bound
    parameters (usable as a sub-query). `ids=False`: customer_id is NULL (join customers yourself
    on the rows you keep)."""
    rules, thresholds = rules or LevelRules(), thresholds or LifecycleThresholds()
    base, bparams = _base(as_of, rules, thresholds, contacts=extra and contacts, fast=fast,
                          province=extra or bool(spec.provinces), ids=ids)
    where, wparams = _conditions(spec, as_of, fast)
    cols = "*" if extra else ", ".join(COHORT_COLUMNS)
    return f"{base}\nSELECT {cols} FROM base WHERE {where}", bparams + wparams


def members_sql(spec: CohortSpec, as_of: dt.date, rules: LevelRules | None = None,
                thresholds: LifecycleThresholds | None = None, fast: bool = False) -> tuple[str, list]:
    """SQL selecting just `cust_no` of the cohort's members, and its parameters (for coupons, tags).
    Pass `fast=complete_history(db, as_of)` for the fast path."""
    rules, thresholds = rules or LevelRules(), thresholds or LifecycleThresholds()
    base, bparams = _base(as_of, rules, thresholds, fast=fast, province=bool(spec.provinces))
    where, wparams = _conditions(spec, as_of, fast)
    return f"{base}\nSELECT cust_no FROM base WHERE {where}", bparams + wparams


# -- evaluation ------------------------------------------------------------------------------------
def _frame(db: Database, sql: str, params: list) -> pd.DataFrame:
    """Keep DuckDB's values (DECIMAL stays Decimal)."""
    return db.frame(sql, params)


# One query over the base population `c`: part 0 = buyers per level, stage and whether they are in
# the cohort, with their spend and purchases; part 1 = the members' purchases counted by order value
# in cents (only with `values`); part 2 = the sample: the top-spending members' rows (customer_id
# looked up afterwards, for those few only). On the fast path `c` is a plain scan of customer_stats,
# cheaper to repeat for each part than to materialise; otherwise (a fresh aggregation, or a
# condition that is a sub-query) `c` is materialised once.
EVALUATE_SQL = """{base},
c AS {materialized} (SELECT cust_no, level_code, stage_no, spend, purchases, first_purchase_at, last_purchase_at,
                          days_since_last{spends}, ({where}) AS inside FROM base)
SELECT 0 AS part, level_code, stage_no, inside, count(*) AS n, sum(spend)::DECIMAL(38,2) AS money,
       sum(purchases)::BIGINT AS purchases, NULL AS sample
FROM c GROUP BY level_code, stage_no, inside{values}
UNION ALL
(SELECT 2, NULL, NULL, NULL, cust_no, spend, NULL,
        {{first: first_purchase_at, last: last_purchase_at, purchases: purchases,
         aov: round(spend::DOUBLE / purchases, 2), days: days_since_last, stage_no: stage_no, level: level_code}}
 FROM c WHERE inside ORDER BY spend DESC, cust_no LIMIT ?)
"""
EVALUATE_VALUES_SQL = """
UNION ALL
SELECT 1, NULL, NULL, NULL, count(*), v, NULL, NULL
FROM (SELECT (unnest(spends) * 100)::BIGINT AS v FROM c WHERE inside) GROUP BY v"""




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
    prepare(db, spec, as_of)
    fast = complete_history(db, as_of)
    # see EVALUATE_SQL: scan customer_stats per part rather than materialise — unless a condition is
    # a sub-query over orders or tags, which would then run once per part
    inline = fast and not (spec.item_contains or spec.tags_any or spec.tags_none)
    base, bparams = _base(as_of, rules, thresholds, fast=fast, province=bool(spec.provinces), spends=values,
                          ids=False, inline=inline)
    where, wparams = _conditions(spec, as_of, fast)
    sql = EVALUATE_SQL.format(base=base, where=where, spends=", spends" if values else "",
                              values=EVALUATE_VALUES_SQL if values else "",
                              materialized="NOT MATERIALIZED" if inline else "MATERIALIZED")
    rows = db.query(sql, bparams + wparams + [max(int(sample), 0)])
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
    ids = dict(db.query("SELECT cust_no, customer_id FROM customers WHERE cust_no IN (SELECT unnest(?::INTEGER[]))",
                        [[t[0] for t in top]])) if top else {}
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


# -- the member list (target list) -----------------------------------------------------------------
LIST_COLUMNS = ("name", "level", "last_purchase", "purchases", "spend", "aov", "days_since_last", "stage", "tags",
                "province", "phone", "receiver", "address", "offer", "p_alive", "predicted_spend", "suggested_item")
CONTACT_COLUMNS = ("phone", "receiver", "address")
DEFAULT_COLUMNS = ("name", "level", "last_purchase", "purchases", "spend", "aov", "days_since_last", "stage", "tags",
                   "province")


def mask_phone(v) -> str | None:
    """'13812345678' → '138****5678'. Short numbers keep their first and last character."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    if not s:
        return s
    if len(s) >= 8:
        return s[:3] + "****" + s[-4:]
    if len(s) > 2:
        return s[0] + "*" * (len(s) - 2) + s[-1]
    return "*" * len(s)


def mask_name(v) -> str | None:
    """'张三' → '张*', '欧阳娜娜' → '欧***'."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    if not s:
        return s
    return s[0] + "*" * min(max(len(s) - 1, 1), 3)


_PROVINCE = re.compile(r"^(.{1,8}?(?:特别行政区|自治区|省|市))")
_CITY = re.compile(r"^(.{1,12}?(?:自治州|地区|市|盟))")


def mask_address(v) -> str | None:
    """Keep province and city, mask the rest: '广东省 广州市 越秀区 华乐街道12号' → '广东省 广州市 ****';
    '浙江省杭州市西湖区…' → '浙江省杭州市****'. An address that cannot be parsed is masked whole."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    if not s:
        return s
    parts = s.split()
    if len(parts) >= 3:
        return f"{parts[0]} {parts[1]} ****"
    if len(parts) == 2:
        return f"{parts[0]} ****"
    # no spaces: keep what ends like a province, then what ends like a city
    m = _PROVINCE.match(s)
    if not m:
        return "****"
    keep = m.group(1)
    if not keep.endswith("市"):  # a municipality (北京市) is its own city
        c = _CITY.match(s[len(keep):])
        if c:
            keep += c.group(1)
    return keep + "****" if len(keep) < len(s) else "****"


# The members in order (and the limit) first, then names and tags for just those rows.
LIST_SQL = """{cohort},
top AS (SELECT * FROM sel ORDER BY spend DESC, cust_no {limit})
SELECT s.cust_no, c.customer_id, s.level_code, strftime(s.last_purchase_at, '%Y-%m-%d') AS last_purchase, s.purchases,
       s.spend::DOUBLE AS spend, s.aov, s.days_since_last, s.stage, s.province, {contacts}, tg.tags
FROM top s
JOIN customers c ON c.cust_no = s.cust_no
LEFT JOIN (SELECT ct.cust_no, string_agg(t.name, ',' ORDER BY t.name) AS tags
           FROM customer_tags ct JOIN tags t ON t.tag_id = ct.tag_id GROUP BY ct.cust_no) tg ON tg.cust_no = s.cust_no
ORDER BY s.spend DESC, s.cust_no"""


def member_list(db: Database, spec: CohortSpec, as_of: dt.date, rules: LevelRules | None = None,
                thresholds: LifecycleThresholds | None = None, lang: str = "zh", columns=None,
                include_contacts: bool = False, offer: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The target list: one row per member, highest spend first, headers in `lang`.

    columns: ids from LIST_COLUMNS (default DEFAULT_COLUMNS, plus "offer" when an offer is given,
    plus the contact columns when include_contacts). Contact columns (phone, receiver, address) are
    present only when requested, and MASKED unless include_contacts (138****5678, 张*, 省 市 ****)."""
    rules, thresholds = rules or LevelRules(), thresholds or LifecycleThresholds()
    if columns is None:
        cols = list(DEFAULT_COLUMNS) + (["offer"] if offer else []) + (list(CONTACT_COLUMNS) if include_contacts else [])
    else:
        cols = list(dict.fromkeys(columns))
        for c in cols:
            if c not in LIST_COLUMNS:
                raise KeyedError("cohorts_error_column", value=c, valid=", ".join(LIST_COLUMNS))
    contacts = any(c in CONTACT_COLUMNS for c in cols)
    prepare(db, spec, as_of)
    sql, params = cohort_sql(spec, as_of, rules, thresholds, extra=True, contacts=contacts,
                             fast=complete_history(db, as_of), ids=False)
    lim = ""
    if limit is not None:
        lim, params = "LIMIT ?", params + [int(limit)]
    # cohort_sql is "WITH … SELECT … FROM base WHERE …": wrap it as the CTE `sel`
    full = LIST_SQL.format(cohort=f"WITH sel AS ({sql})", limit=lim,
                           contacts=("s.phone, s.receiver, s.address" if contacts
                                     else "NULL AS phone, NULL AS receiver, NULL AS address"))
    with db.read() as cur:
        raw = cur.execute(full, params).df()
    out = pd.DataFrame(index=raw.index)
    level_names = {c: level_name(c, lang) for c in LEVEL_CODES}
    stage_names = {s: stage_name(s, lang) for s in STAGES}
    for c in cols:
        header = t(f"cohorts_col_{c}", lang)
        if c == "name":
            out[header] = raw["customer_id"]
        elif c == "level":
            out[header] = raw["level_code"].map(level_names)
        elif c == "stage":
            out[header] = raw["stage"].map(stage_names)
        elif c == "tags":
            out[header] = raw["tags"].fillna("")
        elif c == "offer":
            out[header] = offer or ""
        elif c in ("p_alive", "predicted_spend"):
            scores = _scores(db, as_of, list(raw["cust_no"]))
            out[header] = [scores.get(int(n), (None, None))[0 if c == "p_alive" else 1] for n in raw["cust_no"]]
        elif c == "suggested_item":
            from .recommend import suggestions
            picks = suggestions(db, [int(n) for n in raw["cust_no"]])
            out[header] = [picks.get(int(n), "") for n in raw["cust_no"]]
        elif c == "phone":
            out[header] = raw["phone"] if include_contacts else [mask_phone(v) for v in raw["phone"]]
        elif c == "receiver":
            out[header] = raw["receiver"] if include_contacts else [mask_name(v) for v in raw["receiver"]]
        elif c == "address":
            out[header] = raw["address"] if include_contacts else [mask_address(v) for v in raw["address"]]
        else:
            out[header] = raw[c]
    return out.reset_index(drop=True)


def _scores(db: Database, as_of: dt.date, cust_nos: list) -> dict[int, tuple]:
    """cust_no → (P(alive) rounded to 4 places, predicted 12-month spend rounded to cents)."""
    from .predictions import ensure_scores
    ensure_scores(db, as_of)
    rows = db.query("SELECT cust_no, round(p_alive, 4), round(predicted_12m_spend, 2) FROM prediction_scores "
                    "WHERE cust_no IN (SELECT unnest(?::INTEGER[]))", [[int(n) for n in cust_nos]])
    return {int(n): (a, v) for n, a, v in rows}


# -- presets ---------------------------------------------------------------------------------------
PRESETS = ("dormant", "sleeping_high_value", "one_time_30_90", "vip_quiet", "valuable_slipping")
FALLBACK_CYCLE_DAYS = 90


def preset_name(preset_id: str, lang: str) -> str:
    return t(f"cohorts_preset_{preset_id}", lang)


def preset_basis(db: Database, as_of: dt.date, rules: LevelRules | None = None) -> dict:
    """What the presets are computed from: usage_cycle_days (median gap between purchase days, all
    history up to the as-of date; None without gaps), cycle_days (the same, or the 90-day fallback),
    spend_p75 (P75 of buyers' spend up to the as-of date, rounded up to the cent; None without buyers)."""
    from .analysis.timing import usage_cycle
    rules = rules or LevelRules()
    median = usage_cycle(db, Filters(as_of=as_of, rules=rules))["median_days"]
    history, hparams = Filters(as_of=as_of, rules=rules).purchases("o.cust_no, o.spend", dates=False)
    p75 = db.scalar(f"SELECT quantile_cont(spend::DOUBLE, 0.75) FROM (SELECT cust_no, sum(spend) AS spend "
                    f"FROM ({history}) h WHERE cust_no IS NOT NULL GROUP BY cust_no) s", hparams)
    if p75 is not None:  # float noise (123.45000000001) must not push the threshold up a cent
        p75 = Decimal(repr(p75)).quantize(Decimal("0.000001"), ROUND_HALF_UP).quantize(CENT, ROUND_CEILING)
    return {"usage_cycle_days": median, "cycle_days": median if median is not None else float(FALLBACK_CYCLE_DAYS),
            "spend_p75": p75}


def presets(db: Database, as_of: dt.date, rules: LevelRules | None = None,
            thresholds: LifecycleThresholds | None = None, k: float = 2.0, basis: dict | None = None) -> dict:
    """Ready-made cohorts, id → CohortSpec:
    - dormant: days since last purchase > k × the usage cycle median (fallback 90 days × k);
    - sleeping_high_value: stage silent or sleeping and spend ≥ P75 of buyers' spend;
    - one_time_30_90: exactly one purchase, 30–90 days ago;
    - vip_quiet: level VIP or Supreme VIP (3–4) and days since last purchase > the usage cycle median;
    - valuable_slipping: spend ≥ P75 of buyers' spend and probability still a customer (BG/NBD) below 50 %."""
    if k is None or not math.isfinite(float(k)) or float(k) <= 0:
        raise KeyedError("cohorts_error_k", value=k)
    b = basis or preset_basis(db, as_of, rules)
    cycle = b["cycle_days"]
    return {
        "dormant": CohortSpec(days_min=math.floor(float(k) * cycle) + 1),
        "sleeping_high_value": CohortSpec(stages=("silent", "sleeping"), spend_min=b["spend_p75"]),
        "one_time_30_90": CohortSpec(purchases_min=1, purchases_max=1, days_min=30, days_max=90),
        "vip_quiet": CohortSpec(levels=(3, 4), days_min=math.floor(cycle) + 1),
        "valuable_slipping": CohortSpec(spend_min=b["spend_p75"], p_alive_max=Decimal("0.5")),
    }


# -- saved cohorts ---------------------------------------------------------------------------------
NAME_MAX = 100


def _clean_name(name, prefix: str) -> str:
    s = (name or "").strip() if isinstance(name, str) or name is None else str(name).strip()
    if not s:
        raise KeyedError(f"{prefix}_error_empty_name")
    if len(s) > NAME_MAX:
        raise KeyedError(f"{prefix}_error_name_too_long", max=NAME_MAX)
    return s


def save_cohort(db: Database, name: str, spec: CohortSpec) -> str:
    """Save (or replace) a cohort definition under a name. Returns the cleaned name."""
    name = _clean_name(name, "cohorts")
    problems = spec.validate()
    if problems:
        raise problems[0]
    with db.write() as cur:
        cur.execute("""INSERT INTO cohorts VALUES (?, ?, now()::TIMESTAMP, now()::TIMESTAMP)
                       ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at""",
                    [name, spec.to_json()])
    return name


def list_cohorts(db: Database) -> list[dict]:
    """Saved cohorts by name: {name, spec (CohortSpec), created_at, updated_at}. Cheap: no need to cache."""
    return [{"name": n, "spec": CohortSpec.from_json(s), "created_at": c, "updated_at": u}
            for n, s, c, u in db.query("SELECT name, spec, created_at, updated_at FROM cohorts ORDER BY name")]


def load_cohort(db: Database, name: str) -> CohortSpec:
    rows = db.query("SELECT spec FROM cohorts WHERE name = ?", [(name or "").strip()])
    if not rows:
        raise KeyedError("cohorts_error_unknown", name=name)
    return CohortSpec.from_json(rows[0][0])


def delete_cohort(db: Database, name: str) -> None:
    name = (name or "").strip()
    with db.write() as cur:
        if not cur.execute("SELECT count(*) FROM cohorts WHERE name = ?", [name]).fetchone()[0]:
            raise KeyedError("cohorts_error_unknown", name=name)
        cur.execute("DELETE FROM cohorts WHERE name = ?", [name])
