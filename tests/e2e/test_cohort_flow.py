"""Build the dormant cohort, move a coupon slider, download the target list: in Chromium."""
import csv
import io

from crm.db import Database
from crm.samples import load_sample

from .conftest import wait_idle


def metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text()


def test_dormant_cohort_coupon_and_csv(tmp_path, page, request):
    db = Database(tmp_path / "e2e.duckdb")
    assert all(r.ok for r in load_sample(db))
    # every buyer's last purchase date, read before the app takes the database file
    last = dict(db.query("SELECT customer_id, max(ordered_at)::DATE FROM orders WHERE is_purchase "
                         "AND customer_id IS NOT NULL GROUP BY 1"))
    as_of = max(last.values())
    db.close()
    url = request.getfixturevalue("app_server")
    page.goto(f"{url}/cohorts")
    wait_idle(page)
    everyone = int(metric(page, "人群人数").replace(",", ""))
    page.get_by_role("button", name="沉睡客户", exact=True).click()
    wait_idle(page)
    dormant = int(metric(page, "人群人数").replace(",", ""))
    assert 0 < dormant < everyone
    days_min = int(page.locator(".st-key-cohort_days_min input").input_value())
    page.get_by_role("tab", name="优惠券测算").click()
    wait_idle(page)
    advice = page.locator("[data-testid='stAlert']").filter(has_text="推荐方案").first
    advice.wait_for()
    before = advice.inner_text()
    # move the gross-margin slider with the keyboard: the offers recompute
    thumb = page.get_by_role("slider").nth(2)  # redemption, baseline, margin, …
    thumb.focus()
    for _ in range(25):
        page.keyboard.press("ArrowLeft")
    wait_idle(page)
    page.wait_for_function("t => !document.body.innerText.includes(t)", arg=before.strip()[-25:], timeout=30000)
    assert "推荐方案" in advice.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stMain'] .js-plotly-plot").count() >= 2          # the order values and the offers
    page.get_by_role("tab", name="导出目标名单").click()
    wait_idle(page)
    with page.expect_download() as info:
        page.locator(".st-key-cohort_dl_csv button").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv") and "2026-10-31" in download.suggested_filename
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for Excel"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == dormant
    assert "买家会员名" in rows[0] or any("会员" in k for k in rows[0])
    days_col = next(k for k in rows[0] if "未购天数" in k)
    assert min(int(r[days_col]) for r in rows) >= days_min
    # independent check: exactly the buyers whose last purchase is at least days_min days old
    name_col = next(iter(rows[0]))
    assert {r[name_col] for r in rows} == {c for c, d in last.items() if (as_of - d).days >= days_min}
    page.screenshot(path=str(tmp_path / "cohorts.png"), full_page=True)
