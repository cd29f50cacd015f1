"""A small line of a series as inline SVG: the line under Home's weekly cards.

Standard library only, so that Home's first view needs neither pandas nor a chart script in the
browser: Streamlit's own small charts (`st.metric(chart_data=…)`) load Vega (0.8 MB, ~0.3 s of a
new browser's first visit on this machine), and Plotly's script is 4.7 MB. A missing value (None or
NaN) leaves a gap; a lone value between gaps is a dot. Each point has its own hover text.
"""
from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT, PAD = 200.0, 40.0, 4.0
LINE = "#4E79A7"
ALERT = "#E4572E"


# Streamlit shows it as Markdown with HTML allowed: text between the tags would still be read as
# Markdown ($ starts a formula, * and _ emphasis), so those characters are written as references.
_MARKDOWN = {ord(c): f"&#{ord(c)};" for c in "$*_~`\\[]"}


def html_text(s: str) -> str:
    """`s` for HTML text or an attribute value that Streamlit shows through Markdown."""
    return escape(s).translate(_MARKDOWN)


def _present(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def points(values: list) -> list[tuple[float, float] | None]:
    """Each value's (x, y) in the drawing's box (y grows downwards), None where it is missing: x
    evenly spread over the width, y over the height between the smallest and largest value (a
    series of one value, or of equal values, in the middle)."""
    n = len(values)
    shown = [float(v) for v in values if _present(v)]
    low, high = (min(shown), max(shown)) if shown else (0.0, 0.0)
    out = []
    for i, v in enumerate(values):
        if not _present(v):
            out.append(None)
            continue
        x = WIDTH / 2 if n == 1 else i * WIDTH / (n - 1)
        y = HEIGHT / 2 if high == low else PAD + (high - float(v)) * (HEIGHT - 2 * PAD) / (high - low)
        out.append((round(x, 2), round(y, 2)))
    return out


def runs(pts: list) -> list[list[tuple[float, float]]]:
    """The unbroken runs of present points, in order."""
    out, run = [], []
    for p in pts:
        if p is None:
            if run:
                out.append(run)
            run = []
        else:
            run.append(p)
    if run:
        out.append(run)
    return out


def _dot(p: tuple[float, float], color: str, width: float) -> str:
    # A round cap on a zero-length line, its width in screen pixels: a round dot however the box
    # is stretched (the drawing fills the card's width, so its x and y scale differently).
    return (f'<path d="M{p[0]:g},{p[1]:g}h0" stroke="{color}" stroke-width="{width}" stroke-linecap="round" '
            f'vector-effect="non-scaling-stroke"/>')


def sparkline_svg(values: list, titles: list[str], label: str, *, alert_last: bool = False,
                  height: int = 40) -> str:
    """The SVG of `values` as a line (`titles`: each point's hover text; `label`: what the line
    shows, for screen readers). The last point is marked, in the alert colour when `alert_last`."""
    if len(titles) != len(values):
        raise ValueError("one hover text per value")
    pts = points(values)
    parts = [f'<svg class="crm-spark" role="img" aria-label="{html_text(label)}" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" '
             f'width="100%" height="{int(height)}" preserveAspectRatio="none" style="display:block;overflow:visible">']
    for run in runs(pts):
        if len(run) == 1:
            parts.append(_dot(run[0], LINE, 3))
        else:
            line = " ".join(f"{x:g},{y:g}" for x, y in run)
            parts.append(f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="1.5" '
                         f'stroke-linejoin="round" vector-effect="non-scaling-stroke"/>')
    if pts and pts[-1] is not None:
        parts.append(_dot(pts[-1], ALERT if alert_last else LINE, 6))
    n = len(values)
    step = WIDTH / (n - 1) if n > 1 else WIDTH
    for i, title in enumerate(titles):   # a column around each point that shows its hover text
        centre = WIDTH / 2 if n == 1 else i * step
        left, right = max(0.0, centre - step / 2), min(WIDTH, centre + step / 2)
        parts.append(f'<rect x="{left:g}" y="0" width="{right - left:g}" height="{HEIGHT:g}" fill="transparent">'
                     f'<title>{html_text(title)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)
