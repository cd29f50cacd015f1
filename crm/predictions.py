"""Predictions (预测): who is still a customer, how often they will buy, what they are worth.

The classic models, fitted by maximum likelihood with scipy on a per-customer summary computed in
DuckDB (definitions in the README, "Predictions"):
- BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): purchases follow a
  Poisson process with a gamma(r, α) rate; after each purchase a customer drops out with a
  probability drawn from beta(a, b).
- Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): the spend per repeat purchase day has a
  gamma(p, ν) distribution whose ν is gamma(q, γ) across customers (fitted over customers with at
  least one repeat purchase day).

The per-customer summary: from purchases up to the as-of date, several purchases on one calendar
day are one transaction; frequency = purchase days − 1; recency = days from the first to the last
purchase day; T = days from the first purchase day to the as-of date; both divided by the time unit
(day 1, week 7). The value for Gamma-Gamma is the mean spend per repeat purchase day (the first day
excluded).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import threading
from dataclasses import asdict, dataclass

import duckdb
import numpy as np
import pandas as pd

from .db import Database
from .models import load as _models
from .sql import Q
from .summary import default_as_of

UNITS = {"day": 1, "week": 7}

# From the import's purchase table (one row per purchase, with the customer's previous and first
# purchase): a purchase day is a purchase whose previous one was on another date (or the first), so
# one pass grouped by customer (10M orders: 3.3 -> 2.0-2.4 s against grouping by customer and day).
SUMMARY_SQL = """
WITH per AS (
    SELECT cust_no,
           count(*) FILTER (WHERE prev_at IS NOT NULL AND prev_at::DATE <> ordered_at::DATE) AS frequency,
           max(ordered_at)::DATE - min(ordered_at)::DATE AS recency_days, ?::DATE - min(ordered_at)::DATE AS t_days,
           sum(spend) FILTER (WHERE ordered_at::DATE = first_at::DATE) AS first_spend, sum(spend) AS total_spend
    FROM purchase_facts WHERE cust_no IS NOT NULL AND ordered_at < ?::DATE + INTERVAL 1 DAY
    GROUP BY cust_no)
SELECT p.cust_no{customer_id}, p.frequency, p.recency_days::DOUBLE / ? AS recency, p.t_days::DOUBLE / ? AS T,
       CASE WHEN p.frequency > 0 THEN (p.total_spend - p.first_spend)::DOUBLE / p.frequency END AS monetary_value
FROM per p{customers}
ORDER BY p.cust_no"""


# part of a kept fit's and a kept summary's key: a change to the summary's definition, to the purchase
# table it reads or to how a summary is kept computes them again
KEPT_FORMAT = "3"
SUMMARY_DIGEST = hashlib.sha256("|".join(
    [SUMMARY_SQL, _models()["purchase_facts"].digest, KEPT_FORMAT]).encode()).hexdigest()[:12]


def summary(db: Database, as_of: dt.date, unit: str = "week", ids: bool = True) -> pd.DataFrame:
    """One row per buyer up to the as-of date: cust_no, customer_id, frequency, recency, T,
    monetary_value (NaN when frequency is 0). `ids=False` leaves customer_id out (`with_ids` adds it
    to the rows shown): the ids of 5M buyers cost 1.5-2 s at 10M orders."""
    k = UNITS[unit]
    sql = SUMMARY_SQL.format(customer_id=", c.customer_id" if ids else "",
                             customers=" JOIN customers c USING (cust_no)" if ids else "")
    # numpy arrays from DuckDB (every column here is an integer, a float or text, so nothing is lost):
    # 5M buyers 2.0 -> 1.5 s against DuckDB's DataFrame conversion (and that against Python tuples)
    s = db.query_columns(sql, [as_of, as_of, k, k])
    return s.astype({"cust_no": "int64", "frequency": "int64"})


def _kept_summary(db: Database, as_of: dt.date, unit: str) -> tuple[pd.DataFrame, np.ndarray | None]:
    """`summary(db, as_of, unit, ids=False)`, read back when it was kept for the same data, date,
    unit and definition, with each buyer's row group: the index of their (frequency, recency, T)
    among the distinct ones in ascending order, what `_unique_rows` finds (None when computed). It is
    kept (table kept_summary_<unit>, its key in settings) when the date is the latest order's or later
    — the Predictions page's default: a later first visit reads 5M buyers in ~0.35 s instead of
    grouping 9.25M purchases in 1.6-1.8 s, and skips ranking their distinct rows (0.5-1.0 s; 10M
    orders; ~47 MB per unit, recency and T as whole days). Any other date is computed each time (a
    date tried once would only cost a write)."""
    key = f"{db.content_version()}|{as_of.isoformat()}|{unit}|{SUMMARY_DIGEST}"
    table, k = f"kept_summary_{unit}", UNITS[unit]
    try:
        with db.read() as cur:
            cur.execute("BEGIN TRANSACTION")     # the key and the table read in one snapshot
            try:
                row = cur.execute("SELECT value FROM settings WHERE key = ?", [table]).fetchall()
                if row and row[0][0] == key:      # recency and T as the summary's SQL divides them
                    kept = db.columns_of(cur, f"SELECT cust_no, frequency, recency_days::DOUBLE / ? AS recency, "
                                              f"t_days::DOUBLE / ? AS T, monetary_value, row_group FROM {table}",
                                         [k, k])
                    groups = kept.pop("row_group").to_numpy(dtype=np.int64)
                    return kept.astype({"cust_no": "int64", "frequency": "int64"}), groups
            finally:
                cur.execute("COMMIT")
    except duckdb.Error:
        pass                                     # missing or damaged: computed again below
    s = summary(db, as_of, unit, ids=False)
    latest = default_as_of(db)
    if latest is not None and as_of >= latest and not db.read_only:
        # written in the background (10M orders: 0.6-0.7 s), so this visit does not wait for it
        _in_background(_keep_summary, db, table, key, s, k)
    return s, None


_keepers: list[threading.Thread] = []
_keepers_lock = threading.Lock()


def _in_background(keep, *args) -> None:
    """`keep(*args)` in a thread of its own (a write the visit does not wait for; `wait_for_kept_summaries`
    waits for it)."""
    keeper = threading.Thread(target=keep, args=args, name="crm-" + keep.__name__.strip("_").replace("_", "-"),
                              daemon=True)
    with _keepers_lock:
        _keepers[:] = [t for t in _keepers if t.is_alive()] + [keeper]
    keeper.start()


def _keep_summary(db: Database, table: str, key: str, s: pd.DataFrame, k: int) -> None:
    try:
        with db.write() as cur:
            if not key.startswith(f"{db.content_version()}|"):
                return       # the data changed since it was computed (an import, a deletion): not kept
            cur.register("kept_summary_df", s)
            cur.execute(f"CREATE OR REPLACE TABLE {table} AS "        # whole days; the rows in the summary's order
                        "SELECT *, (dense_rank() OVER (ORDER BY frequency, recency_days, t_days) - 1)::INTEGER "
                        "AS row_group FROM (SELECT cust_no, frequency, round(recency * ?)::INTEGER AS recency_days, "
                        "round(T * ?)::INTEGER AS t_days, monetary_value FROM kept_summary_df) ORDER BY cust_no",
                        [k, k])
            cur.unregister("kept_summary_df")
            cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [table, key])
    except Exception:  # noqa: BLE001 — busy, read-only or closed meanwhile: computed again next time
        pass


def wait_for_kept_summaries() -> None:
    """Until the summaries and page views being kept in the background are written (tests; a closing
    database waits for a write in progress by itself)."""
    with _keepers_lock:
        running = list(_keepers)
    for t in running:
        t.join()


ALL_IDS_FROM = 10_000     # rows past which `with_ids` reads every id rather than look these up


def with_ids(db: Database, rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` (of a summary without ids) with each buyer's customer_id after cust_no."""
    if len(rows) > ALL_IDS_FROM:    # an export of every buyer: all ids at once
        ids = db.query_df("SELECT cust_no, customer_id FROM customers").set_index("cust_no")["customer_id"]
    else:
        ids = pd.Series(dict(db.query(Q("SELECT cust_no, customer_id FROM customers "
                                        "WHERE cust_no IN (SELECT unnest($nos::INTEGER[]))",
                                        nos=[int(n) for n in rows["cust_no"]]))), dtype=object)
    out = rows.copy()
    out.insert(1, "customer_id", out["cust_no"].map(ids).to_numpy())
    return out


# -- BG/NBD --------------------------------------------------------------------------------------------
def _bgnbd_ll(params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray) -> float:
    from scipy.special import gammaln
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(tx + alpha)
    top = np.maximum(a3, a4)
    ll = a1 + a2 + top + np.log(np.exp(a3 - top) + (x > 0) * np.exp(a4 - top))
    return -(w * ll).sum() / w.sum()


def _unique_rows(*cols) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of the columns (ascending, as numpy's `unique(axis=0)` orders them) and, per
    original row, the index of its distinct row: the models' formulas then run once per distinct
    (frequency, recency, T) instead of once per customer. Each column's values are ranked (a sorted
    factorize), the ranks combined into one integer per row and those ranked again: 5M buyers with
    843,108 distinct rows in 0.45 s (a lexsort of the rows took 1.6-2.0 s)."""
    cols = [np.asarray(c, dtype=float) for c in cols]
    if not len(cols[0]):
        return [c[:0] for c in cols], np.zeros(0, dtype=np.int64)
    ranked = [pd.factorize(c, sort=True, use_na_sentinel=False) for c in cols]
    if math.prod(len(values) for _, values in ranked) >= 2**62:     # would overflow: a sorted group-by
        groups = pd.DataFrame(dict(enumerate(cols))).groupby(list(range(len(cols))), sort=True, dropna=False)
        keys = groups.size().index
        return ([keys.get_level_values(i).to_numpy(dtype=float) for i in range(len(cols))] if len(cols) > 1
                else [keys.to_numpy(dtype=float)]), groups.ngroup().to_numpy(dtype=np.int64)
    key = np.zeros(len(cols[0]), dtype=np.int64)
    for codes, values in ranked:
        key = key * len(values) + codes
    codes, keys = pd.factorize(key, sort=True)
    uniq = []
    for _, values in reversed(ranked):                  # the combined key back into each column's rank
        uniq.append(np.asarray(values, dtype=float)[keys % len(values)])
        keys = keys // len(values)
    return uniq[::-1], codes.astype(np.int64)


def _rows_of_groups(groups: np.ndarray, *cols) -> tuple[list[np.ndarray], np.ndarray]:
    """`_unique_rows(*cols)` when each row's index among the distinct rows is known already (`groups`,
    kept with the summary): each distinct row is any row of its group."""
    n = int(groups.max()) + 1 if len(groups) else 0
    uniq = []
    for c in cols:
        u = np.empty(n, dtype=float)
        u[groups] = np.asarray(c, dtype=float)
        uniq.append(u)
    return uniq, groups


def _group(*cols: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Identical rows once, with their counts as weights (the likelihood is a sum over customers)."""
    uniq, codes = _unique_rows(*cols)
    return uniq, np.bincount(codes, minlength=len(uniq[0])).astype(float)


@dataclass
class Fit:
    params: dict
    ll: float
    converged: bool
    customers: int
    message: str = ""


def _minimize(f, start: np.ndarray) -> tuple[np.ndarray, float, bool, str]:
    """Minimise over the logs of the parameters (all positive). BFGS first (on 200,000 customers
    ~0.6 s, where Nelder-Mead took ~4 s and, for Gamma-Gamma, wandered off along a ridge to p → ∞);
    Nelder-Mead when BFGS does not succeed; the better of what succeeded."""
    from scipy.optimize import minimize
    g = lambda z: f(np.exp(z))  # noqa: E731
    z0 = np.log(start)
    first = minimize(g, z0, method="BFGS")
    # "precision loss" at the optimum (a flat likelihood near it) is a converged fit too
    if not first.success and np.isfinite(first.fun) and np.max(np.abs(first.jac)) < 1e-4:
        first.success = True
    tries = [first]
    if not first.success or not np.isfinite(first.fun):
        tries.append(minimize(g, z0, method="Nelder-Mead", options={"maxiter": 20000, "xatol": 1e-8, "fatol": 1e-11}))
    ok = [r for r in tries if np.isfinite(r.fun) and (r.success or r is tries[-1])]
    best = min(ok or tries, key=lambda r: r.fun if np.isfinite(r.fun) else np.inf)
    return np.exp(best.x), float(best.fun), bool(np.isfinite(best.fun) and best.success), str(best.message)


def fit_bgnbd(frequency, recency, T) -> Fit:
    x, tx, TT = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    (x, tx, TT), w = _group(x, tx, TT)
    p, ll, ok, msg = _minimize(lambda q: _bgnbd_ll(q, x, tx, TT, w), np.ones(4))
    return Fit({"r": p[0], "alpha": p[1], "a": p[2], "b": p[3]}, ll, ok, int(w.sum()), msg)


def p_alive(params: dict, frequency, recency, T) -> np.ndarray:
    """Probability the customer has not dropped out (1 for customers who bought on one day only)."""
    from scipy.special import expit
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    x, tx, TT = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    log_div = (r + x) * np.log((alpha + TT) / (alpha + tx)) + np.log(a / (b + np.maximum(x, 1) - 1))
    return np.where(x == 0, 1.0, expit(-log_div))


def expected_purchases(params: dict, t: float, frequency, recency, T) -> np.ndarray:
    """Expected purchase days in the next `t` time units, given each customer's history."""
    from scipy.special import hyp2f1
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    x, tx, TT = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    _a, _b, _c, z = np.broadcast_arrays(r + x, b + x, a + b + x - 1, t / (alpha + TT + t))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ln_hyp = np.log(hyp2f1(_a, _b, _c, z))
        bad = np.isinf(ln_hyp) | np.isnan(ln_hyp)
        if bad.any():   # Euler's transformation, where the series overflows (only there: hyp2f1 is the cost)
            ln_hyp = np.array(ln_hyp, dtype=float)
            a_, b_, c_, z_ = _a[bad], _b[bad], _c[bad], z[bad]
            ln_hyp[bad] = np.log(hyp2f1(c_ - a_, c_ - b_, c_, z_)) + (c_ - a_ - b_) * np.log(1 - z_)
    first = (a + b + x - 1) / (a - 1)
    second = 1 - np.exp(ln_hyp + (r + x) * np.log((alpha + TT) / (alpha + t + TT)))
    den = 1 + (x > 0) * (a / (b + x - 1)) * ((alpha + TT) / (alpha + tx)) ** (r + x)
    return first * second / den


def expected_purchases_new(params: dict, t) -> np.ndarray:
    """Expected purchase days in `t` time units of a customer just acquired (the population curve)."""
    from scipy.special import hyp2f1
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    t = np.asarray(t, dtype=float)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


# -- Gamma-Gamma ----------------------------------------------------------------------------------------
def _gg_ll(params: np.ndarray, x: np.ndarray, m: np.ndarray, w: np.ndarray) -> float:
    from scipy.special import gammaln
    p, q, v = params
    ll = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m)
          + (p * x) * np.log(x) - (p * x + q) * np.log(x * m + v))
    return -(w * ll).sum() / w.sum()


def fit_gamma_gamma(frequency, monetary_value) -> Fit:
    x, m = (np.asarray(v, dtype=float) for v in (frequency, monetary_value))
    keep = (x > 0) & (m > 0)
    (x, m), w = _group(x[keep], m[keep])
    p, ll, ok, msg = _minimize(lambda q: _gg_ll(q, x, m, w), np.ones(3))
    return Fit({"p": p[0], "q": p[1], "v": p[2]}, ll, ok and p[1] > 1, int(w.sum()), msg)


def expected_value(params: dict, frequency, monetary_value) -> np.ndarray:
    """Expected spend per purchase day: the customer's own mean shrunk towards the population mean."""
    p, q, v = params["p"], params["q"], params["v"]
    x, m = (np.atleast_1d(np.asarray(val, dtype=float)) for val in (frequency, monetary_value))
    population = v * p / (q - 1)
    out = np.full(len(x), population)
    repeat = x > 0                     # computed for repeat buyers only (half of them or fewer)
    xr, mr = x[repeat], m[repeat]
    weight = p * xr / (p * xr + q - 1)
    out[repeat] = (1 - weight) * population + weight * np.where(np.isnan(mr), 0.0, mr)
    return out


def fmt_params(params: dict, digits: int = 6) -> dict:
    return {k: round(float(v), digits) for k, v in params.items()}


def _finite(v) -> float | None:
    return None if v is None or not math.isfinite(float(v)) else float(v)


# -- the whole prediction ----------------------------------------------------------------------------
MIN_REPEAT = 20          # fewer repeat buyers than this: too thin to fit (said so, usage cycle instead)


def _hessian_se(f, params: np.ndarray, n: int) -> list[float | None]:
    """Standard errors of the maximum-likelihood estimates: the inverse of the observed information
    (n × the Hessian of the mean negative log-likelihood), by statsmodels' numerical Hessian."""
    from statsmodels.tools.numdiff import approx_hess
    try:
        cov = np.linalg.inv(approx_hess(params, f) * n)
        return [float(math.sqrt(v)) if v > 0 else None for v in np.diag(cov)]
    except (np.linalg.LinAlgError, ValueError):
        return [None] * len(params)


def standard_errors(s: pd.DataFrame, bg: Fit) -> dict:
    x, tx, TT = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    (x, tx, TT), w = _group(x, tx, TT)
    keys = ("r", "alpha", "a", "b")
    se = _hessian_se(lambda q: _bgnbd_ll(q, x, tx, TT, w), np.array([bg.params[k] for k in keys]), int(w.sum()))
    return dict(zip(keys, se))


def predict(db: Database, as_of: dt.date, unit: str = "week", horizon: float | None = None,
            discount: float = 0.0, ids: bool = True) -> dict:
    """Fit both models on the buyers up to the as-of date and score every one of them. Returns
    {summary (with scores), bgnbd, gamma_gamma, ok, problem, unit, horizon}; `problem` says in a
    message key why the models were not usable (too few repeat buyers, no convergence, no buyers).
    `ids=False`: the summary has no customer_id (see `summary`)."""
    k = UNITS[unit]
    horizon = float(horizon if horizon is not None else 365 / k)
    s, groups = (summary(db, as_of, unit, ids), None) if ids else _kept_summary(db, as_of, unit)
    out = {"unit": unit, "horizon": horizon, "as_of": as_of, "summary": s, "bgnbd": None, "gamma_gamma": None,
           "ok": False, "problem": None, "customers": len(s), "repeat_customers": int((s["frequency"] > 0).sum())}
    if s.empty:
        out["problem"] = "predict_problem_no_buyers"
        return out
    if out["repeat_customers"] < MIN_REPEAT:
        out["problem"] = "predict_problem_few_repeat"
        return out
    bg, gg = _fits(db, s, as_of, unit)
    out["bgnbd"], out["gamma_gamma"] = bg, gg
    if not bg.converged:
        out["problem"] = "predict_problem_no_convergence"
        return out
    out["ok"] = True
    if groups is None:
        distinct = _unique_rows(s["frequency"], s["recency"], s["T"])
    else:                                    # kept with the summary: the same rows and indexes
        distinct = _rows_of_groups(groups, s["frequency"], s["recency"], s["T"])
    out["summary"] = _scored(s, bg, gg, k, horizon, discount, distinct)
    out["gamma_gamma_ok"] = gg.converged
    return out


def _scored(s: pd.DataFrame, bg: Fit, gg: Fit, k: int, horizon: float, discount: float,
            distinct: tuple[list[np.ndarray], np.ndarray]) -> pd.DataFrame:
    """`s` (a summary) with its buyers' scores joined: p_alive, expected_purchases (over `horizon`),
    expected_30d / 90d / 365d, expected_value, predicted_12m_spend. `distinct`: the distinct
    (frequency, recency, T) rows and each buyer's index among them (the BG/NBD formulas run once per
    distinct row)."""
    (xu, txu, Tu), inv = distinct
    x, m = s["frequency"].to_numpy(dtype=float), s["monetary_value"].to_numpy(dtype=float)
    scores = {"p_alive": p_alive(bg.params, xu, txu, Tu)[inv]}
    per_distinct = {}               # periods → expected purchases per distinct row (the horizon is often 365 days)
    for col, t in (("expected_purchases", horizon), ("expected_30d", 30 / k), ("expected_90d", 90 / k),
                   ("expected_365d", 365 / k)):
        if t in per_distinct:
            scores[col] = per_distinct[t].copy()      # a column of its own, never a view of another
        else:
            scores[col] = per_distinct[t] = expected_purchases(bg.params, t, xu, txu, Tu)[inv]
    value = expected_value(gg.params, x, m) if gg.converged else np.where(x > 0, m, np.nanmean(m))
    scores["expected_value"] = value
    if discount:
        scores["predicted_12m_spend"] = _discounted_spend(bg.params, x, s["recency"].to_numpy(float),
                                                          s["T"].to_numpy(float), value, k, discount)
    else:
        scores["predicted_12m_spend"] = scores["expected_365d"] * value
    # the new columns joined without copying them (setting them one by one copied each: 5M buyers 0.2-0.6 s)
    return pd.concat([s, pd.DataFrame(scores, index=s.index, copy=False)], axis=1)


KEPT_FITS = 4     # fits kept per unit, the last fitted first: the page's date, the backtest's, a few more


def _kept_fits(raw: str | None) -> list[dict]:
    """The fits kept for a unit (a setting's value), the last fitted first ([] when none or damaged)."""
    try:
        kept = json.loads(raw or "{}")
        if isinstance(kept, dict) and "key" in kept:        # kept when one fit per unit was kept
            return [kept]
        return [f for f in kept.get("fits", []) if isinstance(f, dict)]
    except (ValueError, TypeError, AttributeError):
        return []


def _keep_fit(db: Database, unit: str, entry: dict) -> None:
    """Adds a fit in front of those kept, read and written in one transaction (two sessions fitting at
    once keep both)."""
    name = f"model_fit_{unit}"
    try:
        with db.write() as cur:
            row = cur.execute("SELECT value FROM settings WHERE key = ?", [name]).fetchall()
            fits = [entry, *(e for e in _kept_fits(row[0][0] if row else None) if e.get("key") != entry["key"])]
            cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [name, json.dumps({"fits": fits[:KEPT_FITS]})])
    except Exception:  # noqa: BLE001 — a database opened read-only or busy: the fit is still good
        pass


def _fits(db: Database, s: pd.DataFrame, as_of: dt.date, unit: str) -> tuple[Fit, Fit]:
    """Both models fitted on these buyers — or, when they were fitted before on the same data (any
    copy of this database), the same date and unit, the fits kept in the database then (settings
    `model_fit_<unit>`, the last `KEPT_FITS` fitted per unit, so the backtest's calibration fit does
    not push out the page's; reading one writes nothing): the parameters as they were, so every score
    is the same, without fitting again (1M orders: 1.6 s; 10M: ~25 s). The key has the summary's
    definition too (`SUMMARY_DIGEST`)."""
    key = f"{db.content_version()}|{as_of.isoformat()}|{unit}|{len(s)}|{SUMMARY_DIGEST}"
    for entry in _kept_fits(db.get_setting(f"model_fit_{unit}")):
        if entry.get("key") == key:
            try:
                return Fit(**entry["bgnbd"]), Fit(**entry["gamma_gamma"])
            except (TypeError, KeyError):
                break                                  # damaged: fitted again below
    bg = fit_bgnbd(s["frequency"], s["recency"], s["T"])
    gg = fit_gamma_gamma(s["frequency"], s["monetary_value"])
    _keep_fit(db, unit, {"key": key, "bgnbd": _plain(bg), "gamma_gamma": _plain(gg)})
    return bg, gg


def _plain(f: Fit) -> dict:
    """A fit as JSON keeps it (`Fit(**_plain(f))` gives it back, every parameter the same float)."""
    return {**asdict(f), "params": {k: float(v) for k, v in f.params.items()}, "ll": float(f.ll),
            "converged": bool(f.converged), "customers": int(f.customers)}


def _discounted_spend(params, x, tx, TT, value, k: int, monthly_discount: float) -> np.ndarray:
    """Expected spend over the next 12 months: expected purchases × expected value, month by month
    discounted at `monthly_discount` (0: plain expected purchases in 365 days × value)."""
    if not monthly_discount:
        return expected_purchases(params, 365 / k, x, tx, TT) * value
    total = np.zeros(len(x))
    prev = np.zeros(len(x))
    for month in range(1, 13):
        cum = expected_purchases(params, month * 365 / 12 / k, x, tx, TT)
        total += (cum - prev) * value / (1 + monthly_discount) ** month
        prev = cum
    return total


def after_as_of(db: Database, as_of: dt.date, unit: str, s: pd.DataFrame, params: dict) -> dict | None:
    """When orders exist after the as-of date: the periods from the as-of date to the latest order's
    date (time units), the repeat purchase days the model predicts over them for the customers seen
    up to the as-of date, and the purchase days those customers actually made after it."""
    last = db.scalar("SELECT max(ordered_at)::DATE FROM orders")
    if last is None or last <= as_of:
        return None
    k = UNITS[unit]
    periods = (last - as_of).days / k
    predicted = float(expected_purchases(params, periods, s["frequency"], s["recency"], s["T"]).sum())
    actual = int(db.scalar("""
        SELECT count(*) FROM (SELECT DISTINCT cust_no, ordered_at::DATE FROM orders
                              WHERE is_purchase AND cust_no IN (SELECT unnest(?::INTEGER[]))
                                AND ordered_at >= ?::DATE + INTERVAL 1 DAY)""",
                           [[int(c) for c in s["cust_no"]], as_of]) or 0)
    return {"periods": periods, "predicted_repeat_purchases": predicted, "actual_repeat_purchases": actual}


# -- page helpers ------------------------------------------------------------------------------------
def alive_matrix(params: dict, max_frequency: int, max_T: float, steps: int = 25) -> pd.DataFrame:
    """The classic P(alive) matrix: for a customer observed max_T time units, P(alive) by frequency
    (0 … max_frequency) × recency (0 … max_T in `steps` steps). Columns: frequency, recency, p_alive."""
    f = np.arange(0, max_frequency + 1, dtype=float)
    rec = np.linspace(0, max_T, steps)
    ff, rr = np.meshgrid(f, rec, indexing="ij")
    pa = p_alive(params, ff.ravel(), rr.ravel(), np.full(ff.size, max_T))
    return pd.DataFrame({"frequency": ff.ravel().astype(int), "recency": rr.ravel(), "p_alive": pa})


VALUE_BINS = 40          # bars of the page's predicted-value histogram
TOP_BUYERS = 50          # buyers the page lists, by predicted 12-month spend
TOP_COLUMNS = ["cust_no", "frequency", "p_alive", "expected_90d", "expected_365d", "expected_value",
               "predicted_12m_spend"]
# part of a kept view's key: bump it when what a view holds, or how `predict` scores, changes
VIEW_FORMAT = "1"


def value_bins(values, bins: int = VALUE_BINS) -> tuple[np.ndarray, np.ndarray]:
    """(counts, edges) of the predicted-value histogram: `bins` equal bars from 0 to the 99th
    percentile of the finite values, a value above it counted in the last bar (one buyer's fortune
    would otherwise squeeze everyone else into the first)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    top = float(np.quantile(v, 0.99)) if len(v) else 1.0
    return np.histogram(np.clip(v, 0, top), bins=bins, range=(0, max(top, 1e-9)))


def view_of(res: dict) -> dict:
    """What the Predictions page draws from `predict`'s result, without its per-buyer summary: ok,
    problem, unit, customers, repeat_customers, the two fits, and when ok: mean_p_alive, the sums
    expected_365d and predicted_12m_spend, max_frequency, max_T (for the P(alive) matrix), bins
    (`value_bins` of the predicted 12-month spend) and top (the `TOP_BUYERS` largest predicted
    12-month spends, `TOP_COLUMNS`, as `DataFrame.nlargest` orders them)."""
    out = {k: res[k] for k in ("ok", "problem", "unit", "customers", "repeat_customers", "bgnbd", "gamma_gamma")}
    if not res["ok"]:
        return out
    s = res["summary"]
    counts, edges = value_bins(s["predicted_12m_spend"])
    out.update(mean_p_alive=float(s["p_alive"].mean()), expected_365d=float(s["expected_365d"].sum()),
               predicted_12m_spend=float(s["predicted_12m_spend"].sum()), max_frequency=int(s["frequency"].max()),
               max_T=float(s["T"].max()), bins=(counts, edges),
               top=s.nlargest(TOP_BUYERS, "predicted_12m_spend")[TOP_COLUMNS].reset_index(drop=True))
    return out


def _view_json(view: dict) -> dict:
    out = {k: (_plain(v) if isinstance(v, Fit) else v) for k, v in view.items() if k not in ("bins", "top")}
    if "bins" in view:
        out["bins"] = [view["bins"][0].tolist(), view["bins"][1].tolist()]
        out["top"] = {c: view["top"][c].tolist() for c in TOP_COLUMNS}
    return out


def _view_from_json(kept: dict) -> dict:
    view = {k: (Fit(**v) if k in ("bgnbd", "gamma_gamma") and v is not None else v) for k, v in kept.items()}
    if "bins" in kept:
        view["bins"] = (np.array(kept["bins"][0], dtype=np.int64), np.array(kept["bins"][1], dtype=float))
        view["top"] = pd.DataFrame(kept["top"]).astype({"cust_no": "int64", "frequency": "int64"})
    return view


def page_view(db: Database, as_of: dt.date, unit: str) -> dict:
    """`view_of(predict(db, as_of, unit, ids=False))`, read back when it was kept for the same data,
    date, unit and definitions (setting `kept_view_<unit>`; JSON gives every float back exactly, so
    each number is the one computed). Kept, in the background, when the date is the latest order's
    or later, as the per-buyer summary is: a later first visit to the page reads a few kilobytes
    instead of scoring every buyer (10M orders, 5M buyers: ~2 s). No customer ids are kept (the page
    looks up those it shows), so a deleted member leaves no trace here."""
    key = f"{db.content_version()}|{as_of.isoformat()}|{unit}|{SUMMARY_DIGEST}|{VIEW_FORMAT}"
    name = f"kept_view_{unit}"
    try:
        kept = json.loads(db.get_setting(name) or "{}")
        if isinstance(kept, dict) and kept.get("key") == key:
            return _view_from_json(kept["view"])
    except (ValueError, TypeError, KeyError, AttributeError):
        pass                                     # damaged: computed again below
    view = view_of(predict(db, as_of, unit, ids=False))
    latest = default_as_of(db)
    if latest is not None and as_of >= latest and not db.read_only:
        _in_background(_keep_view, db, name, key, _view_json(view))
    return view


def member_prediction(db: Database, as_of: dt.date, unit: str, cust_no: int) -> dict:
    """One buyer's scores with the fits of `page_view` (kept: no one else is scored): {ok, problem,
    unit, as_of, bgnbd, gamma_gamma, row}, `row` the buyer's row of `predict`'s summary (cust_no,
    frequency, recency, T, monetary_value, p_alive, expected_purchases, expected_30d, expected_90d,
    expected_365d, expected_value, predicted_12m_spend; each the same number) or None when they had
    bought nothing by the as-of date. When Gamma-Gamma did not converge, a repeat buyer's value is
    their own mean and a one-time buyer's the mean over every buyer: then `predict` gives it."""
    view = page_view(db, as_of, unit)
    out = {k: view[k] for k in ("ok", "problem", "unit", "bgnbd", "gamma_gamma")} | {"as_of": as_of, "row": None}
    if not view["ok"]:
        return out
    if not view["gamma_gamma"].converged:
        s = predict(db, as_of, unit, ids=False)["summary"]
        rows = s[s["cust_no"] == cust_no]
        return out | {"row": rows.iloc[0] if len(rows) else None}
    k = UNITS[unit]
    # the buyer's filter reaches the scan of the purchases: ~15 ms at 10M orders
    one = db.query_columns("SELECT * FROM (" + SUMMARY_SQL.format(customer_id="", customers="")
                           + ") WHERE cust_no = ?", [as_of, as_of, k, k, int(cust_no)])
    if one.empty:
        return out
    one = one.astype({"cust_no": "int64", "frequency": "int64"})
    rows = ([one[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")], np.arange(len(one)))
    scored = _scored(one, view["bgnbd"], view["gamma_gamma"], k, 365 / k, 0.0, rows)   # as the page's predict
    return out | {"row": scored.iloc[0]}


def _keep_view(db: Database, name: str, key: str, view: dict) -> None:
    try:
        with db.write() as cur:
            if key.startswith(f"{db.content_version()}|"):     # else the data changed meanwhile: not kept
                cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)",
                            [name, json.dumps({"key": key, "view": view})])
    except Exception:  # noqa: BLE001 — busy, read-only or closed meanwhile: computed again next time
        pass


# Purchase days after the calibration date of the customers who bought before it (day = days after it).
BACKTEST_SQL = """
SELECT cust_no, ordered_at::DATE - ?::DATE AS day FROM orders
WHERE is_purchase AND ordered_at >= ?::DATE + INTERVAL 1 DAY AND ordered_at < ?::DATE + INTERVAL 1 DAY
  AND cust_no IN (SELECT cust_no FROM customer_stats WHERE first_purchase_at < ?::DATE + INTERVAL 1 DAY)
GROUP BY ALL"""


def backtest(db: Database, as_of: dt.date, unit: str = "week", holdout_days: int | None = None) -> dict | None:
    """Calibrate up to as-of − holdout, predict the holdout, compare with what happened: per period the
    cumulative repeat purchase days predicted and made (customers seen by the calibration date), per
    frequency group the mean purchase days predicted and made, and the error of the total. None when
    the data are too short or too thin for a calibration fit."""
    first = db.scalar("SELECT min(ordered_at)::DATE FROM orders WHERE is_purchase")
    if first is None:
        return None
    span = (as_of - first).days
    holdout_days = holdout_days or min(182, span // 3)
    if holdout_days < 14:
        return None
    cal = as_of - dt.timedelta(days=holdout_days)
    res = predict(db, cal, unit, ids=False)
    if not res["ok"]:
        return {"calibration": cal, "ok": False, "problem": res["problem"]}
    s = res["summary"]
    k = UNITS[unit]
    params = res["bgnbd"].params
    (xu, txu, Tu), inv = _unique_rows(s["frequency"], s["recency"], s["T"])
    weight = np.bincount(inv, minlength=len(xu))
    made = db.frame(BACKTEST_SQL, [cal, cal, as_of, cal])
    step = 7 if unit == "week" else 1
    days = list(range(step, holdout_days + 1, step)) or [holdout_days]
    made_days = made["day"].to_numpy() if len(made) else np.array([])
    curve = pd.DataFrame({
        "day": [cal + dt.timedelta(days=d) for d in days],
        "predicted": [float((expected_purchases(params, d / k, xu, txu, Tu) * weight).sum()) for d in days],
        "actual": [int((made_days <= d).sum()) for d in days]})
    per_customer = made.groupby("cust_no").size() if len(made) else pd.Series(dtype="int64")
    s = s.assign(predicted=expected_purchases(params, holdout_days / k, xu, txu, Tu)[inv],
                 actual=s["cust_no"].map(per_customer).fillna(0).to_numpy())
    s["group"] = np.minimum(s["frequency"], 7)
    groups = s.groupby("group").agg(customers=("cust_no", "size"), predicted=("predicted", "mean"),
                                    actual=("actual", "mean")).reset_index()
    total_pred, total_act = float(curve["predicted"].iloc[-1]), int(curve["actual"].iloc[-1])
    return {"calibration": cal, "ok": True, "holdout_days": holdout_days, "curve": curve, "groups": groups,
            "predicted": total_pred, "actual": total_act,
            "error": (total_pred - total_act) / total_act if total_act else None, "params": params}


# -- scores for cohorts and target lists --------------------------------------------------------------
def ensure_scores(db: Database, as_of: dt.date) -> dict:
    """Every buyer's scores as of a date (weeks) in the table prediction_scores (cust_no, p_alive,
    expected_365d, predicted_12m_spend), rebuilt when the data or the date changed since. Returns
    {ok, problem} of the fit: with a problem the table is empty (a cohort condition on it gives no one,
    and says why)."""
    key = f"{db.data_version()}|{as_of.isoformat()}"
    if db.get_setting("scores_version") == key and db.query(
            "SELECT 1 FROM information_schema.tables WHERE table_name = 'prediction_scores'"):
        return {"ok": db.get_setting("scores_problem") in (None, ""), "problem": db.get_setting("scores_problem") or None}
    res = predict(db, as_of, "week", ids=False)
    frame = (res["summary"][["cust_no", "p_alive", "expected_365d", "predicted_12m_spend"]] if res["ok"]
             else pd.DataFrame({"cust_no": [], "p_alive": [], "expected_365d": [], "predicted_12m_spend": []}))
    with db.write() as cur:
        cur.register("scores_df", frame)
        cur.execute("""CREATE OR REPLACE TABLE prediction_scores AS
                       SELECT cust_no::INTEGER AS cust_no, p_alive::DOUBLE AS p_alive,
                              expected_365d::DOUBLE AS expected_365d,
                              predicted_12m_spend::DOUBLE AS predicted_12m_spend FROM scores_df""")
        cur.unregister("scores_df")
        cur.execute("INSERT OR REPLACE INTO settings VALUES ('scores_version', ?)", [key])
        cur.execute("INSERT OR REPLACE INTO settings VALUES ('scores_problem', ?)", [res["problem"] or ""])
    return {"ok": res["ok"], "problem": res["problem"]}


def next_purchase_in(params: dict, frequency, recency, T, max_t: float) -> np.ndarray:
    """Time units until the expected number of purchases reaches one (the expected date of the next
    purchase, as-of + this); NaN when it does not within `max_t` (likely gone, or very slow)."""
    x, tx, TT = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (frequency, recency, T))
    lo, hi = np.zeros(len(x)), np.full(len(x), float(max_t))
    reach = expected_purchases(params, max_t, x, tx, TT) >= 1
    for _ in range(30):
        mid = (lo + hi) / 2
        up = expected_purchases(params, mid, x, tx, TT) >= 1
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    return np.where(reach, hi, np.nan)


NEXT_PURCHASE_WITHIN_DAYS = 3 * 365


def next_purchase_date(res: dict, row) -> dt.date | None:
    """The expected date of a customer's next purchase (a row of `predict`'s summary): the as-of date
    plus the time until their expected purchases reach one; None beyond three years."""
    k = UNITS[res["unit"]]
    wait = next_purchase_in(res["bgnbd"].params, row["frequency"], row["recency"], row["T"],
                            NEXT_PURCHASE_WITHIN_DAYS / k)[0]
    return None if np.isnan(wait) else res["as_of"] + dt.timedelta(days=float(wait) * k)
