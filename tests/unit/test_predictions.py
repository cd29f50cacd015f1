"""Predictions: BG/NBD and Gamma-Gamma reproduce the published CDNOW parameters and lifetimes'
per-customer values (tests/fixtures/cdnow_lifetimes_reference.*, computed once with lifetimes
0.11.3 on the same summary), recover known parameters from simulated customers, and say so plainly
when the data are too thin."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from crm import predictions as P
from crm.importing import import_file
from tests.conftest import FIXTURES
from tests.unit.test_cli import crm

CALIBRATION = dt.date(1997, 9, 30)


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    from crm.db import Database
    db = Database(tmp_path_factory.mktemp("cdnow") / "cdnow.duckdb")
    assert import_file(db, FIXTURES / "cdnow_sample.txt").ok
    yield db
    db.close()


def test_summary_follows_the_definitions(cdnow):
    s = P.summary(cdnow, CALIBRATION, "week").set_index("customer_id")
    # 00004: purchase days 1997-01-01, 01-18, 08-02 (and later ones after the calibration end)
    row = s.loc["00004"]
    assert (row["frequency"], row["recency"], row["T"]) == (2, pytest.approx(213 / 7), pytest.approx(272 / 7))
    assert row["monetary_value"] == pytest.approx((29.73 + 14.96) / 2)
    assert len(s) == 2357 and int((s["frequency"] > 0).sum()) == 946
    days = P.summary(cdnow, CALIBRATION, "day").set_index("customer_id").loc["00004"]
    assert (days["recency"], days["T"]) == (213, 272)


def test_summary_without_ids_and_the_ids_of_the_rows_shown(cdnow, monkeypatch):
    """The pages' summary leaves customer_id out (the ids of 5M buyers cost seconds);
    with_ids puts it back for the rows shown — looked up for a few rows, read whole for an export —
    and scores do not depend on it."""
    same = lambda x, y: pd.testing.assert_frame_equal(x, y, check_exact=True)  # noqa: E731
    full = P.summary(cdnow, CALIBRATION, "week")
    bare = P.summary(cdnow, CALIBRATION, "week", ids=False)
    assert "customer_id" not in bare
    same(bare, full.drop(columns="customer_id"))
    same(P.with_ids(cdnow, bare.iloc[[5, 0, 17]]), full.iloc[[5, 0, 17]])   # looked up, order kept
    assert list(P.with_ids(cdnow, bare.iloc[[0]])["customer_id"]) == ["00004"]
    monkeypatch.setattr(P, "ALL_IDS_FROM", 0)
    same(P.with_ids(cdnow, bare), full)                                      # every id read at once
    a, b = P.predict(cdnow, CALIBRATION, "week"), P.predict(cdnow, CALIBRATION, "week", ids=False)
    same(b["summary"], a["summary"].drop(columns="customer_id"))


# The summary's definition over the orders themselves (purchase days per buyer), for comparison
# with `summary`, which reads the import's purchase table.
BY_DAYS_SQL = """
WITH days AS (
    SELECT cust_no, ordered_at::DATE AS d, sum(spend) AS spend
    FROM orders WHERE is_purchase AND cust_no IS NOT NULL AND ordered_at < ?::DATE + INTERVAL 1 DAY
    GROUP BY cust_no, ordered_at::DATE),
per AS (
    SELECT cust_no, count(*) - 1 AS frequency, max(d) - min(d) AS recency_days, ?::DATE - min(d) AS t_days,
           arg_min(spend, d) AS first_spend, sum(spend) AS total_spend
    FROM days GROUP BY cust_no)
SELECT p.cust_no, c.customer_id, p.frequency, p.recency_days::DOUBLE / ? AS recency, p.t_days::DOUBLE / ? AS T,
       CASE WHEN p.frequency > 0 THEN (p.total_spend - p.first_spend)::DOUBLE / p.frequency END AS monetary_value
FROM per p JOIN customers c USING (cust_no)
ORDER BY p.cust_no"""


@pytest.mark.parametrize("files", [["cdnow_sample.txt"], ["invoice_log_a.csv", "invoice_log_b.csv"],
                                   ["taobao_overlap_a.csv", "taobao_overlap_b.csv", "taobao_orders_61_gbk.csv"],
                                   ["shopify_orders.csv", "jd_orders.csv", "douyin_orders.csv"]])
def test_summary_equals_its_definition_over_the_orders(tmp_path, files):
    """Purchase days counted from the purchase table (a purchase whose previous one was on another
    date starts a day) give exactly the summary of purchases grouped by customer and date — several
    purchases a day, returns and closed orders, an as-of date in the middle of the history."""
    from crm.db import Database
    db = Database(tmp_path / "s.duckdb")
    for name in files:
        assert import_file(db, FIXTURES / name).ok
    first, last = db.query("SELECT min(ordered_at)::DATE, max(ordered_at)::DATE FROM orders WHERE is_purchase")[0]
    for as_of in (last, first + (last - first) / 2, first):
        for unit, k in P.UNITS.items():
            want = db.query_df(BY_DAYS_SQL, [as_of, as_of, k, k]).astype({"cust_no": "int64", "frequency": "int64"})
            pd.testing.assert_frame_equal(P.summary(db, as_of, unit), want, check_exact=True)
    assert len(P.summary(db, last, "day"))
    db.close()


def test_expected_purchases_uses_eulers_transformation_only_where_needed():
    """Euler's transformation is computed only where the plain series overflows, with exactly the
    values of computing both everywhere and choosing (the previous formula), arrays and scalars."""
    from scipy.special import hyp2f1

    def both_everywhere(params, t, x, tx, T):
        r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
        _a, _b, _c = r + x, b + x, a + b + x - 1
        z = t / (alpha + T + t)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ln_hyp = np.log(hyp2f1(_a, _b, _c, z))
            alt = np.log(hyp2f1(_c - _a, _c - _b, _c, z)) + (_c - _a - _b) * np.log(1 - z)
        ln_hyp = np.where(np.isinf(ln_hyp) | np.isnan(ln_hyp), alt, ln_hyp)
        den = 1 + (x > 0) * (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x)
        return (a + b + x - 1) / (a - 1) * (1 - np.exp(ln_hyp + (r + x) * np.log((alpha + T) / (alpha + t + T)))) / den

    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.integers(0, 30, 2000), [400, 900, 2000]]).astype(float)
    T = np.concatenate([rng.uniform(1, 80, 2000), [0.5, 1.0, 2.0]])
    tx = T * rng.uniform(0, 1, len(T))
    for t in (1.0, 52.0, 365.0, 3650.0):
        got, want = P.expected_purchases(params, t, x, tx, T), both_everywhere(params, t, x, tx, T)
        assert np.array_equal(got, want, equal_nan=True)
    assert P.expected_purchases(params, 52.0, 3.0, 20.0, 40.0) == both_everywhere(params, 52.0, 3.0, 20.0, 40.0)


def test_expected_value_is_computed_for_repeat_buyers_only():
    """The Gamma-Gamma value is worked out only for repeat buyers (the rest get the population mean),
    with exactly the values of the formula applied to every buyer and then chosen."""
    def every_buyer(params, x, m):
        p, q, v = params["p"], params["q"], params["v"]
        population = v * p / (q - 1)
        weight = p * x / (p * x + q - 1)
        return np.where(x > 0, (1 - weight) * population + weight * np.where(np.isnan(m), 0.0, m), population)

    params = {"p": 2.13, "q": 3.41, "v": 120.57}
    rng = np.random.default_rng(5)
    x = np.where(rng.random(3000) < 0.6, 0, rng.integers(1, 40, 3000)).astype(float)
    m = np.where(x > 0, rng.gamma(2, 50, 3000), np.nan)
    m[np.flatnonzero(x > 0)[:5]] = np.nan          # a repeat buyer without a value counts as 0
    assert np.array_equal(P.expected_value(params, x, m), every_buyer(params, x, m))
    assert np.array_equal(P.expected_value(params, x[x == 0], m[x == 0]), every_buyer(params, x[x == 0], m[x == 0]))
    assert P.expected_value(params, 3.0, 80.0)[0] == every_buyer(params, np.array([3.0]), np.array([80.0]))[0]
    assert len(P.expected_value(params, [], [])) == 0


@pytest.mark.parametrize("ncols", [1, 2, 3])
@pytest.mark.parametrize("too_many", [False, True])
def test_unique_rows_are_numpys(ncols, too_many, monkeypatch):
    """The distinct rows (ascending) and each row's index among them, exactly as numpy's
    unique(axis=0, return_inverse=True) gives them, on rows with many repeats — also when the
    columns' ranks could not be combined into one 64-bit integer (a sorted group-by then)."""
    if too_many:
        monkeypatch.setattr(P.math, "prod", lambda values: 2**62)
    rng = np.random.default_rng(7)
    cols = [rng.integers(0, 6, 5000).astype(float) / (7 if i else 1) for i in range(ncols)]
    uniq, codes = P._unique_rows(*cols)
    want, inverse = np.unique(np.column_stack(cols), axis=0, return_inverse=True)
    assert all(np.array_equal(u, want[:, i]) for i, u in enumerate(uniq))
    assert np.array_equal(codes, inverse.ravel())
    empty, none = P._unique_rows(*[c[:0] for c in cols])
    assert all(len(e) == 0 for e in empty) and len(none) == 0


def test_published_cdnow_parameters(cdnow):
    s = P.summary(cdnow, CALIBRATION, "week")
    bg = P.fit_bgnbd(s["frequency"], s["recency"], s["T"])
    assert bg.converged
    assert {k: round(v, 3) for k, v in bg.params.items()} == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    gg = P.fit_gamma_gamma(s["frequency"], s["monetary_value"])
    assert {k: round(v, 2) for k, v in gg.params.items()} == {"p": 6.25, "q": 3.74, "v": 15.44}
    se = P.standard_errors(s, bg)        # Fader, Hardie & Lee (2005), table 1
    assert {k: round(v, 3) for k, v in se.items()} == {"r": 0.013, "alpha": 0.378, "a": 0.186, "b": 0.705}


def test_per_customer_values_agree_with_lifetimes(cdnow):
    ref = json.loads((FIXTURES / "cdnow_lifetimes_reference.json").read_text())
    table = pd.read_csv(FIXTURES / "cdnow_lifetimes_reference.csv", dtype={"customer_id": str}).set_index("customer_id")
    res = P.predict(cdnow, CALIBRATION, "week", horizon=39)
    s = res["summary"].set_index("customer_id").loc[table.index]
    for k, v in ref["bgnbd"].items():
        assert res["bgnbd"].params[k] == pytest.approx(v, rel=1e-3)
    for k, v in ref["gamma_gamma"].items():
        assert res["gamma_gamma"].params[k] == pytest.approx(v, rel=1e-3)
    np.testing.assert_allclose(s["p_alive"], table["p_alive"], rtol=1e-3)
    np.testing.assert_allclose(s["expected_purchases"], table["expected_39"], rtol=1e-3)
    for t in (10, 52):
        got = P.expected_purchases(res["bgnbd"].params, t, s["frequency"], s["recency"], s["T"])
        np.testing.assert_allclose(got, table[f"expected_{t}"], rtol=1e-3)
    repeat = s["frequency"] > 0
    np.testing.assert_allclose(s.loc[repeat, "expected_value"], table.loc[repeat, "expected_value"], rtol=1e-3)


def _simulate(n: int, r, alpha, a, b, seed: int = 1):
    """Customers from the BG/NBD story: gamma(r, α) purchase rates, beta(a, b) drop-out chances,
    each observed for T ∈ [26, 52) weeks after a first purchase at 0."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.uniform(26, 52, n)
    t = np.zeros(n)
    x = np.zeros(n)
    tx = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        t = t + np.where(active, rng.exponential(1 / np.maximum(lam, 1e-12)), 0)
        buys = active & (t < T)
        x += buys
        tx = np.where(buys, t, tx)
        active = buys & (rng.random(n) >= p)
    return x, tx, T


def test_simulated_customers_recover_the_parameters():
    truth = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    x, tx, T = _simulate(20_000, **truth)
    bg = P.fit_bgnbd(x, tx, T)
    se = P.standard_errors(pd.DataFrame({"frequency": x, "recency": tx, "T": T}), bg)
    for k, v in truth.items():
        assert abs(bg.params[k] - v) < 3 * se[k], (k, bg.params[k], se[k])
    # Gamma-Gamma: spends of each repeat day gamma(p, ν), ν gamma(q, γ)
    rng = np.random.default_rng(2)
    p, q, v = 6.0, 4.0, 15.0
    nu = rng.gamma(q, 1 / v, len(x))
    reps = x.astype(int)
    m = np.array([rng.gamma(p, 1 / nu[i], k).mean() if k else np.nan for i, k in enumerate(reps)])
    gg = P.fit_gamma_gamma(x, m)
    assert gg.params["p"] == pytest.approx(p, rel=0.15) and gg.params["q"] == pytest.approx(q, rel=0.15)
    assert gg.params["v"] == pytest.approx(v, rel=0.2)


@pytest.mark.parametrize("rows, problem", [
    ("u1,1997-01-01,10\n", "predict_problem_few_repeat"),                                  # one customer
    ("".join(f"u{i},1997-01-0{i % 9 + 1},10\n" for i in range(50)), "predict_problem_few_repeat"),  # nobody repeats
    ("".join(f"u{i % 30},1997-01-01 1{i % 10}:00:00,10\n" for i in range(90)), "predict_problem_few_repeat"),  # one day
])
def test_too_thin_data_is_said_plainly(db, make_file, rows, problem):
    assert import_file(db, make_file("log.csv", "user_id,order_dt,order_amount\n" + rows)).ok
    res = P.predict(db, dt.date(1997, 3, 1))
    assert not res["ok"] and res["problem"] == problem and res["bgnbd"] is None


def test_as_of_before_the_first_order(db, make_file):
    assert import_file(db, make_file("log.csv", "user_id,order_dt,order_amount\nu1,1997-01-01,10\n")).ok
    res = P.predict(db, dt.date(1996, 12, 1))
    assert not res["ok"] and res["problem"] == "predict_problem_no_buyers"


def test_cli_predict(tmp_path):
    dbp = tmp_path / "p.duckdb"
    assert crm("--db", str(dbp), "import", str(FIXTURES / "cdnow_sample.txt"), cwd=tmp_path)[0] == 0
    code, out, err = crm("--db", str(dbp), "predict", "--as-of", "1997-09-30", "--time-unit", "week", "--horizon", "39",
                         "--customer", "00004", "--customer", "nobody", "--export", str(tmp_path / "scores.csv"),
                         "--json", cwd=tmp_path)
    assert code == 0, err
    d = json.loads(out)
    assert set(d["bgnbd"]) == {"r", "alpha", "a", "b"} and set(d["gamma_gamma"]) == {"p", "q", "v"}
    c = d["customers"][0]
    assert {"customer", "frequency", "recency", "T", "p_alive", "expected_purchases",
            "expected_value_per_purchase"} <= set(c)
    table = pd.read_csv(FIXTURES / "cdnow_lifetimes_reference.csv", dtype={"customer_id": str}).set_index("customer_id")
    assert c["p_alive"] == pytest.approx(table.loc["00004", "p_alive"], rel=1e-3)
    assert c["expected_purchases"] == pytest.approx(table.loc["00004", "expected_39"], rel=1e-3)
    assert d["customers"][1] == {"customer": "nobody", "found": False}
    a = d["after_as_of"]          # the data go on to 1998-06-30: 39 weeks
    assert a["periods"] == 39.0
    assert a["predicted_repeat_purchases"] == pytest.approx(table["expected_39"].sum(), rel=1e-3)
    assert a["actual_repeat_purchases"] > 0
    scores = pd.read_csv(tmp_path / "scores.csv", encoding="utf-8-sig")
    assert len(scores) == 2357 and "p_alive" in scores.columns
    # too thin: a plain sentence, not a traceback
    thin = tmp_path / "thin.duckdb"
    (tmp_path / "t.csv").write_text("user_id,order_dt,order_amount\nu1,1997-01-01,10\n", encoding="utf-8")
    assert crm("--db", str(thin), "import", str(tmp_path / "t.csv"), cwd=tmp_path)[0] == 0
    code, out, err = crm("--db", str(thin), "predict", "--json", cwd=tmp_path)
    thin_out = json.loads(out)
    assert code == 0 and thin_out["ok"] is False and "repeat buyers" in thin_out["problem"]
    assert thin_out["fallback"]["method"] == "usage_cycle" and "not a model" in thin_out["fallback"]["label"]


def test_backtest_on_the_cdnow_sample(cdnow):
    """Calibrated on 1997-09-30, the 39 weeks after: the same totals as the predict command's check."""
    bt = P.backtest(cdnow, dt.date(1998, 6, 30), "week", holdout_days=273)
    assert bt["ok"] and bt["calibration"] == CALIBRATION
    table = pd.read_csv(FIXTURES / "cdnow_lifetimes_reference.csv")
    assert bt["predicted"] == pytest.approx(table["expected_39"].sum(), rel=1e-3)
    assert bt["actual"] == int(bt["groups"].eval("customers * actual").sum().round())
    assert list(bt["curve"]["actual"]) == sorted(bt["curve"]["actual"])      # cumulative
    assert bt["error"] == pytest.approx((bt["predicted"] - bt["actual"]) / bt["actual"])
    assert list(bt["groups"]["group"]) == list(range(8))


def test_cohort_conditions_equal_a_filter_over_the_exported_scores(cdnow, tmp_path):
    from crm.cohorts import CohortSpec, member_list, presets
    as_of = dt.date(1998, 6, 30)
    res = P.predict(cdnow, as_of, "week")
    s = res["summary"].set_index("customer_id")
    names = lambda spec: set(member_list(cdnow, spec, as_of, lang="en", columns=["name"]).iloc[:, 0])  # noqa: E731
    assert names(CohortSpec(p_alive_max="0.3")) == set(s.index[s["p_alive"] < 0.3])
    assert names(CohortSpec(p_alive_min="0.8")) == set(s.index[s["p_alive"] >= 0.8])
    assert names(CohortSpec(predicted_spend_min=100)) == set(s.index[s["predicted_12m_spend"] >= 100])
    slipping = presets(cdnow, as_of)["valuable_slipping"]
    spend = dict(cdnow.query("SELECT c.customer_id, s.spend FROM customer_stats s JOIN customers c USING (cust_no)"))
    assert names(slipping) == {k for k in s.index[s["p_alive"] < 0.5] if spend[k] >= slipping.spend_min}
    df = member_list(cdnow, CohortSpec(p_alive_max="0.3"), as_of, lang="en",
                     columns=["name", "p_alive", "predicted_spend"])
    got = dict(zip(df.iloc[:, 0], df.iloc[:, 1]))
    for k in list(got)[:50]:
        assert got[k] == pytest.approx(s.loc[k, "p_alive"], abs=1e-4)


def test_scores_follow_the_as_of_date(cdnow):
    from crm.cohorts import CohortSpec, member_list
    early = set(member_list(cdnow, CohortSpec(p_alive_max="0.3"), CALIBRATION, lang="en", columns=["name"]).iloc[:, 0])
    s = P.predict(cdnow, CALIBRATION, "week")["summary"].set_index("customer_id")
    assert early == set(s.index[s["p_alive"] < 0.3])


def test_expected_next_purchase(cdnow):
    res = P.predict(cdnow, CALIBRATION, "week")
    s = res["summary"]
    wait = P.next_purchase_in(res["bgnbd"].params, s["frequency"], s["recency"], s["T"], 156)
    ok = ~np.isnan(wait)
    # at that time the expected purchases reach one; customers who never get there within 3 years are NaN
    got = P.expected_purchases(res["bgnbd"].params, wait[ok], s["frequency"][ok], s["recency"][ok], s["T"][ok])
    np.testing.assert_allclose(got, 1.0, rtol=1e-6)
    assert (P.expected_purchases(res["bgnbd"].params, 156, s["frequency"][~ok], s["recency"][~ok],
                                 s["T"][~ok]) < 1).all()


def test_a_fit_is_kept_in_the_database_and_reused(tmp_path, monkeypatch):
    """Fitted once per data, date and unit: the next prediction (another process, a copy of the
    database) reads the parameters back — every score the same — and fits again when the data change."""
    from crm.db import Database
    path = tmp_path / "p.duckdb"
    db = Database(path)
    assert import_file(db, FIXTURES / "cdnow_sample.txt").ok
    first = P.predict(db, CALIBRATION, "week")
    assert first["ok"]
    db.close()
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(path.read_bytes())
    db = Database(copy)
    calls = []
    real = P.fit_bgnbd
    monkeypatch.setattr(P, "fit_bgnbd", lambda *a: calls.append(1) or real(*a))
    again = P.predict(db, CALIBRATION, "week")
    assert calls == []
    assert again["bgnbd"] == first["bgnbd"] and again["gamma_gamma"] == first["gamma_gamma"]
    pd.testing.assert_frame_equal(again["summary"], first["summary"])
    P.predict(db, CALIBRATION, "day")                             # another unit: fitted
    P.predict(db, CALIBRATION - dt.timedelta(days=30), "week")    # another date (a backtest's): fitted
    assert len(calls) == 2
    writes = []
    real_write = db.write
    monkeypatch.setattr(db, "write", lambda: writes.append(1) or real_write())
    P.predict(db, CALIBRATION, "week")                            # both kept: neither fitted again,
    P.predict(db, CALIBRATION - dt.timedelta(days=30), "week")
    assert len(calls) == 2 and writes == []                       # and reading them writes nothing
    # the last KEPT_FITS fitted per unit are kept: three more dates push out the first fitted
    for days in (60, 90, 120):
        P.predict(db, CALIBRATION - dt.timedelta(days=days), "week")
    assert len(calls) == 5
    P.predict(db, CALIBRATION - dt.timedelta(days=30), "week")    # fitted fourth last: still kept
    assert len(calls) == 5
    P.predict(db, CALIBRATION, "week")                            # fitted first: pushed out
    assert len(calls) == 6
    assert len(json.loads(db.get_setting("model_fit_week"))["fits"]) == P.KEPT_FITS
    assert import_file(db, FIXTURES / "generic_cdnow.csv").ok     # new data: fitted again
    P.predict(db, CALIBRATION, "week")
    assert len(calls) == 7
    db.set_setting("model_fit_week", "{damaged")                  # a damaged entry: fitted again
    assert P.predict(db, CALIBRATION, "week")["ok"] and len(calls) == 8
    monkeypatch.setattr(P, "SUMMARY_DIGEST", "changed")           # another summary definition: fitted again
    assert P.predict(db, CALIBRATION, "week")["ok"] and len(calls) == 9
    db.close()


def test_a_fit_kept_by_an_earlier_version_is_still_read(tmp_path, monkeypatch):
    """A database from when one fit per unit was kept ({key, bgnbd, gamma_gamma}) is read as it is."""
    from crm.db import Database
    db = Database(tmp_path / "p.duckdb")
    assert import_file(db, FIXTURES / "cdnow_sample.txt").ok
    first = P.predict(db, CALIBRATION, "week")
    (entry,) = json.loads(db.get_setting("model_fit_week"))["fits"]
    db.set_setting("model_fit_week", json.dumps(entry))
    calls = []
    real = P.fit_bgnbd
    monkeypatch.setattr(P, "fit_bgnbd", lambda *a: calls.append(1) or real(*a))
    again = P.predict(db, CALIBRATION, "week")
    assert calls == [] and again["bgnbd"] == first["bgnbd"]
    db.close()


def fresh_cdnow(tmp_path):
    """(path, Database, latest order's date) of a new database with the CDNOW sample."""
    from crm.db import Database
    path = tmp_path / "p.duckdb"
    db = Database(path)
    assert import_file(db, FIXTURES / "cdnow_sample.txt").ok
    return path, db, db.scalar("SELECT max(ordered_at)::DATE FROM orders")


def counting(monkeypatch, name: str) -> tuple:
    """(the real P.<name>, the list its calls are noted in): P.<name> counted from now on."""
    real, calls = getattr(P, name), []
    monkeypatch.setattr(P, name, lambda *a, **k: calls.append(a[1:]) or real(*a, **k))
    return real, calls


def test_the_summary_at_the_latest_date_is_kept_and_read_back(tmp_path, monkeypatch):
    """The page's summary (no ids) as of the latest order's date is kept in the database per unit and
    read back exactly (another session, a copy of the database); other dates, the ids, new data, a
    missing table and a read-only database compute it."""
    from crm.db import Database
    path, db, latest = fresh_cdnow(tmp_path)
    real, calls = counting(monkeypatch, "summary")

    first = P.predict(db, latest, "week", ids=False)
    assert first["ok"] and len(calls) == 1
    P.wait_for_kept_summaries()                                    # written in the background
    again = P.predict(db, latest, "week", ids=False)
    assert len(calls) == 1                                         # read back
    pd.testing.assert_frame_equal(again["summary"], first["summary"], check_exact=True)
    kept, groups = P._kept_summary(db, latest, "week")
    computed = real(db, latest, "week", ids=False)
    pd.testing.assert_frame_equal(kept, computed, check_exact=True)
    # the row groups kept with it are the distinct rows' indexes `_unique_rows` finds
    want_rows, want_groups = P._unique_rows(computed["frequency"], computed["recency"], computed["T"])
    rows, kept_groups = P._rows_of_groups(groups, kept["frequency"], kept["recency"], kept["T"])
    np.testing.assert_array_equal(kept_groups, want_groups)
    for got, want in zip(rows, want_rows):
        np.testing.assert_array_equal(got, want)
    assert len(calls) == 1
    P.predict(db, latest, "day", ids=False)                        # another unit: its own
    P.wait_for_kept_summaries()
    P.predict(db, latest, "day", ids=False)
    P.predict(db, latest, "week", ids=False)                       # both kept
    assert len(calls) == 2
    for _ in range(2):                                             # an earlier date: never kept
        P.predict(db, CALIBRATION, "week", ids=False)
    assert len(calls) == 4
    P.predict(db, latest, "week")                                  # with ids: computed
    assert len(calls) == 5
    kept = db.get_setting("kept_summary_week")                     # computed before the data changed:
    P._keep_summary(db, "kept_summary_week", "other data|" + kept.split("|", 1)[1], first["summary"], 7)
    assert db.get_setting("kept_summary_week") == kept             # not written
    db.close()

    copy = tmp_path / "copy.duckdb"                                # another process, a copy
    copy.write_bytes(path.read_bytes())
    db = Database(copy)
    pd.testing.assert_frame_equal(P.predict(db, latest, "week", ids=False)["summary"], first["summary"],
                                  check_exact=True)
    assert len(calls) == 5
    with db.write() as cur:                                        # the table gone: computed, kept again
        cur.execute("DROP TABLE kept_summary_week")
    P.predict(db, latest, "week", ids=False)
    P.wait_for_kept_summaries()
    P.predict(db, latest, "week", ids=False)
    assert len(calls) == 6
    assert import_file(db, FIXTURES / "generic_cdnow.csv").ok     # new data: computed again
    latest = db.scalar("SELECT max(ordered_at)::DATE FROM orders")
    fresh = P.predict(db, latest, "week", ids=False)
    assert len(calls) == 7
    P.wait_for_kept_summaries()
    pd.testing.assert_frame_equal(fresh["summary"], P.predict(db, latest, "week", ids=False)["summary"],
                                  check_exact=True)
    assert len(calls) == 7
    db.close()

    ro = Database(copy, read_only=True)                            # read-only: computed, nothing written
    P.predict(ro, latest, "day", ids=False)
    P.predict(ro, latest, "day", ids=False)
    assert len(calls) == 9
    ro.close()


def test_the_summary_is_kept_in_the_background_and_a_closing_database_waits_for_a_write(tmp_path, monkeypatch):
    """The page's prediction returns before its summary is written (the write runs in a thread of its
    own), and closing the database waits for a write in progress in another thread."""
    import threading

    from crm.db import Database
    db = Database(tmp_path / "p.duckdb")
    assert import_file(db, FIXTURES / "cdnow_sample.txt").ok
    latest = db.scalar("SELECT max(ordered_at)::DATE FROM orders")
    release = threading.Event()
    real = P._keep_summary
    monkeypatch.setattr(P, "_keep_summary", lambda *args: release.wait(30) and real(*args))
    res = P.predict(db, latest, "week", ids=False)
    assert res["ok"] and db.get_setting("kept_summary_week") is None   # returned before the write
    release.set()
    P.wait_for_kept_summaries()
    assert db.get_setting("kept_summary_week") is not None

    holding, done = threading.Event(), threading.Event()

    def writer():
        with db.write() as cur:
            holding.set()
            done.wait(30)
            cur.execute("INSERT OR REPLACE INTO settings VALUES ('probe', 'landed')")

    w = threading.Thread(target=writer)
    w.start()
    assert holding.wait(30)
    closer = threading.Thread(target=db.close)
    closer.start()
    closer.join(0.5)
    assert closer.is_alive() and not db.closed                  # waits for the writer
    done.set()
    w.join(30)
    closer.join(30)
    assert db.closed
    db = Database(tmp_path / "p.duckdb")
    assert db.get_setting("probe") == "landed"
    db.close()


def same_view(got: dict, want: dict) -> None:
    """Two page views hold exactly the same numbers (floats compared for equality, not closeness)."""
    assert got.keys() == want.keys()
    for k, v in want.items():
        if k == "top":
            pd.testing.assert_frame_equal(got[k], v, check_exact=True)
        elif k == "bins":
            for a, b in zip(got[k], v):
                np.testing.assert_array_equal(a, b)
                assert a.dtype.kind == b.dtype.kind
        else:
            assert got[k] == v, k


def test_the_page_view_is_the_predictions_own_numbers(cdnow):
    """What the Predictions page draws, taken from every buyer's scores: the totals, the histogram's
    bars, the 50 largest predicted 12-month spends (by hand from the summary)."""
    res = P.predict(cdnow, CALIBRATION, "week", ids=False)
    s = res["summary"]
    view = P.view_of(res)
    assert (view["ok"], view["customers"], view["repeat_customers"]) == (True, 2357, 946)
    assert view["mean_p_alive"] == float(s["p_alive"].mean())
    assert view["expected_365d"] == float(s["expected_365d"].sum())
    assert view["predicted_12m_spend"] == float(s["predicted_12m_spend"].sum())
    assert (view["max_frequency"], view["max_T"]) == (int(s["frequency"].max()), float(s["T"].max()))
    counts, edges = view["bins"]
    assert len(counts) == 40 and counts.sum() == 2357                     # every buyer in a bar
    assert edges[0] == 0 and edges[-1] == pytest.approx(np.quantile(s["predicted_12m_spend"], 0.99))
    top = view["top"]
    assert len(top) == 50 and list(top.columns) == P.TOP_COLUMNS
    assert top["predicted_12m_spend"].is_monotonic_decreasing
    assert top["predicted_12m_spend"].iloc[-1] >= s["predicted_12m_spend"].nlargest(51).iloc[-1]
    rows = s.set_index("cust_no").loc[top["cust_no"]]
    np.testing.assert_array_equal(rows["p_alive"].to_numpy(), top["p_alive"].to_numpy())
    assert (view["bgnbd"], view["gamma_gamma"]) == (res["bgnbd"], res["gamma_gamma"])


def test_value_bins_leave_nothing_out():
    counts, edges = P.value_bins([0.0, 1.0, 2.0, 3.0, 1000.0, -5.0, float("nan"), float("inf")], bins=4)
    assert counts.sum() == 6                        # the NaN and the infinity are not values; -5 is in the first
    assert edges[0] == 0 and edges[-1] == pytest.approx(np.quantile([0, 1, 2, 3, 1000, -5], 0.99))
    counts, edges = P.value_bins([], bins=4)
    assert counts.sum() == 0 and edges[-1] == 1.0


def test_the_page_view_at_the_latest_date_is_kept_and_read_back(tmp_path, monkeypatch):
    """The page's view as of the latest order's date is kept (setting kept_view_<unit>) and read back
    with every number the same, in another process on a copy too, without scoring anyone; other
    dates, new data, a damaged setting and a read-only database compute it; no customer id is kept."""
    from crm.db import Database
    path, db, latest = fresh_cdnow(tmp_path)
    real, calls = counting(monkeypatch, "predict")

    first = P.page_view(db, latest, "week")
    assert first["ok"] and len(calls) == 1
    same_view(first, P.view_of(real(db, latest, "week", ids=False)))
    P.wait_for_kept_summaries()                                   # written in the background
    kept = db.get_setting("kept_view_week")
    assert kept.startswith('{"key": "' + db.content_version() + "|" + latest.isoformat() + "|week|")
    ids = db.query_df("SELECT customer_id FROM customers")["customer_id"]
    assert not any(f'"{i}"' in kept for i in ids)                 # only cust_no, the database's own numbers
    same_view(P.page_view(db, latest, "week"), first)
    assert len(calls) == 1                                        # read back: nobody scored
    P.page_view(db, latest, "day")                                # another unit: its own
    P.wait_for_kept_summaries()
    same_view(P.page_view(db, latest, "day"), P.view_of(real(db, latest, "day", ids=False)))
    assert len(calls) == 2
    for _ in range(2):                                            # an earlier date: never kept
        P.page_view(db, CALIBRATION, "week")
    assert len(calls) == 4
    P._keep_view(db, "kept_view_week", "other data|x", {})       # computed before the data changed: not written
    assert db.get_setting("kept_view_week") == kept
    db.close()

    copy = tmp_path / "copy.duckdb"                               # another process, a copy
    copy.write_bytes(path.read_bytes())
    db = Database(copy)
    same_view(P.page_view(db, latest, "week"), first)
    assert len(calls) == 4
    db.set_setting("kept_view_week", kept[:-20])                  # damaged: computed, kept again
    same_view(P.page_view(db, latest, "week"), first)
    P.wait_for_kept_summaries()
    same_view(P.page_view(db, latest, "week"), first)
    assert len(calls) == 5
    assert import_file(db, FIXTURES / "generic_cdnow.csv").ok    # new data: computed again
    latest = db.scalar("SELECT max(ordered_at)::DATE FROM orders")
    fresh = P.page_view(db, latest, "week")
    assert len(calls) == 6
    P.wait_for_kept_summaries()
    same_view(P.page_view(db, latest, "week"), fresh)
    assert len(calls) == 6
    db.close()

    ro = Database(copy, read_only=True)                           # read-only: computed, nothing written
    P.page_view(ro, latest, "day")
    P.page_view(ro, latest, "day")
    assert len(calls) == 8
    ro.close()


def test_a_view_of_thin_data_is_kept_with_its_problem(tmp_path):
    from crm.db import Database
    db = Database(tmp_path / "thin.duckdb")
    (tmp_path / "t.csv").write_text("user_id,order_dt,order_amount\nu1,2025-01-01,10\nu1,2025-02-01,10\n"
                                    "u2,2025-01-05,10\n", encoding="utf-8")
    assert import_file(db, tmp_path / "t.csv").ok
    view = P.page_view(db, dt.date(2025, 2, 1), "day")
    assert view == {"ok": False, "problem": "predict_problem_few_repeat", "unit": "day", "customers": 2,
                    "repeat_customers": 1, "bgnbd": None, "gamma_gamma": None}
    P.wait_for_kept_summaries()
    assert P.page_view(db, dt.date(2025, 2, 1), "day") == view and db.get_setting("kept_view_day")
    db.close()


def test_one_members_prediction_is_their_row_of_everyones(cdnow, monkeypatch):
    """The member page's scores for one buyer are exactly their row of `predict`'s summary (every
    column, every tenth buyer, two dates and units), computed without scoring anyone else once the
    page's view is kept; nobody's row for a buyer unknown by that date."""
    for as_of, unit in ((CALIBRATION, "week"), (dt.date(1998, 6, 30), "day")):
        s = P.predict(cdnow, as_of, unit, ids=False)["summary"]
        P.page_view(cdnow, as_of, unit)
        P.wait_for_kept_summaries()
        with monkeypatch.context() as m:
            if as_of == dt.date(1998, 6, 30):          # the latest date: the view is kept, nobody else scored
                m.setattr(P, "predict", lambda *a, **k: pytest.fail("scored every buyer"))
            for i in range(0, len(s), 10):
                res = P.member_prediction(cdnow, as_of, unit, int(s["cust_no"].iloc[i]))
                assert res["ok"] and (res["unit"], res["as_of"]) == (unit, as_of)
                pd.testing.assert_series_equal(res["row"], s.iloc[i], check_exact=True, check_names=False)
    later = cdnow.scalar("SELECT cust_no FROM orders WHERE is_purchase GROUP BY cust_no "
                         "HAVING min(ordered_at) >= DATE '1997-03-01' ORDER BY cust_no LIMIT 1")
    early = P.member_prediction(cdnow, dt.date(1997, 2, 28), "week", later)
    assert early["ok"] and early["row"] is None                                       # first bought later
    assert P.member_prediction(cdnow, CALIBRATION, "week", 10**9)["row"] is None


def test_one_members_prediction_when_gamma_gamma_did_not_converge_is_predicts_row(tmp_path, monkeypatch):
    """Without a converged Gamma-Gamma a one-time buyer's value is the mean over every buyer: the
    member's row is then taken from `predict` itself."""
    from crm.db import Database
    db = Database(tmp_path / "p.duckdb")
    assert import_file(db, FIXTURES / "cdnow_sample.txt").ok
    real = P.fit_gamma_gamma
    monkeypatch.setattr(P, "fit_gamma_gamma", lambda *a: P.Fit(**{**P._plain(real(*a)), "converged": False}))
    s = P.predict(db, CALIBRATION, "week", ids=False)["summary"]
    for i in (0, 1, 2, 500):
        res = P.member_prediction(db, CALIBRATION, "week", int(s["cust_no"].iloc[i]))
        pd.testing.assert_series_equal(res["row"], s.iloc[i], check_exact=True, check_names=False)
    P.wait_for_kept_summaries()
    db.close()


def test_one_members_prediction_on_thin_data_says_why(tmp_path):
    from crm.db import Database
    db = Database(tmp_path / "thin.duckdb")
    (tmp_path / "t.csv").write_text("user_id,order_dt,order_amount\nu1,2025-01-01,10\nu1,2025-02-01,10\n",
                                    encoding="utf-8")
    assert import_file(db, tmp_path / "t.csv").ok
    res = P.member_prediction(db, dt.date(2025, 2, 1), "week", 1)
    assert (res["ok"], res["problem"], res["row"]) == (False, "predict_problem_few_repeat", None)
    P.wait_for_kept_summaries()
    db.close()
