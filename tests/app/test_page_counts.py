"""The purchase count page in AppTest: empty and loaded database, both languages, the editable
silent-repeat threshold."""
from streamlit.testing.v1 import AppTest

from crm.db import Database
from crm.importing import import_file
from tests.app.helpers import page_test
from tests.conftest import FIXTURES



def page(lang: str = "en") -> AppTest:
    return page_test("counts.py", lang, timeout=60)


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error], [e.value for e in at.error]


def seed(path) -> None:
    db = Database(path)
    assert import_file(db, FIXTURES / "taobao_orders_61_gbk.csv").ok
    db.close()


def cells(at: AppTest) -> str:
    return " ".join(df.value.to_string() for df in at.dataframe)


def test_empty_database(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "empty.duckdb"))
    for lang, text in (("zh", "还没有数据"), ("en", "No data yet")):
        at = page(lang).run()
        no_errors(at)
        assert any(text in i.value for i in at.info)


def test_loaded_in_chinese(monkeypatch, tmp_path):
    path = tmp_path / "zh.duckdb"
    seed(path)
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("zh").run()
    no_errors(at)
    assert at.title[0].value == "会员交易笔数"
    metrics = {m.label: m.value for m in at.metric}
    # expected.json: 5 buyers, one of them with 2 purchases
    assert metrics["成交客户数"] == "5" and metrics["复购客户"] == "1" and metrics["复购率"] == "20.0%"
    assert metrics["人均成交笔数"] == "1.20"
    assert "复购漏斗：走到第几笔的客户占比" in [s.value for s in at.subheader]
    assert "第 2 笔" in cells(at) and "¥1,246.50" in cells(at)


def test_loaded_in_english_and_change_min_purchases(monkeypatch, tmp_path):
    path = tmp_path / "en.duckdb"
    seed(path)
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Buyers"] == "5" and metrics["Repurchase rate"] == "20.0%"
    assert metrics["Silent repeat buyers"] == "0"
    # default days: twice the usage cycle (median 1 day) = 2
    assert at.number_input(key="counts_min_days").value == 2
    assert any("Nobody matches" in i.value for i in at.info)
    at.number_input(key="counts_min_purchases").set_value(2).run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Silent repeat buyers"] == "1" and metrics["Their combined GMV"] == "¥1,246.50"
    silent = at.dataframe[-1].value  # count table, funnel table, silent buyers
    assert silent["Customer"].tolist() == ["小鹿乱撞2019"]
    assert silent["Days since last purchase"].tolist() == [8]
    assert silent["Member level"].tolist() == ["Senior member"]


def test_date_range_with_no_purchases(monkeypatch, tmp_path):
    import datetime as dt
    path = tmp_path / "range.duckdb"
    seed(path)
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    at.date_input(key="w_range").set_value((dt.date(2019, 1, 1), dt.date(2019, 1, 31))).run()
    no_errors(at)
    assert any("No purchases match" in i.value for i in at.info)
