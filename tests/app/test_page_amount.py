"""The purchase-amount page (pages/amount.py) in AppTest: empty and loaded, zh and en, band edits."""
from streamlit.testing.v1 import AppTest

from tests.app.helpers import page_test, no_errors, seed



def page(lang: str = "en") -> AppTest:
    return page_test("amount.py", lang, timeout=60)


def metrics(at: AppTest) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


def test_empty_database(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "a.duckdb"))
    for lang, words in (("zh", "还没有数据"), ("en", "No data yet")):
        at = page(lang).run()
        no_errors(at)
        assert any(words in i.value for i in at.info)


def test_loaded_in_chinese(monkeypatch, tmp_path):
    path = tmp_path / "b.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")  # 6 purchases, GMV 3,432.00, 5 buyers
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("zh").run()
    no_errors(at)
    assert at.title[0].value == "会员交易金额"
    m = metrics(at)
    assert ("成交订单", "6") in m and ("成交金额", "¥3,432.00") in m
    assert ("笔单价", "¥572.00") in m and ("客单价", "¥686.40") in m
    assert ("P50（中位数）", "¥75.00") in m and ("P90", "¥1,617.00") in m   # order value
    assert ("P90", "¥1,698.60") in m                                     # buyer spend
    assert ("前 20% 客户", "58.3%") in m and ("前 50% 客户", "97.5%") in m
    assert any("前 20% 的客户（1 位）贡献了 58.3% 的成交金额" in md.value for md in at.markdown)
    bands = at.dataframe[0].value
    assert list(bands["笔单价区间（元）"]) == ["<50", "50–100", "100–200", "200–300", "300–500", "500–1,000", "1,000+"]
    assert list(bands["成交订单"]) == [2, 1, 1, 0, 0, 0, 2]
    levels = at.dataframe[3].value
    assert list(levels["会员等级"])[:2] == ["店铺客户", "普通会员"]
    assert len(at.get("plotly_chart")) == 4


def test_loaded_in_english_and_bands_edited(monkeypatch, tmp_path):
    path = tmp_path / "c.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    no_errors(at)
    assert at.title[0].value == "Purchase amounts"
    assert ("Avg order value", "¥572.00") in metrics(at)
    assert any("The top 20% of buyers (n = 1) bring 58.3% of GMV" in md.value for md in at.markdown)
    at.text_input(key="amount_order_edges").set_value("100, 1000").run()
    at.text_input(key="amount_buyer_edges").set_value("150").run()
    no_errors(at)
    assert not at.warning
    bands = at.dataframe[0].value
    assert list(bands["Order value (yuan)"]) == ["<100", "100–1,000", "1,000+"]
    assert list(bands["Purchases"]) == [3, 1, 2]
    buyers = at.dataframe[1].value
    assert list(buyers["Buyers"]) == [3, 2]


def test_invalid_bands_warn_and_fall_back(monkeypatch, tmp_path):
    path = tmp_path / "d.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    at.text_input(key="amount_order_edges").set_value("200, 100").run()
    no_errors(at)
    assert any("must rise" in w.value and "default bands" in w.value for w in at.warning)
    assert len(at.dataframe[0].value) == 7  # the default bands
    at = page("zh").run()
    at.text_input(key="amount_buyer_edges").set_value("100, abc").run()
    no_errors(at)
    assert any("不是数字" in w.value and "默认分档" in w.value for w in at.warning)


def test_range_with_no_purchases(monkeypatch, tmp_path):
    import datetime as dt
    path = tmp_path / "e.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    at.date_input(key="w_as_of").set_value(dt.date(2019, 1, 1)).run()
    no_errors(at)
    assert any("No purchases match" in i.value for i in at.info)


def test_orders_without_buyer_key(monkeypatch, tmp_path):
    path = tmp_path / "f.duckdb"
    seed(path, "pinduoduo_orders.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    no_errors(at)
    assert any("no buyer key" in c.value for c in at.caption)
    assert any("No purchase in scope has a buyer key" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 1  # the order-value distribution still shows
