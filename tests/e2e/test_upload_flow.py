"""The upload flow as a person does it, in headless Chromium."""
from pathlib import Path

from .conftest import wait_idle

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def test_upload_import_and_see_headline(app_server, page, tmp_path):
    page.goto(app_server)
    wait_idle(page)
    # The welcome screen on an empty database, in Chinese.
    assert page.get_by_role("button", name="用示例数据试一试").is_visible()
    page.get_by_role("link", name="数据导入").first.click()
    wait_idle(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(
        [str(FIX / "taobao_orders_61_gbk.csv"), str(FIX / "bad" / "pdf_renamed.csv")])
    wait_idle(page)
    assert page.get_by_text("淘宝/天猫 订单报表").first.is_visible()
    assert page.get_by_text("这是一个 PDF 文件").first.is_visible()
    page.get_by_role("button", name="全部导入").click()
    wait_idle(page)
    page.get_by_text("taobao_orders_61_gbk.csv：已导入").wait_for()
    assert page.get_by_text("导入历史").is_visible()
    # No error box and no traceback anywhere.
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(tmp_path / "data.png"), full_page=True)
    page.get_by_role("link", name="概览").first.click()
    wait_idle(page)
    page.get_by_text("成交金额").first.wait_for()
    assert page.get_by_text("复购率").first.is_visible()
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    # The language buttons in the sidebar: English, the selected button again (stays English), 中文.
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_role("radio", name="English").click()
    wait_idle(page)
    page.get_by_text("Repurchase rate").first.wait_for()
    assert sidebar.get_by_role("link", name="Overview").first.is_visible()
    sidebar.get_by_role("radio", name="English").click()
    wait_idle(page)
    assert page.get_by_text("Repurchase rate").first.is_visible()
    assert sidebar.get_by_role("radio", name="English").get_attribute("aria-checked") == "true"
    sidebar.get_by_role("radio", name="中文").click()
    wait_idle(page)
    page.get_by_text("复购率").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
