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
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import transcode
from .errors import Refused

CHUNK = transcode.CHUNK
SNIFF_BYTES = 1024 * 1024
# Limits that keep a broken or hostile file from stalling an import (each refusal names its limit).
MAX_COLUMNS = 1000                    # no export has more; a header beyond it is not a table header
MAX_HEADER_BYTES = 64 * 1024          # the header line (the longest real one is about 2 KB)
MAX_LINE_BYTES = 64 * 1024 * 1024     # any line: past it the decoder gives up (DuckDB rejects > 16 MB alone)
MAX_UNPACKED = 4 * 1024 ** 3          # an .xlsx that unpacks to more …
MAX_RATIO = 100                       # … or a part over MAX_RATIO_FROM compressed more than 100:1 (a zip bomb)
MAX_RATIO_FROM = 64 * 1024 * 1024
csv.field_size_limit(MAX_LINE_BYTES)  # the sniffer reads long cells too (the default stops at 128 KB)
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
    # Row numbers: a record's number is not just its position when empty lines (skipped by the
    # CSV reader) or quotes (a cell may hold a line break) occur; see pipeline._row_numbers.
    simple_lines: bool = True


_IMAGES = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
_TABLE_FILES = (".csv", ".xlsx", ".xls", ".xlsm", ".tsv")   # a .txt in a zip is usually a readme
# The name of the stream that holds an encrypted Office file, as it appears in the OLE directory.
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


def sniff_kind(path: Path) -> str:
    """'csv', 'xlsx', 'xls' or a refusal: empty, binary, image, pdf, zip, Word/PowerPoint."""
    size = path.stat().st_size
    if size == 0:
        raise Refused("refused_empty")
    with open(path, "rb") as f:
        head = f.read(8192)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(path, head)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"%PDF"):
        raise Refused("refused_pdf")
    if head.startswith(_IMAGES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        raise Refused("refused_image")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    if b"\x00" in head:
        if _utf16_without_bom(head):
            return "csv"
        raise Refused("refused_binary")
    # Mostly control characters → binary.
    ctrl = sum(1 for b in head if b < 9 or 13 < b < 32)
    if ctrl > len(head) * 0.05:
        raise Refused("refused_binary")
    return "csv"


def _sniff_zip(path: Path, head: bytes) -> str:
    """An .xlsx is a zip with xl/…; anything else in a zip is refused, saying what it is."""
    import zipfile
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        # A workbook cut short (interrupted download) still names its parts in the first bytes.
        if b"[Content_Types].xml" in head or b"xl/" in head:
            raise Refused("refused_bad_spreadsheet") from None
        raise Refused("refused_zip") from None
    names = [_zip_name(i) for i in infos]
    if any(n.startswith("xl/") for n in names):
        _check_unpacked_size(infos)
        return "xlsx"
    if any(n.startswith("word/") for n in names):
        raise Refused("refused_office_document", app="Word")
    if any(n.startswith("ppt/") for n in names):
        raise Refused("refused_office_document", app="PowerPoint")
    tables = [n.rsplit("/", 1)[-1] for n in names if n.lower().endswith(_TABLE_FILES)]
    if tables:
        shown = ", ".join(tables[:5]) + ("…" if len(tables) > 5 else "")
        raise Refused("refused_zip_contents", names=shown)
    raise Refused("refused_zip")


def _check_unpacked_size(infos) -> None:
    """A workbook whose parts unpack to more than MAX_UNPACKED, or a large part compressed far
    better than any sheet (a zip bomb renamed .xlsx), is refused before anything is unpacked."""
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise Refused("refused_spreadsheet_too_large", size=_fmt_bytes(total), limit=_fmt_bytes(MAX_UNPACKED))
    for i in infos:
        if i.file_size > MAX_RATIO_FROM and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise Refused("refused_zip_bomb", size=_fmt_bytes(i.file_size), ratio=MAX_RATIO)


def _fmt_bytes(n: int) -> str:
    for unit, size in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.0f} {unit}" if n % size == 0 or n >= 10 * size else f"{n / size:.1f} {unit}"
    return f"{n} B"


def check_head(path: Path) -> None:
    """Refuse at once a file whose first line could not be a header: longer than MAX_HEADER_BYTES
    (a single line of hundreds of megabytes) or wider than MAX_COLUMNS columns. Reads at most 1 MB;
    blank lines before the first line of text are skipped."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    enc = ("utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else
           _utf16_without_bom(head[:8192]) if b"\x00" in head[:8192] else None)
    if enc:
        head = head[: len(head) - len(head) % 2].decode(enc, errors="replace").encode("utf-8")
    head = head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    if not head:
        return
    end = min((i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0), default=-1)
    if (end < 0 and len(head) > MAX_HEADER_BYTES) or end > MAX_HEADER_BYTES:
        raise Refused("refused_header_too_long", limit=_fmt_bytes(MAX_HEADER_BYTES))
    first = head[:end] if end >= 0 else head
    columns = 1 + max(first.count(d.encode()) for d in _DELIMS)
    if columns > MAX_COLUMNS:
        raise Refused("refused_header_too_wide", columns=columns, limit=MAX_COLUMNS)


def _zip_name(info) -> str:
    """Zips made on Chinese Windows store GBK names without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the bytes are UTF-16 text without a BOM: lines, mostly
    ASCII-range characters (digits, delimiters), no control characters."""
    n = len(head) - len(head) % 2
    for enc in ("utf-16-le", "utf-16-be"):
        text = None
        for cut in (n, n - 2):       # the read may end inside a surrogate pair
            try:
                text = head[:cut].decode(enc)
                break
            except UnicodeDecodeError:
                continue
        if not text or "\n" not in text:
            continue
        if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
            continue
        if sum(1 for ch in text if ch < "\x7f") >= 0.3 * len(text):
            return enc
    return None


def _is_encrypted_office(path: Path) -> bool:
    """A password-protected .xlsx is an OLE file whose directory lists an EncryptedPackage."""
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                return False
            if _ENCRYPTED in block:
                return True
            if len(block) < CHUNK:
                return False
            f.seek(-len(_ENCRYPTED), os.SEEK_CUR)




def _guess_encoding(path: Path) -> tuple[str, bool]:
    """(encoding, cr_only): the file's text encoding, and whether its lines end in CR alone
    (old Mac Excel). Refuses a file that reads in none of them."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    cr_only = b"\r" in head and b"\n" not in head
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", cr_only
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False
    if b"\x00" in head[:8192]:
        enc = _utf16_without_bom(head[:8192])
        if enc:
            return enc, False
    eol = b"\r" if cr_only else b"\n"
    # Cut at the last newline so a multi-byte character split by the read does not mislead us.
    cut = head.rfind(eol)
    sample = head if cut < 0 or len(head) < SNIFF_BYTES else head[: cut + 1]
    # A file cut in the middle of a character (truncated download) still tells its encoding.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8", cr_only
    except UnicodeDecodeError:
        pass
    lines = [ln for ln in sample.split(eol) if _HIGH.search(ln)]
    utf8_lines = [ln for ln in lines if _utf8_text_line(ln)]
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        # GB18030 reads almost any bytes: UTF-8 lines would turn into nonsense Chinese. Two
        # exports pasted together (GBK + UTF-8) are read line by line, UTF-8 first.
        if utf8_lines and len(utf8_lines) >= 0.01 * len(lines):
            return "utf-8+gb18030", cr_only
        return "gb18030", cr_only
    except UnicodeDecodeError:
        pass
    if _single_byte_western(sample):
        return "cp1252", cr_only
    # Some lines read in neither encoding (damaged): decide by the lines that do; the decoder
    # falls back line by line and reports the lines it cannot read.
    gb_lines = bad = 0
    first_bad = None
    for i, ln in enumerate(sample.split(eol), start=1):
        if not _HIGH.search(ln) or _utf8_text_line(ln, strict=False):
            continue
        try:
            ln.decode("gb18030")
            gb_lines += 1
        except UnicodeDecodeError:
            bad += 1
            first_bad = first_bad or i
    good = len(utf8_lines) + gb_lines
    if good and good >= bad:
        if utf8_lines and gb_lines:
            return "utf-8+gb18030", cr_only
        return ("utf-8" if len(utf8_lines) >= gb_lines else "gb18030"), cr_only
    raise Refused("refused_encoding_at", line=first_bad or 1)


_HIGH = re.compile(rb"[\x80-\xff]")


def _utf8_text_line(line: bytes, strict: bool = True) -> bool:
    """Valid UTF-8 with non-ASCII text. `strict`: at least three multi-byte characters, so a short
    GBK line that happens to be valid UTF-8 does not count."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not strict or sum(1 for ch in text if ord(ch) > 0x7f) >= 3


def _single_byte_western(sample: bytes) -> bool:
    """Latin-1 / Windows-1252 text (an export re-saved on a Western Windows): non-ASCII bytes stand
    alone between ASCII ones (é, ü, ñ), where in GBK they come in pairs."""
    high = [i for i, b in enumerate(sample) if b >= 0x80]
    if not high:
        return False
    alone = sum(1 for i in high if (i == 0 or sample[i - 1] < 0x80) and (i + 1 >= len(sample) or sample[i + 1] < 0x80))
    if alone < 0.9 * len(high):
        return False
    try:
        sample.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


PARALLEL_FROM = 64 * 1024 * 1024     # a file this big is decoded in two halves, one per core


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _split_point(src: Path, size: int) -> int | None:
    """Just after the first line feed past the middle of the file, or None (no line feed near it)."""
    with open(src, "rb") as f:
        f.seek(size // 2)
        scanned = 0
        while scanned < MAX_LINE_BYTES:
            block = f.read(1024 * 1024)
            if not block:
                return None
            i = block.find(b"\n")
            if i >= 0:
                cut = size // 2 + scanned + i + 1
                return cut if cut < size else None
            scanned += len(block)
    return None


def _second_half(src: Path, start: int, size: int, dst: Path, encoding: str):
    """The second half decoded by a child process on the other core (None: could not start one)."""
    script = Path(__file__).with_name("transcode.py")
    try:
        return subprocess.Popen([sys.executable, "-I", "-S", str(script), str(src), str(start), str(size),
                                 str(dst), encoding, str(MAX_LINE_BYTES)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError:
        return None


def _append_second_half(child, part: transcode.Part, path: Path, fin, fout, digest, encoding: str) -> None:
    """Wait for the child's half, then add it (and what it found) after the first half. A child that
    failed (killed, out of memory) leaves the second half to this process: slower, the same result."""
    out, _ = child.communicate()
    try:
        second = transcode.Part(**json.loads(out)) if child.returncode == 0 else None
    except (ValueError, TypeError):
        second = None
    if second is None:
        try:
            second = transcode.transcode(fin, fout, None, encoding, MAX_LINE_BYTES, first=False, digest=digest)
        except transcode.LineTooLong as e:
            raise transcode.LineTooLong(part.lines + e.line) from None
    elif second.too_long_at is None:
        with open(path, "rb") as f:
            while block := f.read(CHUNK):
                digest.update(block)
                fout.write(block)
    if second.too_long_at is not None:
        raise transcode.LineTooLong(part.lines + second.too_long_at)
    part.bad_lines += [part.lines + n for n in second.bad_lines]
    part.simple = part.simple and second.simple
    part.lines += second.lines
    path.unlink(missing_ok=True)


def decode_to_utf8(src: Path, dst: Path, progress: Progress = None) -> Decoded:
    """Stream `src` (any supported text encoding) into `dst` as UTF-8 without BOM, LF line ends.
    A large file is decoded in two halves at once (transcode.py), the result identical."""
    encoding, cr_only = _guess_encoding(src)
    total = max(src.stat().st_size, 1)
    digest = hashlib.sha256()
    bad_lines: list[int] = []
    simple = True
    with open(src, "rb") as fin, open(dst, "wb") as fout:   # encoded once: the digest and the file share the bytes
        if encoding.startswith("utf-16"):
            # Rare; decode incrementally with the codec (BOM-aware for plain "utf-16").
            reader = codecs.getreader(encoding)(fin, errors="replace")
            held = ""
            while True:
                text = reader.read(CHUNK)
                if not text:
                    if held:
                        fout.write(b"\n")
                        digest.update(b"\n")
                    break
                text = held + text
                held = ""
                if text.endswith("\r"):          # a CR LF pair may be split by the read
                    text, held = text[:-1], "\r"
                text = text.replace("\r\n", "\n").replace("\r", "\n")
                simple = simple and _simple_lines(text)
                out = text.encode("utf-8")
                digest.update(out)
                fout.write(out)
        else:
            cut = (_split_point(src, total) if total >= PARALLEL_FROM and not cr_only and _cores() > 1 else None)
            child = _second_half(src, cut, total, dst.with_suffix(".part2"), encoding) if cut else None
            span = cut if child else total
            done = 0

            def advanced(n: int) -> None:
                nonlocal done
                done += n
                if progress:
                    progress(min(done / span, 1.0) * 0.4, "decoding")

            try:
                part = transcode.transcode(fin, fout, cut if child else None, encoding, MAX_LINE_BYTES,
                                           cr_only=cr_only, digest=digest, progress=advanced)
                if child:
                    _append_second_half(child, part, dst.with_suffix(".part2"), fin, fout, digest, encoding)
                bad_lines, simple = part.bad_lines, part.simple
            except transcode.LineTooLong as e:
                raise Refused("refused_line_too_long", line=e.line, limit=_fmt_bytes(MAX_LINE_BYTES))
            finally:
                if child and child.poll() is None:
                    child.kill()
                    child.wait()
    dec = Decoded(path=dst, encoding=encoding, file_hash=digest.hexdigest(), simple_lines=simple)
    if encoding == "utf-8+gb18030":
        dec.warnings.append(("warn_mixed_encodings", {}))
    if encoding == "cp1252":
        dec.warnings.append(("warn_encoding_guessed", {"encoding": "Windows-1252 (Latin-1)"}))
    if bad_lines:
        dec.warnings.append(("warn_undecodable_lines",
                             {"count": len(bad_lines), "lines": _fmt_lines(bad_lines)}))
    return dec


_simple_lines = transcode.simple_lines


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
        if _is_encrypted_office(src):
            raise Refused("refused_encrypted") from None
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
        raise Refused("refused_empty")       # no sheet has a single cell
    rows = wb.get_sheet_by_name(chosen).to_python(skip_empty_area=True)
    width = max((len(r) - next((i for i, c in enumerate(reversed(r)) if c not in ("", None)), len(r))
                 for r in rows[:30]), default=0)
    if width > MAX_COLUMNS:
        raise Refused("refused_header_too_wide", columns=width, limit=MAX_COLUMNS)
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
    # Cells may hold line breaks (quoted by the writer): rows are counted as the sheet shows them.
    dec = Decoded(path=dst, encoding="xlsx", file_hash=digest.hexdigest(), sheet=chosen, simple_lines=False)
    others = [s for s in nonempty if s != chosen]
    if others:
        dec.warnings.append(("warn_other_sheets", {"sheet": chosen, "others": ", ".join(others)}))
    return dec


_DELIMS = [",", "\t", ";", "|"]


def sniff_layout(dec: Decoded, header_matcher: Callable[[list[str]], int]) -> None:
    """Find delimiter, header row and field count from the first lines of the UTF-8 file."""
    with open(dec.path, encoding="utf-8", newline="") as f:
        # The first 60 lines with text (blank lines before them are skipped, up to SNIFF_BYTES of them).
        head_lines: list[str] = []
        text_lines = size = 0
        for line in f:
            head_lines.append(line)
            size += len(line)
            text_lines += bool(line.strip())
            if text_lines >= 60 or (size > SNIFF_BYTES and text_lines):
                break
    nonblank = [ln for ln in head_lines if ln.strip()]
    if not nonblank:
        raise Refused("refused_empty")
    text = "".join(head_lines)
    _refuse_markup(text)

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
    scored = [(header_matcher(r), i) for i, r in enumerate(rows) if any(c.strip() for c in r)][:30]
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
    n_fields = _field_count(header, data_rows)
    if not dec.has_header:
        header = [f"column{i + 1}" for i in range(n_fields)]
    # Count physical lines to the header (quoted newlines in a title row are not a concern).
    dec.header_index = _physical_line_of_row(head_lines, best_delim, idx) if best_delim != "whitespace" else \
        [i for i, ln in enumerate(head_lines) if ln.strip()][idx]
    dec.header = (header + [""] * (n_fields - len(header)))[:n_fields]
    dec.n_fields = n_fields


def _refuse_markup(text: str) -> None:
    """A web page (a login page saved instead of the export, or an "xls" that is an HTML table) or
    JSON data: say so, instead of "not a table"."""
    start = text.lstrip("\ufeff \t\r\n")[:4000].lower()
    if start.startswith("<") and (start.startswith(("<!doctype html", "<html", "<table", "<head", "<body"))
                                  or "<html" in start or "<table" in start):
        raise Refused("refused_html")
    if re.match(r"[\[{]\s*[\"{\[]", start):
        raise Refused("refused_json")


def _field_count(header: list[str], data_rows: list[list[str]]) -> int:
    """Fields per row: what most of the first rows have (a trailing comma on every row adds one),
    never fewer than the named header columns. One row with extra fields does not make every
    other row "too short": it is rejected on its own."""
    named = len(header)
    while named and not header[named - 1].strip():
        named -= 1
    if not data_rows:
        return len(header)
    counts = [len(r) for r in data_rows]
    common = max(set(counts), key=lambda c: (counts.count(c), c))
    return max(common, named)


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

