"""Every page in AppTest, on an empty and a loaded database, in both languages."""
import datetime as dt
import os

from streamlit.testing.v1 import AppTest

from crm.db import Database
from tests.conftest import FIXTURES, ROOT
from tests.app.helpers import no_errors, seed

APP = str(ROOT / "app.py")


def app(lang="en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    return at


def test_home_empty_shows_welcome(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "a.duckdb"))
    at = app("zh").run()
    no_errors(at)
    assert any("用示例数据试一试" == b.label for b in at.button)
    assert any("ExportOrderList" in m.value for m in at.markdown)


def test_home_empty_in_english(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "b.duckdb"))
    at = app("en").run()
    no_errors(at)
    assert any(b.label == "Try it with sample data" for b in at.button)


def test_language_switch(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "c.duckdb"))
    at = app("en").run()
    switch = at.button_group(key="lang_select")
    assert [o.strip() for o in switch.options] == ["中文", "English"] and switch.value == "en"
    switch.set_value("zh").run()
    no_errors(at)
    assert at.session_state["lang"] == "zh"
    assert any(b.label == "用示例数据试一试" for b in at.button)


def test_home_loaded_shows_headline_numbers(monkeypatch, tmp_path):
    path = tmp_path / "d.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = app("en").run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    # expected.json: 6 purchases, GMV 3432.00, 5 buyers, 8 members, 1 repeat buyer.
    assert metrics["Purchases"] == "6"
    assert metrics["GMV"] == "¥3,432.00"
    assert metrics["Buyers"] == "5"
    assert metrics["Members"] == "8"
    assert metrics["Avg order value"] == "¥572.00"
    assert metrics["Avg spend per buyer"] == "¥686.40"
    assert metrics["Repurchase rate"] == "20.0%"


def test_home_weekly_cards_then_charts_on_demand(monkeypatch, tmp_path):
    """Home's weekly trend opens as four cards (this week's figure, its change against the week
    before, a small line of the 26 weeks as inline SVG with each week's value on hover, no chart
    script); the "Weekly charts" tab builds the four Plotly charts only when opened."""
    from crm import i18n, sparkline, trends
    from tests.app.helpers import open_tab
    path = tmp_path / "w.duckdb"
    seed(path, "cdnow_sample.txt")
    monkeypatch.setenv("CRM_DB", str(path))
    at = app("en").run()
    no_errors(at)
    from crm import ui
    db = ui.db()                                         # the app's own connection, in this process
    as_of = db.query("SELECT max(ordered_at)::DATE FROM orders WHERE is_purchase")[0][0]
    weeks = trends.weekly_columns(db, as_of)
    flagged = {f["metric"] for f in trends.anomalies(weeks)}

    def lines(run):
        return [m.value for m in run.main.get("markdown") if 'class="crm-spark"' in m.value]

    labels = ["Buyers this week", "GMV this week", "Repurchase rate (4 weeks to this week)",
              "Avg spend per buyer this week"]
    cards = {m.label: m for m in at.main.get("metric") if m.label in labels}
    assert list(cards) == labels and len(lines(at)) == 4
    money = lambda v: i18n.fmt_money(v, "en")   # noqa: E731
    shown = {"buyers": lambda v: i18n.fmt_int(v, "en"), "gmv": money,
             "repurchase_rate": lambda v: i18n.fmt_pct(v, "en"), "avg_spend_per_buyer": money}
    ends = weeks["week_end"]
    for line, label, name in zip(lines(at), labels, trends.METRICS):
        assert len(weeks[name]) == 26
        titles = [f"{i18n.fmt_date(e - dt.timedelta(days=6), 'en')} to {i18n.fmt_date(e, 'en')}: "
                  f"{'–' if v is None else shown[name](v)}" for e, v in zip(ends, weeks[name])]
        assert line == sparkline.sparkline_svg(weeks[name], titles, label, alert_last=name in flagged)
        assert line.count("<title>") == 26
    buyers, before = weeks["buyers"][-1], weeks["buyers"][-2]
    assert cards["Buyers this week"].value == f"{buyers:,}"
    assert cards["Buyers this week"].delta == (f"{(buyers / before - 1) * 100:+.1f}%" if before else "")
    rate, rate_before = weeks["repurchase_rate"][-1], weeks["repurchase_rate"][-2]
    if rate is not None and rate_before is not None:
        assert cards["Repurchase rate (4 weeks to this week)"].delta == f"{(rate - rate_before) * 100:+.1f} pp"
    assert not at.get("plotly_chart")
    open_tab(at, "home_trend_tab", "Weekly charts")
    assert len(at.get("plotly_chart")) == 4 and not lines(at)
    open_tab(at, "home_trend_tab", "At a glance")
    assert len(lines(at)) == 4 and not at.get("plotly_chart")
    zh = app("zh").run()
    no_errors(zh)
    assert "本周成交客户数" in [m.label for m in zh.main.get("metric")]
    assert '至' in lines(zh)[0] and 'aria-label="本周成交客户数"' in lines(zh)[0]


def test_homes_first_run_skips_streamlits_one_off_costs(tmp_path):
    """A just-started server's first page (Home, with a flagged week's warning) does not load
    Streamlit's emoji table (the app's icon is a Material one, the warning gives its icon, the period
    labels are marked plain) nor walk the stack to see whether it runs in a REPL. Run in a fresh
    interpreter, without the background warm-up."""
    import subprocess
    import sys
    path = tmp_path / "h.duckdb"
    seed(path, "cdnow_sample.txt")
    code = f"""
import sys
from streamlit.testing.v1 import AppTest
from streamlit import env_util
asked = []
env_util.is_repl = lambda: asked.append(1) or False
from crm import trends, ui
ui.warm_up = lambda: None
flag = {{"metric": "buyers", "value": 1, "low": 2, "high": 3, "direction": "down"}}
trends.anomalies = lambda weeks, *a, **k: [flag]
at = AppTest.from_file({str(APP)!r}, default_timeout=60)
at.session_state["lang"] = "zh"
at.run()
assert not at.exception, at.exception
print(len(at.warning), at.warning[0].icon, at.button_group[0].proto.options[0].content, "streamlit.emojis" in sys.modules,
      len(asked))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "CRM_DB": str(path)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", ":material/warning:", "全部", "False", "0"]


def test_home_period_with_no_orders_is_friendly(monkeypatch, tmp_path):
    path = tmp_path / "e.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = app("en").run()
    import datetime as dt
    at.date_input(key="as_of").set_value(dt.date(2019, 1, 1)).run()
    no_errors(at)
    assert any("No purchases" in i.value for i in at.info)


def test_data_page_upload_preview_and_import(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "f.duckdb"))
    at = app("en").run()
    at.switch_page("pages/data.py").run()
    no_errors(at)
    content = (FIXTURES / "taobao_orders_61_gbk.csv").read_bytes()
    at.file_uploader[0].set_value([("ExportOrderList202003101800.csv", content, "text/csv")]).run()
    no_errors(at)
    assert any("Taobao/Tmall order report" in m.value for m in at.markdown)
    at.button(key="import_go").click().run()
    no_errors(at)
    assert any("imported" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows read"] == "10" and metrics["New"] == "9" and metrics["Rejected"] == "0"
    assert any("repeat an earlier row" in w.value for w in at.warning)
    assert len(at.dataframe) >= 1  # the import history
    from crm import ui                       # the Predictions page's models are being fitted meanwhile
    assert ui._prepared[0] == ui.db().data_version()


def test_data_page_refused_file_says_why_and_changes_nothing(monkeypatch, tmp_path):
    path = tmp_path / "g.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = app("zh").run()
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].set_value([("report.csv", (FIXTURES / "bad" / "pdf_renamed.csv").read_bytes(), "text/csv")]).run()
    assert not at.exception
    assert any("PDF" in e.value for e in at.error)
    assert at.button(key="import_go").disabled
    db = Database(path)
    assert db.scalar("SELECT count(*) FROM imports") == 1
    db.close()


def test_data_page_mapping_screen_for_unknown_columns(monkeypatch, tmp_path):
    path = tmp_path / "h.duckdb"
    monkeypatch.setenv("CRM_DB", str(path))
    at = app("en").run()
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].set_value([("shop.csv", (FIXTURES / "generic_custom.csv").read_bytes(), "text/csv")]).run()
    no_errors_but_warning = [w.value for w in at.warning]
    assert any("not recognised" in w for w in no_errors_but_warning)
    choices = {"customer_id": "Kunde", "ordered_at": "Datum", "amount": "Betrag", "order_id": "Bestellnummer"}
    for sb in at.selectbox:
        for fld, col in choices.items():
            if sb.label.endswith(f"· {fld}"):
                sb.set_value(col)
    at.run()
    at.button(key="import_go").click().run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["New"] == "6"
    # The mapping is remembered: the same header now imports without asking.
    db = Database(path)
    assert db.scalar("SELECT count(*) FROM column_maps") == 1
    db.close()
    at.file_uploader[0].set_value([("shop2.csv", (FIXTURES / "generic_custom.csv").read_bytes(), "text/csv")]).run()
    assert any("saved earlier" in c.value for c in at.caption)


def test_data_page_rejects_are_listed(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "i.duckdb"))
    at = app("en").run()
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].set_value([("q.csv", (FIXTURES / "quirk_amounts.csv").read_bytes(), "text/csv")]).run()
    at.button(key="import_go").click().run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rejected"] == "1"          # 'abc'; the -5.00 row is a return, not an error
    assert any(b.label.startswith("Download rejected rows") for b in at.get("download_button"))
    assert any("1 lines are returns or corrections" in i.value and "-¥5.00" in i.value for i in at.info)


def test_data_page_invoice_log_reports_returns_apart(monkeypatch, tmp_path):
    path = tmp_path / "inv.duckdb"
    monkeypatch.setenv("CRM_DB", str(path))
    at = app("zh").run()
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].set_value([("invoice_log_a.csv", (FIXTURES / "invoice_log_a.csv").read_bytes(),
                                    "text/csv")]).run()
    at.button(key="import_go").click().run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["新增"] == "9" and metrics["拒绝"] == "0"
    assert any("8 行是退货或冲正" in i.value and "-¥11,123.92" in i.value for i in at.info)
    # the import history has a column for them
    history = at.dataframe[-1].value
    assert list(history["退货/冲正行"]) == [8]


def test_data_page_file_with_no_importable_row_is_an_error_with_its_rejects(monkeypatch, tmp_path):
    path = tmp_path / "bad.duckdb"
    seed(path, "taobao_orders_61_gbk.csv")
    monkeypatch.setenv("CRM_DB", str(path))
    at = app("en").run()
    at.switch_page("pages/data.py").run()
    rows = "".join(f"u{i},2025-01-{i % 28 + 1:02d},n/a\n" for i in range(50))
    at.file_uploader[0].set_value([("all_bad.csv", ("user_id,order_dt,order_amount\n" + rows).encode(),
                                    "text/csv")]).run()
    at.button(key="import_go").click().run()
    assert not at.exception
    assert any("None of the 50 rows could be imported: every amount is missing" in e.value for e in at.error)
    assert not at.success
    assert any(b.label == "Download the rejected rows (50)" for b in at.get("download_button"))
    db = Database(path)
    assert db.scalar("SELECT count(*) FROM imports") == 1       # the seed only
    db.close()


def test_sample_data_in_one_click(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB", str(tmp_path / "s.duckdb"))
    at = app("zh").run()
    next(b for b in at.button if b.label == "用示例数据试一试").click().run()
    no_errors(at)
    assert any("示例数据已导入" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["会员数"] != "0" and metrics["成交订单"] != "0"
    assert metrics["成交金额"].startswith("¥")
    from crm import ui                       # the Predictions page's models are being fitted meanwhile
    assert ui._prepared[0] == ui.db().data_version()


def test_uploaded_copies_are_removed_after_import(monkeypatch, tmp_path):
    """The temporary copy of an uploaded export (it holds phone numbers and addresses) does not
    outlive the import."""
    import os
    monkeypatch.setenv("CRM_DB", str(tmp_path / "u.duckdb"))
    at = app("en")
    at.switch_page("pages/data.py").run()
    data = (FIXTURES / "taobao_orders_61_gbk.csv").read_bytes()
    at.file_uploader[0].set_value([("ExportOrderList1.csv", data, "text/csv")]).run()
    folder = at.session_state["upload_dir"]
    assert os.listdir(folder)
    at.button(key="import_go").click().run()
    no_errors(at)
    assert not os.path.exists(folder)
