"""Build a cohort → create a campaign with a holdout → download the contact list → import later
orders → read the effect: in Chromium."""
import csv
import io

from .conftest import wait_idle
from .test_cohort_flow import metric


def _download_rows(page, selector: str) -> tuple[str, list[dict]]:
    with page.expect_download() as info:
        page.locator(selector).first.click()
    download = info.value
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    return download.suggested_filename, list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_cohort_to_campaign_to_measured_effect(tmp_path, page, sample_app):
    page.goto(f"{sample_app}/cohorts")
    wait_idle(page)
    page.get_by_role("button", name="沉睡客户", exact=True).click()
    wait_idle(page)
    members = int(metric(page, "人群人数").replace(",", ""))
    page.get_by_role("tab", name="建活动").click()
    wait_idle(page)
    page.locator(".st-key-cohort_camp_on").get_by_text("给这个人群建活动").click()
    wait_idle(page)
    name_box = page.locator(".st-key-cohort_camp_name input")
    name_box.fill("回流测试")
    name_box.press("Enter")
    wait_idle(page)
    seed = page.locator(".st-key-cohort_camp_seed input")
    seed.fill("3")
    seed.press("Enter")
    wait_idle(page)
    treatment = int(metric(page, "触达组").replace(",", ""))
    holdout = int(metric(page, "对照组（不触达）").replace(",", ""))
    assert treatment + holdout == members and holdout > 0
    page.locator(".st-key-cohort_camp_go button").click()
    wait_idle(page)
    page.get_by_text("已创建活动“回流测试”").first.wait_for()
    _, contacted = _download_rows(page, ".st-key-cohort_camp_dl_csv button")
    assert len(contacted) == treatment
    key = next(iter(contacted[0]))
    contacted_keys = [r[key] for r in contacted]
    # the campaign page: the holdout, for the record, shares nobody with the contact list
    page.goto(f"{sample_app}/campaigns")
    wait_idle(page)
    file_name, held = _download_rows(page, ".st-key-camp_dl_hold button")
    assert "对照组" in file_name and len(held) == holdout
    assert not {r[key] for r in held} & set(contacted_keys)
    # later orders: 20 of the contacted buy on the third day of the window
    buyers = contacted_keys[:20]
    later = tmp_path / "later_orders.csv"
    later.write_text("order_id,customer_id,order_dt,paid_at,status,order_amount\n" + "".join(
        f"L{i},{k},2026-11-03 10:00:00,2026-11-03 10:00:00,交易成功,88.00\n" for i, k in enumerate(buyers)),
        encoding="utf-8")
    page.goto(f"{sample_app}/data")
    wait_idle(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files([str(later)])
    wait_idle(page)
    page.locator(".st-key-import_go button").click()
    wait_idle(page)
    page.get_by_text("later_orders.csv：已导入").first.wait_for()
    page.goto(f"{sample_app}/campaigns")
    wait_idle(page)
    table = page.locator("[data-testid='stDataFrame']").first
    table.wait_for()
    assert "窗口中" in page.locator("body").inner_text()
    rate = f"{20 / treatment * 100:.1f}%"
    assert rate in page.locator("body").inner_text() or rate in table.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stMain'] .js-plotly-plot").count() >= 1
    page.screenshot(path=str(tmp_path / "campaign.png"), full_page=True)
