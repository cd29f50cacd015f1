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
