"""The command line (stable: tests and automation rely on it; see the README, "Command line").

    python -m crm --db PATH import FILE [FILE…] [--format NAME] [--map FIELD=COLUMN …] [--json]
    python -m crm --db PATH summary [--as-of YYYY-MM-DD] --json
    python -m crm --db PATH cohort [--as-of …] [--days-since-last-min N] [--days-since-last-max N] [filters…]
                                   [--preset ID | --saved NAME] [--save NAME]
                                   [--export FILE.csv|FILE.xlsx|FILE.txt] [--columns a,b,…] [--include-contacts] [--json]
    python -m crm --db PATH tags list|create NAME|rename OLD NEW|delete NAME|add NAME [filters…]|remove NAME [filters…]
                                 |move FROM TO [filters…]
    python -m crm hash-password      (asks for a password, or reads one line from stdin; prints the
                                      [auth_password] lines for .streamlit/secrets.toml)

Exit status 0 on success; 1 when a file is refused (one line per file says why); 2 for a usage
problem or a database that cannot be opened. Never a traceback.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from .i18n import cli_lang, fmt_int, fmt_money, fmt_pct, msg, t


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
    coh = sub.add_parser("cohort", help="a cohort of customers: size, GMV, level mix; export the target list")
    _cohort_args(coh)
    coh.add_argument("--save", metavar="NAME", help="save the definition under this name")
    coh.add_argument("--export", metavar="FILE", help="write the target list: .csv, .xlsx or .txt (names only)")
    coh.add_argument("--columns", help="comma-separated columns of the list: " + ", ".join(_list_columns()))
    coh.add_argument("--include-contacts", action="store_true", help="phone, receiver and address, unmasked")
    coh.add_argument("--offer", help="text of the suggested offer column")
    coh.add_argument("--limit", type=int, help="at most this many rows in the export (highest spend first)")
    coh.add_argument("--json", action="store_true")
    tags = sub.add_parser("tags", help="customer tags")
    tsub = tags.add_subparsers(dest="tags_command", required=True)
    tl = tsub.add_parser("list", help="tags and their member counts")
    tl.add_argument("--json", action="store_true")
    tsub.add_parser("create", help="create a tag").add_argument("name")
    tr = tsub.add_parser("rename", help="rename a tag")
    tr.add_argument("old")
    tr.add_argument("new")
    tsub.add_parser("delete", help="delete a tag and its assignments").add_argument("name")
    for name, help_ in (("add", "tag a cohort (creates the tag if needed)"),
                        ("remove", "untag a cohort (everyone with the tag when no filter is given)")):
        tp = tsub.add_parser(name, help=help_)
        tp.add_argument("name")
        _cohort_args(tp)
    tm = tsub.add_parser("move", help="move a cohort's members from one tag to another")
    tm.add_argument("old")
    tm.add_argument("new")
    _cohort_args(tm)
    from .cli_campaigns import add_parsers
    from .cli_predict import add_parser as add_predict
    add_parsers(sub, _cohort_args)
    add_predict(sub)
    hp = sub.add_parser("hash-password", help="make the password hash of the login gate (.streamlit/secrets.toml)")
    hp.add_argument("--iterations", type=int, default=600_000, help=argparse.SUPPRESS)
    return p


def _list_columns():
    from .cohorts import LIST_COLUMNS
    return LIST_COLUMNS


def _cohort_args(p: argparse.ArgumentParser) -> None:
    """The cohort filters, shared by `cohort` and `tags add/remove/move`. Values are checked by
    CohortSpec (one translated line on a bad value)."""
    from .cohorts import PRESETS
    from .segments import STAGES
    p.add_argument("--as-of", dest="as_of", help="default: the date of the latest order")
    p.add_argument("--days-since-last-min", dest="days_min", metavar="N")
    p.add_argument("--days-since-last-max", dest="days_max", metavar="N")
    p.add_argument("--stage", dest="stages", action="append", default=[], choices=STAGES)
    p.add_argument("--purchases-min", dest="purchases_min", metavar="N")
    p.add_argument("--purchases-max", dest="purchases_max", metavar="N")
    p.add_argument("--spend-min", dest="spend_min", metavar="X")
    p.add_argument("--spend-max", dest="spend_max", metavar="X")
    p.add_argument("--aov-min", dest="aov_min", metavar="X", help="the customer's 笔单价 (spend / purchases)")
    p.add_argument("--aov-max", dest="aov_max", metavar="X")
    p.add_argument("--level", dest="levels", action="append", default=[], metavar="N", help="0-4, repeatable")
    p.add_argument("--province", dest="provinces", action="append", default=[], metavar="P")
    p.add_argument("--first-from", dest="first_from", metavar="YYYY-MM-DD", help="first purchase on or after")
    p.add_argument("--first-to", dest="first_to", metavar="YYYY-MM-DD", help="first purchase on or before")
    p.add_argument("--item", dest="item_contains", metavar="TEXT", help="bought an item whose title contains TEXT")
    p.add_argument("--tag", dest="tags_any", action="append", default=[], metavar="NAME", help="has one of these tags")
    p.add_argument("--without-tag", dest="tags_none", action="append", default=[], metavar="NAME",
                   help="has none of these tags")
    p.add_argument("--exclude-contacted-days", dest="not_contacted_days", metavar="D",
                   help="leave out members contacted by a campaign that started in the D days up to the as-of date")
    p.add_argument("--birthday-within", dest="birthday_within_days", metavar="N",
                   help="birthday (from a member export) in the next N days")
    p.add_argument("--p-alive-min", dest="p_alive_min", metavar="P", help="probability still a customer at least P (0–1)")
    p.add_argument("--p-alive-max", dest="p_alive_max", metavar="P", help="probability still a customer below P (0–1)")
    p.add_argument("--predicted-spend-min", dest="predicted_spend_min", metavar="X",
                   help="predicted 12-month spend at least X")
    p.add_argument("--preset", help="start from a preset: " + ", ".join(PRESETS))
    p.add_argument("--k", type=float, default=2.0, help="dormant preset: multiple of the usage cycle (default 2)")
    p.add_argument("--saved", metavar="NAME", help="start from a saved cohort")


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
        if args.command == "hash-password":
            from .auth import hash_password_command
            return hash_password_command(lang, iterations=args.iterations)
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
        if args.command == "cohort":
            as_of = _date(args.as_of, lang)
            ext = _export_ext(args.export, lang)
            db = _open_db(args.db, lang)
            return _cohort(db, args, as_of, ext, lang)
        if args.command == "tags":
            as_of = _date(getattr(args, "as_of", None), lang)
            db = _open_db(args.db, lang)
            return _tags(db, args, as_of, lang)
        if args.command == "predict":
            from . import cli_predict
            db = _open_db(args.db, lang)
            return cli_predict.run(db, args, lang, _date)
        if args.command in ("optout", "campaign"):
            from . import cli_campaigns
            db = _open_db(args.db, lang)
            return cli_campaigns.run(db, args, lang, _date, _cohort_context, _export_ext)
        return 2
    except _Usage as e:
        print(str(e), file=sys.stderr)
        return 2
    except ValueError as e:
        from .cohorts import KeyedError
        if not isinstance(e, KeyedError):
            raise
        print(e.text(lang), file=sys.stderr)  # a bad value given by the user: one translated line
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
                if r.returns_lines:
                    print(t("cli_returns", lang, lines=fmt_int(r.returns_lines, lang),
                            amount=fmt_money(r.returns_amount, lang)))
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


# -- cohorts and tags ------------------------------------------------------------------------------
_SPEC_ARGS = ("days_min", "days_max", "stages", "purchases_min", "purchases_max", "spend_min", "spend_max",
              "aov_min", "aov_max", "levels", "provinces", "first_from", "first_to", "item_contains", "tags_any",
              "tags_none", "not_contacted_days", "birthday_within_days", "p_alive_min", "p_alive_max",
              "predicted_spend_min")


def _export_ext(path, lang) -> str | None:
    if not path:
        return None
    from pathlib import Path

    from .exports import TARGET_EXTENSIONS
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in TARGET_EXTENSIONS:
        raise _Usage(t("export_error_extension", lang, ext=ext or "?", valid=", ".join(TARGET_EXTENSIONS)))
    return ext


def _cohort_context(db, args, as_of):
    """(as_of, rules, thresholds, spec) from the shared cohort arguments."""
    from dataclasses import replace

    from .cohorts import PRESETS, CohortSpec, KeyedError, load_cohort, presets
    from .levels import load_rules
    from .segments import load_thresholds
    from .summary import default_as_of
    as_of = as_of or default_as_of(db) or dt.date.today()
    rules, thresholds = load_rules(db), load_thresholds(db)
    if args.preset and args.saved:
        raise KeyedError("cohorts_error_preset_and_saved")
    spec = CohortSpec()
    if args.preset:
        if args.preset not in PRESETS:
            raise KeyedError("cohorts_error_unknown_preset", value=args.preset, valid=", ".join(PRESETS))
        spec = presets(db, as_of, rules, thresholds, k=args.k)[args.preset]
    elif args.saved:
        spec = load_cohort(db, args.saved)
    changes = {k: getattr(args, k) for k in _SPEC_ARGS if getattr(args, k) not in (None, [], "")}
    spec = replace(spec, **changes)
    problems = spec.validate()
    if problems:
        raise problems[0]
    return as_of, rules, thresholds, spec


def _cohort(db, args, as_of, ext, lang) -> int:
    from pathlib import Path

    from .cohorts import LIST_COLUMNS, KeyedError, describe, member_list, report, save_cohort
    from .exports import to_csv_bytes, to_txt_bytes, to_xlsx_bytes
    from .levels import level_name
    from .segments import stage_name
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    for c in columns or ():
        if c not in LIST_COLUMNS:
            raise KeyedError("cohorts_error_column", value=c, valid=", ".join(LIST_COLUMNS))
    as_of, rules, thresholds, spec = _cohort_context(db, args, as_of)
    out = report(db, spec, as_of, rules, thresholds)
    saved = save_cohort(db, args.save, spec) if args.save else None
    exported, rows = None, 0
    if ext:
        if ext == "txt":
            df = member_list(db, spec, as_of, rules, thresholds, lang, columns=["name"], limit=args.limit)
            data = to_txt_bytes(df.iloc[:, 0])
        else:
            df = member_list(db, spec, as_of, rules, thresholds, lang, columns=columns,
                             include_contacts=args.include_contacts, offer=args.offer, limit=args.limit)
            data = to_csv_bytes(df) if ext == "csv" else to_xlsx_bytes(df, "cohort")
        path = Path(args.export).expanduser()
        path.write_bytes(data)
        exported, rows = str(path.resolve()), len(df)
    if args.json:
        out = {"as_of": out.pop("as_of"), "members": out.pop("members"), "gmv": out.pop("gmv"),
               "purchases": out.pop("purchases"), "spec": out.pop("spec"), "exported": exported,
               "exported_rows": rows if exported else None, "saved": saved, **out}
        print(json.dumps(out, ensure_ascii=False, indent=2, default=_json_default))
        return 0
    lines = [(t("as_of_label", lang), out["as_of"]),
             (t("cohorts_members", lang), t("cohorts_members_line", lang, members=f"{out['members']:,}",
                                            share=fmt_pct(out["share"], lang), buyers=f"{out['buyers']:,}")),
             (t("cohorts_gmv", lang), fmt_money(out["gmv"], lang)),
             (t("cohorts_purchases", lang), f"{out['purchases']:,}")]
    width = max(len(k) for k, _ in lines)
    for k, v in lines:
        print(f"{k.ljust(width)}  {v}")
    for line in describe(spec, lang):
        print(f"  · {line}")
    print(t("cohorts_level_mix", lang))
    for r in out["level_mix"]:
        print(f"  {level_name(r['level_code'], lang)}  {r['members']:,}  {fmt_money(r['gmv'], lang)}")
    print(t("cohorts_stage_mix", lang))
    for r in out["stage_mix"]:
        print(f"  {stage_name(r['stage'], lang)}  {r['members']:,}  {fmt_money(r['gmv'], lang)}")
    if saved:
        print(t("cohorts_saved", lang, name=saved))
    if exported:
        print(t("cohorts_exported", lang, rows=f"{rows:,}", path=exported))
    return 0


def _tags(db, args, as_of, lang) -> int:
    from . import tags as T
    from .cohorts import members_sql
    from .sql import Q
    cmd = args.tags_command
    if cmd == "list":
        df = T.list_tags(db)
        if args.json:
            print(json.dumps([{"name": r.name, "members": int(r.members)} for r in df.itertuples()],
                             ensure_ascii=False, indent=2))
        elif df.empty:
            print(t("tags_none", lang))
        else:
            for r in df.itertuples():
                print(f"{r.name}\t{int(r.members):,}")
        return 0
    if cmd == "create":
        T.create_tag(db, args.name)
        print(t("tags_created", lang, name=args.name.strip()))
        return 0
    if cmd == "rename":
        T.rename_tag(db, args.old, args.new)
        print(t("tags_renamed", lang, old=args.old.strip(), new=args.new.strip()))
        return 0
    if cmd == "delete":
        n = T.delete_tag(db, args.name)
        print(t("tags_deleted", lang, name=args.name.strip(), members=f"{n:,}"))
        return 0
    as_of, rules, thresholds, spec = _cohort_context(db, args, as_of)
    unfiltered = spec.is_empty() and not args.preset and not args.saved
    from .cohorts import complete_history, prepare
    prepare(db, spec, as_of)
    cohort = members_sql(spec, as_of, rules, thresholds, fast=complete_history(db, as_of))
    if cmd == "add":
        members = db.scalar(Q("SELECT count(*) FROM ({cohort}) s").fill(cohort=cohort))
        added = T.add_to_tag(db, args.name, cohort, create=True)
        print(t("tags_added", lang, name=args.name.strip(), added=f"{added:,}", members=f"{members:,}"))
    elif cmd == "remove":
        removed = T.remove_from_tag(db, args.name, None if unfiltered else cohort)
        print(t("tags_removed", lang, name=args.name.strip(), removed=f"{removed:,}"))
    else:
        moved = T.move_to_tag(db, args.old, args.new, None if unfiltered else cohort, create=True)
        print(t("tags_moved", lang, old=args.old.strip(), new=args.new.strip(), moved=f"{moved:,}"))
    return 0


REPORT_SECTIONS = ("levels", "timing", "amount", "counts", "lifecycle")


def _report(db, as_of, start, end, levels) -> int:
    import importlib

    from .filters import Filters
    from .levels import load_rules
    from .summary import default_as_of, summary, to_json_ready
    from .trends import anomalies, weekly_trend
    as_of = as_of or default_as_of(db) or dt.date.today()
    f = Filters(as_of=as_of, start=start, end=end, levels=tuple(levels), rules=load_rules(db),
                data_last_day=default_as_of(db))
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
