"""The command line of the README, run as a user runs it: a separate process, exit codes, one line."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT


def crm(*args, db=None, cwd=None, lang="en", timeout=120):
    env = dict(os.environ, CRM_LANG=lang, PYTHONPATH=str(ROOT))
    if db:
        env["CRM_DB"] = str(db)
    p = subprocess.run([sys.executable, "-m", "crm", *args], cwd=cwd or ROOT, env=env, capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def test_import_and_summary_json(tmp_path):
    db = tmp_path / "x.duckdb"
    code, out, err = crm("--db", str(db), "import", str(FIXTURES / "taobao_orders_61_gbk.csv"), cwd=tmp_path)
    assert code == 0, err
    assert "9 new" in out
    code, out, err = crm("--db", str(db), "summary", "--json", cwd=tmp_path)
    assert code == 0, err
    s = json.loads(out)
    for key in ("members", "buyers", "orders", "gmv", "avg_order_value", "avg_spend_per_buyer", "repeat_buyers",
                "repurchase_rate", "first_order_at", "last_order_at"):
        assert key in s
    assert (s["orders"], s["gmv"], s["buyers"], s["members"], s["repeat_buyers"]) == (6, 3432.0, 5, 8, 1)
    assert s["avg_order_value"] == 572.0 and s["avg_spend_per_buyer"] == 686.4 and s["repurchase_rate"] == 0.2
    assert s["first_order_at"] == "2020-03-01 10:00:00"


def test_summary_as_of(tmp_path):
    db = tmp_path / "x.duckdb"
    assert crm("--db", str(db), "import", str(FIXTURES / "generic_cdnow.csv"))[0] == 0
    code, out, _ = crm("--db", str(db), "summary", "--as-of", "1997-01-31", "--json")
    s = json.loads(out)
    assert s["as_of"] == "1997-01-31" and s["last_order_at"] <= "1997-01-31 23:59:59"
    code, _, err = crm("--db", str(db), "summary", "--as-of", "31/01/1997", "--json")
    assert code == 2 and "YYYY-MM-DD" in err and "Traceback" not in err


def test_crm_db_environment_variable(tmp_path):
    db = tmp_path / "env.duckdb"
    assert crm("import", str(FIXTURES / "generic_cdnow.csv"), db=db)[0] == 0
    assert db.exists()
    assert json.loads(crm("summary", "--json", db=db)[1])["orders"] == 10


@pytest.mark.parametrize("name", ["bad/pdf_renamed.csv", "bad/empty.csv", "bad/binary.csv", "bad/no_amount.csv",
                                  "generic_custom.csv"])
def test_refused_file_exits_non_zero_with_one_line(tmp_path, name):
    code, out, err = crm("--db", str(tmp_path / "x.duckdb"), "import", str(FIXTURES / name), lang="zh")
    assert code == 1
    assert "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1 and "未导入" in err


def test_missing_file_and_bad_map(tmp_path):
    code, _, err = crm("--db", str(tmp_path / "x.duckdb"), "import", str(tmp_path / "nope.csv"))
    assert code == 1 and "not found" in err
    code, _, err = crm("--db", str(tmp_path / "x.duckdb"), "import", str(FIXTURES / "generic_custom.csv"),
                       "--map", "customer_id")
    assert code == 2 and "FIELD=COLUMN" in err


def test_map_and_format_options(tmp_path):
    db = str(tmp_path / "x.duckdb")
    code, out, err = crm("--db", db, "import", str(FIXTURES / "generic_custom.csv"), "--map", "customer_id=Kunde",
                         "--map", "ordered_at=Datum", "--map", "amount=Betrag", "--map", "order_id=Bestellnummer",
                         "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res[0]["orders_new"] == 6 and res[0]["format"] == "generic"
    # remembered: the same header imports without --map next time
    code, out, err = crm("--db", db, "import", str(FIXTURES / "generic_custom.csv"))
    assert code == 0 and "6 unchanged" in out
    code, _, err = crm("--db", db, "import", str(FIXTURES / "jd_orders.csv"), "--format", "nonsense")
    assert code == 1 and "nonsense" in err


def test_several_files_one_refused(tmp_path):
    code, out, err = crm("--db", str(tmp_path / "x.duckdb"), "import", str(FIXTURES / "taobao_overlap_a.csv"),
                         str(FIXTURES / "bad" / "zip_renamed.csv"), str(FIXTURES / "taobao_overlap_b.csv"))
    assert code == 1
    assert "5 new" in out and "2 new, 2 updated, 1 unchanged" in out and "zip" in err


def test_locked_database_is_one_line(tmp_path):
    import duckdb
    db = tmp_path / "x.duckdb"
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        code, out, err = crm("--db", str(db), "summary", "--json")
        assert code == 2 and "in use" in err and "Traceback" not in err
    finally:
        holder.kill()
