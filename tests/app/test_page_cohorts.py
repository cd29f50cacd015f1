"""Cohorts & coupons and Members & tags pages in AppTest: empty and loaded databases, both languages."""
import re

import pytest
from streamlit.testing.v1 import AppTest

from crm import tags
from crm.db import Database
from crm.samples import load_sample
from tests.app.helpers import no_errors, open_tab
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cohort") / "sample.duckdb"
    db = Database(path)
    assert all(r.ok for r in load_sample(db))
    db.close()
    return path


def mixes(at: AppTest) -> dict[str, int]:
    """The level and stage lists' headings and the members their rows add up to."""
    got = {}
    for m in at.main.get("markdown"):
        if 'class="crm-bars"' in m.value:
            heading = re.search(r"<strong>([^<]+)</strong>", m.value).group(1)
            members = re.findall(r"tabular-nums\">[^<]* · ([0-9,]+)<", m.value)
            got[heading] = sum(int(n.replace(",", "")) for n in members)
    return got


def open_page(page: str, lang: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    at.switch_page(page)
    return at.run()


@pytest.mark.parametrize("page", ["pages/cohorts.py", "pages/members.py", "pages/campaigns.py", "pages/predictions.py"])
def test_empty_database(monkeypatch, tmp_path, page):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "empty.duckdb"))
    at = open_page(page, "zh")
    no_errors(at)
    assert any("还没有数据" in i.value for i in at.info)


def test_dormant_cohort_coupon_and_tag(monkeypatch, tmp_path, sample_db):
    path = tmp_path / "c.duckdb"
    path.write_bytes(sample_db.read_bytes())
    monkeypatch.setenv("CRM_DB", str(path))
    at = open_page("pages/cohorts.py", "en")
    no_errors(at)
    everyone = {m.label: m.value for m in at.metric}["Members in cohort"]
    n = int(everyone.replace(",", ""))
    assert mixes(at) == {"Member level mix": n, "Lifecycle stage mix": n}    # every member in one row of each
    at.button(key="cohort_preset_dormant").click().run()
    no_errors(at)
    dormant = {m.label: m.value for m in at.metric}["Members in cohort"]
    n = int(dormant.replace(",", ""))
    assert mixes(at) == {"Member level mix": n, "Lifecycle stage mix": n}
    assert not at.main.get("plotly_chart")         # a cohort change draws no chart script
    assert int(dormant.replace(",", "")) < int(everyone.replace(",", ""))
    assert at.number_input(key="cohort_days_min").value > 0
    assert not [s for s in at.success if "Recommended offer" in s.value]   # the coupon tab is built when opened
    open_tab(at, "cohort_tab", "Coupon sizing")
    rec = [s.value for s in at.success if "Recommended offer" in s.value]
    assert rec, "a recommended offer with its reason"
    # a slider move recomputes the offers
    at.slider(key="cohort_margin").set_value(20.0).run()
    no_errors(at)
    assert [s.value for s in list(at.success) + list(at.warning) if "Recommended offer" in s.value] != rec
    # add the whole cohort to a new tag
    open_tab(at, "cohort_tab", "Tags")
    at.selectbox(key="cohort_tag_pick").set_value("➕ New tag…").run()
    at.text_input(key="cohort_tag_new_name").input("quiet regulars").run()
    at.button(key="cohort_tag_add").click().run()
    no_errors(at)
    assert any("quiet regulars" in s.value for s in at.success)
    assert "quiet regulars" in at.multiselect(key="cohort_tags_any").options   # the conditions offer it at once
    db = Database(path)
    got = tags.list_tags(db)
    db.close()
    assert list(got["name"]) == ["quiet regulars"] and int(got["members"][0]) == int(dormant.replace(",", ""))


def test_conditions_validate_and_empty_cohort(monkeypatch, tmp_path, sample_db):
    path = tmp_path / "v.duckdb"
    path.write_bytes(sample_db.read_bytes())
    monkeypatch.setenv("CRM_DB", str(path))
    at = open_page("pages/cohorts.py", "zh")
    at.number_input(key="cohort_days_min").set_value(100).run()
    at.number_input(key="cohort_days_max").set_value(10).run()
    no_errors(at)
    assert any("days_min 大于 days_max" in w.value for w in at.warning), "min above max is a warning"
    at.number_input(key="cohort_days_max").set_value(None).run()
    at.text_input(key="cohort_item_contains").input("x'; DROP TABLE orders; --").run()
    no_errors(at)
    assert any("没有会员符合" in i.value for i in at.info)
    db = Database(path)
    assert db.scalar("SELECT count(*) FROM orders") > 0
    db.close()


def test_save_and_load_cohort(monkeypatch, tmp_path, sample_db):
    path = tmp_path / "s.duckdb"
    path.write_bytes(sample_db.read_bytes())
    monkeypatch.setenv("CRM_DB", str(path))
    at = open_page("pages/cohorts.py", "zh")
    at.number_input(key="cohort_purchases_min").set_value(3).run()
    at.text_input(key="cohort_name").input("三次以上").run()
    at.button(key="cohort_save").click().run()
    no_errors(at)
    assert any("三次以上" in s.value for s in at.success)
    # the write reruns the whole page: the saved cohorts above the tabs list it at once
    assert "三次以上" in at.selectbox(key="cohort_saved_pick").options
    n = {m.label: m.value for m in at.metric}["人群人数"]
    at.button(key="cohort_clear").click().run()
    at.selectbox(key="cohort_saved_pick").set_value("三次以上").run()
    at.button(key="cohort_load").click().run()
    no_errors(at)
    assert at.number_input(key="cohort_purchases_min").value == 3
    assert {m.label: m.value for m in at.metric}["人群人数"] == n
    # deleted meanwhile (in another tab): loading it says so and changes nothing
    at.number_input(key="cohort_purchases_min").set_value(2).run()
    from crm import cohorts
    db = Database(path)
    cohorts.delete_cohort(db, "三次以上")
    db.close()
    at.button(key="cohort_load").click().run()
    no_errors(at)
    assert at.warning and at.number_input(key="cohort_purchases_min").value == 2


def test_members_page_tags_and_detail(monkeypatch, tmp_path, sample_db):
    path = tmp_path / "m.duckdb"
    path.write_bytes(sample_db.read_bytes())
    monkeypatch.setenv("CRM_DB", str(path))
    db = Database(path)
    someone = db.scalar("SELECT customer_id FROM customers c JOIN customer_stats s USING (cust_no) "
                        "ORDER BY s.purchases DESC, c.customer_id LIMIT 1")
    db.close()
    at = open_page("pages/members.py", "en")
    no_errors(at)
    at.text_input(key="members_new").input("VIP care").run()
    at.button(key="members_create").click().run()
    no_errors(at)
    assert any("VIP care" in s.value for s in at.success)
    at.button(key="members_create").click().run()  # the same name again: a warning, not an error
    no_errors(at)
    assert any("VIP care" in w.value and "already" in w.value for w in at.warning)
    at.text_input(key="members_lookup").input(someone).run()
    no_errors(at)
    assert at.dataframe, "the member's orders"
    at.multiselect(key="members_add").set_value(["VIP care"]).run()
    at.button(key="members_apply").click().run()
    no_errors(at)
    assert any("VIP care" in m.value for m in at.markdown)
    at.text_input(key="members_lookup").input("nobody-like-this").run()
    assert any("nobody-like-this" in i.value for i in at.info)


def test_opened_from_an_analysis_page(monkeypatch, tmp_path, sample_db):
    """A bar clicked on an analysis page hands its group of members to the cohort tool."""
    from crm.cohorts import CohortSpec
    path = tmp_path / "o.duckdb"
    path.write_bytes(sample_db.read_bytes())
    monkeypatch.setenv("CRM_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"
    at.session_state["cohort_open"] = (CohortSpec(stages=("lost",), purchases_min=2), "Lost")
    at.switch_page("pages/cohorts.py").run()
    no_errors(at)
    assert at.multiselect(key="cohort_stages").value == ["lost"]
    assert at.number_input(key="cohort_purchases_min").value == 2
    assert at.text_input(key="cohort_name").value == "Lost"
    assert "cohort_open" not in at.session_state
