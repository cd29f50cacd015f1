"""The import ledger: every file ever imported, and the rows each one rejected."""
from __future__ import annotations

import pandas as pd

from .db import Database


def history(db: Database, limit: int = 500) -> pd.DataFrame:
    return db.query_df("""
        SELECT import_id, file_name, format, kind, encoding, finished_at, rows_read, orders_new, orders_updated,
               orders_unchanged, items_new, members_new, members_updated, rows_rejected, returns_lines, returns_amount,
               date_min, date_max, warnings
        FROM imports ORDER BY import_id DESC LIMIT ?""", [limit])


def rejects(db: Database, import_id: int) -> pd.DataFrame:
    return db.query_df("""
        SELECT line, column_name, value, reason, raw FROM rejects WHERE import_id = ? ORDER BY line""", [import_id])


def rejected_frame(rows: list[tuple]) -> pd.DataFrame:
    """The rejected rows a refused import carries (line, column, value, reason, raw), as `rejects` gives them."""
    return pd.DataFrame(rows, columns=["line", "column_name", "value", "reason", "raw"])
