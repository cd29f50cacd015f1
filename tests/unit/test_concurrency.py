"""Many users at once: one Database shared by many threads, as the app shares it between browser
sessions (ui.db() is an st.cache_resource). Readers run in parallel with their own cursors,
imports are serialised by db.write(); nothing may fail, and nothing may be lost or counted twice."""
from __future__ import annotations

import datetime as dt
import random
import threading
import time
import traceback

import pytest

from crm import cohorts
from crm.analysis import amount, counts, levels, timing
from crm.cohorts import CohortSpec
from crm.db import Database
from crm.filters import Filters
from crm.importing import import_file
from crm.levels import load_rules
from crm.summary import default_as_of, summary
from tests.conftest import FIXTURES, ROOT

# Order, member and item exports of several platforms: some share order ids (overlap_a/_b, the
# Taobao item files), so the final state depends on the order the imports commit in. The
# sequential replay below follows the ledger's order, so it must come out identical.
FILES = ["taobao_orders_61_gbk.csv", "taobao_orders_54_gbk.csv", "taobao_orders_46_utf8bom.csv",
         "taobao_overlap_a.csv", "taobao_overlap_b.csv", "jd_orders.csv", "douyin_orders.csv",
         "pinduoduo_orders.csv", "youzan_orders.csv", "shopify_orders.csv", "generic_cdnow.csv",
         "taobao_members_isv.csv", "youzan_customers.csv", "taobao_items_2022.csv"]

BAD_WORDS = ("busy", "lock", "transaction", "conflict")


def _reads(db: Database, rng: random.Random) -> None:
    """One browser session's worth of reading: every analysis' read path, as the pages call them."""
    as_of = default_as_of(db) or dt.date(2021, 1, 1)
    f = Filters(as_of=as_of, rules=load_rules(db), data_last_day=default_as_of(db), fast=rng.random() < 0.7)
    if rng.random() < 0.3:
        f = f.with_(start=as_of - dt.timedelta(days=400))
    summary(db)
    levels.compute(db, f)
    timing.compute(db, f, rng.choice(["month", "week", "day"]))
    counts.compute(db, f)
    amount.compute(db, f)
    cohorts.evaluate(db, CohortSpec(), as_of, f.rules)
    cohorts.evaluate(db, CohortSpec(days_max=365, purchases_min=1), as_of, f.rules)
    db.data_version()


def _snapshot(db: Database) -> dict:
    row = db.query("""SELECT (SELECT count(*) FROM orders), (SELECT count(DISTINCT order_key) FROM orders),
                             (SELECT coalesce(sum(spend) FILTER (WHERE is_purchase), 0) FROM orders),
                             (SELECT count(*) FROM members), (SELECT count(DISTINCT customer_id) FROM members),
                             (SELECT count(*) FROM order_items), (SELECT count(*) FROM customers),
                             (SELECT count(DISTINCT cust_no) FROM customers),
                             (SELECT count(*) FROM rejects), (SELECT count(*) FROM customer_stats),
                             (SELECT count(*) FROM purchase_facts)""")[0]
    keys = ("orders", "order_keys", "gmv", "members", "member_ids", "items", "customers", "cust_nos",
            "rejects", "customer_stats", "purchase_facts")
    return dict(zip(keys, row))


def _run_threads(n: int, work, seconds_limit: float = 240) -> list[str]:
    errors: list[str] = []
    start = threading.Barrier(n)

    def run(i: int):
        try:
            start.wait()
            work(i)
        except BaseException:  # noqa: BLE001 — every failure is the test's business
            errors.append(f"thread {i}: " + traceback.format_exc())
    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + seconds_limit
    for t in threads:
        t.join(max(deadline - time.monotonic(), 0.1))
    hung = [t.name for t in threads if t.is_alive()]
    assert not hung, f"threads still running (deadlock?): {hung}"
    return errors


def test_many_sessions_import_and_read_at_once(tmp_path):
    db = Database(tmp_path / "shared.duckdb")
    n_threads, rounds = 10, 2
    results = []
    lock = threading.Lock()

    def work(i: int):
        rng = random.Random(i)
        files = FILES[i // 2::n_threads // 2] if i % 2 == 0 else []  # together: every file
        for r in range(rounds):
            if i % 2 == 0:  # an importing session: its files (again each round: re-imports add nothing)
                for name in files:
                    seen = []
                    res = import_file(db, FIXTURES / name, progress=lambda frac, stage: seen.append(frac))
                    assert res.ok, (name, res.message)
                    assert seen and seen[-1] == 1.0  # the importing user sees progress to the end
                    with lock:
                        results.append(res)
                    _reads(db, rng)
            else:  # a reading session, several page views
                _reads(db, rng)
    errors = _run_threads(n_threads, work)
    assert not errors, "\n".join(errors)
    assert not [r for r in results if not r.ok]
    for r in results:
        assert not any(w in str(r.message).lower() for w in BAD_WORDS), r.message

    # The ledger: one 'ok' row per import, in commit order, with distinct ids.
    ledger = db.query("SELECT import_id, file_name, status FROM imports ORDER BY import_id")
    assert [row[0] for row in ledger] == list(range(1, len(results) + 1))
    assert all(row[2] == "ok" for row in ledger)
    got = _snapshot(db)
    assert got["orders"] == got["order_keys"]          # no order stored twice
    assert got["members"] == got["member_ids"]
    assert got["customers"] == got["cust_nos"]
    db.close()

    # Sequentially, in the same commit order, into a fresh database: the same data.
    seq = Database(tmp_path / "sequential.duckdb")
    for _, name, _ in ledger:
        assert import_file(seq, FIXTURES / name).ok
    want = _snapshot(seq)
    seq.close()
    assert got == want
    assert got["orders"] > 50 and got["gmv"] > 0


def test_readers_see_an_import_only_once_it_commits(tmp_path):
    """While one session imports, the others keep reading: each read sees the data as of some
    commit (never half an import), and the states they see only move forward."""
    files = ["taobao_orders_61_gbk.csv", "jd_orders.csv", "youzan_orders.csv", "shopify_orders.csv"]
    far = dt.date(2100, 1, 1)  # one query per read: every order counts
    steps = Database(tmp_path / "steps.duckdb")
    states = [(0, 0)]
    for name in files:
        assert import_file(steps, FIXTURES / name).ok
        s = summary(steps, as_of=far)
        states.append((s["orders"], s["gmv"]))
    steps.close()

    db = Database(tmp_path / "shared.duckdb")
    assert import_file(db, FIXTURES / files[0]).ok
    seen: dict[int, list] = {}
    done = threading.Event()

    def work(i: int):
        if i == 0:
            try:
                for name in files[1:]:
                    assert import_file(db, FIXTURES / name).ok
                    time.sleep(0.05)
            finally:
                done.set()
        else:
            mine = seen.setdefault(i, [])
            while True:
                last = done.is_set()
                s = summary(db, as_of=far)
                mine.append((s["orders"], s["gmv"]))
                if last:
                    break
    errors = _run_threads(8, work)
    assert not errors, "\n".join(errors)
    for i, mine in seen.items():
        assert mine, f"reader {i} never ran"
        assert set(mine) <= set(states[1:]), (i, set(mine) - set(states))
        order = [states.index(x) for x in mine]
        assert order == sorted(order), f"reader {i} went back in time: {order}"
        assert mine[-1] == states[-1]  # once the import committed, everyone sees it
    db.close()


def test_writes_are_serialised_and_atomic(tmp_path):
    """Writers queue behind one lock; a failing write leaves nothing behind while others go on."""
    db = Database(tmp_path / "w.duckdb")
    n = 8

    def work(i: int):
        for k in range(20):
            if k % 5 == 4:
                with pytest.raises(RuntimeError):
                    with db.write() as cur:
                        cur.execute("INSERT INTO settings VALUES (?, ?)", [f"bad{i}_{k}", "x"])
                        raise RuntimeError("changed my mind")
            else:
                with db.write() as cur:
                    cur.execute("INSERT INTO settings VALUES (?, ?)", [f"s{i}_{k}", "x"])
                db.bump_version()
            db.get_setting(f"s{i}_{k}")
    errors = _run_threads(n, work)
    assert not errors, "\n".join(errors)
    assert db.scalar("SELECT count(*) FROM settings WHERE key LIKE 's%'") == n * 16
    assert db.scalar("SELECT count(*) FROM settings WHERE key LIKE 'bad%'") == 0
    assert db.scalar("SELECT value FROM meta WHERE key = 'edits'") == str(n * 16)
    db.close()


# -- several Streamlit sessions at once ---------------------------------------------------------
@pytest.fixture
def parallel_apptest(monkeypatch):
    """AppTest was made for one session at a time: each run installs, then removes, a process-wide
    Runtime, patches the config, and resets the multipage flag, so runs in several threads undo
    each other. A server sets these once; do the same here, for this test only: one shared Runtime,
    the AppTest config for everyone, and the flags the run resets kept on stand-in subclasses."""
    from streamlit import config
    from streamlit.runtime import Runtime
    from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
    from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test
    from streamlit.testing.v1.util import build_mock_config_get_option
    from unittest.mock import MagicMock
    import contextlib

    shared = MagicMock(spec=Runtime)
    shared.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    shared.dataframe_source_mgr = DataframeSourceManager()
    shared.cache_storage_manager = MemoryCacheStorageManager()
    monkeypatch.setattr(Runtime, "_instance", shared)
    monkeypatch.setattr(app_test, "Runtime", type("RuntimePerRun", (Runtime,), {}))
    monkeypatch.setattr(PagesManager, "uses_pages_directory", False)  # st.navigation's value
    monkeypatch.setattr(app_test, "PagesManager", type("PagesManagerPerRun", (PagesManager,), {}))
    monkeypatch.setattr(config, "get_option", build_mock_config_get_option({"global.appTest": True}))
    monkeypatch.setattr(app_test, "patch_config_options", lambda overrides: contextlib.nullcontext())
    # A server compiles each page once, in one ScriptCache guarded by a lock; every AppTest has its
    # own cache, so pages were compiled in several threads at once, which CPython 3.11's parser
    # does not survive ("AST constructor recursion depth mismatch"). One lock, as in a server.
    import threading

    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    compile_lock, original = threading.Lock(), ScriptCache.get_bytecode

    def get_bytecode(self, script_path):
        with compile_lock:
            return original(self, script_path)
    monkeypatch.setattr(ScriptCache, "get_bytecode", get_bytecode)
    from streamlit.testing.v1 import AppTest
    return AppTest


def test_several_app_sessions_at_once(monkeypatch, tmp_path, parallel_apptest):
    """Several AppTest sessions in threads on one CRM_DB: in one process they share ui.db()'s
    cached Database, like browser sessions of one server. Two import through the Data page while
    the others open the analysis pages; no session shows an error."""
    AppTest = parallel_apptest
    path = tmp_path / "app.duckdb"
    seed = Database(path)
    assert import_file(seed, FIXTURES / "taobao_orders_61_gbk.csv").ok
    seed.close()
    monkeypatch.setenv("CRM_DB", str(path))
    app = str(ROOT / "app.py")
    pages = ["pages/home.py", "pages/levels.py", "pages/timing.py", "pages/counts.py", "pages/amount.py",
             "pages/lifecycle.py", "pages/cohorts.py"]
    uploads = {0: "jd_orders.csv", 1: "youzan_orders.csv"}

    def check(at, where: str):
        assert not at.exception, (where, [e.value for e in at.exception])
        assert not [e.value for e in at.error], (where, [e.value for e in at.error])
        assert at.title, (where, "the page drew nothing")

    def work(i: int):
        at = AppTest.from_file(app, default_timeout=180)
        at.session_state["lang"] = "en"
        at.run()
        check(at, "home")
        if i in uploads:
            at.switch_page("pages/data.py").run()
            check(at, "data")
            name = uploads[i]
            at.file_uploader[0].set_value([(name, (FIXTURES / name).read_bytes(), "text/csv")]).run()
            check(at, "data preview")
            at.button(key="import_go").click().run()
            check(at, "data import")
            assert any("imported" in s.value for s in at.success), [s.value for s in at.success]
        else:
            for p in pages[i % len(pages):] + pages[: i % len(pages)]:
                at.switch_page(p).run()
                check(at, p)
    errors = _run_threads(8, work, seconds_limit=400)
    assert not errors, "\n".join(errors)
    db = Database(path)
    files = {r[0] for r in db.query("SELECT file_name FROM imports WHERE status = 'ok'")}
    orders = db.scalar("SELECT count(*) FROM orders")
    db.close()
    assert files == {"taobao_orders_61_gbk.csv", "jd_orders.csv", "youzan_orders.csv"}
    check_db = Database(tmp_path / "check.duckdb")
    for name in files:
        assert import_file(check_db, FIXTURES / name).ok
    assert orders == check_db.scalar("SELECT count(*) FROM orders")
    check_db.close()
