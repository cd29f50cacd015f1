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


def guarded(page):
    """Run a page body; any surprise becomes a one-line message in the user's language,
    never a stack trace (the details go to the server log)."""
    @functools.wraps(page)
    def run(*args, **kwargs):
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
