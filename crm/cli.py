"""The command line (stable: tests and automation rely on it; see DESIGN.md).

    python -m crm --db PATH import FILE [FILE…] [--format NAME] [--map FIELD=COLUMN …] [--json]
    python -m crm --db PATH summary [--as-of YYYY-MM-DD] --json

Exit status 0 on success; 1 when a file is refused (one line per file says why); 2 for a usage
problem or a database that cannot be opened. Never a traceback.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from .i18n import cli_lang, fmt_money, fmt_pct, msg, t


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m crm", description="Member analytics desk: command line")
    p.add_argument("--db", help="database file (default: $CRM_DB, then data/crm.duckdb)")
    sub = p.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import export files")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--format", dest="format_name", help="force a format (taobao_orders, shopify_orders, generic…)")
    imp.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                     help="map a canonical field to a column (name, columnN or 1-based number)")
    imp.add_argument("--no-remember", dest="remember", action="store_false",
                     help="do not remember --map for later files with the same header")
    imp.add_argument("--json", action="store_true", help="print the results as JSON")
    summ = sub.add_parser("summary", help="headline numbers")
    summ.add_argument("--as-of", dest="as_of")
    summ.add_argument("--start")
    summ.add_argument("--json", action="store_true")
    rep = sub.add_parser("report", help="every analysis's numbers (JSON)")
    rep.add_argument("--as-of", dest="as_of")
    rep.add_argument("--start", help="first order day in scope")
    rep.add_argument("--end", help="last order day in scope")
    rep.add_argument("--level", dest="levels", action="append", type=int, default=[], choices=range(5),
                     help="member level code 0-4 (repeatable)")
    rep.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    return p


class _Usage(Exception):
    pass


def _date(value: str | None, lang: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _Usage(t("cli_bad_date", lang, value=value)) from None


def _open_db(path, lang):
    import duckdb

    from .db import Database, resolve_path
    try:
        return Database(path)
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise _Usage(t("cli_db_locked", lang, path=resolve_path(path))) from None
        raise _Usage(str(e).splitlines()[0]) from None


def main(argv: list[str] | None = None) -> int:
    lang = cli_lang()
    args = _parser().parse_args(argv)
    db = None
    try:
        if args.command == "import":
            mapping = {}
            for item in args.map:
                if "=" not in item:
                    raise _Usage(t("cli_bad_map", lang))
                k, v = item.split("=", 1)
                mapping[k.strip()] = v.strip()
            db = _open_db(args.db, lang)
            return _import(db, args, mapping, lang)
        if args.command == "report":
            as_of, start, end = _date(args.as_of, lang), _date(args.start, lang), _date(args.end, lang)
            db = _open_db(args.db, lang)
            return _report(db, as_of, start, end, args.levels)
        if args.command == "summary":
            as_of, start = _date(args.as_of, lang), _date(args.start, lang)
            db = _open_db(args.db, lang)
            return _summary(db, as_of, start, args.json, lang)
        return 2
    except _Usage as e:
        print(str(e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # the one place a surprise becomes one line, not a traceback
        print(t("error_generic", lang, detail=f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"),
              file=sys.stderr)
        return 1
    finally:
        if db is not None:
            db.close()


def _import(db, args, mapping, lang) -> int:
    from .importing import import_file
    results = []
    for f in args.files:
        r = import_file(db, f, format_name=args.format_name, mapping=mapping or None,
                        remember_mapping=args.remember)
        results.append(r)
        if not args.json:
            if r.ok:
                key = "cli_imported_members" if r.kind == "members" else "cli_imported"
                new = r.members_new if r.kind == "members" else (r.items_new if r.kind == "items" else r.orders_new)
                updated = r.members_updated if r.kind == "members" else (
                    r.items_updated if r.kind == "items" else r.orders_updated)
                print(t(key, lang, file=r.file_name, format=r.format, rows=r.rows_read, new=new,
                        updated=updated, unchanged=r.orders_unchanged, rejected=r.rows_rejected))
                for w in r.warnings:
                    print("  ! " + msg(w, lang))
            else:
                print(t("cli_refused", lang, file=r.file_name, reason=msg(r.message, lang)), file=sys.stderr)
    if args.json:
        out = []
        for r in results:
            d = r.to_dict()
            d["message_text"] = msg(r.message, lang) if r.message else None
            d["warnings_text"] = [msg(w, lang) for w in r.warnings]
            out.append(d)
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        for r in results:
            if not r.ok:
                print(t("cli_refused", lang, file=r.file_name, reason=msg(r.message, lang)), file=sys.stderr)
    return 0 if all(r.ok for r in results) else 1


def _summary(db, as_of, start, as_json, lang) -> int:
    from .summary import summary, to_json_ready
    s = summary(db, as_of=as_of, start=start)
    if as_json:
        print(json.dumps(to_json_ready(s), ensure_ascii=False, indent=2))
        return 0
    rows = [
        (t("as_of_label", lang), s["as_of"]),
        (t("metric_members", lang), f"{s['members']:,}"),
        (t("metric_buyers", lang), f"{s['buyers']:,}"),
        (t("metric_orders", lang), f"{s['orders']:,}"),
        (t("metric_gmv", lang), fmt_money(s["gmv"], lang)),
        (t("metric_aov", lang), fmt_money(s["avg_order_value"], lang)),
        (t("metric_aspb", lang), fmt_money(s["avg_spend_per_buyer"], lang)),
        (t("metric_repeat_buyers", lang), f"{s['repeat_buyers']:,}"),
        (t("metric_repurchase", lang), fmt_pct(s["repurchase_rate"], lang)),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}")
    return 0


REPORT_SECTIONS = ("levels", "timing", "amount", "counts", "lifecycle")


def _report(db, as_of, start, end, levels) -> int:
    import importlib

    from .filters import Filters
    from .levels import load_rules
    from .summary import default_as_of, summary, to_json_ready
    from .trends import anomalies, weekly_trend
    as_of = as_of or default_as_of(db) or dt.date.today()
    f = Filters(as_of=as_of, start=start, end=end, levels=tuple(levels), rules=load_rules(db))
    out: dict = {"as_of": as_of.isoformat(), "start": start.isoformat() if start else None,
                 "end": (end or as_of).isoformat(), "level_filter": list(levels)}
    out["summary"] = to_json_ready(summary(db, as_of=f.last_day, start=start))
    weekly = weekly_trend(db, as_of)
    out["weekly_trend"] = [{"week_end": r.week_end.strftime("%Y-%m-%d"), "purchases": int(r.purchases),
                            "buyers": int(r.buyers), "gmv": round(float(r.gmv), 2),
                            "avg_spend_per_buyer": None if r.avg_spend_per_buyer != r.avg_spend_per_buyer
                            else float(r.avg_spend_per_buyer),
                            "repurchase_rate_4w": None if r.repurchase_rate != r.repurchase_rate
                            else float(r.repurchase_rate)} for r in weekly.itertuples()]
    out["anomalies"] = anomalies(weekly)
    for name in REPORT_SECTIONS:
        try:
            module = importlib.import_module(f".analysis.{name}", __package__)
        except ImportError:
            continue
        out[name] = module.report(db, f)
    if "counts" in out and "purchase_counts" in out["counts"]:
        out["purchase_counts"] = out["counts"]["purchase_counts"]
    print(json.dumps(out, ensure_ascii=False, indent=2, default=_json_default))
    return 0


def _json_default(v):
    from decimal import Decimal
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return str(v)
