"""Purchase-amount charts: band distributions (share of purchases or buyers next to share of GMV),
the Pareto curve of buyer spend, and 笔单价 / 客单价 by member level.

Segment ids in `customdata`: the band id ("50-100", "1000+") on band bars, "top_20" on the
Pareto headline markers, the level code on level bars.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..i18n import fmt_int, fmt_money, fmt_pct, t
from ..levels import level_name
from . import PALETTE, style


def _fmt_share(v, lang: str) -> str:
    return fmt_pct(v, lang) if v is not None and not pd.isna(v) else "—"


def band_bars(df: pd.DataFrame, lang: str, count_col: str, title: str) -> go.Figure:
    """Grouped bars per band: share of purchases (count_col='purchases') or of buyers
    (count_col='buyers'), and share of GMV. x = band labels in order; customdata = band id."""
    count_name = t("amount_share_purchases" if count_col == "purchases" else "amount_share_buyers", lang)
    count_word = t("metric_orders" if count_col == "purchases" else "metric_buyers", lang)
    hover = [f"<b>{r['label']}</b><br>{count_word}: {fmt_int(r[count_col], lang)} ({_fmt_share(r['share'], lang)})"
             f"<br>{t('metric_gmv', lang)}: {fmt_money(r['gmv'], lang)} ({_fmt_share(r['gmv_share'], lang)})"
             for r in df.to_dict("records")]
    x = list(df["label"])
    ids = list(df["band"])

    def ys(col):
        return [None if v is None or pd.isna(v) else float(v) for v in df[col]]
    fig = go.Figure([
        go.Bar(x=x, y=ys("share"), name=count_name, marker_color=PALETTE[1], customdata=ids,
               hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"),
        go.Bar(x=x, y=ys("gmv_share"), name=t("amount_share_gmv", lang), marker_color=PALETTE[0], customdata=ids,
               hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"),
    ])
    axis = t("amount_axis_order_value" if count_col == "purchases" else "amount_axis_buyer_spend", lang)
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_xaxes(title_text=axis, type="category")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return style(fig, title)


def pareto_curve(curve: pd.DataFrame, tops: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """Cumulative share of buyers' GMV (y) against the share of buyers ranked by spend (x), with the
    line of equal spend for reference and a marker at each headline top x % (customdata 'top_x')."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color="#bbb", dash="dot"),
                             name=t("amount_pareto_equal", lang), hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=curve["buyer_share"], y=curve["gmv_share"], mode="lines", line=dict(color=PALETTE[0], width=3),
        name=t("amount_pareto_curve", lang),
        hovertemplate=t("amount_pareto_hover", lang, buyers="%{x:.1%}", gmv="%{y:.1%}") + "<extra></extra>"))
    if len(tops):
        shown = tops[tops["gmv_share"].notna()]
        text = [t("amount_pareto_marker", lang, pct=int(r["pct"]), share=fmt_pct(r["gmv_share"], lang))
                for r in shown.to_dict("records")]
        hover = [t("amount_pareto_top_hover", lang, pct=int(r["pct"]), buyers=fmt_int(r["buyers"], lang),
                   gmv=fmt_money(r["gmv"], lang), share=fmt_pct(r["gmv_share"], lang))
                 for r in shown.to_dict("records")]
        fig.add_trace(go.Scatter(
            x=[p / 100 for p in shown["pct"]], y=[float(v) for v in shown["gmv_share"]], mode="markers+text",
            marker=dict(size=10, color=PALETTE[3]), text=text, textposition="bottom right",
            customdata=[f"top_{int(p)}" for p in shown["pct"]], hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>", name=t("amount_pareto_tops", lang)))
    fig.update_xaxes(title_text=t("amount_pareto_x", lang), tickformat=".0%", range=[0, 1.02])
    fig.update_yaxes(title_text=t("amount_pareto_y", lang), tickformat=".0%", range=[0, 1.05])
    return style(fig, title, height=420)


def level_bars(df: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """笔单价 and 客单价 per member level, grouped; customdata = level code."""
    x = [level_name(c, lang) for c in df["level_code"]]
    codes = [int(c) for c in df["level_code"]]
    fig = go.Figure()
    for col, key, color in (("avg_order_value", "metric_aov", PALETTE[1]),
                            ("avg_spend_per_buyer", "metric_aspb", PALETTE[0])):
        name = t(key, lang)
        hover = [f"<b>{lv}</b><br>{name}: {fmt_money(r[col], lang)}<br>{t('metric_buyers', lang)}: "
                 f"{fmt_int(r['buyers'], lang)} · {t('metric_orders', lang)}: {fmt_int(r['purchases'], lang)}"
                 for lv, r in zip(x, df.to_dict("records"))]
        fig.add_trace(go.Bar(x=x, y=[None if v is None or pd.isna(v) else float(v) for v in df[col]], name=name,
                             marker_color=color, customdata=codes, hovertext=hover,
                             hovertemplate="%{hovertext}<extra></extra>"))
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_xaxes(type="category")
    fig.update_yaxes(tickprefix="¥", tickformat=",.0f", rangemode="tozero")
    return style(fig, title)
