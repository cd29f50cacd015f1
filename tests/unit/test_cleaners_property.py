"""Properties of the value cleaners (crm/importing/clean.py) that hold for any input, found by
hypothesis: formatted amounts read back to the same Decimal, wrapped ids to the same id, dates in
every supported format to the same moment, and nothing at all ever raises.

The rules are SQL (`text_select` → `typed_select`, what the importer runs over a whole file); the
`clean_*` helpers run the same SQL on one value. Most properties go through the helpers; the last
ones run the builders over a table the way the importer does (ranked date formats, `keep_parsed`)
and check that they agree with the helpers value by value.
"""
from __future__ import annotations

import datetime as dt
import re
import string
from decimal import Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from crm.importing import clean
from crm.importing.clean import (DATE_FORMATS, NULL_WORDS, clean_id, clean_money, clean_text,
                                 clean_timestamp)

STRIP = clean._STRIP
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- amounts ----------------------------------------------------------------------------------------
amounts = st.decimals(min_value=0, max_value=Decimal("9999999999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)
edge_space = st.sampled_from(["", " ", "  ", "\t", "\u3000", "\u00a0", "\ufeff"])


@st.composite
def formatted_amount(draw):
    """(text as some export writes it, the Decimal it means)."""
    value = draw(amounts)
    digits = f"{value:,.2f}"
    if value == value.to_integral_value() and draw(st.booleans()):
        digits = f"{int(value):,}"                                   # "88", "1,234"
    separator = draw(st.sampled_from(["", ",", "，", " "]))           # none, ASCII, full-width, space
    digits = digits.replace(",", separator)
    prefix = draw(st.sampled_from(["", "¥", "￥", "$", "RMB", "RMB ", "rmb", "CNY", "¥ "]))
    suffix = draw(st.sampled_from(["", "元", " 元", "CNY", " RMB"]))
    negative = draw(st.booleans())
    if negative:
        sign = draw(st.sampled_from(["-{}", "\u2212{}", "({})", "（{}）", "－{}"]))
        body = sign.format(prefix + digits) if draw(st.booleans()) else prefix + sign.format(digits)
    else:
        body = prefix + digits
    text = body + suffix
    text = draw(st.sampled_from(["{}", '="{}"', "'{}"])).format(text)
    text = draw(edge_space) + text + draw(edge_space)
    return text, (-value if negative else value)


@given(formatted_amount())
@FAST
@example(("¥1,234.50", Decimal("1234.50")))
@example((" 88 ", Decimal("88")))
@example(("12.5元", Decimal("12.50")))
@example(("(50.00)", Decimal("-50.00")))
@example(("−40.00", Decimal("-40.00")))
def test_formatted_amount_reads_back(case):
    text, value = case
    got = clean_money(text)
    assert got == value, (text, got)
    assert got.as_tuple().exponent == -2


@given(st.from_regex(r"[¥￥$(（−\-]?[\d,，. ]{0,18}[)）元]?", fullmatch=True))
@FAST
def test_amount_like_garbage_is_a_two_place_decimal_or_none(text):
    got = clean_money(text)
    assert got is None or (isinstance(got, Decimal) and got.as_tuple().exponent == -2)


# -- ids --------------------------------------------------------------------------------------------
id_cores = st.one_of(
    st.text(alphabet=string.digits, min_size=1, max_size=22),                      # order numbers
    st.text(alphabet=string.ascii_letters + string.digits + "_-#@.", min_size=1, max_size=20),
    st.text(alphabet="王小明阿狸橙子不酸星点灯鹿乱撞" + string.digits + "ab_*", min_size=1, max_size=12),
)
WRAPPERS = ["{}", '="{}"', '=" {} "', "'{}", "\t{}", "{} ", " {} ", "{}\t", "\u3000{}", "{}\u00a0", '="{}" ',
            "\t'{}", "\ufeff{}", "{}\r"]


def _plain_id(core: str) -> bool:
    return (core not in NULL_WORDS and core[0] not in STRIP and core[-1] not in STRIP
            and not core.startswith(("=", "'")) and not re.fullmatch(r"\d+\.0+", core))


@given(id_cores, st.sampled_from(WRAPPERS))
@FAST
@example("2587361234567890123", '="{}"')
@example("6917926768823643751", "\t{}")
@example("0105875", "'{}")
@example("21407300627014900", "{} ")
def test_wrapped_id_is_the_same_id(core, wrapper):
    assume(_plain_id(core))
    assert clean_id(wrapper.format(core)) == core


@given(st.text(alphabet=string.digits, min_size=1, max_size=19), st.integers(min_value=1, max_value=3))
@FAST
def test_id_read_back_as_a_float_loses_its_zero_decimals(digits, zeros):
    assert clean_id(digits + "." + "0" * zeros) == digits


@given(st.sampled_from(NULL_WORDS), edge_space, edge_space)
@FAST
def test_blank_words_are_empty_for_every_kind(word, left, right):
    text = left + word + right
    assert clean_text(text) is None and clean_id(text) is None
    assert clean_money(text) is None and clean_timestamp(text) is None


# -- dates ------------------------------------------------------------------------------------------
moments = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2099, 12, 31, 23, 59, 59))
YEAR_FIRST = [f for f in DATE_FORMATS if f.startswith("%Y")]


@given(moments, st.sampled_from(DATE_FORMATS))
@FAST
def test_every_supported_format_round_trips_when_the_column_uses_it(moment, fmt):
    # The importer ranks the formats per column (rank_date_formats), so a column is read in its
    # own format: day-first columns included.
    text = moment.strftime(fmt)
    assert clean_timestamp(text, [fmt]) == dt.datetime.strptime(text, fmt)


@given(moments, st.sampled_from(YEAR_FIRST), st.sampled_from(["{}", '="{}"', "\t{}", " {} ", "{}\u3000"]))
@FAST
def test_year_first_dates_round_trip_with_the_default_formats(moment, fmt, wrapper):
    text = moment.strftime(fmt)
    assert clean_timestamp(wrapper.format(text)) == dt.datetime.strptime(text, fmt)


@given(moments.map(lambda m: m.replace(microsecond=0)),
       st.sampled_from(["T{}Z", "T{}+08:00", " {} +0000", " {} UTC", " {}+0800", "T{}"]))
@FAST
def test_time_zones_are_dropped_keeping_the_wall_clock(moment, zone):
    text = moment.strftime("%Y-%m-%d") + zone.format(moment.strftime("%H:%M:%S"))
    assert clean_timestamp(text) == moment


@given(st.integers(min_value=1_000_000_000, max_value=1_999_999_999), st.booleans())
@FAST
def test_epoch_seconds_and_milliseconds(seconds, millis):
    text = str(seconds * 1000) if millis else str(seconds)
    assert clean_timestamp(text) == dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)


@given(st.from_regex(r"\d{1,4}[-/.年]\d{1,2}[-/.月]\d{1,4}日?( \d{1,2}:\d{1,2}(:\d{1,2})?)?", fullmatch=True))
@FAST
@example("2025-13-45")
@example("0000-00-00 00:00:00")
@example("1900-01-01")
@example("2025-02-29")
def test_date_like_garbage_is_none_or_a_real_date_in_range(text):
    got = clean_timestamp(text)
    assert got is None or dt.datetime(1970, 1, 1) <= got < dt.datetime(2100, 1, 1)


# -- anything at all --------------------------------------------------------------------------------
@given(st.text(max_size=60))
@FAST
@example("\x00")
@example('="')
@example("'")
@example("=")
@example("(")
@example("1" * 40)
@example("Infinity")
def test_garbage_never_raises(text):
    t = clean_text(text)
    i = clean_id(text)
    m = clean_money(text)
    d = clean_timestamp(text)
    for v in (t, i):
        assert v is None or (v == v.strip(STRIP) and v != "" and v not in NULL_WORDS)
    assert m is None or (isinstance(m, Decimal) and m.as_tuple().exponent == -2)
    assert d is None or dt.datetime(1970, 1, 1) <= d < dt.datetime(2100, 1, 1)


# -- the SQL the importer runs, over a table ----------------------------------------------------------
values = st.one_of(st.text(max_size=24), formatted_amount().map(lambda c: c[0]),
                   st.tuples(moments, st.sampled_from(YEAR_FIRST)).map(lambda c: c[0].strftime(c[1])),
                   st.tuples(id_cores, st.sampled_from(WRAPPERS)).map(lambda c: c[1].format(c[0])))


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect(config={"autoinstall_known_extensions": "false"})
    yield c
    c.close()


@given(st.lists(values, min_size=1, max_size=8))
@SLOW
def test_importer_sql_over_a_table_agrees_with_the_helpers(con, batch):
    cur = con.cursor()
    try:
        cur.execute("CREATE OR REPLACE TEMP TABLE raw (c0 VARCHAR)")
        cur.executemany("INSERT INTO raw VALUES (?)", [[v] for v in batch])
        text = clean.text_select("(SELECT rowid AS rn, c0 FROM raw)", {"t": "c0", "i": "c0", "m": "c0", "d": "c0"})
        cur.execute("CREATE OR REPLACE TEMP TABLE txt AS " + text)
        formats = {"d": clean.rank_date_formats(cur, "txt", "d")}
        typed = clean.typed_select("SELECT * FROM txt", {"t": "text", "i": "id", "m": "money", "d": "date"},
                                   formats, keep_parsed=True)
        rows = cur.execute(f'SELECT t, i, m, d, m__parsed, d__parsed FROM ({typed}) ORDER BY rn').fetchall()
    finally:
        cur.close()
    assert len(rows) == len(batch)
    for v, (t, i, m, d, m_parsed, d_parsed) in zip(batch, rows):
        assert (t, i, m) == (clean_text(v), clean_id(v), clean_money(v)), v
        # Dates: the column's own ranked formats may read an ambiguous value (01/02/2024) the other
        # way round from the default order, but a value read both ways is the same moment.
        single = clean_timestamp(v, formats["d"])
        assert d == single, v
        if m is not None:
            assert m_parsed == pytest.approx(float(m))
        if d is not None:
            assert d_parsed == d                              # the range check only drops, never moves
