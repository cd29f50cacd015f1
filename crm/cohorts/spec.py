"""A cohort's definition (`CohortSpec`): the conditions, cleaned and checked; stored as JSON."""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, fields, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ..errors import KeyedError
from ..levels import LEVEL_CODES
from ..segments import STAGES


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
