"""Target-list files: formula neutralisation, CSV (UTF-8 BOM), XLSX (types kept), TXT (one name per
line) and safe file names."""
import datetime as dt
import io
from decimal import Decimal

import pandas as pd
import pytest

from crm import cohorts as C
from crm.cohorts import CohortSpec, KeyedError
from crm.exports import (safe_cell, target_file_name, to_csv_bytes, to_txt_bytes, to_xlsx_bytes)
from tests.unit.test_cohorts import AS_OF, load


@pytest.mark.parametrize("value, expected", [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("=1+1", "'=1+1"),
    ("+1+1", "'+1+1"),
    ("-1+2", "'-1+2"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("-5", "-5"),            # a plain negative number stays as written
    ("+3.25", "+3.25"),
    ("-0.5", "-0.5"),
    ("normal", "normal"),
    ("a=b", "a=b"),
    ("", ""),
    (-5, -5),                # numbers stay numbers
    (-1.5, -1.5),
    (None, None),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_safe_frame_is_safe_cell_on_every_cell():
    """The vectorised frame version does exactly what safe_cell does, on text, object and mixed columns."""
    import random

    from crm.exports import safe_frame
    rng = random.Random(3)
    pieces = ["=", "+", "-", "@", "\t", "\r", "", "1", "5.5", "a", "买家", "=1", "-2", "+3.0", "-x", "'"]
    cells = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 3))) for _ in range(400)]
    mixed = [rng.choice([c, None, 3, -2.5, float("nan"), Decimal("-1.5")]) for c in cells]
    frame = pd.DataFrame({"text": pd.Series(cells, dtype="str"), "object": pd.Series(cells, dtype=object),
                          "mixed": pd.Series(mixed, dtype=object), "num": range(400)})
    out = safe_frame(frame)
    for col in frame.columns:
        want = [safe_cell(v) for v in frame[col]]
        got = list(out[col])
        assert all((g == w) or (pd.isna(g) and pd.isna(w)) for g, w in zip(got, want)), col


DANGER = pd.DataFrame({"name": ["=cmd", "+1+1", "-1+2", "@SUM(A1)", "\tx", "ok"],
                       "spend": [-5.0, 1.5, 0.0, 2.0, 3.0, 4.0],
                       "n": [-1, 2, 3, 4, 5, 6],
                       "text_number": ["-5", "1", "2", "3", "4", "5"]})


def test_csv_is_bom_utf8_and_neutralised():
    data = to_csv_bytes(DANGER.rename(columns={"name": "=买家"}))
    assert data.startswith("\ufeff".encode("utf-8"))
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns)[0] == "'=买家"
    assert list(back["'=买家"]) == ["'=cmd", "'+1+1", "'-1+2", "'@SUM(A1)", "'\tx", "ok"]
    assert back["spend"][0] == "-5.0" and back["n"][0] == "-1" and back["text_number"][0] == "-5"


def test_xlsx_keeps_types_and_neutralises():
    frame = DANGER.assign(day=pd.to_datetime(["2025-01-02"] * 6), money=[Decimal("1.10")] * 6,
                          maybe=[None, float("nan"), "x", "y", "z", pd.NA])
    back = pd.read_excel(io.BytesIO(to_xlsx_bytes(frame, "人群: a/b")), engine="calamine")
    assert list(back["name"]) == ["'=cmd", "'+1+1", "'-1+2", "'@SUM(A1)", "'\tx", "ok"]
    assert back["spend"].tolist() == [-5.0, 1.5, 0.0, 2.0, 3.0, 4.0]
    assert back["n"].tolist() == [-1, 2, 3, 4, 5, 6]
    assert back["text_number"].tolist()[0] in ("-5", -5)
    assert back["money"].tolist() == [1.1] * 6
    assert pd.Timestamp(back["day"][0]) == pd.Timestamp("2025-01-02")
    assert back["maybe"].isna().tolist() == [True, True, False, False, False, True]
    # every part is well-formed XML, and there is no formula anywhere
    import zipfile
    import xml.etree.ElementTree as ET
    with zipfile.ZipFile(io.BytesIO(to_xlsx_bytes(frame))) as z:
        for part in z.namelist():
            ET.fromstring(z.read(part))
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet
    # a stricter reader agrees, and sees the dates as dates
    import openpyxl
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame, "人群: a/b"))).active
    assert ws.title == "人群_ a_b"
    assert [c.value for c in ws[1]][:3] == ["name", "spend", "n"] and ws["A1"].font.b
    assert ws["A2"].value == "'=cmd" and ws["B2"].value == -5 and ws["C2"].value == -1
    assert ws["E2"].value == dt.datetime(2025, 1, 2) and ws["E2"].number_format == "yyyy-mm-dd"


def test_xlsx_odd_text_and_many_columns():
    odd = ["a&b<c>\"d'", " lead", "ctrl\x01\x1fx", "tab\tin", "line\nbreak", "x" * 40000, "𠀀 emoji 😀"]
    frame = pd.DataFrame({f"c{i}": odd for i in range(30)})
    frame["when"] = [dt.datetime(2025, 1, 2, 3, 4, 5)] * len(odd)
    back = pd.read_excel(io.BytesIO(to_xlsx_bytes(frame)), engine="calamine")
    assert list(back.columns)[-1] == "when" and list(back.columns)[27] == "c27"  # AB
    assert back["c0"].tolist()[:2] == ["a&b<c>\"d'", " lead"]
    assert back["c0"][2] == "ctrlx" and back["c0"][3] == "tab\tin" and back["c0"][4] == "line\nbreak"
    assert len(back["c0"][5]) == 32767 and back["c0"][6] == "𠀀 emoji 😀"
    assert pd.Timestamp(back["when"][0]) == pd.Timestamp("2025-01-02 03:04:05")


def test_xlsx_of_an_empty_frame():
    back = pd.read_excel(io.BytesIO(to_xlsx_bytes(pd.DataFrame(columns=["a", "b"]))), engine="calamine")
    assert list(back.columns) == ["a", "b"] and back.empty


def test_txt_one_name_per_line():
    data = to_txt_bytes(["小鹿乱撞2019", "=cmd", None, "", "two\nlines", "-5", float("nan"), "tb_1"])
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8").split("\n") == ["小鹿乱撞2019", "'=cmd", "two lines", "-5", "tb_1", ""]
    assert to_txt_bytes([]) == b""


@pytest.mark.parametrize("name, ext, expected", [
    ("沉睡客户", "csv", "沉睡客户_2026-10-31.csv"),
    ("沉睡 高价值", ".XLSX", "沉睡_高价值_2026-10-31.xlsx"),
    ("../../etc/passwd", "txt", "etc_passwd_2026-10-31.txt"),
    ("a/b\\c:d*e?f\"g<h>i|j", "csv", "a_b_c_d_e_f_g_h_i_j_2026-10-31.csv"),
    ("", "csv", "cohort_2026-10-31.csv"),
    ("...", "csv", "cohort_2026-10-31.csv"),
])
def test_target_file_name(name, ext, expected):
    got = target_file_name(name, dt.date(2026, 10, 31), ext)
    assert got == expected
    assert "/" not in got and "\\" not in got and not got.startswith(".")


def test_target_file_name_refuses_other_formats():
    with pytest.raises(KeyedError) as e:
        target_file_name("x", dt.date(2026, 10, 31), "pdf")
    assert e.value.key == "export_error_extension" and ".pdf" in e.value.text("en")


def test_member_list_exports_round_trip(db, make_file):
    load(db, make_file)
    spec = CohortSpec(days_min=30, days_max=90)
    df = C.member_list(db, spec, AS_OF, lang="zh", include_contacts=False, offer="=满200减20",
                       columns=list(C.DEFAULT_COLUMNS) + ["offer", "phone"])
    back = pd.read_csv(io.BytesIO(to_csv_bytes(df)), encoding="utf-8-sig")
    assert list(back["买家会员名"]) == ["bob", "ivy", "cat"]
    assert back["累计成交金额"].tolist() == [900.0, 33.33, 20.0]
    assert set(back["建议优惠"]) == {"'=满200减20"}
    x = pd.read_excel(io.BytesIO(to_xlsx_bytes(df)), engine="calamine")
    assert x["未购天数"].tolist() == [90, 77, 30] and x["笔单价"].tolist() == [900.0, 11.11, 20.0]
    assert x["手机号"].tolist()[0] == "138****5678"
    names = C.member_list(db, spec, AS_OF, lang="zh", columns=["name"]).iloc[:, 0]
    assert to_txt_bytes(names).decode("utf-8") == "bob\nivy\ncat\n"


def test_csv_of_text_and_numbers_is_what_pandas_writes():
    """Text and number columns go through DuckDB's CSV writer: byte for byte pandas' output (quotes,
    commas, line breaks, blanks, missing values, Chinese, floats of every size); other columns
    (dates, Decimal, booleans, headers that need quotes) fall back to pandas itself."""
    import random

    import numpy as np

    from crm import exports
    rng = np.random.default_rng(1)
    pick = random.Random(2)
    n = 3000
    floats = np.concatenate([rng.uniform(-1e6, 1e6, n - 10).round(2),
                             [0.0, -0.0, 0.1, 1e-7, 1e15, 1e16, 123456789012.5, np.nan, 5e-324, 1.7e308]])
    texts = [pick.choice(["a", "b,c", 'q"uote', "line\nbreak", "", " sp ", "买家", "=x", None])
             for _ in range(n)]
    frame = pd.DataFrame({"买家": pd.Series(texts, dtype="str"), "obj": pd.Series(texts, dtype=object),
                          "f": floats, "i": rng.integers(-10 ** 12, 10 ** 12, n), "i32": np.arange(n, dtype="int32")})

    def by_pandas(df):
        buf = io.StringIO()
        exports.safe_frame(df).to_csv(buf, index=False)
        return ("\ufeff" + buf.getvalue()).encode("utf-8")

    assert exports._plain_columns(exports.safe_frame(frame)) is not None      # the DuckDB path is taken
    assert to_csv_bytes(frame) == by_pandas(frame)
    assert to_csv_bytes(frame.iloc[:0]) == by_pandas(frame.iloc[:0])           # header only
    others = [frame.assign(day=pd.to_datetime(["2025-01-02"] * n)), frame.assign(ok=True),
              frame.assign(money=[Decimal("1.10")] * n), frame.rename(columns={"f": "a,b"}),
              frame.assign(F=1.0), frame.assign(mixed=[1, "x"] * (n // 2))]
    for other in others:
        assert exports._plain_columns(exports.safe_frame(other)) is None
        assert to_csv_bytes(other) == by_pandas(other)
    # one difference, on purpose: a carriage return inside a text is quoted (pandas leaves it bare,
    # and Excel would break the row there)
    cr = to_csv_bytes(pd.DataFrame({"s": pd.Series(["cr\rx", "a"], dtype="str"), "n": [1, 2]}))
    assert cr == '\ufeffs,n\n"cr\rx",1\na,2\n'.encode("utf-8")


def test_txt_skips_blanks_and_joins_broken_lines():
    data = to_txt_bytes(pd.Series(["ann", None, "", "  ", "b\r\nob", "=evil", float("nan"), 12], dtype=object))
    assert data.decode("utf-8") == "ann\nb ob\n'=evil\n12\n"
    assert to_txt_bytes([]) == b"" and to_txt_bytes([None, " "]) == b""


def test_xlsx_opens_in_libreoffice(tmp_path):
    """A real spreadsheet application reads our XLSX back: LibreOffice converts it to CSV headless
    (bin/test installs Debian's libreoffice-calc-nogui with Chromium)."""
    import csv
    import shutil
    import subprocess

    import pandas as pd

    from crm.exports import to_xlsx_bytes
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice is not installed (bin/test installs libreoffice-calc-nogui)")
    df = pd.DataFrame({"买家会员名": ["小鹿乱撞2019", "=SUM(A1)", "tb 12", None],
                       "成交订单数": [3, 1, 12, 0], "累计成交金额": [1234.5, 0.0, 99.99, 10.0],
                       "备注": ["逗号,引号\"", "+1", "", "长文本" * 20]})
    path = tmp_path / "list.xlsx"
    path.write_bytes(to_xlsx_bytes(df, "members"))
    out = subprocess.run([soffice, "--headless", "--norestore", "-env:UserInstallation=file://" + str(tmp_path / "lo"),
                          "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path),
                          str(path)], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader((tmp_path / "list.csv").open(encoding="utf-8")))
    assert rows[0] == ["买家会员名", "成交订单数", "累计成交金额", "备注"]
    assert rows[1] == ["小鹿乱撞2019", "3", "1234.5", "逗号,引号\""]
    assert rows[2][0] == "'=SUM(A1)"            # text, never a formula
    assert rows[2][3] == "+1"                    # a number-like text stays that text (a string cell)
    assert rows[3][:3] == ["tb 12", "12", "99.99"]
    assert rows[4][0] == "" and rows[4][3] == "长文本" * 20
