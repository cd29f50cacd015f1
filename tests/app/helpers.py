"""What every AppTest module shares: running a page, checking it showed no error, seeding a database."""
from streamlit.testing.v1 import AppTest

from crm.db import Database
from crm.importing import import_file
from tests.conftest import FIXTURES, ROOT


def page_test(page_file: str, lang: str = "en", timeout: int = 60) -> AppTest:
    """An AppTest of one page file (pages/<name>.py) on its own, in a language."""
    at = AppTest.from_file(str(ROOT / "pages" / page_file), default_timeout=timeout)
    at.session_state["lang"] = lang
    return at


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error], [e.value for e in at.error]


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Open the tab `label` of the lazy tabs `key` (their content is built only when open), and run."""
    at.session_state[key] = label
    at.run()
    no_errors(at)
    return at


def seed(path, *names) -> None:
    """A database at `path` with these fixture files imported."""
    db = Database(path)
    for n in names:
        assert import_file(db, FIXTURES / n).ok
    db.close()


def metrics(at: AppTest) -> dict:
    """Metric label → shown value."""
    return {m.label: m.value for m in at.metric}
