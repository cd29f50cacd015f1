"""Home's small lines: inline SVG from a list of values, hand-checked."""
import math
import re

import pytest

from crm.sparkline import ALERT, LINE, points, runs, sparkline_svg


def test_points_spread_over_the_box_between_the_smallest_and_largest_value():
    # 5 values over a 200 × 40 box, 4 px padding: x every 50; y = 4 + (high - v) × 32 / (high - low).
    assert points([0, 10, 5, 10, 0]) == [(0, 36), (50, 4), (100, 20), (150, 4), (200, 36)]


def test_a_missing_value_is_a_gap_not_a_zero():
    pts = points([2, None, 4, math.nan, 3])
    assert pts == [(0, 36), None, (100, 4), None, (200, 20)]
    assert runs(pts) == [[(0, 36)], [(100, 4)], [(200, 20)]]
    assert runs(points([1, 2, None, 3, 4])) == [[(0, 36), (50, 25.33)], [(150, 14.67), (200, 4)]]


def test_equal_values_and_a_single_value_sit_in_the_middle():
    assert points([7, 7, 7]) == [(0, 20), (100, 20), (200, 20)]
    assert points([7]) == [(100, 20)]
    assert points([None, None]) == [None, None] and runs(points([None, None])) == []


def test_the_svg_draws_runs_as_lines_lone_values_as_dots_and_marks_the_last_point():
    svg = sparkline_svg([1, 2, None, 5, None, 3], list("abcdef"), "Buyers")
    assert svg.startswith('<svg class="crm-spark" role="img" aria-label="Buyers"') and svg.endswith("</svg>")
    assert re.findall(r'<polyline points="([^"]+)"', svg) == ["0,36 40,28"]
    dots = re.findall(r'<path d="M([\d.]+),([\d.]+)h0" stroke="(#\w+)" stroke-width="(\d+)"', svg)
    assert dots == [("120", "4", LINE, "3"), ("200", "20", LINE, "3"), ("200", "20", LINE, "6")]
    alert = sparkline_svg([1, 2, 3], list("abc"), "Buyers", alert_last=True)
    assert re.findall(r'stroke="(#\w+)" stroke-width="6"', alert) == [ALERT]
    assert 'stroke-width="6"' not in sparkline_svg([1, 2, None], list("abc"), "x")   # no latest week, no mark


def test_every_point_has_its_hover_text_in_a_column_around_it():
    svg = sparkline_svg([1, 2, 3], ["week 1: 1", "week 2: 2", "week 3: 3"], "x")
    cols = re.findall(r'<rect x="([\d.]+)" y="0" width="([\d.]+)" height="40" fill="transparent">'
                      r'<title>([^<]*)</title>', svg)
    assert cols == [("0", "50", "week 1: 1"), ("50", "100", "week 2: 2"), ("150", "50", "week 3: 3")]
    with pytest.raises(ValueError):
        sparkline_svg([1, 2], ["only one"], "x")


def test_text_is_escaped_for_html_and_for_markdown():
    # Streamlit shows the SVG as Markdown with HTML allowed: $ would start a formula, * and _ emphasis.
    svg = sparkline_svg([1], ['<b>$1,234 *x* _y_ & "q"</b>'], 'a"b<c>$')
    assert "<b>" not in svg and "$" not in svg and "*" not in svg and "_y_" not in svg
    assert "&lt;b&gt;&#36;1,234 &#42;x&#42; &#95;y&#95; &amp; &quot;q&quot;&lt;/b&gt;" in svg
    assert 'aria-label="a&quot;b&lt;c&gt;&#36;"' in svg
