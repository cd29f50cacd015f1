"""Click a bar of the lifecycle chart in Chromium, open that stage in the cohort tool."""
from crm.db import Database
from crm.samples import load_sample

from .conftest import wait_idle


def test_click_stage_bar_opens_cohort(tmp_path, page, request):
    db = Database(tmp_path / "e2e.duckdb")
    assert all(r.ok for r in load_sample(db))
    lost = db.scalar("SELECT count(*) FROM customer_stats WHERE DATE '2026-10-31' - last_purchase_at::DATE > 365")
    db.close()
    url = request.getfixturevalue("app_server")
    page.goto(f"{url}/lifecycle")
    wait_idle(page)
    chart = page.locator(".st-key-lifecycle_stage_chart .js-plotly-plot").first
    chart.wait_for()
    bars = chart.locator("g.trace.bars g.point path")
    box = bars.last.bounding_box()  # the last bar of the last trace: 流失期
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)  # Plotly picks the point under the pointer (its drag layer takes the click)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    wait_idle(page)
    button = page.get_by_role("button", name="在人群工具中打开", exact=False).first
    button.wait_for(timeout=30000)
    button.click()
    wait_idle(page)
    page.get_by_text("人群与优惠券").first.wait_for()
    value = page.locator("[data-testid='stMetric']").filter(has_text="人群人数").first \
        .locator("[data-testid='stMetricValue']").inner_text()
    assert int(value.replace(",", "")) == lost
    assert page.locator("[data-testid='stException']").count() == 0
