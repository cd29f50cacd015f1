"""Campaigns in AppTest: create one from the cohort page, read it on the Campaigns page, register a
campaign run elsewhere, the opt-out list, contact plans and settings, a member's opt-out and contact
history."""
import datetime as dt

import pytest

from crm import campaigns as C
from crm.cohorts import CohortSpec
from crm.db import Database
from tests.app.helpers import no_errors, open_tab
from tests.app.test_page_cohorts import open_page, sample_db  # noqa: F401 (a fixture)


@pytest.fixture
def shop(monkeypatch, tmp_path, sample_db):
    path = tmp_path / "c.duckdb"
    path.write_bytes(sample_db.read_bytes())
    monkeypatch.setenv("CRM_DB", str(path))
    return path


@pytest.mark.parametrize("lang, empty", [("zh", "还没有营销活动"), ("en", "No campaigns yet")])
def test_campaigns_page_without_campaigns(shop, lang, empty):
    at = open_page("pages/campaigns.py", lang)
    no_errors(at)
    assert any(empty in i.value for i in at.info)



def test_create_a_campaign_from_the_cohort_page_and_read_it(shop):
    at = open_page("pages/cohorts.py", "en")
    at.button(key="cohort_preset_dormant").click().run()
    no_errors(at)
    assert not [m for m in at.metric if m.label == "Contacted"]       # the plan waits until asked for
    open_tab(at, "cohort_tab", "Campaign")
    assert not [m for m in at.metric if m.label == "Contacted"]
    at.toggle(key="cohort_camp_on").set_value(True).run()
    metrics = {m.label: m.value for m in at.metric}
    members = int(metrics["Members in cohort"].replace(",", ""))
    treat = int(metrics["Contacted"].replace(",", ""))
    hold = int(metrics["Holdout (not contacted)"].replace(",", ""))
    assert treat + hold == members and abs(hold - members * 0.1) <= 1
    assert "Smallest detectable lift" in metrics and metrics["Smallest detectable lift"].startswith("+")
    at.slider(key="cohort_camp_holdout").set_value(20).run()
    at.text_input(key="cohort_camp_name").input("win back").run()
    at.number_input(key="cohort_camp_seed").set_value(5).run()
    at.button(key="cohort_camp_go").click().run()
    no_errors(at)
    assert any("Campaign \u201cwin back\u201d created" in s.value for s in at.success)
    assert any(b.label == "Contact list CSV" for b in at.get("download_button"))
    db = Database(shop)
    try:
        info = C.info(db, "win back")
        assert info["seed"] == 5 and info["holdout_share"] == 0.2 and info["offer"]   # the picked offer
        sizes = dict(db.query("SELECT grp, count(*) FROM campaign_members GROUP BY grp"))
        assert sizes["treatment"] + sizes["holdout"] == members
    finally:
        db.close()
    # the Campaigns page lists it and shows its effect
    at = open_page("pages/campaigns.py", "en")
    no_errors(at)
    table = at.dataframe[0].value
    assert list(table["Campaign name"]) == ["win back"] and list(table["Status"]) == ["planned"]
    assert any("Too small to tell yet" in i.value for i in at.info)          # nothing after the start yet
    labels = {b.label for b in at.get("download_button")}
    assert {"Report (Excel)", "Contact list CSV", "Holdout (record only)"} <= labels
    # a contact tag: the contacted group only
    at.text_input(key="camp_tag_name").input("contacted in spring").run()
    at.button(key="camp_tag_go").click().run()
    no_errors(at)
    db = Database(shop)
    try:
        assert db.scalar("SELECT count(*) FROM customer_tags") == sizes["treatment"]
        assert db.scalar("""SELECT count(*) FROM customer_tags ct JOIN campaign_members cm USING (cust_no)
                            WHERE cm.grp = 'holdout'""") == 0
    finally:
        db.close()


def test_register_optouts_plans_and_settings(shop, tmp_path):
    db = Database(shop)
    keys = [r[0] for r in db.query("SELECT customer_id FROM customers ORDER BY cust_no LIMIT 5")]
    from crm.cohorts import save_cohort
    save_cohort(db, "quiet", CohortSpec(days_min=180))
    db.close()
    at = open_page("pages/campaigns.py", "zh")
    # a campaign run elsewhere: two lists
    at.file_uploader(key="camp_ext_t").set_value([("t.txt", "\n".join(keys[:3]).encode(), "text/plain")]).run()
    at.file_uploader(key="camp_ext_h").set_value([("h.txt", "\n".join(keys[3:]).encode(), "text/plain")]).run()
    at.text_input(key="camp_ext_name").input("外部短信").run()
    at.button(key="camp_ext_go").click().run()
    no_errors(at)
    assert any("已登记活动“外部短信”：触达组 3 人，对照组 2 人" in s.value for s in at.success)
    # the opt-out list: pasted keys
    at.text_area(key="camp_opt_typed").input(keys[0] + "\n" + keys[1]).run()
    at.button(key="camp_opt_add").click().run()
    no_errors(at)
    assert any("新增 2" in s.value for s in at.success)
    # a weekly plan on a saved cohort
    at.text_input(key="camp_plan_name").input("每周唤醒").run()
    at.button(key="camp_plan_add").click().run()
    no_errors(at)
    # the frequency cap default
    at.number_input(key="camp_set_cap").set_value(14).run()
    at.button(key="camp_set_go").click().run()
    no_errors(at)
    db = Database(shop)
    try:
        assert C.optout_count(db) == 2
        assert db.query("SELECT name, cohort_name, cadence FROM contact_plans") == [("每周唤醒", "quiet", "weekly")]
        assert db.get_setting("contact_cap_days") == "14"
        r = C.report(db, "外部短信")
        assert (r["treatment"]["members"], r["holdout"]["members"]) == (3, 2)
    finally:
        db.close()
    # the cohort page starts with the shop's cap
    at = open_page("pages/cohorts.py", "zh")
    no_errors(at)
    assert at.number_input(key="cohort_not_contacted_days").value == 14


def test_member_page_opt_out_and_contact_history(shop):
    db = Database(shop)
    key = db.query("SELECT customer_id FROM customers ORDER BY cust_no LIMIT 1")[0][0]
    C.import_lists(db, "spring", [key], [], dt.date(2026, 10, 1))
    db.close()
    at = open_page("pages/members.py", "en")
    at.text_input(key="members_lookup").input(key).run()
    no_errors(at)
    history = at.dataframe[0].value
    assert list(history["Campaign name"]) == ["spring"] and list(history["Group"]) == ["Contacted"]
    at.button(key="members_optout_add").click().run()
    no_errors(at)
    db = Database(shop)
    assert C.is_opted_out(db, key)
    db.close()
    assert any("opted out: in no campaign and no list" in m.value for m in at.markdown)


def test_what_the_cohort_likes_on_request(shop):
    at = open_page("pages/cohorts.py", "en")
    at.button(key="cohort_preset_dormant").click().run()
    at.toggle(key="cohort_likes_on").set_value(True).run()
    no_errors(at)
    likes = [d.value for d in at.dataframe if "Lift" in d.value.columns]
    assert likes and len(likes[0]) > 0 and set(likes[0].columns) >= {"Item", "Members who bought it", "Lift"}
