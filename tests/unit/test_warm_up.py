"""The server's background warm-up (crm.ui.warm_up): what it imports exists, and it starts once."""
import importlib

from crm import ui


def test_every_module_it_warms_exists():
    # the warm-up swallows errors (it is only a head start), so a misspelt name would go unnoticed
    for name in ui.warm_modules():
        assert importlib.import_module(name).__name__ == name


def test_it_starts_one_thread_per_server_process(monkeypatch):
    started = []

    class Thread:
        def __init__(self, target, name, daemon):
            assert target is ui._warm and daemon
            self.name = name

        def start(self):
            started.append(self.name)

    monkeypatch.setattr(ui.threading, "Thread", Thread)
    monkeypatch.setattr(ui, "_warm_started", False)
    ui.warm_up()
    ui.warm_up()
    assert started == ["crm-warm-up"]



def test_a_sessions_first_run_sends_a_hidden_chart_and_clears_it(monkeypatch, tmp_path, server_mode):
    """app.py sends the chart library's preload on a session's first run only, and clears it when
    the page is drawn: nothing is left in the sidebar."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    monkeypatch.setenv("CRM_DB", str(tmp_path / "w.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception and at.session_state["_plotly_preloaded"]
    assert not at.sidebar.get("plotly_chart")                     # cleared once the page was drawn

    kept = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    kept.session_state["lang"] = "en"
    real = ui.preload_done

    def mark_without_clearing(slot):
        if slot is not None:
            import streamlit as st
            st.session_state["_plotly_preloaded"] = True

    monkeypatch.setattr(ui, "preload_done", mark_without_clearing)
    kept.run()
    assert len(kept.sidebar.get("plotly_chart")) == 1            # not cleared: the chart was sent
    monkeypatch.setattr(ui, "preload_done", real)
    kept.run()                                                     # every run through app.py, as on a server
    assert not kept.sidebar.get("plotly_chart") and kept.sidebar.selectbox(key="lang_select")


def test_a_run_cut_short_sends_the_preload_again(monkeypatch, tmp_path, server_mode):
    """A run that does not finish (a page switch, as a deep link's first run on a just-started server
    is) has not marked the preload as sent: the next run sends it again."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    monkeypatch.setenv("CRM_DB", str(tmp_path / "w.duckdb"))
    monkeypatch.setattr(ui, "preload_done", lambda slot: None)     # as if every run were cut short
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    at.run()
    assert len(at.sidebar.get("plotly_chart")) == 1
    assert "_plotly_preloaded" not in at.session_state
