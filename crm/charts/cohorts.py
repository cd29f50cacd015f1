"""Cohort charts: who is in the cohort, by member level and by lifecycle stage.

Bars carry the level code / stage id in customdata, so a click can narrow the cohort."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..i18n import fmt_int, fmt_money, fmt_pct, t
from ..levels import level_name
from ..segments import stage_name
from . import PALETTE, style


def _bars(names, df: pd.DataFrame, ids, title: str, lang: str, color: str) -> go.Figure:
    hover = [t("cohortpage_chart_hover", lang, members=fmt_int(m, lang), share=fmt_pct(s, lang),
               gmv=fmt_money(g, lang)) for m, s, g in zip(df["members"], df["share"], df["gmv"])]
    fig = go.Figure(go.Bar(x=list(names), y=list(df["members"]), customdata=list(ids), marker_color=color,
                           hovertext=hover, hoverinfo="text+x",
                           text=[fmt_pct(s, lang, 0) for s in df["share"]], textposition="outside"))
    fig.update_yaxes(title=t("cohorts_members", lang))
    return style(fig, title, height=320)


def level_mix(df: pd.DataFrame, lang: str) -> go.Figure:
    return _bars([level_name(c, lang) for c in df["level_code"]], df, [int(c) for c in df["level_code"]],
                 t("cohorts_level_mix", lang), lang, PALETTE[1])


def stage_mix(df: pd.DataFrame, lang: str) -> go.Figure:
    return _bars([stage_name(s, lang) for s in df["stage"]], df, list(df["stage"]),
                 t("cohorts_stage_mix", lang), lang, PALETTE[0])
