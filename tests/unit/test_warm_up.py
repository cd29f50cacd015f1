"""The server's background warm-up (crm.ui.warm_up): what it imports exists, and it starts once;
the chart script's preload on a session's first page."""
import importlib
import json
from pathlib import Path

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


def test_it_waits_before_importing(monkeypatch):
    """The warm-up first lets the browser fetch the first page's element scripts from the server,
    then imports every module of its list."""
    events, expected = [], ui.warm_modules()
    monkeypatch.setattr(ui.time, "sleep", lambda s: events.append(("sleep", s)))
    real_import = importlib.import_module

    def import_module(name):
        events.append(("import", name))
        return real_import(name) if name in ui.WARM_PACKAGES else None   # only the packages' lists
    monkeypatch.setattr(ui.importlib, "import_module", import_module)
    ui._warm()
    assert ui.WARM_DELAY > 0 and events[0] == ("sleep", ui.WARM_DELAY)
    imported = [name for kind, name in events[1:] if name not in ui.WARM_PACKAGES]
    assert imported == expected


def _app(monkeypatch, path, first_page=None):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    monkeypatch.setenv("CRM_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    if first_page:
        at.switch_page(first_page)
    return at


def _loaders(at) -> list:
    """The loader's script in the sidebar, as (module file name, small lines to wait for)."""
    import re
    found = []
    for e in at.sidebar.get("html"):
        m = re.search(r"const chunk = (\"[^\"]*\"), charts = (\d+),", e.proto.body)
        if m:
            found.append((json.loads(m.group(1)), int(m.group(2))))
    return found


def _preloads(at) -> list:
    """What the preload container holds (hidden in the sidebar)."""
    return [e for e in at.sidebar if getattr(e, "type", None) == "flex_container"
            and e.proto.id.endswith(ui.PRELOAD_KEY)]


def test_a_sessions_first_run_sends_a_hidden_chart_once(monkeypatch, tmp_path, server_mode):
    """A session's first run on any page but Home sends an empty Plotly chart, hidden; it is not
    sent again, so the next run removes it, and nothing else is left in the sidebar."""
    at = _app(monkeypatch, tmp_path / "w.duckdb", "pages/data.py")
    at.run()
    assert not at.exception and at.session_state["_plotly_preloaded"]
    [preload] = _preloads(at)
    assert len(preload.get("plotly_chart")) == 1 and not _loaders(at)
    at.run()                                                       # every run through app.py, as on a server
    assert not _preloads(at) and not at.sidebar.get("plotly_chart") and at.sidebar.button_group(key="lang_select")


def test_home_preloads_its_cards_and_loads_plotly_once_their_lines_are_drawn(monkeypatch, tmp_path, server_mode):
    """Home draws its weekly figures as cards with inline SVG lines: its first run preloads a card
    (hidden, removed by the next run), sends no Plotly chart, and leaves a loader that fetches
    Streamlit's own Plotly module once the page's four lines are drawn. The next run sends
    neither."""
    from crm.db import Database
    from crm.samples import load_sample
    path = tmp_path / "h.duckdb"
    with Database(path) as d:
        assert all(r.ok for r in load_sample(d))
    at = _app(monkeypatch, path)
    at.run()
    assert not at.exception and at.session_state["_plotly_preloaded"]
    assert not at.get("plotly_chart")                                # no Plotly anywhere on Home
    [preload] = _preloads(at)
    assert len(preload.get("metric")) == 1 and not preload.get("metric")[0].proto.chart_data   # no Vega
    assert len([m for m in at.main.get("markdown") if 'class="crm-spark"' in m.value]) == 4
    [(chunk, charts)] = _loaders(at)
    assert chunk == ui.plotly_chunk() and charts == 4
    assert chunk.startswith("PlotlyChart.") and chunk.endswith(".js")
    import streamlit
    import re
    static = Path(streamlit.__file__).parent / "static"
    [main] = re.findall(r'<script type="module"[^>]* src="\./(static/js/index\.[^"]+\.js)"',
                        (static / "index.html").read_text(encoding="utf-8"))     # what the loader finds
    assert f'"./{chunk}"' in (static / main).read_text(encoding="utf-8")     # the module it imports
    at.run()
    assert not _loaders(at) and not _preloads(at) and "_small_charts" not in at.session_state
    at.switch_page("pages/levels.py").run()
    assert not at.exception and not at.sidebar.get("plotly_chart")  # nothing preloaded a second time


def test_homes_welcome_screen_asks_the_loader_for_no_small_chart(monkeypatch, tmp_path, server_mode):
    """Home's welcome screen (an empty database) draws no small line: the loader waits for none."""
    at = _app(monkeypatch, tmp_path / "e.duckdb")
    at.run()
    assert [charts for _, charts in _loaders(at)] == [0]


def test_a_run_cut_short_sends_the_preload_again(monkeypatch, tmp_path, server_mode):
    """A run that does not finish (a page switch, as a deep link's first run on a just-started server
    is) has not marked the preload as sent: the next run sends it again (on Home, a card)."""
    monkeypatch.setattr(ui, "preload_done", lambda sent, home=False: None)   # as if every run were cut short
    at = _app(monkeypatch, tmp_path / "w.duckdb", "pages/data.py")
    at.run()
    at.run()
    assert len(_preloads(at)) == 1 and len(at.sidebar.get("plotly_chart")) == 1
    assert "_plotly_preloaded" not in at.session_state
    home = _app(monkeypatch, tmp_path / "w.duckdb")
    home.run()
    home.run()
    assert len(_preloads(home)) == 1 and len(home.sidebar.get("metric")) == 1 and not home.sidebar.get("plotly_chart")
    assert "_plotly_preloaded" not in home.session_state


def test_a_preload_that_fails_is_left_out_and_the_page_runs(monkeypatch, tmp_path, server_mode):
    """The preload is only a head start: when its chart cannot be built (Plotly finds pandas half
    imported by another session's thread, as on a just-started server), the page runs without it."""
    import streamlit as st

    def half_imported(*args, **kwargs):
        raise AttributeError("partially initialized module 'pandas' has no attribute 'NaT'")

    monkeypatch.setattr(st, "plotly_chart", half_imported)
    at = _app(monkeypatch, tmp_path / "f.duckdb", "pages/data.py")
    at.run()
    assert not at.exception and at.session_state["_plotly_preloaded"]
    assert at.sidebar.button_group(key="lang_select") and at.get("file_uploader")
