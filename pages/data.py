"""Data: drop export files, check what was recognised, import, see what happened."""
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from crm import i18n, ledger, ui
from crm.exports import safe_filename, to_csv_bytes
from crm.importing import SPECS_BY_NAME, import_file, preview_file
from crm.samples import load_sample

tr = ui.tr
MAPPABLE = ("customer_id", "ordered_at", "amount", "order_id", "paid_at", "status", "refund", "quantity",
            "price", "item_title", "level", "phone", "province", "city")
NEEDS_MAPPING = ("refused_unrecognised", "refused_missing_columns", "refused_no_header")


def stash(uploaded) -> Path:
    """Uploaded bytes → a temporary file at once (DuckDB reads paths, not memory)."""
    folder = st.session_state.setdefault("upload_dir", tempfile.mkdtemp(prefix="crm-upload-"))
    files = st.session_state.setdefault("upload_paths", {})
    if uploaded.file_id not in files:
        path = Path(folder) / f"{len(files)}_{safe_filename(uploaded.name)}"
        with open(path, "wb") as out:
            uploaded.seek(0)
            shutil.copyfileobj(uploaded, out, 1024 * 1024)
        files[uploaded.file_id] = str(path)
    return Path(files[uploaded.file_id])


def format_label(name: str) -> str:
    spec = SPECS_BY_NAME.get(name)
    return spec.label[ui.lang()] if spec else name


def column_label(header: list[str], i: int) -> str:
    name = header[i].strip()
    return name or f"column{i + 1}"


def mapping_editor(file_id: str, preview) -> dict[str, str] | None:
    """Selectboxes: which column holds each field. Returns the user's mapping."""
    st.markdown(f"**{tr('mapping_title')}**")
    st.caption(tr("mapping_intro"))
    options = [None] + [column_label(preview.header, i) for i in range(len(preview.header))]
    guessed = preview.mapping or {}
    mapping: dict[str, str] = {}
    cols = st.columns(3)
    for n, fld in enumerate(MAPPABLE):
        default = guessed.get(fld)
        index = options.index(default.strip()) if default and default.strip() in options else 0
        choice = cols[n % 3].selectbox(tr(f"field_{fld}") + f" · {fld}", options, index=index,
                                       key=f"map_{file_id}_{fld}",
                                       format_func=lambda o: tr("mapping_none") if o is None else o)
        if choice:
            mapping[fld] = choice
    st.checkbox(tr("mapping_remember"), value=True, key=f"remember_{file_id}")
    return mapping


def show_preview(uploaded, path: Path) -> dict:
    """One file's card: what it is, its first rows, and the mapping if it needs one."""
    file_id = uploaded.file_id
    user_map = st.session_state.get(f"usermap_{file_id}")
    preview = preview_file(path, file_name=uploaded.name, db=ui.db(), mapping=user_map)
    plan = {"path": path, "name": uploaded.name, "mapping": None, "ready": preview.refused is None,
            "file_id": file_id}
    with st.container(border=True):
        st.markdown(f"**{uploaded.name}**")
        if preview.refused is None:
            st.markdown(tr("detected_format", format=format_label(preview.format),
                           kind=tr(f"kind_{preview.kind}"), encoding=preview.encoding))
            if preview.source == "saved":
                st.caption(tr("detected_by_saved"))
            elif preview.source == "guess":
                st.caption(tr("detected_by_guess"))
            mapped = {tr(f"field_{f}"): c.strip()
                      for f, c in preview.mapping.items()}
            st.caption(" · ".join(f"{f} ← {c}" for f, c in mapped.items()))
        elif preview.refused[0] in NEEDS_MAPPING and preview.header:
            st.warning(ui.msg(preview.refused))
            mapping = mapping_editor(file_id, preview)
            plan["mapping"] = mapping
            plan["ready"] = bool(mapping)
        else:
            st.error(ui.msg(preview.refused))
        for w in preview.warnings:
            st.caption("⚠️ " + ui.msg(w))
        if preview.rows:
            header = [column_label(preview.header, i) for i in range(len(preview.header))]
            seen: dict[str, int] = {}
            unique = []
            for h in header:  # duplicated header names need distinct labels in a table
                seen[h] = seen.get(h, 0) + 1
                unique.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
            rows = [r + [""] * (len(unique) - len(r)) for r in preview.rows]
            st.dataframe(pd.DataFrame([r[: len(unique)] for r in rows], columns=unique),
                         hide_index=True, height=210)
    return plan


def run_imports(plans: list[dict]) -> None:
    results = []
    for plan in plans:
        bar = st.progress(0.0, text=tr("importing", file=plan["name"]))

        def progress(frac, stage, bar=bar, name=plan["name"]):
            bar.progress(min(max(frac, 0.0), 1.0), text=f"{tr('importing', file=name)} {tr('stage_' + stage)}")
        remember = st.session_state.get(f"remember_{plan['file_id']}", False)
        r = import_file(ui.db(), plan["path"], file_name=plan["name"], mapping=plan["mapping"] or None,
                        progress=progress, remember_mapping=bool(plan["mapping"]) and remember)
        results.append(r)
    ui.prepare_predictions(results)   # in the background: the Predictions page's first visit reads them
    st.session_state["import_results"] = results
    st.session_state["uploader_gen"] = st.session_state.get("uploader_gen", 0) + 1
    st.session_state.pop("upload_paths", None)
    folder = st.session_state.pop("upload_dir", None)  # the uploaded copies (with contacts) go too
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
    st.rerun()


def rejects_table(import_id: int | None, rows: list[tuple] | None = None) -> pd.DataFrame:
    df = ledger.rejects(ui.db(), import_id) if rows is None else ledger.rejected_frame(rows)
    df["reason"] = df["reason"].map(lambda r: tr(f"reason_{r}"))
    return df.rename(columns={"line": tr("col_line"), "column_name": tr("col_column"), "value": tr("col_value"),
                              "reason": tr("col_reason"), "raw": tr("col_raw")})


def show_result(r) -> None:
    lang = ui.lang()
    with st.container(border=True):
        if not r.ok:
            st.error(tr("result_refused", file=r.file_name, reason=ui.msg(r.message)))
            if r.rejected_rows:       # none of its rows could be imported: say which and why
                st.download_button(tr("download_rejects_refused", n=i18n.fmt_int(len(r.rejected_rows), lang)),
                                   data=lambda rows=r.rejected_rows: to_csv_bytes(rejects_table(None, rows)),
                                   file_name=safe_filename(f"rejected_{Path(r.file_name).stem}.csv"),
                                   mime="text/csv", key=f"rej_refused_{r.file_name}", on_click="ignore")
            return
        st.success(tr("result_ok", file=r.file_name) + f" · {format_label(r.format)}")
        cols = st.columns(6)
        cols[0].metric(tr("result_rows_read"), i18n.fmt_int(r.rows_read, lang))
        if r.kind == "members":
            cols[1].metric(tr("result_members_new"), i18n.fmt_int(r.members_new, lang))
            cols[2].metric(tr("result_members_updated"), i18n.fmt_int(r.members_updated, lang))
        elif r.kind == "items":
            cols[1].metric(tr("result_items_new"), i18n.fmt_int(r.items_new, lang))
            cols[2].metric(tr("result_updated"), i18n.fmt_int(r.items_updated, lang))
        else:
            cols[1].metric(tr("result_new"), i18n.fmt_int(r.orders_new, lang))
            cols[2].metric(tr("result_updated"), i18n.fmt_int(r.orders_updated, lang))
            cols[3].metric(tr("result_unchanged"), i18n.fmt_int(r.orders_unchanged, lang))
        cols[4].metric(tr("result_rejected"), i18n.fmt_int(r.rows_rejected, lang))
        if r.date_min:
            cols[5].metric(tr("result_range"), f"{r.date_min[:10]} ~ {r.date_max[:10]}")
        if r.returns_lines:
            st.info(tr("returns_note", lines=i18n.fmt_int(r.returns_lines, lang),
                       amount=i18n.fmt_money(r.returns_amount, lang)), icon=":material/undo:")
        for w in r.warnings:
            st.warning(ui.msg(w))
        if r.rows_rejected:
            st.download_button(tr("download_rejects", n=r.rows_rejected),
                               data=lambda iid=r.import_id: to_csv_bytes(rejects_table(iid)),
                               file_name=safe_filename(f"rejected_{Path(r.file_name).stem}.csv"),
                               mime="text/csv", key=f"rej_{r.import_id}", on_click="ignore")


def show_history() -> None:
    st.subheader(tr("history_title"))
    df = ledger.history(ui.db())
    if df.empty:
        st.caption(tr("history_empty"))
        return
    view = pd.DataFrame({
        tr("col_file"): df["file_name"],
        tr("col_format"): df["format"].map(format_label),
        tr("col_time"): df["finished_at"].dt.strftime("%Y-%m-%d %H:%M"),
        tr("col_rows"): df["rows_read"],
        tr("col_new"): df["orders_new"].where(df["kind"] == "orders", df["members_new"].where(df["kind"] == "members", df["items_new"])),
        tr("col_updated"): df["orders_updated"].where(df["kind"] == "orders", df["members_updated"]),
        tr("col_unchanged"): df["orders_unchanged"],
        tr("col_rejected"): df["rows_rejected"],
        tr("col_returns"): df["returns_lines"],
        tr("col_range"): (df["date_min"].dt.strftime("%Y-%m-%d") + " ~ " + df["date_max"].dt.strftime("%Y-%m-%d")).fillna(""),
    })
    st.dataframe(view, hide_index=True, width="stretch")


def privacy_settings() -> None:
    """隐私 / Privacy: drop contact details at import, erase those already stored (crm/privacy.py)."""
    from crm import privacy
    db = ui.db()
    done = st.session_state.pop("privacy_done", None)
    if done is not None:
        st.session_state.pop("privacy_scrub_sure", None)
    with st.expander(tr("privacy_title"), icon=":material/shield_person:", expanded=done is not None):
        on = st.checkbox(tr("privacy_drop_label"), value=privacy.drop_contacts(db), key="privacy_drop",
                         help=tr("privacy_drop_help"))
        if on != privacy.drop_contacts(db):
            privacy.set_drop_contacts(db, on)
        st.caption(tr("privacy_drop_on") if on else tr("privacy_drop_off"))
        if done is not None:
            st.success(tr("privacy_scrub_done", orders=f"{done['orders']:,}", members=f"{done['members']:,}",
                          rejects=f"{done['rejects'] + done.get('returns', 0):,}"))
        stored = privacy.stored_contacts(db)
        if stored["orders"] or stored["members"]:
            st.caption(tr("privacy_stored", orders=f"{stored['orders']:,}", members=f"{stored['members']:,}"))
            sure = st.checkbox(tr("privacy_scrub_confirm"), key="privacy_scrub_sure")
            if st.button(tr("privacy_scrub_button"), key="privacy_scrub", disabled=not sure):
                st.session_state["privacy_done"] = privacy.scrub_now(db)
                st.rerun()


def reset_filters() -> None:
    """Forget this session's sidebar filters (their dates belong to the data that was there)."""
    for k in [k for k in st.session_state if str(k).startswith(("keep_", "w_"))]:
        del st.session_state[k]


def backup_and_restore() -> None:
    """备份与恢复 / Backup & restore: the whole database as one file, restoring one, deleting
    all data (crm/backup.py). Both changes need a confirmation first."""
    from crm import backup
    database = ui.db()
    done = st.session_state.pop("backup_done", None)
    if done is not None:
        st.session_state.pop("backup_delete_typed", None)
    with st.expander(tr("backup_title"), icon=":material/backup:", expanded=done is not None):
        if done is not None:
            st.success(tr(done[0], **done[1]))
        st.caption(tr("backup_intro"))
        st.download_button(tr("backup_download"), data=lambda: backup.backup_bytes(ui.db()),
                           file_name=backup.backup_name(), mime="application/octet-stream",
                           key="backup_download", on_click="ignore", help=tr("backup_download_help"))

        gen = st.session_state.get("backup_gen", 0)
        upload = st.file_uploader(tr("backup_restore_label"), key=f"backup_upload_{gen}",
                                  help=tr("backup_restore_help"))
        if upload is not None:
            checked = st.session_state.setdefault("backup_checked", {})
            if upload.file_id not in checked:
                try:
                    checked[upload.file_id] = backup.inspect_bytes(upload.getvalue())
                except backup.BackupError as e:
                    checked[upload.file_id] = e.message
            info = checked[upload.file_id]
            if isinstance(info, tuple):
                st.error(ui.msg(info))
            else:
                st.caption(tr("backup_restore_file", orders=f"{info['orders']:,}", members=f"{info['members']:,}",
                              imports=f"{info['imports']:,}", gmv=i18n.fmt_money(info["gmv"], ui.lang())))
                sure = st.checkbox(tr("backup_restore_confirm"), key=f"backup_restore_sure_{gen}")
                if st.button(tr("backup_restore_button"), key="backup_restore", disabled=not sure, type="primary"):
                    try:
                        info = backup.restore(database.path, upload.getvalue(), db=database)
                    except backup.BackupError as e:
                        st.error(ui.msg(e.message))
                        return
                    finally:  # the cached Database is closed now: every session opens the file again
                        ui._database.clear()
                        st.cache_resource.clear()
                        st.cache_data.clear()
                    reset_filters()
                    st.session_state.pop("backup_checked", None)
                    st.session_state["backup_gen"] = gen + 1
                    st.session_state["backup_done"] = ("backup_restored", {
                        "orders": f"{info['orders']:,}", "members": f"{info['members']:,}",
                        "imports": f"{info['imports']:,}", "kept": f"{Path(database.path).name}.before-restore"})
                    st.rerun()

        st.divider()
        st.markdown(f"**{tr('backup_delete_title')}**")
        st.caption(tr("backup_delete_intro"))
        word = tr("backup_delete_word")
        typed = st.text_input(tr("backup_delete_prompt", word=word), key="backup_delete_typed")
        words = {i18n.t("backup_delete_word", lang).casefold() for lang in i18n.LANGS}
        confirmed = (typed or "").strip().casefold() in words
        if st.button(tr("backup_delete_button"), key="backup_delete", disabled=not confirmed):
            deleted = backup.delete_all(database)
            st.cache_data.clear()
            reset_filters()
            st.session_state["backup_done"] = ("backup_deleted", {
                "orders": f"{deleted.get('orders', 0):,}", "members": f"{deleted.get('members', 0):,}",
                "imports": f"{deleted.get('imports', 0):,}"})
            st.rerun()


@ui.guarded
def page() -> None:
    st.title(tr("data_title"))
    st.caption(tr("data_intro"))
    for r in st.session_state.pop("import_results", []):
        show_result(r)
    gen = st.session_state.get("uploader_gen", 0)
    uploads = st.file_uploader(tr("upload_label"), type=["csv", "txt", "tsv", "xlsx", "xls"],
                               accept_multiple_files=True, help=tr("upload_help"), key=f"uploads_{gen}")
    plans = [show_preview(u, stash(u)) for u in uploads or []]
    if plans:
        ready = [p for p in plans if p["ready"]]
        label = tr("import_button") if len(plans) == 1 else tr("import_all_button", n=len(ready))
        if st.button(label, type="primary", disabled=not ready, key="import_go"):
            run_imports(ready)
    else:
        with st.expander(tr("sample_button")):
            st.caption(tr("welcome_sample_help"))
            if st.button(tr("sample_button"), key="data_sample"):
                bar = st.progress(0.0)
                st.session_state["import_results"] = load_sample(
                    ui.db(), progress=lambda f, s: bar.progress(min(f, 1.0), text=tr("welcome_sample_loading")))
                ui.prepare_predictions(st.session_state["import_results"])
                st.rerun()
    show_history()
    privacy_settings()
    backup_and_restore()


page()
