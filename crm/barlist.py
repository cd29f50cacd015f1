"""A few categories' shares as a list of bars in plain HTML: the cohort page's level and stage mix.

Standard library only. The browser draws it as a handful of `div`s, with no chart script: the two
Plotly bar charts it replaces took ~0.1 s of the browser's time on every change of the cohort (a
preset, a filter), for five bars each. Each row shows the category's name, a bar as long as its share
of the whole (on a track of the full width) and a short text; pointing at a row shows its hover text.
"""
from __future__ import annotations

import math

from .sparkline import html_text

BAR = "#4E79A7"
TRACK = "#EEF1F5"


def width(share) -> float:
    """The bar's length in % of its track: the share (0–1) clamped to 0–100 %, 0 when missing."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return 0.0
    return round(min(max(float(share), 0.0), 1.0) * 100, 2)


def bar_list_html(rows: list[tuple[str, float | None, str, str]], label: str, *, color: str = BAR) -> str:
    """The HTML of `rows` — (name, share 0–1, text after the bar, hover text) each — under the
    heading `label` (also the group's name for screen readers). One line, no blank lines: Markdown
    ends an HTML block at a blank line."""
    parts = [f'<div class="crm-bars" role="group" aria-label="{html_text(label)}">',
             f'<p style="margin:0 0 0.5rem 0"><strong>{html_text(label)}</strong></p>',
             '<div style="display:grid;grid-template-columns:max-content minmax(3rem,1fr) max-content;'
             'gap:0.4rem 0.75rem;align-items:center;font-size:0.875rem">']
    for name, share, text, hover in rows:
        title = html_text(hover)
        w = width(share)
        least = "min-width:2px;" if w > 0 else ""   # a share too small to see still shows
        parts.append(
            f'<span title="{title}">{html_text(name)}</span>'
            f'<span title="{title}" style="display:block;height:0.85rem;background:{TRACK};border-radius:2px">'
            f'<span class="crm-bar" style="display:block;height:100%;width:{w:g}%;{least}background:{color};'
            f'border-radius:2px"></span></span>'
            f'<span title="{title}" style="font-variant-numeric:tabular-nums">{html_text(text)}</span>')
    parts.append("</div></div>")
    return "".join(parts)
