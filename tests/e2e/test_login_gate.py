"""The login gate on a real server in Chromium: a fresh server's first deep link, a wrong and a right
password, a second browser after that, logging out."""

import pytest

from crm import auth
from crm.db import Database
from crm.importing import import_file

from .conftest import ROOT, streamlit_server, wait_idle

PASSWORD = "team pass 123"


@pytest.fixture
def gated_server(tmp_path):
    """`streamlit run app.py` with a password in its own secrets file (never the repository's)."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(auth.secrets_lines(auth.hash_password(PASSWORD, iterations=1_000)) + "\n", encoding="utf-8")
    db = Database(tmp_path / "gate.duckdb")
    assert import_file(db, ROOT / "tests" / "fixtures" / "taobao_orders_61_gbk.csv").ok
    db.close()
    with streamlit_server(tmp_path / "gate.duckdb", "--secrets.files", str(secrets), lang="en") as url:
        yield url


def sign_in(pg, password):
    pg.locator("input[type=password]").fill(password)
    pg.get_by_role("button", name="Sign in").click()
    wait_idle(pg)


def headings(pg):
    return pg.locator("h1").all_inner_texts()


def test_login_gate_in_a_browser(gated_server, browser):
    url = gated_server
    ctx = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(30000)
    # a fresh server, first request straight to a page: only the sign-in form
    pg.goto(f"{url}/levels")
    wait_idle(pg)
    assert headings(pg) == ["Sign in"]
    assert pg.locator("[data-testid='stMetric']").count() == 0
    assert pg.locator(".js-plotly-plot").count() == 0
    sign_in(pg, "wrong")
    assert pg.locator("[data-testid='stAlertContentError']").all_inner_texts() == ["Wrong password."]
    sign_in(pg, PASSWORD)
    assert headings(pg) == ["Member levels"]  # the page asked for
    # another browser, after the server's first navigation: still the form, then the page asked for
    ctx2 = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    pg2 = ctx2.new_page()
    pg2.set_default_timeout(30000)
    pg2.goto(f"{url}/cohorts")
    wait_idle(pg2)
    assert headings(pg2) == ["Sign in"]
    assert pg2.locator("[data-testid='stSidebarNav'] a").count() == 0
    sign_in(pg2, PASSWORD)
    assert pg2.url.endswith("/cohorts")
    pg2.get_by_role("button", name="Log out").click()
    wait_idle(pg2)
    assert headings(pg2) == ["Sign in"]
    ctx2.close()
    ctx.close()
