"""Campaigns (营销活动): contact a cohort, hold a random part of it back, and measure honestly.

Definitions (README, "Campaigns"):
- A campaign is a named contact of a cohort on a start date with a randomly drawn **holdout**
  (对照组) that is never contacted or exported. Opted-out members (退订) are in neither group.
- The holdout is drawn within strata (member level × lifecycle stage): the members are put in a
  random order within each stratum (numpy's PCG64 seeded with the campaign's recorded seed) and held
  out systematically (`split`), so every stratum is split in the planned proportion (⌊n × share⌋ or
  ⌈n × share⌉), the holdout is exactly ⌊N × share + ½⌋, and the split is reproducible from the seed.
- Effect over the **attribution window**: purchases with an order time on or after the start
  date's midnight and before start + window days. Per group: members, buyers (members with a
  purchase in the window), purchase rate = buyers / members, GMV in the window, GMV per member
  (members who bought nothing count as 0). Lift = treatment − holdout: for the purchase rate with
  Newcombe's hybrid score 95 % interval (statsmodels `newcomb`), for GMV per member with Welch's
  95 % interval; incremental buyers = rate lift × treatment members, incremental GMV = GMV-per-member
  lift × treatment members. Verdict: `lift` when the rate interval is above 0, `harm` when below,
  otherwise `unclear` (never "no effect").
- Coupon cost counts every treatment member who bought at least once in the window with an order
  reaching the threshold (those who would have bought anyway included); message cost = treatment
  members × cost per message; incremental gross profit = incremental GMV × margin − coupon cost −
  message cost; ROI = profit ÷ (coupon cost + message cost).
- Status: `planned` while no order on or after the start date is in the data, `in_window` while the
  latest order is before the window's end, `measured` once the data reaches the window's end.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from .cohorts import (CONTACTED_SQL, OPTED_OUT_SQL, CohortSpec, KeyedError, base_sql, complete_history,
                      members_sql, prepare, where)
from .db import Database
from .i18n import fmt_int, fmt_money, fmt_pct, t
from .levels import LevelRules
from .segments import STAGES, LifecycleThresholds
from .sql import Q

CHANNELS = ("sms", "chat", "email", "insert", "coupon")
GROUPS = ("treatment", "holdout")
DEFAULT_WINDOW = 14
DEFAULT_HOLDOUT = 0.1
MAX_HOLDOUT = 0.9
ALPHA, POWER = 0.05, 0.8
SRM_P = 0.001                 # a split this unlikely under the plan is flagged (sample-ratio mismatch)
ASSUMED_BASE_RATE = 0.02      # when the cohort has no history to estimate its own base rate from

_STRIP = " \t\r\n\u3000\u00a0\ufeff\u200b"
_OFFER = re.compile(r"^\s*满\s*(\d+(?:\.\d+)?)\s*减\s*(\d+(?:\.\d+)?)\s*$|^\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*$")


# -- buyer keys --------------------------------------------------------------------------------------
def normalize_key(value) -> str | None:
    """A buyer key as the importer stores it: trimmed, Excel's ="…" and '… unwrapped, a whole number
    written with a decimal point (`13085.0`) as the whole number."""
    if value is None:
        return None
    s = str(value).strip(_STRIP)
    if s.startswith('="') and s.endswith('"') and len(s) >= 3:
        s = s[2:-1].strip(_STRIP)
    elif s.startswith(("=", "'")):
        s = s[1:].strip(_STRIP)
    s = re.sub(r"^(\d+)\.0+$", r"\1", s)
    return s or None


def read_keys(path: str | Path) -> list[str]:
    """Buyer keys from a file with one key per line (see `keys_from_bytes`)."""
    return keys_from_bytes(Path(path).read_bytes(), Path(path).name)


def keys_from_bytes(raw: bytes, file_name: str) -> list[str]:
    """Buyer keys of one key per line (the TXT target-list format), in order, once each. UTF-8 (with
    or without BOM) or GBK; in a CSV the first column is taken; a first line that names the column
    (buyer, 买家昵称, customer_id, …) is skipped."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise KeyedError("campaign_error_keys_encoding", file=file_name)
    keys: list[str] = []
    seen: set[str] = set()
    for i, line in enumerate(text.splitlines()):
        cell = re.split(r"[,\t]", line, maxsplit=1)[0]
        key = normalize_key(cell.strip('"'))
        if key is None:
            continue
        if i == 0 and key.lower().replace(" ", "").replace("_", "") in _KEY_HEADERS:
            continue
        if key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


_KEY_HEADERS = {"buyer", "buyerid", "customer", "customerid", "member", "memberid", "user", "userid", "name",
                "买家", "买家昵称", "买家会员名", "会员名", "客户", "客户昵称", "昵称", "名字", "nickname", "key"}


# -- opt-outs ----------------------------------------------------------------------------------------
def optout_add(db: Database, keys, source: str = "manual") -> dict:
    """Add buyer keys to the opt-out list. Returns {added, already, unknown}: unknown keys are kept
    too (they take effect when the key appears in an import)."""
    keys = [k for k in dict.fromkeys(normalize_key(k) for k in keys) if k]
    if not keys:
        return {"added": 0, "already": 0, "unknown": 0}
    with db.write() as cur:
        already = cur.execute("SELECT count(*) FROM optouts WHERE customer_id IN (SELECT unnest(?::VARCHAR[]))",
                              [keys]).fetchall()[0][0]
        unknown = cur.execute("SELECT count(*) FROM (SELECT unnest(?::VARCHAR[]) AS k) WHERE k NOT IN "
                              "(SELECT customer_id FROM customers)", [keys]).fetchall()[0][0]
        cur.execute("""INSERT INTO optouts SELECT k, ?, ? FROM (SELECT unnest(?::VARCHAR[]) AS k)
                       WHERE k NOT IN (SELECT customer_id FROM optouts)""", [dt.datetime.now(), source, keys])
        db.bump_version(cur)
    return {"added": len(keys) - already, "already": already, "unknown": unknown}


def optout_remove(db: Database, keys) -> int:
    keys = [k for k in (normalize_key(k) for k in keys) if k]
    with db.write() as cur:
        n = cur.execute("SELECT count(*) FROM optouts WHERE customer_id IN (SELECT unnest(?::VARCHAR[]))",
                        [keys]).fetchall()[0][0]
        cur.execute("DELETE FROM optouts WHERE customer_id IN (SELECT unnest(?::VARCHAR[]))", [keys])
        if n:
            db.bump_version(cur)
    return int(n)


def optout_list(db: Database) -> pd.DataFrame:
    return db.query_df("""SELECT o.customer_id, o.added_at, o.source, c.cust_no IS NOT NULL AS known
                          FROM optouts o LEFT JOIN customers c USING (customer_id)
                          ORDER BY o.added_at DESC, o.customer_id""")


def optout_count(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM optouts") or 0)


def is_opted_out(db: Database, customer_id: str) -> bool:
    return bool(db.scalar("SELECT count(*) FROM optouts WHERE customer_id = ?", [normalize_key(customer_id)]))


# -- offers --------------------------------------------------------------------------------------------
def parse_offer(text: str | None) -> tuple[Decimal, Decimal] | None:
    """'满99减10' or '99-10' → (99, 10); None for no offer. Refuses anything else."""
    if text is None or not str(text).strip():
        return None
    m = _OFFER.match(str(text))
    if not m:
        raise KeyedError("campaign_error_offer", value=text)
    x, y = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    x, y = Decimal(x), Decimal(y)
    if y <= 0 or y >= x:
        raise KeyedError("campaign_error_offer", value=text)
    return x, y


def offer_text(offer: tuple[Decimal, Decimal] | None) -> str | None:
    if offer is None:
        return None
    fmt = lambda v: f"{v.normalize():f}"  # noqa: E731
    return f"满{fmt(offer[0])}减{fmt(offer[1])}"


# -- planning a split ---------------------------------------------------------------------------------
def left_out(db: Database, spec: CohortSpec, as_of: dt.date, rules: LevelRules | None = None,
             thresholds: LifecycleThresholds | None = None) -> dict:
    """Members the cohort's other conditions give who are left out, and why: {opted_out,
    contacted} (contacted: in the contacted group of a campaign started in the last
    `spec.not_contacted_days` days, and not opted out)."""
    rules, thresholds = rules or LevelRules(), thresholds or LifecycleThresholds()
    prepare(db, spec, as_of)
    fast = complete_history(db, as_of)
    contacted = (Q(f"NOT ({CONTACTED_SQL})", as_of=as_of, not_contacted_days=spec.not_contacted_days)
                 if spec.not_contacted_days is not None else "false")
    row = db.query(Q(f"""{{base}}
        SELECT count(*) FILTER (WHERE NOT ({OPTED_OUT_SQL})),
               count(*) FILTER (WHERE ({OPTED_OUT_SQL}) AND {{contacted}})
        FROM base WHERE {{where}}""").fill(
        base=base_sql(as_of, rules, thresholds, fast=fast, province=bool(spec.provinces), ids=False),
        contacted=contacted, where=where(spec.with_(not_contacted_days=None), as_of, fast, optouts=False)))[0]
    return {"opted_out": int(row[0]), "contacted": int(row[1])}


def split(cust_nos: np.ndarray, strata: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Boolean array: True = holdout. The members are put in a random order within each stratum
    (and the strata in a random order), then every position where ⌊(i + 1) × share + ½⌋ steps up is
    held out: each stratum gives ⌊n × share⌋ or ⌈n × share⌉ members and the whole holdout is exactly
    ⌊N × share + ½⌋. Reproducible from `seed` (numpy's PCG64)."""
    n = len(cust_nos)
    if n == 0 or share <= 0:
        return np.zeros(n, dtype=bool)
    rng = np.random.Generator(np.random.PCG64(seed))
    order_key = rng.random(n)
    kinds, inverse = np.unique(strata, return_inverse=True)
    stratum_rank = rng.permutation(len(kinds))[inverse]
    order = np.lexsort((order_key, stratum_rank))
    i = np.arange(n)
    hold_sorted = np.floor((i + 1) * share + 0.5) > np.floor(i * share + 0.5)
    out = np.zeros(n, dtype=bool)
    out[order] = hold_sorted
    return out


def holdout_size(members: int, share: float) -> int:
    """How many of `members` a holdout share holds out (what `split` gives)."""
    return int(math.floor(members * share + 0.5))


def min_detectable_lift(base_rate: float, n_treatment: int, n_holdout: int) -> float | None:
    """The smallest rise of the purchase rate (absolute, treatment − holdout) this split detects with
    80 % power at the 5 % level (two-sided), from the holdout's base rate (Cohen's h, statsmodels)."""
    if n_treatment < 2 or n_holdout < 2:
        return None
    from statsmodels.stats.power import NormalIndPower
    h = NormalIndPower().solve_power(effect_size=None, nobs1=n_treatment, ratio=n_holdout / n_treatment,
                                     alpha=ALPHA, power=POWER, alternative="two-sided")
    p = min(max(base_rate, 1e-6), 1 - 1e-6)
    p2 = math.sin(min(math.asin(math.sqrt(p)) + h / 2, math.pi / 2)) ** 2
    return p2 - p


def base_rate(db: Database, spec: CohortSpec, as_of: dt.date, window: int, rules: LevelRules,
              thresholds: LifecycleThresholds) -> tuple[float, int, bool]:
    """The cohort's own base rate: the same definition evaluated `window` days before the as-of
    date, and the share of those members who bought in the `window` days that followed. Returns
    (rate, members then, assumed) — assumed (ASSUMED_BASE_RATE) when that earlier cohort is empty."""
    then = as_of - dt.timedelta(days=window)
    prepare(db, spec, then)
    row = db.query(Q("""WITH m AS ({members})
        SELECT count(*), count(*) FILTER (WHERE cust_no IN (
            SELECT cust_no FROM orders WHERE is_purchase AND cust_no IS NOT NULL
              AND ordered_at >= $then::DATE + INTERVAL 1 DAY AND ordered_at < $until::DATE + INTERVAL 1 DAY))
        FROM m""", then=then, until=as_of).fill(members=members_sql(spec, then, rules, thresholds, fast=False)))[0]
    n, bought = int(row[0]), int(row[1])
    if n == 0:
        return ASSUMED_BASE_RATE, 0, True
    return bought / n, n, False


def plan(db: Database, spec: CohortSpec, as_of: dt.date, holdout: float = DEFAULT_HOLDOUT,
         window: int = DEFAULT_WINDOW, rules: LevelRules | None = None,
         thresholds: LifecycleThresholds | None = None) -> dict:
    """Before creating: group sizes, who is left out and why, the base rate, the smallest lift the
    split could detect and, when that is large, a suggested larger holdout share."""
    rules, thresholds = rules or LevelRules(), thresholds or LifecycleThresholds()
    _check_share(holdout)
    prepare(db, spec, as_of)
    members = int(db.scalar(Q("SELECT count(*) FROM ({m})").fill(
        m=members_sql(spec, as_of, rules, thresholds, complete_history(db, as_of)))) or 0)
    n_hold = holdout_size(members, holdout)
    n_treat = members - n_hold
    rate, then_members, assumed = base_rate(db, spec, as_of, window, rules, thresholds)
    mde = min_detectable_lift(rate, n_treat, n_hold)
    suggestion = None
    if members >= 4 and (mde is None or mde > max(0.02, rate)):
        for share in (0.2, 0.3, 0.5):
            if share <= holdout:
                continue
            h = holdout_size(members, share)
            m2 = min_detectable_lift(rate, members - h, h)
            suggestion = {"holdout": share, "treatment": members - h, "holdout_members": h, "mde": m2}
            if m2 is not None and m2 <= max(0.02, rate):
                break
    return {"members": members, "treatment": n_treat, "holdout": n_hold, "base_rate": rate,
            "base_rate_members": then_members, "base_rate_assumed": assumed, "mde": mde,
            "suggestion": suggestion, "left_out": left_out(db, spec, as_of, rules, thresholds)}


def _check_share(share: float) -> None:
    if share is None or not (0 <= share <= MAX_HOLDOUT):
        raise KeyedError("campaign_error_holdout", value=share, max=MAX_HOLDOUT)


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise KeyedError("campaign_error_name")
    return name


def _new_id(cur) -> int:
    return int(cur.execute("SELECT coalesce(max(campaign_id), 0) + 1 FROM campaigns").fetchall()[0][0])


# -- creating ---------------------------------------------------------------------------------------
def create(db: Database, name: str, spec: CohortSpec, as_of: dt.date, *, holdout: float = DEFAULT_HOLDOUT,
           seed: int | None = None, start: dt.date | None = None, window: int = DEFAULT_WINDOW,
           offer: str | None = None, channel: str = "sms", margin: float | None = None,
           message_cost: Decimal | float | None = None, rules: LevelRules | None = None,
           thresholds: LifecycleThresholds | None = None, plan_id: int | None = None) -> dict:
    """Create a campaign from a cohort: draw the holdout within strata and record both groups.
    Returns {campaign_id, name, members, treatment, holdout, opted_out, contacted_left_out, seed,
    start, window_days, offer, channel}. `start` defaults to the day after the as-of date."""
    rules, thresholds = rules or LevelRules(), thresholds or LifecycleThresholds()
    name = _check_name(name)
    _check_share(holdout)
    if channel not in CHANNELS:
        raise KeyedError("campaign_error_channel", value=channel, valid=", ".join(CHANNELS))
    if not (1 <= int(window) <= 365):
        raise KeyedError("campaign_error_window", value=window)
    parsed = parse_offer(offer)
    start = start or (as_of + dt.timedelta(days=1))
    seed = int(seed) if seed is not None else int(np.random.SeedSequence().entropy % (2 ** 31))
    gone = left_out(db, spec, as_of, rules, thresholds)      # (also prepares the cohort's inputs)
    got = db.frame(members_sql(spec, as_of, rules, thresholds, complete_history(db, as_of), strata=True))
    cust = got["cust_no"].to_numpy(dtype=np.int64)
    strata = (got["level_code"].to_numpy(dtype=np.int64) * 10 + got["stage_no"].to_numpy(dtype=np.int64))
    hold = split(cust, strata, holdout, seed)
    frame = pd.DataFrame({"cust_no": cust, "hold": hold, "level": strata // 10, "stage": strata % 10})
    with db.write() as cur:
        if cur.execute("SELECT count(*) FROM campaigns WHERE name = ?", [name]).fetchall()[0][0]:
            raise KeyedError("campaign_error_exists", name=name)
        cid = _new_id(cur)
        cur.execute("""INSERT INTO campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'cohort', ?, ?, ?, ?)""",
                    [cid, name, channel, start, int(window), offer_text(parsed), float(holdout), seed, as_of,
                     spec.to_json(), margin, None if message_cost is None else Decimal(str(message_cost)),
                     plan_id, dt.datetime.now()])
        cur.register("new_members_df", frame)
        # stratum as text: "<level code>:<stage>" (level −1: none)
        cur.execute("""INSERT INTO campaign_members
                       SELECT ?, n.cust_no::INTEGER, c.customer_id,
                              CASE WHEN n.hold THEN 'holdout' ELSE 'treatment' END,
                              n.level::VARCHAR || ':' || coalesce(list_extract(?::VARCHAR[], n.stage + 1), '-')
                       FROM new_members_df n JOIN customers c ON c.cust_no = n.cust_no""", [cid, list(STAGES)])
        cur.unregister("new_members_df")
        db.bump_version(cur)
    n_hold = int(hold.sum())
    return {"campaign_id": cid, "name": name, "members": len(cust), "treatment": len(cust) - n_hold,
            "holdout": n_hold, "opted_out": gone["opted_out"], "contacted_left_out": gone["contacted"],
            "seed": seed, "start": start.isoformat(), "window_days": int(window), "offer": offer_text(parsed),
            "channel": channel, "as_of": as_of.isoformat()}


def import_lists(db: Database, name: str, treatment_keys: list[str], holdout_keys: list[str], start: dt.date,
                 window: int = DEFAULT_WINDOW, channel: str = "sms", offer: str | None = None) -> dict:
    """Register a campaign run in another tool from its contacted and control lists (buyer keys).
    Opted-out keys are in neither group; a key on both lists was contacted (treatment). Keys not
    (yet) among the customers stay members: they count as members who bought nothing until an
    import brings their orders."""
    name = _check_name(name)
    if channel not in CHANNELS:
        raise KeyedError("campaign_error_channel", value=channel, valid=", ".join(CHANNELS))
    if not (1 <= int(window) <= 365):
        raise KeyedError("campaign_error_window", value=window)
    parsed = parse_offer(offer)
    treat = [k for k in dict.fromkeys(normalize_key(k) for k in treatment_keys) if k]
    both = set(treat)
    hold = [k for k in dict.fromkeys(normalize_key(k) for k in holdout_keys) if k and k not in both]
    overlap = len([k for k in dict.fromkeys(normalize_key(k) for k in holdout_keys) if k in both])
    if not treat:
        raise KeyedError("campaign_error_no_treatment")
    frame = pd.DataFrame({"customer_id": treat + hold, "grp": ["treatment"] * len(treat) + ["holdout"] * len(hold)})
    with db.write() as cur:
        if cur.execute("SELECT count(*) FROM campaigns WHERE name = ?", [name]).fetchall()[0][0]:
            raise KeyedError("campaign_error_exists", name=name)
        cid = _new_id(cur)
        cur.register("imported_df", frame)
        opted = cur.execute("SELECT count(*) FROM imported_df WHERE customer_id IN (SELECT customer_id FROM optouts)"
                            ).fetchall()[0][0]
        unknown = cur.execute("SELECT count(*) FROM imported_df WHERE customer_id NOT IN "
                              "(SELECT customer_id FROM customers)").fetchall()[0][0]
        share = len(hold) / (len(treat) + len(hold))
        cur.execute("""INSERT INTO campaigns VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, 'import', NULL, NULL,
                       NULL, ?)""", [cid, name, channel, start, int(window), offer_text(parsed), share,
                                     dt.datetime.now()])
        cur.execute("""INSERT INTO campaign_members
                       SELECT ?, c.cust_no, i.customer_id, i.grp, NULL FROM imported_df i
                       LEFT JOIN customers c USING (customer_id)
                       WHERE i.customer_id NOT IN (SELECT customer_id FROM optouts)""", [cid])
        counts = dict(cur.execute("SELECT grp, count(*) FROM campaign_members WHERE campaign_id = ? GROUP BY grp",
                                  [cid]).fetchall())
        cur.unregister("imported_df")
        db.bump_version(cur)
    return {"campaign_id": cid, "name": name, "members": sum(counts.values()),
            "treatment": counts.get("treatment", 0), "holdout": counts.get("holdout", 0), "opted_out": int(opted),
            "unknown": int(unknown), "on_both_lists": overlap, "start": start.isoformat(),
            "window_days": int(window), "channel": channel, "offer": offer_text(parsed)}


def delete(db: Database, name: str) -> None:
    cid = _id(db, name)
    with db.write() as cur:
        cur.execute("DELETE FROM campaign_members WHERE campaign_id = ?", [cid])
        cur.execute("DELETE FROM campaigns WHERE campaign_id = ?", [cid])
        db.bump_version(cur)


def _id(db: Database, name: str) -> int:
    row = db.query("SELECT campaign_id FROM campaigns WHERE name = ?", [str(name).strip()])
    if not row:
        raise KeyedError("campaign_error_unknown", name=name)
    return int(row[0][0])


def info(db: Database, name: str) -> dict:
    cid = _id(db, name)
    cols = ["campaign_id", "name", "channel", "start_date", "window_days", "offer", "holdout_share", "seed", "as_of",
            "cohort", "source", "margin", "message_cost", "plan_id", "created_at"]
    row = db.query(f"SELECT {', '.join(cols)} FROM campaigns WHERE campaign_id = ?", [cid])[0]
    return dict(zip(cols, row))


# -- members ------------------------------------------------------------------------------------------
MEMBERS_SQL = """
SELECT cm.customer_id, cm.grp, s.purchases, s.spend, s.last_purchase_at, s.member_level
FROM campaign_members cm LEFT JOIN customer_stats s ON s.cust_no = cm.cust_no
WHERE cm.campaign_id = ? AND cm.grp = ?
  AND (cm.grp = 'holdout' OR cm.customer_id NOT IN (SELECT customer_id FROM optouts))
ORDER BY s.spend DESC NULLS LAST, cm.customer_id"""


def members(db: Database, name: str, group: str, lang: str = "zh") -> pd.DataFrame:
    """One group's members, without contact details: buyer key, purchases, spend, last purchase, and
    the offer for the treatment group (a member who opted out after the campaign was created is left
    out of the treatment list: never contacted)."""
    if group not in GROUPS:
        raise KeyedError("campaign_error_group", value=group)
    cid = _id(db, name)
    offer = db.scalar("SELECT offer FROM campaigns WHERE campaign_id = ?", [cid])
    raw = db.frame(MEMBERS_SQL, [cid, group])
    out = pd.DataFrame({
        t("cohorts_col_name", lang): raw["customer_id"],
        t("campaign_col_group", lang): t(f"campaign_group_{group}", lang),
        t("cohorts_col_purchases", lang): raw["purchases"].fillna(0).astype("int64"),
        t("cohorts_col_spend", lang): [float(v) if v is not None and v == v else 0.0 for v in raw["spend"]],
        t("cohorts_col_last_purchase", lang): [v.strftime("%Y-%m-%d") if v is not None and v == v else ""
                                                for v in raw["last_purchase_at"]],
    })
    if group == "treatment" and offer:
        out[t("cohorts_col_offer", lang)] = offer
    return out


def contacted_sql(db: Database, name: str) -> Q:
    """SQL selecting `cust_no` of the contacted group (those who opted out since left out), for a
    contact tag (`tags.add_to_tag`). The holdout has no such query: it is never contacted."""
    return Q("SELECT cust_no FROM campaign_members WHERE campaign_id = $campaign_id AND grp = 'treatment' "
             "AND cust_no IS NOT NULL AND customer_id NOT IN (SELECT customer_id FROM optouts)", campaign_id=_id(db, name))


def member_keys(db: Database, name: str, group: str) -> list[str]:
    df = members(db, name, group, "en")
    return list(df.iloc[:, 0])


# -- effect -------------------------------------------------------------------------------------------
GROUP_SQL = """
WITH m AS (SELECT cust_no, grp FROM campaign_members WHERE campaign_id = ?),
w AS (SELECT o.cust_no, o.spend, o.amount FROM orders o
      WHERE o.is_purchase AND o.cust_no IN (SELECT cust_no FROM m WHERE cust_no IS NOT NULL)
        AND o.ordered_at >= ?::DATE AND o.ordered_at < ?::DATE + to_days(?::INTEGER)),
per AS (SELECT m.grp, m.cust_no, coalesce(sum(w.spend), 0)::DECIMAL(38,2) AS gmv, count(w.cust_no) AS n,
               coalesce(bool_or(w.amount >= ?::DECIMAL(18,2)), false) AS reached
        FROM m LEFT JOIN w ON w.cust_no = m.cust_no GROUP BY m.grp, m.cust_no)
SELECT grp, count(*) AS members, count(*) FILTER (WHERE n > 0) AS buyers, sum(gmv)::DECIMAL(38,2) AS gmv,
       sum(gmv::DOUBLE * gmv::DOUBLE) AS gmv_sq, count(*) FILTER (WHERE n > 0 AND reached) AS redeemed
FROM per GROUP BY grp"""


def _welch(m1: float, v1: float, n1: int, m2: float, v2: float, n2: int) -> tuple[float | None, float | None]:
    """Welch's 95 % interval for the difference of two means (m1 − m2), from means, variances, sizes."""
    from scipy import stats
    if n1 < 2 or n2 < 2:
        return None, None
    se2 = v1 / n1 + v2 / n2
    diff = m1 - m2
    if se2 <= 0:
        return diff, diff
    df = se2 ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    q = stats.t.ppf(1 - ALPHA / 2, df)
    return diff - q * math.sqrt(se2), diff + q * math.sqrt(se2)


def _newcombe(b1: int, n1: int, b2: int, n2: int) -> tuple[float | None, float | None]:
    """Newcombe's hybrid score 95 % interval for p1 − p2 (method 10 of Newcombe 1998)."""
    if n1 == 0 or n2 == 0:
        return None, None
    from statsmodels.stats.proportion import confint_proportions_2indep
    lo, hi = confint_proportions_2indep(b1, n1, b2, n2, method="newcomb", compare="diff", alpha=ALPHA)
    return float(lo), float(hi)


def _srm(observed: tuple[int, int], share: float | None) -> float | None:
    """p-value of the observed (treatment, holdout) sizes under the planned holdout share."""
    from scipy import stats
    n = sum(observed)
    if not share or share <= 0 or share >= 1 or n == 0:
        return None
    expected = [n * (1 - share), n * share]
    return float(stats.chisquare(list(observed), expected).pvalue)


def status(db: Database, start: dt.date, window: int) -> str:
    """planned (no order on or after the start date yet), in_window (the data ends before the
    window's last day), measured (the data reaches the window's last day)."""
    last = db.scalar("SELECT max(ordered_at)::DATE FROM orders")
    if last is None or last < start:
        return "planned"
    if last < start + dt.timedelta(days=int(window) - 1):
        return "in_window"
    return "measured"


def report(db: Database, name: str, margin: float | None = None, message_cost: float | None = None,
           lang: str = "zh") -> dict:
    """The campaign's effect (see the module docstring), JSON-ready."""
    c = info(db, name)
    start, window = c["start_date"], int(c["window_days"])
    parsed = parse_offer(c["offer"])
    threshold = parsed[0] if parsed else Decimal("0")
    rows = {r[0]: r[1:] for r in db.query(GROUP_SQL, [c["campaign_id"], start, start, window, threshold])}
    groups = {}
    for g in GROUPS:
        n, buyers, gmv, gmv_sq, redeemed = rows.get(g, (0, 0, Decimal("0.00"), 0.0, 0))
        n, buyers = int(n), int(buyers)
        gmv = Decimal(gmv or 0)
        mean = float(gmv) / n if n else 0.0
        var = ((float(gmv_sq or 0) - n * mean * mean) / (n - 1)) if n > 1 else 0.0
        groups[g] = {"members": n, "buyers": buyers, "purchase_rate": (buyers / n) if n else None,
                     "gmv": float(gmv), "gmv_per_member": round(mean, 4) if n else None,
                     "_var": max(var, 0.0), "_redeemed": int(redeemed)}
    tr, ho = groups["treatment"], groups["holdout"]
    rate_diff = (tr["purchase_rate"] - ho["purchase_rate"]) if tr["members"] and ho["members"] else None
    rate_ci = _newcombe(tr["buyers"], tr["members"], ho["buyers"], ho["members"])
    gpm_diff = (tr["gmv_per_member"] - ho["gmv_per_member"]) if tr["members"] and ho["members"] else None
    gpm_ci = _welch(tr["gmv_per_member"] or 0, tr["_var"], tr["members"], ho["gmv_per_member"] or 0, ho["_var"],
                    ho["members"])
    inc_buyers = rate_diff * tr["members"] if rate_diff is not None else None
    inc_gmv = gpm_diff * tr["members"] if gpm_diff is not None else None
    if rate_ci[0] is not None and rate_ci[0] > 0:
        verdict = "lift"
    elif rate_ci[1] is not None and rate_ci[1] < 0:
        verdict = "harm"
    else:
        verdict = "unclear"
    shop = settings(db)
    margin = margin if margin is not None else (c["margin"] if c["margin"] is not None else shop["campaign_margin"])
    message_cost = (message_cost if message_cost is not None else
                    (float(c["message_cost"]) if c["message_cost"] is not None else shop["campaign_message_cost"]))
    coupon_cost = float(parsed[1]) * tr["_redeemed"] if parsed else 0.0
    msg_cost = message_cost * tr["members"]
    profit = (inc_gmv * margin - coupon_cost - msg_cost) if inc_gmv is not None else None
    spent = coupon_cost + msg_cost
    st = status(db, start, window)
    srm_p = _srm((tr["members"], ho["members"]), c["holdout_share"]) if c["source"] == "cohort" else None
    for g in groups.values():
        g.pop("_var")
    out = {
        "name": c["name"], "channel": c["channel"], "start": start.isoformat(), "window_days": window,
        "window_end": (start + dt.timedelta(days=window)).isoformat(), "offer": c["offer"],
        "status": st, "source": c["source"], "holdout_share": c["holdout_share"], "seed": c["seed"],
        "treatment": {k: v for k, v in tr.items() if not k.startswith("_")},
        "holdout": {k: v for k, v in ho.items() if not k.startswith("_")},
        "lift": {"purchase_rate_diff": rate_diff, "purchase_rate_diff_ci": list(rate_ci),
                 "gmv_per_member_diff": gpm_diff, "gmv_per_member_diff_ci": list(gpm_ci),
                 "incremental_buyers": inc_buyers, "incremental_gmv": inc_gmv},
        "costs": {"redemptions": tr["_redeemed"], "coupon_cost": coupon_cost, "message_cost": msg_cost,
                  "margin": margin, "cost_per_message": message_cost,
                  "incremental_gross_profit": profit, "roi": (profit / spent) if (profit is not None and spent) else None},
        "verdict": verdict, "srm_p": srm_p, "srm_warning": srm_p is not None and srm_p < SRM_P,
    }
    out["verdict_text"] = verdict_text(out, lang)
    return out


def verdict_text(r: dict, lang: str) -> str:
    """The result in plain words: per 100 contacted, with the interval; never "no effect"."""
    lift = r["lift"]
    if lift["purchase_rate_diff"] is None:
        return t("campaign_verdict_empty", lang)
    lo, hi = lift["purchase_rate_diff_ci"]
    per100 = lambda v: f"{v * 100:.1f}"  # noqa: E731
    key = {"lift": "campaign_verdict_lift", "harm": "campaign_verdict_harm", "unclear": "campaign_verdict_unclear"}
    text = t(key[r["verdict"]], lang, diff=per100(abs(lift["purchase_rate_diff"])), lo=per100(lo), hi=per100(hi))
    if r["status"] != "measured":
        text += " " + t(f"campaign_status_note_{r['status']}", lang)
    return text


SETTINGS = {"contact_cap_days": 0, "campaign_margin": 0.4, "campaign_message_cost": 0.05}


def settings(db: Database) -> dict:
    """The shop's campaign settings: contact_cap_days (the default frequency cap, 0 = none),
    campaign_margin and campaign_message_cost (for reports of campaigns that did not set them). A
    damaged value reads as its default."""
    out = {}
    for key, default in SETTINGS.items():
        try:
            out[key] = type(default)(float(db.get_setting(key) or default))
        except ValueError:
            out[key] = default
    return out


def save_settings(db: Database, cap_days: int, margin: float, message_cost: float) -> None:
    for key, value in (("contact_cap_days", int(cap_days)), ("campaign_margin", float(margin)),
                       ("campaign_message_cost", float(message_cost))):
        db.set_setting(key, str(value))
    db.bump_version()


def daily(db: Database, name: str) -> pd.DataFrame:
    """Day by day over the window: each group's cumulative purchase rate (buyers so far ÷ members)."""
    c = info(db, name)
    start, window = c["start_date"], int(c["window_days"])
    return db.frame("""
        WITH m AS (SELECT cust_no, grp FROM campaign_members WHERE campaign_id = ?),
        sizes AS (SELECT grp, count(*) AS n FROM m GROUP BY grp),
        firsts AS (SELECT m.grp, m.cust_no, min(o.ordered_at)::DATE AS d FROM m
                   JOIN orders o ON o.cust_no = m.cust_no AND o.is_purchase
                    AND o.ordered_at >= ?::DATE AND o.ordered_at < ?::DATE + to_days(?::INTEGER)
                   GROUP BY m.grp, m.cust_no),
        days AS (SELECT (?::DATE + to_days(i::INTEGER))::DATE AS day FROM range(?::INTEGER) r(i))
        SELECT d.day, s.grp, s.n AS members,
               (SELECT count(*) FROM firsts f WHERE f.grp = s.grp AND f.d <= d.day) AS buyers,
               (SELECT count(*) FROM firsts f WHERE f.grp = s.grp AND f.d <= d.day)::DOUBLE / s.n AS rate
        FROM days d CROSS JOIN sizes s ORDER BY d.day, s.grp""",
        [c["campaign_id"], start, start, window, start, window])


def list_campaigns(db: Database) -> list[dict]:
    """Every campaign with its status and results at a glance, newest first."""
    out = []
    for (name,) in db.query("SELECT name FROM campaigns ORDER BY start_date DESC, campaign_id DESC"):
        r = report(db, name)
        out.append({"name": name, "channel": r["channel"], "start": r["start"], "window_days": r["window_days"],
                    "status": r["status"], "treatment": r["treatment"]["members"],
                    "holdout": r["holdout"]["members"], "treatment_rate": r["treatment"]["purchase_rate"],
                    "holdout_rate": r["holdout"]["purchase_rate"], "lift": r["lift"]["purchase_rate_diff"],
                    "lift_ci": r["lift"]["purchase_rate_diff_ci"], "incremental_gmv": r["lift"]["incremental_gmv"],
                    "verdict": r["verdict"], "offer": r["offer"]})
    return out


def contact_history(db: Database, customer_id: str) -> pd.DataFrame:
    """A member's campaigns: name, group, start, window end, and whether they bought in the window."""
    return db.frame("""
        SELECT cp.name, cm.grp, cp.channel, cp.start_date,
               (cp.start_date + to_days(cp.window_days))::DATE AS window_end,
               count(o.order_key) AS purchases, coalesce(sum(o.spend), 0)::DECIMAL(38,2) AS gmv
        FROM campaign_members cm JOIN campaigns cp USING (campaign_id)
        LEFT JOIN orders o ON o.cust_no = cm.cust_no AND o.is_purchase AND o.ordered_at >= cp.start_date
              AND o.ordered_at < cp.start_date + to_days(cp.window_days)
        WHERE cm.customer_id = ?
        GROUP BY ALL ORDER BY cp.start_date DESC, cp.name""", [normalize_key(customer_id)])


def measured_rates(db: Database, stage: str | None = None, min_members: int = 50) -> dict | None:
    """What past campaigns measured, for the coupon sizing's sliders: the pooled treatment and
    holdout purchase rates of the measured campaigns with an offer (treatment rate → redemption,
    holdout rate → would come back anyway). Similar cohorts first: with `stage`, the campaigns whose
    members were mostly in that lifecycle stage, when there are any (`similar` says which were used).
    None without such a campaign."""
    rows, similar = [], []
    for (name, main) in db.query("""
            SELECT cp.name, (SELECT mode(split_part(stratum, ':', 2)) FROM campaign_members cm
                             WHERE cm.campaign_id = cp.campaign_id) AS main_stage
            FROM campaigns cp WHERE cp.offer IS NOT NULL ORDER BY cp.start_date DESC"""):
        r = report(db, name)
        if r["status"] == "measured" and r["treatment"]["members"] >= min_members and r["holdout"]["members"]:
            rows.append(r)
            if stage is not None and main == stage:
                similar.append(r)
    if similar:
        rows = similar
    if not rows:
        return None
    tb, tn = sum(r["treatment"]["buyers"] for r in rows), sum(r["treatment"]["members"] for r in rows)
    hb, hn = sum(r["holdout"]["buyers"] for r in rows), sum(r["holdout"]["members"] for r in rows)
    return {"redemption": tb / tn, "baseline": hb / hn, "campaigns": [r["name"] for r in rows],
            "treatment_members": tn, "holdout_members": hn, "similar": bool(similar)}


# -- the report file ----------------------------------------------------------------------------------
def report_xlsx(db: Database, name: str, lang: str = "zh") -> bytes:
    """The campaign report as XLSX (xlsxwriter): the figures, the definitions used, the group sizes,
    and the daily cumulative purchase rates."""
    import xlsxwriter
    r = report(db, name, lang=lang)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True})
    pct = wb.add_format({"num_format": "0.00%"})
    money = wb.add_format({"num_format": "#,##0.00"})
    ws = wb.add_worksheet(t("campaign_sheet_figures", lang)[:31])
    ws.set_column(0, 0, 34)
    ws.set_column(1, 3, 18)
    rows = [(t("campaign_name", lang), r["name"]), (t("campaign_channel", lang), t(f"channel_{r['channel']}", lang)),
            (t("campaign_start", lang), r["start"]), (t("campaign_window", lang), r["window_days"]),
            (t("campaign_window_end", lang), r["window_end"]), (t("campaign_offer", lang), r["offer"] or ""),
            (t("campaign_status", lang), t(f"campaign_status_{r['status']}", lang)),
            (t("campaign_verdict", lang), r["verdict_text"])]
    for i, (k, v) in enumerate(rows):
        ws.write(i, 0, k, bold)
        ws.write(i, 1, v)
    top = len(rows) + 1
    ws.write_row(top, 0, ["", t("campaign_group_treatment", lang), t("campaign_group_holdout", lang),
                          t("campaign_lift", lang)], bold)
    lift = r["lift"]
    table = [
        ("campaign_members", "members", None, None), ("campaign_buyers", "buyers", None, None),
        ("campaign_rate", "purchase_rate", lift["purchase_rate_diff"], pct),
        ("campaign_gmv", "gmv", None, money),
        ("campaign_gmv_per_member", "gmv_per_member", lift["gmv_per_member_diff"], money)]
    for j, (label, key, diff, fmt) in enumerate(table, start=top + 1):
        ws.write(j, 0, t(label, lang), bold)
        for col, g in ((1, "treatment"), (2, "holdout")):
            v = r[g][key]
            ws.write(j, col, v if v is not None else "", fmt)
        if diff is not None:
            ws.write(j, 3, diff, fmt)
    j = top + len(table) + 2
    extra = [("campaign_rate_ci", "{:.2%} ~ {:.2%}", lift["purchase_rate_diff_ci"]),
             ("campaign_gmv_ci", "{:,.2f} ~ {:,.2f}", lift["gmv_per_member_diff_ci"])]
    for label, fmt, ci in extra:
        ws.write(j, 0, t(label, lang), bold)
        ws.write(j, 1, fmt.format(*ci) if ci[0] is not None else "")
        j += 1
    for label, v in (("campaign_incremental_buyers", lift["incremental_buyers"]),
                     ("campaign_incremental_gmv", lift["incremental_gmv"]),
                     ("campaign_redemptions", r["costs"]["redemptions"]),
                     ("campaign_coupon_cost", r["costs"]["coupon_cost"]),
                     ("campaign_message_cost", r["costs"]["message_cost"]),
                     ("campaign_profit", r["costs"]["incremental_gross_profit"]),
                     ("campaign_roi", r["costs"]["roi"])):
        ws.write(j, 0, t(label, lang), bold)
        ws.write(j, 1, v if v is not None else "", money if label != "campaign_roi" else pct)
        j += 1
    if r["srm_warning"]:
        ws.write(j + 1, 0, t("campaign_srm_warning", lang, p=f"{r['srm_p']:.2g}"))
    ds = wb.add_worksheet(t("campaign_sheet_definitions", lang)[:31])
    ds.set_column(0, 0, 120)
    for i, key in enumerate(("campaign_def_groups", "campaign_def_window", "campaign_def_rate", "campaign_def_lift",
                             "campaign_def_costs", "campaign_def_verdict")):
        ds.write(i, 0, t(key, lang))
    gs = wb.add_worksheet(t("campaign_sheet_groups", lang)[:31])
    gs.write_row(0, 0, [t("campaign_group", lang), t("campaign_members", lang), t("campaign_planned_share", lang)],
                 bold)
    total = r["treatment"]["members"] + r["holdout"]["members"]
    for i, g in enumerate(GROUPS, start=1):
        planned = (r["holdout_share"] if g == "holdout" else 1 - r["holdout_share"]) if r["holdout_share"] is not None \
            else None
        gs.write_row(i, 0, [t(f"campaign_group_{g}", lang), r[g]["members"], planned if planned is not None else ""])
    gs.write(3, 0, t("campaign_total", lang))
    gs.write(3, 1, total)
    dd = wb.add_worksheet(t("campaign_sheet_daily", lang)[:31])
    df = daily(db, name)
    dd.write_row(0, 0, [t("campaign_day", lang), t("campaign_group", lang), t("campaign_buyers", lang),
                        t("campaign_rate", lang)], bold)
    for i, row in enumerate(df.itertuples(), start=1):
        dd.write_row(i, 0, [row.day.isoformat(), t(f"campaign_group_{row.grp}", lang), int(row.buyers)])
        dd.write(i, 3, float(row.rate), pct)
    wb.close()
    return buf.getvalue()


# -- summary lines for the command line ---------------------------------------------------------------
def report_lines(r: dict, lang: str) -> list[str]:
    lines = [f"{r['name']} · {t('channel_' + r['channel'], lang)} · {r['start']} + {r['window_days']}d · "
             f"{t('campaign_status_' + r['status'], lang)}"]
    for g in GROUPS:
        x = r[g]
        lines.append(f"  {t('campaign_group_' + g, lang)}: {fmt_int(x['members'], lang)} · "
                     f"{t('campaign_buyers', lang)} {fmt_int(x['buyers'], lang)} · "
                     f"{fmt_pct(x['purchase_rate'], lang, 2)} · {fmt_money(x['gmv'], lang)}")
    lines.append("  " + r["verdict_text"])
    if r["srm_warning"]:
        lines.append("  ! " + t("campaign_srm_warning", lang, p=f"{r['srm_p']:.2g}"))
    return lines


def to_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=lambda v: v.isoformat() if hasattr(v, "isoformat")
                      else float(v) if isinstance(v, Decimal) else str(v))
