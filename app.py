"""Entry point: page set-up, language, the shared sidebar and navigation. Nothing else."""
import streamlit as st

from crm import ui

# A Material icon, not an emoji: recognising an emoji loads Streamlit's emoji table (see crm.ui.WARNING_ICON)
st.set_page_config(page_title="会员分析 · Member desk", page_icon=":material/storefront:", layout="wide")

lang = ui.lang()
with st.sidebar:
    # two buttons, not a select box: the browser already loads their script for Home's period
    # buttons, while a select box's costs a new session's first page ~0.15 s
    st.segmented_control(ui.tr("sidebar_lang"), ["zh", "en"], default=lang, required=True, key="lang_select",
                         format_func=lambda code: ui.plain_label({"zh": "中文", "en": "English"}[code]),
                         on_change=lambda: st.session_state.update(lang=st.session_state["lang_select"]))
ui.login_gate()  # a password or single sign-on in .streamlit/secrets.toml: nothing below runs until signed in

PAGE_ICONS = {"levels": ":material/military_tech:", "timing": ":material/schedule:",
              "amount": ":material/payments:", "counts": ":material/format_list_numbered:",
              "lifecycle": ":material/autorenew:"}
pages = {
    ui.tr("nav_section_overview"): [
        st.Page("pages/home.py", title=ui.tr("nav_home"), icon=":material/home:", url_path="home", default=True),
        st.Page("pages/data.py", title=ui.tr("nav_data"), icon=":material/upload_file:", url_path="data"),
    ],
    ui.tr("nav_section_analyses"): [
        st.Page(f"pages/{name}.py", title=ui.tr(f"nav_{name}"), icon=icon, url_path=name)
        for name, icon in PAGE_ICONS.items()
    ],
    ui.tr("nav_section_marketing"): [
        st.Page("pages/cohorts.py", title=ui.tr("nav_cohorts"), icon=":material/campaign:", url_path="cohorts"),
        st.Page("pages/campaigns.py", title=ui.tr("nav_campaigns"), icon=":material/science:", url_path="campaigns"),
        st.Page("pages/predictions.py", title=ui.tr("nav_predictions"), icon=":material/insights:",
                url_path="predictions"),
        st.Page("pages/members.py", title=ui.tr("nav_members"), icon=":material/sell:", url_path="members"),
    ],
}
nav = st.navigation(pages)
home = nav.url_path == ""
preloaded = ui.preload_charts(home)   # a session's first run: the browser starts loading the chart script
ui.navigation_ready()
ui.goto_requested()


@ui.guarded
def sidebar_status():
    overview = ui.overview()
    st.sidebar.caption(ui.tr("sidebar_data", orders=f"{overview['orders']:,}", members=f"{overview['members']:,}"))


sidebar_status()
nav.run()
ui.preload_done(preloaded, home)
ui.warm_up()  # the other pages' modules, in the background (once per server process)
