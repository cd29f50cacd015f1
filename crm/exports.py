"""Files people download: CSV (UTF-8 with BOM so Excel opens it), XLSX and TXT, formula-safe.

A text cell that starts with = + - @ (or a tab / carriage return) could run as a spreadsheet formula
when opened; such text cells get a leading apostrophe — unless the text is a plain number ("-5",
"+3.2"), which stays as it is. Numbers stay numbers.

XLSX is written by our own streaming writer (the sheet XML is generated row by row straight into the
zip, with the structure xlsxwriter writes: a 200k-row target list in a few seconds; xlsxwriter's
constant-memory mode took ~50 s). TXT is one buyer name per line (UTF-8), the form
the platforms' own marketing tools import.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
from decimal import Decimal

import numpy as np
import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
TARGET_EXTENSIONS = ("csv", "xlsx", "txt")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _is_text(s: pd.Series) -> pd.Series:
    """Per cell of an object column: is it a str (missing values stay missing)."""
    return s.map(lambda v: isinstance(v, str), na_action="ignore")


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """`safe_cell` on every text cell and header (vectorised: 200k rows in a few tens of ms)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object:
            text = _is_text(s).fillna(False).astype(bool)
            if not text.any():
                continue
            as_text = s.where(text, "").astype(str)
        elif pd.api.types.is_string_dtype(s):
            as_text = s
        else:
            continue
        starts = as_text.str.startswith(_FORMULA_START, na=False)
        if not starts.any():
            continue
        risky = starts.copy()   # only the cells that start like a formula are checked for a plain number
        risky[starts] = ~as_text[starts].str.match(_PLAIN_NUMBER.pattern, na=False)
        if risky.any():
            out[col] = s.where(~risky, "'" + as_text)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, formula-safe. Text and number columns (a target list) are written by DuckDB,
    byte for byte what pandas writes, ~4× faster; anything else (dates, Decimal, booleans) by pandas."""
    safe = safe_frame(df)
    plain = _plain_columns(safe)
    if plain is not None:
        return "\ufeff".encode("utf-8") + _duckdb_csv(plain)
    buf = io.StringIO()
    safe.to_csv(buf, index=False)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _plain_columns(df: pd.DataFrame) -> pd.DataFrame | None:
    """The frame with text columns as strings (blank text as missing: both are written as nothing),
    when every column is int, float64 or text and the headers need no quoting; else None."""
    names = [str(c) for c in df.columns]
    if not names or len(set(n.lower() for n in names)) != len(names) or any(_NEEDS_QUOTES.search(n) for n in names):
        return None
    out = {}
    for name, col in zip(names, df.columns):
        s = df[col]
        if isinstance(s.dtype, np.dtype) and (s.dtype.kind in "iu" or s.dtype == np.float64):
            out[name] = s
            continue
        if s.dtype == object:
            if not _is_text(s).fillna(True).all():     # text and missing values only
                return None
        elif not pd.api.types.is_string_dtype(s):
            return None
        text = s.astype("str")
        out[name] = text.where(text != "")
    return pd.DataFrame(out, index=df.index)


def _duckdb_csv(df: pd.DataFrame) -> bytes:
    import os
    import tempfile

    import duckdb
    fd, path = tempfile.mkstemp(suffix=".csv")
    os.close(fd)
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    try:
        con.register("frame", df)
        con.execute(f"COPY frame TO '{path.replace(chr(39), chr(39) * 2)}' (FORMAT csv, HEADER)")
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        con.close()
        os.unlink(path)


_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_MAX_CELL_TEXT = 32767

# The package parts around the sheet: the same structure xlsxwriter writes (no theme, no docProps).
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews>'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '</Relationships>')
# cell styles: 0 normal, 1 bold (header), 2 date, 3 date and time
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    '</styleSheet>')
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<dimension ref="{ref}"/>'
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/>'
    '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>')
_SHEET_TAIL = ('</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
               '</worksheet>')


_XML_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(s: str) -> str:
    if not _XML_SPECIAL.search(s):
        return s
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in s:
        s = s.replace("\r", "&#13;")
    if _XML_BAD.search(s):
        s = _XML_BAD.sub("", s)
    return s


def _col_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _excel_serial(v) -> float:
    if not isinstance(v, dt.datetime):
        v = dt.datetime(v.year, v.month, v.day)
    if v.tzinfo is not None:
        v = v.replace(tzinfo=None)
    return (v - _EXCEL_EPOCH).total_seconds() / 86400


def _cells(s: pd.Series, letter: str, first_row: int) -> list[str]:
    """The XML of every cell of one column part, from sheet row `first_row` on; '' for a blank."""
    rows = range(first_row, first_row + len(s))
    if pd.api.types.is_bool_dtype(s):
        return ["" if pd.isna(v) else f'<c r="{letter}{r}" t="b"><v>{int(bool(v))}</v></c>'
                for r, v in zip(rows, s.tolist())]
    if pd.api.types.is_datetime64_any_dtype(s):
        values = [None if pd.isna(v) else v.to_pydatetime() for v in s]
        style = 3 if any(v is not None and (v.hour or v.minute or v.second) for v in values) else 2
        return ["" if v is None else f'<c r="{letter}{r}" s="{style}"><v>{_excel_serial(v)!r}</v></c>'
                for r, v in zip(rows, values)]
    if pd.api.types.is_integer_dtype(s) and not s.isna().any():
        return [f'<c r="{letter}{r}"><v>{v}</v></c>' for r, v in zip(rows, s.astype("int64").tolist())]
    if pd.api.types.is_float_dtype(s):
        return [f'<c r="{letter}{r}"><v>{v!r}</v></c>' if math.isfinite(v) else ""
                for r, v in zip(rows, s.astype("float64").tolist())]
    out = []
    append = out.append
    texts: dict[str, str] = {}  # the rest of a text cell, per distinct value (levels, stages repeat)
    for r, v in zip(rows, s.tolist()):
        t = type(v)
        if t is str:
            rest = texts.get(v)
            if rest is None:
                rest = texts[v] = ('" t="inlineStr"><is><t xml:space="preserve">'
                                   f'{_xml_text(safe_cell(v)[:_MAX_CELL_TEXT])}</t></is></c>')
            append(f'<c r="{letter}{r}{rest}')
        elif t is float:
            append(f'<c r="{letter}{r}"><v>{v!r}</v></c>' if math.isfinite(v) else "")
        elif t is int:
            append(f'<c r="{letter}{r}"><v>{v}</v></c>')
        elif v is None or v is pd.NA or v is pd.NaT:
            append("")
        elif t is bool:
            append(f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>')
        elif isinstance(v, Decimal):
            append(f'<c r="{letter}{r}"><v>{float(v)!r}</v></c>' if v.is_finite() else "")
        elif isinstance(v, (dt.datetime, dt.date)):
            style = 3 if isinstance(v, dt.datetime) and (v.hour or v.minute or v.second) else 2
            append(f'<c r="{letter}{r}" s="{style}"><v>{_excel_serial(v)!r}</v></c>')
        elif isinstance(v, float):  # numpy floats
            append(f'<c r="{letter}{r}"><v>{float(v)!r}</v></c>' if math.isfinite(v) else "")
        elif hasattr(v, "item"):  # other numpy scalars
            x = v.item()
            append(f'<c r="{letter}{r}"><v>{x!r}</v></c>' if isinstance(x, (int, float)) and math.isfinite(x)
                   else f'<c r="{letter}{r}" t="inlineStr"><is><t xml:space="preserve">'
                        f'{_xml_text(safe_cell(str(x)))}</t></is></c>')
        else:
            append(f'<c r="{letter}{r}" t="inlineStr"><is><t xml:space="preserve">'
                   f'{_xml_text(safe_cell(str(v))[:_MAX_CELL_TEXT])}</t></is></c>')
    return out


def _width(header: str, s: pd.Series) -> float:
    def w(x) -> int:
        text = str(x)
        return len(text) + sum(1 for ch in text if ord(ch) > 0x2e80)  # CJK is twice as wide
    sample = [w(v) for v in s.head(200).tolist() if v is not None]
    return float(min(max([w(header) + 2, 8] + [x + 1 for x in sample]), 60))


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """One sheet, bold frozen header, numbers as numbers, dates as dates, text formula-safe. Written
    straight as SpreadsheetML (inline strings, streamed into the zip): 200k rows take seconds."""
    import zipfile
    frame = df  # text is made formula-safe cell by cell (safe_cell), as in safe_frame
    headers = [safe_cell(str(c)) for c in frame.columns]
    letters = [_col_letter(i) for i in range(len(headers))]
    n = len(frame)
    name = _BAD_SHEET.sub("_", sheet)[:31].strip("'") or "data"
    last = f"{letters[-1]}{n + 1}" if letters else "A1"
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{_width(h, frame.iloc[:, i])}" customWidth="1"/>'
                   for i, h in enumerate(headers))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK.format(name=_xml_text(name).replace('"', "&quot;")))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            head = _SHEET_HEAD.format(ref=f"A1:{last}", cols=cols if headers else "")
            if not headers:
                head = head.replace("<cols></cols>", "")
            header_cells = "".join(f'<c r="{L}1" s="1" t="inlineStr"><is><t xml:space="preserve">{_xml_text(h)}</t></is></c>'
                                   for L, h in zip(letters, headers))
            out.write((head + f'<row r="1">{header_cells}</row>').encode("utf-8"))
            step = 20000
            for lo in range(0, n, step):
                part = frame.iloc[lo:lo + step]
                first = lo + 2  # sheet row of the part's first line (row 1 is the header)
                columns = [_cells(part.iloc[:, i], L, first) for i, L in enumerate(letters)]
                rows = [f'<row r="{first + k}">{"".join(cells)}</row>' for k, cells in enumerate(zip(*columns))]
                out.write("".join(rows).encode("utf-8"))
            out.write(_SHEET_TAIL.encode("utf-8"))
    return buf.getvalue()


def to_txt_bytes(names) -> bytes:
    """One buyer name per line, UTF-8 (no BOM), formula-neutralised; blanks skipped."""
    s = pd.Series(list(names) if not isinstance(names, pd.Series) else names, dtype=object)
    s = s[s.notna()].astype(str).str.replace(r"[\r\n]+", " ", regex=True)
    s = s[s.str.strip() != ""]
    if s.empty:
        return b""
    return ("\n".join(safe_frame(s.to_frame("n"))["n"]) + "\n").encode("utf-8")


def safe_filename(name: str, default: str = "export") -> str:
    """Letters (any script), digits, - _ . and spaces only; no path separators, no leading dots."""
    cleaned = re.sub(r"[^\w\-. \u4e00-\u9fff]", "_", name).strip(" .")
    return cleaned[:120] or default


def target_file_name(cohort_name: str, as_of: dt.date, ext: str) -> str:
    """'沉睡客户', 2026-10-31, 'csv' → '沉睡客户_2026-10-31.csv' (safe on every system)."""
    ext = ext.lower().lstrip(".")
    if ext not in TARGET_EXTENSIONS:
        from .cohorts import KeyedError
        raise KeyedError("export_error_extension", ext=ext, valid=", ".join(TARGET_EXTENSIONS))
    base = re.sub(r"[^\w\-]+", "_", cohort_name or "").strip("_-")[:80] or "cohort"
    return f"{base}_{as_of.isoformat()}.{ext}"
