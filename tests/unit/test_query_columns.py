"""`Database.query_columns` (numpy arrays from DuckDB) gives the DataFrame `query_df` gives."""
import pandas as pd
import pytest

from crm.db import Database

QUERIES = [
    # integers, doubles, a NULL double, a DECIMAL, text with a NULL
    "SELECT i::INTEGER AS n, i * 10::BIGINT AS big, i / 3 AS ratio, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1.5 END AS maybe, "
    "(i * 1.25)::DECIMAL(18,2) AS money, CASE WHEN i % 4 = 0 THEN NULL ELSE 'c' || i END AS label FROM range(1, 50) t(i)",
    # integer and boolean columns with NULLs: pandas' nullable arrays, as .df() makes them
    "SELECT CASE WHEN i % 2 = 0 THEN NULL ELSE i END::INTEGER AS odd, "
    "CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END AS flag FROM range(10) t(i)",
    # no rows
    "SELECT 1::INTEGER AS n, 2.5 AS x WHERE false",
    # a boolean
    "SELECT i % 2 = 0 AS even FROM range(5) t(i)",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_query_columns_equals_query_df(tmp_path, sql):
    db = Database(tmp_path / "q.duckdb")
    try:
        pd.testing.assert_frame_equal(db.query_columns(sql), db.query_df(sql), check_exact=True)
    finally:
        db.close()


def test_query_columns_binds_parameters(tmp_path):
    db = Database(tmp_path / "q.duckdb")
    try:
        got = db.query_columns("SELECT i AS n FROM range(10) t(i) WHERE i >= ? AND i < ?", [3, 6])
        assert got["n"].tolist() == [3, 4, 5]
    finally:
        db.close()
