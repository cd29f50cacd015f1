"""Campaign charts: each group's cumulative purchase rate, day by day over the window."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..i18n import t
from . import PALETTE, style


def cumulative_rate(daily: pd.DataFrame, lang: str) -> go.Figure:
    """One line per group (contacted, holdout): buyers so far ÷ members, by day of the window."""
    fig = go.Figure()
    for grp, color in (("treatment", PALETTE[0]), ("holdout", PALETTE[3])):
        d = daily[daily["grp"] == grp]
        fig.add_trace(go.Scatter(x=list(d["day"]), y=list(d["rate"]), mode="lines+markers",
                                 name=t(f"campaign_group_{grp}", lang), line={"color": color},
                                 hovertemplate="%{x|%Y-%m-%d} · %{y:.2%}<extra>" + t(f"campaign_group_{grp}", lang)
                                               + "</extra>"))
    fig.update_yaxes(title=t("campaign_rate", lang), tickformat=".1%", rangemode="tozero")
    return style(fig, t("campaign_chart_daily", lang), height=340)
