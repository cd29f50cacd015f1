"""Files people download: CSV (UTF-8 with BOM so Excel opens it) and XLSX, formula-safe.

A cell that starts with = + - @ (or a tab / carriage return) could run as a spreadsheet formula
when opened; such text cells get a leading apostrophe. Numbers stay numbers.
"""
from __future__ import annotations

import io
import re

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    safe_frame(df).to_csv(buf, index=False)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as w:
        safe_frame(df).to_excel(w, index=False, sheet_name=sheet[:31])
    return buf.getvalue()


def safe_filename(name: str, default: str = "export") -> str:
    """Letters (any script), digits, - _ . and spaces only; no path separators, no leading dots."""
    cleaned = re.sub(r"[^\w\-. \u4e00-\u9fff]", "_", name).strip(" .")
    return cleaned[:120] or default
