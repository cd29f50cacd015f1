"""The Member levels page in AppTest: empty database, loaded database in both languages, the
level-rules what-if and saving the rules."""
import datetime as dt

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.app.helpers import metrics, no_errors, open_tab, page_test, seed



def page(lang: str = "en") -> AppTest:
    return page_test("levels.py", lang, timeout=60)


def test_empty_database(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "empty.duckdb"))
    for lang, words in (("zh", "还没有数据"), ("en", "No data yet")):
        at = page(lang).run()
        no_errors(at)
        assert any(words in i.value for i in at.info)
        assert at.title[0].value == ("会员等级" if lang == "zh" else "Member levels")


def test_loaded_in_english(monkeypatch, tmp_path):
    # taobao_orders_61: 6 purchases, GMV 3432.00, 5 buyers, 8 members; by the default rules (spend
    # 200 / 800 / 2000 / 5000): 大熊不熊 2000 → VIP, 小鹿乱撞2019 1246.50 → senior, the rest shop customers.
    path = tmp_path / "en.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    no_errors(at)
    assert at.title[0].value == "Member levels"
    df = at.dataframe[0].value
    assert list(df["Member level"]) == ["Shop customer", "Member", "Senior member", "VIP", "Supreme VIP"]
    assert list(df["Members"]) == [6, 0, 1, 1, 0] and int(df["Buyers"].sum()) == 5
    assert int(df["Purchases"].sum()) == 6 and round(float(df["GMV"].sum()), 2) == 3432.00
    assert list(df.columns)[-1] == "Repurchase rate" and "Avg spend per buyer" in df.columns
    assert any("there is no member export" in c.value for c in at.caption)
    assert any("Which levels the GMV comes from" in c.value for c in at.caption)
    assert not at.metric                      # the what-if is built when its tab is opened
    open_tab(at, "levels_tab", "Level rules what-if")
    assert any(s.value == "Level rules what-if" for s in at.subheader)
    assert metrics(at) == {"Move up": "0", "Move down": "0", "Stay": "8"}
    assert any("change nobody" in c.value for c in at.caption)
    save = at.button(key="levels_save")
    assert save.disabled


def test_loaded_in_chinese_with_member_export(monkeypatch, tmp_path):
    path = tmp_path / "zh.duckdb"
    seed(path, "taobao_orders_61_gbk.csv", "taobao_members_isv.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("zh").run()
    no_errors(at)
    assert at.title[0].value == "会员等级"
    df = at.dataframe[0].value
    assert list(df["会员等级"]) == ["店铺客户", "普通会员", "高级会员", "VIP会员", "至尊VIP会员"]
    assert {"会员数", "成交客户数", "成交订单", "成交金额", "成交金额占比", "笔单价", "客单价", "复购率"} <= set(df.columns)
    # the member export gives 6 members their level; the other customers get theirs by the rules
    assert any("来自会员导出文件" in c.value for c in at.caption)
    open_tab(at, "levels_tab", "等级规则试算")
    assert any(s.value == "等级规则试算" for s in at.subheader)
    assert set(metrics(at)) == {"升级", "降级", "不变"}


def test_editing_a_threshold_changes_the_what_if(monkeypatch, tmp_path):
    path = tmp_path / "w.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = open_tab(page("en").run(), "levels_tab", "Level rules what-if")
    # level 1 at ¥10: every buyer with ≥ ¥10 (all five; 小鹿乱撞 and 大熊不熊 keep their higher levels)
    at.number_input(key="levels_spend_1").set_value(10.0).run()
    no_errors(at)
    assert metrics(at) == {"Move up": "3", "Move down": "0", "Stay": "5"}
    movers = at.dataframe[0].value
    assert len(movers) == 3 and set(movers["Proposed level"]) == {"Member"} and set(movers["Change"]) == {"Move up"}
    # thresholds that do not rise are flagged and cannot be saved
    at.number_input(key="levels_spend_2").set_value(5.0).run()
    no_errors(at)
    assert any("must rise" in w.value for w in at.warning)
    assert at.button(key="levels_save").disabled
    # back to the rules in force
    at.button(key="levels_whatif_reset").click().run()
    assert metrics(at)["Move up"] == "0"


def test_saving_rules_persists(monkeypatch, tmp_path):
    path = tmp_path / "s.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = open_tab(page("zh").run(), "levels_tab", "等级规则试算")
    at.number_input(key="levels_count_1").set_value(1).run()
    assert not at.button(key="levels_save").disabled
    at.button(key="levels_save").click().run()
    no_errors(at)
    assert any("已保存" in s.value for s in at.success)
    assert metrics(at) == {"升级": "0", "降级": "0", "不变": "8"}    # nobody moves under the saved rules
    # the page now uses the saved rules: every buyer is at least 普通会员
    open_tab(at, "levels_tab", "各等级概况")
    assert list(at.dataframe[0].value["会员数"]) == [3, 3, 1, 1, 0]
    # a new session reads the saved rules from the database
    again = page("en").run()
    no_errors(again)
    assert any("rules in force: Member ≥ ¥200 or ≥ 1 purchases;" in c.value for c in again.caption)
    assert list(again.dataframe[0].value["Members"]) == [3, 3, 1, 1, 0]
    open_tab(again, "levels_tab", "Level rules what-if")
    assert again.number_input(key="levels_count_1").value == 1


def test_range_with_no_orders(monkeypatch, tmp_path):
    path = tmp_path / "r.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en")
    at.session_state["keep_as_of"] = dt.date(2019, 1, 1)
    at.run()
    no_errors(at)
    assert any("No purchases match" in i.value for i in at.info)
    open_tab(at, "levels_tab", "Level rules what-if")
    assert any(s.value == "Level rules what-if" for s in at.subheader)


def test_reached_through_the_app_navigation(monkeypatch, tmp_path):
    path = tmp_path / "nav.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "zh"
    at.run()
    at.switch_page("pages/levels.py").run()
    no_errors(at)
    assert at.title[0].value == "会员等级"
    assert at.dataframe[0].value["会员等级"].tolist()[0] == "店铺客户"
    open_tab(at, "levels_tab", "等级规则试算")
    assert set(metrics(at)) == {"升级", "降级", "不变"}


def test_every_page_survives_a_damaged_level_rules_setting(monkeypatch, tmp_path):
    from crm.db import Database
    from tests.app.helpers import no_errors, page_test, seed
    path = tmp_path / "damaged.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    db = Database(path)
    db.set_setting("level_rules", "{damaged")
    db.close()
    monkeypatch.setenv("CRM_DB", str(path))
    for page in ("levels.py", "home.py", "cohorts.py"):
        at = page_test(page).run()
        no_errors(at)
        if page == "levels.py":
            open_tab(at, "levels_tab", "Level rules what-if")
