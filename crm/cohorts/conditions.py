"""Cohort conditions as a registry: each entry holds a condition's SQL (over the columns of the
cohort's `base`: days_since_last, stage, purchases, spend, level_code, province, first_purchase_at,
cust_no) and its wording in both languages (message keys `cohorts_desc_*`), so the two can never
drift apart. `where()` ANDs the SQL of every condition a spec sets; `describe()` lists their words.
Every value is a named, bound parameter (`$days_min`, `$item_text`, …; `$as_of` is the cohort's).

A new condition is one `Condition(…)` in `CONDITIONS` (and its field in `CohortSpec`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from ..i18n import t
from ..levels import level_name
from ..segments import stage_name
from ..sql import Q, join
from .spec import CohortSpec


@dataclass(frozen=True)
class Context:
    as_of: dt.date
    fast: bool          # complete history: the import-maintained tables may answer


@dataclass(frozen=True)
class Condition:
    fields: tuple[str, ...]                                           # the CohortSpec fields it reads
    sql: Callable[[CohortSpec, Context], list[Q]]                     # [] when not set
    words: Callable[[CohortSpec, str], list[str]]                     # [] when not set


def _sep(lang: str) -> str:
    return "、" if lang == "zh" else ", "


def _money(v) -> str:
    return f"¥{v:,.2f}"


def _range(key: str, lo: str, hi: str, lo_sql: str, hi_sql: str, fmt=str) -> Condition:
    """A bounded condition (both bounds inclusive): SQL per bound, words exact / between / min / max."""
    def sql(spec, ctx):
        out = []
        if getattr(spec, lo) is not None:
            out.append(Q(lo_sql, **{lo: getattr(spec, lo)}))
        if getattr(spec, hi) is not None:
            out.append(Q(hi_sql, **{hi: getattr(spec, hi)}))
        return out

    def words(spec, lang):
        a, b = getattr(spec, lo), getattr(spec, hi)
        if a is not None and a == b:
            return [t(f"cohorts_desc_{key}_exact", lang, value=fmt(a))]
        if a is not None and b is not None:
            return [t(f"cohorts_desc_{key}_between", lang, lo=fmt(a), hi=fmt(b))]
        if a is not None:
            return [t(f"cohorts_desc_{key}_min", lang, lo=fmt(a))]
        if b is not None:
            return [t(f"cohorts_desc_{key}_max", lang, hi=fmt(b))]
        return []
    return Condition((lo, hi), sql, words)


def _one(field: str, sql_text: str, words: Callable[[object, str], str], value=lambda v: v) -> Condition:
    """A condition on one field: `sql_text` with `$<field>` bound to `value(spec.<field>)`."""
    def sql(spec, ctx):
        v = getattr(spec, field)
        return [Q(sql_text, **{field: value(v)})] if v not in (None, ()) else []
    return Condition((field,), sql, lambda spec, lang: [words(getattr(spec, field), lang)]
                     if getattr(spec, field) not in (None, ()) else [])


def _like_pattern(text: str) -> str:
    """'50%_off' → '%50\\%\\_off%': a literal 'contains' pattern for ILIKE … ESCAPE '\\'."""
    esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{esc}%"


def _item_sql(spec: CohortSpec, ctx: Context) -> list[Q]:
    """Bought (a purchase up to the as-of date) an item whose title contains the text. With complete
    history, the import's item_titles / item_buyers answer instead of a search over every purchase."""
    if not spec.item_contains:
        return []
    if ctx.fast:
        return [Q("""cust_no IN (SELECT b.cust_no FROM item_buyers b WHERE b.title_no IN (
                     SELECT t.title_no FROM item_titles t WHERE contains(t.title_lower, lower($item_text))))""",
                  item_text=spec.item_contains)]
    return [Q("""cust_no IN (
                 SELECT o.cust_no FROM orders o
                 WHERE o.is_purchase AND o.cust_no IS NOT NULL AND o.ordered_at < $as_of::DATE + INTERVAL 1 DAY
                   AND (o.item_title ILIKE $item_pattern ESCAPE '\\'
                        OR o.order_id IN (SELECT i.order_id FROM order_items i
                                          WHERE i.order_id IS NOT NULL AND i.title ILIKE $item_pattern ESCAPE '\\')))""",
              as_of=ctx.as_of, item_pattern=_like_pattern(spec.item_contains))]


_TAGGED = ("cust_no {op} (SELECT ct.cust_no FROM customer_tags ct JOIN tags tg ON tg.tag_id = ct.tag_id "
           "WHERE list_contains(${field}::VARCHAR[], tg.name))")
# Birthday (members.birthday, from a member export) in the next N days, the as-of day included; a
# 29 February birthday falls on 28 February in other years.
_BDAY = ("make_date({y}, month(m.birthday), CASE WHEN month(m.birthday) = 2 AND day(m.birthday) = 29 "
         "AND NOT ({y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0)) THEN 28 ELSE day(m.birthday) END)")
BIRTHDAY_SQL = f"""cust_no IN (SELECT m.cust_no FROM members m
    WHERE m.birthday IS NOT NULL AND m.cust_no IS NOT NULL
      AND CASE WHEN {_BDAY.format(y="year($as_of::DATE)")} >= $as_of::DATE THEN {_BDAY.format(y="year($as_of::DATE)")}
               ELSE {_BDAY.format(y="(year($as_of::DATE) + 1)")} END - $as_of::DATE <= $birthday_within_days)"""
# Members of the contacted group of campaigns that started in the D days up to the as-of date; and
# members who opted out. Both are left out of every cohort (the second always).
CONTACTED_SQL = """cust_no NOT IN (SELECT cm.cust_no FROM campaign_members cm JOIN campaigns cp USING (campaign_id)
                   WHERE cm.grp = 'treatment' AND cm.cust_no IS NOT NULL
                     AND cp.start_date BETWEEN $as_of::DATE - $not_contacted_days::INTEGER AND $as_of::DATE)"""
OPTED_OUT_SQL = "cust_no NOT IN (SELECT c.cust_no FROM optouts o JOIN customers c USING (customer_id))"


def _with_as_of(field: str, sql_text: str, words) -> Condition:
    def sql(spec, ctx):
        v = getattr(spec, field)
        return [Q(sql_text, as_of=ctx.as_of, **{field: v})] if v is not None else []
    return Condition((field,), sql, lambda spec, lang: [words(getattr(spec, field), lang)]
                     if getattr(spec, field) is not None else [])


def _pct(v) -> str:
    return f"{float(v) * 100:.0f}%"


# In the order the page shows them (and `describe` lists them).
CONDITIONS: tuple[Condition, ...] = (
    _range("days", "days_min", "days_max", "days_since_last >= $days_min", "days_since_last <= $days_max"),
    _one("stages", "list_contains($stages::VARCHAR[], stage)",
         lambda v, lang: t("cohorts_desc_stages", lang, values=_sep(lang).join(stage_name(s, lang) for s in v)),
         list),
    _range("purchases", "purchases_min", "purchases_max", "purchases >= $purchases_min", "purchases <= $purchases_max"),
    _range("spend", "spend_min", "spend_max", "spend >= $spend_min::DECIMAL(38,2)", "spend <= $spend_max::DECIMAL(38,2)",
           _money),
    # spend / purchases ≥ x  ⇔  spend ≥ x × purchases (exact, DECIMAL)
    _range("aov", "aov_min", "aov_max", "spend >= $aov_min::DECIMAL(38,2) * purchases",
           "spend <= $aov_max::DECIMAL(38,2) * purchases", _money),
    _one("levels", "list_contains($levels::INTEGER[], level_code)",
         lambda v, lang: t("cohorts_desc_levels", lang, values=_sep(lang).join(level_name(c, lang) for c in v)), list),
    _one("provinces", "list_contains($provinces::VARCHAR[], province)",
         lambda v, lang: t("cohorts_desc_provinces", lang, values=_sep(lang).join(v)), list),
    _range("first", "first_from", "first_to", "first_purchase_at >= $first_from::DATE",
           "first_purchase_at < $first_to::DATE + INTERVAL 1 DAY", lambda d: d.isoformat()),
    Condition(("item_contains",), _item_sql,
              lambda spec, lang: [t("cohorts_desc_item", lang, text=spec.item_contains)] if spec.item_contains else []),
    _one("tags_any", _TAGGED.format(op="IN", field="tags_any"),
         lambda v, lang: t("cohorts_desc_tags_any", lang, values=_sep(lang).join(v)), list),
    _one("tags_none", _TAGGED.format(op="NOT IN", field="tags_none"),
         lambda v, lang: t("cohorts_desc_tags_none", lang, values=_sep(lang).join(v)), list),
    _with_as_of("birthday_within_days", BIRTHDAY_SQL, lambda v, lang: t("cohorts_desc_birthday", lang, days=v)),
    _one("p_alive_min", "cust_no IN (SELECT cust_no FROM prediction_scores WHERE p_alive >= $p_alive_min::DOUBLE)",
         lambda v, lang: t("cohorts_desc_p_alive_min", lang, value=_pct(v))),
    _one("p_alive_max", "cust_no IN (SELECT cust_no FROM prediction_scores WHERE p_alive < $p_alive_max::DOUBLE)",
         lambda v, lang: t("cohorts_desc_p_alive_max", lang, value=_pct(v))),
    _one("predicted_spend_min", "cust_no IN (SELECT cust_no FROM prediction_scores "
                                "WHERE predicted_12m_spend >= $predicted_spend_min::DOUBLE)",
         lambda v, lang: t("cohorts_desc_predicted_spend_min", lang, value=_money(v))),
    _with_as_of("not_contacted_days", CONTACTED_SQL, lambda v, lang: t("cohorts_desc_not_contacted", lang, days=v)),
)


def where(spec: CohortSpec, as_of: dt.date, fast: bool = False, optouts: bool = True) -> Q:
    """The cohort's conditions as one boolean SQL expression over `base` (members who opted out are
    always left out, unless `optouts=False`, for counting them apart)."""
    ctx = Context(as_of, fast)
    parts = [q for c in CONDITIONS for q in c.sql(spec, ctx)] + ([Q(OPTED_OUT_SQL)] if optouts else [])
    return join([Q("({c})").fill(c=q) for q in parts], " AND ") if parts else Q("true")


def describe(spec: CohortSpec, lang: str) -> list[str]:
    """The conditions in words, one per line (page captions, CLI output)."""
    out = [line for c in CONDITIONS for line in c.words(spec, lang)]
    return out or [t("cohorts_desc_everyone", lang)]
