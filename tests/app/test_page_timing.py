"""The Time page (会员时间) in AppTest, run as a file of its own: empty and loaded databases, both
languages, the period and metric controls, empty scopes."""
import pytest
from streamlit.testing.v1 import AppTest

from crm.db import Database
from crm.samples import load_sample
from tests.app.helpers import no_errors, open_tab, page_test, seed



def page(lang: str = "en") -> AppTest:
    return page_test("timing.py", lang, timeout=90)


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("timing") / "sample.duckdb"
    db = Database(path)
    assert all(r.ok for r in load_sample(db))
    db.close()
    return path


@pytest.mark.parametrize("lang, title, empty", [("zh", "会员时间", "还没有数据"), ("en", "Time", "No data yet")])
def test_empty_database(monkeypatch, tmp_path, lang, title, empty):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "empty.duckdb"))
    at = page(lang).run()
    no_errors(at)
    assert at.title[0].value == title
    assert any(empty in i.value for i in at.info)
    assert not at.get("plotly_chart")


TABS = {"zh": ["何时购买", "回购与留存", "明细表"], "en": ["When they buy", "Coming back", "Tables"]}


def over_tabs(at, lang, count) -> int:
    """`count(at)` summed over the page's tabs, each opened in turn (their content is built only
    when open); the first tab is open again at the end."""
    total = 0
    for label in TABS[lang]:
        total += count(open_tab(at, "timing_tab", label))
    open_tab(at, "timing_tab", TABS[lang][0])
    return total


def infos(at) -> str:
    return " ".join(i.value for i in at.info)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_small_shop_every_section_and_grains(monkeypatch, tmp_path, lang):
    path = tmp_path / "small.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")     # 6 purchases in March 2020, one buyer back a day later
    monkeypatch.setenv("CRM_DB", str(path))
    at = page(lang).run()
    no_errors(at)
    headline = "你的客户通常在 1 天内回购" if lang == "zh" else "usually come back within 1 days"
    assert any(headline in m.value for m in at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["有回购的客户" if lang == "zh" else "Customers who came back"] == "1"
    assert len(at.get("plotly_chart")) == 2       # only the open tab is built: trend, weekday × hour
    charts = over_tabs(at, lang, lambda a: len(a.get("plotly_chart")))
    assert charts == 5                            # trend, weekday × hour, new/returning, recency, gaps
    too_soon = "下个月开始才有留存" if lang == "zh" else "retention shows once the next month begins"
    assert over_tabs(at, lang, lambda a: too_soon in infos(a)) == 1   # every first purchase is in the as-of month
    assert over_tabs(at, lang, lambda a: len(a.dataframe)) == 1       # the monthly table
    assert over_tabs(at, lang, lambda a: len(a.get("download_button"))) == 2
    at.radio(key="timing_grain").set_value("week").run()
    no_errors(at)
    assert over_tabs(at, lang, lambda a: len(a.get("plotly_chart"))) == charts
    at.radio(key="timing_grain").set_value("day").run()
    at.selectbox(key="timing_metric").set_value("buyers").run()
    no_errors(at)
    at.selectbox(key="timing_metric").set_value("purchases").run()
    no_errors(at)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sample_shop(monkeypatch, sample_db, lang):
    monkeypatch.setenv("CRM_DB", str(sample_db))
    at = page(lang).run()
    no_errors(at)
    text = " ".join(m.value for m in at.markdown)
    if lang == "zh":
        assert "你的客户通常在 87 天内回购（中位数），80% 在 138 天内回购。" in text
        assert "高峰期：" in text and "淡季：" in text
    else:
        assert "Your customers usually come back within 87 days (median), 80% within 138 days." in text
        assert "Peak periods:" in text and "Off-season:" in text
    assert over_tabs(at, lang, lambda a: len(a.get("plotly_chart"))) == 6       # … and the retention heatmap
    assert over_tabs(at, lang, lambda a: len(a.dataframe)) == 2
    assert over_tabs(at, lang, lambda a: len(a.get("download_button"))) == 4
    at.radio(key="timing_grain").set_value("week").run()
    no_errors(at)
    assert at.radio(key="timing_grain").value == "week"


def test_dates_without_times_show_weekdays_only(monkeypatch, tmp_path):
    path = tmp_path / "cdnow.duckdb"
    seed(path, "generic_cdnow.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en").run()
    no_errors(at)
    assert any("dates without times" in c.value for c in at.caption)
    assert not any("darker the cell" in c.value for c in at.caption)


def test_orders_without_buyers(monkeypatch, tmp_path):
    path = tmp_path / "pdd.duckdb"
    seed(path, "pinduoduo_orders.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("zh").run()
    no_errors(at)
    assert any("没有买家标识" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) >= 1       # the trend still shows GMV and purchases


def test_filters_with_nothing_in_scope(monkeypatch, tmp_path):
    path = tmp_path / "small.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = page("en")
    at.session_state["keep_levels"] = [4]         # 至尊VIP: nobody in this shop
    at.run()
    no_errors(at)
    assert any("No purchases match" in i.value for i in at.info)
