"""Home's weekly trend lines."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from . import PALETTE, style


def weekly_line(df: pd.DataFrame, column: str, title: str, lang: str, fmt: str, anomaly: dict | None = None,
                color: str = PALETTE[0]) -> go.Figure:
    """One metric per week; the latest week is marked when it leaves its normal range."""
    fig = go.Figure(go.Scatter(x=df["week_end"], y=df[column], mode="lines+markers", line=dict(color=color),
                               hovertemplate="%{x|%Y-%m-%d}<br>%{y:" + fmt + "}<extra></extra>", name=title))
    if anomaly:
        fig.add_hrect(y0=anomaly["low"], y1=anomaly["high"], fillcolor="#17BEBB", opacity=0.10, line_width=0)
        fig.add_trace(go.Scatter(x=[df["week_end"].iloc[-1]], y=[df[column].iloc[-1]], mode="markers",
                                 marker=dict(size=14, color="#E4572E", symbol="circle-open", line=dict(width=3)),
                                 hoverinfo="skip", showlegend=False))
    fig.update_layout(showlegend=False)
    fig.update_yaxes(tickformat=fmt, rangemode="tozero")
    return style(fig, title, height=240)
