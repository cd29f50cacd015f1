"""Member levels (会员等级): members and buyers per level, GMV share per level, the level mix over
time, and the what-if on the level rules (counts before/after, movement matrix).

Every bar or cell that stands for a group of members carries its level code in `customdata`
(the matrix: "current>proposed", e.g. "1>3"), so a click can open that cohort.
"""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from ..i18n import fmt_big, fmt_int, fmt_money, fmt_pct
from ..levels import LEVEL_CODES, level_name
from . import style

# One colour per level, from the quiet shop customer to the supreme VIP.
LEVEL_COLORS = {0: "#B8B8B8", 1: "#17BEBB", 2: "#4E79A7", 3: "#FFC914", 4: "#E4572E"}

_T = {
    "zh": {"members": "会员数", "buyers": "成交客户数", "gmv": "成交金额", "share": "占比", "month": "月份",
           "current": "当前规则", "proposed": "试算规则", "cur_axis": "当前等级", "new_axis": "试算等级",
           "people": "人数", "level": "会员等级", "buyer_share": "成交客户占比"},
    "en": {"members": "Members", "buyers": "Buyers", "gmv": "GMV", "share": "Share", "month": "Month",
           "current": "Rules in force", "proposed": "Proposed rules", "cur_axis": "Current level",
           "new_axis": "Proposed level", "people": "Members", "level": "Member level",
           "buyer_share": "Share of buyers"},
}


def _t(lang: str) -> dict:
    return _T["zh" if lang == "zh" else "en"]


def _legend_below(fig: go.Figure) -> go.Figure:
    """Legend under the plot: above it, it collides with the title in a half-width column."""
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0),
                      margin=dict(b=40))
    return fig


def members_buyers(by_level: pd.DataFrame, lang: str, title: str | None = None) -> go.Figure:
    """Grouped bars per level: members (known as of the as-of date) and buyers (in scope)."""
    t = _t(lang)
    return _grouped_level_bars(by_level, lang, title, [
        ("members", "#B8D8D8", t["members"], lambda n, v: f"{n}<br>{t['members']}: {fmt_int(v, lang)}"),
        ("buyers", "#17BEBB", t["buyers"], lambda n, v: f"{n}<br>{t['buyers']}: {fmt_int(v, lang)}")])


def _grouped_level_bars(df: pd.DataFrame, lang: str, title: str | None, series) -> go.Figure:
    """Grouped bars per level (customdata = level code), each labelled with its count. `series`:
    (column, colour, legend name, hover(level name, value) → text)."""
    names = [level_name(c, lang) for c in df["level_code"]]
    codes = [int(c) for c in df["level_code"]]
    fig = go.Figure()
    for col, color, label, hover in series:
        values = [int(v) for v in df[col]]
        fig.add_trace(go.Bar(
            x=names, y=values, name=label, marker_color=color, customdata=codes,
            text=[fmt_int(v, lang) for v in values], textposition="outside", cliponaxis=False,
            hovertext=[hover(n, v) for n, v in zip(names, values)], hoverinfo="text"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=",d", rangemode="tozero")
    return _legend_below(style(fig, title))


def gmv_share(by_level: pd.DataFrame, lang: str, title: str | None = None) -> go.Figure:
    """Horizontal bars: each level's share of GMV in scope, labelled with the share and the amount."""
    t = _t(lang)
    df = by_level.iloc[::-1]  # highest level on top
    names = [level_name(c, lang) for c in df["level_code"]]
    shares = [0.0 if v is None or pd.isna(v) else float(v) for v in df["gmv_share"]]
    labels = [f"{fmt_pct(s, lang)} · ¥{fmt_big(g, lang)}" for s, g in zip(shares, df["gmv"])]
    fig = go.Figure(go.Bar(
        y=names, x=shares, orientation="h", customdata=[int(c) for c in df["level_code"]],
        marker_color=[LEVEL_COLORS[int(c)] for c in df["level_code"]], text=labels, textposition="outside",
        cliponaxis=False,
        hovertext=[f"{n}<br>{t['gmv']}: {fmt_money(g, lang)}<br>{t['share']}: {fmt_pct(s, lang)}"
                   for n, g, s in zip(names, df["gmv"], shares)], hoverinfo="text"))
    fig.update_xaxes(tickformat=".0%", range=[0, max(shares + [0.01]) * 1.6])
    fig.update_layout(showlegend=False)
    return style(fig, title)


def level_mix(mix: pd.DataFrame, lang: str, title: str | None = None) -> go.Figure:
    """Stacked bars: each month's buyers split by level (share of the month's buyers)."""
    t = _t(lang)
    fig = go.Figure()
    for code in LEVEL_CODES:
        part = mix[mix["level_code"] == code]
        if part.empty:
            continue
        name = level_name(code, lang)
        fig.add_trace(go.Bar(
            x=part["month"], y=part["share"], name=name, marker_color=LEVEL_COLORS[code],
            customdata=[code] * len(part),
            hovertext=[f"{m:%Y-%m} · {name}<br>{t['buyers']}: {fmt_int(b, lang)} ({fmt_pct(s, lang)})"
                       for m, b, s in zip(part["month"], part["buyers"], part["share"])],
            hoverinfo="text"))
    fig.update_layout(barmode="stack", bargap=0.1)
    fig.update_xaxes(tickformat="%Y-%m")
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title=t["buyer_share"])
    return _legend_below(style(fig, title, height=380))


def what_if_counts(counts: pd.DataFrame, lang: str, title: str | None = None) -> go.Figure:
    """Grouped bars per level: members under the rules in force and under the proposed rules."""
    t = _t(lang)
    return _grouped_level_bars(counts, lang, title, [
        (col, color, t[col], lambda n, v, col=col: f"{n} · {t[col]}<br>{t['people']}: {fmt_int(v, lang)}")
        for col, color in (("current", "#B8B8B8"), ("proposed", "#E4572E"))])


def movement_matrix(matrix: pd.DataFrame, lang: str, title: str | None = None) -> go.Figure:
    """Heatmap: rows = current level, columns = proposed level, cells = members; the diagonal stays."""
    t = _t(lang)
    rows = [int(c) for c in matrix.index]
    cols = [int(c) for c in matrix.columns]
    xs = [level_name(c, lang) for c in cols]
    ys = [level_name(c, lang) for c in rows]
    z = [[int(matrix.loc[r, c]) for c in cols] for r in rows]
    shade = [[math.log1p(v) for v in line] for line in z]  # a cell of 7 stays visible next to one of 7,000
    fig = go.Figure(go.Heatmap(
        z=shade, x=xs, y=ys, colorscale=[[0, "#FFFFFF"], [0.0001, "#E8F6F6"], [1, "#17BEBB"]], showscale=False,
        customdata=[[f"{r}>{c}" for c in cols] for r in rows],
        text=[[fmt_int(v, lang) if v else "" for v in line] for line in z], texttemplate="%{text}",
        hovertext=[[f"{ys[i]} → {xs[j]}<br>{t['people']}: {fmt_int(z[i][j], lang)}" for j in range(len(cols))]
                   for i in range(len(rows))],
        hoverinfo="text", xgap=2, ygap=2))
    fig.update_xaxes(title=t["new_axis"], showgrid=False)
    fig.update_yaxes(title=t["cur_axis"], autorange="reversed", showgrid=False)
    return style(fig, title, height=380)
