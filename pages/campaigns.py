"""Campaigns (营销活动): every campaign with its status and result; one campaign's effect in full;
campaigns run in other tools; the opt-out list; contact plans; the shop's campaign settings."""
import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st

from crm import campaigns as C
from crm import cohorts, exports, i18n, plans, ui
from crm.charts import campaigns as campaign_charts

tr = ui.tr
P = "camp_"


@st.cache_data(show_spinner=False, max_entries=16)
def cached_list(data_version: str) -> list[dict]:
    return C.list_campaigns(ui.db())


@st.cache_data(show_spinner=False, max_entries=32)
def cached_report(data_version: str, name: str, lang: str) -> dict:
    return C.report(ui.db(), name, lang=lang)


def run(action, ok_text=None) -> None:
    """Do `action`; a bad value becomes a warning in the user's language, the page reruns on success
    with `ok_text` (a text, or a function of the result)."""
    ui.write_and_rerun("campaigns", action, ok_text)


def pct(v, lang, d=1):
    return "—" if v is None else i18n.fmt_pct(v, lang, d)


def campaign_table(rows: list[dict], lang: str) -> None:
    if not rows:
        st.info(tr("campaign_list_empty"))
        return
    df = pd.DataFrame({
        tr("campaign_name"): [r["name"] for r in rows],
        tr("campaign_status"): [tr(f"campaign_status_{r['status']}") for r in rows],
        tr("campaign_start"): [r["start"] for r in rows],
        tr("campaign_window"): [r["window_days"] for r in rows],
        tr("campaign_group_treatment"): [r["treatment"] for r in rows],
        tr("campaign_group_holdout"): [r["holdout"] for r in rows],
        tr("campaignpage_rates"): [f"{pct(r['treatment_rate'], lang)} / {pct(r['holdout_rate'], lang)}" for r in rows],
        tr("campaign_lift"): [("—" if r["lift"] is None else
                               f"{r['lift'] * 100:+.1f} ({r['lift_ci'][0] * 100:.1f} ~ {r['lift_ci'][1] * 100:.1f})")
                              for r in rows],
        tr("campaign_verdict"): [tr(f"campaignpage_verdict_{r['verdict']}") for r in rows],
    })
    st.dataframe(df, hide_index=True, width="stretch")
    st.caption(tr("campaignpage_table_caption"))


def detail(db, name: str, lang: str) -> None:
    r = cached_report(db.data_version(), name, lang)
    st.markdown(f"### {r['name']}")
    st.caption(tr("campaignpage_detail_caption", channel=tr("channel_" + r["channel"]), start=r["start"],
                  end=r["window_end"], window=r["window_days"], offer=r["offer"] or "—",
                  status=tr(f"campaign_status_{r['status']}")))
    box = {"lift": st.success, "harm": st.error, "unclear": st.info}[r["verdict"]]
    box(r["verdict_text"])
    if r["srm_warning"]:
        st.warning(tr("campaign_srm_warning", p=f"{r['srm_p']:.2g}"))
    cols = st.columns(3)
    for col, g in zip(cols, C.GROUPS):
        x = r[g]
        with col:
            st.markdown(f"**{tr('campaign_group_' + g)}**")
            st.metric(tr("campaign_members"), i18n.fmt_int(x["members"], lang))
            st.metric(tr("campaign_buyers"), i18n.fmt_int(x["buyers"], lang), help=tr("campaignpage_buyers_help"))
            st.metric(tr("campaign_rate"), pct(x["purchase_rate"], lang, 2))
            st.metric(tr("campaign_gmv_per_member"), i18n.fmt_money(x["gmv_per_member"], lang))
    lift = r["lift"]
    with cols[2]:
        st.markdown(f"**{tr('campaign_lift')}**")
        if lift["purchase_rate_diff"] is not None:
            lo, hi = lift["purchase_rate_diff_ci"]
            st.metric(tr("campaign_rate"), f"{lift['purchase_rate_diff'] * 100:+.2f} pp",
                      help=tr("campaign_rate_ci") + f": {lo * 100:.2f} ~ {hi * 100:.2f} pp")
            glo, ghi = lift["gmv_per_member_diff_ci"]
            st.metric(tr("campaign_gmv_per_member"), i18n.fmt_money(lift["gmv_per_member_diff"], lang),
                      help=tr("campaign_gmv_ci") + (f": {glo:,.2f} ~ {ghi:,.2f}" if glo is not None else ""))
            st.metric(tr("campaign_incremental_buyers"), f"{lift['incremental_buyers']:,.1f}")
            st.metric(tr("campaign_incremental_gmv"), i18n.fmt_money(lift["incremental_gmv"], lang))
    costs = r["costs"]
    c = st.columns(5)
    c[0].metric(tr("campaign_redemptions"), i18n.fmt_int(costs["redemptions"], lang))
    c[1].metric(tr("campaign_coupon_cost"), i18n.fmt_money(costs["coupon_cost"], lang))
    c[2].metric(tr("campaign_message_cost"), i18n.fmt_money(costs["message_cost"], lang))
    c[3].metric(tr("campaign_profit"), i18n.fmt_money(costs["incremental_gross_profit"], lang))
    c[4].metric(tr("campaign_roi"), pct(costs["roi"], lang))
    st.caption(tr("campaignpage_costs_caption", margin=i18n.fmt_pct(costs["margin"], lang, 0),
                  cost=i18n.fmt_money(costs["cost_per_message"], lang)))
    ui.chart(campaign_charts.cumulative_rate(C.daily(db, name), lang), key=P + "daily", selectable=False)
    with st.expander(tr("campaignpage_definitions")):
        for key in ("campaign_def_groups", "campaign_def_window", "campaign_def_rate", "campaign_def_lift",
                    "campaign_def_costs", "campaign_def_verdict"):
            st.markdown("- " + tr(key))
    d = st.columns(4)
    d[0].download_button(tr("campaignpage_download_report"), data=lambda: C.report_xlsx(db, name, lang),
                         file_name=exports.safe_filename(f"{name}_report.xlsx"), on_click="ignore",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         key=P + "dl_report", width="stretch")
    ui.contact_list_buttons(d[1:3], name, lang, key=P + "dl")
    d[3].download_button(tr("campaignpage_download_holdout"),
                         data=lambda: exports.to_csv_bytes(C.members(db, name, "holdout", lang)),
                         file_name=exports.safe_filename(f"{tr('campaignpage_holdout_file')}_{name}.csv"),
                         mime="text/csv", key=P + "dl_hold", on_click="ignore", width="stretch",
                         help=tr("campaign_error_holdout_export"))
    t1, t2 = st.columns([3, 1])
    tag = t1.text_input(tr("campaignpage_tag"), key=P + "tag_name", placeholder=tr("campaignpage_tag_placeholder"))
    if t2.button(tr("campaignpage_tag_go"), key=P + "tag_go", disabled=not tag.strip(), width="stretch"):
        from crm import tags
        run(lambda: tags.add_to_tag(db, tag, C.contacted_sql(db, name), create=True),
            lambda n: tr("tags_added", added=i18n.fmt_int(n, lang), name=tag.strip(),
                         members=i18n.fmt_int(r["treatment"]["members"], lang)))
    with st.expander(tr("campaignpage_delete")):
        sure = st.checkbox(tr("campaignpage_delete_confirm", name=name), key=P + "del_sure")
        if st.button(tr("campaignpage_delete"), key=P + "del", disabled=not sure):
            run(lambda: C.delete(db, name))


def register_external(db, lang) -> None:
    with st.expander(tr("campaignpage_external"), icon=":material/input:"):
        st.caption(tr("campaignpage_external_help"))
        c = st.columns(2)
        treat = c[0].file_uploader(tr("campaignpage_external_treatment"), type=["txt", "csv"], key=P + "ext_t")
        hold = c[1].file_uploader(tr("campaignpage_external_holdout"), type=["txt", "csv"], key=P + "ext_h")
        c = st.columns(4)
        name = c[0].text_input(tr("campaign_name"), key=P + "ext_name")
        start = c[1].date_input(tr("campaign_start"), value=ui.filters().as_of, key=P + "ext_start",
                                min_value=dt.date(1995, 1, 1))
        window = c[2].number_input(tr("campaign_window"), 1, 365, C.DEFAULT_WINDOW, key=P + "ext_window")
        channel = c[3].selectbox(tr("campaign_channel"), C.CHANNELS, format_func=lambda x, lang=lang: i18n.t("channel_" + x, lang),
                                 key=P + "ext_channel")
        if st.button(tr("campaignpage_external_go"), key=P + "ext_go", disabled=not (treat and hold and name.strip())):
            keys = [_keys(treat), _keys(hold)]
            run(lambda: C.import_lists(db, name, keys[0], keys[1], start, window=int(window), channel=channel),
                lambda out: tr("campaign_imported", name=out["name"], treatment=out["treatment"],
                               holdout=out["holdout"], opted_out=out["opted_out"], unknown=out["unknown"]))


def _keys(uploaded) -> list[str]:
    return C.keys_from_bytes(uploaded.getvalue(), uploaded.name)


def optouts(db, lang) -> None:
    with st.expander(tr("campaignpage_optouts", n=i18n.fmt_int(C.optout_count(db), lang)), icon=":material/block:"):
        st.caption(tr("campaignpage_optouts_help"))
        c = st.columns(2)
        up = c[0].file_uploader(tr("campaignpage_optouts_file"), type=["txt", "csv"], key=P + "opt_file")
        typed = c[1].text_area(tr("campaignpage_optouts_typed"), key=P + "opt_typed", height=100)
        keys = (_keys(up) if up else []) + [k for k in typed.splitlines() if k.strip()]
        if st.button(tr("campaignpage_optouts_add", n=len(keys)), key=P + "opt_add", disabled=not keys):
            run(lambda: C.optout_add(db, keys, source=up.name if up else "manual"),
                lambda out: tr("optout_added", added=out["added"], already=out["already"], unknown=out["unknown"]))
        df = C.optout_list(db)
        if not df.empty:
            show = pd.DataFrame({tr("cohorts_col_name"): df["customer_id"],
                                 tr("campaignpage_optouts_added_at"): df["added_at"].dt.strftime("%Y-%m-%d %H:%M"),
                                 tr("campaignpage_optouts_source"): df["source"],
                                 tr("campaignpage_optouts_known"): df["known"]})
            st.dataframe(show, hide_index=True, width="stretch", height=220)
            remove = st.multiselect(tr("campaignpage_optouts_remove"), list(df["customer_id"]), key=P + "opt_rm")
            if st.button(tr("campaignpage_optouts_remove_go"), key=P + "opt_rm_go", disabled=not remove):
                run(lambda: C.optout_remove(db, remove), lambda n: tr("optout_removed", n=n))


def plans_section(db, lang) -> None:
    with st.expander(tr("campaignpage_plans"), icon=":material/event_repeat:"):
        st.caption(tr("campaignpage_plans_help"))
        saved = [c["name"] for c in cohorts.list_cohorts(db)]
        c = st.columns(4)
        name = c[0].text_input(tr("campaignpage_plan_name"), key=P + "plan_name")
        kind = c[1].radio(tr("campaignpage_plan_kind"), ["cohort", "birthday"], key=P + "plan_kind",
                          format_func=lambda k, lang=lang: i18n.t(f"campaignpage_plan_kind_{k}", lang), horizontal=True)
        if kind == "cohort":
            cohort_name = c[2].selectbox(tr("cohortpage_saved"), saved, key=P + "plan_cohort")
            days = None
        else:
            cohort_name = None
            days = c[2].number_input(tr("campaignpage_plan_birthday_days"), 0, 60, 7, key=P + "plan_bday")
        cadence = c[3].selectbox(tr("campaignpage_plan_cadence"), list(plans.CADENCES), index=1, key=P + "plan_cadence",
                                 format_func=lambda x, lang=lang: i18n.t(f"campaignpage_cadence_{x}", lang))
        c = st.columns(5)
        holdout = c[0].slider(tr("campaign_holdout_share"), 0, 50, 10, 1, format="%d%%", key=P + "plan_hold") / 100
        cap = c[1].number_input(tr("campaignpage_cap_days"), 0, 365, 30, key=P + "plan_cap")
        channel = c[2].selectbox(tr("campaign_channel"), C.CHANNELS, format_func=lambda x, lang=lang: i18n.t("channel_" + x, lang),
                                 key=P + "plan_channel")
        window = c[3].number_input(tr("campaign_window"), 1, 365, C.DEFAULT_WINDOW, key=P + "plan_window")
        offer = c[4].text_input(tr("campaign_offer"), key=P + "plan_offer", placeholder="满99减10")
        first = st.date_input(tr("campaignpage_plan_first"), value=dt.date.today(), key=P + "plan_first")
        if st.button(tr("campaignpage_plan_add"), key=P + "plan_add",
                     disabled=not name.strip() or (kind == "cohort" and not cohort_name)):
            run(lambda: plans.save_plan(db, name, cohort_name=cohort_name, birthday_days=days, cadence=cadence,
                                        holdout=holdout, cap_days=int(cap) or None, channel=channel,
                                        window=int(window), offer=offer or None, first=first),
                tr("campaignpage_plan_added"))
        rows = plans.list_plans(db)
        if rows:
            st.dataframe(pd.DataFrame({
                tr("campaignpage_plan_name"): [r["name"] for r in rows],
                tr("campaignpage_plan_kind"): [r["cohort_name"] or tr("campaignpage_plan_birthday_n", n=r["birthday_days"])
                                               for r in rows],
                tr("campaignpage_plan_cadence"): [tr(f"campaignpage_cadence_{r['cadence']}") for r in rows],
                tr("campaign_holdout_share"): [i18n.fmt_pct(r["holdout_share"], lang, 0) for r in rows],
                tr("campaignpage_plan_next"): [r["next_due"].isoformat() for r in rows]}),
                hide_index=True, width="stretch")
            c = st.columns(3)
            pick = c[0].selectbox(tr("campaignpage_plan_name"), [r["name"] for r in rows], key=P + "plan_pick")
            if c[1].button(tr("campaignpage_plan_delete"), key=P + "plan_del"):
                run(lambda: plans.delete_plan(db, pick))
            if c[2].button(tr("campaignpage_run_due"), key=P + "run_due", help=tr("campaignpage_run_due_help")):
                folder = Path(db.path).parent / "campaign_lists"
                run(lambda: plans.run_due(db, dt.date.today(), folder, lang),
                    lambda done: tr("campaignpage_run_due_done", n=len(done), folder=str(folder)))


def settings(db, lang) -> None:
    with st.expander(tr("campaignpage_settings"), icon=":material/tune:"):
        now = C.settings(db)
        c = st.columns(3)
        cap = c[0].number_input(tr("campaignpage_cap_default"), 0, 365, now["contact_cap_days"],
                                key=P + "set_cap", help=tr("campaignpage_cap_default_help"))
        margin = c[1].slider(tr("coupons_assume_gross_margin"), 0, 100, int(round(now["campaign_margin"] * 100)),
                             format="%d%%", key=P + "set_margin")
        cost = c[2].number_input(tr("coupons_assume_message_cost"), 0.0, 10.0, now["campaign_message_cost"], 0.01,
                                 key=P + "set_cost")
        if st.button(tr("campaignpage_settings_save"), key=P + "set_go"):
            run(lambda: C.save_settings(db, cap, margin / 100, cost), tr("campaignpage_settings_saved"))


@ui.guarded
def page() -> None:
    db = ui.db()
    lang = ui.lang()
    st.title(tr("campaigns_title"))
    st.caption(tr("campaigns_intro"))
    ui.said("campaigns")
    if not ui.require_data():
        return
    rows = cached_list(db.data_version())
    campaign_table(rows, lang)
    if rows:
        names = [r["name"] for r in rows]
        wanted = st.session_state.pop("campaign_open", None)
        if wanted in names:
            st.session_state[P + "pick"] = wanted
        name = st.selectbox(tr("campaignpage_pick"), names, key=P + "pick")
        detail(db, name, lang)
    st.divider()
    register_external(db, lang)
    optouts(db, lang)
    plans_section(db, lang)
    settings(db, lang)


page()
