"""Broken and hostile files (tests/fixtures/hostile.py makes them): each ends with a clear message
in both languages and leaves the database exactly as it was, or imports just its real rows.
How long each takes at full size is the benchmark's job (bench/bench_hostile.py), not a test's."""
from __future__ import annotations

import pytest

from crm import i18n
from crm.importing import import_file, reader
from tests.conftest import FIXTURES
from tests.fixtures import hostile
from tests.unit.test_bad_inputs import SEED, _state, _texts_ok

# The scale each test uses: full size where the size is the point or is cheap; smaller where
# the code path is the same (the refusal reads only the first megabyte, or a limit is lowered).
SCALE = {"single_line": 0.02, "long_body_line": 0.02, "endless_quote": 0.0025, "only_quotes": 0.05,
         "zip_bomb": 0.1}
LIMIT_NAMED = {"refused_header_too_long": "64 KB", "refused_header_too_wide": "1000",
               "refused_line_too_long": "2 MB", "refused_zip_bomb": "100:1"}


@pytest.mark.parametrize("shape", hostile.SHAPES)
def test_hostile_file_ends_with_a_clear_message_and_nothing_stored(db, tmp_path, monkeypatch, shape):
    if shape == "long_body_line":
        monkeypatch.setattr(reader, "MAX_LINE_BYTES", 2 * 1024 * 1024)
    path = hostile.make(shape, tmp_path / hostile.file_name(shape), SCALE.get(shape, 1.0))
    assert import_file(db, SEED).ok
    before = _state(db)
    r = import_file(db, path)
    expected = hostile.EXPECTED[shape]
    if isinstance(expected, int):                   # real rows around the junk: just those land
        assert r.ok, r.message
        assert r.orders_new == expected and r.rows_rejected == 0
        return
    assert not r.ok and r.message[0] == expected, r.message
    assert r.import_id is None and r.rows_read == 0
    assert _state(db) == before
    texts = _texts_ok(*r.message)
    if expected in LIMIT_NAMED:
        for text in texts.values():
            assert LIMIT_NAMED[expected] in text, text
    # one line on the command line, naming the file
    line = i18n.t("cli_refused", "en", file=r.file_name, reason=texts["en"])
    assert "\n" not in line and path.name in line


def test_a_wide_header_is_refused_before_its_columns_are_listed(db, tmp_path):
    r = import_file(db, hostile.make("wide_header_1500", tmp_path / "w.csv"))
    assert r.message == ("refused_header_too_wide", {"columns": 1500, "limit": 1000})
    assert "col1499" not in i18n.msg(r.message, "en")


def test_a_header_at_the_limit_still_imports(db, tmp_path):
    """1,000 columns (the limit) is still a table: the known ones are mapped, the rest ignored."""
    head = ["user_id", "order_dt", "order_amount"] + [f"extra{i}" for i in range(997)]
    path = tmp_path / "at_limit.csv"
    path.write_text(",".join(head) + "\n" + ",".join(["u1", "2025-01-01", "10"] + [""] * 997) + "\n")
    r = import_file(db, path)
    assert r.ok and r.orders_new == 1


def test_a_workbook_that_unpacks_past_the_size_limit_is_refused(db, tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_UNPACKED", 1024 * 1024)
    r = import_file(db, hostile.make("styled_rows_one_order", tmp_path / "big.xlsx", 0.1))
    assert r.message[0] == "refused_spreadsheet_too_large"
    assert "1 MB" in i18n.msg(r.message, "en")


def test_the_committed_corpus_still_imports_its_unclosed_quote_rows(db):
    """An unclosed quote near the end swallows only a few lines: the rows before it still land."""
    r = import_file(db, FIXTURES / "bad" / "unmatched_quote.csv")
    assert r.ok and r.orders_new == 2 and r.rows_rejected == 1
