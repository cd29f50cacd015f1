"""Home: the welcome screen on an empty database, else the headline numbers."""
import datetime as dt

import streamlit as st

from crm import i18n, trends, ui
from crm.samples import load_sample
from crm.summary import default_as_of, summary

tr = ui.tr


@st.cache_data(show_spinner=False, max_entries=64)
def cached_summary(data_version: str, as_of: dt.date, start: dt.date | None) -> dict:
    return summary(ui.db(), as_of=as_of, start=start)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_previous(data_version: str, as_of: dt.date, start: dt.date | None) -> dict | None:
    return trends.previous_period(ui.db(), as_of, start)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_weekly(data_version: str, as_of: dt.date):
    weeks = trends.weekly_columns(ui.db(), as_of)
    return weeks, trends.anomalies(weeks)


def change_text(now, before, points: bool = False) -> str | None:
    """A change as shown beside a number: % for counts and money, points for rates."""
    if now is None or before is None:
        return None
    if points:
        return f"{(float(now) - float(before)) * 100:+.1f} pp"
    c = trends.change(now, before)
    return None if c is None else f"{c * 100:+.1f}%"


def delta(s: dict, prev: dict | None, key: str, points: bool = False) -> str | None:
    """The change against the previous period."""
    return None if prev is None else change_text(s[key], prev[key], points)


def weekly_section(db, as_of: dt.date, lang: str) -> None:
    weeks, flags = cached_weekly(db.data_version(), as_of)
    st.subheader(tr("home_trend_title", as_of=i18n.fmt_date(as_of, lang)))
    names = {"buyers": tr("home_trend_buyers"), "gmv": tr("home_trend_gmv"),
             "repurchase_rate": tr("home_trend_repurchase"), "avg_spend_per_buyer": tr("home_trend_aspb")}
    shown = {"buyers": lambda v: i18n.fmt_int(v, lang), "gmv": lambda v: i18n.fmt_money(v, lang),
             "repurchase_rate": lambda v: i18n.fmt_pct(v, lang), "avg_spend_per_buyer": lambda v: i18n.fmt_money(v, lang)}
    by_metric = {f["metric"]: f for f in flags}
    for f in flags:
        fmt = shown[f["metric"]]
        st.warning(tr(f"home_anomaly_{f['direction']}", metric=names[f["metric"]], value=fmt(f["value"]),
                      low=fmt(f["low"]), high=fmt(f["high"])), icon=ui.WARNING_ICON)
    if not flags:
        st.caption(tr("home_no_anomaly"))
    glance, charts = ui.lazy_tabs([tr("home_trend_tab_glance"), tr("home_trend_tab_charts")], key="home_trend_tab")
    with glance:
        if glance.open:
            trend_cards(weeks, shown, by_metric, lang)
    with charts:
        if charts.open:
            trend_charts(weeks, names, by_metric, lang)
    st.caption(tr("home_trend_caption"))


def trend_cards(weeks: dict, shown: dict, by_metric: dict, lang: str) -> None:
    """Each figure's latest week, its change against the week before and a line of every week
    (inline SVG, drawn without any chart script; a flagged week's point in red)."""
    ends = weeks["week_end"]
    if not ends:
        return
    spans = [(i18n.fmt_date(e - dt.timedelta(days=6), lang), i18n.fmt_date(e, lang)) for e in ends]
    cols = st.columns(len(trends.METRICS))
    for col, m in zip(cols, trends.METRICS):
        series = weeks[m]
        latest, before = series[-1], series[-2] if len(series) > 1 else None
        titles = [tr("home_card_point", start=a, end=b, value="–" if v is None else shown[m](v))
                  for (a, b), v in zip(spans, series)]
        ui.metric_with_line(col, tr(f"home_card_{m}"), "–" if latest is None else shown[m](latest), series, titles,
                            alert_last=m in by_metric,
                            delta=change_text(latest, before, points=m == "repurchase_rate"),
                            help=tr("home_trend_card_help", start=spans[0][0], end=spans[-1][1]))


def trend_charts(weeks: dict, names: dict, by_metric: dict, lang: str) -> None:
    """The same weeks as Plotly charts with their axes, hover values and the normal range of a
    flagged week."""
    import pandas as pd

    from crm.charts.home import weekly_line
    df = pd.DataFrame({k: pd.to_datetime(v) if k == "week_end" else v for k, v in weeks.items()})
    formats = {"buyers": ",.0f", "gmv": ",.0f", "repurchase_rate": ".1%", "avg_spend_per_buyer": ",.2f"}
    cols = st.columns(2)
    for i, m in enumerate(trends.METRICS):
        with cols[i % 2]:
            ui.chart(weekly_line(df, m, names[m], lang, formats[m], by_metric.get(m)), key=f"home_week_{m}",
                     selectable=False)


def sample_button(key: str) -> None:
    if st.button(tr("welcome_try_sample"), help=tr("welcome_sample_help"), type="primary", key=key):
        bar = st.progress(0.0, text=tr("welcome_sample_loading"))
        results = load_sample(ui.db(), progress=lambda f, stage: bar.progress(min(f, 1.0), text=tr("welcome_sample_loading")))
        refused = [r for r in results if not r.ok]
        for r in refused:
            st.error(tr("result_refused", file=r.file_name, reason=ui.msg(r.message)))
        if not refused:
            ui.prepare_predictions(results)
            ui.rerun_saying("home", tr("welcome_sample_done"))


def welcome() -> None:
    st.title(tr("app_title"))
    st.subheader(tr("welcome_title"))
    st.caption(tr("welcome_intro"))
    left, right = st.columns([3, 2])
    with left:
        st.markdown(tr("welcome_which_files"))
    with right:
        sample_button("welcome_sample")
        st.write(tr("welcome_or_upload"))
        st.page_link("pages/data.py", label=tr("welcome_go_data"), icon=":material/upload_file:")


def headline(lang: str) -> None:
    db = ui.db()
    st.title(tr("home_title"))
    latest = default_as_of(db) or dt.date.today()
    c1, c2 = st.columns([1, 2])
    as_of = c1.date_input(tr("as_of_label"), value=latest, help=tr("as_of_help"), key="as_of")
    periods = {"all": None, "365": 365, "180": 180, "90": 90, "30": 30}
    period = c2.segmented_control(tr("period_label"), list(periods), default="all", key="home_period",
                                  format_func=lambda p: ui.plain_label(tr(f"period_{p}")))
    days = periods.get(period or "all")
    start = as_of - dt.timedelta(days=days - 1) if days else None
    s = cached_summary(db.data_version(), as_of, start)
    prev = cached_previous(db.data_version(), as_of, start)
    overview = ui.overview()
    st.caption(tr("home_range", first=i18n.fmt_date(overview["first_order_at"], lang),
                  last=i18n.fmt_date(overview["last_order_at"], lang)))
    if not s["orders"]:
        st.info(tr("home_no_purchases"), icon=ui.INFO_ICON)
    if prev is not None:
        st.caption(tr("home_vs_previous", start=i18n.fmt_date(prev["start"], lang), end=i18n.fmt_date(prev["as_of"], lang)))
    row1 = st.columns(4)
    row1[0].metric(tr("metric_members"), i18n.fmt_int(s["members"], lang), help=tr("metric_members_help"),
                   delta=delta(s, prev, "members"))
    row1[1].metric(tr("metric_buyers"), i18n.fmt_int(s["buyers"], lang), help=tr("metric_buyers_help"),
                   delta=delta(s, prev, "buyers"))
    row1[2].metric(tr("metric_orders"), i18n.fmt_int(s["orders"], lang), help=tr("metric_orders_help"),
                   delta=delta(s, prev, "orders"))
    row1[3].metric(tr("metric_gmv"), i18n.fmt_money(s["gmv"], lang), help=tr("metric_gmv_help"),
                   delta=delta(s, prev, "gmv"))
    row2 = st.columns(4)
    row2[0].metric(tr("metric_aov"), i18n.fmt_money(s["avg_order_value"], lang), help=tr("metric_aov_help"),
                   delta=delta(s, prev, "avg_order_value"))
    row2[1].metric(tr("metric_aspb"), i18n.fmt_money(s["avg_spend_per_buyer"], lang), help=tr("metric_aspb_help"),
                   delta=delta(s, prev, "avg_spend_per_buyer"))
    row2[2].metric(tr("metric_repurchase"), i18n.fmt_pct(s["repurchase_rate"], lang), help=tr("metric_repurchase_help"),
                   delta=delta(s, prev, "repurchase_rate", points=True))
    row2[3].metric(tr("metric_repeat_buyers"), i18n.fmt_int(s["repeat_buyers"], lang),
                   delta=delta(s, prev, "repeat_buyers"))
    if overview["orders_without_customer"]:
        st.caption(tr("home_no_customer", count=f"{overview['orders_without_customer']:,}"))
    weekly_section(db, as_of, lang)


@ui.guarded
def page() -> None:
    lang = ui.lang()
    ui.said("home")
    overview = ui.overview()
    if overview["orders"] == 0 and overview["members"] == 0:
        welcome()
    else:
        headline(lang)


page()
