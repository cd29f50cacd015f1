"""Every page opened in Chromium on the sample shop: charts render, no error shows."""
from crm.db import Database
from crm.samples import load_sample

from .conftest import wait_idle

PAGES = ["home", "levels", "timing", "amount", "counts", "lifecycle", "cohorts", "members", "data"]


def test_every_page_renders_charts_without_errors(tmp_path, monkeypatch, page, request):
    db_path = tmp_path / "e2e.duckdb"
    db = Database(db_path)
    assert all(r.ok for r in load_sample(db))
    db.close()
    url = request.getfixturevalue("app_server")  # starts the server on tmp_path/e2e.duckdb
    for name in PAGES:
        page.goto(f"{url}/{name}")
        wait_idle(page)
        assert page.locator("[data-testid='stException']").count() == 0, name
        assert page.locator("[data-testid='stAlertContentError']").count() == 0, name
        if name not in ("data", "members"):
            page.wait_for_selector(".js-plotly-plot", timeout=30000)
            assert page.locator(".js-plotly-plot").count() >= 1, name
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def test_the_first_page_of_a_session_starts_loading_the_chart_library_and_shows_nothing_for_it(
        tmp_path, page, request):
    """A session's first run sends a hidden empty chart so the browser fetches Plotly's script while
    the server works on the page: on the Data page (no charts of its own) the script is requested,
    and once the page is drawn no chart, and nothing hidden, is left in it."""
    db = Database(tmp_path / "e2e.duckdb")
    assert all(r.ok for r in load_sample(db))
    db.close()
    url = request.getfixturevalue("app_server")
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/PlotlyChart." in r.url else None)
    page.goto(f"{url}/data")
    wait_idle(page)
    page.wait_for_timeout(500)
    assert asked, "the chart library was not requested"
    assert page.locator(".js-plotly-plot").count() == 0
    assert page.locator(".st-key-crm_plotly_preload").count() == 0
    first = page.locator("[data-testid='stSidebarUserContent'] [data-testid='stElementContainer']").first
    assert first.locator("[data-testid='stSelectbox']").count() == 1     # the language, as before
