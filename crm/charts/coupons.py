"""Coupon sizing charts: the cohort's order values, and how the candidate offers compare.

Builders take what `crm.coupons` returns (the stats dict, the offers / economics frames, the
recommendation) and the language. Offer bars and points carry the offer id ('59-5') in customdata.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..coupons import ECONOMICS_COLUMNS, _yuan_text
from ..i18n import fmt_money, fmt_pct, t
from . import PALETTE, style, vlines

GOOD, BAD, MUTED, HIGHLIGHT = PALETTE[4], PALETTE[0], "#9aa5b1", PALETTE[3]


def offer_label(threshold, amount, lang: str) -> str:
    """满59减5 / ¥5 off ¥59."""
    return t("coupons_offer_label", lang, threshold=_yuan_text(threshold), amount=_yuan_text(amount))


def column_labels(lang: str) -> dict[str, str]:
    """Column name → header in the language, for the offers / economics tables."""
    return {c: t(f"coupons_col_{c}", lang) for c in ECONOMICS_COLUMNS}


def order_value_histogram(stats: dict, lang: str, recommended: dict | None = None) -> go.Figure:
    """Bars of purchases per order-value bin (the last bin open), with P25 / median / P75 lines and
    the recommended threshold. customdata = bin id."""
    hist = stats.get("histogram")
    fig = go.Figure()
    if hist is None or hist.empty:
        return style(fig, t("coupons_chart_hist_title", lang))
    width = float(stats["bin_width"])
    last = int(hist["bin"].iloc[-1])
    labels = [t("coupons_chart_hist_open", lang, lo=_yuan_text(lo)) if b == last
              else t("coupons_chart_hist_hover", lang, lo=_yuan_text(lo), hi=_yuan_text(hi))
              for b, lo, hi in zip(hist["bin"], hist["lo"], hist["hi"])]
    hover = [f"{lab}<br>{t('coupons_chart_hist_y', lang)}: {n:,} ({fmt_pct(s, lang)})"
             for lab, n, s in zip(labels, hist["orders"], hist["share"])]
    fig.add_trace(go.Bar(
        x=hist["lo"] + width / 2, y=hist["orders"], width=width * 0.92,
        marker_color=[MUTED if b == last else PALETTE[1] for b in hist["bin"]],
        customdata=hist["bin"], hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", showlegend=False))
    marks = []
    for i, (key, value, dash) in enumerate([("coupons_chart_p25", stats.get("p25"), "dot"),
                                            ("coupons_chart_p50", stats.get("p50"), "dash"),
                                            ("coupons_chart_p75", stats.get("p75"), "dot")]):
        if value is not None:
            marks.append(dict(x=float(value), line=dict(color=HIGHLIGHT, dash=dash, width=1.5),
                              text=t(key, lang, value=_yuan_text(value)), textangle=-90, font=dict(size=11),
                              side="left" if i != 1 else "right"))
    threshold = (recommended or {}).get("offer", {}).get("threshold") if recommended else None
    if threshold is not None:
        marks.append(dict(x=float(threshold), line=dict(color=BAD, width=2.5), side="right",
                          text=t("coupons_chart_threshold", lang, value=_yuan_text(threshold)),
                          font=dict(color=BAD, size=12), bgcolor="rgba(255,255,255,0.9)"))  # readable over a nearby label
    vlines(fig, marks)
    ticks = list(hist["lo"])
    step = max(1, len(ticks) // 10)
    idx = list(range(0, len(ticks), step))
    if idx[-1] != len(ticks) - 1:          # always label the open bin
        idx.append(len(ticks) - 1)
    tickvals = [ticks[i] for i in idx]
    ticktext = [("≥" if i == len(ticks) - 1 else "") + fmt_money(ticks[i], lang, 0) for i in idx]
    fig.update_xaxes(title=t("coupons_chart_hist_x", lang), tickvals=tickvals, ticktext=ticktext)
    fig.update_yaxes(title=t("coupons_chart_hist_y", lang), rangemode="tozero")
    fig.update_layout(bargap=0)
    return style(fig, t("coupons_chart_hist_title", lang))


def _hover(row: dict, lang: str) -> str:
    parts = [f"<b>{offer_label(row['threshold'], row['amount'], lang)}</b>",
             f"{t('coupons_col_discount', lang)}: {fmt_pct(row['discount'], lang)}",
             f"{t('coupons_col_reach_share', lang)}: {fmt_pct(row['reach_share'], lang)}"]
    if "gross_profit" in row and row["gross_profit"] is not None and not pd.isna(row["gross_profit"]):
        parts += [f"{t('coupons_col_gross_profit', lang)}: {fmt_money(row['gross_profit'], lang)}",
                  f"{t('coupons_col_coupon_cost', lang)}: {fmt_money(row['coupon_cost'], lang)}",
                  f"{t('coupons_col_roi', lang)}: " + ("—" if row["roi"] is None or pd.isna(row["roi"])
                                                        else f"{row['roi']:.2f}"),
                  f"{t('coupons_col_break_even_rate', lang)}: " + (
                      "—" if row["break_even_rate"] is None or pd.isna(row["break_even_rate"])
                      else fmt_pct(row["break_even_rate"], lang))]
    return "<br>".join(parts)


def profit_bars(econ: pd.DataFrame, lang: str, recommended: dict | None = None) -> go.Figure:
    """Expected gross profit per offer (horizontal bars, best on top; green = profit, red = loss,
    the recommended offer outlined). customdata = offer id."""
    fig = go.Figure()
    if econ is None or econ.empty:
        return style(fig, t("coupons_chart_profit_title", lang))
    df = econ.sort_values(["gross_profit", "amount", "threshold"], ascending=[True, False, False], kind="mergesort")
    rows = df.to_dict("records")
    best = (recommended or {}).get("offer", {}).get("offer") if recommended else None
    labels = [offer_label(r["threshold"], r["amount"], lang) for r in rows]
    fig.add_trace(go.Bar(
        y=labels, x=df["gross_profit"], orientation="h", customdata=df["offer"],
        marker=dict(color=[GOOD if p > 0 else BAD for p in df["gross_profit"]],
                    line=dict(color=[HIGHLIGHT if o == best else "rgba(0,0,0,0)" for o in df["offer"]], width=3)),
        hovertext=[_hover(r, lang) for r in rows], hovertemplate="%{hovertext}<extra></extra>", showlegend=False))
    if best is not None:
        i = list(df["offer"]).index(best)
        fig.add_annotation(y=labels[i], x=rows[i]["gross_profit"], text="★ " + t("coupons_chart_recommended", lang),
                           showarrow=False, xanchor="left" if rows[i]["gross_profit"] >= 0 else "right",
                           xshift=6 if rows[i]["gross_profit"] >= 0 else -6, font=dict(color=HIGHLIGHT))
    fig.update_xaxes(title=t("coupons_chart_profit_x", lang), tickprefix="¥", zeroline=True, zerolinecolor="#888")
    fig.update_yaxes(type="category")
    return style(fig, t("coupons_chart_profit_title", lang), height=max(300, 26 * len(rows) + 90))


def offers_scatter(offers: pd.DataFrame, lang: str, recommended: dict | None = None) -> go.Figure:
    """Each offer at (effective discount, share of past orders reaching its threshold); with the
    economics columns, colour = expected gross profit. customdata = offer id."""
    fig = go.Figure()
    if offers is None or offers.empty:
        return style(fig, t("coupons_chart_scatter_title", lang))
    rows = offers.to_dict("records")
    has_profit = "gross_profit" in offers.columns
    best = (recommended or {}).get("offer", {}).get("offer") if recommended else None
    marker = dict(size=[18 if r["offer"] == best else 11 for r in rows],
                  line=dict(color=[HIGHLIGHT if r["offer"] == best else "white" for r in rows], width=2))
    if has_profit:
        marker.update(color=offers["gross_profit"], colorscale=[[0, BAD], [0.5, "#f5f5f5"], [1, GOOD]],
                      cmid=0, showscale=True, colorbar=dict(title=t("coupons_col_gross_profit", lang), tickprefix="¥"))
    else:
        marker.update(color=PALETTE[1])
    fig.add_trace(go.Scatter(
        x=offers["discount"], y=offers["reach_share"], mode="markers+text", customdata=offers["offer"],
        text=[offer_label(r["threshold"], r["amount"], lang) if r["offer"] == best else "" for r in rows],
        textposition="top center",
        textfont=dict(size=10), marker=marker, hovertext=[_hover(r, lang) for r in rows],
        hovertemplate="%{hovertext}<extra></extra>", showlegend=False))
    fig.update_xaxes(title=t("coupons_chart_scatter_x", lang), tickformat=".0%")
    fig.update_yaxes(title=t("coupons_chart_scatter_y", lang), tickformat=".0%", rangemode="tozero")
    return style(fig, t("coupons_chart_scatter_title", lang), height=420)
