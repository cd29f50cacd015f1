"""Prediction charts: the P(alive) matrix, the distribution of predicted value, the backtest."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..i18n import t
from . import PALETTE, style


def alive_heatmap(matrix: pd.DataFrame, unit: str, lang: str) -> go.Figure:
    wide = matrix.pivot(index="frequency", columns="recency", values="p_alive")
    fig = go.Figure(go.Heatmap(z=wide.to_numpy(), x=[f"{v:.0f}" for v in wide.columns], y=list(wide.index),
                               colorscale="RdYlGn", zmin=0, zmax=1, colorbar={"tickformat": ".0%"},
                               hovertemplate=t("predict_heat_hover", lang) + "<extra></extra>"))
    fig.update_xaxes(title=t(f"predict_recency_{unit}", lang))
    fig.update_yaxes(title=t("predict_frequency", lang))
    return style(fig, t("predict_heat_title", lang), height=420)


def value_histogram(counts, edges, lang: str) -> go.Figure:
    """The bars of `predictions.value_bins` (binned by the engine: half a million values would travel
    to the browser otherwise)."""
    counts, edges = np.asarray(counts), np.asarray(edges, dtype=float)
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=edges[1] - edges[0],
                           marker_color=PALETTE[1],
                           hovertemplate="¥%{x:,.0f} · %{y:,d}<extra></extra>"))
    fig.update_xaxes(title=t("predict_value_axis", lang), tickprefix="¥")
    fig.update_yaxes(title=t("predict_customers", lang))
    return style(fig, t("predict_value_title", lang), height=340)


def backtest_curve(curve: pd.DataFrame, lang: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(curve["day"]), y=list(curve["actual"]), name=t("predict_actual", lang),
                             mode="lines", line={"color": PALETTE[3]}))
    fig.add_trace(go.Scatter(x=list(curve["day"]), y=list(curve["predicted"]), name=t("predict_predicted", lang),
                             mode="lines", line={"color": PALETTE[0], "dash": "dash"}))
    fig.update_yaxes(title=t("predict_repeat_cumulative", lang), rangemode="tozero", tickformat=",d")
    return style(fig, t("predict_backtest_title", lang), height=340)
