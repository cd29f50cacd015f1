"""The target list: a cohort's members as rows to export, contact details masked unless asked for."""
from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd

from ..db import Database
from ..errors import KeyedError
from ..i18n import t
from ..levels import LEVEL_CODES, LevelRules, level_name
from ..segments import STAGES, LifecycleThresholds, stage_name
from ..sql import Q
from .query import cohort_sql, complete_history, prepare
from .spec import CohortSpec


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
    sql = cohort_sql(spec, as_of, rules, thresholds, extra=True, contacts=contacts,
                     fast=complete_history(db, as_of), ids=False)
    # cohort_sql is "WITH … SELECT … FROM base WHERE …": wrap it as the CTE `sel`
    full = Q(LIST_SQL, limit=None if limit is None else int(limit)).fill(
        cohort=Q("WITH sel AS ({sql})").fill(sql=sql), limit="" if limit is None else "LIMIT $limit",
        contacts=("s.phone, s.receiver, s.address" if contacts else "NULL AS phone, NULL AS receiver, NULL AS address"))
    raw = db.query_df(full)
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
            from ..recommend import suggestions
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
    from ..predictions import ensure_scores
    ensure_scores(db, as_of)
    rows = db.query(Q("SELECT cust_no, round(p_alive, 4), round(predicted_12m_spend, 2) FROM prediction_scores "
                      "WHERE cust_no IN (SELECT unnest($cust_nos::INTEGER[]))", cust_nos=[int(n) for n in cust_nos]))
    return {int(n): (a, v) for n, a, v in rows}
