"""Value cleaners: the quirks of real exports, and properties that hold for any input."""
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.importing.clean import clean_id, clean_money, clean_text, clean_timestamp


@pytest.mark.parametrize("raw, expected", [
    ('="2587361234567890123"', "2587361234567890123"),
    (" 2140730062701494 ", "2140730062701494"),
    ("\t6917926768823643751", "6917926768823643751"),
    ("'0105875", "0105875"),
    ("123.0", "123"),
    ("=123", "123"),
    ("#1001", "#1001"),
])
def test_ids_stay_text_without_wrappers(raw, expected):
    assert clean_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "null", "NULL", "-", "--", "——", "—", "N/A", "nan", "None", "  ", "\t"])
def test_blank_words_are_null(raw):
    assert clean_text(raw) is None


@pytest.mark.parametrize("raw, expected", [
    ("¥1,234.50", "1234.50"), ("1,234.00", "1234.00"), ("12.5元", "12.50"), (" 88 ", "88.00"),
    ("0元", "0.00"), ("￥12.50", "12.50"), ("RMB 12", "12.00"), ("$1,000.5", "1000.50"), ("-3", "-3.00"),
])
def test_money(raw, expected):
    assert clean_money(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["abc", "12..5", "¥", "null", ""])
def test_money_unreadable_is_null(raw):
    assert clean_money(raw) is None


@pytest.mark.parametrize("raw, expected", [
    ("2025-11-30 09:30:00", dt.datetime(2025, 11, 30, 9, 30)),
    ("2025/11/30 9:30", dt.datetime(2025, 11, 30, 9, 30)),
    ("2025-11-30T09:30:00+08:00", dt.datetime(2025, 11, 30, 9, 30)),
    ("2024-05-01 10:00:00 +0000", dt.datetime(2024, 5, 1, 10, 0)),
    ("2025-11-30T09:30:00Z", dt.datetime(2025, 11, 30, 9, 30)),
    ("20251130", dt.datetime(2025, 11, 30)),
    ("19970101", dt.datetime(1997, 1, 1)),
    ("2017/5/30 23:18", dt.datetime(2017, 5, 30, 23, 18)),
    ("2025年11月30日", dt.datetime(2025, 11, 30)),
    ("12/1/2010 8:26", dt.datetime(2010, 12, 1, 8, 26)),
    ('="2025-11-30 09:30:00"', dt.datetime(2025, 11, 30, 9, 30)),
])
def test_dates(raw, expected):
    assert clean_timestamp(raw) == expected


@pytest.mark.parametrize("raw", ["2025-13-45", "yesterday", "1900-01-01", "null", "0000-00-00 00:00:00"])
def test_unreadable_or_absurd_dates_are_null(raw):
    assert clean_timestamp(raw) is None


# -- properties ------------------------------------------------------------------------------------
cents = st.integers(min_value=0, max_value=10**12)


@given(cents, st.sampled_from(["{}", "¥{}", "￥{}", "{}元", " {} ", "RMB{}"]), st.booleans())
@settings(max_examples=150, deadline=None)
def test_money_roundtrip(c, template, thousands):
    value = Decimal(c) / 100
    text = f"{value:,.2f}" if thousands else f"{value:.2f}"
    assert clean_money(template.format(text)) == value


@given(st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2099, 12, 31)),
       st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S+08:00",
                        "%Y-%m-%d %H:%M:%S +0000"]))
@settings(max_examples=150, deadline=None)
def test_dates_roundtrip(moment, fmt):
    moment = moment.replace(microsecond=0)
    assert clean_timestamp(moment.strftime(fmt)) == moment


@given(st.text(alphabet="0123456789", min_size=1, max_size=20),
       st.sampled_from(['="{}"', "{}", " {} ", "\t{}", "'{}", "{} "]))
@settings(max_examples=150, deadline=None)
def test_id_wrappers_removed(digits, template):
    assert clean_id(template.format(digits)) == digits


@given(st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_cleaners_never_raise(text):
    clean_text(text)
    clean_id(text)
    clean_money(text)
    clean_timestamp(text)
