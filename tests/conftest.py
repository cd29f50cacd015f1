import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "tests" / "fixtures"

from crm.db import Database  # noqa: E402


@pytest.fixture
def db(tmp_path):
    d = Database(tmp_path / "test.duckdb")
    yield d
    d.close()


@pytest.fixture
def fixture():
    def path(name: str) -> Path:
        p = FIXTURES / name
        assert p.exists(), f"missing fixture {name}"
        return p
    return path


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.fixture
def make_file(tmp_path):
    def make(name: str, text: str, encoding: str = "utf-8") -> Path:
        return write(tmp_path, name, text, encoding)
    return make


@pytest.fixture(autouse=True)
def _no_env_db(monkeypatch, tmp_path):
    # Never touch the developer's own database from a test.
    monkeypatch.setenv("CRM_DB", str(tmp_path / "env.duckdb"))
    monkeypatch.setenv("CRM_LANG", "en")


@pytest.fixture
def server_mode(monkeypatch):
    """Every run starts with app.py, as on a server where st.navigation has run once. (AppTest starts
    each run in the old pages/ mode: a rerun on a page runs that page file without app.py — the
    pages' own check (ui.guarded) keeps those closed, see test_auth_gate.test_deep_page_is_gated.)"""
    from streamlit.runtime.pages_manager import PagesManager
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False
    monkeypatch.setattr(PagesManager, "__init__", init)
