"""The command line's `predict` command:

    python -m crm predict [--as-of D] [--time-unit day|week] [--horizon N] [--customer KEY …]
                          [--discount RATE] [--export FILE] [--json]
"""
from __future__ import annotations

import json
from pathlib import Path

from . import predictions as P
from .campaigns import normalize_key
from .i18n import fmt_int, t
from .numbers import num


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="BG/NBD and Gamma-Gamma: who is still a customer, what they are worth")
    p.add_argument("--as-of", dest="as_of", help="fit on purchases up to this day (default: the latest order)")
    p.add_argument("--time-unit", dest="unit", default="week", choices=tuple(P.UNITS))
    p.add_argument("--horizon", type=float, help="expected purchases over this many time units (default: a year)")
    p.add_argument("--customer", dest="customers", action="append", default=[], metavar="KEY")
    p.add_argument("--discount", type=float, default=0.0, help="monthly discount rate of the 12-month spend")
    p.add_argument("--export", metavar="FILE", help="every member's scores (.csv or .xlsx)")
    p.add_argument("--json", action="store_true")



def run(db, args, lang, date) -> int:
    from .cli import _Usage
    from .summary import default_as_of
    as_of = date(args.as_of, lang) or default_as_of(db)
    if as_of is None:
        raise _Usage(t("predict_problem_no_buyers", lang))
    res = P.predict(db, as_of, args.unit, args.horizon, args.discount)
    s = res["summary"]
    out = {"as_of": as_of.isoformat(), "time_unit": args.unit, "horizon": res["horizon"],
           "customers_fitted": res["customers"], "repeat_customers": res["repeat_customers"],
           "ok": res["ok"], "problem": res["problem"] and t(res["problem"], lang, n=P.MIN_REPEAT),
           "bgnbd": P.fmt_params(res["bgnbd"].params) if res["bgnbd"] else None,
           "gamma_gamma": P.fmt_params(res["gamma_gamma"].params) if res["gamma_gamma"] else None}
    if not res["ok"]:
        # the usage-cycle estimate instead, labelled as such (median / P80 days between purchase days)
        from .analysis.timing import usage_cycle
        from .filters import Filters
        from .levels import load_rules
        cycle = usage_cycle(db, Filters(as_of=as_of, rules=load_rules(db)))
        out["fallback"] = {"method": "usage_cycle", "median_days": cycle.get("median_days"),
                           "p80_days": cycle.get("p80_days"), "label": t("predict_fallback_label", lang)}
    if res["ok"]:
        out["bgnbd_standard_errors"] = {k: num(v, 6) for k, v in P.standard_errors(s, res["bgnbd"]).items()}
        out["customers"] = []
        by_key = s.set_index("customer_id")
        for key in args.customers:
            k = normalize_key(key)
            if k not in by_key.index:
                out["customers"].append({"customer": key, "found": False})
                continue
            r = by_key.loc[k]
            nxt = P.next_purchase_date(res, r)
            out["customers"].append({
                "customer": k, "found": True, "frequency": int(r["frequency"]), "recency": num(r["recency"], 6),
                "T": num(r["T"], 6), "p_alive": num(r["p_alive"], 6), "expected_purchases": num(r["expected_purchases"], 6),
                "expected_value_per_purchase": num(r["expected_value"], 6),
                "predicted_12m_spend": num(r["predicted_12m_spend"], 2),
                "expected_next_purchase": nxt and nxt.isoformat()})
        after = P.after_as_of(db, as_of, args.unit, s, res["bgnbd"].params)
        if after:
            out["after_as_of"] = {k: num(v, 6) if isinstance(v, float) else v for k, v in after.items()}
        if args.export:
            _export(s, Path(args.export).expanduser(), lang)
            out["exported"] = str(Path(args.export).expanduser().resolve())
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        if not res["ok"]:
            print(out["problem"])
            f = out["fallback"]
            if f["median_days"] is not None:
                print(t("predict_fallback_cycle", lang, median=f"{f['median_days']:.0f}",
                        p80=f"{f['p80_days']:.0f}" if f["p80_days"] is not None else "—"))
        else:
            print(t("predict_cli_fit", lang, n=fmt_int(res["customers"], lang),
                    **{k: f"{v:.4g}" for k, v in out["bgnbd"].items()}))
            print(t("predict_cli_gg", lang, **{k: f"{v:.4g}" for k, v in out["gamma_gamma"].items()}))
            for c in out["customers"]:
                print(json.dumps(c, ensure_ascii=False))
            if "after_as_of" in out:
                a = out["after_as_of"]
                print(t("predict_cli_after", lang, periods=f"{a['periods']:.1f}", unit=args.unit,
                        predicted=f"{a['predicted_repeat_purchases']:.1f}", actual=a["actual_repeat_purchases"]))
    return 0


def _export(s, path: Path, lang: str) -> None:
    from .exports import to_csv_bytes, to_xlsx_bytes
    cols = {"customer_id": "customer", "frequency": "frequency", "recency": "recency", "T": "T",
            "p_alive": "p_alive", "expected_30d": "expected_purchases_30d", "expected_90d": "expected_purchases_90d",
            "expected_365d": "expected_purchases_365d", "expected_value": "expected_value_per_purchase",
            "predicted_12m_spend": "predicted_12m_spend"}
    df = s[list(cols)].rename(columns=cols)
    data = to_xlsx_bytes(df, "predictions") if path.suffix.lower() == ".xlsx" else to_csv_bytes(df)
    path.write_bytes(data)
