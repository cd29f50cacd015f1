"""Lifecycle & RFM (生命周期 / RFM): customers by lifecycle stage (editable thresholds, saved as the
shop's default), RFM scores with editable cut points and the 8 segments with a suggested action,
and the stage sizes at the last 12 month ends."""
import re

import pandas as pd
import streamlit as st

from crm import i18n, ui
from crm.analysis import lifecycle as engine
from crm.charts import lifecycle as charts
from crm.cohorts import CohortSpec
from crm.filters import Filters
from crm.segments import (STAGES, LifecycleThresholds, RfmCuts, load_thresholds, save_thresholds,
                          segment_name, stage_name)

tr = ui.tr
THRESHOLD_KEYS = {s: f"lifecycle_t_{s}" for s in STAGES[:4]}
CUT_KEYS = {"recency": "lifecycle_rfm_r", "frequency": "lifecycle_rfm_f", "monetary": "lifecycle_rfm_m"}


@st.cache_data(show_spinner=False, max_entries=32)
def cached_compute(data_version: str, f: Filters, thresholds: LifecycleThresholds, cuts: RfmCuts) -> dict:
    return engine.compute(ui.db(), f, thresholds, cuts)


# -- parameters ---------------------------------------------------------------------------------------
def _num_text(v) -> str:
    return f"{int(v)}" if float(v).is_integer() else f"{v}"


def thresholds_text(t: LifecycleThresholds, lang: str) -> str:
    return ("，" if lang == "zh" else ", ").join(f"{stage_name(s, lang)} ≤ {v}" for s, v in zip(STAGES, t.bounds()))


def _reset_thresholds() -> None:
    for k in THRESHOLD_KEYS.values():
        st.session_state.pop(k, None)


def _reset_cuts() -> None:
    for k in CUT_KEYS.values():
        st.session_state.pop(k, None)


def threshold_inputs(db, saved: LifecycleThresholds, lang: str) -> LifecycleThresholds:
    """Four number inputs (upper bounds of the first four stages), validated; the saved thresholds
    replace invalid ones. A button saves valid ones as the shop's default."""
    st.markdown(f"**{tr('lifecycle_thresholds_title')}**")
    st.caption(tr("lifecycle_thresholds_help"))
    labels = {"after_sale": tr("lifecycle_t_after_sale"), "active": tr("lifecycle_t_active"),
              "silent": tr("lifecycle_t_silent"), "sleeping": tr("lifecycle_t_sleeping")}
    values = {}
    for (stage, key), col, default in zip(THRESHOLD_KEYS.items(), st.columns(4), saved.bounds()):
        values[stage] = col.number_input(labels[stage], value=int(default), step=1, max_value=36500, key=key)
    asked = LifecycleThresholds(**{k: int(v) for k, v in values.items()})
    problems = asked.validate()
    for p in problems:
        st.warning(tr(p))
    if problems:
        st.caption(tr("lifecycle_thresholds_fallback", thresholds=thresholds_text(saved, lang)))
    same = asked == saved
    c1, c2 = st.columns(2)
    if c1.button(tr("lifecycle_save"), key="lifecycle_save", type="primary", help=tr("lifecycle_save_help"),
                 disabled=bool(problems) or same):
        save_thresholds(db, asked)
        ui.rerun_saying("lifecycle", tr("lifecycle_saved"))
    c2.button(tr("lifecycle_reset"), key="lifecycle_reset", on_click=_reset_thresholds, disabled=same)
    if same:
        st.caption(tr("lifecycle_save_same"))
    return saved if problems else asked


def parse_cuts(text: str, whole: bool) -> tuple | None:
    """'30, 90, 180, 365' → (30, 90, 180, 365); None unless exactly 4 numbers (whole numbers when
    `whole`). Chinese commas and spaces also separate."""
    parts = [p for p in re.split(r"[,，、;；\s]+", text.strip()) if p]
    if len(parts) != 4:
        return None
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return None
    if whole:
        if not all(n.is_integer() for n in nums):
            return None
        return tuple(int(n) for n in nums)
    return tuple(int(n) if n.is_integer() else n for n in nums)


def cut_inputs() -> RfmCuts:
    """Three comma lists (R days, F purchases, M spend); the defaults replace what cannot be read or
    is not valid."""
    st.markdown(f"**{tr('lifecycle_cuts_title')}**")
    st.caption(tr("lifecycle_cuts_help"))
    default = RfmCuts()
    labels = {"recency": tr("lifecycle_cuts_r"), "frequency": tr("lifecycle_cuts_f"), "monetary": tr("lifecycle_cuts_m")}
    got, parse_failed = {}, False
    for (name, key), col in zip(CUT_KEYS.items(), st.columns(3)):
        example = ", ".join(_num_text(v) for v in getattr(default, name))
        text = col.text_input(labels[name], value=example, key=key)
        cuts = parse_cuts(text, whole=name != "monetary")
        if cuts is None:
            st.warning(tr("lifecycle_cuts_parse", field=labels[name], example=example))
            parse_failed = True
        else:
            got[name] = cuts
    st.button(tr("lifecycle_cuts_reset"), key="lifecycle_cuts_reset", on_click=_reset_cuts)
    asked = RfmCuts(**got)
    problems = asked.validate()
    for p in problems:
        st.warning(tr(p))
    if problems or parse_failed:
        st.caption(tr("lifecycle_cuts_fallback"))
    return default if problems else asked


# -- labels -------------------------------------------------------------------------------------------
def days_label(lo, hi) -> str:
    return tr("lifecycle_days_open", lo=lo) if hi is None else tr("lifecycle_days_range", lo=lo, hi=hi)


def count_label(lo, hi) -> str:
    if hi is None:
        return f"{lo}+"
    if hi < lo:
        return "—"
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def money_label(lo, hi) -> str:
    lo_t = _num_text(lo)
    return tr("lifecycle_money_open", lo=lo_t) if hi is None else tr("lifecycle_money_range", lo=lo_t, hi=_num_text(hi))


def cuts_text(ranges: dict) -> dict:
    return {"r": " · ".join(f"R{s} {days_label(lo, hi)}" for s, lo, hi in ranges["r"]),
            "f": " · ".join(f"F{s} {count_label(lo, hi)}" for s, lo, hi in ranges["f"]),
            "m": " · ".join(f"M{s} {money_label(lo, hi)}" for s, lo, hi in ranges["m"])}


def pattern_text(pattern: str) -> str:
    hi, lo = tr("lifecycle_high"), tr("lifecycle_low")
    return " ".join(f"{letter}{hi if c == 'h' else lo}" for letter, c in zip("RFM", pattern))


def _float(v):
    return None if v is None or pd.isna(v) else float(v)


def money_and_rates(money: list[str], rates: list[str]) -> dict:
    cfg = {c: st.column_config.NumberColumn(c, format="¥%,.2f") for c in money}
    cfg.update({c: st.column_config.NumberColumn(c, format="percent") for c in rates})
    return cfg


def show_selected(points: list, counts: dict, names: dict, lang: str) -> None:
    """One caption line for what was clicked (its members are the cohort a later click opens)."""
    for p in dict.fromkeys(str(x) for x in points):
        if p in counts:
            st.caption(tr("lifecycle_selected", what=names.get(p, p), customers=i18n.fmt_int(counts[p], lang)))


# -- sections -----------------------------------------------------------------------------------------
def metrics_row(res: dict, lang: str) -> None:
    tot = res["totals"]
    m = st.columns(4)
    m[0].metric(tr("lifecycle_metric_customers"), i18n.fmt_int(tot["customers"], lang), help=tr("lifecycle_metric_customers_help"))
    m[1].metric(tr("lifecycle_metric_new"), i18n.fmt_int(tot["new"], lang), help=tr("lifecycle_metric_new_help"))
    m[2].metric(tr("lifecycle_metric_returning"), i18n.fmt_int(tot["returning"], lang),
                help=tr("lifecycle_metric_returning_help"))
    m[3].metric(tr("lifecycle_metric_gmv"), i18n.fmt_money(tot["gmv"], lang), help=tr("lifecycle_metric_gmv_help"))


def stage_table(stages: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        tr("lifecycle_col_stage"): [stage_name(s, lang) for s in stages["stage"]],
        tr("lifecycle_col_days"): [days_label(lo, hi) for lo, hi in zip(stages["lo"], stages["hi"])],
        tr("lifecycle_col_customers"): stages["customers"].astype("int64"),
        tr("lifecycle_col_share"): [_float(v) for v in stages["share"]],
        tr("lifecycle_col_gmv"): [_float(v) for v in stages["gmv"]],
        tr("lifecycle_col_purchases"): stages["purchases"].astype("int64"),
        tr("lifecycle_col_aov"): [_float(v) for v in stages["avg_order_value"]],
        tr("lifecycle_col_aspb"): [_float(v) for v in stages["avg_spend_per_buyer"]],
        tr("lifecycle_col_new"): stages["new"].astype("int64"),
        tr("lifecycle_col_returning"): stages["returning"].astype("int64"),
        tr("lifecycle_col_new_share"): [_float(v) for v in stages["new_share"]],
    })


def stages_section(res: dict, lang: str) -> None:
    stages = res["stages"]
    st.subheader(tr("lifecycle_stages_title"))
    points = ui.chart(charts.stage_bars(stages, lang, tr("lifecycle_stages_chart_title")), key="lifecycle_stage_chart")
    st.caption(tr("lifecycle_stages_caption"))
    show_selected(points, dict(zip(stages["stage"], stages["customers"])),
                  {s: stage_name(s, lang) for s in STAGES}, lang)
    picked = [p for p in points if p in STAGES]
    if picked:
        ui.open_cohort_button(CohortSpec(stages=tuple(dict.fromkeys(picked))),
                              "、".join(stage_name(p, lang) for p in dict.fromkeys(picked)), key="lifecycle_open_cohort")
    table = stage_table(stages, lang)
    st.dataframe(table, hide_index=True, width="stretch", column_config=money_and_rates(
        [tr("lifecycle_col_gmv"), tr("lifecycle_col_aov"), tr("lifecycle_col_aspb")],
        [tr("lifecycle_col_share"), tr("lifecycle_col_new_share")]))
    st.caption(tr("lifecycle_stages_table_caption"))
    ui.download_buttons(table, tr("lifecycle_stages_download"), key="lifecycle_stages_dl")


def segment_table(segments: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        tr("lifecycle_col_segment"): [segment_name(s, lang) for s in segments["segment"]],
        tr("lifecycle_col_rule"): [pattern_text(p) for p in segments["pattern"]],
        tr("lifecycle_col_customers"): segments["customers"].astype("int64"),
        tr("lifecycle_col_share"): [_float(v) for v in segments["share"]],
        tr("lifecycle_col_gmv"): [_float(v) for v in segments["gmv"]],
        tr("lifecycle_col_gmv_share"): [_float(v) for v in segments["gmv_share"]],
        tr("lifecycle_col_avg_days"): [None if v is None else round(float(v), 1) for v in segments["avg_days"]],
        tr("lifecycle_col_avg_purchases"): [None if v is None else round(float(v), 2) for v in segments["avg_purchases"]],
        tr("lifecycle_col_aspb"): [_float(v) for v in segments["avg_spend_per_buyer"]],
        tr("lifecycle_col_action"): [tr(f"lifecycle_action_{s}") for s in segments["segment"]],
    })


def grid_table(grid: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"RF": grid["cell"], "R": grid["r"].astype("int64"), "F": grid["f"].astype("int64"),
                         tr("lifecycle_col_customers"): grid["customers"].astype("int64"),
                         tr("lifecycle_col_share"): [_float(v) for v in grid["share"]],
                         tr("lifecycle_col_gmv"): [_float(v) for v in grid["gmv"]]})


def rfm_section(res: dict, lang: str) -> None:
    st.subheader(tr("lifecycle_rfm_title"))
    st.caption(tr("lifecycle_rfm_cuts_text", **cuts_text(res["ranges"])))
    grid, m_dist, segments = res["rf_grid"], res["m_distribution"], res["segments"]
    left, right = st.columns(2)
    with left:
        points = ui.chart(charts.rf_heatmap(grid, lang, tr("lifecycle_grid_title")), key="lifecycle_grid_chart")
        st.caption(tr("lifecycle_grid_caption"))
        show_selected(points, dict(zip(grid["cell"], grid["customers"])), {}, lang)
    with right:
        labels = [f"M{s} {money_label(lo, hi)}" for s, lo, hi in res["ranges"]["m"]]
        points = ui.chart(charts.m_bars(m_dist, labels, lang, tr("lifecycle_m_title")), key="lifecycle_m_chart")
        st.caption(tr("lifecycle_m_caption"))
        show_selected(points, {f"M{int(m)}": n for m, n in zip(m_dist["m"], m_dist["customers"])},
                      {f"M{int(m)}": lab for m, lab in zip(m_dist["m"], labels)}, lang)
    with st.expander(tr("lifecycle_grid_title")):
        table = grid_table(grid)
        st.dataframe(table, hide_index=True, width="stretch", column_config=money_and_rates(
            [tr("lifecycle_col_gmv")], [tr("lifecycle_col_share")]))
        ui.download_buttons(table, tr("lifecycle_grid_download"), key="lifecycle_grid_dl")

    points = ui.chart(charts.segment_bars(segments, lang, tr("lifecycle_segments_chart_title")),
                      key="lifecycle_segment_chart")
    st.caption(tr("lifecycle_segments_caption"))
    show_selected(points, dict(zip(segments["segment"], segments["customers"])),
                  {s: segment_name(s, lang) for s in segments["segment"]}, lang)
    table = segment_table(segments, lang)
    st.dataframe(table, hide_index=True, width="stretch", column_config=money_and_rates(
        [tr("lifecycle_col_gmv"), tr("lifecycle_col_aspb")], [tr("lifecycle_col_share"), tr("lifecycle_col_gmv_share")]))
    st.caption(tr("lifecycle_segments_table_caption"))
    ui.download_buttons(table, tr("lifecycle_segments_download"), key="lifecycle_segments_dl")


def movement_table(movement: pd.DataFrame, lang: str) -> pd.DataFrame:
    wide = movement.pivot(index="month_end", columns="stage", values="customers")[list(STAGES)]
    out = pd.DataFrame({tr("lifecycle_col_month_end"): [d.isoformat() for d in wide.index]})
    for s in STAGES:
        out[stage_name(s, lang)] = wide[s].astype("int64").to_numpy()
    out[tr("lifecycle_col_total")] = wide.sum(axis=1).astype("int64").to_numpy()
    return out


def movement_section(res: dict, lang: str) -> None:
    st.subheader(tr("lifecycle_movement_title"))
    ui.chart(charts.movement_area(res["movement"], lang, tr("lifecycle_movement_chart_title")),
             key="lifecycle_movement_chart")
    st.caption(tr("lifecycle_movement_caption"))
    table = movement_table(res["movement"], lang)
    st.dataframe(table, hide_index=True, width="stretch")
    ui.download_buttons(table, tr("lifecycle_movement_download"), key="lifecycle_movement_dl")


@st.cache_data(show_spinner=False, max_entries=16)
def cached_weekly_moves(data_version: str, as_of, thresholds: LifecycleThresholds) -> pd.DataFrame:
    return engine.weekly_moves(ui.db(), as_of, thresholds)


def weekly_moves_section(db, f, thresholds: LifecycleThresholds, lang: str) -> None:
    st.subheader(tr("lifecycle_moves_title"))
    moves = cached_weekly_moves(db.data_version(), f.as_of, thresholds)
    ui.chart(charts.weekly_moves(moves, lang, tr("lifecycle_moves_chart_title")), key="lifecycle_moves_chart",
             selectable=False)
    st.caption(tr("lifecycle_moves_caption"))
    if moves.empty:
        return
    table = moves.pivot_table(index="week_end", columns=["from_stage", "to_stage"], values="customers",
                              aggfunc="sum", fill_value=0)
    show = pd.DataFrame({tr("lifecycle_moves_week"): [w.isoformat() for w in table.index]})
    for (a, b) in table.columns:
        show[f"{stage_name(a, lang)} → {stage_name(b, lang)}"] = table[(a, b)].astype("int64").to_numpy()
    st.dataframe(show, hide_index=True, width="stretch")
    ui.download_buttons(show, tr("lifecycle_moves_title"), key="lifecycle_moves_dl")


@ui.guarded
def page() -> None:
    lang = ui.lang()
    db = ui.db()
    st.title(tr("lifecycle_title"))
    st.caption(tr("lifecycle_intro"))
    ui.said("lifecycle")
    if not ui.require_data():
        return
    f = ui.filters()
    saved = load_thresholds(db)
    with st.expander(tr("lifecycle_settings_title"), expanded=False):
        thresholds = threshold_inputs(db, saved, lang)
        st.divider()
        cuts = cut_inputs()
    st.caption(tr("lifecycle_scope", as_of=i18n.fmt_date(f.as_of, lang)))
    if engine.has_range(f):
        st.caption(tr("lifecycle_scope_range", start=i18n.fmt_date(f.start, lang) if f.start else "—",
                      end=i18n.fmt_date(f.last_day, lang)))
    st.caption(tr("lifecycle_thresholds_now", thresholds=thresholds_text(thresholds, lang)))
    res = cached_compute(db.data_version(), f, thresholds, cuts)
    if res["empty"]:
        st.info(tr("empty_no_buyer_key") if res["no_buyer_purchases"] else tr("empty_no_purchases"))
        return
    metrics_row(res, lang)
    stages_tab, rfm_tab, moves_tab = ui.lazy_tabs(
        [tr("lifecycle_stages_title"), tr("lifecycle_rfm_title"), tr("lifecycle_tab_moves")], key="lifecycle_tab")
    with stages_tab:
        if stages_tab.open:
            stages_section(res, lang)
    with rfm_tab:
        if rfm_tab.open:
            rfm_section(res, lang)
    with moves_tab:
        if moves_tab.open:
            movement_section(res, lang)
            st.divider()
            weekly_moves_section(db, f, thresholds, lang)


page()
