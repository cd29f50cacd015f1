"""Predictions (预测): who is still a customer and what they are worth (BG/NBD, Gamma-Gamma), with an
honest backtest on the shop's own data, or a plain "too thin" and the usage-cycle estimate."""
import pandas as pd
import streamlit as st

from crm import i18n, predictions, ui
from crm.charts import predictions as charts

tr = ui.tr
P = "pred_"


@st.cache_data(show_spinner=False, max_entries=8)
def cached_backtest(data_version: str, as_of, unit: str) -> dict | None:
    return predictions.backtest(ui.db(), as_of, unit)


@st.cache_data(show_spinner=False, max_entries=8)
def cached_cycle(data_version: str, f) -> dict:
    from crm.analysis.timing import usage_cycle
    return usage_cycle(ui.db(), f)


def fallback(db, f, problem: str, lang: str) -> None:
    st.warning(tr(problem, n=predictions.MIN_REPEAT))
    cycle = cached_cycle(db.data_version(), f)
    if cycle.get("median_days") is not None:
        st.info(tr("predict_fallback_cycle", median=f"{cycle['median_days']:.0f}",
                   p80=f"{cycle['p80_days']:.0f}" if cycle.get("p80_days") is not None else "—"))


def fit_lines(res: dict, lang: str) -> None:
    bg, gg = res["bgnbd"].params, res["gamma_gamma"].params
    unit = tr(f"predict_unit_{res['unit']}")
    st.markdown("\n".join([
        "- " + tr("predict_explain_rate", r=f"{bg['r']:.3g}", alpha=f"{bg['alpha']:.3g}",
                  mean=f"{bg['r'] / bg['alpha']:.3g}", unit=unit),
        "- " + tr("predict_explain_dropout", a=f"{bg['a']:.3g}", b=f"{bg['b']:.3g}",
                  mean=i18n.fmt_pct(bg["a"] / (bg["a"] + bg["b"]), lang)),
        "- " + tr("predict_explain_value", p=f"{gg['p']:.3g}", q=f"{gg['q']:.3g}", v=f"{gg['v']:.3g}",
                  mean=i18n.fmt_money(gg["v"] * gg["p"] / (gg["q"] - 1) if gg["q"] > 1 else None, lang)),
    ]))


def backtest_section(db, f, unit: str, lang: str) -> None:
    st.subheader(tr("predict_backtest_title"))
    with st.spinner(tr("predict_backtest_working"), show_time=True):
        bt = cached_backtest(db.data_version(), f.as_of, unit)
    if bt is None:
        st.info(tr("predict_backtest_short"))
        return
    if not bt["ok"]:
        st.info(tr("predict_backtest_thin", date=i18n.fmt_date(bt["calibration"], lang)) + " "
                + tr(bt["problem"], n=predictions.MIN_REPEAT))
        return
    st.caption(tr("predict_backtest_caption", date=i18n.fmt_date(bt["calibration"], lang), days=bt["holdout_days"]))
    m = st.columns(3)
    m[0].metric(tr("predict_predicted"), f"{bt['predicted']:,.0f}")
    m[1].metric(tr("predict_actual"), f"{bt['actual']:,}")
    m[2].metric(tr("predict_error"), "—" if bt["error"] is None else f"{bt['error'] * 100:+.1f}%",
                help=tr("predict_error_help"))
    ui.chart(charts.backtest_curve(bt["curve"], lang), key=P + "backtest", selectable=False)
    g = bt["groups"]
    st.dataframe(pd.DataFrame({
        tr("predict_frequency"): [f"{int(v)}+" if int(v) == 7 else str(int(v)) for v in g["group"]],
        tr("predict_customers"): g["customers"],
        tr("predict_predicted"): g["predicted"].round(3), tr("predict_actual"): g["actual"].round(3)}),
        hide_index=True, width="stretch")


def model_section(view: dict, as_of, unit: str, lang: str) -> None:
    c1, c2 = st.columns(2)
    with c1:
        matrix = predictions.alive_matrix(view["bgnbd"].params, min(view["max_frequency"], 30), view["max_T"])
        ui.chart(charts.alive_heatmap(matrix, unit, lang), key=P + "heat", selectable=False)
        st.caption(tr("predict_heat_caption"))
    with c2:
        ui.chart(charts.value_histogram(*view["bins"], lang), key=P + "hist", selectable=False)
        st.caption(tr("predict_value_caption"))
    st.subheader(tr("predict_top_title"))
    top = predictions.with_ids(ui.db(), view["top"])
    table = pd.DataFrame({
        tr("cohorts_col_name"): top["customer_id"], tr("predict_frequency"): top["frequency"],
        tr("predict_p_alive"): [i18n.fmt_pct(v, lang) for v in top["p_alive"]],
        tr("predict_expected_90"): top["expected_90d"].round(2),
        tr("predict_expected_365"): top["expected_365d"].round(2),
        tr("predict_value_per"): [i18n.fmt_money(v, lang) for v in top["expected_value"]],
        tr("predict_value_12m"): [i18n.fmt_money(v, lang) for v in top["predicted_12m_spend"]]})
    st.dataframe(table, hide_index=True, width="stretch")
    columns = ["customer_id", "frequency", "recency", "T", "p_alive", "expected_30d", "expected_90d",
               "expected_365d", "expected_value", "predicted_12m_spend"]
    # every buyer's scores: computed when a download is clicked (10M orders: 5M buyers, a few seconds)
    ui.download_buttons(lambda: predictions.with_ids(ui.db(), ui.prediction(as_of, unit)["summary"])[columns],
                        tr("predict_title"), key=P + "dl")


@ui.guarded
def page() -> None:
    db = ui.db()
    lang = ui.lang()
    st.title(tr("predict_title"))
    st.caption(tr("predict_intro"))
    if not ui.require_data():
        return
    f = ui.filters()
    unit = st.radio(tr("predict_unit"), list(predictions.UNITS), horizontal=True, key=P + "unit",
                    format_func=lambda u, lang=lang: i18n.t(f"predict_unit_{u}", lang))
    st.caption(tr("predict_scope", as_of=i18n.fmt_date(f.as_of, lang)))
    with st.spinner(tr("predict_working"), show_time=True):   # shown only when it takes over half a second
        view = ui.prediction_view(f.as_of, unit)
    if not view["ok"]:
        fallback(db, f, view["problem"], lang)
        return
    m = st.columns(4)
    m[0].metric(tr("predict_customers"), i18n.fmt_int(view["customers"], lang),
                help=tr("predict_repeat_help", n=i18n.fmt_int(view["repeat_customers"], lang)))
    m[1].metric(tr("predict_mean_alive"), i18n.fmt_pct(view["mean_p_alive"], lang))
    m[2].metric(tr("predict_expected_365"), f"{view['expected_365d']:,.0f}")
    m[3].metric(tr("predict_value_12m"), i18n.fmt_money(view["predicted_12m_spend"], lang))
    fit_lines(view, lang)
    model_tab, backtest_tab = ui.lazy_tabs([tr("predict_tab_model"), tr("predict_tab_backtest")], key=P + "tab")
    with model_tab:
        if model_tab.open:
            model_section(view, f.as_of, unit, lang)
    with backtest_tab:   # fitted again on the earlier part of the history: only when asked for
        if backtest_tab.open:
            backtest_section(db, f, unit, lang)


page()
