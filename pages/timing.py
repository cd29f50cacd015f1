"""Time (会员时间): when members buy, and how soon they come back."""
import streamlit as st

from crm import ui
from crm.analysis import timing
from crm.analysis.timing import RECENCY_BINS
from crm.charts import timing as charts
from crm.cohorts import CohortSpec
from crm.filters import Filters

tr = ui.tr
PEAKS_SHOWN = 12


@st.cache_data(show_spinner=False, max_entries=32)
def cached_compute(data_version: str, f: Filters, grain: str, parts: tuple[str, ...]) -> dict:
    return timing.compute(ui.db(), f, grain, parts)


def headline(c: dict) -> None:
    u = c["usage_cycle"]
    if u["median_days"] is None:
        st.info(tr("timing_headline_none"))
        return
    median, p80 = charts.days_text(u["median_days"]), charts.days_text(u["p80_days"])
    with st.container(border=True):
        st.markdown(f"#### {tr('timing_headline', median=median, p80=p80)}")
        m = st.columns(3)
        m[0].metric(tr("timing_cycle_median"), tr("timing_days_value", days=median))
        m[1].metric(tr("timing_cycle_p80"), tr("timing_days_value", days=p80))
        m[2].metric(tr("timing_cycle_buyers"), f"{u['buyers']:,}")
        st.caption(tr("timing_headline_caption", buyers=f"{u['buyers']:,}", gaps=f"{u['gaps']:,}", p80=p80))


def trend_section(c: dict, metric: str, lang: str) -> None:
    df, grain = c["trend"], c["grain"]
    ui.chart(charts.trend_chart(df, metric, grain, c["festivals"], lang), key="timing_trend")
    st.caption(tr("timing_trend_caption"))
    label = {r.period: charts.period_label(r.period, r.period_end, grain, lang) for r in df.itertuples()}
    peaks, offs = list(df.loc[df["peak"], "period"]), list(df.loc[df["off_season"], "period"])
    sep = "、" if lang == "zh" else ", "

    def listed(periods):
        more = " …" if len(periods) > PEAKS_SHOWN else ""
        return sep.join(label[p] for p in periods[:PEAKS_SHOWN]) + more
    if peaks:
        st.markdown(tr("timing_peaks_list", periods=listed(peaks)))
    if offs:
        st.markdown(tr("timing_off_list", periods=listed(offs)))
    if not peaks and not offs:
        st.caption(tr("timing_no_peaks", n=timing.MIN_PERIODS_FOR_PEAKS))


def weekday_section(c: dict, lang: str) -> None:
    if c["has_time"]:
        ui.chart(charts.weekday_hour_heatmap(c["weekday_hour"], lang), key="timing_weekday_hour", selectable=False)
        st.caption(tr("timing_weekday_hour_caption"))
    else:
        ui.chart(charts.weekday_bars(c["weekday_hour"], lang), key="timing_weekday", selectable=False)
        st.caption(tr("timing_weekday_caption"))


def customer_sections(c: dict, f: Filters, lang: str) -> None:
    left, right = st.columns(2)
    with left:
        ui.chart(charts.new_returning_bars(c["monthly"], lang), key="timing_new_returning")
        st.caption(tr("timing_new_returning_caption"))
    with right:
        picked = ui.chart(charts.days_since_last_bars(c["days_since_last"], f.as_of, lang), key="timing_recency")
        bins = {b: (lo, hi) for b, lo, hi in RECENCY_BINS}
        for b in dict.fromkeys(str(p) for p in picked if str(p) in bins):
            ui.open_cohort_button(CohortSpec(days_min=bins[b][0], days_max=bins[b][1]),
                                  tr("timing_cohort_name", days=b), key=f"timing_open_cohort_{b}")
        st.caption(tr("timing_recency_caption"))
    u = c["usage_cycle"]
    if u["gaps"]:
        ui.chart(charts.gap_histogram(u["histogram"], u["median_days"], u["p80_days"], lang), key="timing_gaps",
                 selectable=False)
        st.caption(tr("timing_gap_caption"))
    if c["retention"].empty:
        st.info(tr("timing_retention_empty"))
    elif not (c["retention"]["month_offset"] >= 1).any():
        st.info(tr("timing_retention_too_soon"))
    else:
        ui.chart(charts.retention_heatmap(c["retention"], lang), key="timing_retention")
        st.caption(tr("timing_retention_caption"))


def tables(c: dict, lang: str) -> None:
    monthly = charts.monthly_table(c["monthly"], lang)
    st.markdown(f"**{tr('timing_monthly_table')}**")
    st.dataframe(monthly, hide_index=True, width="stretch",
                 column_config={tr("timing_col_gmv"): st.column_config.NumberColumn(format="¥%.2f")})
    ui.download_buttons(monthly, tr("timing_file_monthly"), key="timing_dl_monthly")
    if (c["retention"]["month_offset"] >= 1).any():
        retention = charts.retention_table(c["retention"], lang)
        st.markdown(f"**{tr('timing_retention_table')}**")
        pct = st.column_config.NumberColumn(format="%.1f%%")
        st.dataframe(retention, hide_index=True, width="stretch",
                     column_config={col: pct for col in retention.columns[2:]})
        ui.download_buttons(retention, tr("timing_file_retention"), key="timing_dl_retention")


@ui.guarded
def page() -> None:
    lang = ui.lang()
    st.title(tr("timing_title"))
    st.caption(tr("timing_intro"))
    db = ui.db()
    if not ui.require_data():
        return
    f = ui.filters()
    c1, c2 = st.columns([1, 1])
    grain = c1.radio(tr("timing_grain"), timing.GRAINS, index=timing.GRAINS.index("month"), horizontal=True,
                     key="timing_grain", format_func=lambda g: charts.grain_name(g, lang))
    metric = c2.selectbox(tr("timing_metric"), charts.METRICS, key="timing_metric",
                          format_func=lambda m: charts.metric_name(m, lang))
    labels = [tr("timing_tab_when"), tr("timing_tab_return"), tr("timing_tables")]
    # only what the open tab shows is computed (a province filter on 10M orders: ~0.8 s instead of 1.6 s)
    showing_when = ui.tab_shown(labels, "timing_tab") == labels[0]
    c = cached_compute(db.data_version(), f, grain, ("core", "when") if showing_when else ("core",))
    if c["empty"]:
        st.info(tr("empty_no_purchases"))
        return
    has_buyers = int(c["monthly"]["buyers"].sum()) > 0
    if has_buyers:
        headline(c)
    else:
        st.info(tr("empty_no_buyer_key"))
    when, back, table_tab = ui.lazy_tabs(labels, key="timing_tab")
    with when:
        if when.open:
            trend_section(c, metric, lang)
            weekday_section(c, lang)
    # the coming-back figures do not depend on the grain: one cached result whatever the grain
    coming_back = lambda: cached_compute(db.data_version(), f, "month", ("back",)) | c  # noqa: E731
    with back:
        if back.open and has_buyers:
            customer_sections(coming_back(), f, lang)
    with table_tab:
        if table_tab.open:
            tables(coming_back(), lang)


page()
