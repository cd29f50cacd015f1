"""Member levels (会员等级): who sits in each level and what each level buys, the level mix over
time, and a what-if on the level rules (save them when they look right)."""
import datetime as dt

import pandas as pd
import streamlit as st

from crm import i18n, ui
from crm.analysis import levels as engine
from crm.charts import levels as charts
from crm.cohorts import CohortSpec
from crm.filters import Filters
from crm.levels import LevelRules, level_name, save_rules

tr = ui.tr
RULE_LEVELS = (1, 2, 3, 4)
RULE_KEYS = [f"levels_spend_{c}" for c in RULE_LEVELS] + [f"levels_count_{c}" for c in RULE_LEVELS]


@st.cache_data(show_spinner=False, max_entries=32)
def cached_compute(data_version: str, f: Filters) -> dict:
    return engine.compute(ui.db(), f)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_what_if(data_version: str, as_of: dt.date, rules: LevelRules, proposed: LevelRules) -> dict:
    return engine.what_if(ui.db(), Filters(as_of=as_of, rules=rules), proposed)


def rules_text(rules: LevelRules, lang: str) -> str:
    """'普通会员 ≥ ¥200 或 ≥ 2 笔；…' — the rules in words."""
    parts = []
    for i, code in enumerate(RULE_LEVELS):
        conds = []
        if rules.spend[i] is not None:
            conds.append(tr("levels_rule_spend", amount=i18n.fmt_money(rules.spend[i], lang, 0)))
        if rules.count[i] is not None:
            conds.append(tr("levels_rule_count", count=i18n.fmt_int(rules.count[i], lang)))
        parts.append(f"{level_name(code, lang)} {tr('levels_rule_or').join(conds) or tr('levels_rule_unused')}")
    return ("；" if lang == "zh" else "; ").join(parts)


def source_caption(res: dict, lang: str) -> None:
    export, rules = res["source"]["export"], res["source"]["rules"]
    counts = {"export": i18n.fmt_int(export, lang), "rules": i18n.fmt_int(rules, lang)}
    if export and not rules:
        st.caption(tr("levels_source_export", **counts))
    elif export:
        st.caption(tr("levels_source_mixed", **counts))
    else:
        st.caption(tr("levels_source_rules", **counts))
    st.caption(tr("levels_source_as_of", as_of=i18n.fmt_date(res["as_of"], lang), rules=rules_text(res["rules"], lang)))


def _float(v):
    return None if v is None or pd.isna(v) else float(v)


def level_table(by_level: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The per-level table with headers and level names in the user's language."""
    return pd.DataFrame({
        tr("levels_col_level"): [level_name(c, lang) for c in by_level["level_code"]],
        tr("levels_col_members"): by_level["members"].astype("int64"),
        tr("levels_col_buyers"): by_level["buyers"].astype("int64"),
        tr("levels_col_purchases"): by_level["purchases"].astype("int64"),
        tr("levels_col_gmv"): [_float(v) for v in by_level["gmv"]],
        tr("levels_col_gmv_share"): [_float(v) for v in by_level["gmv_share"]],
        tr("levels_col_aov"): [_float(v) for v in by_level["avg_order_value"]],
        tr("levels_col_aspb"): [_float(v) for v in by_level["avg_spend_per_buyer"]],
        tr("levels_col_repeat"): by_level["repeat_buyers"].astype("int64"),
        tr("levels_col_repurchase"): [_float(v) for v in by_level["repurchase_rate"]],
    })


def number_formats(money: list[str], rates: list[str], counts: list[str]) -> dict:
    cfg = {c: st.column_config.NumberColumn(c, format="¥%,.2f") for c in money}
    cfg.update({c: st.column_config.NumberColumn(c, format="percent") for c in rates})
    cfg.update({c: st.column_config.NumberColumn(c, format="localized") for c in counts})
    return cfg


def overview_section(res: dict, lang: str) -> None:
    by_level, totals = res["by_level"], res["totals"]
    st.subheader(tr("levels_table_title"))
    table = level_table(by_level, lang)
    st.dataframe(table, hide_index=True, width="stretch", column_config=number_formats(
        [tr("levels_col_gmv"), tr("levels_col_aov"), tr("levels_col_aspb")],
        [tr("levels_col_gmv_share"), tr("levels_col_repurchase")],
        [tr("levels_col_members"), tr("levels_col_buyers"), tr("levels_col_purchases"), tr("levels_col_repeat")]))
    st.caption(tr("levels_table_caption"))
    if totals["no_buyer_purchases"]:
        st.caption(tr("levels_no_buyer", purchases=i18n.fmt_int(totals["no_buyer_purchases"], lang),
                      gmv=i18n.fmt_money(totals["no_buyer_gmv"], lang)))
    ui.download_buttons(table, tr("levels_download_name"), key="levels_table_dl")

    left, right = st.columns(2)
    with left:
        picked = ui.chart(charts.members_buyers(by_level, lang, tr("levels_chart_members_title")),
                          key="levels_members_chart")
        codes = sorted({int(p) for p in picked})
        if codes:
            ui.open_cohort_button(CohortSpec(levels=tuple(codes)), "、".join(level_name(c, lang) for c in codes),
                                  key="levels_open_cohort")
        st.caption(tr("levels_chart_members_caption"))
    with right:
        ui.chart(charts.gmv_share(by_level, lang, tr("levels_chart_gmv_title")), key="levels_gmv_chart")
        st.caption(tr("levels_chart_gmv_caption"))

    if res["mix"].empty:
        st.caption(tr("levels_mix_empty"))
    else:
        ui.chart(charts.level_mix(res["mix"], lang, tr("levels_chart_mix_title")), key="levels_mix_chart")
        st.caption(tr("levels_chart_mix_caption"))


def _reset_rule_inputs() -> None:
    for k in RULE_KEYS:
        st.session_state.pop(k, None)


def _plain(v):
    """200.0 → 200 (rules saved as plain numbers); None stays None."""
    if v is None:
        return None
    return int(v) if float(v).is_integer() else float(v)


def rule_inputs(current: LevelRules, lang: str) -> LevelRules:
    """Spend and purchase-count thresholds for levels 1–4, starting from the rules in force."""
    spend, count = [], []
    for i, (code, col) in enumerate(zip(RULE_LEVELS, st.columns(4))):
        with col:
            st.markdown(f"**{level_name(code, lang)}**")
            s, c = current.spend[i], current.count[i]
            spend.append(st.number_input(tr("levels_whatif_spend"), min_value=0.0, step=100.0,
                                         value=None if s is None else float(s), key=f"levels_spend_{code}"))
            count.append(st.number_input(tr("levels_whatif_count"), min_value=0, step=1,
                                         value=None if c is None else int(c), key=f"levels_count_{code}"))
    return LevelRules(spend=tuple(_plain(v) for v in spend), count=tuple(_plain(v) for v in count))


def movers_table(movers: pd.DataFrame, lang: str) -> pd.DataFrame:
    up, down = tr("levels_whatif_up"), tr("levels_whatif_down")
    return pd.DataFrame({
        tr("levels_col_customer"): movers["customer_id"].astype(str),
        tr("levels_col_spend"): [_float(v) for v in movers["spend"]],
        tr("levels_col_count"): movers["purchases"].astype("int64"),
        tr("levels_col_current"): [level_name(c, lang) for c in movers["current_level"]],
        tr("levels_col_proposed"): [level_name(c, lang) for c in movers["proposed_level"]],
        tr("levels_col_change"): [up if b > a else down for a, b in zip(movers["current_level"], movers["proposed_level"])],
    })


def what_if_section(db, f: Filters, lang: str) -> None:
    st.subheader(tr("levels_whatif_title"))
    st.markdown(tr("levels_whatif_intro"))
    proposed = rule_inputs(f.rules, lang)
    st.button(tr("levels_whatif_reset"), key="levels_whatif_reset", on_click=_reset_rule_inputs)
    w = cached_what_if(db.data_version(), f.as_of, f.rules, proposed)
    for problem in w["problems"]:
        st.warning(tr(problem))

    m = st.columns(3)
    m[0].metric(tr("levels_whatif_up"), i18n.fmt_int(w["up"], lang))
    m[1].metric(tr("levels_whatif_down"), i18n.fmt_int(w["down"], lang))
    m[2].metric(tr("levels_whatif_same"), i18n.fmt_int(w["same"], lang))

    left, right = st.columns(2)
    with left:
        ui.chart(charts.what_if_counts(w["counts"], lang, tr("levels_whatif_counts_title")), key="levels_whatif_chart")
        st.caption(tr("levels_whatif_counts_caption"))
    with right:
        ui.chart(charts.movement_matrix(w["matrix"], lang, tr("levels_whatif_matrix_title")), key="levels_matrix_chart")
        st.caption(tr("levels_whatif_matrix_caption"))

    st.markdown(f"**{tr('levels_movers_title')}**")
    moved = w["up"] + w["down"]
    if not moved:
        st.caption(tr("levels_movers_none"))
    else:
        st.caption(tr("levels_movers_count", total=i18n.fmt_int(moved, lang), shown=i18n.fmt_int(len(w["movers"]), lang)))
        table = movers_table(w["movers"], lang)
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config=number_formats([tr("levels_col_spend")], [], [tr("levels_col_count")]))
        ui.download_buttons(table, tr("levels_movers_download_name"), key="levels_movers_dl")

    if w["by_rules"]:
        st.caption(tr("levels_save_explain", rules=i18n.fmt_int(w["by_rules"], lang),
                      affected=i18n.fmt_int(w["affected"], lang)))
    else:
        st.caption(tr("levels_save_explain_all_exported"))
    same = proposed == f.rules
    if w["problems"]:
        st.caption(tr("levels_save_invalid"))
    elif same:
        st.caption(tr("levels_save_same"))
    if st.button(tr("levels_save"), key="levels_save", type="primary", disabled=bool(w["problems"]) or same):
        save_rules(db, proposed)
        ui.rerun_saying("levels", tr("levels_saved"))


@ui.guarded
def page() -> None:
    lang = ui.lang()
    db = ui.db()
    st.title(tr("levels_title"))
    st.caption(tr("levels_intro"))
    ui.said("levels")
    if not ui.require_data():
        return
    f = ui.filters()
    # the what-if is a tool of its own: its tab (and its query over every customer) only when opened
    overview, what_if = ui.lazy_tabs([tr("levels_table_title"), tr("levels_whatif_title")], key="levels_tab")
    with overview:
        if overview.open:
            res = cached_compute(db.data_version(), f)
            source_caption(res, lang)
            totals = res["totals"]
            if not totals["purchases"]:
                st.info(tr("empty_no_purchases"))
            elif totals["no_buyer_purchases"] == totals["purchases"]:
                st.info(tr("empty_no_buyer_key"))
            else:
                overview_section(res, lang)
    with what_if:
        if what_if.open:
            what_if_section(db, f, lang)


page()
