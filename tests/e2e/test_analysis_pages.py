"""Every page opened in Chromium on the sample shop: charts render, no error shows."""
import csv
import io
import time

from .conftest import wait_idle

PAGES = ["home", "levels", "timing", "amount", "counts", "lifecycle", "cohorts", "members", "data"]


def test_every_page_renders_charts_without_errors(tmp_path, page, sample_app):
    for name in PAGES:
        page.goto(f"{sample_app}/{name}")
        wait_idle(page)
        assert page.locator("[data-testid='stException']").count() == 0, name
        assert page.locator("[data-testid='stAlertContentError']").count() == 0, name
        if name == "home":   # its weekly figures as cards with small lines; the Plotly charts behind a tab
            page.wait_for_selector("[data-testid='stMain'] svg.crm-spark polyline", timeout=30000)
            assert page.locator("[data-testid='stMain'] svg.crm-spark:visible").count() == 4
            page.get_by_role("tab", name="周走势图").click()
            wait_idle(page)
        if name == "cohorts":   # who is in the cohort: two lists of bars in HTML, no chart script
            page.wait_for_selector("[data-testid='stMain'] .crm-bars .crm-bar", timeout=30000)
            assert page.locator("[data-testid='stMain'] .crm-bars:visible").count() == 2
            assert page.locator("[data-testid='stMain'] .js-plotly-plot").count() == 0
        elif name not in ("data", "members"):
            page.wait_for_selector("[data-testid='stMain'] .js-plotly-plot", timeout=30000)
            assert page.locator("[data-testid='stMain'] .js-plotly-plot").count() >= 1, name
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def test_the_first_page_of_a_session_starts_loading_the_chart_library_and_shows_nothing_for_it(
        page, sample_app):
    """A session's first run sends a hidden empty chart so the browser fetches Plotly's script while
    the server works on the page: on the Data page (no charts of its own) the script is requested,
    no chart shows, and the next run removes the hidden one."""
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/PlotlyChart." in r.url else None)
    page.goto(f"{sample_app}/data")
    wait_idle(page)
    page.wait_for_timeout(500)
    assert asked, "the chart library was not requested"
    assert page.locator(".js-plotly-plot:visible").count() == 0
    assert not page.locator(".st-key-crm_plotly_preload").is_visible()
    first = page.locator("[data-testid='stSidebarUserContent'] [data-testid='stElementContainer']").first
    assert first.locator("[data-testid='stButtonGroup']").count() == 1  # the language, as before
    page.get_by_role("link", name="会员等级").first.click()                 # the next run
    wait_idle(page)
    page.wait_for_selector("[data-testid='stMain'] .js-plotly-plot .main-svg", timeout=30000)
    assert page.locator(".st-key-crm_plotly_preload").count() == 0


# When the page's four small lines have been drawn, noted as the DOM changes (a mutation observer
# runs before any timer of the page's own scripts can see the change).
SMALL_CHARTS_WATCH = """window.__drawnAt = null;
new MutationObserver(() => {
    if (window.__drawnAt !== null) return;
    const lines = [...document.querySelectorAll("svg.crm-spark")]
        .filter(c => !c.closest('.st-key-crm_plotly_preload'));
    if (lines.length === 4 && lines.every(c => c.querySelector('polyline, path'))) window.__drawnAt = performance.now();
}).observe(document, {subtree: true, childList: true});"""


def test_home_draws_its_small_charts_first_then_loads_the_chart_library(page, sample_app):
    """A session that opens at Home: its four cards' lines are drawn with no chart script at all
    (neither Plotly's nor Vega's); Plotly's is asked for only afterwards (once they are drawn) and
    has loaded by the time the next page's charts are drawn; nothing of the preload or the loader
    shows."""
    page.add_init_script(SMALL_CHARTS_WATCH)

    def late(route):                            # the lines' script arrives late: Plotly's must wait
        time.sleep(1.5)
        route.continue_()

    page.route("**/static/js/rehype-raw.*.js", late)   # what Streamlit's Markdown uses to show HTML
    page.goto(sample_app)
    page.wait_for_function("() => window.__drawnAt !== null", timeout=30000)
    assert page.locator(".js-plotly-plot").count() == 0
    page.wait_for_function("() => performance.getEntriesByType('resource').some(r => r.name.includes('/PlotlyChart.'))",
                           timeout=30000)
    asked, drawn = page.evaluate("""() => [performance.getEntriesByType('resource')
        .find(r => r.name.includes('/PlotlyChart.')).startTime, window.__drawnAt]""")
    assert asked >= drawn                       # asked for only once the small lines were drawn
    scripts = page.evaluate("() => performance.getEntriesByType('resource').map(r => r.name)")
    assert not [u for u in scripts if "/embed." in u or "/vega-" in u or "/ArrowVegaLiteChart." in u]   # no Vega
    page.wait_for_function("() => window.__crmChartLibrary !== undefined", timeout=30000)
    assert page.evaluate("async () => (await window.__crmChartLibrary) !== null")   # the module loaded
    wait_idle(page)
    for key in ("crm_plotly_preload", "crm_chart_loader"):
        assert not page.locator(f".st-key-{key}").is_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    page.locator("[data-testid='stSidebarNav'] a[href$='/levels']").first.click()
    page.wait_for_selector("[data-testid='stMain'] .js-plotly-plot .main-svg", timeout=30000)
    loads = page.evaluate("() => performance.getEntriesByType('resource').filter(r => r.name.includes('/PlotlyChart.')).length")
    assert loads == 1                           # the page's charts used the module already loaded


def test_predictions_page_draws_its_view_and_downloads_every_buyer(page, sample_app):
    """The Predictions page on the sample shop: its two charts and the 50 largest predicted spends;
    the CSV download scores every buyer when it is clicked (the page itself draws from the kept view):
    one row per buyer counted in the first card."""
    page.goto(f"{sample_app}/predictions")
    wait_idle(page)
    page.wait_for_selector("[data-testid='stMain'] .js-plotly-plot .main-svg", timeout=60000)
    assert page.locator("[data-testid='stMain'] .js-plotly-plot").count() == 2      # P(alive) matrix, value bars
    assert page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count() == 0
    customers = int(page.locator("[data-testid='stMetric']").filter(has_text="客户数").first
                    .locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))
    with page.expect_download(timeout=60000) as info:
        page.locator(".st-key-pred_dl_csv button").first.click()
    raw = open(info.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == customers > 50
    assert list(rows[0])[:2] == ["customer_id", "frequency"] and len({r["customer_id"] for r in rows}) == customers
    assert all(0 <= float(r["p_alive"]) <= 1 and float(r["predicted_12m_spend"]) >= 0 for r in rows)
