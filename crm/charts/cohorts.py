"""Who is in a cohort, by member level and by lifecycle stage: lists of bars in plain HTML
(`crm.barlist`), one row per level or stage (all five, empty ones too), so a change of the cohort
draws no chart script in the browser."""
from __future__ import annotations

import pandas as pd

from ..barlist import bar_list_html
from ..i18n import fmt_int, fmt_money, fmt_pct, t
from ..levels import level_name
from ..segments import stage_name
from . import PALETTE


def _bars(names, df: pd.DataFrame, title: str, lang: str, color: str) -> str:
    rows = [(name, s, f"{fmt_pct(s, lang)} · {fmt_int(m, lang)}",
             f"{name}: " + t("cohortpage_chart_hover", lang, members=fmt_int(m, lang), share=fmt_pct(s, lang),
                             gmv=fmt_money(g, lang)))
            for name, m, s, g in zip(names, df["members"], df["share"], df["gmv"])]
    return bar_list_html(rows, title, color=color)


def level_mix(df: pd.DataFrame, lang: str) -> str:
    return _bars([level_name(c, lang) for c in df["level_code"]], df, t("cohorts_level_mix", lang), lang, PALETTE[6])


def stage_mix(df: pd.DataFrame, lang: str) -> str:
    return _bars([stage_name(s, lang) for s in df["stage"]], df, t("cohorts_stage_mix", lang), lang, PALETTE[1])
