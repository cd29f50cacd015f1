"""Purchase amounts (会员交易金额): order value and buyer spend in editable bands, their percentiles,
how concentrated GMV is among buyers (Pareto), and 笔单价 / 客单价 by member level."""
import pandas as pd
import streamlit as st

from crm import i18n, ui
from crm.analysis import amount
from crm.charts.amount import band_bars, level_bars, pareto_curve
from crm.filters import Filters
from crm.levels import level_name

tr = ui.tr


@st.cache_data(show_spinner=False, max_entries=32)
def cached_compute(data_version: str, f: Filters, order_edges: tuple, buyer_edges: tuple) -> dict:
    return amount.compute(ui.db(), f, order_edges, buyer_edges)


def edges_input(label: str, help_text: str, which: str, key: str, default: tuple, lang: str) -> tuple:
    """A text box of band edges; a problem shows as a warning and the default bands are used."""
    text = st.text_input(label, value=amount.edges_text(default), help=help_text, key=key)
    edges, problem = amount.parse_edges(text)
    if problem:
        msg_key, params = problem
        sep = "" if lang == "zh" else " "
        st.warning(ui.msg((msg_key, params | {"which": which})) + sep + tr("amount_edges_using_default"))
        return default
    return edges


def percentile_row(pcts: dict, lang: str) -> None:
    cols = st.columns(4)
    labels = {"p25": tr("amount_p25"), "p50": tr("amount_p50"), "p75": tr("amount_p75"), "p90": tr("amount_p90")}
    for col, (k, v) in zip(cols, pcts.items()):
        col.metric(labels[k], i18n.fmt_money(v, lang))


def money_config(label: str):
    return st.column_config.NumberColumn(label, format="¥%.2f")


def pct_config(label: str):
    return st.column_config.NumberColumn(label, format="percent")


def bands_table(df: pd.DataFrame, count_col: str, band_label: str, count_label: str, share_label: str):
    table = pd.DataFrame({
        band_label: df["label"],
        count_label: df[count_col].astype("int64"),
        share_label: [None if v is None else float(v) for v in df["share"]],
        tr("amount_col_gmv"): [float(v) for v in df["gmv"]],
        tr("amount_col_share_gmv"): [None if v is None else float(v) for v in df["gmv_share"]],
    })
    config = {share_label: pct_config(share_label), tr("amount_col_gmv"): money_config(tr("amount_col_gmv")),
              tr("amount_col_share_gmv"): pct_config(tr("amount_col_share_gmv"))}
    return table, config


# The two band sections differ only in what they count: purchases by order value, buyers by spend.
BAND_SECTIONS = {
    "order": {"df": "order_bands", "count": "purchases", "pct": "order_value_percentiles",
              "keys": ("amount_order_title", "amount_order_chart", "amount_order_caption", "amount_col_order_band",
                       "amount_col_purchases", "amount_col_share_purchases", "amount_file_order_bands",
                       "amount_pct_title", "amount_pct_caption")},
    "buyer": {"df": "buyer_bands", "count": "buyers", "pct": "buyer_spend_percentiles",
              "keys": ("amount_buyer_title", "amount_buyer_chart", "amount_buyer_caption", "amount_col_buyer_band",
                       "amount_col_buyers", "amount_col_share_buyers", "amount_file_buyer_bands",
                       "amount_buyer_pct_title", "amount_buyer_pct_caption")},
}


def band_section(c: dict, lang: str, kind: str) -> None:
    """Bands chart, table with downloads and percentiles, for order values or buyer spend."""
    spec = BAND_SECTIONS[kind]
    title, chart, caption, col_band, col_count, col_share, file, pct_title, pct_caption = (
        tr(k) for k in spec["keys"])
    df = c[spec["df"]]
    st.subheader(title)
    ui.chart(band_bars(df, lang, spec["count"], chart), key=f"amount_{kind}_chart")
    st.caption(caption)
    table, config = bands_table(df, spec["count"], col_band, col_count, col_share)
    st.dataframe(table, hide_index=True, column_config=config, width="stretch")
    ui.download_buttons(table, file, key=f"amount_dl_{kind}")
    st.markdown(f"**{pct_title}**")
    percentile_row(c["totals"][spec["pct"]], lang)
    st.caption(pct_caption)


def pareto_section(c: dict, lang: str) -> None:
    st.subheader(tr("amount_pareto_title"))
    p = c["pareto"]
    tops = p["tops"]
    top20 = tops[tops["pct"] == 20]
    if len(top20) and top20["gmv_share"].iloc[0] is not None:
        st.markdown("#### " + tr("amount_pareto_headline", buyers=i18n.fmt_int(top20["buyers"].iloc[0], lang),
                                 share=i18n.fmt_pct(top20["gmv_share"].iloc[0], lang)))
    else:
        st.info(tr("amount_pareto_headline_none"))
    cols = st.columns(len(tops) or 1)
    for col, r in zip(cols, tops.to_dict("records")):
        col.metric(tr("amount_top_label", pct=r["pct"]), i18n.fmt_pct(r["gmv_share"], lang),
                   help=tr("amount_top_help", pct=r["pct"], buyers=i18n.fmt_int(r["buyers"], lang)))
    ui.chart(pareto_curve(p["curve"], tops, lang, tr("amount_pareto_chart")), key="amount_pareto_chart")
    st.caption(tr("amount_pareto_caption"))
    table = pd.DataFrame({
        tr("amount_col_top"): [tr("amount_top_label", pct=x) for x in tops["pct"]],
        tr("amount_col_buyers"): tops["buyers"].astype("int64"),
        tr("amount_col_gmv"): [float(v) for v in tops["gmv"]],
        tr("amount_col_share_gmv"): [None if v is None else float(v) for v in tops["gmv_share"]],
    })
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={tr("amount_col_gmv"): money_config(tr("amount_col_gmv")),
                                tr("amount_col_share_gmv"): pct_config(tr("amount_col_share_gmv"))})
    ui.download_buttons(table, tr("amount_file_pareto"), key="amount_dl_pareto")


def level_section(c: dict, lang: str) -> None:
    st.subheader(tr("amount_level_title"))
    df = c["by_level"]
    ui.chart(level_bars(df, lang, tr("amount_level_chart")), key="amount_level_chart")
    st.caption(tr("amount_level_caption"))

    def money(col):
        return [None if v is None else float(v) for v in df[col]]
    table = pd.DataFrame({
        tr("amount_col_level"): [level_name(code, lang) for code in df["level_code"]],
        tr("amount_col_buyers"): df["buyers"].astype("int64"),
        tr("amount_col_purchases"): df["purchases"].astype("int64"),
        tr("amount_col_gmv"): money("gmv"),
        tr("amount_col_aov"): money("avg_order_value"),
        tr("amount_col_aspb"): money("avg_spend_per_buyer"),
    })
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={k: money_config(k) for k in
                                (tr("amount_col_gmv"), tr("amount_col_aov"), tr("amount_col_aspb"))})
    ui.download_buttons(table, tr("amount_file_levels"), key="amount_dl_levels")


@ui.guarded
def page() -> None:
    lang = ui.lang()
    db = ui.db()
    st.title(tr("amount_title"))
    if not ui.require_data():
        return
    f = ui.filters()
    st.caption(tr("amount_intro"))
    with st.expander(tr("amount_bands_title")):
        order_edges = edges_input(tr("amount_order_edges_label"), tr("amount_order_edges_help"),
                                  tr("amount_which_order"), "amount_order_edges", amount.ORDER_EDGES, lang)
        buyer_edges = edges_input(tr("amount_buyer_edges_label"), tr("amount_buyer_edges_help"),
                                  tr("amount_which_buyer"), "amount_buyer_edges", amount.BUYER_EDGES, lang)
    c = cached_compute(db.data_version(), f, order_edges, buyer_edges)
    t = c["totals"]
    if c["empty"]:
        st.info(tr("empty_no_purchases"))
        return
    row = st.columns(4)
    row[0].metric(tr("metric_orders"), i18n.fmt_int(t["purchases"], lang), help=tr("metric_orders_help"))
    row[1].metric(tr("metric_gmv"), i18n.fmt_money(t["gmv"], lang), help=tr("metric_gmv_help"))
    row[2].metric(tr("metric_aov"), i18n.fmt_money(t["avg_order_value"], lang), help=tr("metric_aov_help"))
    row[3].metric(tr("metric_aspb"), i18n.fmt_money(t["avg_spend_per_buyer"], lang), help=tr("metric_aspb_help"))
    if t["no_buyer_purchases"]:
        st.caption(tr("amount_no_buyer_note", purchases=i18n.fmt_int(t["no_buyer_purchases"], lang),
                      gmv=i18n.fmt_money(t["no_buyer_gmv"], lang)))
    band_section(c, lang, "order")
    if not t["buyers"]:
        st.info(tr("amount_no_buyers"))
        return
    band_section(c, lang, "buyer")
    pareto_section(c, lang)
    level_section(c, lang)


page()
