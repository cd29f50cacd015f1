"""Cohorts (人群): who to talk to. A cohort is a *definition* (`CohortSpec`), evaluated against the
data as of a date; saved cohorts store the definition, never a member list, so they re-evaluate
on new data by themselves.

Definitions (README, "Definitions"):
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

Every value reaches SQL as a bound, named parameter. Validation problems raise `KeyedError` (a
ValueError whose `key` is a message key of crm/locales/cohorts.py).

The package: `spec` (the definition), `conditions` (the registry: each condition's SQL and words),
`query` (the base population, the cohort's SQL and figures), `lists` (target lists, masking),
`saved` (presets and saved cohorts).
"""
from ..errors import KeyedError
from .conditions import CONDITIONS, CONTACTED_SQL, OPTED_OUT_SQL, describe, where
from .lists import (CONTACT_COLUMNS, DEFAULT_COLUMNS, LIST_COLUMNS, mask_address, mask_name, mask_phone,
                    member_list)
from .query import (COHORT_COLUMNS, base_sql, cohort_sql, complete_history, evaluate, members_sql,
                    order_value_counts, prepare, report)
from .saved import (NAME_MAX, PRESETS, delete_cohort, list_cohorts, load_cohort, preset_basis, preset_name, presets,
                    save_cohort)
from .spec import SCORE_FIELDS, CohortSpec

__all__ = ["CONDITIONS", "CONTACTED_SQL", "OPTED_OUT_SQL", "describe", "where", "CONTACT_COLUMNS", "DEFAULT_COLUMNS",
           "LIST_COLUMNS", "mask_address", "mask_name", "mask_phone", "member_list", "COHORT_COLUMNS", "base_sql",
           "cohort_sql", "complete_history", "evaluate", "order_value_counts", "members_sql", "prepare", "report",
           "NAME_MAX", "PRESETS",
           "delete_cohort", "list_cohorts", "load_cohort", "preset_basis", "preset_name", "presets", "save_cohort",
           "SCORE_FIELDS", "CohortSpec", "KeyedError"]
