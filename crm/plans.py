"""Contact plans (自动化营销): a saved cohort — or "birthday in the next N days" — contacted on a
cadence with a holdout and a frequency cap. `run_due(db, today)` creates the campaigns that are due
(one per plan and run, named "<plan> <date>", starting that day) and writes each contacted group's
target list, so a scheduler (cron, Task Scheduler) can run `python -m crm campaign run-due` daily.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from . import campaigns as C
from .cohorts import CohortSpec, KeyedError, load_cohort
from .db import Database
from .exports import safe_filename, to_csv_bytes
from .levels import load_rules
from .segments import load_thresholds
from .summary import default_as_of

CADENCES = {"daily": 1, "weekly": 7, "monthly": None}


def _next(day: dt.date, cadence: str) -> dt.date:
    if cadence == "monthly":
        y, m = (day.year + (day.month == 12), day.month % 12 + 1)
        last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
        return dt.date(y, m, min(day.day, last))
    return day + dt.timedelta(days=CADENCES[cadence])


def save_plan(db: Database, name: str, *, cohort_name: str | None = None, birthday_days: int | None = None,
              cadence: str = "weekly", holdout: float = C.DEFAULT_HOLDOUT, cap_days: int | None = None,
              channel: str = "sms", window: int = C.DEFAULT_WINDOW, offer: str | None = None,
              first: dt.date | None = None) -> None:
    name = (name or "").strip()
    if not name:
        raise KeyedError("campaign_error_name")
    if (cohort_name is None) == (birthday_days is None):
        raise KeyedError("plan_error_kind")
    if cadence not in CADENCES:
        raise KeyedError("plan_error_cadence", value=cadence, valid=", ".join(CADENCES))
    if cohort_name is not None:
        load_cohort(db, cohort_name)              # refuses an unknown name
    if birthday_days is not None and not (0 <= birthday_days <= 60):
        raise KeyedError("plan_error_birthday_days", value=birthday_days)
    C._check_share(holdout)
    C.parse_offer(offer)
    if channel not in C.CHANNELS:
        raise KeyedError("campaign_error_channel", value=channel, valid=", ".join(C.CHANNELS))
    with db.write() as cur:
        if cur.execute("SELECT count(*) FROM contact_plans WHERE name = ?", [name]).fetchall()[0][0]:
            raise KeyedError("plan_error_exists", name=name)
        pid = cur.execute("SELECT coalesce(max(plan_id), 0) + 1 FROM contact_plans").fetchall()[0][0]
        cur.execute("INSERT INTO contact_plans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true, ?)",
                    [pid, name, "birthday" if birthday_days is not None else "cohort", cohort_name, birthday_days,
                     cadence, float(holdout), cap_days, channel, int(window), offer, first or dt.date.today(),
                     dt.datetime.now()])


def list_plans(db: Database) -> list[dict]:
    cols = ["name", "kind", "cohort_name", "birthday_days", "cadence", "holdout_share", "cap_days", "channel",
            "window_days", "offer", "next_due", "active"]
    return [dict(zip(cols, r)) for r in db.query(f"SELECT {', '.join(cols)} FROM contact_plans ORDER BY name")]


def delete_plan(db: Database, name: str) -> None:
    with db.write() as cur:
        if not cur.execute("SELECT count(*) FROM contact_plans WHERE name = ?", [name]).fetchall()[0][0]:
            raise KeyedError("plan_error_unknown", name=name)
        cur.execute("DELETE FROM contact_plans WHERE name = ?", [name])


def run_due(db: Database, today: dt.date, out_dir: Path, lang: str = "zh") -> list[dict]:
    """Create one campaign for every active plan due on or before `today` and write its contacted
    group as a CSV target list under `out_dir`; move each plan's next date past today."""
    done = []
    as_of = default_as_of(db)
    if as_of is None:
        return done
    rules, thresholds = load_rules(db), load_thresholds(db)
    cap_default = C.settings(db)["contact_cap_days"]
    for p in list_plans(db):
        if not p["active"] or p["next_due"] > today:
            continue
        spec = (load_cohort(db, p["cohort_name"]) if p["kind"] == "cohort"
                else CohortSpec(birthday_within_days=p["birthday_days"]))
        cap = p["cap_days"] if p["cap_days"] is not None else (cap_default or None)
        if cap:
            spec = spec.with_(not_contacted_days=cap)
        name = f"{p['name']} {today.isoformat()}"
        out = C.create(db, name, spec, as_of, holdout=p["holdout_share"], start=today, window=p["window_days"],
                       offer=p["offer"], channel=p["channel"], rules=rules, thresholds=thresholds)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / safe_filename(f"{name}.csv")
        path.write_bytes(to_csv_bytes(C.members(db, name, "treatment", lang)))
        out["file"] = str(path.resolve())
        done.append(out)
        nxt = p["next_due"]
        while nxt <= today:
            nxt = _next(nxt, p["cadence"])
        with db.write() as cur:
            cur.execute("UPDATE contact_plans SET next_due = ? WHERE name = ?", [nxt, p["name"]])
    return done
