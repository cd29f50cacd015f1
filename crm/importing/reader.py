"""From whatever file the user dropped to a clean UTF-8 CSV that DuckDB can read.

- recognise what the bytes are (CSV text in some encoding, XLSX/XLS, or something we refuse);
- stream-decode GBK/GB18030/UTF-8/UTF-16 to UTF-8 without holding the file in memory;
- turn spreadsheets into the same CSV form (all cells as text, ids kept as text);
- find the delimiter and the header row.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import Refused

CHUNK = 4 * 1024 * 1024
SNIFF_BYTES = 1024 * 1024
Progress = Callable[[float, str], None] | None


@dataclass
class Decoded:
    path: Path                 # UTF-8 CSV written for DuckDB
    encoding: str              # what the source was: gb18030 / utf-8 / utf-8-sig / utf-16 / xlsx
    file_hash: str             # sha256 of the decoded text (an Excel re-save changes it)
    delimiter: str = ","
    header_index: int = 0      # 0-based line of the header row in `path`
    header: list[str] = field(default_factory=list)
    has_header: bool = True
    n_fields: int = 0          # fields per row (header may be shorter: trailing commas)
    warnings: list[tuple[str, dict]] = field(default_factory=list)
    sheet: str | None = None
    sample_rows: list[list[str]] = field(default_factory=list)


def sniff_kind(path: Path) -> str:
    """'csv', 'xlsx', 'xls' or a refusal: empty, binary, pdf, zip, image."""
    size = path.stat().st_size
    if size == 0:
        raise Refused("refused_empty")
    with open(path, "rb") as f:
        head = f.read(8192)
    if head.startswith(b"PK\x03\x04"):
        import zipfile
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except zipfile.BadZipFile:
            raise Refused("refused_zip") from None
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        raise Refused("refused_zip")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"%PDF"):
        raise Refused("refused_pdf")
    if head[:4] in (b"\x89PNG", b"GIF8") or head[:3] == b"\xff\xd8\xff":
        raise Refused("refused_binary")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    if b"\x00" in head:
        raise Refused("refused_binary")
    # Mostly control characters → binary.
    ctrl = sum(1 for b in head if b < 9 or 13 < b < 32)
    if ctrl > len(head) * 0.05:
        raise Refused("refused_binary")
    return "csv"


def _guess_encoding(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # Cut at the last newline so a multi-byte character split by the read does not mislead us.
    cut = head.rfind(b"\n")
    sample = head if cut < 0 or len(head) < SNIFF_BYTES else head[: cut + 1]
    # A file cut in the middle of a character (truncated download) still tells its encoding.
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(sample, final=False)
            return enc
        except UnicodeDecodeError:
            pass
    # Mixed encodings: decide by the first lines; the decoder falls back line by line.
    first = sample[:65536]
    for enc in ("utf-8", "gb18030"):
        try:
            first[: first.rfind(b"\n") + 1 or len(first)].decode(enc)
            return enc
        except UnicodeDecodeError:
            pass
    raise Refused("refused_encoding")


def _decode_lines_mixed(data: bytes, primary: str, line_offset: int, bad_lines: list[int]) -> str:
    """Slow path for a chunk that does not decode as a whole: line by line, the other encoding
    as a fallback. Lines that decode in neither keep U+FFFD and are reported."""
    alternate = "gb18030" if primary.startswith("utf-8") else "utf-8"
    out = []
    for i, raw in enumerate(data.split(b"\n")):
        try:
            out.append(raw.decode(primary))
        except UnicodeDecodeError:
            try:
                out.append(raw.decode(alternate))
            except UnicodeDecodeError:
                out.append(raw.decode(primary, errors="replace"))
                bad_lines.append(line_offset + i + 1)
    return "\n".join(out)


def decode_to_utf8(src: Path, dst: Path, progress: Progress = None) -> Decoded:
    """Stream `src` (any supported text encoding) into `dst` as UTF-8 without BOM."""
    encoding = _guess_encoding(src)
    total = max(src.stat().st_size, 1)
    digest = hashlib.sha256()
    bad_lines: list[int] = []
    lines_done = 0
    done = 0
    pending = b""
    python_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    first = True
    with open(src, "rb") as fin, open(dst, "w", encoding="utf-8", newline="") as fout:
        if encoding == "utf-16":
            # Rare; decode incrementally with the BOM-aware codec.
            reader = codecs.getreader("utf-16")(fin, errors="replace")
            while True:
                text = reader.read(CHUNK)
                if not text:
                    break
                text = text.replace("\r\n", "\n")
                digest.update(text.encode("utf-8"))
                fout.write(text)
        else:
            while True:
                block = fin.read(CHUNK)
                done += len(block)
                if not block:
                    data, pending = pending, b""
                    if not data:
                        break
                else:
                    data = pending + block
                    cut = data.rfind(b"\n")
                    if cut < 0:
                        pending = data
                        continue
                    data, pending = data[: cut + 1], data[cut + 1:]
                if first:
                    if data.startswith(codecs.BOM_UTF8):
                        data = data[3:]
                    first = False
                try:
                    text = data.decode(python_encoding)
                except UnicodeDecodeError:
                    text = _decode_lines_mixed(data, python_encoding, lines_done, bad_lines)
                lines_done += text.count("\n")
                if "\r" in text:
                    text = text.replace("\r\n", "\n")
                digest.update(text.encode("utf-8"))
                fout.write(text)
                if progress:
                    progress(min(done / total, 1.0) * 0.4, "decoding")
                if not block:
                    break
    dec = Decoded(path=dst, encoding=encoding, file_hash=digest.hexdigest())
    if bad_lines:
        dec.warnings.append(("warn_undecodable_lines",
                             {"count": len(bad_lines), "lines": _fmt_lines(bad_lines)}))
    return dec


def _fmt_lines(lines: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(n) for n in lines[:limit])
    return shown + ("…" if len(lines) > limit else "")


def _cell_text(value) -> str:
    """A spreadsheet cell as the text a person sees, ids never in scientific notation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def spreadsheet_to_csv(src: Path, dst: Path, header_matcher: Callable[[list[str]], int],
                       progress: Progress = None) -> Decoded:
    """The first sheet whose header a format recognises (else the first non-empty one) → CSV."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(src))
    except Exception:  # calamine raises its own error types for broken files
        raise Refused("refused_bad_spreadsheet") from None
    chosen = None
    best = -1
    nonempty = []
    for name in wb.sheet_names:
        try:
            sheet = wb.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=True, nrows=30)
        except Exception:
            continue
        if not rows:
            continue
        nonempty.append(name)
        score = max((header_matcher([_cell_text(c) for c in r]) for r in rows[:30]), default=0)
        if score > best:
            best, chosen = score, name
    if chosen is None:
        raise Refused("refused_no_rows")
    rows = wb.get_sheet_by_name(chosen).to_python(skip_empty_area=True)
    digest = hashlib.sha256()
    with open(dst, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        n = len(rows)
        for i, row in enumerate(rows):
            cells = [_cell_text(c) for c in row]
            w.writerow(cells)
            digest.update("\x1f".join(cells).encode("utf-8"))
            if progress and i % 50000 == 0:
                progress(0.4 * i / max(n, 1), "decoding")
    dec = Decoded(path=dst, encoding="xlsx", file_hash=digest.hexdigest(), sheet=chosen)
    others = [s for s in nonempty if s != chosen]
    if others:
        dec.warnings.append(("warn_other_sheets", {"sheet": chosen, "others": ", ".join(others)}))
    return dec


_DELIMS = [",", "\t", ";", "|"]


def sniff_layout(dec: Decoded, header_matcher: Callable[[list[str]], int]) -> None:
    """Find delimiter, header row and field count from the first lines of the UTF-8 file."""
    with open(dec.path, encoding="utf-8", newline="") as f:
        head_lines = []
        for _ in range(60):
            line = f.readline()
            if not line:
                break
            head_lines.append(line)
    nonblank = [ln for ln in head_lines if ln.strip()]
    if not nonblank:
        raise Refused("refused_empty")
    text = "".join(head_lines)

    def counts(delim):
        try:
            return [len(r) for r in csv.reader(io.StringIO(text), delimiter=delim) if any(c.strip() for c in r)]
        except csv.Error:
            return []

    best_delim, best_score = ",", -1.0
    for d in _DELIMS:
        c = counts(d)
        if not c:
            continue
        common = max(set(c), key=c.count)
        if common < 2:
            continue
        score = common * c.count(common) / len(c)
        if score > best_score:
            best_delim, best_score = d, score
    if best_score < 0:
        # No delimiter gives two or more columns: whitespace-aligned (e.g. CDNOW_master.txt)?
        widths = [len(ln.split()) for ln in nonblank[:50]]
        if widths and min(widths) >= 2 and len(set(widths)) == 1:
            best_delim = "whitespace"
        else:
            raise Refused("refused_not_table")
    dec.delimiter = best_delim
    if best_delim == "whitespace":
        rows = [ln.split() for ln in head_lines if ln.strip()]
    else:
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=best_delim)]
    # The header is the row among the first lines that the formats recognise best; if none is
    # recognised, the first non-empty row, unless it looks like data (numbers and dates).
    scored = [(header_matcher(r), i) for i, r in enumerate(rows[:30]) if any(c.strip() for c in r)]
    top = max(scored, key=lambda t: (t[0], -t[1])) if scored else (0, 0)
    if top[0] > 0:
        idx = top[1]
        dec.has_header = True
    else:
        idx = next(i for i, r in enumerate(rows) if any(c.strip() for c in r))
        dec.has_header = not _looks_like_data(rows[idx])
    header = rows[idx]
    data_rows = [r for r in rows[idx + (1 if dec.has_header else 0): idx + 51] if any(c.strip() for c in r)]
    dec.sample_rows = data_rows
    n_fields = max([len(header)] + [len(r) for r in data_rows])
    if not dec.has_header:
        header = [f"column{i + 1}" for i in range(n_fields)]
    # Count physical lines to the header (quoted newlines in a title row are not a concern).
    dec.header_index = _physical_line_of_row(head_lines, best_delim, idx) if best_delim != "whitespace" else \
        [i for i, ln in enumerate(head_lines) if ln.strip()][idx]
    dec.header = header + [""] * (n_fields - len(header))
    dec.n_fields = n_fields


def _physical_line_of_row(lines: list[str], delim: str, row_index: int) -> int:
    """Line number (0-based) where CSV row `row_index` starts, counting quoted newlines."""
    text = "".join(lines)
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    start = 0
    for i, _ in enumerate(reader):
        if i == row_index:
            return start
        start = reader.line_num
    return start


_DATA_CELL = re.compile(r"^[\s\d.,:/+\-¥$]+$")


def _looks_like_data(row: list[str]) -> bool:
    cells = [c.strip() for c in row if c.strip()]
    return bool(cells) and sum(bool(_DATA_CELL.match(c)) for c in cells) >= max(1, len(cells) - 1)


def whitespace_to_csv(dec: Decoded, dst: Path) -> None:
    """Rewrite a whitespace-aligned file as CSV (only for files without quoting)."""
    with open(dec.path, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8", newline="") as fout:
        w = csv.writer(fout, lineterminator="\n")
        for line in fin:
            parts = line.split()
            if parts:
                w.writerow(parts)
            else:
                fout.write("\n")
    os.replace(dst, dec.path)
    dec.delimiter = ","


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()
