"""Cohorts & coupons (人群与优惠券): build a cohort, size a coupon for it, export the target list,
tag its members."""
import datetime as dt

import pandas as pd
import streamlit as st

from crm import campaigns, cohorts, coupons, exports, i18n, predictions, recommend, tags, ui
from crm.charts import cohorts as cohort_charts
from crm.charts import coupons as coupon_charts
from crm.cohorts import CohortSpec, KeyedError
from crm.levels import LEVEL_CODES, level_name
from crm.segments import STAGES, load_thresholds, stage_name

tr = ui.tr
P = "cohort_"  # widget key prefix

FIELDS = {  # widget → CohortSpec field
    "days_min": None, "days_max": None, "purchases_min": None, "purchases_max": None,
    "spend_min": None, "spend_max": None, "aov_min": None, "aov_max": None,
    "stages": [], "levels": [], "provinces": [], "tags_any": [], "tags_none": [],
    "item_contains": "", "first_from": None, "first_to": None, "not_contacted_days": None,
    "birthday_within_days": None, "p_alive_max": None, "predicted_spend_min": None,
}
PERCENT = ("p_alive_max",)   # shown in %, kept as a probability


@st.cache_data(show_spinner=False, max_entries=64)
def cached_evaluate(data_version: str, spec: CohortSpec, as_of: dt.date, rules, thresholds) -> dict:
    # the figures only: the members' order values wait for the coupon sizing (a cohort change is
    # then one lighter query; 10M orders: ~0.1 s less)
    return cohorts.evaluate(ui.db(), spec, as_of, rules, thresholds)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_left_out(data_version: str, spec: CohortSpec, as_of: dt.date, rules, thresholds) -> dict:
    return campaigns.left_out(ui.db(), spec, as_of, rules, thresholds)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_plan(data_version: str, spec: CohortSpec, as_of: dt.date, holdout: float, window: int, rules,
                thresholds) -> dict:
    return campaigns.plan(ui.db(), spec, as_of, holdout, window, rules, thresholds)


@st.cache_data(show_spinner=False, max_entries=8)
def cached_measured(data_version: str, stage: str | None) -> dict | None:
    return campaigns.measured_rates(ui.db(), stage)


@st.cache_data(show_spinner=False, max_entries=8)
def cached_basis(data_version: str, as_of: dt.date, rules) -> dict:
    return cohorts.preset_basis(ui.db(), as_of, rules)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_values(data_version: str, spec: CohortSpec, as_of: dt.date, rules, thresholds) -> dict:
    e = cached_evaluate(data_version, spec, as_of, rules, thresholds)
    counted = cohorts.order_value_counts(ui.db(), spec, as_of, rules, thresholds)
    return coupons.stats_from_counts(counted, e["members"], e["members"], as_of)


@st.cache_data(show_spinner=False, max_entries=8)
def cached_options(data_version: str) -> dict:
    from crm.filters import filter_options
    return filter_options(ui.db())


def apply_spec(spec: CohortSpec) -> None:
    """Put a spec into the widgets (before they are drawn), then rerun."""
    for name, empty in FIELDS.items():
        v = getattr(spec, name)
        if isinstance(empty, list):
            v = list(v)
        elif name in PERCENT and v is not None:
            v = float(v) * 100
        elif name in ("spend_min", "spend_max", "aov_min", "aov_max", "predicted_spend_min") and v is not None:
            v = float(v)
        elif name == "item_contains":
            v = v or ""
        st.session_state[P + name] = v


def pick(spec: CohortSpec, name: str) -> None:
    """A button's callback: the spec goes into the widgets before the page runs again, so a click is
    one run of the page (a st.rerun() after drawing would make it two)."""
    apply_spec(spec)
    st.session_state[P + "name"] = name


def spec_from_widgets() -> CohortSpec:
    values = {name: st.session_state.get(P + name, empty) for name, empty in FIELDS.items()}
    values["item_contains"] = (values["item_contains"] or "").strip() or None
    for name in PERCENT:
        if values[name] is not None:
            values[name] = round(values[name] / 100, 4)
    return CohortSpec.from_dict(values)


def load(name: str) -> None:
    try:
        pick(cohorts.load_cohort(ui.db(), name), name)
    except KeyedError as err:                  # deleted meanwhile (another tab), or damaged
        st.session_state[P + "load_error"] = err.text(ui.lang())


def presets_bar(db, f, thresholds) -> None:
    basis = cached_basis(db.data_version(), f.as_of, f.rules)
    c1, c2 = st.columns([3, 1])
    k = c2.number_input(tr("cohortpage_k"), min_value=0.5, max_value=10.0, value=2.0, step=0.5, key=P + "k",
                        help=tr("cohortpage_k_help", cycle=f"{basis['cycle_days']:.0f}"))
    with c1:
        st.caption(tr("cohortpage_presets_intro", cycle=f"{basis['cycle_days']:.0f}"))
        specs = cohorts.presets(db, f.as_of, f.rules, thresholds, k=k, basis=basis)
        cols = st.columns(len(specs))
        for col, (pid, spec) in zip(cols, specs.items()):
            name = cohorts.preset_name(pid, ui.lang())
            col.button(name, key=P + f"preset_{pid}", help=tr(f"cohorts_preset_{pid}_help"), width="stretch",
                       on_click=pick, args=(spec, name))
    if basis["usage_cycle_days"] is None:
        st.caption(tr("cohorts_cycle_fallback", days=f"{basis['cycle_days']:.0f}"))
    saved = cohorts.list_cohorts(db)
    if saved:
        s1, s2, s3 = st.columns([3, 1, 1])
        name = s1.selectbox(tr("cohortpage_saved"), [c["name"] for c in saved], key=P + "saved_pick")
        s2.button(tr("cohortpage_load"), key=P + "load", width="stretch", on_click=load, args=(name,))
        if s3.button(tr("cohortpage_delete"), key=P + "delete", width="stretch"):
            cohorts.delete_cohort(db, name)
            st.rerun()
    if P + "load_error" in st.session_state:
        st.warning(st.session_state.pop(P + "load_error"))


def filters_form(db, lang) -> None:
    opts = cached_options(db.data_version())
    tag_names = list(tags.list_tags(db)["name"])
    with st.expander(tr("cohortpage_filters"), expanded=True):
        c = st.columns(4)
        c[0].number_input(tr("cohortpage_days_min"), min_value=0, step=1, value=None, key=P + "days_min")
        c[1].number_input(tr("cohortpage_days_max"), min_value=0, step=1, value=None, key=P + "days_max")
        c[2].number_input(tr("cohortpage_purchases_min"), min_value=1, step=1, value=None, key=P + "purchases_min")
        c[3].number_input(tr("cohortpage_purchases_max"), min_value=1, step=1, value=None, key=P + "purchases_max")
        c = st.columns(4)
        c[0].number_input(tr("cohortpage_spend_min"), min_value=0.0, step=10.0, value=None, key=P + "spend_min")
        c[1].number_input(tr("cohortpage_spend_max"), min_value=0.0, step=10.0, value=None, key=P + "spend_max")
        c[2].number_input(tr("cohortpage_aov_min"), min_value=0.0, step=10.0, value=None, key=P + "aov_min")
        c[3].number_input(tr("cohortpage_aov_max"), min_value=0.0, step=10.0, value=None, key=P + "aov_max")
        c = st.columns(3)
        c[0].multiselect(tr("cohortpage_stages"), list(STAGES), format_func=lambda s: stage_name(s, lang),
                         key=P + "stages", placeholder=tr("filters_all"))
        c[1].multiselect(tr("cohortpage_levels"), list(LEVEL_CODES), format_func=lambda x: level_name(x, lang),
                         key=P + "levels", placeholder=tr("filters_all"))
        c[2].multiselect(tr("cohortpage_provinces"), opts["provinces"], key=P + "provinces",
                         placeholder=tr("filters_all"))
        c = st.columns(4)
        c[0].date_input(tr("cohortpage_first_from"), value=None, key=P + "first_from", min_value=dt.date(1970, 1, 1))
        c[1].date_input(tr("cohortpage_first_to"), value=None, key=P + "first_to", min_value=dt.date(1970, 1, 1))
        c[2].multiselect(tr("cohortpage_tags_any"), tag_names, key=P + "tags_any", placeholder=tr("filters_all"))
        c[3].multiselect(tr("cohortpage_tags_none"), tag_names, key=P + "tags_none", placeholder="—")
        st.text_input(tr("cohortpage_item"), key=P + "item_contains", placeholder=tr("cohortpage_item_placeholder"))
        c = st.columns(2)
        if P + "not_contacted_days" not in st.session_state:       # the shop's frequency cap, editable here
            st.session_state[P + "not_contacted_days"] = campaigns.settings(db)["contact_cap_days"] or None
        c[0].number_input(tr("cohortpage_not_contacted"), min_value=0, step=1, value=None, key=P + "not_contacted_days",
                          help=tr("cohortpage_not_contacted_help"))
        c[1].number_input(tr("cohortpage_birthday"), min_value=0, max_value=60, step=1, value=None,
                          key=P + "birthday_within_days", help=tr("cohortpage_birthday_help"))
        c = st.columns(2)
        c[0].number_input(tr("cohortpage_p_alive_max"), min_value=0.0, max_value=100.0, step=5.0, value=None,
                          key=P + "p_alive_max", help=tr("cohortpage_p_alive_help"))
        c[1].number_input(tr("cohortpage_predicted_spend_min"), min_value=0.0, step=50.0, value=None,
                          key=P + "predicted_spend_min", help=tr("cohortpage_p_alive_help"))
        st.button(tr("cohortpage_clear"), key=P + "clear", on_click=pick, args=(CohortSpec(), ""))


def summary_section(e: dict, spec: CohortSpec, gone: dict, lang: str) -> None:
    st.markdown("**" + tr("cohortpage_definition") + "** " + "；".join(cohorts.describe(spec, lang)))
    m = st.columns(4)
    m[0].metric(tr("cohorts_members"), i18n.fmt_int(e["members"], lang),
                help=tr("cohortpage_members_help", share=i18n.fmt_pct(e["share"], lang)))
    m[1].metric(tr("cohorts_gmv"), i18n.fmt_money(e["gmv"], lang))
    m[2].metric(tr("cohortpage_aov"), i18n.fmt_money(e["aov"], lang) if e["aov"] is not None else "—")
    m[3].metric(tr("cohorts_share"), i18n.fmt_pct(e["share"], lang))
    if gone["opted_out"] or gone["contacted"]:
        st.caption(tr("cohortpage_left_out", opted_out=i18n.fmt_int(gone["opted_out"], lang),
                      contacted=i18n.fmt_int(gone["contacted"], lang), days=spec.not_contacted_days or 0))
    if e["empty"]:
        st.info(tr("cohortpage_empty"))


def overview_section(e: dict, lang: str) -> None:
    """Who they are: the level and stage mix and the top-spending members."""
    if e["empty"]:
        return
    c1, c2 = st.columns(2)   # lists of bars in HTML: a cohort change draws no chart in the browser
    c1.markdown(cohort_charts.level_mix(e["level_mix"], lang), unsafe_allow_html=True)
    c2.markdown(cohort_charts.stage_mix(e["stage_mix"], lang), unsafe_allow_html=True)
    st.caption(tr("cohortpage_sample_caption"))
    sample = e["sample"].copy()
    if not sample.empty:
        show = pd.DataFrame({
            tr("cohorts_col_name"): sample["customer_id"],
            tr("cohorts_col_level"): [level_name(v, lang) for v in sample["level_code"]],
            tr("cohorts_col_stage"): [stage_name(v, lang) for v in sample["stage"]],
            tr("cohorts_col_purchases"): sample["purchases"],
            tr("cohorts_col_spend"): [i18n.fmt_money(v, lang) for v in sample["spend"]],
            tr("cohorts_col_last_purchase"): [i18n.fmt_date(v, lang) for v in sample["last_purchase_at"]],
            tr("cohorts_col_days_since_last"): sample["days_since_last"],
        })
        st.dataframe(show, hide_index=True, width="stretch")


@st.cache_data(show_spinner=False, max_entries=32)
def cached_likes(data_version: str, spec: CohortSpec, as_of: dt.date, rules, thresholds) -> pd.DataFrame:
    db = ui.db()
    return recommend.cohort_likes(db, cohorts.members_sql(spec, as_of, rules, thresholds,
                                                          fast=cohorts.complete_history(db, as_of)))


def likes_section(db, spec, e, f, thresholds, lang) -> None:
    """What this cohort likes: the items its members bought most over the shop's rate."""
    if e["empty"]:
        return
    # computed only when asked for: a filter change stays one cohort query
    if not st.toggle(tr("cohortpage_likes"), key=P + "likes_on"):
        return
    likes = cached_likes(db.data_version(), spec, f.as_of, f.rules, thresholds)
    if likes.empty:
        st.caption(tr("cohortpage_likes_none"))
        return
    with st.container(border=True):
        st.caption(tr("cohortpage_likes_caption"))
        st.dataframe(pd.DataFrame({
            tr("cohortpage_likes_item"): likes["item"], tr("cohortpage_likes_members"): likes["members"],
            tr("cohortpage_likes_share"): [i18n.fmt_pct(v, lang) for v in likes["share"]],
            tr("cohortpage_likes_shop"): [i18n.fmt_pct(v, lang) for v in likes["shop_share"]],
            tr("cohortpage_likes_lift"): [f"{v:.2f}×" for v in likes["lift"]]}), hide_index=True, width="stretch")


def save_section(db, spec: CohortSpec) -> None:
    c1, c2 = st.columns([3, 1])
    name = c1.text_input(tr("cohortpage_name"), key=P + "name", placeholder=tr("cohortpage_name_placeholder"))
    if c2.button(tr("cohortpage_save"), key=P + "save", width="stretch"):
        ui.write_and_rerun("cohort_save", lambda: cohorts.save_cohort(db, name, spec),
                           lambda kept: tr("cohorts_saved", name=kept))
    ui.said("cohort_save")


def coupon_section(db, spec, e, f, thresholds, lang) -> dict | None:
    st.subheader(tr("coupons_title"))
    if e["empty"]:
        st.info(tr("coupons_empty_cohort"))
        return None
    stats = cached_values(db.data_version(), spec, f.as_of, f.rules, thresholds)
    if stats.get("empty"):
        st.info(tr("coupons_no_orders"))
        return None
    mix = e["stage_mix"]
    main_stage = mix.loc[mix["members"].idxmax(), "stage"] if int(mix["members"].sum()) else None
    measured = cached_measured(db.data_version(), main_stage)
    if measured:
        m1, m2 = st.columns([3, 1])
        m1.caption(tr("cohortpage_measured_similar" if measured["similar"] else "cohortpage_measured",
                      stage=stage_name(main_stage, lang) if main_stage else "", campaigns="、".join(measured["campaigns"][:3]),
                      rate=i18n.fmt_pct(measured["redemption"], lang), base=i18n.fmt_pct(measured["baseline"], lang)))
        if m2.button(tr("cohortpage_measured_use"), key=P + "use_measured"):
            st.session_state[P + "rate"] = round(min(measured["redemption"] * 100, 50.0), 1)
            st.session_state[P + "baseline"] = round(min(measured["baseline"] * 100, 30.0), 1)
            st.rerun()
    c = st.columns(5)
    c[0].slider(tr("coupons_assume_redemption_rate"), 0.0, 50.0, ASSUME["rate"], 0.5, format="%.1f%%",
                key=P + "rate", help=tr("coupons_assume_redemption_rate_help"))
    c[1].slider(tr("coupons_assume_baseline_rate"), 0.0, 30.0, ASSUME["baseline"], 0.5, format="%.1f%%",
                key=P + "baseline", help=tr("coupons_assume_baseline_rate_help"))
    c[2].slider(tr("coupons_assume_gross_margin"), 0.0, 100.0, ASSUME["margin"], 1.0, format="%.0f%%",
                key=P + "margin", help=tr("coupons_assume_gross_margin_help"))
    c[3].slider(tr("coupons_assume_message_cost"), 0.0, 1.0, ASSUME["message_cost"], 0.01, format="¥%.2f",
                key=P + "message_cost", help=tr("coupons_assume_message_cost_help"))
    c[4].slider(tr("coupons_assume_window_days"), 7, 90, ASSUME["window"], 1, key=P + "window",
                help=tr("coupons_assume_window_days_help"))
    econ, rec, margin, cost, default = priced_offers(stats)
    if rec:
        reason = dict(rec["reason"])
        key = reason.pop("key")
        (st.success if rec["profitable"] else st.warning)(
            "**" + tr("coupons_recommend_title") + "** " + tr(key, **reason))
    s = st.columns(5)
    s[0].metric(tr("coupons_stat_orders"), i18n.fmt_int(stats["orders"], lang))
    s[1].metric(tr("coupons_stat_p25"), i18n.fmt_money(stats["p25"], lang))
    s[2].metric(tr("coupons_stat_median"), i18n.fmt_money(stats["p50"], lang))
    s[3].metric(tr("coupons_stat_p75"), i18n.fmt_money(stats["p75"], lang))
    s[4].metric(tr("coupons_stat_mean"), i18n.fmt_money(stats["mean"], lang))
    c1, c2 = st.columns(2)
    with c1:
        ui.chart(coupon_charts.order_value_histogram(stats, lang, rec), key=P + "hist",
                 selectable=False)
        st.caption(tr("coupons_scope_note", as_of=i18n.fmt_date(f.as_of, lang)))
    with c2:
        picked = ui.chart(coupon_charts.profit_bars(econ, lang, rec), key=P + "profit")
        st.caption(tr("cohortpage_profit_caption"))
    labels = coupon_charts.column_labels(lang)
    table = econ.copy()
    show = pd.DataFrame({labels["offer"]: [coupon_charts.offer_label(x, y, lang)
                                           for x, y in zip(table["threshold"], table["amount"])]})
    for col in ("discount", "reach_share", "lift", "redemption_rate", "redemptions", "coupon_cost",
                "incremental_gmv", "gross_profit", "roi", "break_even_rate"):
        v = table[col]
        if col in ("discount", "reach_share", "lift", "redemption_rate", "roi", "break_even_rate"):
            show[labels[col]] = [i18n.fmt_pct(x, lang) if x is not None and x == x else "—" for x in v]
        elif col == "redemptions":
            show[labels[col]] = [f"{x:,.0f}" for x in v]
        else:
            show[labels[col]] = [i18n.fmt_money(x, lang) for x in v]
    st.dataframe(show, hide_index=True, width="stretch")
    ui.download_buttons(econ.rename(columns=labels), tr("coupons_title"), key=P + "offers_dl")
    with st.expander(tr("cohortpage_formulas")):
        st.markdown(tr("coupons_formulas"))
    choices = list(econ["offer"])
    if picked and picked[0] in choices:
        st.session_state[P + "offer"] = picked[0]
    chosen = st.selectbox(tr("cohortpage_offer_pick"), choices, index=choices.index(default), key=P + "offer",
                          format_func=lambda o: coupon_charts.offer_label(*o.split("-"), lang))
    return offer_of(econ, chosen, margin, cost, lang)


# The coupon assumptions' defaults (percent, yuan, days), shared by the sliders and `assumptions()`.
ASSUME = {"rate": 8.0, "baseline": 2.0, "margin": 50.0, "message_cost": 0.05, "window": 30}


def assumptions() -> tuple[coupons.Assumptions, float, float]:
    """The coupon assumptions as the sliders hold them (their defaults before the coupon tab was
    opened): (Assumptions, gross margin, message cost)."""
    v = {k: st.session_state.get(P + k, d) for k, d in ASSUME.items()}
    a = coupons.Assumptions(redemption_rate=v["rate"] / 100, baseline_rate=v["baseline"] / 100,
                            gross_margin=v["margin"] / 100, message_cost=v["message_cost"], window_days=v["window"])
    return a, v["margin"] / 100, v["message_cost"]


def priced_offers(stats: dict) -> tuple:
    """The candidate offers priced under the current assumptions: (economics table, recommendation,
    gross margin, message cost, the recommended offer's id — the first offer when none is)."""
    a, margin, cost = assumptions()
    econ = coupons.economics(coupons.candidate_offers(stats), stats["members"], a)
    rec = coupons.recommend(econ)
    return econ, rec, margin, cost, rec["offer"]["offer"] if rec else econ["offer"].iloc[0]


def offer_of(econ, chosen: str, margin: float, cost: float, lang: str) -> dict:
    row = econ.set_index("offer").loc[chosen]
    return {"id": chosen, "text": coupon_charts.offer_label(row["threshold"], row["amount"], lang),
            "margin": margin, "message_cost": cost}


def current_offer(db, spec, e, f, thresholds, lang) -> dict | None:
    """The offer the list and the campaign carry: the one picked in the coupon tab for this cohort,
    else the recommended one under the current assumptions (the same figures the coupon tab shows)."""
    saved = st.session_state.get(P + "offer_now")
    if saved and saved[0] == spec:
        return saved[1]
    if e["empty"]:
        return None
    stats = cached_values(db.data_version(), spec, f.as_of, f.rules, thresholds)
    if stats.get("empty"):
        return None
    econ, _, margin, cost, default = priced_offers(stats)
    picked = st.session_state.get(P + "offer")
    return offer_of(econ, picked if picked in set(econ["offer"]) else default, margin, cost, lang)


@st.fragment
@ui.guarded     # a fragment's own rerun does not pass through page()
def coupon_fragment(db, spec, e, f, thresholds, lang) -> None:
    """The coupon section on its own: moving a slider reruns only this part of the page. The chosen
    offer, with the cohort it is for, goes to the list and campaign tabs through the session."""
    st.session_state[P + "offer_now"] = (spec, coupon_section(db, spec, e, f, thresholds, lang))


def export_section(db, spec, e, f, thresholds, offer, lang) -> None:
    st.subheader(tr("cohortpage_export_title"))
    if e["empty"]:
        st.info(tr("cohortpage_empty"))
        return
    choices = [c for c in cohorts.LIST_COLUMNS]
    default = [c for c in cohorts.DEFAULT_COLUMNS if c in choices] + (["offer"] if offer else [])
    cols = st.multiselect(tr("cohortpage_columns"), choices, default=default, key=P + "columns",
                          format_func=lambda c: tr(f"cohorts_col_{c}"))
    contacts = st.checkbox(tr("cohortpage_include_contacts"), key=P + "contacts",
                           help=tr("cohortpage_include_contacts_help"))
    if contacts:
        st.warning(tr("cohortpage_contacts_warning"))
    elif any(c in cohorts.CONTACT_COLUMNS for c in cols):
        st.caption(tr("cohorts_contacts_masked"))
    name = st.session_state.get(P + "name") or tr("cohortpage_default_name")
    offer_text = offer["text"] if offer else None

    def frame():
        return cohorts.member_list(db, spec, f.as_of, f.rules, thresholds, lang, columns=cols or None,
                                   include_contacts=contacts, offer=offer_text)

    c = st.columns(3)
    c[0].download_button(tr("download_csv"), data=lambda: exports.to_csv_bytes(frame()),
                         file_name=exports.target_file_name(name, f.as_of, "csv"), mime="text/csv",
                         key=P + "dl_csv", on_click="ignore", width="stretch")
    c[1].download_button(tr("download_xlsx"), data=lambda: exports.to_xlsx_bytes(frame(), "members"),
                         file_name=exports.target_file_name(name, f.as_of, "xlsx"), on_click="ignore",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         key=P + "dl_xlsx", width="stretch")
    c[2].download_button(tr("cohortpage_download_txt"), data=lambda: exports.to_txt_bytes(
                             cohorts.member_list(db, spec, f.as_of, f.rules, thresholds, lang,
                                                 columns=["name"]).iloc[:, 0]),
                         file_name=exports.target_file_name(name, f.as_of, "txt"), mime="text/plain",
                         key=P + "dl_txt", on_click="ignore", width="stretch", help=tr("export_txt_help"))
    st.caption(tr("cohortpage_export_caption", members=i18n.fmt_int(e["members"], lang)))
    gone = cached_left_out(db.data_version(), spec, f.as_of, f.rules, thresholds)
    st.caption(tr("cohortpage_left_out", opted_out=i18n.fmt_int(gone["opted_out"], lang),
                  contacted=i18n.fmt_int(gone["contacted"], lang), days=spec.not_contacted_days or 0))


def tag_section(db, spec, e, f, thresholds) -> None:
    st.subheader(tr("cohortpage_tags_title"))
    ui.said("cohort_tags")
    if e["empty"]:
        return
    existing = list(tags.list_tags(db)["name"])

    def members():   # the cohort's members as SQL, built when a button is clicked
        return cohorts.members_sql(spec, f.as_of, f.rules, thresholds, fast=f.complete_history)

    c1, c2 = st.columns(2)
    with c1:
        target = st.selectbox(tr("cohortpage_tag_pick"), existing + [tr("cohortpage_tag_new")], key=P + "tag_pick")
        new_name = ""
        if target == tr("cohortpage_tag_new"):
            new_name = st.text_input(tr("cohortpage_tag_new_name"), key=P + "tag_new_name")
        if st.button(tr("cohortpage_tag_add", members=i18n.fmt_int(e["members"], ui.lang())), key=P + "tag_add"):
            name = new_name if target == tr("cohortpage_tag_new") else target
            ui.write_and_rerun("cohort_tags", lambda: tags.add_to_tag(db, name, members(), create=True),
                               lambda n: tr("tags_added", added=i18n.fmt_int(n, ui.lang()), name=name.strip(),
                                            members=i18n.fmt_int(e["members"], ui.lang())))
    with c2:
        if existing:
            src = st.selectbox(tr("cohortpage_tag_from"), existing, key=P + "tag_from")
            dst = st.selectbox(tr("cohortpage_tag_to"), [t for t in existing if t != src] or existing,
                               key=P + "tag_to")
            if st.button(tr("cohortpage_tag_move"), key=P + "tag_move"):
                ui.write_and_rerun("cohort_tags", lambda: tags.move_to_tag(db, src, dst, members()),
                                   lambda n: tr("tags_moved", moved=i18n.fmt_int(n, ui.lang()), old=src, new=dst))
        else:
            st.caption(tr("tags_none"))


def campaign_section(db, spec, e, f, thresholds, offer, lang) -> None:
    """Create a campaign from this cohort: a random holdout, the sizes and the smallest lift the split
    can detect first; then the contacted group's list to download."""
    st.subheader(tr("cohortpage_campaign_title"))
    st.caption(tr("cohortpage_campaign_intro"))
    if e["empty"]:
        return
    # the plan (sizes, base rate, detectable lift) is computed once asked for, not on every filter change
    if not st.toggle(tr("cohortpage_campaign_toggle"), key=P + "camp_on"):
        return
    c = st.columns(4)
    default_name = (st.session_state.get(P + "name") or tr("cohortpage_default_name")) + f" {f.as_of + dt.timedelta(days=1)}"
    name = c[0].text_input(tr("campaign_name"), value=default_name, key=P + "camp_name")
    channel = c[1].selectbox(tr("campaign_channel"), campaigns.CHANNELS, key=P + "camp_channel",
                             format_func=lambda x, lang=lang: i18n.t("channel_" + x, lang))
    start = c[2].date_input(tr("campaign_start"), value=f.as_of + dt.timedelta(days=1), key=P + "camp_start",
                            min_value=dt.date(1995, 1, 1))
    window = c[3].number_input(tr("campaign_window"), 1, 365, campaigns.DEFAULT_WINDOW, key=P + "camp_window")
    c = st.columns([2, 1])
    holdout = c[0].slider(tr("campaign_holdout_share"), 0, 50, 10, 1, format="%d%%", key=P + "camp_holdout",
                          help=tr("cohortpage_holdout_help")) / 100
    seed = c[1].number_input(tr("campaign_seed"), min_value=0, value=None, step=1, key=P + "camp_seed",
                             help=tr("cohortpage_seed_help"))
    p = cached_plan(db.data_version(), spec, f.as_of, holdout, int(window), f.rules, thresholds)
    m = st.columns(4)
    m[0].metric(tr("campaign_group_treatment"), i18n.fmt_int(p["treatment"], lang))
    m[1].metric(tr("campaign_group_holdout"), i18n.fmt_int(p["holdout"], lang))
    m[2].metric(tr("cohortpage_base_rate"), i18n.fmt_pct(p["base_rate"], lang, 2),
                help=tr("cohortpage_base_rate_assumed" if p["base_rate_assumed"] else "cohortpage_base_rate_help",
                        days=int(window), n=i18n.fmt_int(p["base_rate_members"], lang)))
    m[3].metric(tr("cohortpage_mde"), "—" if p["mde"] is None else f"+{p['mde'] * 100:.1f} pp",
                help=tr("cohortpage_mde_help"))
    if p["suggestion"]:
        s = p["suggestion"]
        st.info(tr("cohortpage_holdout_suggest", share=i18n.fmt_pct(s["holdout"], lang, 0),
                   holdout=i18n.fmt_int(s["holdout_members"], lang),
                   mde="—" if s["mde"] is None else f"+{s['mde'] * 100:.1f}"))
    offer_id = offer["id"] if offer else None
    st.caption(tr("cohortpage_campaign_offer", offer=offer["text"] if offer else "—"))
    if st.button(tr("cohortpage_campaign_create", n=i18n.fmt_int(p["treatment"], lang)), key=P + "camp_go",
                 type="primary", disabled=not name.strip()):
        try:
            out = campaigns.create(db, name, spec, f.as_of, holdout=holdout, seed=seed, start=start,
                                   window=int(window), offer=offer_id, channel=channel,
                                   margin=offer["margin"] if offer else None,
                                   message_cost=offer["message_cost"] if offer else None, rules=f.rules,
                                   thresholds=thresholds)
            st.session_state[P + "created"] = out["name"]
            st.session_state[P + "created_msg"] = tr("campaign_created", name=out["name"], treatment=out["treatment"],
                                                     holdout=out["holdout"], seed=out["seed"],
                                                     opted_out=out["opted_out"])
        except KeyedError as err:
            st.warning(err.text(lang))
        else:
            st.rerun()    # the whole page: its members were just contacted (the tabs are a fragment)
    created = st.session_state.get(P + "created")
    if created:
        st.success(st.session_state.get(P + "created_msg", ""))
        d = st.columns(3)
        ui.contact_list_buttons(d, created, lang, key=P + "camp_dl")
        if d[2].button(tr("cohortpage_campaign_open"), key=P + "camp_open", width="stretch"):
            st.session_state["campaign_open"] = created
            st.switch_page("pages/campaigns.py")


TABS = ("cohortpage_tab_overview", "coupons_title", "cohortpage_export_title", "cohortpage_tab_campaign",
        "cohortpage_tab_tags")


@ui.guarded
def page() -> None:
    db = ui.db()
    lang = ui.lang()
    f = ui.filters()
    st.title(tr("cohortpage_title"))
    st.caption(tr("cohortpage_intro"))
    if not ui.require_data():
        return
    thresholds = load_thresholds(db)
    opened = st.session_state.pop("cohort_open", None)  # a bar clicked on an analysis page
    if opened:
        pick(*opened)
    st.caption(tr("cohortpage_as_of", as_of=i18n.fmt_date(f.as_of, lang)))
    presets_bar(db, f, thresholds)
    filters_form(db, lang)
    try:
        spec = spec_from_widgets()
    except KeyedError as err:
        st.warning(err.text(lang))
        return
    problems = spec.validate()
    if problems:
        for p in problems:
            st.warning(p.text(lang))
        return
    e = cached_evaluate(db.data_version(), spec, f.as_of, f.rules, thresholds)
    gone = cached_left_out(db.data_version(), spec, f.as_of, f.rules, thresholds)
    if spec.needs_scores():
        fit = cohorts.prepare(db, spec, f.as_of)
        if not fit["ok"]:
            st.warning(tr(fit["problem"], n=predictions.MIN_REPEAT))
    summary_section(e, spec, gone, lang)
    tabs_fragment(db, spec, e, f, thresholds, lang)


@st.fragment
@ui.guarded     # a fragment's own rerun does not pass through page()
def tabs_fragment(db, spec, e, f, thresholds, lang) -> None:
    """The five tabs, each built when opened (a page switch draws the overview only). A fragment:
    opening a tab, or a control inside one, reruns the tabs alone, not the presets, the conditions
    and the figures above them. A write from a tab reruns the whole page (`ui.write_and_rerun`; a
    new campaign with `st.rerun`, its message and downloads kept in the session), so what it changed
    shows above the tabs too: the saved cohorts, the tags the conditions offer, who was contacted."""
    tabs = ui.lazy_tabs([tr(k) for k in TABS], key=P + "tab")
    with tabs[0]:
        if tabs[0].open:
            overview_section(e, lang)
            likes_section(db, spec, e, f, thresholds, lang)
            save_section(db, spec)
    with tabs[1]:
        if tabs[1].open:
            coupon_fragment(db, spec, e, f, thresholds, lang)
    with tabs[2]:
        if tabs[2].open:
            export_section(db, spec, e, f, thresholds, current_offer(db, spec, e, f, thresholds, lang), lang)
    with tabs[3]:
        if tabs[3].open:
            campaign_section(db, spec, e, f, thresholds, current_offer(db, spec, e, f, thresholds, lang), lang)
    with tabs[4]:
        if tabs[4].open:
            tag_section(db, spec, e, f, thresholds)


page()
