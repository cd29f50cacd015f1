"""Purchase count (会员交易笔数): buyers by number of purchases, the repeat funnel, and the loyal
buyers who have gone quiet."""
import pandas as pd
import streamlit as st

from crm import i18n, ui
from crm.analysis import counts
from crm.analysis.counts import GROUPS
from crm.charts.counts import groups_chart, funnel_chart, step_label
from crm.cohorts import CohortSpec
from crm.filters import Filters
from crm.levels import level_name

tr = ui.tr


@st.cache_data(show_spinner=False, max_entries=32)
def cached_default_days(data_version: str, f: Filters) -> int:
    return counts.default_min_days(ui.db(), f)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_compute(data_version: str, f: Filters, min_purchases: int, min_days: int) -> dict:
    return counts.compute(ui.db(), f, min_purchases=min_purchases, min_days=min_days)


def number(v, digits: int = 2) -> float | None:
    return None if v is None else round(float(v), digits)


def headline(c: dict, lang: str) -> None:
    t = c["totals"]
    cols = st.columns(4)
    cols[0].metric(tr("metric_buyers"), i18n.fmt_int(t["buyers"], lang), help=tr("metric_buyers_help"))
    cols[1].metric(tr("metric_repeat_buyers"), i18n.fmt_int(t["repeat_buyers"], lang))
    cols[2].metric(tr("metric_repurchase"), i18n.fmt_pct(t["repurchase_rate"], lang), help=tr("metric_repurchase_help"))
    cols[3].metric(tr("counts_metric_per_buyer"), f"{float(t['purchases_per_buyer'] or 0):.2f}",
                   help=tr("counts_metric_per_buyer_help"))
    if t["no_buyer_purchases"]:
        st.caption(tr("counts_no_buyer", purchases=i18n.fmt_int(t["no_buyer_purchases"], lang),
                      gmv=i18n.fmt_money(t["no_buyer_gmv"], lang)))


def count_section(c: dict, lang: str) -> None:
    picked = ui.chart(groups_chart(c["groups"], lang), key="counts_groups_chart")
    bounds = {gid: (lo, hi) for gid, lo, hi in GROUPS}
    for gid in dict.fromkeys(str(p) for p in picked if str(p) in bounds):
        lo, hi = bounds[gid]  # purchases over the whole history up to the as-of date
        ui.open_cohort_button(CohortSpec(purchases_min=lo, purchases_max=hi), tr("counts_cohort_name", group=gid),
                              key=f"counts_open_cohort_{gid}")
    st.caption(tr("counts_groups_caption"))
    st.subheader(tr("counts_table_title"))
    st.caption(tr("counts_table_caption"))
    table = c["by_count"]
    shown = pd.DataFrame({
        tr("counts_col_purchases"): table["purchases"],
        tr("counts_col_buyers"): [i18n.fmt_int(v, lang) for v in table["buyers"]],
        tr("counts_col_buyer_share"): [i18n.fmt_pct(v, lang) for v in table["buyer_share"]],
        tr("counts_col_gmv"): [i18n.fmt_money(v, lang) for v in table["gmv"]],
        tr("counts_col_gmv_share"): [i18n.fmt_pct(v, lang) for v in table["gmv_share"]],
        tr("counts_col_aov"): [i18n.fmt_money(v, lang) for v in table["avg_order_value"]],
        tr("counts_col_aspb"): [i18n.fmt_money(v, lang) for v in table["avg_spend_per_buyer"]],
    })
    st.dataframe(shown, hide_index=True, width="stretch", key="counts_table")
    raw = pd.DataFrame({
        tr("counts_col_purchases"): table["purchases"], tr("counts_col_buyers"): table["buyers"],
        tr("counts_col_buyer_share"): [number(v, 4) for v in table["buyer_share"]],
        tr("counts_col_gmv"): [number(v) for v in table["gmv"]],
        tr("counts_col_gmv_share"): [number(v, 4) for v in table["gmv_share"]],
        tr("counts_col_aov"): [number(v) for v in table["avg_order_value"]],
        tr("counts_col_aspb"): [number(v) for v in table["avg_spend_per_buyer"]],
    })
    ui.download_buttons(raw, tr("counts_download_table"), key="counts_table_dl")


def funnel_section(c: dict, lang: str) -> None:
    st.subheader(tr("counts_funnel_title"))
    fn = c["funnel"]
    ui.chart(funnel_chart(fn, lang), key="counts_funnel_chart")
    st.caption(tr("counts_funnel_caption"))
    st.dataframe(pd.DataFrame({
        tr("counts_col_step"): [step_label(int(s), lang) for s in fn["step"]],
        tr("counts_col_reached"): [i18n.fmt_int(v, lang) for v in fn["buyers"]],
        tr("counts_col_share"): [i18n.fmt_pct(v, lang) for v in fn["share"]],
        tr("counts_col_conversion"): ["—" if s == 1 else i18n.fmt_pct(v, lang)
                                      for s, v in zip(fn["step"], fn["conversion"])],
        tr("counts_col_median_days"): ["—" if v is None else f"{float(v):,.1f}" for v in fn["median_days"]],
    }), hide_index=True, width="stretch", key="counts_funnel_table")


def silent_section(f: Filters, lang: str, default_days: int) -> None:
    db = ui.db()
    st.subheader(tr("counts_silent_title"))
    c1, c2 = st.columns(2)
    min_purchases = c1.number_input(tr("counts_silent_min_purchases"), min_value=1, max_value=1000,
                                    value=counts.DEFAULT_MIN_PURCHASES, step=1, key="counts_min_purchases",
                                    help=tr("counts_silent_min_purchases_help"))
    min_days = c2.number_input(tr("counts_silent_min_days"), min_value=0, max_value=36500, value=default_days,
                               step=1, key="counts_min_days", help=tr("counts_silent_min_days_help", days=default_days))
    c = cached_compute(db.data_version(), f, int(min_purchases), int(min_days))
    s = c["silent"]
    st.caption(tr("counts_silent_caption", min_purchases=s["min_purchases"], min_days=s["min_days"]))
    m1, m2 = st.columns(2)
    m1.metric(tr("counts_silent_buyers"), i18n.fmt_int(s["buyers"], lang))
    m2.metric(tr("counts_silent_gmv"), i18n.fmt_money(s["gmv"], lang))
    rows = s["rows"]
    if rows.empty:
        st.info(tr("counts_silent_none"))
        return
    if s["buyers"] > len(rows):
        st.caption(tr("counts_silent_limited", shown=i18n.fmt_int(len(rows), lang),
                      total=i18n.fmt_int(s["buyers"], lang)))
    levels = [level_name(v, lang) for v in rows["level_code"]]
    st.dataframe(pd.DataFrame({
        tr("counts_col_customer"): rows["customer_id"],
        tr("counts_col_purchases"): rows["purchases"],
        tr("counts_col_spend"): [i18n.fmt_money(v, lang) for v in rows["spend"]],
        tr("counts_col_last"): [i18n.fmt_date(v, lang) for v in rows["last_purchase"]],
        tr("counts_col_days_since"): rows["days_since_last"],
        tr("counts_col_level"): levels,
    }), hide_index=True, width="stretch", key="counts_silent_table")
    ui.download_buttons(pd.DataFrame({
        tr("counts_col_customer"): rows["customer_id"], tr("counts_col_purchases"): rows["purchases"],
        tr("counts_col_spend"): [number(v) for v in rows["spend"]],
        tr("counts_col_last"): [v.isoformat() for v in rows["last_purchase"]],
        tr("counts_col_days_since"): rows["days_since_last"], tr("counts_col_level"): levels,
    }), tr("counts_download_silent"), key="counts_silent_dl")


@ui.guarded
def page() -> None:
    lang = ui.lang()
    db = ui.db()
    st.title(tr("counts_title"))
    if not ui.require_data():
        return
    f = ui.filters()
    st.caption(tr("counts_intro", as_of=i18n.fmt_date(f.as_of, lang)))
    default_days = cached_default_days(db.data_version(), f)
    c = cached_compute(db.data_version(), f, counts.DEFAULT_MIN_PURCHASES, default_days)
    if c["empty"]:
        st.info(tr("empty_no_purchases"))
        return
    if c["no_buyers"]:
        st.info(tr("empty_no_buyer_key"))
        return
    headline(c, lang)
    count_section(c, lang)
    funnel_section(c, lang)
    silent_section(f, lang, default_days)


page()
