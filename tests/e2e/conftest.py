"""A real app server and a real headless Chromium (Debian's), for the browser tests."""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    if os.environ.get("CRM_E2E") == "1":
        return
    skip = pytest.mark.skip(reason="browser tests run with CRM_E2E=1 (bin/test sets it)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(db_path: Path, *extra_args: str, lang: str = "zh", script: Path = ROOT / "app.py",
                     port: int | None = None):
    """`streamlit run app.py` (or `script`) on a free port (or `port`) with the database at `db_path`;
    yields the base URL."""
    port = port or _free_port()
    env = dict(os.environ, CRM_DB=str(db_path), CRM_LANG=lang)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", *extra_args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        out = proc.stdout.read().decode(errors="replace")
        pytest.fail("streamlit did not start:\n" + out[-3000:])
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def app_server(tmp_path):
    """The app on its own database tmp_path/e2e.duckdb (empty unless the test filled it first)."""
    with streamlit_server(tmp_path / "e2e.duckdb") as url:
        yield url


@pytest.fixture
def sample_app(tmp_path):
    """The app on the sample shop: tmp_path/e2e.duckdb loaded with the sample data, then served;
    yields the base URL."""
    from crm.db import Database
    from crm.samples import load_sample
    db = Database(tmp_path / "e2e.duckdb")
    assert all(r.ok for r in load_sample(db))
    db.close()
    with streamlit_server(tmp_path / "e2e.duckdb") as url:
        yield url


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Debian's chromium is not installed (bin/test installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(30000)
    yield pg
    ctx.close()


def wait_idle(page, timeout=60000):
    """Until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    time.sleep(0.3)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
