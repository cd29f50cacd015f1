"""Ready-made cohorts (presets) and the cohorts a user saved (definitions, never member lists)."""
from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from ..db import Database
from ..errors import KeyedError
from ..filters import Filters
from ..i18n import t
from ..levels import LevelRules
from ..metrics import buyer_facts
from ..numbers import CENT
from ..segments import LifecycleThresholds
from ..sql import Q
from .spec import CohortSpec


# -- presets ---------------------------------------------------------------------------------------
PRESETS = ("dormant", "sleeping_high_value", "one_time_30_90", "vip_quiet", "valuable_slipping")
FALLBACK_CYCLE_DAYS = 90


def preset_name(preset_id: str, lang: str) -> str:
    return t(f"cohorts_preset_{preset_id}", lang)


def preset_basis(db: Database, as_of: dt.date, rules: LevelRules | None = None) -> dict:
    """What the presets are computed from: usage_cycle_days (median gap between purchase days, all
    history up to the as-of date; None without gaps), cycle_days (the same, or the 90-day fallback),
    spend_p75 (P75 of buyers' spend up to the as-of date, rounded up to the cent; None without buyers)."""
    from ..analysis.timing import usage_cycle
    f = Filters(as_of=as_of, rules=rules or LevelRules())
    median = usage_cycle(db, f)["median_days"]
    p75 = db.scalar(Q("SELECT quantile_cont(spend::DOUBLE, 0.75) FROM ({buyers}) s").fill(
        buyers=buyer_facts(f, ("spend",))))
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
