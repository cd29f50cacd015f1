"""Member levels (会员等级): from a member export where one exists, otherwise from the shop's level
rules — Taobao-style cumulative spend OR purchase-count thresholds — which the user can edit.

Level codes: 0 店铺客户, 1 普通会员, 2 高级会员, 3 VIP会员, 4 至尊VIP会员.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

from .db import Database
from .sql import Q
from .importing.specs import TAOBAO_LEVELS

LEVEL_CODES = (0, 1, 2, 3, 4)
LEVEL_NAMES_ZH = TAOBAO_LEVELS  # '0' → '店铺客户' …
LEVEL_NAMES_EN = {"0": "Shop customer", "1": "Member", "2": "Senior member", "3": "VIP", "4": "Supreme VIP"}


def level_name(code: int | None, lang: str) -> str:
    if code is None:
        return "—"
    names = LEVEL_NAMES_ZH if lang == "zh" else LEVEL_NAMES_EN
    return names.get(str(int(code)), str(code))


@dataclass(frozen=True)
class LevelRules:
    """Thresholds to reach levels 1–4: cumulative spend (yuan) and/or purchases; None = not used.
    A customer reaches a level when either threshold is met (Taobao's 交易额 或 交易量)."""
    spend: tuple[float | None, float | None, float | None, float | None] = (200, 800, 2000, 5000)
    count: tuple[int | None, int | None, int | None, int | None] = (None, None, None, None)

    def validate(self) -> list[str]:
        """Problems as message keys: thresholds must rise with the level."""
        problems = []
        for name, values in (("spend", self.spend), ("count", self.count)):
            used = [v for v in values if v is not None]
            if any(v < 0 for v in used):
                problems.append(f"levels_rule_negative_{name}")
            if any(b <= a for a, b in zip(used, used[1:])):
                problems.append(f"levels_rule_not_rising_{name}")
        return problems

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> "LevelRules":
        """The saved rules; a damaged setting (not JSON, wrong shape, thresholds that do not rise)
        falls back to the defaults with a warning in the server log, rather than breaking every page."""
        if not text:
            return cls()
        try:
            d = json.loads(text)
            rules = cls(spend=tuple(d.get("spend", cls().spend)), count=tuple(d.get("count", cls().count)))
            if len(rules.spend) != 4 or len(rules.count) != 4 or rules.validate():
                raise ValueError("level rules out of shape")
        except (ValueError, TypeError, AttributeError) as e:
            logging.getLogger(__name__).warning("damaged level_rules setting (%s): using the defaults", e)
            return cls()
        return rules


SETTING_KEY = "level_rules"


def load_rules(db: Database) -> LevelRules:
    return LevelRules.from_json(db.get_setting(SETTING_KEY))


def save_rules(db: Database, rules: LevelRules) -> None:
    db.set_setting(SETTING_KEY, rules.to_json())


def rule_level_sql(rules: LevelRules, spend_col: str = "spend", count_col: str = "purchases",
                   name: str = "level") -> Q:
    """SQL expression: the level the rules give a customer with this spend and purchase count. Its
    thresholds are the parameters `$<name>_spend_<code>` / `$<name>_count_<code>` (another `name`
    for other rules in the same query)."""
    parts, params = [], {}
    for code in (4, 3, 2, 1):
        s, c = rules.spend[code - 1], rules.count[code - 1]
        conds = []
        if s is not None:
            conds.append(f"{spend_col} >= ${name}_spend_{code}")
            params[f"{name}_spend_{code}"] = s
        if c is not None:
            conds.append(f"{count_col} >= ${name}_count_{code}")
            params[f"{name}_count_{code}"] = c
        if conds:
            parts.append(f"WHEN {' OR '.join(conds)} THEN {code}")
    if not parts:
        return Q("0")
    return Q(f"CASE {' '.join(parts)} ELSE 0 END", **params)


CUSTOMER_LEVELS_SQL = """
    SELECT c.cust_no, coalesce(b.spend, 0) AS spend, coalesce(b.purchases, 0) AS purchases,
           {rule} AS rule_level, m.level_code AS export_level, {level} AS level_code
    FROM customers c
    LEFT JOIN ({buyers}) b ON b.cust_no = c.cust_no
    LEFT JOIN members m ON m.cust_no = c.cust_no
"""


def customer_levels_sql(rules: LevelRules, as_of, fast: bool = False) -> Q:
    """One row per known customer: cust_no, spend and purchases up to the as-of date, the level the
    rules give (`rule_level`), the exported level where there is one (`export_level`), and the
    level used everywhere (`level_code`: exported first, else the rules), as a sub-query.
    `fast=True` (only when the as-of date is on or after the latest order:
    `Filters.complete_history`) reads the per-customer totals kept by imports."""
    from .filters import Filters
    from .metrics import buyer_facts, level
    f = Filters(as_of=as_of, rules=rules, data_last_day=as_of if fast else None, fast=fast)
    spend, purchases = "coalesce(b.spend, 0)", "coalesce(b.purchases, 0)"
    return Q(CUSTOMER_LEVELS_SQL).fill(
        rule=rule_level_sql(rules, spend, purchases), level=level(rules, "m.level_code", spend, purchases),
        buyers=buyer_facts(f, ("spend", "purchases")))
