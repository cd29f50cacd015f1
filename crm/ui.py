"""The few Streamlit helpers every page shares: the database, the language, safe rendering.

This is the only engine module that imports Streamlit (DESIGN.md).
"""
from __future__ import annotations

import functools
import traceback

import duckdb
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from . import i18n
from .db import Database, resolve_path


@st.cache_resource(show_spinner=False)
def _database(path: str) -> Database:
    return Database(path)


def db() -> Database:
    """The app's one Database for this file (readers get their own cursors from it)."""
    return _database(str(resolve_path()))


def lang() -> str:
    if "lang" not in st.session_state:
        try:
            locale = st.context.locale
        except Exception:  # outside a browser session (AppTest without a locale)
            locale = None
        st.session_state["lang"] = i18n.pick_lang(locale)
    return st.session_state["lang"]


def tr(key: str, **params) -> str:
    return i18n.t(key, lang(), **params)


def msg(message) -> str:
    return i18n.msg(message, lang())


_NAV_READY = False  # set once app.py has called st.navigation in this server process


def navigation_ready() -> None:
    """Called by app.py right after st.navigation."""
    global _NAV_READY
    _NAV_READY = True


def _through_app(page_file: str) -> None:
    """On a fresh server, a first request straight to a page URL (a bookmark of /cohorts) is run
    by Streamlit's old `pages/` discovery, without app.py: no shared sidebar, no language switch.
    Route it through app.py, which then opens the page asked for."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    if _NAV_READY:
        return
    ctx = get_script_run_ctx()
    main = str(getattr(ctx, "main_script_path", "") or "")
    if not main.replace("\\", "/").endswith("/app.py"):  # a page run on its own (AppTest of one page)
        return
    st.session_state["_goto"] = "pages/" + page_file.replace("\\", "/").rsplit("/", 1)[-1]
    st.switch_page("app.py")


def goto_requested() -> None:
    """Called by app.py after st.navigation: open the page a first deep link asked for."""
    target = st.session_state.pop("_goto", None)
    if target:
        st.switch_page(target)


def guarded(page):
    """Run a page body; any surprise becomes a one-line message in the user's language,
    never a stack trace (the details go to the server log)."""
    @functools.wraps(page)
    def run(*args, **kwargs):
        _through_app(page.__code__.co_filename)
        try:
            return page(*args, **kwargs)
        except ScriptControlException:  # st.rerun / st.stop / st.switch_page
            raise
        except duckdb.IOException as e:
            if "lock" in str(e).lower():
                st.error(tr("error_db_locked"))
            else:
                st.error(tr("error_generic", detail=str(e).splitlines()[0][:200]))
        except Exception as e:  # noqa: BLE001 — the page must survive anything
            traceback.print_exc()
            st.error(tr("error_generic", detail=f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"))
    return run


# -- shared sidebar filters (kept while navigating between pages) -----------------------------------
def _keep(name: str):
    """Copy a widget's value to a permanent session key (widget state is dropped on pages that do
    not draw the widget; the permanent key survives)."""
    def copy():
        st.session_state[f"keep_{name}"] = st.session_state[f"w_{name}"]
    return copy


def _kept(name: str, default):
    return st.session_state.get(f"keep_{name}", default)


@st.cache_data(show_spinner=False, max_entries=16)
def _filter_options(path: str, data_version: str) -> dict:
    from .filters import filter_options
    return filter_options(db())


def filters():
    """The sidebar filters: as-of date, order date range, levels, provinces, platforms, shops.
    Returns a `crm.filters.Filters`."""
    import datetime as dt

    from .filters import Filters
    from .levels import LEVEL_CODES, level_name, load_rules
    from .summary import default_as_of

    database = db()
    opts = _filter_options(str(database.path), database.data_version())
    latest = default_as_of(database) or dt.date.today()
    first = opts["first_day"] or latest
    bar = st.sidebar
    bar.markdown(f"**{tr('filters_title')}**")
    as_of = bar.date_input(tr("as_of_label"), value=_kept("as_of", latest), help=tr("as_of_help"),
                           key="w_as_of", on_change=_keep("as_of"), min_value=dt.date(1970, 1, 1))
    rng = bar.date_input(tr("filters_range"), value=_kept("range", (first, latest)), key="w_range",
                         on_change=_keep("range"), min_value=dt.date(1970, 1, 1), help=tr("filters_range_help"))
    start, end = (rng if isinstance(rng, (tuple, list)) and len(rng) == 2 else (first, latest))
    levels = bar.multiselect(tr("filters_levels"), list(LEVEL_CODES), default=_kept("levels", []), key="w_levels",
                             on_change=_keep("levels"), format_func=lambda c: level_name(c, lang()),
                             placeholder=tr("filters_all"))
    provinces = platforms = shops = []
    if opts["provinces"]:
        provinces = bar.multiselect(tr("filters_provinces"), opts["provinces"], key="w_provinces",
                                    default=[p for p in _kept("provinces", []) if p in opts["provinces"]],
                                    on_change=_keep("provinces"), placeholder=tr("filters_all"))
    if len(opts["platforms"]) > 1:
        platforms = bar.multiselect(tr("filters_platforms"), opts["platforms"], key="w_platforms",
                                    default=[p for p in _kept("platforms", []) if p in opts["platforms"]],
                                    on_change=_keep("platforms"), placeholder=tr("filters_all"))
    if len(opts["shops"]) > 1:
        shops = bar.multiselect(tr("filters_shops"), opts["shops"], key="w_shops",
                                default=[p for p in _kept("shops", []) if p in opts["shops"]],
                                on_change=_keep("shops"), placeholder=tr("filters_all"))
    if bar.button(tr("filters_reset"), key="w_filters_reset"):
        for k in [k for k in st.session_state if str(k).startswith(("keep_", "w_"))]:
            del st.session_state[k]
        st.rerun()
    return Filters(as_of=as_of or latest, start=None if start == first else start,
                   end=None if end >= (as_of or latest) else end, levels=tuple(levels),
                   provinces=tuple(provinces), platforms=tuple(platforms), shops=tuple(shops),
                   rules=load_rules(database), data_last_day=default_as_of(database))


def download_buttons(df, name: str, key: str) -> None:
    """CSV (UTF-8 with BOM, opens in Excel) and XLSX downloads of a table, built only when clicked."""
    from .exports import safe_filename, to_csv_bytes, to_xlsx_bytes
    c1, c2 = st.columns(2)
    base = safe_filename(name)
    c1.download_button(tr("download_csv"), data=lambda: to_csv_bytes(df), file_name=f"{base}.csv",
                       mime="text/csv", key=f"{key}_csv", on_click="ignore")
    c2.download_button(tr("download_xlsx"), data=lambda: to_xlsx_bytes(df, base),
                       file_name=f"{base}.xlsx", key=f"{key}_xlsx", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def chart(fig, key: str, selectable: bool = True) -> list:
    """Draw a Plotly figure. Clicking a bar, point or cell returns the clicked points' `customdata`
    (put a segment id there), so opening the cohort of those members is a one-line addition."""
    if not selectable:
        st.plotly_chart(fig, key=key, config={"displaylogo": False})
        return []
    event = st.plotly_chart(fig, key=key, on_select="rerun", selection_mode=("points",),
                            config={"displaylogo": False})
    try:
        points = event.selection.points  # type: ignore[union-attr]
    except AttributeError:
        return []
    return [p.get("customdata") for p in points if p.get("customdata") is not None]
