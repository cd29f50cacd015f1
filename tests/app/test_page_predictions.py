"""The Predictions page in AppTest: the CDNOW sample (fit, heatmap, top customers, backtest), thin
data (a plain sentence and the usage-cycle estimate), an empty database."""
import pytest

from crm.db import Database
from crm.importing import import_file
from tests.app.helpers import no_errors, open_tab
from tests.app.test_page_cohorts import open_page
from tests.conftest import FIXTURES


@pytest.fixture
def cdnow(monkeypatch, tmp_path):
    path = tmp_path / "cdnow.duckdb"
    db = Database(path)
    assert import_file(db, FIXTURES / "cdnow_sample.txt").ok
    db.close()
    monkeypatch.setenv("CRM_DB", str(path))
    return path


def test_cdnow_sample(cdnow):
    at = open_page("pages/predictions.py", "en")
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Customers"] == "2,357"
    assert any("Purchase rate: r=" in m.value for m in at.markdown)
    top = at.dataframe[0].value
    assert len(top) == 50 and "P(still a customer)" in top.columns
    names = top[top.columns[0]]            # the ids of the 50 rows shown, looked up for those only
    assert names.map(lambda v: isinstance(v, str) and len(v) == 5 and v.isdigit()).all() and names.is_unique
    assert not any(s.value == "Backtest: how right is it?" for s in at.subheader)   # built when its tab opens
    open_tab(at, "pred_tab", "Backtest")
    metrics = {m.label: m.value for m in at.metric}
    assert any(s.value == "Backtest: how right is it?" for s in at.subheader)
    assert "Error" in metrics and metrics["Predicted repeat purchases"] != "—"
    at.radio(key="pred_unit").set_value("day").run()
    no_errors(at)



def test_a_later_first_visit_draws_the_kept_view_without_scoring_anyone(cdnow, monkeypatch):
    """The page's numbers as of the latest order are kept with the data: a first visit in a new
    session (its caches empty) shows the same cards and top buyers without scoring any buyer."""
    from crm import predictions as P
    from crm import ui
    first = open_page("pages/predictions.py", "en")
    P.wait_for_kept_summaries()
    ui._prediction_view.clear()
    ui._predict.clear()
    monkeypatch.setattr(P, "predict", lambda *a, **k: pytest.fail("scored every buyer"))
    again = open_page("pages/predictions.py", "en")
    no_errors(again)
    assert [(m.label, m.value) for m in again.metric] == [(m.label, m.value) for m in first.metric]
    assert again.dataframe[0].value.equals(first.dataframe[0].value)

def test_thin_data_says_so(monkeypatch, tmp_path):
    path = tmp_path / "thin.duckdb"
    db = Database(path)
    (tmp_path / "t.csv").write_text("user_id,order_dt,order_amount\nu1,2025-01-01,10\nu1,2025-02-01,10\n"
                                    "u2,2025-01-05,10\n", encoding="utf-8")
    assert import_file(db, tmp_path / "t.csv").ok
    db.close()
    monkeypatch.setenv("CRM_DB", str(path))
    at = open_page("pages/predictions.py", "zh")
    no_errors(at)
    assert any("复购客户太少" in w.value for w in at.warning)
    assert any("改用回购周期估计" in i.value for i in at.info)



def test_member_page_shows_the_members_prediction(cdnow):
    at = open_page("pages/members.py", "en")
    at.text_input(key="members_lookup").input("00004").run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    # as of the latest order (1998-06-30): the model's view of customer 00004
    assert metrics["P(still a customer)"].endswith("%") and metrics["Predicted 12-month spend"].startswith("¥")
    assert {"Expected purchases, 30 days", "Expected purchases, 90 days", "Expected purchases, next year",
            "Expected next purchase"} <= set(metrics)
