"""Figures and tables of the Time page (会员时间), from the frames of `crm.analysis.timing`.

Bars and cells that stand for a group of members carry its id in `customdata`: days since last
purchase → the bin id ("91-180"), retention → the cohort month ("2025-01"), new / returning →
"new:2025-01" / "returning:2025-01". Trend points carry their period's first day ("2025-01-01").
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from ..analysis.timing import GAP_BIN_DAYS, GAP_CAP_DAYS
from ..i18n import fmt_int, fmt_money, fmt_pct, t
from . import PALETTE, style, vlines

PEAK, OFF, LINE = PALETTE[0], PALETTE[6], "#555555"
NEW, RETURNING = PALETTE[1], PALETTE[6]
FESTIVAL_FILL = PALETTE[2]
METRICS = ("gmv", "purchases", "buyers")
_XPERIOD = {"day": 86_400_000, "week": 7 * 86_400_000, "month": "M1"}


def festival_name(key: str, lang: str) -> str:
    return t(f"timing_fest_{key}", lang)


def metric_name(metric: str, lang: str) -> str:
    return {"gmv": t("timing_metric_gmv", lang), "purchases": t("timing_metric_purchases", lang),
            "buyers": t("timing_metric_buyers", lang)}[metric]


def grain_name(grain: str, lang: str) -> str:
    return {"day": t("timing_grain_day", lang), "week": t("timing_grain_week", lang),
            "month": t("timing_grain_month", lang)}[grain]


def days_text(v) -> str:
    """12 → "12", 12.5 → "12.5" (median and P80 interpolate between gaps)."""
    if v is None:
        return "—"
    v = float(v)
    return f"{v:.0f}" if v.is_integer() else f"{v:.1f}"


def period_label(start: dt.date, end: dt.date, grain: str, lang: str) -> str:
    if grain == "month":
        return start.strftime("%Y-%m")
    if grain == "week":
        return t("timing_period_range", lang, start=start.isoformat(), end=end.isoformat())
    return start.isoformat()


def _value_text(metric: str, v, lang: str) -> str:
    return fmt_money(v, lang) if metric == "gmv" else fmt_int(v, lang)


# -- trend -------------------------------------------------------------------------------------------
def trend_chart(df: pd.DataFrame, metric: str, grain: str, events: list[dict], lang: str) -> go.Figure:
    """One metric per period. Peak periods red, off-season blue, periods cut by the range hollow;
    festival windows shaded and labelled."""
    y = [float(v) for v in df[metric]]
    hover = []
    for r in df.itertuples():
        lines = [f"<b>{period_label(r.period, r.period_end, grain, lang)}</b>",
                 f"{metric_name(metric, lang)}: {_value_text(metric, getattr(r, metric), lang)}"]
        if r.peak:
            lines.append(t("timing_peak", lang))
        if r.off_season:
            lines.append(t("timing_off_season", lang))
        if not r.complete:
            lines.append(t("timing_incomplete", lang))
        if r.festivals:
            lines.append(" · ".join(festival_name(k, lang) for k in r.festivals.split(",")))
        hover.append("<br>".join(lines))
    x = [p.isoformat() for p in df["period"]]
    period = dict(xperiod=_XPERIOD[grain], xperiodalignment="middle")
    if grain == "week" and x:
        period["xperiod0"] = x[0]
    many = len(df) > 400
    fig = go.Figure(go.Scatter(
        x=x, y=y, mode="lines" if many else "lines+markers", name=metric_name(metric, lang), showlegend=False,
        line=dict(color=LINE, width=1 if many else 1.5), marker=dict(color=LINE, size=5),
        customdata=x, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", **period))
    # peak, off-season and incomplete periods as marker layers over the line (with a legend entry)
    for mask, name, marker in ((df["peak"].to_numpy(dtype=bool), t("timing_peak", lang),
                                dict(color=PEAK, size=9 if many else 11)),
                               (df["off_season"].to_numpy(dtype=bool), t("timing_off_season", lang),
                                dict(color=OFF, size=9 if many else 11)),
                               (~df["complete"].to_numpy(dtype=bool), t("timing_incomplete", lang),
                                dict(color="white", size=9, symbol="circle", line=dict(color=LINE, width=2)))):
        if mask.any():
            idx = [i for i, m in enumerate(mask) if m]
            fig.add_trace(go.Scatter(
                x=[x[i] for i in idx], y=[y[i] for i in idx], mode="markers", name=name, marker=marker,
                customdata=[x[i] for i in idx], hovertext=[hover[i] for i in idx],
                hovertemplate="%{hovertext}<extra></extra>", **period))
    for e in events:
        fig.add_vrect(x0=e["start"].isoformat(), x1=(e["end"] + dt.timedelta(days=1)).isoformat(),
                      fillcolor=FESTIVAL_FILL, opacity=0.22, line_width=0, layer="below",
                      annotation_text=festival_name(e["key"], lang), annotation_position="top left",
                      annotation_font=dict(size=10, color="#7a5c00"),
                      # 双12 sits between 双11 and 年货节: its label on a second row so they never overlap
                      annotation_yshift=-14 if e["key"] == "double12" else 0)
    fig.update_yaxes(rangemode="tozero", tickprefix="¥" if metric == "gmv" else None, tickformat=",.0f")
    title = t("timing_trend_title", lang, metric=metric_name(metric, lang), grain=grain_name(grain, lang))
    return style(fig, title, height=380)


# -- weekday × hour ----------------------------------------------------------------------------------
def weekday_names(lang: str) -> list[str]:
    return t("timing_weekdays", lang).split(",")


def weekday_hour_heatmap(df: pd.DataFrame, lang: str) -> go.Figure:
    """7 × 24 cells of purchases, Monday on top."""
    days = weekday_names(lang)
    grid = df.pivot(index="weekday", columns="hour", values="purchases").reindex(index=range(7), columns=range(24)).fillna(0)
    z = grid.to_numpy().astype(int)
    text = [[f"{days[w]} {h:02d}:00–{h:02d}:59<br>{t('timing_metric_purchases', lang)}: {fmt_int(z[w][h], lang)}"
             for h in range(24)] for w in range(7)]
    fig = go.Figure(go.Heatmap(z=z, x=[f"{h:02d}" for h in range(24)], y=days, hovertext=text,
                               hovertemplate="%{hovertext}<extra></extra>", colorscale=[[0, "#ffffff"], [1, PEAK]],
                               xgap=1, ygap=1, colorbar=dict(title=dict(text=t("timing_metric_purchases", lang)))))
    fig.update_yaxes(autorange="reversed", title=t("timing_weekday", lang))
    fig.update_xaxes(title=t("timing_hour", lang), type="category")
    return style(fig, t("timing_weekday_hour_title", lang), height=340)


def weekday_bars(df: pd.DataFrame, lang: str) -> go.Figure:
    """Purchases per weekday (files with dates only)."""
    days = weekday_names(lang)
    per_day = df.groupby("weekday")["purchases"].sum().reindex(range(7), fill_value=0)
    fig = go.Figure(go.Bar(x=days, y=[int(v) for v in per_day], marker_color=PALETTE[1],
                           hovertemplate="%{x}<br>" + t("timing_metric_purchases", lang) + ": %{y:,}<extra></extra>"))
    fig.update_yaxes(tickformat=",.0f", title=t("timing_metric_purchases", lang))
    return style(fig, t("timing_weekday_title", lang), height=300)


# -- new vs returning --------------------------------------------------------------------------------
def new_returning_bars(monthly: pd.DataFrame, lang: str) -> go.Figure:
    """Stacked bars per month: new buyers (first purchase ever) under returning buyers."""
    months = list(monthly["month"])
    fig = go.Figure()
    for col, kind, name, color in (("new_buyers", "new", t("timing_new", lang), NEW),
                                   ("returning_buyers", "returning", t("timing_returning", lang), RETURNING)):
        values = [int(v) for v in monthly[col]]
        hover = [f"{m}<br>{name}: {fmt_int(v, lang)} ({fmt_pct(v / b if b else None, lang)})"
                 for m, v, b in zip(months, values, monthly["buyers"])]
        fig.add_trace(go.Bar(x=months, y=values, name=name, marker_color=color, customdata=[f"{kind}:{m}" for m in months],
                             hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="category", title=t("timing_month", lang))
    fig.update_yaxes(tickformat=",.0f", title=t("timing_buyers", lang))
    return style(fig, t("timing_new_returning_title", lang), height=340)


# -- days since last purchase ------------------------------------------------------------------------
def recency_label(lo: int, hi, lang: str) -> str:
    if hi is None or (isinstance(hi, float) and pd.isna(hi)):
        return t("timing_recency_open", lang, lo=int(lo))
    return t("timing_recency_bin", lang, lo=int(lo), hi=int(hi))


def days_since_last_bars(df: pd.DataFrame, as_of: dt.date, lang: str) -> go.Figure:
    """Buyers per bin of days since their last purchase; customdata = bin id."""
    labels = [recency_label(r.lo, r.hi, lang) for r in df.itertuples()]
    hover = [f"{lab}<br>{t('timing_buyers', lang)}: {fmt_int(r.buyers, lang)} ({fmt_pct(r.share, lang)})"
             for lab, r in zip(labels, df.itertuples())]
    colors = [PALETTE[1] if int(r.lo) <= 90 else PALETTE[7] if int(r.lo) <= 365 else PALETTE[3] for r in df.itertuples()]
    fig = go.Figure(go.Bar(x=labels, y=[int(v) for v in df["buyers"]], customdata=list(df["bin"]), marker_color=colors,
                           text=[fmt_pct(s, lang) for s in df["share"]], textposition="outside",
                           hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"))
    fig.update_xaxes(type="category", title=t("timing_days_since_last", lang))
    fig.update_yaxes(tickformat=",.0f", title=t("timing_buyers", lang))
    return style(fig, t("timing_recency_title", lang, as_of=as_of.isoformat()), height=340)


# -- retention ---------------------------------------------------------------------------------------
def retention_heatmap(ret: pd.DataFrame, lang: str) -> go.Figure:
    """Cohort (first-purchase month) × month +k, rate as % text; cells of the unfinished as-of
    month marked *. customdata = cohort."""
    later = ret[ret["month_offset"] >= 1]
    cohorts = list(dict.fromkeys(ret["cohort"]))
    sizes = ret.drop_duplicates("cohort").set_index("cohort")["size"]
    offsets = list(range(1, int(ret["month_offset"].max()) + 1)) if len(later) else [1]
    rate = later.pivot(index="cohort", columns="month_offset", values="rate").reindex(index=cohorts, columns=offsets)
    buyers = later.pivot(index="cohort", columns="month_offset", values="buyers").reindex(index=cohorts, columns=offsets)
    partial = later.pivot(index="cohort", columns="month_offset", values="partial").reindex(index=cohorts, columns=offsets)
    ylabels = [f"{c} ({fmt_int(sizes[c], lang)})" for c in cohorts]
    z, text, hover = [], [], []
    for c in cohorts:
        zr, tr_, hr = [], [], []
        for k in offsets:
            v = rate.at[c, k]
            if pd.isna(v):
                zr.append(None), tr_.append(""), hr.append("")
                continue
            star = "*" if bool(partial.at[c, k]) else ""
            zr.append(float(v))
            tr_.append(fmt_pct(v, lang) + star)
            hr.append(f"{t('timing_cohort', lang)} {c} · +{k}<br>{fmt_int(buyers.at[c, k], lang)} / "
                      f"{fmt_int(sizes[c], lang)} = {fmt_pct(v, lang)}{star}")
        z.append(zr), text.append(tr_), hover.append(hr)
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"+{k}" for k in offsets], y=ylabels, text=text, texttemplate="%{text}", textfont=dict(size=10),
        customdata=[[c] * len(offsets) for c in cohorts], hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        colorscale=[[0, "#ffffff"], [1, PALETTE[1]]], zmin=0, xgap=1, ygap=1, hoverongaps=False,
        colorbar=dict(tickformat=".0%")))
    fig.update_yaxes(autorange="reversed", type="category", title=t("timing_cohort", lang))
    fig.update_xaxes(type="category", side="top")  # the title says what +k means
    fig = style(fig, t("timing_retention_title", lang), height=max(300, 24 * len(cohorts) + 160))
    fig.update_layout(margin=dict(t=80))  # room for the title above the top axis
    return fig


# -- usage cycle: gap histogram ----------------------------------------------------------------------
def gap_histogram(hist: pd.DataFrame, median, p80, lang: str) -> go.Figure:
    """Gaps in weekly bars (the last bar: GAP_CAP_DAYS and more), with median and P80 lines."""
    xs, labels = [], []
    for r in hist.itertuples():
        lo = int(r.lo)
        if r.hi is None or (isinstance(r.hi, float) and pd.isna(r.hi)):
            xs.append(lo + (GAP_BIN_DAYS - 1) / 2)
            labels.append(t("timing_recency_open", lang, lo=lo))
        else:
            xs.append((lo + int(r.hi)) / 2)
            labels.append(t("timing_recency_bin", lang, lo=lo, hi=int(r.hi)))
    gaps = [int(v) for v in hist["gaps"]]
    total = sum(gaps)
    hover = [f"{lab}<br>{t('timing_gaps', lang)}: {fmt_int(g, lang)} ({fmt_pct(g / total if total else None, lang)})"
             for lab, g in zip(labels, gaps)]
    fig = go.Figure(go.Bar(x=xs, y=gaps, width=GAP_BIN_DAYS * 0.9, marker_color=PALETTE[1], hovertext=hover,
                           hovertemplate="%{hovertext}<extra></extra>", customdata=[int(v) for v in hist["lo"]]))
    # median ≤ P80: the median's label left of its line, P80's right of its line, so they never overlap
    vlines(fig, [dict(x=float(v), line=dict(dash="dash", color=color, width=2), side=side,
                      text=t(key, lang, days=days_text(v)), font=dict(color=color, size=11),
                      bgcolor="rgba(255,255,255,0.85)")
                 for v, key, color, side in ((median, "timing_median_line", PALETTE[0], "left"),
                                             (p80, "timing_p80_line", PALETTE[3], "right")) if v is not None])
    ticks = list(range(0, GAP_CAP_DAYS - 30, 30))  # … 330, then the open bar "365+"
    fig.update_xaxes(title=t("timing_gap_days", lang), range=[0, GAP_CAP_DAYS + GAP_BIN_DAYS + 2],
                     tickvals=ticks + [GAP_CAP_DAYS + (GAP_BIN_DAYS - 1) / 2],
                     ticktext=[str(v) for v in ticks] + [f"{GAP_CAP_DAYS}+"])
    fig.update_yaxes(tickformat=",.0f", title=t("timing_gaps", lang))
    return style(fig, t("timing_gap_title", lang), height=340)


# -- tables for the page and downloads ---------------------------------------------------------------
def monthly_table(monthly: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The monthly figures with column names in the language (money as numbers, 2 decimals)."""
    yes = "✓"
    return pd.DataFrame({
        t("timing_col_month", lang): monthly["month"],
        t("timing_col_gmv", lang): [round(float(v), 2) for v in monthly["gmv"]],
        t("timing_col_purchases", lang): monthly["purchases"].astype(int),
        t("timing_col_buyers", lang): monthly["buyers"].astype(int),
        t("timing_col_new", lang): monthly["new_buyers"].astype(int),
        t("timing_col_returning", lang): monthly["returning_buyers"].astype(int),
        t("timing_col_complete", lang): [yes if v else "" for v in monthly["complete"]],
        t("timing_col_peak", lang): [yes if v else "" for v in monthly["peak"]],
        t("timing_col_off_season", lang): [yes if v else "" for v in monthly["off_season"]],
        t("timing_col_festivals", lang): [" · ".join(festival_name(k, lang) for k in s.split(",") if k)
                                          for s in monthly["festivals"]],
    })


def retention_table(ret: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per cohort: first-purchase month, size, then % buying again in month +1 … +12
    (blank for months not reached yet)."""
    cols = [t("timing_col_cohort", lang), t("timing_col_size", lang)]
    if ret.empty:
        return pd.DataFrame(columns=cols)
    later = ret[ret["month_offset"] >= 1]
    offsets = sorted(int(k) for k in later["month_offset"].unique())
    cohorts = list(dict.fromkeys(ret["cohort"]))
    sizes = ret.drop_duplicates("cohort").set_index("cohort")["size"]
    out = pd.DataFrame({cols[0]: cohorts, cols[1]: [int(sizes[c]) for c in cohorts]})
    rate = later.pivot(index="cohort", columns="month_offset", values="rate").reindex(index=cohorts)
    for k in offsets:
        out[t("timing_col_offset", lang, k=k)] = [None if pd.isna(v) else round(float(v) * 100, 1) for v in rate[k]]
    return out
