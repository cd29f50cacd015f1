"""Lifecycle stages and RFM scores: the segments the lifecycle page shows and cohorts build on.

Definitions (README, "Definitions"):
- Days since last purchase (未购天数): whole calendar days between the date of the customer's last
  purchase up to the as-of date and the as-of date. Only customers with at least one purchase up
  to the as-of date have one; customers known only from a member export have no stage.
- Lifecycle stage (生命周期) by days since last purchase, thresholds editable (defaults 15/90/180/365):
  售后期 after_sale ≤ 15 < 活跃期 active ≤ 90 < 沉默期 silent ≤ 180 < 睡眠期 sleeping ≤ 365 < 流失期 lost.
- RFM: R from days since last purchase, F from the number of purchases, M from total spend, each
  scored 1–5 by fixed, visible, editable cut points (not quantiles: when most buyers bought once,
  quantile cut points collapse). A value lands in the score of the band [cut_i, cut_i+1).
  R: fewer days is better (score 5 = most recent). Segments (the common 8-class model): a score is
  "high" when it is ≥ 3 (R, M) or ≥ 2 (F: bought more than once by default).

`customer_facts_sql(f)` is the one place that says what a customer's purchase history is: every
purchase up to the as-of date (the order date range does not cut history), with the sidebar's
level / province / platform / shop filters.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal

from .db import Database
from .filters import Filters
from .sql import Q

STAGES = ("after_sale", "active", "silent", "sleeping", "lost")
STAGE_NAMES = {
    "zh": {"after_sale": "售后期", "active": "活跃期", "silent": "沉默期", "sleeping": "睡眠期", "lost": "流失期"},
    "en": {"after_sale": "After-sale", "active": "Active", "silent": "Silent", "sleeping": "Sleeping",
           "lost": "Lost"},
}


def stage_name(stage: str | None, lang: str) -> str:
    if stage is None:
        return "—"
    return STAGE_NAMES.get(lang, STAGE_NAMES["en"]).get(stage, stage)


@dataclass(frozen=True)
class LifecycleThresholds:
    """Upper bounds (days since last purchase, inclusive) of the first four stages."""
    after_sale: int = 15
    active: int = 90
    silent: int = 180
    sleeping: int = 365

    def bounds(self) -> tuple[int, int, int, int]:
        return (self.after_sale, self.active, self.silent, self.sleeping)

    def validate(self) -> list[str]:
        b = self.bounds()
        problems = []
        if any(v < 0 for v in b):
            problems.append("segments_negative")
        if any(y <= x for x, y in zip(b, b[1:])):
            problems.append("segments_not_rising")
        return problems

    def stage_of(self, days: int | None) -> str | None:
        if days is None:
            return None
        for stage, hi in zip(STAGES, self.bounds()):
            if days <= hi:
                return stage
        return "lost"

    def range_of(self, stage: str) -> tuple[int, int | None]:
        """(lowest, highest or None) days since last purchase of a stage."""
        b = (-1,) + self.bounds()
        i = STAGES.index(stage)
        return (b[i] + 1 if i else 0, b[i + 1] if i < 4 else None)

    def stage_sql(self, days_col: str = "days_since_last") -> Q:
        """The stage of a number of days since the last purchase (parameters `$stage_bound_<i>`)."""
        parts = " ".join(f"WHEN {days_col} <= $stage_bound_{i} THEN '{s}'" for i, s in enumerate(STAGES[:4]))
        return Q(f"CASE WHEN {days_col} IS NULL THEN NULL {parts} ELSE 'lost' END", **self._bound_params())

    def stage_no_sql(self, days_col: str = "days_since_last") -> Q:
        """As `stage_sql`, the stage's position in STAGES (0 = after_sale … 4 = lost): cheaper to group by."""
        parts = " ".join(f"WHEN {days_col} <= $stage_bound_{i} THEN {i}" for i in range(4))
        return Q(f"CASE WHEN {days_col} IS NULL THEN NULL {parts} ELSE 4 END", **self._bound_params())

    def _bound_params(self) -> dict:
        return {f"stage_bound_{i}": b for i, b in enumerate(self.bounds())}

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> "LifecycleThresholds":
        if not text:
            return cls()
        try:  # a damaged setting falls back to the defaults rather than breaking every page
            d = json.loads(text)
            t = cls(**{k: int(v) for k, v in d.items() if k in ("after_sale", "active", "silent", "sleeping")})
        except (ValueError, TypeError, AttributeError):
            return cls()
        return cls() if t.validate() else t


SETTING_KEY = "lifecycle_thresholds"


def load_thresholds(db: Database) -> LifecycleThresholds:
    return LifecycleThresholds.from_json(db.get_setting(SETTING_KEY))


def save_thresholds(db: Database, t: LifecycleThresholds) -> None:
    db.set_setting(SETTING_KEY, t.to_json())


@dataclass(frozen=True)
class RfmCuts:
    """Lower bounds of scores 2–5 (score 1 below the first). Recency is in days and scores the
    other way round: days ≤ recency[0] → R5, ≤ recency[1] → R4, …, > recency[3] → R1."""
    recency: tuple[int, int, int, int] = (30, 90, 180, 365)
    frequency: tuple[int, int, int, int] = (2, 3, 4, 6)          # 1 → F1, 2 → F2, 3 → F3, 4–5 → F4, 6+ → F5
    monetary: tuple[float, float, float, float] = (100, 200, 500, 1000)
    high_r: int = 3
    high_f: int = 2
    high_m: int = 3

    def validate(self) -> list[str]:
        problems = []
        for name, cuts in (("recency", self.recency), ("frequency", self.frequency), ("monetary", self.monetary)):
            if any(v < 0 for v in cuts):
                problems.append("segments_rfm_negative")
            if any(y <= x for x, y in zip(cuts, cuts[1:])):
                problems.append(f"segments_rfm_not_rising_{name}")
        return list(dict.fromkeys(problems))

    def score_sql(self, days_col: str, count_col: str, spend_col: str) -> Q:
        """Three SQL expressions `r, f, m` (comma-separated), parameters `$rfm_r_<i>`, `$rfm_f_<i>`, `$rfm_m_<i>`."""
        r = "CASE " + " ".join(f"WHEN {days_col} <= $rfm_r_{i} THEN {5 - i}" for i in range(4)) + " ELSE 1 END"
        f = "CASE " + " ".join(f"WHEN {count_col} >= $rfm_f_{i} THEN {5 - i}" for i in range(4)) + " ELSE 1 END"
        m = "CASE " + " ".join(f"WHEN {spend_col} >= $rfm_m_{i} THEN {5 - i}" for i in range(4)) + " ELSE 1 END"
        # money cut points as exact decimals: a spend of 99.99 against a cut of 99.99 is "on the cut"
        params = {f"rfm_r_{i}": v for i, v in enumerate(self.recency)}
        params |= {f"rfm_f_{i}": v for i, v in enumerate(reversed(self.frequency))}
        params |= {f"rfm_m_{i}": Decimal(str(v)) for i, v in enumerate(reversed(self.monetary))}
        return Q(f"{r} AS r, {f} AS f, {m} AS m", **params)

    def segment(self, r: int, f: int, m: int) -> str:
        key = ("h" if r >= self.high_r else "l") + ("h" if f >= self.high_f else "l") + ("h" if m >= self.high_m else "l")
        return RFM_SEGMENTS[key]

    def segment_sql(self) -> Q:
        """SQL expression over columns r, f, m giving the segment id."""
        whens = " ".join(
            f"WHEN (r >= $high_r) = {k[0] == 'h'} AND (f >= $high_f) = {k[1] == 'h'} AND (m >= $high_m) = {k[2] == 'h'} "
            f"THEN '{seg}'" for k, seg in RFM_SEGMENTS.items())
        return Q(f"CASE {whens} END", high_r=self.high_r, high_f=self.high_f, high_m=self.high_m)


# R/F/M high (h) or low (l) → segment id (the common 8-class RFM model).
RFM_SEGMENTS = {
    "hhh": "champions", "lhh": "win_back_vip", "hlh": "grow_high_value", "llh": "keep_high_value",
    "hhl": "potential", "hll": "new", "lhl": "maintain", "lll": "lost_low",
}
RFM_SEGMENT_NAMES = {
    "zh": {"champions": "重要价值客户", "win_back_vip": "重要唤回客户", "grow_high_value": "重要深耕客户",
           "keep_high_value": "重要挽留客户", "potential": "潜力客户", "new": "新客户",
           "maintain": "一般维持客户", "lost_low": "流失客户"},
    "en": {"champions": "Champions", "win_back_vip": "Valuable, to win back", "grow_high_value": "High spend, to develop",
           "keep_high_value": "High spend, at risk", "potential": "Potential loyalists", "new": "New customers",
           "maintain": "Regulars, to maintain", "lost_low": "Lost, low value"},
}


def segment_name(seg: str | None, lang: str) -> str:
    if seg is None:
        return "—"
    return RFM_SEGMENT_NAMES.get(lang, RFM_SEGMENT_NAMES["en"]).get(seg, seg)


def customer_facts_sql(f: Filters) -> Q:
    """One row per customer with a purchase up to the as-of date (level/province/platform/shop
    filters apply; the order date range does not): cust_no, first_purchase_at, last_purchase_at,
    purchases, spend (DECIMAL), days_since_last."""
    from .metrics import buyer_facts
    return buyer_facts(f, ("first_purchase_at", "last_purchase_at", "purchases", "spend", "days_since_last"))
