"""Lifecycle & RFM (生命周期 / RFM): customers per stage split new vs returning, the R×F heatmap, the
M distribution, the 8 RFM segments, and the stage sizes at the last 12 month ends.

Every bar, cell or area that stands for a group of members carries its segment id in `customdata`
(stage id such as "active", RFM cell "R3F2", "M4", segment id such as "champions"), so a click can
open that cohort.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..i18n import fmt_int, fmt_money, fmt_pct
from ..segments import STAGES, segment_name, stage_name
from . import style

# From fresh to lost: warm to cold.
STAGE_COLORS = {"after_sale": "#E4572E", "active": "#FFC914", "silent": "#17BEBB", "sleeping": "#4E79A7",
                "lost": "#B8B8B8"}
SEGMENT_COLORS = {"champions": "#E4572E", "win_back_vip": "#F28E2B", "grow_high_value": "#FFC914",
                  "keep_high_value": "#8E6C8A", "potential": "#76B041", "new": "#17BEBB",
                  "maintain": "#4E79A7", "lost_low": "#B8B8B8"}

_T = {
    "zh": {"customers": "客户数", "new": "新客（仅 1 笔）", "returning": "老客（≥2 笔）", "gmv": "成交金额",
           "share": "占比", "aov": "笔单价", "aspb": "客单价", "r_axis": "R 分（最近一次购买，5 = 最近）",
           "f_axis": "F 分（成交笔数，5 = 最多）", "m_axis": "M 分（累计成交金额）", "month_end": "月末",
           "avg_days": "平均未购天数", "avg_purchases": "人均成交笔数", "days": "天", "gmv_share": "成交金额占比"},
    "en": {"customers": "Customers", "new": "New (1 purchase)", "returning": "Returning (2+)", "gmv": "GMV",
           "share": "Share", "aov": "Avg order value", "aspb": "Avg spend per buyer",
           "r_axis": "R score (last purchase, 5 = most recent)", "f_axis": "F score (purchases, 5 = most)",
           "m_axis": "M score (total spend)", "month_end": "Month end", "avg_days": "Avg days since last purchase",
           "avg_purchases": "Avg purchases", "days": "days", "gmv_share": "GMV share"},
}


def _t(lang: str) -> dict:
    return _T["zh" if lang == "zh" else "en"]


def _f(v) -> float:
    return 0.0 if v is None or pd.isna(v) else float(v)


def stage_bars(stages: pd.DataFrame, lang: str, title: str | None = None) -> go.Figure:
    """Stacked bars per stage (after-sale → lost): new and returning customers; the bar is labelled
    with the stage's customers and share, the hover adds GMV, 笔单价 and 客单价."""
    t = _t(lang)
    names = [stage_name(s, lang) for s in stages["stage"]]
    ids = list(stages["stage"])
    details = [f"{n}<br>{t['customers']}: {fmt_int(c, lang)} ({fmt_pct(s, lang)})<br>{t['gmv']}: {fmt_money(g, lang)}"
               f"<br>{t['aov']}: {fmt_money(a, lang)} · {t['aspb']}: {fmt_money(b, lang)}"
               for n, c, s, g, a, b in zip(names, stages["customers"], stages["share"], stages["gmv"],
                                           stages["avg_order_value"], stages["avg_spend_per_buyer"])]
    fig = go.Figure()
    for col, color in (("new", "#17BEBB"), ("returning", "#E4572E")):
        values = [int(v) for v in stages[col]]
        fig.add_trace(go.Bar(
            x=names, y=values, name=t[col], marker_color=color, customdata=ids,
            hovertext=[f"{d}<br>{t[col]}: {fmt_int(v, lang)}" for d, v in zip(details, values)], hoverinfo="text"))
    totals = [int(v) for v in stages["customers"]]
    fig.add_trace(go.Scatter(
        x=names, y=totals, mode="text", text=[f"{fmt_int(c, lang)} · {fmt_pct(s, lang)}" for c, s in
                                              zip(totals, stages["share"])],
        textposition="top center", showlegend=False, hoverinfo="skip", cliponaxis=False))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(tickformat=",d", rangemode="tozero", range=[0, max(totals + [1]) * 1.18])
    return style(fig, title)


def rf_heatmap(grid: pd.DataFrame, lang: str, title: str | None = None) -> go.Figure:
    """5×5 heatmap, rows R5 (top) → R1, columns F1 → F5: customers per cell (hover adds GMV);
    customdata = "R3F2"."""
    t = _t(lang)
    rs, fs = [5, 4, 3, 2, 1], [1, 2, 3, 4, 5]
    cell = {(int(r.r), int(r.f)): r for r in grid.itertuples()}
    z = [[int(cell[(r, f)].customers) for f in fs] for r in rs]
    xs, ys = [f"F{f}" for f in fs], [f"R{r}" for r in rs]
    hover = [[f"R{r}F{f}<br>{t['customers']}: {fmt_int(cell[(r, f)].customers, lang)} "
              f"({fmt_pct(cell[(r, f)].share, lang)})<br>{t['gmv']}: {fmt_money(cell[(r, f)].gmv, lang)}"
              for f in fs] for r in rs]
    fig = go.Figure(go.Heatmap(
        z=z, x=xs, y=ys, colorscale=[[0, "#FFFFFF"], [0.0001, "#FDE8E1"], [1, "#E4572E"]], showscale=False,
        zmin=0, zmax=max(max(line) for line in z) or 1, customdata=[[f"R{r}F{f}" for f in fs] for r in rs],
        text=[[fmt_int(v, lang) if v else "" for v in line] for line in z], texttemplate="%{text}",
        hoverinfo="skip", xgap=2, ygap=2))
    # Heatmap cells cannot be selected: an invisible square marker on each cell carries the click.
    fig.add_trace(go.Scatter(
        x=[x for _ in rs for x in xs], y=[y for y in ys for _ in fs], mode="markers",
        marker=dict(symbol="square", size=44, color="rgba(0,0,0,0)"),
        customdata=[f"R{r}F{f}" for r in rs for f in fs], hovertext=[h for line in hover for h in line],
        hoverinfo="text", showlegend=False))
    fig.update_xaxes(title=t["f_axis"], showgrid=False, side="bottom")
    fig.update_yaxes(title=t["r_axis"], showgrid=False, autorange="reversed")  # R5 on top
    return style(fig, title, height=380)


def m_bars(m_dist: pd.DataFrame, labels: list[str], lang: str, title: str | None = None) -> go.Figure:
    """Bars per M score 1 → 5 (labels: the spend range of each score): customers, hover adds GMV;
    customdata = "M3"."""
    t = _t(lang)
    values = [int(v) for v in m_dist["customers"]]
    fig = go.Figure(go.Bar(
        x=labels, y=values, marker_color="#4E79A7", customdata=[f"M{int(m)}" for m in m_dist["m"]],
        text=[fmt_int(v, lang) for v in values], textposition="outside", cliponaxis=False,
        hovertext=[f"{lab}<br>{t['customers']}: {fmt_int(v, lang)} ({fmt_pct(s, lang)})<br>{t['gmv']}: {fmt_money(g, lang)}"
                   for lab, v, s, g in zip(labels, values, m_dist["share"], m_dist["gmv"])], hoverinfo="text"))
    fig.update_xaxes(title=t["m_axis"], type="category")
    fig.update_yaxes(tickformat=",d", rangemode="tozero", range=[0, max(values + [1]) * 1.18])
    fig.update_layout(showlegend=False)
    return style(fig, title, height=380)


def segment_bars(segments: pd.DataFrame, lang: str, title: str | None = None) -> go.Figure:
    """Horizontal bars, one per segment (model order, top to bottom): customers, labelled with the
    share of customers and of GMV; customdata = segment id."""
    t = _t(lang)
    df = segments.iloc[::-1]
    names = [segment_name(s, lang) for s in df["segment"]]
    values = [int(v) for v in df["customers"]]
    fig = go.Figure(go.Bar(
        y=names, x=values, orientation="h", customdata=list(df["segment"]),
        marker_color=[SEGMENT_COLORS[s] for s in df["segment"]],
        text=[f"{fmt_int(v, lang)} · {fmt_pct(s, lang)} | {t['gmv']} {fmt_pct(g, lang)}"
              for v, s, g in zip(values, df["share"], df["gmv_share"])],
        textposition="outside", cliponaxis=False,
        hovertext=[f"{n}<br>{t['customers']}: {fmt_int(v, lang)} ({fmt_pct(s, lang)})<br>{t['gmv']}: "
                   f"{fmt_money(g, lang)} ({fmt_pct(gs, lang)})<br>{t['avg_days']}: "
                   f"{'—' if d is None or pd.isna(d) else f'{float(d):,.0f}'}<br>{t['avg_purchases']}: "
                   f"{'—' if p is None or pd.isna(p) else f'{float(p):.2f}'}"
                   for n, v, s, g, gs, d, p in zip(names, values, df["share"], df["gmv"], df["gmv_share"],
                                                   df["avg_days"], df["avg_purchases"])],
        hoverinfo="text"))
    fig.update_xaxes(tickformat=",d", range=[0, max(values + [1]) * 1.55])
    fig.update_layout(showlegend=False)
    return style(fig, title, height=400)


def movement_area(movement: pd.DataFrame, lang: str, title: str | None = None) -> go.Figure:
    """Stacked areas: customers in each stage at each month end (oldest left); customdata = stage id."""
    t = _t(lang)
    fig = go.Figure()
    totals = movement.groupby("month_end")["customers"].sum()
    for stage in STAGES:
        part = movement[movement["stage"] == stage]
        name = stage_name(stage, lang)
        fig.add_trace(go.Scatter(
            x=[pd.Timestamp(d) for d in part["month_end"]], y=[int(v) for v in part["customers"]], name=name,
            mode="lines", stackgroup="stages", line=dict(width=0.5, color=STAGE_COLORS[stage]),
            fillcolor=STAGE_COLORS[stage], customdata=[stage] * len(part),
            hovertext=[f"{d:%Y-%m-%d} · {name}<br>{t['customers']}: {fmt_int(v, lang)} "
                       f"({fmt_pct(_f(v) / totals[d] if totals[d] else None, lang)})"
                       for d, v in zip(part["month_end"], part["customers"])],
            hoverinfo="text"))
    fig.update_xaxes(tickformat="%Y-%m", title=t["month_end"])
    fig.update_yaxes(tickformat=",d", rangemode="tozero", title=t["customers"])
    fig.update_layout(legend=dict(traceorder="normal"))
    return style(fig, title, height=400)


def weekly_moves(moves: pd.DataFrame, lang: str, title: str | None = None) -> go.Figure:
    """Per week: members who came back to after-sale (above zero, by the stage they came from) and
    members who slipped a stage down (below zero, by the stage they slipped into)."""
    from ..i18n import t as tr
    fig = go.Figure()
    weeks = sorted(moves["week_end"].unique()) if not moves.empty else []
    back = moves[moves["to_stage"] == "after_sale"]
    down = moves[moves["to_stage"] != "after_sale"]
    for stage in STAGES[1:]:
        part = back[back["from_stage"] == stage].set_index("week_end")["customers"]
        fig.add_trace(go.Bar(x=[pd.Timestamp(w) for w in weeks], y=[int(part.get(w, 0)) for w in weeks],
                             name=tr("lifecycle_moves_back_from", lang, stage=stage_name(stage, lang)),
                             marker_color=STAGE_COLORS[stage], legendgroup="back"))
    for stage in STAGES[1:]:
        part = down[down["to_stage"] == stage].set_index("week_end")["customers"]
        fig.add_trace(go.Bar(x=[pd.Timestamp(w) for w in weeks], y=[-int(part.get(w, 0)) for w in weeks],
                             name=tr("lifecycle_moves_down_to", lang, stage=stage_name(stage, lang)),
                             marker_color=STAGE_COLORS[stage], marker_pattern_shape="/", legendgroup="down",
                             customdata=[int(part.get(w, 0)) for w in weeks],
                             hovertemplate="%{x|%Y-%m-%d} · %{customdata:,d}<extra>%{fullData.name}</extra>"))
    fig.update_layout(barmode="relative")
    fig.update_xaxes(tickformat="%m-%d", title=tr("lifecycle_moves_week", lang))
    fig.update_yaxes(tickformat=",d", title=tr("lifecycle_moves_members", lang))
    return style(fig, title, height=380)
