"""The Lifecycle & RFM page in AppTest: empty database, loaded database in both languages, editing
and saving the stage thresholds, invalid thresholds and cut points."""
from streamlit.testing.v1 import AppTest

from crm.db import Database
from crm.segments import LifecycleThresholds, load_thresholds
from tests.app.helpers import metrics, no_errors, open_tab, page_test, seed



def page(lang: str = "en") -> AppTest:
    return page_test("lifecycle.py", lang, timeout=60)


def test_empty_database(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "empty.duckdb"))
    for lang, title, words in (("zh", "生命周期 / RFM", "还没有数据"), ("en", "Lifecycle / RFM", "No data yet")):
        at = page(lang).run()
        no_errors(at)
        assert at.title[0].value == title
        assert any(words in i.value for i in at.info)


TABS = {"zh": ["生命周期阶段", "RFM 分群", "阶段变化"], "en": ["Lifecycle stages", "RFM segments", "Stage changes"]}


def lifecycle_tab(at, lang: str, i: int):
    """Open the page's i-th tab (its content is built only when open)."""
    return open_tab(at, "lifecycle_tab", TABS[lang][i])


def test_loaded_in_english(monkeypatch, tmp_path):
    # taobao_orders_61: 5 buyers with 6 purchases (GMV 3432.00) between 2020-03-01 and 03-10; the
    # as-of date is 2020-03-10, so everyone bought within 15 days: all after-sale. 小鹿乱撞2019 bought
    # twice (1246.50: R5 F2 M5, champions), 大熊不熊 once for 2000 (high spend, to develop), the
    # other three once for < 200 (new customers).
    path = tmp_path / "en.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    no_errors(at)
    assert at.title[0].value == "Lifecycle / RFM"
    assert metrics(at) == {"Customers": "5", "New (1 purchase)": "4", "Returning (2+)": "1",
                           "Historical GMV": "¥3,432.00"}
    stages = at.dataframe[0].value
    assert list(stages["Lifecycle stage"]) == ["After-sale", "Active", "Silent", "Sleeping", "Lost"]
    assert list(stages["Customers"]) == [5, 0, 0, 0, 0] and list(stages["Days since last purchase"])[0] == "0–15 days"
    assert round(float(stages["GMV"][0]), 2) == 3432.00 and round(float(stages["Avg order value"][0]), 2) == 572.00
    assert len(at.dataframe) == 1 and len(at.get("plotly_chart")) == 1   # only the open tab is built
    segments = lifecycle_tab(at, "en", 1).dataframe[1].value
    got = dict(zip(segments["RFM segment"], segments["Customers"]))
    assert got["Champions"] == 1 and got["High spend, to develop"] == 1 and got["New customers"] == 3
    assert segments["Suggested action"].str.len().min() > 10
    movement = lifecycle_tab(at, "en", 2).dataframe[0].value
    assert list(movement.columns) == ["Month end", "After-sale", "Active", "Silent", "Sleeping", "Lost", "Total"]
    assert len(movement) == 12 and movement["Month end"].iloc[-1] == "2020-03-10" and movement["Total"].iloc[-1] == 5
    assert movement["Total"].iloc[-2] == 0   # nobody had bought by 2020-02-29
    captions = " ".join(c.value for c in lifecycle_tab(at, "en", 1).caption)
    assert "Thresholds in use: After-sale ≤ 15, Active ≤ 90, Silent ≤ 180, Sleeping ≤ 365." in captions
    assert "R5 0–30 days" in captions and "F4 4–5" in captions and "M5 ¥1000+" in captions
    assert at.button(key="lifecycle_save").disabled


def test_loaded_in_chinese(monkeypatch, tmp_path):
    path = tmp_path / "zh.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("zh").run()
    no_errors(at)
    assert at.title[0].value == "生命周期 / RFM"
    assert metrics(at)["客户数"] == "5" and metrics(at)["历史成交金额"] == "¥3,432.00"
    stages = at.dataframe[0].value
    assert list(stages["生命周期"]) == ["售后期", "活跃期", "沉默期", "睡眠期", "流失期"]
    assert {"客户数", "客户占比", "成交金额", "成交订单", "笔单价", "客单价", "新客（仅 1 笔）", "老客（≥2 笔）"} <= set(stages.columns)
    segments = lifecycle_tab(at, "zh", 1).dataframe[1].value
    assert list(segments["RFM 分群"]) == ["重要价值客户", "重要唤回客户", "重要深耕客户", "重要挽留客户", "潜力客户",
                                        "新客户", "一般维持客户", "流失客户"]
    assert "建议动作" in segments.columns
    lifecycle_tab(at, "zh", 2)
    assert any(s.value == "近 12 个月各阶段人数变化" for s in at.subheader)
    assert any(s.value == "每周阶段流动" for s in at.subheader)
    # every purchase of this file falls within 10 days: nobody crossed a stage threshold yet
    assert any("回流" in c.value for c in at.caption)
    assert at.dataframe[-1].value.columns[0] != "周（截至）"


def test_edit_and_save_a_threshold(monkeypatch, tmp_path):
    path = tmp_path / "edit.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    # after-sale ≤ 2 days: 米粒儿 (2 days) and 林深时见鹿 (0) stay, the other three become active
    at.number_input(key="lifecycle_t_after_sale").set_value(2).run()
    no_errors(at)
    assert list(at.dataframe[0].value["Customers"]) == [2, 3, 0, 0, 0]
    assert any("After-sale ≤ 2," in c.value for c in at.caption)
    save = at.button(key="lifecycle_save")
    assert not save.disabled
    save.click().run()
    no_errors(at)
    assert any("Saved as the shop's default" in s.value for s in at.success)
    db = Database(path)
    assert load_thresholds(db) == LifecycleThresholds(after_sale=2)
    db.close()
    assert at.button(key="lifecycle_save").disabled


def test_invalid_thresholds_and_cut_points_warn(monkeypatch, tmp_path):
    path = tmp_path / "bad.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    at.number_input(key="lifecycle_t_active").set_value(10).run()
    no_errors(at)
    assert any("must rise stage by stage" in w.value for w in at.warning)
    assert any("use the saved thresholds" in c.value for c in at.caption)
    assert at.button(key="lifecycle_save").disabled
    assert list(at.dataframe[0].value["Customers"]) == [5, 0, 0, 0, 0]   # computed with the saved thresholds
    at.text_input(key="lifecycle_rfm_m").set_value("100, 50, 500, 1000").run()
    no_errors(at)
    assert any("M (total spend) cut points must rise" in w.value for w in at.warning)
    at.text_input(key="lifecycle_rfm_f").set_value("2, 3").run()
    no_errors(at)
    assert any('"F purchases" needs 4 numbers' in w.value for w in at.warning)


def test_rfm_cut_points_editable(monkeypatch, tmp_path):
    path = tmp_path / "cuts.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("zh").run()
    # M ≥ 3000 for M5: 大熊不熊 (2000) drops to M4, still "high" (≥ 3)
    at.text_input(key="lifecycle_rfm_m").set_value("100，200，500，3000").run()
    no_errors(at)
    assert not at.warning
    lifecycle_tab(at, "zh", 1)
    assert any("M5 ¥3000 及以上" in c.value for c in at.caption)
    grid = at.dataframe[0].value
    assert int(grid["客户数"].sum()) == 5


def test_no_purchases_in_scope(monkeypatch, tmp_path):
    import datetime as dt
    path = tmp_path / "scope.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    at.date_input(key="w_as_of").set_value(dt.date(2019, 1, 1)).run()
    no_errors(at)
    assert any("No purchases match" in i.value for i in at.info)
