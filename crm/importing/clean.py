"""Value cleaning in DuckDB SQL, so a million rows are cleaned inside the database.

`clean_select` builds one query that takes raw text columns through layers — strip, unwrap Excel
wrappers, blank words to NULL, then typed parsing — each layer a sub-select, so every step runs
once per value. The same query serves the Python helpers (`clean_*`) used by tests and previews:
one implementation of the rules.
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
_EDGE = "(" + ", ".join("'" + c + "'" for c in _STRIP) + ")"
MIN_DATE = "1970-01-01"
MAX_DATE = "2100-01-01"
# What the importer believes (pipeline rejects the rest with a reason): no online shop sold before
# 1995 (the CDNOW log of 1997 is real), no order is dated after tomorrow (time zones), and no single
# order costs more than ¥10,000,000.
PLAUSIBLE_FROM = "1995-01-01"
MAX_ORDER_AMOUNT = 10_000_000
KINDS = ("text", "id", "phone", "money", "int", "date", "birthday")
BIRTHDAY_FROM = "1900-01-01"      # a birthday may be long before any order


def formats_sql(formats: list[str] | tuple[str, ...]) -> str:
    """A SQL list literal of our own fixed format strings (never user input)."""
    assert all(f in DATE_FORMATS for f in formats)
    return "[" + ", ".join("'" + f + "'" for f in formats) + "]"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def text_select(source: str, columns: dict[str, str], keep: tuple[str, ...] = ()) -> str:
    """`columns` {output name: source expression} → strip, unwrap ="…" / '… / =…, blank words → NULL.
    Trimming is the costly step, so it only runs on values that start or end with white space."""
    names = list(columns)
    l0 = ", ".join(f"{expr} AS {_q(n)}" for n, expr in columns.items())
    l1 = ", ".join(
        f"CASE WHEN {_q(n)} = '' OR ({_q(n)}[1] NOT IN {_EDGE} AND {_q(n)}[-1] NOT IN {_EDGE}) THEN {_q(n)} "
        f"ELSE trim({_q(n)}, '{_STRIP}') END AS {_q(n)}" for n in names)
    unwrap = ("CASE WHEN starts_with({c}, '=') OR starts_with({c}, '''') THEN trim(CASE "
              "WHEN starts_with({c}, '=\"') AND ends_with({c}, '\"') AND length({c}) >= 3 THEN {c}[3:-2] "
              "ELSE {c}[2:] END, '" + _STRIP + "') ELSE {c} END AS {c}")
    l2 = ", ".join(unwrap.format(c=_q(n)) for n in names)
    l3 = ", ".join(f"CASE WHEN {_q(n)} IN ({_NULLS_SQL}) THEN NULL ELSE {_q(n)} END AS {_q(n)}" for n in names)
    return (f"SELECT * REPLACE ({l3}) FROM (SELECT * REPLACE ({l2}) FROM (SELECT * REPLACE ({l1}) FROM "
            f"(SELECT rn, {''.join(k + ', ' for k in keep)}{l0} FROM {source})))")


def date_text_expr(col: str) -> str:
    """ISO 'T' → space; a trailing zone (Z, +08:00, +0000, UTC) after a time is dropped: times are
    kept as the shop's wall-clock time."""
    return (rf"""regexp_replace(regexp_replace({col}, '^(\d{{4}}-\d{{1,2}}-\d{{1,2}})T', '\1 '),
               '(\d:\d{{2}}(:\d{{2}}(\.\d+)?)?)\s*(Z|UTC|GMT|[+-]\d{{2}}:?\d{{2}})$', '\1')""")


def money_text_expr(col: str) -> str:
    """Currency signs, units, thousands separators and spaces out; a U+2212 or full-width minus and
    accounting brackets `(12.50)` mean a negative amount."""
    stripped = rf"regexp_replace({col}, '(?i)[¥￥$,，\s]|元|rmb|cny|usd', '', 'g')"
    bracketed = rf"regexp_replace({stripped}, '^[(（](.*)[)）]$', '-\1')"
    return f"replace(replace({bracketed}, '\u2212', '-'), '\uff0d', '-')"


def typed_select(text_source: str, fields: dict[str, str], formats: dict[str, list[str]] | None = None,
                 keep_parsed: bool = False, keep: tuple[str, ...] = ()) -> str:
    """Cleaned text columns → typed columns. Money and date fields keep their text as `<name>__raw`
    so an unreadable value can be told from an empty one. With `keep_parsed`, they also keep
    `<name>__parsed`: the value as read, before any range check (a DOUBLE for money, so an amount
    too large for DECIMAL(18,2) is still a number; the timestamp of a date before 1970 or after
    2100), so the importer can say *why* it rejects a value."""
    formats = formats or {}
    l4, l5, l6 = [], [], []
    extra: list[str] = []
    for n, kind in fields.items():
        c = _q(n)
        raw = _q(n + "__raw")
        if kind == "id":
            l4.append(rf"regexp_replace({c}, '^(\d+)\.0+$', '\1') AS {c}")
        elif kind == "phone":
            l4.append(rf"regexp_replace({c}, '^(\+?[\d\- ]+)\.0+$', '\1') AS {c}")
        elif kind == "money":
            l4.append(f"TRY_CAST({money_text_expr(c)} AS DECIMAL(18,2)) AS {c}")
            l4.append(f"{c} AS {raw}")
            if keep_parsed:
                l4.append(f"TRY_CAST({money_text_expr(c)} AS DOUBLE) AS {_q(n + '__parsed')}")
        elif kind == "int":
            l4.append(rf"""TRY_CAST(TRY_CAST(regexp_replace({c}, '[,，\s件个]', '', 'g') AS DECIMAL(18,2)) AS INTEGER) AS {c}""")
        elif kind in ("date", "birthday"):
            l4.append(f"{date_text_expr(c)} AS {c}")
            l4.append(f"{c} AS {raw}")
            fmts = formats_sql(formats.get(n) or DATE_FORMATS)
            l5.append(rf"""CASE WHEN regexp_full_match({c}, '1\d{{9}}') THEN make_timestamp({c}::BIGINT * 1000000)
                               WHEN regexp_full_match({c}, '1\d{{12}}') THEN make_timestamp({c}::BIGINT * 1000)
                               ELSE try_strptime({c}, {fmts}) END AS {c}""")
            low = BIRTHDAY_FROM if kind == "birthday" else MIN_DATE
            l6.append(f"CASE WHEN {c} >= TIMESTAMP '{low}' AND {c} < TIMESTAMP '{MAX_DATE}' THEN {c} END AS {c}")
            if keep_parsed:
                extra.append(f"{c} AS {_q(n + '__parsed')}")
        else:
            l4.append(f"{c} AS {c}")
    sql = f"SELECT rn, {''.join(k + ', ' for k in keep)}{', '.join(l4)} FROM ({text_source})"
    if l5:
        sql = f"SELECT * REPLACE ({', '.join(l5)}) FROM ({sql})"
        sql = f"SELECT * REPLACE ({', '.join(l6)}){''.join(', ' + e for e in extra)} FROM ({sql})"
    return sql


def rank_date_formats(cur: duckdb.DuckDBPyConnection, text_table: str, column: str, sample: int = 5000) -> list[str]:
    """Formats ordered by how many sample values of `column` each parses (ties keep our order),
    so 01/02/2024 is read the way the rest of that column is written."""
    exprs = ", ".join(f"count(try_strptime(x, '{f}'))" for f in DATE_FORMATS)
    row = cur.execute(
        f"SELECT {exprs} FROM (SELECT {date_text_expr(_q(column))} AS x FROM {text_table} "
        f"WHERE {_q(column)} IS NOT NULL LIMIT {int(sample)})"
    ).fetchone()
    ranked = sorted(range(len(DATE_FORMATS)), key=lambda i: (-row[i], i))
    return [DATE_FORMATS[i] for i in ranked]


# -- the same rules from Python (tests, previews) --------------------------------------------------
_local = threading.local()


def _con() -> duckdb.DuckDBPyConnection:
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"autoinstall_known_extensions": "false"})
        _local.con = con
    return con


def _one(kind: str, value: str | None, formats: list[str] | tuple[str, ...] | None = None):
    text = text_select("(SELECT 0 AS rn, ?::VARCHAR AS v)", {"x": "v"})
    sql = typed_select(text, {"x": kind}, {"x": list(formats)} if formats else None)
    return _con().execute(f"SELECT x FROM ({sql})", [value]).fetchone()[0]


def clean_text(value: str | None) -> str | None:
    return _one("text", value)


def clean_id(value: str | None) -> str | None:
    return _one("id", value)


def clean_money(value: str | None):
    return _one("money", value)


def clean_timestamp(value: str | None, formats: list[str] | tuple[str, ...] = DATE_FORMATS):
    return _one("date", value, formats)
