"""The Privacy expander of the Data page: the drop-contacts setting and erasing stored contacts."""
from streamlit.testing.v1 import AppTest

from crm import privacy
from crm.db import Database
from crm.importing import import_file
from tests.conftest import FIXTURES, ROOT


def test_privacy_setting_and_erase(monkeypatch, tmp_path):
    path = tmp_path / "p.duckdb"
    db = Database(path)
    assert import_file(db, FIXTURES / "taobao_orders_61_gbk.csv").ok
    db.close()
    monkeypatch.setenv("CRM_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.secrets["unrelated"] = "x"  # no login gate, whatever secrets.toml the machine has
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    box = at.checkbox(key="privacy_drop")
    assert box.label == "Drop contact details at import" and box.value is False
    assert any(c.value.startswith("The database holds contact details of 9 orders") for c in at.caption)
    box.check().run()
    assert not at.exception
    assert any(c.value.startswith("On: imports no longer keep") for c in at.caption)
    assert at.button(key="privacy_scrub").disabled  # not before confirming
    at.checkbox(key="privacy_scrub_sure").check().run()
    at.button(key="privacy_scrub").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Erased: 9 orders, 0 members, the text of 0 rejected rows."]
    assert not any(b.key == "privacy_scrub" for b in at.button)  # nothing left to erase
    db = Database(path)
    try:
        assert privacy.drop_contacts(db)
        assert privacy.stored_contacts(db) == {"orders": 0, "members": 0}
    finally:
        db.close()
