"""Members & tags (会员与标签): manage tags; one member's figures, orders, tags, opt-out and contact history."""
import pandas as pd
import streamlit as st

from crm import campaigns, i18n, predictions, tags, ui
from crm.levels import level_name
from crm.segments import load_thresholds, stage_name

tr = ui.tr
P = "members_"


def run(action, ok_text: str | None = None) -> None:
    """Do a tag edit; show its validation problem as a warning, its success once the page has rerun."""
    ui.write_and_rerun("members", action, ok_text)


def tag_admin(db, lang) -> None:
    st.subheader(tr("memberpage_tags"))
    table = tags.list_tags(db)
    if table.empty:
        st.caption(tr("tags_none"))
    else:
        show = pd.DataFrame({tr("tags_col_name"): table["name"],
                             tr("tags_col_members"): [i18n.fmt_int(n, lang) for n in table["members"]],
                             tr("tags_col_created_at"): [i18n.fmt_datetime(v, lang) for v in table["created_at"]]})
        st.dataframe(show, hide_index=True, width="stretch")
    names = list(table["name"])
    c1, c2, c3 = st.columns(3)
    with c1:
        new = st.text_input(tr("memberpage_new_tag"), key=P + "new")
        if st.button(tr("memberpage_create"), key=P + "create"):
            run(lambda: tags.create_tag(db, new), tr("tags_created", name=new.strip()))
    if names:
        with c2:
            old = st.selectbox(tr("memberpage_rename_from"), names, key=P + "rename_from")
            to = st.text_input(tr("memberpage_rename_to"), key=P + "rename_to")
            if st.button(tr("memberpage_rename"), key=P + "rename"):
                run(lambda: tags.rename_tag(db, old, to), tr("tags_renamed", old=old, new=to.strip()))
        with c3:
            victim = st.selectbox(tr("memberpage_delete_pick"), names, key=P + "delete_pick")
            sure = st.checkbox(tr("memberpage_delete_confirm"), key=P + "delete_sure")
            if st.button(tr("memberpage_delete"), key=P + "delete", disabled=not sure):
                run(lambda: tags.delete_tag(db, victim), tr("tags_deleted", name=victim))


def member_view(db, f, lang) -> None:
    st.subheader(tr("memberpage_lookup"))
    name = st.text_input(tr("memberpage_lookup"), key=P + "lookup", label_visibility="collapsed")
    if not name.strip():
        return
    detail = tags.customer_detail(db, name.strip(), f.as_of, f.rules, load_thresholds(db))
    if detail is None:
        st.info(tr("memberpage_not_found", name=name.strip()))
        return
    fig = detail["figures"]
    m = st.columns(6)
    m[0].metric(tr("cohorts_col_level"), level_name(fig["level_code"], lang))
    m[1].metric(tr("cohorts_col_stage"), stage_name(fig["stage"], lang))
    m[2].metric(tr("cohorts_col_purchases"), i18n.fmt_int(fig["purchases"], lang))
    m[3].metric(tr("cohorts_col_spend"), i18n.fmt_money(fig["spend"], lang))
    m[4].metric(tr("cohorts_col_aov"), i18n.fmt_money(fig["aov"], lang) if fig["aov"] is not None else "—")
    m[5].metric(tr("cohorts_col_days_since_last"),
                "—" if fig["days_since_last"] is None else i18n.fmt_int(fig["days_since_last"], lang))
    if fig["purchases"]:
        st.caption(f"{tr('memberpage_first')}: {i18n.fmt_datetime(fig['first_purchase_at'], lang)} · "
                   f"{tr('memberpage_last')}: {i18n.fmt_datetime(fig['last_purchase_at'], lang)}")
    else:
        st.caption(tr("memberpage_no_purchase"))
    current = detail["tags"]
    st.markdown(f"**{tr('memberpage_member_tags')}:** " + (" · ".join(f"`{t}`" for t in current) or "—"))
    all_tags = list(tags.list_tags(db)["name"])
    c1, c2, c3 = st.columns([2, 2, 1])
    add = c1.multiselect(tr("memberpage_add_tag"), [t for t in all_tags if t not in current], key=P + "add")
    remove = c2.multiselect(tr("memberpage_remove_tag"), current, key=P + "remove")
    if c3.button(tr("memberpage_apply"), key=P + "apply", disabled=not (add or remove)):
        cust = [int(fig["cust_no"])]

        def apply():
            for t in add:
                tags.add_to_tag(db, t, cust)
            for t in remove:
                tags.remove_from_tag(db, t, cust)
        run(apply)
    prediction_section(f, int(fig["cust_no"]), lang)
    contact_section(db, name.strip(), lang)
    st.caption(tr("memberpage_orders"))
    orders = detail["orders"]
    if not orders.empty:
        st.dataframe(orders, hide_index=True, width="stretch")
        ui.download_buttons(orders, f"orders_{name.strip()}", key=P + "orders_dl")


def prediction_section(f, cust_no: int, lang: str) -> None:
    """The models' view of this member (Predictions page): P(still a customer), expected purchases,
    predicted 12-month spend; nothing when the data are too thin for the models."""
    with st.spinner(tr("predict_working"), show_time=True):   # shown after half a second: a fit after an import
        res = ui.member_prediction(f.as_of, cust_no)
    r = res["row"]
    if not res["ok"] or r is None:
        return
    nxt = predictions.next_purchase_date(res, r)
    m = st.columns(6)
    m[0].metric(tr("predict_p_alive"), i18n.fmt_pct(float(r["p_alive"]), lang))
    m[1].metric(tr("predict_expected_30"), f"{float(r['expected_30d']):.2f}")
    m[2].metric(tr("predict_expected_90"), f"{float(r['expected_90d']):.2f}")
    m[5].metric(tr("predict_expected_365"), f"{float(r['expected_365d']):.2f}")
    m[3].metric(tr("predict_next_purchase"), "—" if nxt is None else i18n.fmt_date(nxt, lang),
                help=tr("predict_next_purchase_help"))
    m[4].metric(tr("predict_value_12m"), i18n.fmt_money(float(r["predicted_12m_spend"]), lang))


def contact_section(db, key: str, lang: str) -> None:
    """Opted out or not (mark / remove), and every campaign this member was in."""
    opted = campaigns.is_opted_out(db, key)
    c1, c2 = st.columns([3, 1])
    c1.markdown(f"**{tr('memberpage_optout')}:** " + (tr("memberpage_optout_yes") if opted else tr("memberpage_optout_no")))
    if opted:
        if c2.button(tr("memberpage_optout_remove"), key=P + "optout_rm"):
            run(lambda: campaigns.optout_remove(db, [key]))
    elif c2.button(tr("memberpage_optout_add"), key=P + "optout_add"):
        run(lambda: campaigns.optout_add(db, [key], source="member page"))
    history = campaigns.contact_history(db, key)
    st.caption(tr("memberpage_contacts"))
    if history.empty:
        st.caption("—")
        return
    st.dataframe(pd.DataFrame({
        tr("campaign_name"): history["name"],
        tr("campaign_group"): [tr(f"campaign_group_{g}") for g in history["grp"]],
        tr("campaign_channel"): [tr(f"channel_{c}") for c in history["channel"]],
        tr("campaign_start"): [d.isoformat() for d in history["start_date"]],
        tr("campaign_window_end"): [d.isoformat() for d in history["window_end"]],
        tr("memberpage_outcome"): [tr("memberpage_outcome_bought", n=int(n), gmv=i18n.fmt_money(g, lang)) if n
                                   else tr("memberpage_outcome_none") for n, g in zip(history["purchases"],
                                                                                      history["gmv"])],
    }), hide_index=True, width="stretch")


@ui.guarded
def page() -> None:
    db = ui.db()
    lang = ui.lang()
    f = ui.filters()
    st.title(tr("memberpage_title"))
    st.caption(tr("memberpage_intro"))
    ui.said("members")
    tag_admin(db, lang)
    st.divider()
    if not ui.require_data():
        return
    member_view(db, f, lang)


page()
