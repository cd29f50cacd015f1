"""Backup, restore and "delete all data".

A backup is one DuckDB database file, written by `COPY FROM DATABASE` into a new file: a snapshot
of every table (data, ledger, settings, saved cohorts) as of one moment, taken under the write lock
so no import is half in it. It opens with DuckDB as it is, and restoring it is replacing the file.

`restore` checks the upload is one of ours (a DuckDB file with our `meta` schema version and our
tables, not newer than this program) before it touches anything; it then closes the open
database, keeps the file it replaces as `<name>.before-restore`, and puts the backup in its place.
An older backup is migrated when it is next opened.

`delete_all` empties every data table (orders, items, members, customers, rejects, the import
ledger, the tables derived from them, tag assignments) in one transaction. It keeps the settings
a user made (level rules, lifecycle thresholds and other `settings`, saved column mappings, saved
cohort definitions, tag names): they describe the shop, not the data, and apply to the next import.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import duckdb

from .db import SCHEMA_VERSION, Database

# Tables every database of ours has had since schema 1: an upload without them is not a backup.
REQUIRED_TABLES = ("meta", "imports", "orders", "order_items", "members", "rejects", "column_maps",
                   "settings", "customers")
# What delete_all keeps: the user's settings, not data.
# Opt-outs (a member's wish not to be contacted) and contact plans outlive the data they were made on.
KEEP_TABLES = ("meta", "settings", "column_maps", "cohorts", "tags", "optouts", "contact_plans")
MAGIC = b"DUCK"  # bytes 8–11 of every DuckDB database file


class BackupError(ValueError):
    """A refused upload: a message key (crm/locales/backup.py) and its parameters."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key, self.params = key, params

    @property
    def message(self) -> tuple[str, dict]:
        return self.key, self.params


def backup_name(now: dt.datetime | None = None) -> str:
    return f"member-desk-backup-{(now or dt.datetime.now()):%Y%m%d-%H%M}.duckdb"


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def backup_to(db: Database, target: str | os.PathLike) -> Path:
    """Write a backup of the whole database to `target` (a new file). Waits for a running import."""
    target = Path(target)
    if target.exists():
        raise FileExistsError(target)
    alias = f"backup_{uuid.uuid4().hex[:12]}"
    with db._write_lock:  # no import or other write between the first table and the last
        with db.read() as cur:
            source = cur.execute("SELECT current_database()").fetchone()[0]
            cur.execute(f"ATTACH {_quote(target)} AS {alias}")
            try:
                cur.execute(f'COPY FROM DATABASE "{source}" TO {alias}')
            finally:
                cur.execute(f"DETACH {alias}")
    wal = Path(str(target) + ".wal")
    if wal.exists():  # DETACH checkpoints; a leftover log would make the copy two files
        raise RuntimeError(f"backup left a write-ahead log: {wal}")
    return target


def backup_bytes(db: Database) -> bytes:
    """The whole database as the bytes of one file (for a download button)."""
    folder = Path(tempfile.mkdtemp(prefix="crm-backup-"))
    try:
        return backup_to(db, folder / "backup.duckdb").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def inspect(path: str | os.PathLike) -> dict:
    """What a backup file holds, or BackupError if it is not one of ours. Opens it read-only and
    reads every table through once (a damaged file fails here, not after it replaced the data)."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(16)
    if len(head) < 12 or head[8:12] != MAGIC:
        raise BackupError("backup_refused_not_database")
    try:
        con = duckdb.connect(str(path), read_only=True,
                             config={"autoinstall_known_extensions": "false",
                                     "autoload_known_extensions": "false"})
    except duckdb.Error as e:
        raise BackupError("backup_refused_unreadable", detail=str(e).splitlines()[0][:200]) from None
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary").fetchall()}
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise BackupError("backup_refused_not_ours", tables=", ".join(missing))
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        try:
            version = int(row[0][0]) if row else 0
        except (TypeError, ValueError):
            version = 0
        if version < 1:
            raise BackupError("backup_refused_not_ours", tables="meta.schema_version")
        if version > SCHEMA_VERSION:
            raise BackupError("backup_refused_newer", version=version, ours=SCHEMA_VERSION)
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}
        gmv = con.execute("SELECT coalesce(sum(spend), 0) FROM orders WHERE is_purchase").fetchone()[0]
    except duckdb.Error as e:
        raise BackupError("backup_refused_unreadable", detail=str(e).splitlines()[0][:200]) from None
    finally:
        con.close()
    return {"schema_version": version, "counts": counts, "orders": counts["orders"],
            "members": counts["members"], "imports": counts["imports"], "gmv": gmv}


def inspect_bytes(data: bytes) -> dict:
    """`inspect` for an upload in memory (through a temporary file)."""
    folder = Path(tempfile.mkdtemp(prefix="crm-restore-"))
    try:
        path = folder / "upload.duckdb"
        path.write_bytes(data)
        return inspect(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def restore(db_path: str | os.PathLike, data: bytes, *, db: Database | None = None) -> dict:
    """Replace the database at `db_path` with the backup in `data`.

    The upload is checked first (`inspect`); a refusal raises BackupError and changes nothing.
    `db`, the open Database of this file if any (the app's cached one), is closed under its write
    lock (a running import finishes first); nothing else in this process may hold the file open.
    The replaced file is kept as `<name>.before-restore`. Returns `inspect`'s summary."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{db_path.name}.restore-", dir=db_path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        info = inspect(tmp)
        lock = db._write_lock if db is not None else None
        if lock is not None:
            lock.acquire()
        try:
            if db is not None:
                db.close()
            wal = Path(str(db_path) + ".wal")
            if db_path.exists():
                if wal.exists():  # the closed database's own log belongs with it, not the backup
                    os.replace(wal, str(db_path) + ".before-restore.wal")
                os.replace(db_path, str(db_path) + ".before-restore")
            os.replace(tmp, db_path)
        finally:
            if lock is not None:
                lock.release()
    finally:
        tmp.unlink(missing_ok=True)
    with Database(db_path) as check:  # opens, and migrates an older backup
        got = check.scalar("SELECT count(*) FROM orders")
    if got != info["orders"]:
        raise RuntimeError("the restored file is not the one read: is the old database still open "
                           "in this process?")
    return info


def data_tables(db: Database) -> list[str]:
    """Every table delete_all empties: all of ours except KEEP_TABLES."""
    rows = db.query("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary "
                    "AND database_name = current_database() ORDER BY table_name")
    return [r[0] for r in rows if r[0] not in KEEP_TABLES]


def delete_all(db: Database) -> dict[str, int]:
    """Empty every data table in one transaction (settings are kept, see the module doc).
    Returns the number of rows deleted per table."""
    tables = data_tables(db)
    deleted = {}
    with db.write() as cur:
        for t in tables:
            deleted[t] = cur.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            cur.execute(f'DELETE FROM "{t}"')
        db.bump_version(cur)
    return deleted
