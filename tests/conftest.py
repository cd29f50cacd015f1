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
