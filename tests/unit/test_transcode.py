"""A large file is decoded in two halves at once (the second by a child process): the UTF-8 written,
its digest, and what the decoder reports (empty lines and quotes, undecodable lines by number, a
line over the limit by number) are exactly those of one pass. The fixtures are small, so the size
from which a file is split is lowered to nothing here."""
from __future__ import annotations

import pytest

from crm.importing import import_file, reader
from crm.importing.errors import Refused
from tests.conftest import FIXTURES


def _both(monkeypatch, src, tmp_path):
    out = {}
    for mode, start in (("one", 1 << 62), ("two", 0)):
        with monkeypatch.context() as m:
            m.setattr(reader, "PARALLEL_FROM", start)
            m.setattr(reader, "_cores", lambda: 2)
            calls = []
            real = reader._second_half
            m.setattr(reader, "_second_half", lambda *a: calls.append(a) or real(*a))
            dst = tmp_path / f"{mode}.csv"
            dec = reader.decode_to_utf8(src, dst)
            out[mode] = (dst.read_bytes(), dec.file_hash, dec.simple_lines, dec.encoding, dec.warnings, bool(calls))
    return out


FILES = [FIXTURES / "taobao_orders_54_gbk.csv", FIXTURES / "taobao_orders_46_utf8bom.csv",
         FIXTURES / "invoice_log_a.csv", FIXTURES / "bad" / "mixed_gbk_utf8.csv",
         FIXTURES / "bad" / "line_breaks_in_cells.csv", FIXTURES / "bad" / "blank_lines_between_rows.csv",
         FIXTURES / "bad" / "latin1.csv"]


@pytest.mark.parametrize("src", FILES, ids=lambda p: p.name)
def test_two_halves_write_what_one_pass_writes(monkeypatch, tmp_path, src):
    got = _both(monkeypatch, src, tmp_path)
    assert got["two"][5], "the file was not split"
    assert got["two"][:5] == got["one"][:5]


def _gbk_file(path, rows: int, damaged: tuple[int, ...] = (), quote_at: int | None = None, empty_at: int | None = None):
    lines = ["订单编号,买家会员名,订单付款时间,买家实际支付金额"]
    for i in range(1, rows + 1):
        buyer = '"张三,李四"' if i == quote_at else f"买家{i % 37}"
        lines.append(f"{1000 + i},{buyer},2025-03-{1 + i % 28:02d} 10:00:00,{i % 90 + 1}.50")
        if i == empty_at:
            lines.append("")
    data = ("\r\n".join(lines) + "\r\n").encode("gb18030").split(b"\r\n")
    for n in damaged:            # bytes that are text in no encoding (0xFF never starts a GBK character)
        data[n] = data[n] + b",\xff\xff"
    path.write_bytes(b"\r\n".join(data))
    return path


def test_what_the_halves_find_is_numbered_in_the_whole_file(monkeypatch, tmp_path):
    rows = 4000
    src = _gbk_file(tmp_path / "orders.csv", rows, damaged=(5, rows - 10), quote_at=rows - 100)
    got = _both(monkeypatch, src, tmp_path)
    assert got["two"][5] and got["two"][:5] == got["one"][:5]
    (key, params), = [w for w in got["two"][4] if w[0] == "warn_undecodable_lines"]
    assert params == {"count": 2, "lines": f"6, {rows - 9}"}     # 1-based lines of the file
    assert got["two"][2] is False                                 # a quote in the second half
    clean = _both(monkeypatch, _gbk_file(tmp_path / "clean.csv", rows), tmp_path)
    assert clean["two"][2] is True and clean["two"][:5] == clean["one"][:5]
    empty = _both(monkeypatch, _gbk_file(tmp_path / "empty.csv", rows, empty_at=rows - 50), tmp_path)
    assert empty["two"][2] is False and empty["two"][:5] == empty["one"][:5]


def test_a_line_over_the_limit_in_the_second_half_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr(reader, "PARALLEL_FROM", 0)
    monkeypatch.setattr(reader, "_cores", lambda: 2)
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 2 * 1024 * 1024)   # lines are checked per 4 MB read
    head = "order_id,customer_id,order_date,amount\n" + "".join(
        f"{i},c{i},2025-01-01,{i}\n" for i in range(1, 500001))
    src = tmp_path / "long.csv"
    src.write_bytes(head.encode() + b"x" * (9 * 1024 * 1024) + b"\n1,c1,2025-01-01,1\n")
    with pytest.raises(Refused) as e:
        reader.decode_to_utf8(src, tmp_path / "out.csv")
    assert e.value.key == "refused_line_too_long" and e.value.params["line"] == 500002


def test_an_import_split_in_two_is_the_same_import(monkeypatch, tmp_path, db):
    src = _gbk_file(tmp_path / "orders.csv", 3000, damaged=(7,))
    one = import_file(db, src)
    monkeypatch.setattr(reader, "PARALLEL_FROM", 0)
    monkeypatch.setattr(reader, "_cores", lambda: 2)
    from crm.db import Database
    other = Database(tmp_path / "other.duckdb")
    try:
        two = import_file(other, src)
        strip = lambda r: {k: v for k, v in r.to_dict().items() if k != "seconds"}  # noqa: E731
        assert strip(one) == strip(two) and (one.orders_new, one.rows_rejected) == (2999, 1)
        assert db.query("SELECT * FROM orders ORDER BY order_key") == other.query("SELECT * FROM orders ORDER BY order_key")
        assert (db.query("SELECT * EXCLUDE (started_at, finished_at) FROM imports")
                == other.query("SELECT * EXCLUDE (started_at, finished_at) FROM imports"))
    finally:
        other.close()


def test_a_failed_child_leaves_the_second_half_to_the_importer(monkeypatch, tmp_path):
    import subprocess
    import sys
    src = _gbk_file(tmp_path / "orders.csv", 3000, damaged=(7, 2990))
    one = _both(monkeypatch, src, tmp_path)["one"]
    monkeypatch.setattr(reader, "PARALLEL_FROM", 0)
    monkeypatch.setattr(reader, "_cores", lambda: 2)
    monkeypatch.setattr(reader, "_second_half", lambda *a: subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.exit(3)"], stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    dec = reader.decode_to_utf8(src, tmp_path / "out.csv")
    assert ((tmp_path / "out.csv").read_bytes(), dec.file_hash, dec.simple_lines, dec.encoding, dec.warnings) == one[:5]
