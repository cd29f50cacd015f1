"""The Data page's "Backup & restore" section in AppTest: download, restore, delete all."""
from streamlit.testing.v1 import AppTest

from crm import backup
from crm.db import Database
from crm.importing import import_file
from tests.conftest import FIXTURES, ROOT
from tests.app.helpers import no_errors

APP = str(ROOT / "app.py")


def data_page(lang="en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/data.py").run()
    no_errors(at)
    return at


def seed(path, *names):
    with Database(path) as db:
        for n in names:
            assert import_file(db, FIXTURES / n).ok


def counts(path) -> tuple[int, int, int]:
    with Database(path) as db:
        return db.query("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM members), "
                        "(SELECT count(*) FROM imports)")[0]


def purchases(at: AppTest) -> str:
    at.switch_page("pages/home.py").run()
    no_errors(at)
    return {m.label: m.value for m in at.metric}["Purchases"]


def test_backup_section_is_there(monkeypatch, tmp_path):
    path = tmp_path / "a.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = data_page("zh")
    assert any(e.label == "备份与恢复" for e in at.expander)
    buttons = [b for b in at.download_button if b.label == "下载备份文件"]
    assert buttons, [b.label for b in at.download_button]
    assert at.button(key="backup_delete").disabled


def test_delete_all_needs_the_word_then_empties_the_data(monkeypatch, tmp_path):
    path = tmp_path / "b.duckdb"
    seed(path, "taobao_orders_61_gbk.csv", "taobao_members_isv.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = data_page("en")
    assert at.button(key="backup_delete").disabled
    at.text_input(key="backup_delete_typed").input("delete it").run()
    assert at.button(key="backup_delete").disabled          # not the word
    assert counts(path)[0] > 0
    at.text_input(key="backup_delete_typed").input("DELETE").run()
    assert not at.button(key="backup_delete").disabled
    at.button(key="backup_delete").click().run()
    no_errors(at)
    assert any("All data deleted" in s.value for s in at.success), [s.value for s in at.success]
    assert counts(path) == (0, 0, 0)
    assert at.text_input(key="backup_delete_typed").value == ""  # the confirmation does not stay armed
    assert at.button(key="backup_delete").disabled
    # every page still works on the emptied database
    for page in ("pages/home.py", "pages/levels.py", "pages/timing.py", "pages/counts.py", "pages/amount.py",
                 "pages/cohorts.py"):
        at.switch_page(page).run()
        no_errors(at)


def test_delete_all_accepts_the_word_in_chinese(monkeypatch, tmp_path):
    path = tmp_path / "c.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = data_page("zh")
    at.text_input(key="backup_delete_typed").input("删除").run()
    at.button(key="backup_delete").click().run()
    no_errors(at)
    assert counts(path)[0] == 0


def test_restore_a_backup_after_confirming(monkeypatch, tmp_path):
    path = tmp_path / "d.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    with Database(path) as db:
        data = backup.backup_bytes(db)
    at_backup = counts(path)
    seed(path, "jd_orders.csv")
    before_restore = counts(path)
    monkeypatch.setenv("CRM_DB", str(path))
    at = data_page("en")
    assert purchases(at) != "6"  # the Home page has read (and cached) the data with the JD orders
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="backup_upload_0").set_value([("member-desk-backup.duckdb", data,
                                                         "application/octet-stream")]).run()
    no_errors(at)
    assert any("Backup: 9 orders" in c.value for c in at.caption), [c.value for c in at.caption]
    assert at.button(key="backup_restore").disabled
    assert counts(path) == before_restore
    at.checkbox(key="backup_restore_sure_0").check().run()
    at.button(key="backup_restore").click().run()
    no_errors(at)
    assert any("Backup restored" in s.value for s in at.success), [s.value for s in at.success]
    assert counts(path) == at_backup == (9, 0, 1)
    assert purchases(at) == "6"  # the reopened database, no stale cache


def test_a_file_that_is_not_a_backup_is_refused(monkeypatch, tmp_path):
    path = tmp_path / "e.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    before = counts(path)
    monkeypatch.setenv("CRM_DB", str(path))
    at = data_page("en")
    at.file_uploader(key="backup_upload_0").set_value([
        ("orders.csv", (FIXTURES / "taobao_orders_61_gbk.csv").read_bytes(), "text/csv")]).run()
    assert not at.exception
    assert any("not a backup" in e.value for e in at.error), [e.value for e in at.error]
    assert not [b for b in at.button if b.key == "backup_restore"]
    assert counts(path) == before
