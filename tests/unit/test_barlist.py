"""The cohort page's level and stage mix as lists of bars in HTML (crm.barlist, crm.charts.cohorts)."""
import math
import re

import pandas as pd

from crm.barlist import bar_list_html, width
from crm.charts import cohorts as cohort_charts

ROW = re.compile(r'<span title="([^"]*)">([^<]*)</span><span title="[^"]*" style="[^"]*">'
                 r'<span class="crm-bar" style="[^"]*width:([0-9.]+)%;([^"]*)"></span></span>'
                 r'<span title="[^"]*" style="[^"]*">([^<]*)</span>')


def rows(html: str) -> list[tuple]:
    return ROW.findall(html)


def test_width_is_the_share_in_percent_clamped():
    assert [width(v) for v in (0, 0.25, 1 / 3, 1, 1.5, -0.1, None, math.nan)] == \
        [0, 25, 33.33, 100, 100, 0, 0, 0]


def test_bar_list_rows_widths_and_texts():
    html = bar_list_html([("A", 0.75, "75% · 3", "A: 3"), ("B", 0.25, "25% · 1", "B: 1"), ("C", 0.0, "0% · 0", "C: 0")],
                         "Mix", color="#123456")
    assert html.startswith('<div class="crm-bars" role="group" aria-label="Mix">') and html.endswith("</div></div>")
    assert "<strong>Mix</strong>" in html and "\n" not in html      # one line: Markdown ends HTML at a blank line
    got = rows(html)
    assert [(t, n, w, x) for t, n, w, _, x in got] == [("A: 3", "A", "75", "75% · 3"), ("B: 1", "B", "25", "25% · 1"),
                                                        ("C: 0", "C", "0", "0% · 0")]
    assert all("background:#123456" in style for *_, style, _ in got)
    assert "min-width:2px" in got[0][3] and "min-width" not in got[2][3]   # an empty row has no bar at all


def test_a_tiny_share_still_shows_and_text_is_escaped():
    html = bar_list_html([("<b>$5 *x*</b>", 0.0001, "0.0% · 1", 'say "hi" & _go_')], "a < b")
    (title, name, w, style, text), = rows(html)
    assert w == "0.01" and "min-width:2px" in style
    assert name == "&lt;b&gt;&#36;5 &#42;x&#42;&lt;/b&gt;" and "<b>" not in html
    assert title == "say &quot;hi&quot; &amp; &#95;go&#95;" and 'aria-label="a &lt; b"' in html


def test_cohort_mixes_list_every_level_and_stage_with_share_and_members():
    levels = pd.DataFrame({"level_code": [0, 1, 2, 3, 4], "members": [2, 1, 2, 1, 1],
                           "gmv": [100.0, 50.0, 2500.0, 300.0, 5010.0]})
    levels["share"] = levels["members"] / 7
    got = rows(cohort_charts.level_mix(levels, "en"))
    assert [n for _, n, *_ in got] == ["Shop customer", "Member", "Senior member", "VIP", "Supreme VIP"]
    assert [w for _, _, w, *_ in got] == ["28.57", "14.29", "28.57", "14.29", "14.29"]
    assert [x for *_, x in got] == ["28.6% · 2", "14.3% · 1", "28.6% · 2", "14.3% · 1", "14.3% · 1"]
    assert got[2][0] == "Senior member: 2 members (28.6%), total spend ¥2,500.00"
    stages = pd.DataFrame({"stage": ["after_sale", "active", "silent", "sleeping", "lost"],
                           "members": [0, 3, 0, 0, 0], "gmv": [0.0, 900.0, 0.0, 0.0, 0.0]})
    stages["share"] = stages["members"] / 3
    html = cohort_charts.stage_mix(stages, "zh")
    assert "<strong>生命周期构成</strong>" in html
    got = rows(html)
    assert [(n, w, x) for _, n, w, _, x in got] == [("售后期", "0", "0.0% · 0"), ("活跃期", "100", "100.0% · 3"),
                                                     ("沉默期", "0", "0.0% · 0"), ("睡眠期", "0", "0.0% · 0"),
                                                     ("流失期", "0", "0.0% · 0")]
