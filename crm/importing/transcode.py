"""Text in some 8-bit encoding → UTF-8 with LF line ends, over a byte range of a file.

The importer's decoder (reader.decode_to_utf8) runs this over the first half of a large file while
a second Python process — this file run as a script, which needs nothing but the standard library,
so it starts in a few milliseconds — does the second half on the other core. Lines never straddle
the two halves (the cut is just after a line feed, which is a line feed in every encoding read here),
and each line decodes the same whatever piece it is in, so the two outputs put end to end are
byte for byte what one pass would write.

    python transcode.py SRC START END DST ENCODING MAX_LINE   → one JSON line: the Part's fields
"""
from __future__ import annotations

import codecs
import json
import sys
from dataclasses import asdict, dataclass, field

CHUNK = 4 * 1024 * 1024
# Encodings as reported: what the file was; the Python codec that reads it.
CODEC = {"utf-8-sig": "utf-8", "utf-8+gb18030": "utf-8"}


class LineTooLong(Exception):
    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


@dataclass
class Part:
    lines: int = 0                          # line feeds written
    simple: bool = True                     # no quote and no empty line in this part
    bad_lines: list[int] = field(default_factory=list)   # lines readable in no encoding (1-based, in this part)
    too_long_at: int | None = None          # a line over the limit starts at this line (1-based, in this part)


def decode_lines_mixed(data: bytes, primary: str, line_offset: int, bad_lines: list[int]) -> str:
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


def simple_lines(text: str) -> bool:
    """No empty line and no quote in this piece of the file (pieces end with a line break)."""
    return '"' not in text and "\n\n" not in text and not text.startswith("\n")


def transcode(fin, fout, end: int | None, encoding: str, max_line: int, *, cr_only: bool = False,
              first: bool = True, digest=None, progress=None) -> Part:
    """Read `fin` from where it stands to byte `end` (None: to the end) and write UTF-8 to `fout`.
    `first`: this is the file's beginning (a UTF-8 BOM is dropped). `digest` is fed what is written;
    `progress(bytes read)` after every chunk. Raises LineTooLong."""
    part = Part()
    codec = CODEC.get(encoding, encoding)
    pending = b""
    left = end - fin.tell() if end is not None else None
    while True:
        block = fin.read(CHUNK if left is None else min(CHUNK, left))
        if left is not None:
            left -= len(block)
        if cr_only:
            block = block.replace(b"\r", b"\n")
        if not block:
            data, pending = pending, b""
            if not data:
                break
        else:
            data = pending + block
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > max_line:
                    raise LineTooLong(part.lines + 1)
                pending = data
                continue
            data, pending = data[: cut + 1], data[cut + 1:]
        if first:
            if data.startswith(codecs.BOM_UTF8):
                data = data[3:]
            first = False
        valid = True
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            valid = False
            text = decode_lines_mixed(data, codec, part.lines, part.bad_lines)
        part.lines += text.count("\n")
        crlf = "\r" in text
        if crlf:
            text = text.replace("\r\n", "\n")
        part.simple = part.simple and simple_lines(text)
        # valid UTF-8 already is what we write: no second encoding pass
        out = data if valid and not crlf and codec == "utf-8" else text.encode("utf-8")
        if digest is not None:
            digest.update(out)
        fout.write(out)
        if progress:
            progress(len(block))
        if not block:
            break
    return part


def main(argv: list[str]) -> int:
    src, start, end, dst, encoding, max_line = argv
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        fin.seek(int(start))
        try:
            part = transcode(fin, fout, int(end), encoding, int(max_line), first=False)
        except LineTooLong as e:
            part = Part(too_long_at=e.line)
    print(json.dumps(asdict(part)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
