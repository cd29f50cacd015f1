"""Purchase count charts: buyers and GMV by purchase-count group, and the repeat funnel.

Bars carry a segment id in `customdata` (the group id "1" … "11+", or the funnel step k = buyers
with ≥ k purchases), so a click can open that cohort.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .. import i18n
from . import PALETTE, style


def group_label(group: str, lang: str) -> str:
    """'1' → 1 笔 / 1 purchase, '4-5' → 4–5 笔, '11+' → 11 笔及以上."""
    if group.endswith("+"):
        return i18n.t("counts_group_open", lang, lo=group[:-1])
    if "-" in group:
        lo, hi = group.split("-")
        return i18n.t("counts_group_range", lang, lo=lo, hi=hi)
    if group == "1":
        return i18n.t("counts_group_one", lang)
    return i18n.t("counts_group_exact", lang, n=group)


def step_label(step: int, lang: str) -> str:
    return i18n.t("counts_step_label", lang, n=step)


def _share(v, lang: str) -> str:
    return i18n.fmt_pct(v, lang)


def groups_chart(df: pd.DataFrame, lang: str) -> go.Figure:
    """Share of buyers next to share of GMV for each purchase-count group (customdata = group id)."""
    labels = [group_label(g, lang) for g in df["group"]]
    hover = [i18n.t("counts_hover_group", lang, group=lab, buyers=i18n.fmt_int(r.buyers, lang),
                    buyer_share=_share(r.buyer_share, lang), gmv=i18n.fmt_money(r.gmv, lang),
                    gmv_share=_share(r.gmv_share, lang), aspb=i18n.fmt_money(r.avg_spend_per_buyer, lang))
             for lab, r in zip(labels, df.itertuples())]
    ids = list(df["group"])
    buyer_share = [0.0 if v is None else float(v) for v in df["buyer_share"]]
    gmv_share = [0.0 if v is None else float(v) for v in df["gmv_share"]]
    fig = go.Figure([
        go.Bar(x=labels, y=buyer_share, name=i18n.t("counts_series_buyer_share", lang), customdata=ids,
               hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", marker_color=PALETTE[1],
               text=[_share(v, lang) for v in buyer_share], textposition="outside"),
        go.Bar(x=labels, y=gmv_share, name=i18n.t("counts_series_gmv_share", lang), customdata=ids,
               hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", marker_color=PALETTE[0],
               text=[_share(v, lang) for v in gmv_share], textposition="outside"),
    ])
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, max(buyer_share + gmv_share + [0.01]) * 1.15])
    fig.update_xaxes(title=i18n.t("counts_axis_purchases", lang))
    return style(fig, i18n.t("counts_groups_title", lang))


def funnel_chart(df: pd.DataFrame, lang: str) -> go.Figure:
    """Share of buyers who reached their k-th purchase, k = 1 … 5 (customdata = k)."""
    labels = [step_label(int(s), lang) for s in df["step"]]
    hover = []
    for lab, r in zip(labels, df.itertuples()):
        text = i18n.t("counts_hover_step", lang, step=lab, buyers=i18n.fmt_int(r.buyers, lang),
                      share=_share(r.share, lang))
        if r.step > 1:
            days = "—" if r.median_days is None else f"{float(r.median_days):,.1f}"
            text += "<br>" + i18n.t("counts_hover_step_more", lang, conversion=_share(r.conversion, lang),
                                    days=days)
        hover.append(text)
    shares = [float(v) for v in df["share"]]
    fig = go.Figure(go.Bar(x=labels, y=shares, customdata=[int(s) for s in df["step"]], hovertext=hover,
                           hovertemplate="%{hovertext}<extra></extra>", marker_color=PALETTE[4],
                           text=[_share(v, lang) for v in shares], textposition="outside"))
    fig.update_layout(showlegend=False)
    fig.update_yaxes(tickformat=".0%", range=[0, max(shares + [0.01]) * 1.15])
    return style(fig, i18n.t("counts_funnel_title", lang))
