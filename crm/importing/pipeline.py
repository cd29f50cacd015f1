"""One file in: decode → stage → recognise → clean → reject → merge, in one transaction.

The database only changes in `_merge_*`, inside `db.write()`: a refused file or an error anywhere
leaves every table as it was.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from .. import privacy
from .. import models
from ..db import Database
from . import clean, reader
from .detect import (Detection, apply_user_mapping, check_required, detect, guess_by_values,
                     guess_generic, header_score, header_signature, map_spec)
from .errors import Refused
from .specs import (DATE_FIELDS, INT_FIELDS, LEVEL_ALIASES, MONEY_FIELDS, PAID_STATES, SPECS_BY_NAME, STATUS_WORDS,
                    TAOBAO_LEVELS, UNPAID_STATES, normalize_header)

Progress = Callable[[float, str], None] | None
MAX_LINE = 16 * 1024 * 1024
MALFORMED_REFUSED = 1000      # this many unreadable lines, and more of them than readable rows: refused


@dataclass
class ImportResult:
    file_name: str
    status: str = "ok"                 # ok | refused
    message: tuple[str, dict] | None = None
    format: str | None = None
    kind: str | None = None
    platform: str | None = None
    encoding: str | None = None
    import_id: int | None = None
    rows_read: int = 0
    rows_rejected: int = 0
    orders_new: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    items_new: int = 0
    items_updated: int = 0
    members_new: int = 0
    members_updated: int = 0
    # Returns and corrections (a line with a quantity <= 0 or a negative amount): neither purchases
    # nor rejected rows; counted here (lines of this file, their amount as in the file) and kept.
    returns_lines: int = 0
    returns_amount: float = 0.0
    date_min: str | None = None
    date_max: str | None = None
    warnings: list[tuple[str, dict]] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    # A file none of whose rows could be imported is refused; its rejected rows (line, column,
    # value, reason, raw text; at most REJECTS_KEPT) travel with the result so they can be downloaded.
    rejected_rows: list[tuple] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["message"] = ({"key": self.message[0], **self.message[1]} if self.message else None)
        d["warnings"] = [{"key": k, **p} for k, p in self.warnings]
        d["returns"] = {"lines": self.returns_lines, "amount": self.returns_amount}
        d.pop("rejected_rows", None)
        return d


@dataclass
class Preview:
    file_name: str
    format: str
    kind: str
    platform: str
    encoding: str
    header: list[str]
    mapping: dict[str, str]            # canonical field → column name
    rows: list[list[str]]              # first data rows, raw text
    source: str                        # spec | saved | user | guess
    warnings: list[tuple[str, dict]]
    signature: str
    refused: tuple[str, dict] | None = None


# ---------------------------------------------------------------------------------------------
def _status_state(raw: str | None) -> str:
    """A platform status word → unpaid | paid | shipped | completed | closed | refunded |
    partially_refunded | none | other."""
    if raw is None:
        return "none"
    s = re.sub(r"^[(（]删除[)）]", "", raw).replace(" ", "").lower()
    if s in STATUS_WORDS:
        return STATUS_WORDS[s]
    if "退款成功" in s or "已退款" in s:
        return "refunded"
    if "关闭" in s or "取消" in s:
        return "closed"
    if "未付款" in s or "待付款" in s or "待支付" in s:
        return "unpaid"
    if "完成" in s or "签收" in s or "交易成功" in s:
        return "completed"
    if "发货" in s or "出库" in s:
        return "shipped" if "已发货" in s else "paid"
    if "退款" in s or "售后" in s:
        return "none"
    return "other"


class _Stage:
    """Temporary files and the open cursor of one import."""

    def __init__(self, db: Database, src: Path, file_name: str):
        self.db = db
        self.src = src
        self.file_name = file_name
        self.started_at = dt.datetime.now()
        self.tmpdir = Path(tempfile.mkdtemp(prefix="crm-import-"))
        self.utf8 = self.tmpdir / "data.csv"
        self.dec: reader.Decoded | None = None

    def close(self) -> None:
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def decode(self, progress: Progress, max_bytes: int | None = None) -> reader.Decoded:
        kind = reader.sniff_kind(self.src)
        src = self.src
        if max_bytes and kind == "csv" and src.stat().st_size > max_bytes:
            src = self.tmpdir / "head.bin"
            with open(self.src, "rb") as fin, open(src, "wb") as fout:
                data = fin.read(max_bytes)
                fout.write(data[: data.rfind(b"\n") + 1] or data)
        if kind == "csv":
            reader.check_head(src)
        if kind in ("xlsx", "xls"):
            dec = reader.spreadsheet_to_csv(src, self.utf8, header_score, progress)
        else:
            dec = reader.decode_to_utf8(src, self.utf8, progress)
        reader.sniff_layout(dec, header_score)
        if dec.delimiter == "whitespace":
            reader.whitespace_to_csv(dec, self.tmpdir / "ws.csv")
        self.dec = dec
        return dec


def _detect(db: Database | None, dec: reader.Decoded, file_name: str, format_name: str | None,
            user_map: dict[str, str] | None) -> Detection:
    header = dec.header
    det = None
    if not format_name:
        det = detect(header, file_name)
    if det is None and not format_name and not user_map and db is not None:
        saved = db.query("SELECT kind, mapping FROM column_maps WHERE signature = ?",
                         [header_signature(header)])
        if saved:
            kind, mapping = saved[0]
            named = json.loads(mapping)
            spec_name = "generic_members" if kind == "members" else "generic"
            det = apply_user_mapping(header, Detection(spec=SPECS_BY_NAME[spec_name], mapping={}),
                                     named, None)
            det.source = "saved"
    if det is None and not format_name and not user_map:
        det = guess_generic(header, dec.sample_rows) if dec.has_header else guess_by_values(header, dec.sample_rows)
        if det is not None:
            det.warnings.append(("warn_columns_guessed" if dec.has_header else "warn_columns_guessed_values", {
                "mapping": ", ".join(f"{f}←{header[i].strip()}" for f, i in det.mapping.items())}))
    if format_name and not user_map:
        _check_format_matches(dec, file_name, format_name)
    if user_map or format_name:
        det = apply_user_mapping(header, det, user_map or {}, format_name)
    if det is None:
        if not dec.has_header:
            raise Refused("refused_no_header", columns=len(header))
        raise Refused("refused_unrecognised",
                      columns=", ".join(h.strip() for h in header if h.strip())[:300])
    check_required(det, header)
    norm = [normalize_header(h) for h in header]
    dups = sorted({header[i].strip() for i in det.mapping.values() if norm[i] and norm.count(norm[i]) > 1})
    if dups:
        det.warnings.append(("warn_duplicate_columns", {"columns": "、".join(dups)}))
    return det


def _check_format_matches(dec: reader.Decoded, file_name: str, format_name: str) -> None:
    """A format chosen by the user (`--format`) for a file that is recognisably something else —
    a member export given as orders, an order report given as members — is refused naming both,
    instead of failing on missing columns or, worse, importing orders as members."""
    chosen = SPECS_BY_NAME.get(format_name)
    if chosen is None:
        return                          # apply_user_mapping refuses an unknown name
    header = dec.header
    auto = detect(header, file_name) or (guess_generic(header, dec.sample_rows) if dec.has_header else None)
    if auto is None or auto.spec.name == chosen.name:
        return
    forced = Detection(spec=chosen, mapping=map_spec(chosen, header))
    try:
        check_required(forced, header)
        fits = True
    except Refused:
        fits = False
    if auto.spec.kind != chosen.kind or not fits:
        raise Refused("refused_format_mismatch", format=format_name, detected=auto.spec.name)


def preview_file(path: str | os.PathLike, *, file_name: str | None = None, db: Database | None = None,
                 format_name: str | None = None, mapping: dict[str, str] | None = None,
                 rows: int = 20) -> Preview:
    """What the importer would do with this file, from its first megabytes. Never writes."""
    path = Path(path)
    file_name = file_name or path.name
    stage = _Stage(db, path, file_name)  # type: ignore[arg-type]
    try:
        try:
            dec = stage.decode(None, max_bytes=2 * 1024 * 1024)
        except Refused as e:
            return Preview(file_name=file_name, format="", kind="", platform="", encoding="", header=[],
                           mapping={}, rows=[], source="", warnings=[], signature="", refused=(e.key, e.params))
        except (OSError, UnicodeError, ValueError) as e:
            return Preview(file_name=file_name, format="", kind="", platform="", encoding="", header=[],
                           mapping={}, rows=[], source="", warnings=[], signature="",
                           refused=("refused_unreadable", {"detail": str(e).splitlines()[0][:200]}))
        import csv
        with open(dec.path, encoding="utf-8", newline="") as f:
            for _ in range(dec.header_index + (1 if dec.has_header else 0)):
                f.readline()
            data = []
            for r in csv.reader(f, delimiter=dec.delimiter if dec.delimiter != "whitespace" else ","):
                if any(c.strip() for c in r):
                    data.append(r)
                if len(data) >= rows:
                    break
        refused = None
        try:
            det = _detect(db, dec, file_name, format_name, mapping)
            fmt, kind, platform, named, source = (det.spec.name, det.spec.kind, det.spec.platform,
                                                  det.named_mapping(dec.header), det.source)
            warnings = dec.warnings + det.warnings
        except Refused as e:
            refused = (e.key, e.params)
            fmt, kind, platform, named, source, warnings = "", "", "", {}, "", dec.warnings
        return Preview(file_name=file_name, format=fmt, kind=kind, platform=platform,
                       encoding=dec.encoding, header=dec.header, mapping=named, rows=data,
                       source=source, warnings=warnings, signature=header_signature(dec.header),
                       refused=refused)
    finally:
        stage.close()


def save_mapping(db: Database, header: list[str], kind: str, mapping: dict[str, str]) -> None:
    """Remember a user's mapping for every later file with this exact header."""
    with db.write() as cur:
        cur.execute("INSERT OR REPLACE INTO column_maps VALUES (?, ?, ?, ?, ?)",
                    [header_signature(header), kind, json.dumps(mapping, ensure_ascii=False),
                     json.dumps(header, ensure_ascii=False), dt.datetime.now()])


# ---------------------------------------------------------------------------------------------
def import_file(db: Database, path: str | os.PathLike, *, file_name: str | None = None,
                format_name: str | None = None, mapping: dict[str, str] | None = None,
                progress: Progress = None, remember_mapping: bool = False) -> ImportResult:
    """Import one export file. Never raises for a bad file: a refused result says why."""
    path = Path(path)
    file_name = file_name or path.name
    result = ImportResult(file_name=file_name)
    t0 = time.perf_counter()
    stage = _Stage(db, path, file_name)
    try:
        if not path.exists():
            raise Refused("refused_missing_file")
        dec = stage.decode(progress)
        result.encoding = dec.encoding
        det = _detect(db, dec, file_name, format_name, mapping)
        result.format, result.kind, result.platform = det.spec.name, det.spec.kind, det.spec.platform
        result.mapping = det.named_mapping(dec.header)
        result.warnings = list(dec.warnings) + list(det.warnings)
        if progress:
            progress(0.45, "reading")
        fingerprint = _fingerprint(db, stage, det, result)
        if not _repeat_last(db, stage, fingerprint, result):
            _run(db, stage, det, result, progress, fingerprint)
        if remember_mapping and det.source == "user" and det.spec.platform == "generic":
            save_mapping(db, dec.header, det.spec.kind, result.mapping)
    except Refused as e:
        result = _refused(result, e.key, e.params)
        result.rejected_rows = getattr(e, "rows", [])
    except (duckdb.Error, OSError, UnicodeError, ValueError) as e:
        result = _refused(result, "refused_unreadable", {"detail": str(e).splitlines()[0][:200]})
    finally:
        stage.close()
    result.seconds = round(time.perf_counter() - t0, 3)
    if progress:
        progress(1.0, "done")
    return result


def _refused(partial: ImportResult, key: str, params: dict) -> ImportResult:
    """A refused file reports only what was recognised: nothing was written."""
    return ImportResult(file_name=partial.file_name, status="refused", message=(key, params),
                        format=partial.format, kind=partial.kind, platform=partial.platform,
                        encoding=partial.encoding, mapping=partial.mapping)


def import_files(db: Database, paths, **kw) -> list[ImportResult]:
    return [import_file(db, p, **kw) for p in paths]


# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# The same file again. Importing exactly what the last import read — same text, same format and
# mapping, same contact setting, on the same day (a date "in the future" depends on the day), by the
# same program — into a database that has not changed since cannot change anything: the merge would
# find every order unchanged. It is recorded as an import of its own with that import's figures
# (orders unchanged, the same rejected rows, returns and warnings) without reading the file again.

def _fingerprint(db: Database, stage: _Stage, det: Detection, result: ImportResult) -> dict:
    from .. import __version__
    from ..db import SCHEMA_VERSION
    assert stage.dec is not None
    return {"hash": stage.dec.file_hash, "size": stage.src.stat().st_size, "format": det.spec.name,
            "mapping": result.mapping, "drop_contacts": privacy.drop_contacts(db),
            "day": _latest_plausible().isoformat(), "program": __version__, "schema": SCHEMA_VERSION}


_LAST = "last_import"      # meta: {"fingerprint", "import_id", "edits"} of the latest import


def _remember_last(cur, fingerprint: dict, import_id: int) -> None:
    edits = cur.execute("SELECT value FROM meta WHERE key = 'edits'").fetchone()
    cur.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [_LAST, json.dumps({"fingerprint": fingerprint, "import_id": import_id,
                                    "edits": edits[0] if edits else None}, sort_keys=True)])


def _repeat_last(db: Database, stage: _Stage, fingerprint: dict, result: ImportResult) -> bool:
    """Record this file as a repeat of the last import when nothing could differ; False otherwise."""
    with db.write() as cur:
        row = cur.execute("SELECT value, (SELECT max(import_id) FROM imports), "
                          "(SELECT value FROM meta WHERE key = 'edits') FROM meta WHERE key = ?", [_LAST]).fetchone()
        if not row:
            return False
        last = json.loads(row[0])
        if last["fingerprint"] != fingerprint or last["import_id"] != row[1] or last["edits"] != row[2]:
            return False
        prev = cur.execute(
            """SELECT rows_read, rows_rejected, orders_new + orders_updated + orders_unchanged, returns_lines,
                      returns_amount, date_min::VARCHAR, date_max::VARCHAR, warnings, encoding
               FROM imports WHERE import_id = ? AND status = 'ok'""", [last["import_id"]]).fetchone()
        if prev is None:
            return False
        import_id = last["import_id"] + 1
        (result.rows_read, result.rows_rejected, result.orders_unchanged, result.returns_lines,
         result.returns_amount, result.date_min, result.date_max) = prev[:7]
        result.returns_amount = float(result.returns_amount or 0)
        result.import_id = import_id
        result.warnings = [(w.pop("key"), w) for w in json.loads(prev[7] or "[]") if w.get("key") != "warn_same_file"]
        result.warnings.append(("warn_same_file", {"import_id": last["import_id"]}))
        cur.execute("""INSERT INTO rejects SELECT ? AS import_id, * EXCLUDE (import_id) FROM rejects
                       WHERE import_id = ?""", [import_id, last["import_id"]])
        # Item lines and members name the last import that held them (orders: the last that changed them).
        for table in ("order_items", "members"):
            cur.execute(f"UPDATE {table} SET last_import_id = ? WHERE last_import_id = ?", [import_id, last["import_id"]])
        _record_import(cur, stage, result, fingerprint, prev[8])
        _remember_last(cur, fingerprint, import_id)
    return True


def _record_import(cur, stage: _Stage, result: ImportResult, fingerprint: dict, encoding: str | None) -> None:
    cur.execute(
        """INSERT INTO imports (import_id, file_name, file_hash, file_size, format, kind, platform, encoding,
                                started_at, finished_at, status, message, rows_read, rows_rejected,
                                orders_new, orders_updated, orders_unchanged, items_new, members_new,
                                members_updated, date_min, date_max, warnings, mapping, returns_lines,
                                returns_amount)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [result.import_id, result.file_name, fingerprint["hash"], fingerprint["size"], result.format, result.kind,
         result.platform, encoding, stage.started_at, dt.datetime.now(),
         result.rows_read, result.rows_rejected, result.orders_new, result.orders_updated,
         result.orders_unchanged, result.items_new, result.members_new, result.members_updated,
         result.date_min, result.date_max,
         json.dumps([{"key": k, **p} for k, p in result.warnings], ensure_ascii=False),
         json.dumps(result.mapping, ensure_ascii=False), result.returns_lines, result.returns_amount])


def _run(db: Database, stage: _Stage, det: Detection, result: ImportResult, progress: Progress,
         fingerprint: dict) -> None:
    dec = stage.dec
    assert dec is not None
    spec = det.spec
    n = dec.n_fields
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    skip = dec.header_index + (1 if dec.has_header else 0)
    delim = dec.delimiter if dec.delimiter != "whitespace" else ","
    with db.memory_for(dec.path.stat().st_size), db.write() as cur:
        cur.execute("DROP TABLE IF EXISTS raw")
        cur.execute(
            f"""CREATE TEMP TABLE raw AS SELECT {_raw_columns(n, det.mapping)} FROM read_csv(?, header=false, skip={int(skip)},
                delim=?, quote='"', escape='"', columns={columns}, auto_detect=false,
                store_rejects=true, rejects_table='crm_rej', rejects_scan='crm_rej_scan',
                null_padding=false, strict_mode=true, max_line_size={MAX_LINE},
                new_line='\\n', encoding='utf-8')""",
            [str(dec.path), delim])
        malformed = cur.execute(
            "SELECT line, any_value(csv_line), bool_or(error_type = 'LINE SIZE OVER MAXIMUM') "
            "FROM crm_rej GROUP BY line ORDER BY line").fetchall()
        rows_ok = cur.execute("SELECT count(*) FROM raw").fetchone()[0]
        # Blank lines are not rows, nor are rows of empty cells (an Excel re-save adds ",,,,,," lines).
        blank = _blank_rows(cur)
        result.rows_read = rows_ok - blank + len(malformed)
        if result.rows_read == 0:
            raise Refused("refused_no_rows")
        if rows_ok == blank:
            raise Refused("refused_all_malformed", count=len(malformed))
        unreadable = len(malformed)
        if malformed and not dec.simple_lines:
            # A quote that is never closed swallows every line after it into one record.
            unreadable += max(_text_lines(dec.path) - skip - rows_ok - len(malformed), 0)
        if unreadable >= MALFORMED_REFUSED and unreadable > rows_ok - blank:
            # More unreadable lines than readable ones (an unmatched quote that swallows the rest of
            # the file, a file of another shape): refused, not imported as a pile of rejects.
            raise Refused("refused_mostly_malformed", count=unreadable, rows=result.rows_read,
                          line=int(malformed[0][0]))
        if progress:
            progress(0.6, "cleaning")
        import_id = (cur.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchone()[0])
        result.import_id = import_id
        rejects: list[tuple] = [(import_id, int(line), None, None, "line_too_long" if too_long else "malformed_line",
                                 (raw or "")[:2000]) for line, raw, too_long in malformed]
        malformed_lines = [int(m[0]) for m in malformed]

        _stage_clean(cur, det, dec, blank)
        _release(cur)
        rejects = privacy.scrub(cur, det.mapping, rejects)  # "drop contacts at import": never stored
        bad = _row_rejects(cur, det)
        returned: list[int] = []
        if spec.kind == "orders":
            bad += _build_orders(cur, det, dec, result)
            returned = [r[0] for r in cur.execute("SELECT rn FROM ret_rows ORDER BY rn").fetchall()]
            if not spec.line_level:          # the items of a line-level file are built from it later
                cur.execute("DROP TABLE ok_rows")
                _release(cur)
        rns = sorted({int(b[0]) for b in bad} | set(returned))
        row_of, raw_of = _records(dec.path, skip, malformed_lines, rns, delim, privacy.hidden_columns(cur, det.mapping))
        for rn, column, value, reason in bad:
            rejects.append((import_id, row_of[int(rn)], column, value, reason, raw_of.get(int(rn))))
        result.rows_rejected = len(rejects)
        if returned:
            result.returns_lines = len(returned)
            result.returns_amount = float(cur.execute("SELECT coalesce(sum(amount), 0) FROM ret_rows").fetchone()[0])
        if result.rows_rejected >= result.rows_read and not returned:
            raise _all_rejected(rejects, result.rows_read)
        if progress:
            progress(0.8, "merging")
        if spec.kind == "orders":
            _merge_orders(cur, result, import_id)
            if spec.line_level:
                _build_items_from_lines(cur, det)
                _merge_items(cur, result, import_id)
        elif spec.kind == "items":
            _build_items(cur, det)
            _merge_items(cur, result, import_id)
            missing = cur.execute(
                "SELECT count(DISTINCT i.order_id) FROM new_items i ANTI JOIN orders o ON o.order_key = i.order_id"
            ).fetchone()[0]
            if missing:
                result.warnings.append(("warn_items_without_orders", {"count": missing}))
        else:
            _build_members(cur, det)
            _merge_members(cur, result, import_id)
        if returned:
            _store_returns(cur, import_id, [row_of[rn] for rn in returned], returned, [raw_of[rn] for rn in returned])
        if rejects:
            # One statement for any number of rejected rows (executemany goes row by row).
            cur.execute("INSERT INTO rejects SELECT unnest(?::INTEGER[]), unnest(?::BIGINT[]), unnest(?::VARCHAR[]), "
                        "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
                        [list(col) for col in zip(*rejects)])
        _record_import(cur, stage, result, fingerprint, dec.encoding)
        _remember_last(cur, fingerprint, import_id)
        for t in ("raw", "stg", "ok_rows", "ret_rows", "new_orders", "new_items", "new_members", "m", "bad",
                  "blank_rn"):
            cur.execute(f"DROP TABLE IF EXISTS {t}")


def _release(cur) -> None:
    """Let DuckDB free the staging tables dropped so far. Until the merge, an import writes only
    temporary tables (nothing another reader sees, nothing to undo: the write lock is held
    throughout), but a transaction keeps what it dropped until it ends — at 1M rows the raw table
    and the cleaned one, 700 MB. So the import's transaction is ended here and a new one begun; the
    merge and everything it stores still land in one transaction or not at all."""
    cur.execute("COMMIT")
    cur.execute("BEGIN TRANSACTION")


REJECTS_KEPT = 10_000


def _all_rejected(rejects: list[tuple], rows: int) -> Refused:
    """A file none of whose rows could be imported is a failed import: its reasons, most common
    first, and its rejected rows for download (nothing is stored)."""
    counts: dict[str, int] = {}
    for r in rejects:
        counts[r[4]] = counts.get(r[4], 0) + 1
    reasons = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    e = Refused("refused_all_rejected", count=rows, reasons=[[k, n] for k, n in reasons])
    e.rows = [r[1:] for r in sorted(rejects, key=lambda r: r[1])[:REJECTS_KEPT]]
    return e


def _store_returns(cur, import_id: int, lines: list[int], rns: list[int], texts: list[str]) -> None:
    """ret_rows → returns, with each line's row number and text; a line already stored (the same line
    of an overlapping export) is not stored again."""
    cur.execute("""
        INSERT INTO returns (return_key, import_id, line, order_id, customer_id, ordered_at, item_title, sku,
                             quantity, price, amount, raw)
        SELECT r.return_key, ?, l.line, r.order_id, r.customer_id, r.ordered_at, r.item_title, r.sku,
               r.quantity, r.price, r.amount, l.raw
        FROM ret_rows r JOIN (SELECT unnest(?::BIGINT[]) AS rn, unnest(?::BIGINT[]) AS line,
                                     unnest(?::VARCHAR[]) AS raw) l USING (rn)
        WHERE r.return_key NOT IN (SELECT return_key FROM returns)
        QUALIFY row_number() OVER (PARTITION BY r.return_key ORDER BY r.rn) = 1""", [import_id, rns, lines, texts])


def _raw_columns(n: int, mapping: dict[str, int]) -> str:
    """What `raw` keeps of the file's n columns: the ones the format reads (c<i>, text), a 64-bit
    digest of every column (`row_hash`: exact repeats are told by every column of the file) and
    whether the row is blank (every cell empty or white space; the first cell is tested first, so
    the whole row is only looked at when it may be blank). At 1M rows of a 61-column Taobao export
    that is 320 MB instead of 620 MB, and a quicker read; `raw` is dropped once `stg` is built. A
    rejected row's text is read back from the file (`_records`)."""
    read = sorted({int(i) for i in mapping.values()})
    every = ", ".join(f"c{i}" for i in range(n))
    blank = (f"CASE WHEN coalesce(trim(c0, '{_BLANK_CHARS}'), '') = '' "
             f"THEN trim(concat_ws('', {every}), '{_BLANK_CHARS}') = '' ELSE false END")
    return ", ".join([f"c{i}" for i in read] + [f"hash({every}) AS row_hash", f"{blank} AS blank"])


_EMPTY_LINE = re.compile(rb"\n(?=\n)")


def _text_lines(path: Path) -> int:
    """Lines with something on them in the decoded file (empty lines are not records)."""
    total = empty = 0
    last = b"\n"
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(reader.CHUNK), b""):
            total += block.count(b"\n")
            empty += len(_EMPTY_LINE.findall(block)) + (last == b"\n" and block[:1] == b"\n")
            last = block[-1:]
    return total - empty + (last != b"\n")


def _record_line(rn: int, skip: int, malformed_lines: list[int]) -> int:
    """1-based record number in the file of accepted row `rn` (0-based), skipping over the
    records DuckDB rejected as malformed (their numbers are known)."""
    line = skip + rn + 1
    for m in malformed_lines:  # sorted
        if m <= line:
            line += 1
        else:
            break
    return line


def _records(path: Path, skip: int, malformed_lines: list[int], rns: list[int], delim: str,
             hidden: set[int] = frozenset()) -> tuple[dict[int, int], dict[int, str]]:
    """Row number and text of accepted records `rns` (0-based positions in `raw`). The row number is
    what a spreadsheet shows and how the CSV reader numbers the lines it rejects: empty lines count
    (the reader skips them), a line break inside a quoted cell does not. The text is the record's
    cells joined by commas (an empty cell as nothing, so columns stay aligned), the cells at the
    positions `hidden` (contact fields the user keeps out) left empty. One pass over the file, up to
    the last record asked for, and none when nothing is asked."""
    wanted = set(rns)
    if not wanted:
        return {}, {}
    malformed = set(malformed_lines)
    rows: dict[int, int] = {}
    lines: dict[int, list[bytes]] = {}
    row = 0
    rn = -1
    current: list[bytes] | None = None
    in_quotes = False
    with open(path, "rb") as f:     # bytes: no decoding needed to count lines and quotes
        for line in f:
            if not in_quotes:
                row += 1
                current = None
                if row > skip and line != b"\n" and row not in malformed:
                    rn += 1
                    if rn in wanted:
                        rows[rn] = row
                        current = lines[rn] = []
            if current is not None:
                current.append(line)
            if line.count(b'"') % 2:
                in_quotes = not in_quotes
            if not in_quotes and len(rows) == len(wanted):
                break
    for r in wanted - set(rows):          # cannot happen with a file DuckDB read; never fail on it
        rows[r] = _record_line(r, skip, malformed_lines)
    texts = {}
    for r, parts in lines.items():
        text = b"".join(parts).decode("utf-8", errors="replace")
        cells = next(csv.reader(io.StringIO(text), delimiter=delim, quotechar='"', doublequote=True), [])
        texts[r] = ",".join("" if i in hidden else c for i, c in enumerate(cells))[:2000]
    return rows, texts


# ---------------------------------------------------------------------------------------------
_TEXT_FIELDS = ("customer_id", "status", "item_title", "receiver", "address", "shop", "province", "city",
                "level", "sku", "attributes", "name", "email", "after_sale")
_ID_FIELDS = ("order_id", "line_id")


# How each field is cleaned (crm/importing/clean.py kinds); the field lists are the specs'.
_KIND = {"order_id": "id", "line_id": "id", "customer_id": "id", "phone": "phone", "birthday": "birthday",
         **{f: "money" for f in MONEY_FIELDS}, **{f: "int" for f in INT_FIELDS}, **{f: "date" for f in DATE_FIELDS}}


_BLANK_CHARS = " \t\r\n\u3000\u00a0\ufeff"


def _blank_rows(cur) -> int:
    """Rows whose every cell is empty or white space (raw.blank), kept as `blank_rn` (rn)."""
    base = cur.execute("SELECT min(rowid) FROM raw").fetchone()[0] or 0
    cur.execute("DROP TABLE IF EXISTS blank_rn")
    cur.execute(f"CREATE TEMP TABLE blank_rn AS SELECT rowid - {int(base)} AS rn FROM raw WHERE blank")
    return cur.execute("SELECT count(*) FROM blank_rn").fetchone()[0]


def _stage_clean(cur, det: Detection, dec: reader.Decoded, blank: int = 0) -> None:
    """raw (all text) → txt (cleaned text per mapped field) → stg (typed), with the text of money
    and date fields kept as `<field>__raw` (and what was read of them as `<field>__parsed`) so
    failures become rejects with the value and the reason. Blank rows (`blank_rn`) are left out."""
    base = cur.execute("SELECT min(rowid) FROM raw").fetchone()[0] or 0
    where = f" WHERE rowid - {int(base)} NOT IN (SELECT rn FROM blank_rn)" if blank else ""
    source = f"(SELECT rowid - {int(base)} AS rn, * FROM raw{where})"
    # The cleaned text is a view: read once, by the typed select (the date formats are ranked on a
    # sample of it), never stored beside the raw table (at 1M rows that saved 250 MB and a second).
    cur.execute("DROP VIEW IF EXISTS txt")
    cur.execute("CREATE TEMP VIEW txt AS " +
                clean.text_select(source, {fld: f"c{i}" for fld, i in det.mapping.items()}, keep=("row_hash",)))
    kinds = {fld: _KIND.get(fld, "text") for fld in det.mapping}
    formats = {fld: clean.rank_date_formats(cur, "txt", fld) for fld, k in kinds.items() if k in ("date", "birthday")}
    cur.execute("DROP TABLE IF EXISTS stg")
    cur.execute("CREATE TEMP TABLE stg AS " + clean.typed_select("SELECT * FROM txt", kinds, formats,
                                                                 keep_parsed=True, keep=("row_hash",)))
    cur.execute("DROP VIEW txt")
    cur.execute("DROP TABLE raw")


def _today() -> dt.date:
    return dt.date.today()


def _latest_plausible() -> dt.date:
    """Dates from this day on are in the future: an export cannot contain them. Tomorrow is
    allowed (the shop's clock may be ahead of this computer's: UTC+8 against UTC)."""
    return _today() + dt.timedelta(days=2)


def _row_rejects(cur, det: Detection) -> list[tuple]:
    """Rows whose values cannot be read or cannot be true: (rn, column, value, reason). They leave
    `stg`. One reason per row: the first of the checks below that it fails.

    Decisions (tests/unit/test_bad_inputs.py checks each):
    - a date that is not a date → bad_date; one before 1995-01-01 (clean.PLAUSIBLE_FROM: 1900-01-01,
      Excel's day 0, the 1970 epoch are placeholders, not orders) → date_too_old; one after tomorrow
      → date_in_future. Every date column is checked (a payment time too).
    - a refund below zero → negative_amount (a negative amount is a return: _build_orders); above ¥10,000,000 (clean.MAX_ORDER_AMOUNT,
      also for prices) → absurd_amount, including numbers too large to store.
    - an order id or buyer with characters that could not be decoded (U+FFFD) → bad_characters:
      a damaged key would split one customer (or order) into two.
    """
    m = det.mapping
    spec = det.spec
    checks: list[str] = []

    def add(cond: str, column: str, value: str, reason: str):
        checks.append(f"SELECT rn, {len(checks)} AS prio, '{column}' AS col, {value} AS val, "
                      f"'{reason}' AS reason FROM stg WHERE {cond}")

    future = f"TIMESTAMP '{_latest_plausible().isoformat()}'"
    for fld in DATE_FIELDS:
        if fld in m:
            add(f"{fld}__raw IS NOT NULL AND {fld}__parsed IS NULL", fld, f"{fld}__raw", "bad_date")
            add(f"{fld}__parsed < TIMESTAMP '{clean.PLAUSIBLE_FROM}'", fld, f"{fld}__raw", "date_too_old")
            add(f"{fld}__parsed >= {future}", fld, f"{fld}__raw", "date_in_future")
    limit = int(clean.MAX_ORDER_AMOUNT)
    for fld in MONEY_FIELDS:
        if fld in m:
            add(f"{fld}__raw IS NOT NULL AND {fld} IS NULL AND NOT coalesce(abs({fld}__parsed) > {limit}, false)",
                fld, f"{fld}__raw", "bad_amount")
    if spec.kind in ("orders", "items"):
        if spec.kind == "orders" and "refund" in m:
            # A negative amount is a return or correction (see _build_orders); a negative refund
            # cannot be true and would add to GMV.
            add("coalesce(refund, refund__parsed) < 0", "refund", "refund__raw", "negative_amount")
        for fld in ("amount", "refund", "price"):
            if fld in m:
                add(f"coalesce({fld} > {limit}, {fld}__parsed > {limit})", fld, f"{fld}__raw", "absurd_amount")
    if spec.kind == "orders":
        if "order_id" in m:
            add("order_id IS NULL", "order_id", "NULL", "missing_order_id")
        if not spec.line_level:
            date_null = " AND ".join(f"{f} IS NULL" for f in ("ordered_at", "paid_at") if f in m)
            date_raw_null = " AND ".join(f"{f}__raw IS NULL" for f in ("ordered_at", "paid_at") if f in m)
            add(f"{date_null} AND {date_raw_null}", "ordered_at" if "ordered_at" in m else "paid_at",
                "NULL", "missing_date")
            if "amount" in m:
                add("amount IS NULL AND amount__raw IS NULL", "amount", "NULL", "missing_amount")
    elif spec.kind == "items":
        add("order_id IS NULL", "order_id", "NULL", "missing_order_id")
    else:
        add("customer_id IS NULL", "customer_id", "NULL", "missing_customer")
    for fld in ("order_id", "customer_id"):
        if fld in m:
            add(f"contains({fld}, '\ufffd')", fld, fld, "bad_characters")
    if not checks:
        return []
    cur.execute("DROP TABLE IF EXISTS bad")
    cur.execute("CREATE TEMP TABLE bad AS " + " UNION ALL ".join(checks))
    rows = cur.execute(
        "SELECT rn, col, val, reason FROM bad QUALIFY row_number() OVER (PARTITION BY rn ORDER BY prio) = 1 "
        "ORDER BY rn").fetchall()
    cur.execute("DELETE FROM stg WHERE rn IN (SELECT rn FROM bad)")
    return rows


def _typed_null(fld: str) -> str:
    if fld in DATE_FIELDS or fld == "birthday":
        return "NULL::TIMESTAMP"
    if fld in MONEY_FIELDS:
        return "NULL::DECIMAL(18,2)"
    if fld in INT_FIELDS:
        return "NULL::INTEGER"
    return "NULL::VARCHAR"


def _status_table(cur, column: str, table: str = "stg") -> None:
    """Map the distinct status words of `column` to canonical states in a small temp table."""
    words = [r[0] for r in cur.execute(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()]
    cur.execute(f"DROP TABLE IF EXISTS map_{column}")
    cur.execute(f"CREATE TEMP TABLE map_{column} (word VARCHAR, state VARCHAR)")
    if words:
        cur.executemany(f"INSERT INTO map_{column} VALUES (?, ?)", [(w, _status_state(w)) for w in words])


def _build_orders(cur, det: Detection, dec: reader.Decoded, result: ImportResult) -> list[tuple]:
    """stg → new_orders: one row per order with the purchase flags of the README's definitions."""
    m = det.mapping
    spec = det.spec
    has = lambda f: f in m  # noqa: E731
    warnings = result.warnings
    # Keys: the order id, or (files without ids) the file's content hash and the row.
    if has("order_id"):
        key = "order_id"
    else:
        key = f"'f:{dec.file_hash[:16]}:' || (rn + 1)::VARCHAR"
        warnings.append(("warn_no_order_ids", {}))
    _status_table(cur, "status") if has("status") else None
    _status_table(cur, "after_sale") if has("after_sale") else None
    sel = lambda f: f if has(f) else _typed_null(f)  # noqa: E731
    line_amount = sel("amount")
    if not has("amount") and has("price"):
        line_amount = "price * coalesce(quantity, 1)"
    after_refunded = "coalesce(a.state = 'refunded', false)" if has("after_sale") else "false"
    base = f"""
        SELECT rn, row_hash, {key} AS order_key, {sel('order_id')} AS order_id,
               {sel('customer_id')} AS customer_id, {sel('ordered_at')} AS ordered_at, {sel('paid_at')} AS paid_at,
               {sel('status')} AS status_raw, {'s.state' if has('status') else 'NULL'} AS state,
               {line_amount} AS amount, {sel('refund')} AS refund, {after_refunded} AS line_refunded,
               {sel('quantity')} AS quantity, {sel('item_title')} AS item_title,
               {sel('price')} AS price, {sel('sku')} AS sku,
               {sel('receiver')} AS receiver, {sel('phone')} AS phone, {sel('address')} AS address,
               {sel('province')} AS province, {sel('city')} AS city, {sel('shop')} AS shop
        FROM stg
        {'LEFT JOIN map_status s ON s.word = stg.status' if has('status') else ''}
        {'LEFT JOIN map_after_sale a ON a.word = stg.after_sale' if has('after_sale') else ''}"""
    cur.execute("DROP TABLE IF EXISTS ok_rows")
    cur.execute(f"CREATE TEMP TABLE ok_rows AS {base}")
    if not spec.line_level:      # what follows reads ok_rows; the items of a line-level file are built from stg
        cur.execute("DROP TABLE stg")
        _release(cur)
    if has("order_id"):
        # Rows that repeat exactly (every column of the file equal, mapped or not) count once; two
        # lines that differ in any column (a stock code the import does not map) are two lines.
        dup_rows = _drop_repeated_rows(cur)
        if dup_rows:
            warnings.append(("warn_duplicate_rows", {"count": dup_rows}))
    _split_returns(cur)
    bad: list[tuple] = []
    if has("order_id") and has("customer_id"):
        # One order id with two different buyers in one file: nothing says which buyer is right
        # (often two orders whose ids Excel rounded to the same number), and keeping either would
        # give one customer another's purchase. Every row of that order is rejected, with its buyer.
        cur.execute("""CREATE OR REPLACE TEMP TABLE conflict_keys AS
            SELECT order_key FROM ok_rows WHERE customer_id IS NOT NULL
            GROUP BY order_key HAVING count(DISTINCT customer_id) > 1""")
        bad += cur.execute("""SELECT rn, 'customer_id', customer_id, 'conflicting_buyer' FROM ok_rows
                              WHERE order_key IN (SELECT order_key FROM conflict_keys) ORDER BY rn""").fetchall()
        if bad:
            cur.execute("DELETE FROM ok_rows WHERE order_key IN (SELECT order_key FROM conflict_keys)")
        cur.execute("DROP TABLE conflict_keys")

    line_level = spec.line_level
    amount_scope = spec.amount_scope
    if has("order_id") and not line_level and spec.platform == "generic":
        # An id repeated with different rows is a line-level file (generic logs with one row per
        # item): the amounts of its lines add up.
        repeated = cur.execute("SELECT count(*) - count(DISTINCT order_key) FROM ok_rows").fetchone()[0]
        if repeated:
            line_level, amount_scope = True, "line"
    if line_level:
        amount_agg = "sum(amount)" if amount_scope == "line" else "max(amount)"
        refund_agg = ("sum(CASE WHEN line_refunded THEN amount ELSE coalesce(refund, 0) END)"
                      if amount_scope == "line" else "max(refund)")
        first = lambda c: f"arg_min({c}, rn) FILTER (WHERE {c} IS NOT NULL)"  # noqa: E731
        grouped = f"""
            SELECT min(rn) AS rn, order_key, any_value(order_id) AS order_id,
                   {first('customer_id')} AS customer_id, min(ordered_at) AS ordered_at, min(paid_at) AS paid_at,
                   {first('status_raw')} AS status_raw, {first('state')} AS state,
                   {amount_agg} AS amount, {refund_agg} AS refund,
                   bool_and(line_refunded) AS line_refunded, sum(quantity) AS quantity,
                   string_agg(DISTINCT item_title, '，' ORDER BY item_title) AS item_title,
                   {first('receiver')} AS receiver, {first('phone')} AS phone, {first('address')} AS address,
                   {first('province')} AS province, {first('city')} AS city, {first('shop')} AS shop
            FROM ok_rows GROUP BY order_key"""
    else:
        grouped = "SELECT * FROM ok_rows QUALIFY row_number() OVER (PARTITION BY order_key ORDER BY rn DESC) = 1"
    refund_known = has("refund") or (line_level and amount_scope == "line" and has("after_sale"))
    has_paid_col = has("paid_at")
    paid_states = ", ".join(f"'{s}'" for s in PAID_STATES)
    unpaid_states = ", ".join(f"'{s}'" for s in UNPAID_STATES)
    cur.execute("DROP TABLE IF EXISTS new_orders")
    cur.execute(f"""
        CREATE TEMP TABLE new_orders AS
        WITH g AS ({grouped}),
        p AS (
            SELECT *, coalesce(ordered_at, paid_at) AS ordered_at2,
                   CASE WHEN paid_at IS NOT NULL THEN true
                        WHEN state IN ({paid_states}) THEN true
                        WHEN state IN ({unpaid_states}) THEN false
                        WHEN {str(has_paid_col).lower()} THEN false
                        ELSE true END AS is_paid
            FROM g),
        r AS (
            SELECT *, CASE
                WHEN line_refunded AND NOT {str(refund_known).lower()} THEN amount
                WHEN state = 'refunded' AND coalesce(refund, 0) = 0 THEN amount
                WHEN state = 'closed' AND is_paid AND NOT {str(refund_known).lower()} THEN amount
                ELSE coalesce(refund, 0) END AS refund_eff
            FROM p)
        SELECT rn, order_key, order_id, customer_id, ordered_at2 AS ordered_at, paid_at, status_raw,
               coalesce(state, 'none') AS status, amount, refund_eff::DECIMAL(18,2) AS refund, quantity, item_title,
               receiver, phone, address,
               coalesce(province, {"split_part(address, ' ', 1)" if has('address') else 'NULL'}) AS province,
               coalesce(city, {"nullif(split_part(address, ' ', 2), '')" if has('address') else 'NULL'}) AS city,
               shop, is_paid,
               is_paid AND NOT (refund_eff > 0 AND refund_eff >= amount) AS is_purchase
        FROM r""")
    # Order-level problems found only after grouping lines: every line of such an order is rejected
    # (so that rows read = rows imported + rows rejected).
    limit = int(clean.MAX_ORDER_AMOUNT)
    wrong = f"ordered_at IS NULL OR amount IS NULL OR amount < 0 OR amount > {limit}"
    bad += cur.execute(f"""
        SELECT o.rn, CASE WHEN n.ordered_at IS NULL THEN 'ordered_at' ELSE 'amount' END, NULL,
               CASE WHEN n.ordered_at IS NULL THEN 'missing_date' WHEN n.amount IS NULL THEN 'missing_amount'
                    WHEN n.amount < 0 THEN 'negative_amount' ELSE 'absurd_amount' END
        FROM new_orders n JOIN ok_rows o USING (order_key)
        WHERE n.ordered_at IS NULL OR n.amount IS NULL OR n.amount < 0 OR n.amount > {limit}
        ORDER BY o.rn""").fetchall()
    if bad:
        cur.execute(f"DELETE FROM new_orders WHERE {wrong}")
    _order_warnings(cur, det, result)
    row = cur.execute("SELECT min(ordered_at)::VARCHAR, max(ordered_at)::VARCHAR FROM new_orders").fetchone()
    result.date_min, result.date_max = row
    return bad


def _drop_repeated_rows(cur) -> int:
    """Delete from ok_rows the rows that repeat an earlier row exactly — every column of the file
    equal, mapped or not (by their 64-bit digest, row_hash) — and return how many. Only rows whose
    order key occurs more than once are compared, so a file of distinct orders costs one count."""
    if cur.execute("SELECT count(*) = count(DISTINCT order_key) FROM ok_rows").fetchone()[0]:
        return 0
    cur.execute("""CREATE OR REPLACE TEMP TABLE repeated_rn AS
        SELECT rn FROM ok_rows WHERE order_key IN (SELECT order_key FROM ok_rows GROUP BY order_key HAVING count(*) > 1)
        QUALIFY row_number() OVER (PARTITION BY order_key, row_hash ORDER BY rn) > 1""")
    n = cur.execute("SELECT count(*) FROM repeated_rn").fetchone()[0]
    if n:
        cur.execute("DELETE FROM ok_rows WHERE rn IN (SELECT rn FROM repeated_rn)")
    cur.execute("DROP TABLE repeated_rn")
    return n


def _is_return(alias: str = "") -> str:
    """A return or correction line: a quantity <= 0 or a negative amount."""
    return f"({alias}amount < 0 OR {alias}quantity <= 0)"


def _split_returns(cur) -> None:
    """Lines with a quantity <= 0 or a negative amount (credit notes, stock adjustments) are returns
    or corrections: not purchase lines and not rejected rows. They move from ok_rows to ret_rows, each
    with a key that is the same in every export holding that line however it formats it: the order
    key, a digest of the line's cleaned values, and its place among identical lines of its file."""
    cur.execute("DROP TABLE IF EXISTS ret_rows")
    cur.execute(f"""CREATE TEMP TABLE ret_rows AS
        SELECT rn, order_key || ':' || md5(values::VARCHAR) || ':'
                   || row_number() OVER (PARTITION BY order_key, values ORDER BY rn) AS return_key,
               * EXCLUDE (rn, values)
        FROM (SELECT o.rn, o.order_key, o.order_id, o.customer_id, coalesce(o.ordered_at, o.paid_at) AS ordered_at,
                     o.item_title, o.sku, o.quantity, o.price, o.amount::DECIMAL(18,2) AS amount,
                     list_value(o.customer_id, coalesce(o.ordered_at, o.paid_at)::VARCHAR, o.item_title, o.sku,
                                o.quantity::VARCHAR, o.price::VARCHAR, o.amount::VARCHAR) AS values
              FROM ok_rows o WHERE {_is_return('o.')})""")
    if cur.execute("SELECT count(*) FROM ret_rows").fetchone()[0]:
        cur.execute(f"DELETE FROM ok_rows WHERE {_is_return()}")


def _order_warnings(cur, det: Detection, result: ImportResult) -> None:
    m = det.mapping
    w = result.warnings
    n, no_cust, masked, damaged, sci = cur.execute(r"""
        SELECT count(*), count(*) FILTER (WHERE customer_id IS NULL),
               count(*) FILTER (WHERE customer_id LIKE '%*%'),
               count(*) FILTER (WHERE regexp_full_match(order_id, '\d{16,}') AND regexp_full_match(order_id[16:], '0+')),
               count(*) FILTER (WHERE regexp_full_match(order_id, '\d(\.\d+)?[eE]\+?\d+'))
        FROM new_orders""").fetchone()
    if "customer_id" in m and n and no_cust:
        w.append(("warn_empty_customer", {"count": no_cust}))
    if n and masked > 0.2 * n:
        w.append(("warn_masked_buyers", {"count": masked}))
    if n and (sci or damaged > 0.2 * n):
        w.append(("warn_damaged_ids", {"count": sci + damaged}))
    if "shop" in m:
        shops = [r[0] for r in cur.execute(
            "SELECT shop FROM new_orders WHERE shop IS NOT NULL GROUP BY shop ORDER BY min(rn)").fetchall()]
        if len(shops) > 1:
            # Kept per order (orders.shop); analyses add the shops up.
            w.append(("warn_several_shops", {"count": len(shops), "shops": "、".join(shops[:5])
                                             + ("…" if len(shops) > 5 else "")}))
    if "status" in m:
        other = [r[0] for r in cur.execute(
            "SELECT DISTINCT status_raw FROM new_orders WHERE status = 'other' ORDER BY 1 LIMIT 8").fetchall()]
        if other:
            w.append(("warn_unknown_status", {"statuses": "、".join(other)}))


def _register_customers(cur, table: str, import_id: int) -> None:
    """Give every new customer key in `table` its integer number."""
    cur.execute(f"""
        INSERT INTO customers (cust_no, customer_id, first_import_id)
        SELECT (SELECT coalesce(max(cust_no), 0) FROM customers) + row_number() OVER (ORDER BY customer_id),
               customer_id, ?
        FROM (SELECT DISTINCT customer_id FROM {table} WHERE customer_id IS NOT NULL
              EXCEPT SELECT customer_id FROM customers)""", [import_id])


# The orders columns an import writes: those copied from the file's rows, then platform, spend, cust_no.
_COPIED = ("order_id", "shop", "customer_id", "ordered_at", "paid_at", "status_raw", "status", "amount", "refund",
           "quantity", "item_title", "receiver", "phone", "address", "province", "city", "is_paid", "is_purchase")
_ORDER_COLUMNS = ", ".join(_COPIED + ("platform", "spend", "cust_no"))
_SPEND = "CASE WHEN {p}is_purchase THEN {p}amount - {p}refund ELSE 0 END::DECIMAL(18,2)"


def _merge_orders(cur, result: ImportResult, import_id: int) -> None:
    """new_orders → orders. A later export of the same order updates it; identical rows are
    'unchanged'; a time without seconds (Excel re-save) keeps the precise one already stored."""
    if _none_stored(cur):
        _add_orders(cur, result, import_id)
        return
    keep_precise = lambda c: (f"CASE WHEN o.{c} IS NOT NULL AND n.{c} IS NOT NULL AND second(n.{c}) = 0 "  # noqa: E731
                              f"AND date_trunc('minute', o.{c}) = n.{c} THEN o.{c} ELSE coalesce(n.{c}, o.{c}) END")
    keep = lambda c: f"coalesce(n.{c}, o.{c})"  # noqa: E731
    cur.execute("DROP TABLE IF EXISTS m")
    cur.execute(f"""
        CREATE TEMP TABLE m AS
        SELECT n.order_key, coalesce(n.order_id, o.order_id) AS order_id, ? AS platform, {keep('shop')} AS shop,
               {keep('customer_id')} AS customer_id, {keep_precise('ordered_at')} AS ordered_at,
               {keep_precise('paid_at')} AS paid_at, n.status_raw, n.status, n.amount, n.refund,
               {keep('quantity')} AS quantity, {keep('item_title')} AS item_title,
               {keep('receiver')} AS receiver, {keep('phone')} AS phone, {keep('address')} AS address,
               {keep('province')} AS province, {keep('city')} AS city,
               n.is_paid, n.is_purchase,
               {_SPEND.format(p="n.")} AS spend,
               o.order_key IS NOT NULL AS existed, o.first_import_id,
               o.customer_id AS o_customer_id, o.ordered_at AS o_ordered_at, o.paid_at AS o_paid_at,
               o.status_raw AS o_status_raw, o.amount AS o_amount, o.refund AS o_refund,
               o.quantity AS o_quantity, o.item_title AS o_item_title, o.is_purchase AS o_is_purchase,
               o.province AS o_province, o.city AS o_city, o.phone AS o_phone, o.shop AS o_shop
        FROM new_orders n LEFT JOIN orders o ON o.order_key = n.order_key""", [result.platform])
    _register_customers(cur, "m", import_id)
    cur.execute("ALTER TABLE m ADD COLUMN cust_no INTEGER")
    cur.execute("UPDATE m SET cust_no = c.cust_no FROM customers c WHERE c.customer_id = m.customer_id")
    cur.execute("""ALTER TABLE m ADD COLUMN changed BOOLEAN""")
    cur.execute("""UPDATE m SET changed = NOT existed OR
        customer_id IS DISTINCT FROM o_customer_id OR ordered_at IS DISTINCT FROM o_ordered_at OR
        paid_at IS DISTINCT FROM o_paid_at OR status_raw IS DISTINCT FROM o_status_raw OR
        amount IS DISTINCT FROM o_amount OR refund IS DISTINCT FROM o_refund OR
        quantity IS DISTINCT FROM o_quantity OR item_title IS DISTINCT FROM o_item_title OR
        is_purchase IS DISTINCT FROM o_is_purchase OR province IS DISTINCT FROM o_province OR
        city IS DISTINCT FROM o_city OR phone IS DISTINCT FROM o_phone OR shop IS DISTINCT FROM o_shop""")
    new, updated, unchanged = cur.execute(
        "SELECT count(*) FILTER (WHERE NOT existed), count(*) FILTER (WHERE existed AND changed), "
        "count(*) FILTER (WHERE existed AND NOT changed) FROM m").fetchone()
    result.orders_new, result.orders_updated, result.orders_unchanged = new, updated, unchanged
    cols = _ORDER_COLUMNS
    if updated:
        sets = ", ".join(f"{c.strip()} = m.{c.strip()}" for c in cols.split(","))
        cur.execute(f"""UPDATE orders SET {sets}, last_import_id = ?
                        FROM m WHERE orders.order_key = m.order_key AND m.existed AND m.changed""", [import_id])
    if new:
        cur.execute(f"""INSERT INTO orders (order_key, {cols}, first_import_id, last_import_id)
                        SELECT order_key, {cols}, ?, ? FROM m WHERE NOT existed""", [import_id, import_id])
    if new or updated:
        # The first order time of every customer this file touched (the old owner of an order too).
        _orders_changed(cur, """SELECT cust_no FROM m WHERE changed AND cust_no IS NOT NULL
            UNION SELECT c.cust_no FROM m JOIN customers c ON c.customer_id = m.o_customer_id WHERE m.changed""")


def _none_stored(cur) -> bool:
    return not cur.execute("SELECT EXISTS (SELECT 1 FROM new_orders n SEMI JOIN orders o ON o.order_key = n.order_key)"
                           ).fetchone()[0]


def _add_orders(cur, result: ImportResult, import_id: int) -> None:
    """new_orders → orders when none of them is stored yet (a first import, the next month's export):
    inserted as they are, with nothing to compare or keep."""
    _register_customers(cur, "new_orders", import_id)
    result.orders_new = cur.execute("SELECT count(*) FROM new_orders").fetchone()[0]
    if not result.orders_new:
        return
    cur.execute(f"""INSERT INTO orders (order_key, {_ORDER_COLUMNS}, first_import_id, last_import_id)
                    SELECT n.order_key, {', '.join('n.' + c for c in _COPIED)}, ?, {_SPEND.format(p="n.")},
                           c.cust_no, ?, ?
                    FROM new_orders n LEFT JOIN customers c ON c.customer_id = n.customer_id""",
                [result.platform, import_id, import_id])
    _orders_changed(cur, """SELECT DISTINCT c.cust_no FROM new_orders n JOIN customers c USING (customer_id)""")


def _orders_changed(cur, touched: str) -> None:
    """After orders of the customers `touched` (a query of cust_no) were added or changed: their
    first order time, then the models that read orders."""
    cur.execute(f"CREATE TEMP TABLE touched AS {touched}")
    cur.execute("""UPDATE customers SET first_order_at = s.first FROM (
                       SELECT t.cust_no, min(o.ordered_at) AS first FROM touched t
                       LEFT JOIN orders o ON o.cust_no = t.cust_no GROUP BY t.cust_no) s
                   WHERE customers.cust_no = s.cust_no""")
    cur.execute("DROP TABLE touched")
    models.refresh(cur, {"orders"})


def _build_items_from_lines(cur, det: Detection) -> None:
    """Line-level order files (Shopify, JD, Douyin, item logs) also give the items."""
    m = det.mapping
    if "order_id" not in m or "item_title" not in m:
        cur.execute("DROP TABLE IF EXISTS new_items")
        cur.execute("CREATE TEMP TABLE new_items (item_key VARCHAR, order_id VARCHAR, title VARCHAR, sku VARCHAR, "
                    "attributes VARCHAR, quantity INTEGER, price DECIMAL(18,2), amount DECIMAL(18,2), status_raw VARCHAR)")
        return
    _build_items(cur, det, from_orders=True)


def _build_items(cur, det: Detection, from_orders: bool = False) -> None:
    m = det.mapping
    sel = lambda f: f if f in m else _typed_null(f)  # noqa: E731
    position = ("line_id" if "line_id" in m else
                "(row_number() OVER (PARTITION BY order_id ORDER BY rn))::VARCHAR")
    where = "WHERE rn IN (SELECT rn FROM ok_rows)" if from_orders else ""
    amount = "amount" if ("amount" in m and det.spec.amount_scope == "line") else \
        ("price * quantity" if "price" in m and "quantity" in m else "NULL")
    cur.execute("DROP TABLE IF EXISTS new_items")
    cur.execute(f"""
        CREATE TEMP TABLE new_items AS
        SELECT * EXCLUDE (rn) FROM (
            SELECT rn, order_id || ':' || {position} AS item_key, order_id, {sel('item_title')} AS title,
                   {sel('sku')} AS sku, {sel('attributes')} AS attributes, {sel('quantity')} AS quantity,
                   {sel('price')} AS price, ({amount})::DECIMAL(18,2) AS amount, {sel('status')} AS status_raw
            FROM stg {where})
        QUALIFY row_number() OVER (PARTITION BY item_key ORDER BY rn DESC) = 1""")


def _merge_items(cur, result: ImportResult, import_id: int) -> None:
    cols = "order_id, title, sku, attributes, quantity, price, amount, status_raw"
    new, updated = cur.execute("""
        SELECT count(*) FILTER (WHERE o.item_key IS NULL),
               count(*) FILTER (WHERE o.item_key IS NOT NULL AND (n.title, n.quantity, n.price, n.amount, n.status_raw)
                                IS DISTINCT FROM (o.title, o.quantity, o.price, o.amount, o.status_raw))
        FROM new_items n LEFT JOIN order_items o ON o.item_key = n.item_key""").fetchone()
    result.items_new, result.items_updated = new, updated
    cur.execute("""
        CREATE TEMP TABLE keep_first AS SELECT item_key, first_import_id FROM order_items
        WHERE item_key IN (SELECT item_key FROM new_items)""")
    cur.execute("DELETE FROM order_items WHERE item_key IN (SELECT item_key FROM new_items)")
    cur.execute(f"""INSERT INTO order_items (item_key, platform, {cols}, first_import_id, last_import_id)
                    SELECT n.item_key, ?, {', '.join('n.' + c.strip() for c in cols.split(','))},
                           coalesce(k.first_import_id, ?), ?
                    FROM new_items n LEFT JOIN keep_first k USING (item_key)""",
                [result.platform, import_id, import_id])
    cur.execute("DROP TABLE keep_first")
    if new or updated:
        models.refresh(cur, {"order_items"})


def _build_members(cur, det: Detection) -> None:
    m = det.mapping
    spec = det.spec
    sel = lambda f: f if f in m else _typed_null(f)  # noqa: E731
    codes = spec.level_codes or TAOBAO_LEVELS
    code_case = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in codes.items())
    alias_case = " ".join(f"WHEN '{k}' THEN {v}" for k, v in LEVEL_ALIASES.items())
    if "level_code" in m:
        level = f"CASE level_code::VARCHAR {code_case} ELSE {sel('level')} END"
        level_code = "level_code"
    else:
        level = sel("level")
        level_code = f"CASE lower(replace({sel('level')}, ' ', '')) {alias_case} ELSE NULL END" if "level" in m else "NULL"
    cur.execute("DROP TABLE IF EXISTS new_members")
    cur.execute(f"""
        CREATE TEMP TABLE new_members AS
        SELECT customer_id, {sel('name')} AS name, {sel('email')} AS email, {level} AS level,
               ({level_code})::INTEGER AS level_code, {sel('phone')} AS phone, {sel('province')} AS province,
               {sel('city')} AS city, {sel('trade_count')} AS trade_count, {sel('trade_amount')} AS trade_amount,
               {sel('last_trade_at')} AS last_trade_at, {sel('joined_at')} AS joined_at,
               {sel('birthday')}::DATE AS birthday
        FROM stg
        QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY rn DESC) = 1""")


def _merge_members(cur, result: ImportResult, import_id: int) -> None:
    cols = ["name", "email", "level", "level_code", "phone", "province", "city", "trade_count",
            "trade_amount", "last_trade_at", "joined_at", "birthday"]
    diff = " OR ".join(f"coalesce(n.{c}, o.{c}) IS DISTINCT FROM o.{c}" for c in cols)
    new, updated = cur.execute(f"""
        SELECT count(*) FILTER (WHERE o.customer_id IS NULL),
               count(*) FILTER (WHERE o.customer_id IS NOT NULL AND ({diff}))
        FROM new_members n LEFT JOIN members o USING (customer_id)""").fetchone()
    result.members_new, result.members_updated = new, updated
    _register_customers(cur, "new_members", import_id)
    sets = ", ".join(f"{c} = coalesce(n.{c}, members.{c})" for c in cols)
    cur.execute(f"UPDATE members SET {sets}, last_import_id = ? FROM new_members n "
                f"WHERE members.customer_id = n.customer_id", [import_id])
    cur.execute(f"""INSERT INTO members (customer_id, platform, {', '.join(cols)}, first_import_id, last_import_id,
                                         cust_no)
                    SELECT n.customer_id, ?, {', '.join('n.' + c for c in cols)}, ?, ?, c.cust_no
                    FROM new_members n JOIN customers c ON c.customer_id = n.customer_id
                    WHERE NOT EXISTS (SELECT 1 FROM members o WHERE o.customer_id = n.customer_id)""",
                [result.platform, import_id, import_id])
    cur.execute("UPDATE customers SET in_members = true WHERE NOT in_members AND customer_id IN "
                "(SELECT customer_id FROM new_members)")
    models.refresh(cur, {"members"})
    row = cur.execute("SELECT min(last_trade_at)::VARCHAR, max(last_trade_at)::VARCHAR FROM new_members").fetchone()
    result.date_min, result.date_max = row
