"""The command line's `optout` and `campaign` commands (see crm/cli.py for the rest):

    python -m crm optout add FILE | remove FILE | list [--json]
    python -m crm campaign create NAME [cohort filters…] [--holdout 0.1] [--seed N] [--start D] [--window 14]
                                  [--offer 满X减Y] [--channel sms] [--export FILE] [--json]
    python -m crm campaign import NAME --treatment FILE --holdout FILE --start D [--window 14] [--json]
    python -m crm campaign members NAME --group treatment|holdout [--export FILE] [--json]
    python -m crm campaign report NAME [--json] [--xlsx FILE]
    python -m crm campaign list [--json]
    python -m crm campaign delete NAME
    python -m crm campaign plan add NAME --cohort SAVED | --birthday-days N … ; plan list ; plan delete NAME
    python -m crm campaign run-due [--today D] [--out DIR] [--json]
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from . import campaigns as C
from .i18n import fmt_int, t


def add_parsers(sub, cohort_args) -> None:
    opt = sub.add_parser("optout", help="the opt-out (退订) list: never in a campaign or a target list")
    osub = opt.add_subparsers(dest="optout_command", required=True)
    osub.add_parser("add", help="add the buyer keys of a file (one per line)").add_argument("file")
    osub.add_parser("remove", help="remove the buyer keys of a file (one per line)").add_argument("file")
    ol = osub.add_parser("list", help="the opt-out list")
    ol.add_argument("--json", action="store_true")

    cam = sub.add_parser("campaign", help="campaigns with a holdout, and their measured effect")
    csub = cam.add_subparsers(dest="campaign_command", required=True)
    cc = csub.add_parser("create", help="create a campaign from a cohort, with a random holdout")
    cc.add_argument("name")
    cohort_args(cc)
    cc.add_argument("--holdout", type=float, default=C.DEFAULT_HOLDOUT, help="holdout share (default 0.1)")
    cc.add_argument("--seed", type=int, help="random seed of the split (recorded; default: drawn)")
    cc.add_argument("--start", help="start date (default: the day after the as-of date)")
    cc.add_argument("--window", type=int, default=C.DEFAULT_WINDOW, help="attribution window in days (default 14)")
    cc.add_argument("--offer", help="the coupon, 满X减Y")
    cc.add_argument("--channel", default="sms", choices=C.CHANNELS)
    cc.add_argument("--margin", type=float, help="gross margin for the report (default: the setting, 0.4)")
    cc.add_argument("--message-cost", dest="message_cost", type=float, help="cost per message (default 0.05)")
    cc.add_argument("--export", metavar="FILE", help="write the contacted group's target list (.csv/.xlsx/.txt)")
    cc.add_argument("--json", action="store_true")
    ci = csub.add_parser("import", help="register a campaign run elsewhere from its two lists of buyer keys")
    ci.add_argument("name")
    ci.add_argument("--treatment", required=True, metavar="FILE", help="contacted buyer keys, one per line")
    ci.add_argument("--holdout", required=True, metavar="FILE", help="control buyer keys, one per line")
    ci.add_argument("--start", required=True)
    ci.add_argument("--window", type=int, default=C.DEFAULT_WINDOW)
    ci.add_argument("--channel", default="sms", choices=C.CHANNELS)
    ci.add_argument("--offer")
    ci.add_argument("--json", action="store_true")
    cm = csub.add_parser("members", help="one group's members (the holdout: for the record, never to contact)")
    cm.add_argument("name")
    cm.add_argument("--group", required=True, choices=C.GROUPS)
    cm.add_argument("--export", metavar="FILE")
    cm.add_argument("--json", action="store_true")
    cr = csub.add_parser("report", help="the campaign's effect")
    cr.add_argument("name")
    cr.add_argument("--margin", type=float)
    cr.add_argument("--message-cost", dest="message_cost", type=float)
    cr.add_argument("--xlsx", metavar="FILE", help="also write the report as XLSX")
    cr.add_argument("--json", action="store_true")
    cl = csub.add_parser("list", help="every campaign with its status and result")
    cl.add_argument("--json", action="store_true")
    csub.add_parser("delete", help="delete a campaign").add_argument("name")
    pl = csub.add_parser("plan", help="contact plans: a saved cohort (or birthdays) on a cadence")
    psub = pl.add_subparsers(dest="plan_command", required=True)
    pa = psub.add_parser("add", help="add a plan")
    pa.add_argument("name")
    pa.add_argument("--cohort", help="the saved cohort to contact")
    pa.add_argument("--birthday-days", dest="birthday_days", type=int, help="a birthday plan: birthdays in N days")
    pa.add_argument("--cadence", default="weekly", choices=("daily", "weekly", "monthly"))
    pa.add_argument("--holdout", type=float, default=C.DEFAULT_HOLDOUT)
    pa.add_argument("--cap-days", dest="cap_days", type=int, default=None,
                    help="leave out members contacted in the last N days (default: the setting)")
    pa.add_argument("--channel", default="sms", choices=C.CHANNELS)
    pa.add_argument("--window", type=int, default=C.DEFAULT_WINDOW)
    pa.add_argument("--offer")
    pa.add_argument("--first", help="first run date (default: today)")
    pll = psub.add_parser("list")
    pll.add_argument("--json", action="store_true")
    psub.add_parser("delete").add_argument("name")
    rd = csub.add_parser("run-due", help="create the campaigns that are due and write their target lists")
    rd.add_argument("--today", help="the day to run for (default: today)")
    rd.add_argument("--out", default="campaign_lists", help="folder for the target lists (default ./campaign_lists)")
    rd.add_argument("--json", action="store_true")


def _dump(value) -> None:
    print(C.to_json(value))


def run(db, args, lang, date, cohort_context, export_ext) -> int:
    from .cli import _Usage
    if args.command == "optout":
        return _optout(db, args, lang)
    cmd = args.campaign_command
    if cmd == "create":
        return _create(db, args, lang, date, cohort_context, export_ext)
    if cmd == "import":
        start = date(args.start, lang)
        out = C.import_lists(db, args.name, C.read_keys(args.treatment), C.read_keys(args.holdout), start,
                             window=args.window, channel=args.channel, offer=args.offer)
        if args.json:
            _dump(out)
        else:
            print(t("campaign_imported", lang, name=out["name"], treatment=fmt_int(out["treatment"], lang),
                    holdout=fmt_int(out["holdout"], lang), opted_out=fmt_int(out["opted_out"], lang),
                    unknown=fmt_int(out["unknown"], lang)))
        return 0
    if cmd == "members":
        ext = export_ext(args.export, lang)
        df = C.members(db, args.name, args.group, lang)
        if args.export:
            path = Path(args.export).expanduser()
            if args.group == "holdout":
                path = path.with_name(_holdout_name(path.name, lang))
            _write(df, path, ext)
            key = "campaign_exported_holdout" if args.group == "holdout" else "campaign_exported"
            print(t(key, lang, rows=fmt_int(len(df), lang), path=str(path.resolve())))
        elif args.json:
            _dump(df.to_dict(orient="records"))
        else:
            for key in df.iloc[:, 0]:
                print(key)
        return 0
    if cmd == "report":
        r = C.report(db, args.name, margin=args.margin, message_cost=args.message_cost, lang=lang)
        if args.xlsx:
            Path(args.xlsx).expanduser().write_bytes(C.report_xlsx(db, args.name, lang))
        if args.json:
            _dump(r)
        else:
            print("\n".join(C.report_lines(r, lang)))
        return 0
    if cmd == "list":
        rows = C.list_campaigns(db)
        if args.json:
            _dump(rows)
        elif not rows:
            print(t("campaign_list_empty", lang))
        else:
            for r in rows:
                print(f"{r['name']}\t{r['start']}\t{t('campaign_status_' + r['status'], lang)}\t"
                      f"{r['treatment']}/{r['holdout']}\t{r['verdict']}")
        return 0
    if cmd == "delete":
        C.delete(db, args.name)
        return 0
    if cmd == "plan":
        return _plan(db, args, lang, date)
    if cmd == "run-due":
        from .plans import run_due
        today = date(args.today, lang) or dt.date.today()
        done = run_due(db, today, Path(args.out), lang)
        if args.json:
            _dump(done)
        else:
            for d in done:
                print(t("campaign_created", lang, name=d["name"], treatment=fmt_int(d["treatment"], lang),
                        holdout=fmt_int(d["holdout"], lang), seed=d["seed"], opted_out=fmt_int(d["opted_out"], lang)))
                print("  → " + d["file"])
        return 0
    raise _Usage(cmd)


def _holdout_name(name: str, lang: str) -> str:
    """A holdout file says what it is in its name: never mistaken for a list to contact."""
    word = "对照组-勿触达" if lang == "zh" else "HOLDOUT-do-not-contact"
    return name if word in name else f"{word}_{name}"


def _write(df, path: Path, ext: str) -> None:
    from .exports import to_csv_bytes, to_txt_bytes, to_xlsx_bytes
    if ext == "txt":
        data = to_txt_bytes(df.iloc[:, 0])
    elif ext == "xlsx":
        data = to_xlsx_bytes(df, "members")
    else:
        data = to_csv_bytes(df)
    path.write_bytes(data)


def _create(db, args, lang, date, cohort_context, export_ext) -> int:
    ext = export_ext(args.export, lang)
    as_of = date(args.as_of, lang)
    start = date(args.start, lang)
    as_of, rules, thresholds, spec = cohort_context(db, args, as_of)
    if spec.not_contacted_days is None:
        cap = C.settings(db)["contact_cap_days"]
        if cap:
            spec = spec.with_(not_contacted_days=cap)
    out = C.create(db, args.name, spec, as_of, holdout=args.holdout, seed=args.seed, start=start,
                   window=args.window, offer=args.offer, channel=args.channel, margin=args.margin,
                   message_cost=args.message_cost, rules=rules, thresholds=thresholds)
    if args.export:
        df = C.members(db, out["name"], "treatment", lang)
        path = Path(args.export).expanduser()
        _write(df, path, ext)
        out["exported"], out["exported_rows"] = str(path.resolve()), len(df)
    if args.json:
        _dump(out)
        return 0
    print(t("campaign_created", lang, name=out["name"], treatment=fmt_int(out["treatment"], lang),
            holdout=fmt_int(out["holdout"], lang), seed=out["seed"], opted_out=fmt_int(out["opted_out"], lang)))
    if spec.not_contacted_days is not None:
        print(t("cli_contacted_left_out", lang, days=spec.not_contacted_days, n=fmt_int(out["contacted_left_out"], lang)))
    if args.export:
        print(t("campaign_exported", lang, rows=fmt_int(out["exported_rows"], lang), path=out["exported"]))
    return 0




def _optout(db, args, lang) -> int:
    cmd = args.optout_command
    if cmd == "add":
        out = C.optout_add(db, C.read_keys(args.file), source=Path(args.file).name)
        print(t("optout_added", lang, added=fmt_int(out["added"], lang), already=fmt_int(out["already"], lang),
                unknown=fmt_int(out["unknown"], lang)))
        return 0
    if cmd == "remove":
        n = C.optout_remove(db, C.read_keys(args.file))
        print(t("optout_removed", lang, n=fmt_int(n, lang)))
        return 0
    df = C.optout_list(db)
    if args.json:
        print(json.dumps({"count": len(df), "customers": [
            {"customer": r.customer_id, "added_at": r.added_at.strftime("%Y-%m-%d %H:%M:%S"), "source": r.source,
             "known": bool(r.known)} for r in df.itertuples()]}, ensure_ascii=False, indent=2))
    else:
        print(t("optout_count", lang, n=fmt_int(len(df), lang)))
        for r in df.itertuples():
            print(r.customer_id)
    return 0


def _plan(db, args, lang, date) -> int:
    from . import plans as P
    cmd = args.plan_command
    if cmd == "add":
        P.save_plan(db, args.name, cohort_name=args.cohort, birthday_days=args.birthday_days, cadence=args.cadence,
                    holdout=args.holdout, cap_days=args.cap_days, channel=args.channel, window=args.window,
                    offer=args.offer, first=date(args.first, lang) or dt.date.today())
        return 0
    if cmd == "delete":
        P.delete_plan(db, args.name)
        return 0
    rows = P.list_plans(db)
    if args.json:
        _dump(rows)
    else:
        for r in rows:
            print(f"{r['name']}\t{r['cadence']}\t{r['next_due']}\t{r['cohort_name'] or ''}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(2)
