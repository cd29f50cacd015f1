"""Value cleaning as DuckDB macros, so a million rows are cleaned inside the database.

Every macro takes the raw text of a cell. The same rules are exposed to Python (`clean_*`) for
tests and previews, by running the macros on a private in-memory connection.
"""
from __future__ import annotations

import threading

import duckdb

NULL_WORDS = ("", "null", "NULL", "Null", "-", "--", "---", "——", "—", "－", "N/A", "n/a", "NA", "#N/A",
              "nan", "NaN", "None", "none", "\\N", "无", "/")
_NULLS_SQL = ", ".join("'" + w.replace("'", "''") + "'" for w in NULL_WORDS)
_STRIP = " \t\r\n\u3000\u00a0\ufeff\u200b"

# Date formats tried; the importer orders them per column by how many sample values each parses.
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%Y%m%d", "%Y%m%d%H%M%S", "%Y%m%d %H:%M:%S",
    "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日",
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
)
MIN_DATE = "1970-01-01"
MAX_DATE = "2100-01-01"

MACROS = [
    f"CREATE OR REPLACE TEMP MACRO crm_strip(v) AS trim(v, '{_STRIP}')",
    # ="123" (Excel formula text), '0105 (Excel text prefix), =123
    """CREATE OR REPLACE TEMP MACRO crm_unwrap(s) AS crm_strip(CASE
          WHEN s LIKE '="%"' AND length(s) >= 3 THEN s[3:-2]
          WHEN s LIKE '=%' THEN s[2:]
          WHEN s LIKE '''%' THEN s[2:]
          ELSE s END)""",
    f"""CREATE OR REPLACE TEMP MACRO crm_text(v) AS (CASE
          WHEN crm_unwrap(crm_strip(v)) IN ({_NULLS_SQL}) THEN NULL
          ELSE crm_unwrap(crm_strip(v)) END)""",
    # Ids: text; "123.0" from a spreadsheet number becomes "123".
    r"""CREATE OR REPLACE TEMP MACRO crm_id(v) AS
          regexp_replace(crm_text(v), '^(\d+)\.0+$', '\1')""",
    r"""CREATE OR REPLACE TEMP MACRO crm_phone(v) AS
          regexp_replace(crm_text(v), '^(\+?[\d\- ]+)\.0+$', '\1')""",
    # ¥1,234.50 / 12.5元 / RMB 88 / $1,000 → DECIMAL(18,2); anything else → NULL.
    r"""CREATE OR REPLACE TEMP MACRO crm_money(v) AS TRY_CAST(
          regexp_replace(crm_text(v), '(?i)[¥￥$,，\s]|元|rmb|cny|usd', '', 'g') AS DECIMAL(18,2))""",
    r"""CREATE OR REPLACE TEMP MACRO crm_int(v) AS TRY_CAST(TRY_CAST(
          regexp_replace(crm_text(v), '[,，\s件个]', '', 'g') AS DECIMAL(18,2)) AS INTEGER)""",
    # Date text normalised for strptime: ISO 'T' → space; a trailing zone (Z, +08:00, +0000, UTC)
    # after a time is dropped (times are kept as the shop's wall-clock time).
    r"""CREATE OR REPLACE TEMP MACRO crm_date_text(v) AS regexp_replace(
          regexp_replace(crm_text(v), '^(\d{4}-\d{1,2}-\d{1,2})T', '\1 '),
          '(\d:\d{2}(:\d{2}(\.\d+)?)?)\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})$', '\1')""",
    f"""CREATE OR REPLACE TEMP MACRO crm_ts_any(v, fmts) AS (CASE
          WHEN regexp_full_match(crm_date_text(v), '1\\d{{9}}') THEN make_timestamp(crm_date_text(v)::BIGINT * 1000000)
          WHEN regexp_full_match(crm_date_text(v), '1\\d{{12}}') THEN make_timestamp(crm_date_text(v)::BIGINT * 1000)
          ELSE try_strptime(crm_date_text(v), fmts) END)""",
    f"""CREATE OR REPLACE TEMP MACRO crm_ts(v, fmts) AS (CASE
          WHEN crm_ts_any(v, fmts) >= TIMESTAMP '{MIN_DATE}' AND crm_ts_any(v, fmts) < TIMESTAMP '{MAX_DATE}'
          THEN crm_ts_any(v, fmts) END)""",
]


def install_macros(cur: duckdb.DuckDBPyConnection) -> None:
    for m in MACROS:
        cur.execute(m)


def formats_sql(formats: list[str] | tuple[str, ...]) -> str:
    """A SQL list literal of our own fixed format strings (never user input)."""
    assert all(f in DATE_FORMATS for f in formats)
    return "[" + ", ".join("'" + f + "'" for f in formats) + "]"


def rank_date_formats(cur: duckdb.DuckDBPyConnection, table: str, column: str, sample: int = 5000) -> list[str]:
    """Formats ordered by how many sample values of `column` each parses (ties keep our order),
    so 01/02/2024 is read the way the rest of that column is written."""
    exprs = ", ".join(f"count(try_strptime(x, '{f}'))" for f in DATE_FORMATS)
    row = cur.execute(
        f"SELECT {exprs} FROM (SELECT crm_date_text({column}) AS x FROM {table} "
        f"WHERE {column} IS NOT NULL LIMIT {int(sample)})"
    ).fetchone()
    ranked = sorted(range(len(DATE_FORMATS)), key=lambda i: (-row[i], i))
    return [DATE_FORMATS[i] for i in ranked]


# -- the same rules from Python (tests, previews) --------------------------------------------------
_local = threading.local()


def _con() -> duckdb.DuckDBPyConnection:
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"autoinstall_known_extensions": "false"})
        install_macros(con)
        _local.con = con
    return con


def clean_text(value: str | None) -> str | None:
    return _con().execute("SELECT crm_text(?)", [value]).fetchone()[0]


def clean_id(value: str | None) -> str | None:
    return _con().execute("SELECT crm_id(?)", [value]).fetchone()[0]


def clean_money(value: str | None):
    return _con().execute("SELECT crm_money(?)", [value]).fetchone()[0]


def clean_timestamp(value: str | None, formats: list[str] | tuple[str, ...] = DATE_FORMATS):
    return _con().execute(f"SELECT crm_ts(?, {formats_sql(formats)})", [value]).fetchone()[0]
