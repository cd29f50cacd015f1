"""`python -m crm cohort` and `python -m crm tags`: numbers, exports, saved cohorts, exit codes and
one-line errors. Data: tests/unit/test_cohorts.py (as of 2025-12-31; the latest order is 2026-01-05)."""
import io
import json

import pandas as pd
import pytest

from crm.cli import main
from crm.db import Database
from tests.unit.test_cli import crm
from tests.unit.test_cohorts import INJECTION, load

AS_OF = ["--as-of", "2025-12-31"]


@pytest.fixture
def dbpath(tmp_path, make_file):
    path = tmp_path / "shop.duckdb"
    d = Database(path)
    load(d, make_file)
    d.close()
    return str(path)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cohort_json(capsys, dbpath, *args):
    code, out, err = run(capsys, "--db", dbpath, "cohort", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_cohort_json(capsys, dbpath):
    r = cohort_json(capsys, dbpath, *AS_OF, "--days-since-last-min", "30", "--days-since-last-max", "90")
    assert (r["as_of"], r["members"], r["gmv"], r["purchases"], r["exported"]) == ("2025-12-31", 3, 953.33, 5, None)
    assert r["spec"] == {"days_min": 30, "days_max": 90}
    assert {m["level_code"]: m["members"] for m in r["level_mix"]} == {0: 1, 1: 0, 2: 1, 3: 1, 4: 0}
    # the default as-of date is the date of the latest order (gus, 2026-01-05)
    r = cohort_json(capsys, dbpath)
    assert r["as_of"] == "2026-01-05" and r["members"] == 8 and r["spec"] == {}


@pytest.mark.parametrize("args, members", [
    (["--stage", "active"], 3),
    (["--stage", "after_sale", "--stage", "lost"], 2),
    (["--purchases-min", "2", "--purchases-max", "2"], 2),
    (["--spend-min", "300", "--spend-max", "1600"], 3),
    (["--aov-max", "11.11"], 1),
    (["--level", "3", "--level", "4"], 2),
    (["--province", "广东省"], 3),
    (["--first-from", "2025-10-01", "--first-to", "2025-10-01"], 1),
    (["--item", "MUG"], 2),
    (["--item", INJECTION], 1),
    (["--province", INJECTION], 0),
    (["--tag", INJECTION], 0),
    (["--without-tag", INJECTION], 7),
    (["--preset", "dormant"], 5),
    (["--preset", "dormant", "--k", "3"], 2),
    (["--preset", "one_time_30_90"], 2),
    (["--preset", "sleeping_high_value"], 1),
    (["--preset", "vip_quiet"], 1),
    (["--preset", "dormant", "--province", "广东省"], 2),  # a preset narrowed by a filter
])
def test_cohort_filters(capsys, dbpath, args, members):
    assert cohort_json(capsys, dbpath, *AS_OF, *args)["members"] == members


def test_cohort_text_output(capsys, dbpath, monkeypatch):
    code, out, err = run(capsys, "--db", dbpath, "cohort", *AS_OF, "--level", "2")
    assert code == 0, err
    assert "Members in cohort" in out and "¥2,500.00" in out and "Senior member" in out and "Member level: " in out
    monkeypatch.setenv("CRM_LANG", "zh")
    code, out, err = run(capsys, "--db", dbpath, "cohort", *AS_OF, "--level", "2")
    assert code == 0 and "人群人数" in out and "高级会员" in out


def test_export_csv_xlsx_txt(capsys, dbpath, tmp_path):
    csv = tmp_path / "out.csv"
    r = cohort_json(capsys, dbpath, *AS_OF, "--days-since-last-min", "30", "--days-since-last-max", "90",
                    "--export", str(csv))
    assert r["exported"] == str(csv.resolve()) and r["exported_rows"] == 3
    df = pd.read_csv(csv, encoding="utf-8-sig")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(df["Buyer"]) == ["bob", "ivy", "cat"] and "Phone" not in df.columns
    xlsx = tmp_path / "out.XLSX"
    code, out, err = run(capsys, "--db", dbpath, "cohort", *AS_OF, "--stage", "active", "--export", str(xlsx),
                         "--columns", "name,spend,phone,address")
    assert code == 0, err
    assert "Exported 3 rows" in out
    x = pd.read_excel(io.BytesIO(xlsx.read_bytes()), engine="calamine")
    assert list(x.columns) == ["Buyer", "Total spend", "Phone", "Address"]
    assert x.iloc[0].tolist() == ["bob", 900, "138****5678", "北京市 北京市 ****"]
    txt = tmp_path / "names.txt"
    assert run(capsys, "--db", dbpath, "cohort", *AS_OF, "--stage", "active", "--export", str(txt))[0] == 0
    assert txt.read_text(encoding="utf-8") == "bob\nivy\ncat\n"


def test_export_with_contacts_and_offer(capsys, dbpath, tmp_path):
    csv = tmp_path / "full.csv"
    code, _, err = run(capsys, "--db", dbpath, "cohort", *AS_OF, "--province", "北京", "--export", str(csv),
                       "--include-contacts", "--offer", "满200减20", "--limit", "1")
    assert code == 0, err
    df = pd.read_csv(csv, encoding="utf-8-sig", dtype=str)
    assert df[["Buyer", "Phone", "Receiver", "Address", "Suggested offer"]].values.tolist() == \
        [["bob", "13812345678", "张三", "北京市 北京市 朝阳区 建国路88号", "满200减20"]]


def test_refused_extension_and_bad_values(capsys, dbpath, tmp_path):
    for args, needle in (
        (["--export", str(tmp_path / "x.pdf")], ".pdf"),
        (["--export", str(tmp_path / "noext")], "csv, xlsx, txt"),
        (["--days-since-last-min", "abc"], "abc"),
        (["--spend-min", "lots"], "lots"),
        (["--level", "9"], "0–4"),
        (["--first-from", "31/12/2025"], "YYYY-MM-DD"),
        (["--as-of", "2025/12/31"], "YYYY-MM-DD"),
        (["--days-since-last-min", "90", "--days-since-last-max", "30"], "days_min"),
        (["--spend-min", "-5"], "negative"),
        (["--saved", "nope"], "nope"),
        (["--preset", "nope"], "nope"),
        (["--preset", "dormant", "--saved", "x"], "--preset"),
        (["--preset", "dormant", "--k", "0"], "positive"),
        (["--columns", "name,password"], "password"),
    ):
        code, out, err = run(capsys, "--db", dbpath, "cohort", *args)
        assert code == 2, (args, out, err)
        assert len(err.strip().splitlines()) == 1 and needle in err, (args, err)
        assert "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_save_and_reuse(capsys, dbpath):
    r = cohort_json(capsys, dbpath, *AS_OF, "--province", "广东省", "--days-since-last-min", "31", "--save", "广东沉睡")
    assert r["members"] == 2 and r["saved"] == "广东沉睡"
    r = cohort_json(capsys, dbpath, *AS_OF, "--saved", "广东沉睡")
    assert r["members"] == 2 and r["spec"] == {"days_min": 31, "provinces": ["广东省"]}
    r = cohort_json(capsys, dbpath, *AS_OF, "--saved", "广东沉睡", "--days-since-last-min", "1")
    assert r["members"] == 3  # the saved definition narrowed/widened by a flag, not changed in storage
    assert cohort_json(capsys, dbpath, *AS_OF, "--saved", "广东沉睡")["members"] == 2


def test_tags_commands(capsys, dbpath):
    def tags(*args):
        return run(capsys, "--db", dbpath, "tags", *args)
    assert tags("list")[1].strip() == "No tags yet."
    assert tags("create", "vip")[0] == 0
    code, _, err = tags("create", "vip")
    assert code == 2 and "already" in err and len(err.strip().splitlines()) == 1
    code, out, err = tags("add", "vip", *AS_OF, "--spend-min", "900")
    assert code == 0 and "Tagged 3 customers" in out, err
    code, out, _ = tags("add", "vip", *AS_OF, "--spend-min", "900")
    assert "Tagged 0 customers" in out
    code, out, _ = tags("add", "new one", *AS_OF, "--item", INJECTION)  # creates the tag
    assert code == 0 and "Tagged 1 customers" in out
    assert json.loads(tags("list", "--json")[1]) == [{"name": "new one", "members": 1}, {"name": "vip", "members": 3}]
    assert cohort_json(capsys, dbpath, *AS_OF, "--tag", "vip")["members"] == 3
    assert cohort_json(capsys, dbpath, *AS_OF, "--without-tag", "vip", "--without-tag", "new one")["members"] == 4
    code, out, _ = tags("move", "vip", "called", *AS_OF, "--province", "北京")
    assert code == 0 and "Moved 1 customers" in out
    code, out, _ = tags("remove", "vip", *AS_OF, "--level", "4")
    assert code == 0 and "Removed 1 customers" in out
    assert tags("rename", "vip", "VIP2")[0] == 0
    assert tags("rename", "nope", "x")[0] == 2
    code, out, _ = tags("delete", "VIP2")
    assert code == 0 and "1 members" in out
    code, out, _ = tags("remove", "called")  # no filter: everyone with the tag
    assert "Removed 1 customers" in out
    assert json.loads(tags("list", "--json")[1]) == [{"name": "called", "members": 0},
                                                     {"name": "new one", "members": 1}]
    code, _, err = tags("delete", "nope")
    assert code == 2 and "nope" in err
    code, _, err = tags("create", "  ")
    assert code == 2 and "name" in err


def test_empty_database(capsys, tmp_path):
    r = cohort_json(capsys, str(tmp_path / "empty.duckdb"), "--preset", "dormant")
    assert r["members"] == 0 and r["gmv"] == 0.0 and r["exported"] is None
    txt = tmp_path / "none.txt"
    assert run(capsys, "--db", str(tmp_path / "empty.duckdb"), "cohort", "--export", str(txt))[0] == 0
    assert txt.read_bytes() == b""


def test_as_a_separate_process(tmp_path, dbpath):
    out_file = tmp_path / "目标.xlsx"
    code, out, err = crm("--db", dbpath, "cohort", *AS_OF, "--preset", "dormant", "--export", str(out_file), "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["members"] == 5 and r["exported"] == str(out_file.resolve())
    assert len(pd.read_excel(out_file, engine="calamine")) == 5
    code, out, err = crm("--db", dbpath, "cohort", "--export", str(tmp_path / "x.json"), lang="zh")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1 and ".json" in err
    code, out, err = crm("--db", dbpath, "tags", "rename", "nope", "x", lang="zh")
    assert code == 2 and "没有名为“nope”的标签" in err and "Traceback" not in err
    before = Database(dbpath)
    try:
        assert before.scalar("SELECT count(*) FROM orders") == 13
    finally:
        before.close()
