"""After an import the Predictions page's models are fitted in the background (crm.ui.prepare_predictions),
so the page's first visit reads them instead of fitting while the user waits."""
import json
import threading

import pytest

from crm import predictions as P
from crm import ui
from crm.importing import import_file
from crm.summary import default_as_of
from tests.conftest import FIXTURES


class Landed:        # an import's result, as far as prepare_predictions reads it
    ok = True


class Refused:
    ok = False


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """The app's Database (ui.db) on a new file, with nothing being prepared."""
    monkeypatch.setenv("CRM_DB", str(tmp_path / "p.duckdb"))
    monkeypatch.setattr(ui, "_prepared", None)
    ui._database.clear()
    d = ui.db()
    yield d
    if ui._prepared is not None:
        ui._prepared[1].join(120)
    P.wait_for_kept_summaries()
    d.close()
    ui._database.clear()
    ui._predict.clear()
    ui._prediction_view.clear()


def test_the_pages_models_are_fitted_and_kept_after_an_import(app_db, monkeypatch):
    assert import_file(app_db, FIXTURES / "cdnow_sample.txt").ok
    ui.prepare_predictions([Landed])
    version, thread, as_of, unit = ui._prepared
    assert version == app_db.data_version()
    thread.join(120)
    assert not thread.is_alive()
    assert as_of == default_as_of(app_db) and unit == next(iter(P.UNITS)) == "day"   # what the page opens with
    fits = json.loads(app_db.get_setting("model_fit_day"))["fits"]
    assert [f["key"].split("|")[:3] for f in fits] == [[app_db.content_version(), as_of.isoformat(), "day"]]
    assert app_db.get_setting("kept_summary_day").startswith(f"{app_db.content_version()}|{as_of.isoformat()}|day|")
    ui.prepare_predictions([Landed])                           # the same data: not again
    assert ui._prepared[1] is thread
    # the page's first visit: nothing fitted, no summary computed
    calls = []
    monkeypatch.setattr(P, "fit_bgnbd", lambda *a: calls.append("fit"))
    monkeypatch.setattr(P, "summary", lambda *a, **k: calls.append("summary"))
    res = ui.prediction(as_of, "day")
    assert res["ok"] and calls == [] and res["customers"] == 2357
    assert app_db.get_setting("kept_view_day")                 # and what the page draws: nobody scored
    monkeypatch.setattr(P, "predict", lambda *a, **k: calls.append("predict"))
    view = ui.prediction_view(as_of, "day")
    assert view["ok"] and calls == [] and view["customers"] == 2357 and len(view["top"]) == 50


def test_a_visit_while_it_runs_waits_for_it_instead_of_fitting_twice(app_db, monkeypatch):
    assert import_file(app_db, FIXTURES / "cdnow_sample.txt").ok
    release, order = threading.Event(), []
    real = P.predict

    def predict(db, as_of, unit, **kw):
        if threading.current_thread().name == "crm-predictions":
            release.wait(60)                                   # the background fit takes its time
        order.append(threading.current_thread().name)
        return real(db, as_of, unit, **kw)
    monkeypatch.setattr(P, "predict", predict)
    ui.prepare_predictions([Landed])
    as_of = default_as_of(app_db)
    week = ui.prediction(as_of, "week")                        # another unit: does not wait
    assert week["ok"] and order == ["MainThread"]
    visit = threading.Thread(target=lambda: order.append(ui.prediction(as_of, "day")["ok"]), name="visit")
    visit.start()
    visit.join(1.0)
    assert visit.is_alive()                                    # waiting for the background fit
    release.set()
    visit.join(120)
    assert order == ["MainThread", "crm-predictions", "visit", True]


def test_nothing_is_prepared_without_orders_or_when_no_file_landed(app_db):
    ui.prepare_predictions([Landed])
    assert ui._prepared is None
    assert import_file(app_db, FIXTURES / "cdnow_sample.txt").ok
    ui.prepare_predictions([Refused, Refused])
    assert ui._prepared is None
