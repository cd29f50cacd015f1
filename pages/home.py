"""Home: the welcome screen on an empty database, else the headline numbers."""
import datetime as dt

import streamlit as st

from crm import i18n, ui
from crm.samples import load_sample
from crm.summary import data_overview, default_as_of, summary

tr = ui.tr


@st.cache_data(show_spinner=False, max_entries=64)
def cached_summary(data_version: str, as_of: dt.date, start: dt.date | None) -> dict:
    return summary(ui.db(), as_of=as_of, start=start)


def sample_button(key: str) -> None:
    if st.button(tr("welcome_try_sample"), help=tr("welcome_sample_help"), type="primary", key=key):
        bar = st.progress(0.0, text=tr("welcome_sample_loading"))
        results = load_sample(ui.db(), progress=lambda f, stage: bar.progress(min(f, 1.0), text=tr("welcome_sample_loading")))
        refused = [r for r in results if not r.ok]
        for r in refused:
            st.error(tr("result_refused", file=r.file_name, reason=ui.msg(r.message)))
        if not refused:
            st.session_state["flash"] = tr("welcome_sample_done")
            st.rerun()


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
    latest = default_as_of(db)
    c1, c2 = st.columns([1, 2])
    as_of = c1.date_input(tr("as_of_label"), value=latest, help=tr("as_of_help"), key="as_of")
    periods = {"all": None, "365": 365, "180": 180, "90": 90, "30": 30}
    period = c2.segmented_control(tr("period_label"), list(periods), default="all", key="home_period",
                                  format_func=lambda p: tr(f"period_{p}"))
    days = periods.get(period or "all")
    start = as_of - dt.timedelta(days=days - 1) if days else None
    s = cached_summary(db.data_version(), as_of, start)
    overview = data_overview(db)
    st.caption(tr("home_range", first=i18n.fmt_date(overview["first_order_at"], lang),
                  last=i18n.fmt_date(overview["last_order_at"], lang)))
    if not s["orders"]:
        st.info(tr("home_no_purchases"))
    row1 = st.columns(4)
    row1[0].metric(tr("metric_members"), i18n.fmt_int(s["members"], lang), help=tr("metric_members_help"))
    row1[1].metric(tr("metric_buyers"), i18n.fmt_int(s["buyers"], lang), help=tr("metric_buyers_help"))
    row1[2].metric(tr("metric_orders"), i18n.fmt_int(s["orders"], lang), help=tr("metric_orders_help"))
    row1[3].metric(tr("metric_gmv"), i18n.fmt_money(s["gmv"], lang), help=tr("metric_gmv_help"))
    row2 = st.columns(4)
    row2[0].metric(tr("metric_aov"), i18n.fmt_money(s["avg_order_value"], lang), help=tr("metric_aov_help"))
    row2[1].metric(tr("metric_aspb"), i18n.fmt_money(s["avg_spend_per_buyer"], lang), help=tr("metric_aspb_help"))
    row2[2].metric(tr("metric_repurchase"), i18n.fmt_pct(s["repurchase_rate"], lang), help=tr("metric_repurchase_help"))
    row2[3].metric(tr("metric_repeat_buyers"), i18n.fmt_int(s["repeat_buyers"], lang))
    if overview["orders_without_customer"]:
        st.caption(tr("home_no_customer", count=f"{overview['orders_without_customer']:,}"))


@ui.guarded
def page() -> None:
    lang = ui.lang()
    if "flash" in st.session_state:
        st.success(st.session_state.pop("flash"))
    if data_overview(ui.db())["orders"] == 0 and data_overview(ui.db())["members"] == 0:
        welcome()
    else:
        headline(lang)


page()
