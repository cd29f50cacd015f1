"""What a user feels: page switches and control changes timed in a real headless Chromium.

    python bench/bench_browser.py                      # a copy of bench/out/bench_1000000.duckdb
    python bench/bench_browser.py --orders 10000000
    python bench/bench_browser.py --db my.duckdb       # any database (a copy is used)

Starts the app (`streamlit run app.py`) on a copy of the database and Debian's Chromium through
Playwright, as the browser tests do. Every page is opened once (cold: the first visit, nothing
cached; Home first, at the app's address in a new browser profile on a server just started), then
each page is reached three times by a click in the sidebar, coming from another page (warm), and
the median is printed. A switch counts as done when the address shows the page, the
script has finished, no element is stale or still waiting for its script, and the page's charts
are drawn (Plotly's, and the small lines under Home's weekly figures). Control
changes: the coupon slider on the cohort page and the minimum-days box on the purchase-count page.
The project's modules are byte-compiled first, as Python does on the app's first start (a user's
later starts read them). Prints a table with the machine's cores and load, and the floor measured
in the same run: a Streamlit page with nothing but a title and one small Plotly chart, opened the
way Home is (a new browser profile, a server just started) — what any Streamlit app with a Plotly
chart costs here — and the same page with the title only.
"""
from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from e2e.conftest import ARGS, CHROMIUM, _free_port, streamlit_server  # noqa: E402

PAGES = ["home", "levels", "timing", "amount", "counts", "lifecycle", "cohorts", "campaigns", "predictions",
         "members", "data"]
CHARTS = {"home", "levels", "timing", "amount", "counts", "lifecycle", "cohorts", "predictions"}
DONE_JS = """(args) => {
    const [path, charts] = args;
    const here = location.pathname.replace(/\/$/, '');
    if (!(here.endsWith('/' + path) || (path === 'home' && here === ''))) return false;
    const app = document.querySelector("[data-testid='stApp']");
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector("[data-stale='true']")) return false;
    const shown = sel => [...document.querySelectorAll(sel)].filter(e => !e.closest('.st-key-crm_plotly_preload'));
    if (shown("[data-testid='stSkeleton']").length) return false;     // an element whose script is loading
    const plots = shown('.js-plotly-plot'), lines = shown("svg.crm-spark, .crm-bars");
    if (!charts) return true;
    if (plots.length + lines.length === 0) return false;
    return !plots.some(p => !p.querySelector('.main-svg'));
}"""
IDLE_JS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector("[data-stale='true']");
}"""


# When the user's input reached the page: the first click or key press after `reset_input`, as the
# page saw it. Playwright's own click first scrolls, waits for the target to be still for two frames
# and checks what is under the pointer (0.07–0.15 s here), which no person's click waits for.
INPUT_JS = """window.__crmInput = null;
for (const type of ['click', 'keydown']) document.addEventListener(type, () => {
    if (window.__crmInput === null) window.__crmInput = performance.now();
}, true);"""


def at_time(js: str) -> str:
    """`js` (a predicate) returning the page's clock when it holds, for `wait_for_function`."""
    return f"(args) => {{ const done = ({js})(args); return done ? performance.now() : false; }}"


def reset_input(page) -> None:
    page.evaluate("() => { window.__crmInput = null; }")


def since_input(page, handle, fallback: float) -> float:
    """Seconds from the input to the moment `handle` (from `at_time`) held, by the page's clock."""
    start = page.evaluate("() => window.__crmInput")
    return (handle.json_value() - start) / 1000 if start is not None else fallback


def wait_done(page, name: str, timeout: float = 120000):
    return page.wait_for_function(at_time(DONE_JS), arg=[name, name in CHARTS], polling="raf", timeout=timeout)


def settle(page) -> None:
    """Until the app has been idle for a moment (a rerun may follow the first one)."""
    for _ in range(3):
        page.wait_for_function(IDLE_JS, polling="raf", timeout=120000)
        time.sleep(0.25)


def switch(page, name: str) -> tuple[float, float]:
    """(seconds from the click on the page's link until the page is drawn, seconds around
    Playwright's click call: what earlier runs of this bench printed)."""
    nav = page.locator("[data-testid='stSidebarNav'] a")
    link = nav.first if name == "home" else page.locator(f"[data-testid='stSidebarNav'] a[href$='/{name}']").first
    reset_input(page)
    t = time.perf_counter()
    link.click()
    done = wait_done(page, name)
    call = time.perf_counter() - t
    return since_input(page, done, call), call


def rerun_time(page, action) -> tuple[float, float]:
    """Seconds from the input `action()` makes until the rerun it starts has finished and nothing
    is stale, and the same around the `action()` call."""
    reset_input(page)
    t = time.perf_counter()
    action()
    try:   # the rerun starts (a very fast one may be over before the first check)
        page.wait_for_function("""() => {
            const app = document.querySelector("[data-testid='stApp']");
            return (app && app.getAttribute('data-test-script-state') === 'running')
                || document.querySelector("[data-stale='true']") !== null;
        }""", polling="raf", timeout=1000)
    except Exception:
        pass
    done = page.wait_for_function(at_time(IDLE_JS), polling="raf", timeout=120000)
    call = time.perf_counter() - t
    return since_input(page, done, call), call


FLOOR_SCRIPT = """import plotly.graph_objects as go
import streamlit as st

st.title("floor")
st.plotly_chart(go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 3, 2])))
"""
TITLE_SCRIPT = """import streamlit as st

st.title("floor")
"""


def floor(tmp: Path, runs: int, text: str = FLOOR_SCRIPT) -> list[float]:
    """Seconds until a Streamlit page (`text`: one chart, or a title only) is drawn: a new server
    and a new profile each time."""
    from playwright.sync_api import sync_playwright
    script = tmp / "floor_app.py"
    script.write_text(text)
    got = []
    for _ in range(runs):
        with streamlit_server(tmp / "floor.duckdb", script=script) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page()
            t = time.perf_counter()
            page.goto(url)
            page.wait_for_function(DONE_JS, arg=["home", text == FLOOR_SCRIPT], polling="raf", timeout=120000)
            page.wait_for_selector("h1")
            got.append(time.perf_counter() - t)
            browser.close()
    return got


def returning(db_path: Path, tmp: Path, runs: int, visits: int = 3) -> list[float]:
    """Seconds until Home is drawn on a server just started, in a browser that has opened the app
    before (`visits` times, on other days' servers): what a user who starts the app each morning
    waits for. The same address each time (the browser's cache is kept by address), its profile kept
    on disk between the visits, as a browser keeps it."""
    from playwright.sync_api import sync_playwright
    profile, port = tmp / "profile", _free_port()
    got = []
    for i in range(visits + runs):
        with streamlit_server(db_path, port=port) as url, sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                       args=ARGS, locale="zh-CN",
                                                       viewport={"width": 1400, "height": 1000})
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            t = time.perf_counter()
            page.goto(url)
            wait_done(page, "home")
            if i >= visits:
                got.append(time.perf_counter() - t)
            else:
                settle(page)
                time.sleep(2)     # the chart script the page loads after Home, into the cache too
            ctx.close()
    return got


def summary(timings: list[tuple[float, float]]) -> tuple[tuple[float, float, float], float]:
    """((median, min, max) from the input, median around Playwright's call)."""
    felt = [f for f, _ in timings]
    return (statistics.median(felt), min(felt), max(felt)), statistics.median(c for _, c in timings)


def run(db_path: Path, runs: int, pages: list[str] = PAGES, with_controls: bool = True) -> dict:
    from playwright.sync_api import sync_playwright
    out = {"cold": {}, "warm": {}, "controls": {}}
    with streamlit_server(db_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(120000)
        page.add_init_script(INPUT_JS)
        t = time.perf_counter()
        page.goto(url)            # the app's address, as `streamlit run` opens it: Home
        wait_done(page, "home")
        out["cold"]["home"] = (time.perf_counter() - t,) * 2
        settle(page)
        for name in PAGES[1:]:
            out["cold"][name] = switch(page, name)
            settle(page)
        times = {name: [] for name in pages}
        for _ in range(runs):
            for name in pages:
                prev = PAGES[PAGES.index(name) - 1]
                switch(page, prev)
                settle(page)
                times[name].append(switch(page, name))
                settle(page)
        out["warm"] = {k: summary(v) for k, v in times.items()}
        out["controls"] = controls(page, runs) if with_controls else {}
        browser.close()
    return out


def controls(page, runs: int) -> dict:
    """Median seconds of a change to a control that reruns part of a page."""
    got = {}
    switch(page, "counts")
    settle(page)
    box = page.locator("[data-testid='stNumberInput'] input[aria-label='未购天数超过']").first
    if box.count():
        vals = []
        for i in range(runs):
            vals.append(rerun_time(page, lambda i=i: (box.fill(str(200 + 10 * i)), box.press("Enter"))))
            settle(page)
        got["counts: silent-buyer days"] = summary(vals)
    switch(page, "cohorts")
    settle(page)
    vals = []
    for name in ("沉睡客户", "沉默的 VIP", "沉睡客户")[:max(runs, 1)]:   # two first picks, then one again
        preset = page.get_by_role("button", name=name, exact=True)
        if preset.count():
            vals.append(rerun_time(page, preset.click))
            settle(page)
    if vals:
        got["cohorts: pick a preset (dormant, quiet VIPs, dormant)"] = summary(vals)
    vals = []
    for i in range(runs):           # the first opening computes the cohort's order values
        tab = page.get_by_role("tab", name="优惠券测算")
        if not tab.count():
            break
        vals.append(rerun_time(page, tab.click))
        settle(page)
        if i < runs - 1:
            page.get_by_role("tab", name="人群概况").click()
            settle(page)
    if vals:
        got["cohorts: open the coupon tab (first, then again)"] = summary(vals)
    slider = page.get_by_role("slider").first          # the redemption rate
    if slider.count():
        vals = []
        for _ in range(runs):
            slider.focus()
            vals.append(rerun_time(page, lambda: page.keyboard.press("ArrowRight")))
            settle(page)
        got["cohorts: redemption-rate slider"] = summary(vals)
    return got


def kept_fits(path: Path) -> list[str]:
    """The time units whose prediction fits, per-buyer summary and page view the database keeps (a first
    visit to Predictions without a kept fit fits the models: ~2 s at 1M orders, ~25 s at 10M; without
    a kept summary it groups every purchase: ~0.2 s / ~1.7 s; without a kept view it scores every
    buyer: ~0.15 s / ~1.3 s)."""
    import duckdb
    con = duckdb.connect(str(path), read_only=True)
    try:
        keys = con.execute("SELECT key FROM settings WHERE key LIKE 'model_fit_%' OR key LIKE 'kept_summary_%' "
                           "OR key LIKE 'kept_view_%' ORDER BY key").fetchall()
        return [k.removeprefix("model_fit_").replace("kept_summary_", "summary ").replace("kept_view_", "view ")
                for (k,) in keys]
    finally:
        con.close()


def compile_project() -> bool:
    """Byte-compile app.py, pages/ and crm/ into __pycache__ (git-ignored), as Python does on the app's
    first start: every later start, the one a user opens each day, reads them. Without this, a shell
    with PYTHONDONTWRITEBYTECODE set compiles the project's modules anew on every start and a cold
    visit pays for it (the packages under site-packages were compiled when they were installed)."""
    ok = compileall.compile_file(str(ROOT / "app.py"), quiet=1)
    return all([ok] + [compileall.compile_dir(str(ROOT / d), quiet=1) for d in ("pages", "crm")])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pages", nargs="+", choices=PAGES, default=PAGES, help="the pages to time warm")
    ap.add_argument("--no-controls", action="store_true", help="skip the control changes")
    a = ap.parse_args()
    src = a.db or ROOT / "bench" / "out" / f"bench_{a.orders}.duckdb"
    if not src.exists():
        sys.exit(f"{src} is missing: run bench/bench_import.py --orders {a.orders} first")
    if not Path(CHROMIUM).exists():
        sys.exit("Debian's chromium is missing (apt-get install chromium)")
    compiled = compile_project()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "copy.duckdb"
        shutil.copy(src, path)
        kept = kept_fits(path)
        load = os.getloadavg()
        res = run(path, a.runs, a.pages, not a.no_controls)
        again = returning(path, Path(d), a.runs)
        floors = floor(Path(d), a.runs)
        titles = floor(Path(d), a.runs, TITLE_SCRIPT)
        after = os.getloadavg()
    print(f"\n{src.name}: cores {os.cpu_count()}, load {load[0]:.2f} before / {after[0]:.2f} after; "
          f"project byte-compiled: {'yes' if compiled else 'NO'}; "
          f"kept in the database from an earlier visit: {', '.join(kept) or 'nothing'} "
          f"(Predictions' cold visit fits the day model unless it is kept, and scores every buyer unless "
          f"its view is)")
    print("Timed from the click or key press as the page saw it; in brackets, around Playwright's call "
          "(what this bench printed before; Playwright first waits for the target to be still)")
    print("| page | cold (first visit) | warm switch: median (min–max) of", a.runs, "|")
    print("|---|---:|---:|")
    for name in a.pages:
        (med, lo, hi), call = res["warm"][name]
        felt, cold_call = res["cold"][name]
        print(f"| {name} | {felt:.2f} s ({cold_call:.2f}) | {med:.2f} s ({lo:.2f}–{hi:.2f}) ({call:.2f}) |")
    for k, ((med, lo, hi), call) in res["controls"].items():
        print(f"| {k} | | {med:.2f} s ({lo:.2f}–{hi:.2f}) ({call:.2f}) |")
    print(f"| home, server just started, in a browser that has opened the app before | "
          f"{statistics.median(again):.2f} s ({min(again):.2f}–{max(again):.2f}) | |")
    print(f"| floor: a page with one Plotly chart, opened like Home | {statistics.median(floors):.2f} s "
          f"({min(floors):.2f}–{max(floors):.2f}) | |")
    print(f"| floor: a page with a title only, opened like Home | {statistics.median(titles):.2f} s "
          f"({min(titles):.2f}–{max(titles):.2f}) | |")


if __name__ == "__main__":
    main()
