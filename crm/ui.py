"""The few Streamlit helpers every page shares: the database, the language, safe rendering.

This is the only engine module that imports Streamlit (README, "Project layout").
"""
from __future__ import annotations

import functools
import importlib
import json
import pkgutil
import re
import sys
import threading
import time
import traceback
from pathlib import Path

import duckdb
import streamlit as st
from streamlit import delta_generator
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from . import i18n, sparkline
from .db import Database, resolve_path
from .errors import KeyedError

# Streamlit checks once per process, when a page draws its first element, whether it runs in a Python
# REPL, to print how to start an app: `inspect.stack()` over the whole stack, ~0.09 s of a just-started
# server's first page. This module is only used by the app (under `streamlit run` or its tests), where
# that check can only say no: it is marked done.
delta_generator._use_warning_has_been_displayed = True


@st.cache_resource(show_spinner=False, validate=lambda d: not getattr(d, "closed", False))
def _database(path: str) -> Database:
    return Database(path)


def db() -> Database:
    """The app's one Database for this file (readers get their own cursors from it)."""
    return _database(str(resolve_path()))


def lang() -> str:
    if "lang" not in st.session_state:
        try:
            locale = st.context.locale
        except Exception:  # outside a browser session (AppTest without a locale)
            locale = None
        st.session_state["lang"] = i18n.pick_lang(locale)
    return st.session_state["lang"]


def tr(key: str, **params) -> str:
    return i18n.t(key, lang(), **params)


def msg(message) -> str:
    return i18n.msg(message, lang())


_NAV_READY = False  # set once app.py has called st.navigation in this server process


def navigation_ready() -> None:
    """Called by app.py right after st.navigation."""
    global _NAV_READY
    _NAV_READY = True


def _through_app(page_file: str) -> None:
    """On a fresh server, a first request straight to a page URL (a bookmark of /cohorts) is run
    by Streamlit's old `pages/` discovery, without app.py: no shared sidebar, no language switch.
    Route it through app.py, which then opens the page asked for."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    if _NAV_READY:
        return
    ctx = get_script_run_ctx()
    main = str(getattr(ctx, "main_script_path", "") or "")
    if not main.replace("\\", "/").endswith("/app.py"):  # a page run on its own (AppTest of one page)
        return
    st.session_state["_goto"] = "pages/" + page_file.replace("\\", "/").rsplit("/", 1)[-1]
    st.switch_page("app.py")


def goto_requested() -> None:
    """Called by app.py after st.navigation: open the page a first deep link asked for."""
    target = st.session_state.pop("_goto", None)
    if target:
        st.switch_page(target)


def guarded(page):
    """Run a page body; any surprise becomes a one-line message in the user's language,
    never a stack trace (the details go to the server log)."""
    @functools.wraps(page)
    def run(*args, **kwargs):
        _through_app(page.__code__.co_filename)
        if not signed_in():  # app.py's login gate stops first; this closes any other way in
            login_gate()  # the sign-in form, then stops
        try:
            return page(*args, **kwargs)
        except ScriptControlException:  # st.rerun / st.stop / st.switch_page
            raise
        except duckdb.IOException as e:
            if "lock" in str(e).lower():
                st.error(tr("error_db_locked"))
            else:
                st.error(tr("error_generic", detail=str(e).splitlines()[0][:200]))
        except Exception as e:  # noqa: BLE001 — the page must survive anything
            traceback.print_exc()
            st.error(tr("error_generic", detail=f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"))
    return run


# -- shared sidebar filters (kept while navigating between pages) -----------------------------------
def _keep(name: str):
    """Copy a widget's value to a permanent session key (widget state is dropped on pages that do
    not draw the widget; the permanent key survives)."""
    def copy():
        st.session_state[f"keep_{name}"] = st.session_state[f"w_{name}"]
    return copy


def _kept(name: str, default):
    return st.session_state.get(f"keep_{name}", default)


@st.cache_data(show_spinner=False, max_entries=16)
def _filter_options(path: str, data_version: str) -> dict:
    from .filters import filter_options
    return filter_options(db())


def filters():
    """The sidebar filters: as-of date, order date range, levels, provinces, platforms, shops.
    Returns a `crm.filters.Filters`."""
    import datetime as dt

    from .filters import Filters
    from .levels import LEVEL_CODES, level_name, load_rules
    from .summary import default_as_of

    database = db()
    opts = _filter_options(str(database.path), database.data_version())
    latest = default_as_of(database) or dt.date.today()
    first = opts["first_day"] or latest
    bar = st.sidebar
    bar.markdown(f"**{tr('filters_title')}**")
    as_of = bar.date_input(tr("as_of_label"), value=_kept("as_of", latest), help=tr("as_of_help"),
                           key="w_as_of", on_change=_keep("as_of"), min_value=dt.date(1970, 1, 1))
    rng = bar.date_input(tr("filters_range"), value=_kept("range", (first, latest)), key="w_range",
                         on_change=_keep("range"), min_value=dt.date(1970, 1, 1), help=tr("filters_range_help"))
    start, end = (rng if isinstance(rng, (tuple, list)) and len(rng) == 2 else (first, latest))
    levels = bar.multiselect(tr("filters_levels"), list(LEVEL_CODES), default=_kept("levels", []), key="w_levels",
                             on_change=_keep("levels"), format_func=lambda c: level_name(c, lang()),
                             placeholder=tr("filters_all"))
    provinces = platforms = shops = []
    if opts["provinces"]:
        provinces = bar.multiselect(tr("filters_provinces"), opts["provinces"], key="w_provinces",
                                    default=[p for p in _kept("provinces", []) if p in opts["provinces"]],
                                    on_change=_keep("provinces"), placeholder=tr("filters_all"))
    if len(opts["platforms"]) > 1:
        platforms = bar.multiselect(tr("filters_platforms"), opts["platforms"], key="w_platforms",
                                    default=[p for p in _kept("platforms", []) if p in opts["platforms"]],
                                    on_change=_keep("platforms"), placeholder=tr("filters_all"))
    if len(opts["shops"]) > 1:
        shops = bar.multiselect(tr("filters_shops"), opts["shops"], key="w_shops",
                                default=[p for p in _kept("shops", []) if p in opts["shops"]],
                                on_change=_keep("shops"), placeholder=tr("filters_all"))
    if bar.button(tr("filters_reset"), key="w_filters_reset"):
        for k in [k for k in st.session_state if str(k).startswith(("keep_", "w_"))]:
            del st.session_state[k]
        st.rerun()
    return Filters(as_of=as_of or latest, start=None if start == first else start,
                   end=None if end >= (as_of or latest) else end, levels=tuple(levels),
                   provinces=tuple(provinces), platforms=tuple(platforms), shops=tuple(shops),
                   rules=load_rules(database), data_last_day=default_as_of(database))


def download_buttons(df, name: str, key: str) -> None:
    """CSV (UTF-8 with BOM, opens in Excel) and XLSX downloads of a table (a DataFrame, or a function
    giving it), built only when clicked."""
    from .exports import safe_filename, to_csv_bytes, to_xlsx_bytes
    table = df if callable(df) else (lambda: df)
    c1, c2 = st.columns(2)
    base = safe_filename(name)
    c1.download_button(tr("download_csv"), data=lambda: to_csv_bytes(table()), file_name=f"{base}.csv",
                       mime="text/csv", key=f"{key}_csv", on_click="ignore")
    c2.download_button(tr("download_xlsx"), data=lambda: to_xlsx_bytes(table(), base),
                       file_name=f"{base}.xlsx", key=f"{key}_xlsx", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def lazy_tabs(labels: list[str], key: str) -> list:
    """Tabs whose content is built only when open (each tab's `.open`): a page switch draws the first
    tab's charts, not every chart of the page. The open tab is `st.session_state[key]` (its label)."""
    return st.tabs(labels, key=key, on_change="rerun")


def tab_shown(labels: list[str], key: str) -> str:
    """The label of the tab `lazy_tabs(labels, key)` will show open (the one last opened, else the
    first): for a page that computes only what that tab needs, before drawing the tabs."""
    shown = st.session_state.get(key)
    return shown if shown in labels else labels[0]


def chart(fig, key: str, selectable: bool = True) -> list:
    """Draw a Plotly figure. Clicking a bar, point or cell returns the clicked points' `customdata`
    (put a segment id there), so opening the cohort of those members is a one-line addition."""
    if not selectable:
        st.plotly_chart(fig, key=key, config={"displaylogo": False})
        return []
    event = st.plotly_chart(fig, key=key, on_select="rerun", selection_mode=("points",),
                            config={"displaylogo": False})
    try:
        points = event.selection.points  # type: ignore[union-attr]
    except AttributeError:
        return []
    return [p.get("customdata") for p in points if p.get("customdata") is not None]


# -- the login gate (logic and settings: crm/auth.py) ----------------------------------------------
_AUTH_SESSION_KEY = "_auth_password_ok"  # the fingerprint of the password hash this session signed in with


def _secrets() -> tuple[dict, str | None]:
    """The secrets as a plain dict, and what is wrong when a secrets file exists but cannot be read."""
    try:
        return st.secrets.to_dict(), None
    except FileNotFoundError as e:  # StreamlitSecretNotFoundError: no file at all, or an unreadable one
        if getattr(e, "error_id", None) == "no-secrets-found":
            return {}, None
        return {}, str(e).splitlines()[0][:200]
    except Exception as e:  # noqa: BLE001 — unreadable secrets keep the gate closed
        return {}, f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"


def _authlib_ok() -> bool:
    """st.login needs Authlib ≥ 1.3.2 (not a dependency of the app: only single sign-on uses it)."""
    try:
        import authlib
    except ImportError:
        return False
    try:
        return tuple(int(x) for x in str(authlib.__version__).split(".")[:3]) >= (1, 3, 2)
    except ValueError:
        return True


def _gate():
    from . import auth
    values, problem = _secrets()
    cfg = auth.gate_config(values)
    if problem:  # the details (a path, a line number) go to the server log, not to a visitor
        print(f"secrets.toml: {problem}", file=sys.stderr)
        cfg.problems.append(("auth_error_secrets_unreadable", {}))
    if cfg.oidc_providers and not _authlib_ok():
        cfg.problems.append(("auth_error_authlib", {}))
    return cfg


def _sso_user(cfg) -> dict | None:
    """The single-sign-on user when one is logged in, else None."""
    if not cfg.oidc_providers:
        return None
    try:
        user = dict(st.user.to_dict())
    except Exception:  # noqa: BLE001
        return None
    return user if user.get("is_logged_in") is True else None


def signed_in(cfg=None) -> bool:
    """True when no gate is configured, or this session has signed in (password or single sign-on
    with an allowed account). False while the gate's settings are broken."""
    from . import auth
    cfg = cfg or _gate()
    if not cfg.active:
        return True
    if cfg.problems:
        return False
    if cfg.password_hash and st.session_state.get(_AUTH_SESSION_KEY) == auth.fingerprint(cfg.password_hash):
        return True
    user = _sso_user(cfg)
    return user is not None and auth.account_allowed(user, cfg)


def _client_ip() -> str | None:
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 — outside a browser session
        return None
    return ip if isinstance(ip, str) and ip else None


def _remember_page() -> None:
    """Signing in on a page's address (a bookmark of /cohorts) opens that page afterwards
    (through goto_requested, like a first deep link)."""
    import re
    from pathlib import Path
    from urllib.parse import urlsplit
    if "_goto" in st.session_state:
        return
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001
        return
    if not isinstance(url, str):
        return
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if re.fullmatch(r"[a-z_]+", name) and (Path(__file__).resolve().parent.parent / "pages" / f"{name}.py").is_file():
        st.session_state["_goto"] = f"pages/{name}.py"


def _password_form(cfg) -> None:
    from . import auth
    with st.form("auth_form", clear_on_submit=True):
        password = st.text_input(tr("auth_password_label"), type="password", key="auth_password")
        submitted = st.form_submit_button(tr("auth_submit"), type="primary")
    if not submitted:
        return
    key = auth.client_key(_client_ip())
    wait = auth.LIMITER.wait(key)
    if wait > 0:  # locked: the password is not even checked
        st.error(tr("auth_wait", seconds=auth.wait_text_seconds(wait)))
        return
    if auth.verify_password(password or "", cfg.password_hash):
        auth.LIMITER.success(key)
        st.session_state[_AUTH_SESSION_KEY] = auth.fingerprint(cfg.password_hash)
        _remember_page()
        st.rerun()
    wait = auth.LIMITER.failure(key)
    st.error(tr("auth_wrong") + (" " + tr("auth_wait", seconds=auth.wait_text_seconds(wait)) if wait > 0 else ""))


def _log_out(sso: bool) -> None:
    keep = st.session_state.get("lang")
    st.session_state.clear()
    if keep:
        st.session_state["lang"] = keep
    if sso:
        st.logout()  # drops the identity cookie and starts a new session
        st.stop()
    st.rerun()


def login_gate() -> None:
    """Called by app.py before st.navigation. With a password or single sign-on configured in
    .streamlit/secrets.toml, a session that has not signed in sees only the sign-in form: the script
    stops here, so no page runs and no download is built. Signed in: a log-out button in the sidebar.
    Nothing configured: nothing happens (one person on their own computer)."""
    cfg = _gate()
    if not cfg.active:
        return
    if cfg.problems:
        st.error(tr("auth_config_error", detail=" ".join(i18n.t(k, lang(), **p) for k, p in cfg.problems)))
        st.stop()
    user = _sso_user(cfg)
    if signed_in(cfg):
        with st.sidebar:
            if user is not None:
                st.caption(tr("auth_signed_in_as", name=user.get("name") or user.get("email") or ""))
            if st.button(tr("auth_logout"), key="auth_logout", icon=":material/logout:"):
                _log_out(sso=user is not None)
        return
    st.title(tr("auth_title"))
    if user is not None:  # signed in with the provider, but not an account on the allow-list
        st.warning(tr("auth_not_allowed", email=user.get("email") or "?"))
        if st.button(tr("auth_logout"), key="auth_logout_denied"):
            _log_out(sso=True)
        st.stop()
    st.caption(tr("auth_intro"))
    for provider in cfg.oidc_providers:
        label = (tr("auth_oidc_default_button") if provider == "default"
                 else tr("auth_oidc_button", provider=provider.capitalize()))
        if st.button(label, key=f"auth_sso_{provider}", type="secondary" if cfg.password_hash else "primary"):
            st.login(None if provider == "default" else provider)
    if cfg.password_hash:
        if cfg.oidc_providers:
            st.caption(tr("auth_or"))
        _password_form(cfg)
    st.stop()


# -- from a chart to the cohort tool -----------------------------------------------------------------
def open_cohort_button(spec, what: str, key: str) -> None:
    """A button under a chart whose bar was clicked: opens the cohort tool with that group of
    members (a `crm.cohorts.CohortSpec`) already set."""
    if st.button(tr("open_cohort", what=what), key=key, icon=":material/campaign:"):
        st.session_state["cohort_open"] = (spec, what)
        st.switch_page("pages/cohorts.py")


@st.cache_data(show_spinner=False, max_entries=16)
def _overview(path: str, data_version: str) -> dict:
    from .summary import data_overview
    return data_overview(db())


def overview() -> dict:
    """What is in the database (`summary.data_overview`), computed once per data version."""
    database = db()
    return _overview(str(database.path), database.data_version())


def rerun_saying(key: str, text: str | None = None) -> None:
    """Rerun the whole page after a write, keeping `text` (a success message) for `said(key)` to show
    once in the run that follows: what the write changed shows everywhere on the page."""
    if text:
        st.session_state["_said_" + key] = text
    st.rerun()


def write_and_rerun(key: str, action, ok_text=None) -> None:
    """Do `action` (a write). A bad value (a `KeyedError`) becomes a warning in the user's language
    and the page goes on; otherwise the whole page reruns with `ok_text` (a text, or a function of
    what `action` returned) shown once by `said(key)`."""
    try:
        out = action()
    except KeyedError as err:
        st.warning(err.text(lang()))
        return
    rerun_saying(key, ok_text(out) if callable(ok_text) else ok_text)


def said(key: str) -> None:
    """Show, once, the message `rerun_saying(key, …)` kept."""
    text = st.session_state.pop("_said_" + key, None)
    if text:
        st.success(text)


def require_data() -> bool:
    """False, with the "no data yet" message, while nothing has been imported."""
    from .summary import has_orders
    if has_orders(db()):
        return True
    st.info(tr("empty_no_data"))
    return False


# -- warming the server for the pages not opened yet ------------------------------------------------
# What a page's first visit in a fresh server process would otherwise pay for before drawing
# anything: the engine and chart modules of the other pages, SciPy's special functions, optimiser
# and distributions (predictions, campaign results: ~1 s on a 2-core laptop) and Plotly's classes of
# each kind of trace the charts draw (built on first use).
WARM_PACKAGES = ("crm.analysis", "crm.charts")   # every module in them
WARM_MODULES = ("crm.campaigns", "crm.cohorts", "crm.coupons", "crm.exports", "crm.predictions", "crm.recommend",
                "crm.tags", "scipy.special", "scipy.optimize", "scipy.stats",
                "streamlit.emojis")   # the emoji table, for the first alert or label that needs it
# The warm-up waits WARM_DELAY seconds after the first run: the browser is then still fetching the
# scripts of the page's elements from this same process (until ~0.2 s after the run's last message
# on Home), and an import holds Python's lock in turns with the server serving them. Home's cold
# first visit at 1M orders: 1.82 s starting at once, 1.68 s after 1 s, 1.65 s with no warm-up. A
# page opened right after Home shares its own first run with a warm-up that starts too late:
# Member levels' first visit 0.83 s starting at once, 0.86 s after 0.4 s, 0.95 s after 1 s.
WARM_DELAY = 0.4
_warming = threading.Lock()
_warm_started = False


def warm_up() -> None:
    """Called by app.py once the page is built: the first time in this server process, a background
    thread waits `WARM_DELAY`, then imports `warm_modules()` and builds one figure of each trace
    kind, so the first visit of another page does not wait for that (a page that needs a module
    meanwhile imports that one itself, never waiting for the whole list)."""
    global _warm_started
    with _warming:
        if _warm_started:
            return
        _warm_started = True
    threading.Thread(target=_warm, name="crm-warm-up", daemon=True).start()


def warm_modules() -> list[str]:
    """What the warm-up imports: every module of `WARM_PACKAGES`, then `WARM_MODULES`."""
    names = []
    for package in WARM_PACKAGES:
        path = importlib.import_module(package).__path__
        names += [m.name for m in pkgutil.iter_modules(path, package + ".")]
    return names + list(WARM_MODULES)


def _warm() -> None:
    time.sleep(WARM_DELAY)
    for name in warm_modules():
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 — only a head start: the page imports it again and says what is wrong
            pass
    try:
        import plotly.graph_objects as go
        for trace in (go.Bar, go.Scatter, go.Heatmap):
            go.Figure(trace(x=[1], y=[1])).to_json()
    except Exception:  # noqa: BLE001
        pass


PRELOAD_KEY = "crm_plotly_preload"


def preload_charts(home: bool = False) -> bool:
    """A session's first run: a chart, hidden, before the page is built, so the browser starts
    loading the chart script while the server still works on the page (a chart's script is fetched
    only when the first chart arrives). Home (`home`) draws its first view with cards and inline SVG
    lines (`metric_with_line`): the preload is a card, whose script Streamlit also loads on first
    use, and Plotly's script (4.7 MB, ~0.7 s of the browser's time to start) is loaded once Home's
    lines are drawn (`preload_done`). Any other page: an empty Plotly chart. The hidden chart is not
    sent again, so the session's next run removes it (clearing it in the same run could remove it
    before the browser has asked for its script). True when sent; until a run of the session has
    finished (a run cut short by a page switch, as a deep link's first run is), every run sends it."""
    if st.session_state.get("_plotly_preloaded"):
        return False
    st.session_state["_small_charts"] = 0
    st.html(f"<style>.st-key-{PRELOAD_KEY}, .st-key-{LOADER_KEY} {{display: none}}</style>")
    with st.sidebar.container(key=PRELOAD_KEY):
        if home:
            st.metric("·", "0")
        else:
            try:
                import plotly.graph_objects as go
                st.plotly_chart(go.Figure(layout={"height": 10}), config={"staticPlot": True})
            except Exception:  # noqa: BLE001 — only a head start. Plotly looks pandas up in sys.modules
                pass           # without importing it: while another thread is importing it, this fails
    return True


def preload_done(sent: bool, home: bool = False) -> None:
    """Called by app.py once the page is drawn: the preload is not sent again in this session; on
    Home, the loader of Plotly's script follows, waiting for the number of small lines the page drew
    (`metric_with_line` counts them)."""
    if sent:
        if home:
            load_chart_library_later(st.session_state.pop("_small_charts", 0))
        st.session_state["_plotly_preloaded"] = True


# Streamlit looks for an emoji at the start of an alert's text, or of a button group's option, when
# none is given; its first look compiles its emoji table (a regular expression of every emoji:
# 0.04 s alone, ~0.1 s in a just-started server's first run while the same process serves the
# browser its scripts). Home's first view gives its icons and marks its labels plain, and the app's
# icon is not an emoji, so that first run does not pay for it.
WARNING_ICON = ":material/warning:"
INFO_ICON = ":material/info:"


def plain_label(text: str) -> str:
    """A button group's option label that Streamlit shows as it is: with a leading space (which the
    page does not show) its first word is empty, so Streamlit does not look it up as an emoji."""
    return " " + text


def metric_with_line(container, label: str, value: str, values: list, titles: list[str], *,
                     alert_last: bool = False, **kwargs) -> None:
    """A bordered card: `st.metric` with a small line of `values` under it (`titles`: each point's
    hover text; the last point in the alert colour when `alert_last`). The line is inline SVG
    (`crm.sparkline`), so it needs no chart script in the browser."""
    if not st.session_state.get("_plotly_preloaded"):   # counted for the session's first page only
        st.session_state["_small_charts"] = st.session_state.get("_small_charts", 0) + 1
    with container.container(border=True):
        st.metric(label, value, **kwargs)
        st.markdown(sparkline.sparkline_svg(values, titles, label, alert_last=alert_last), unsafe_allow_html=True)


# Loads Plotly's script in the browser once the page's small lines are drawn (nothing stale, no
# element still waiting for its own script, at most 5 s after it arrives): the module Streamlit
# itself imports when a Plotly chart first arrives, by the same address, so that import then finds
# it loaded. Only a head start: a failure is ignored, and the first chart loads it as it always
# does. CHUNK, CHARTS and PRELOAD are filled in by `load_chart_library_later` (a file name checked
# against PLOTLY_CHUNK, the number of small lines, PRELOAD_KEY).
LOADER_KEY = "crm_chart_loader"
PLOTLY_CHUNK = re.compile(r"PlotlyChart\.[A-Za-z0-9_-]+\.js")
LOADER_JS = """<script>(() => {
    const chunk = CHUNK, charts = CHARTS, preload = PRELOAD;
    const main = document.querySelector('script[type="module"][src*="/static/js/index."]');
    if (!main || window.__crmChartLibrary) return;
    const url = new URL(chunk, main.src).href;
    const since = performance.now();
    const shown = sel => [...document.querySelectorAll(sel)].filter(e => !e.closest('.st-key-' + preload));
    const drawn = () => !document.querySelector("[data-stale='true']")
        && !shown("[data-testid='stSkeleton']").length && shown("svg.crm-spark").length >= charts;
    const load = () => {
        if (window.__crmChartLibrary) return;
        if (!drawn() && performance.now() - since < 5000) { setTimeout(load, 50); return; }
        window.__crmChartLibrary = import(url).catch(() => null);
    };
    load();
})();</script>"""


@functools.cache
def plotly_chunk() -> str | None:
    """The file name of Streamlit's Plotly chart module (its name carries a hash of the build)."""
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    found = sorted(p.name for p in folder.glob("PlotlyChart.*.js") if PLOTLY_CHUNK.fullmatch(p.name))
    return found[0] if len(found) == 1 else None


def load_chart_library_later(charts: int) -> None:
    """Sends the loader (hidden, in the sidebar) when Streamlit's Plotly module is where expected."""
    chunk = plotly_chunk()
    if chunk is None:
        return
    script = (LOADER_JS.replace("CHUNK", json.dumps(chunk)).replace("CHARTS", str(int(charts)))
              .replace("PRELOAD", json.dumps(PRELOAD_KEY)))
    with st.sidebar.container(key=LOADER_KEY):
        st.html(script, unsafe_allow_javascript=True)


def contact_list_buttons(cols, name: str, lang: str, key: str) -> None:
    """A campaign's contacted group as CSV and as TXT (one buyer per line): two download buttons in
    `cols`, built only when clicked. The holdout is never offered here."""
    from . import campaigns, exports
    members = lambda: campaigns.members(db(), name, "treatment", lang)  # noqa: E731
    cols[0].download_button(tr("campaignpage_download_treatment_csv"), data=lambda: exports.to_csv_bytes(members()),
                            file_name=exports.safe_filename(f"{name}_contact.csv"), mime="text/csv",
                            key=f"{key}_csv", on_click="ignore", width="stretch")
    cols[1].download_button(tr("cohortpage_download_txt"), data=lambda: exports.to_txt_bytes(members().iloc[:, 0]),
                            file_name=exports.safe_filename(f"{name}_contact.txt"), mime="text/plain",
                            key=f"{key}_txt", on_click="ignore", width="stretch")


@st.cache_resource(show_spinner=False, max_entries=4)
def _predict(data_version: str, as_of, unit: str) -> dict:
    # a resource, not data: one shared object instead of unpickling half a million rows per rerun
    # (pages read it, never change it)
    from . import predictions
    return predictions.predict(db(), as_of, unit, ids=False)   # ids for the rows shown: predictions.with_ids


def _once_prepared(cached, as_of, unit: str, *rest):
    """`cached(data version, as_of, unit, *rest)`, after the background preparation of the same data,
    date and unit if one is running (a visit waits for it rather than fitting twice)."""
    version = db().data_version()
    _wait_for_prepared(version, as_of, unit)
    return cached(version, as_of, unit, *rest)


def prediction(as_of, unit: str = "week") -> dict:
    """The fitted models and every buyer's scores as of a date, cached by data version (the
    Predictions page's download)."""
    return _once_prepared(_predict, as_of, unit)


@st.cache_data(show_spinner=False, max_entries=8)
def _prediction_view(data_version: str, as_of, unit: str) -> dict:
    from . import predictions
    return predictions.page_view(db(), as_of, unit)


def prediction_view(as_of, unit: str) -> dict:
    """What the Predictions page draws (`predictions.page_view`: the fits, the totals, the histogram,
    the top buyers; kept in the database), cached by data version."""
    return _once_prepared(_prediction_view, as_of, unit)


@st.cache_data(show_spinner=False, max_entries=64)
def _member_prediction(data_version: str, as_of, unit: str, cust_no: int) -> dict:
    from . import predictions
    return predictions.member_prediction(db(), as_of, unit, cust_no)


def member_prediction(as_of, cust_no: int, unit: str = "week") -> dict:
    """One buyer's scores (`predictions.member_prediction`: the page's kept fits, no one else scored),
    cached by data version."""
    return _once_prepared(_member_prediction, as_of, unit, int(cust_no))


# -- the Predictions page's models, fitted in the background after an import ------------------------
_preparing_lock = threading.Lock()
_prepared: tuple | None = None   # the latest preparation: (data version, thread, as-of date, unit)


def prepare_predictions(results) -> None:
    """Called with the results of an import (or of loading the sample data): when any file landed, a
    background thread fits the models the Predictions page opens with (the latest order's date, its
    first time unit) and keeps the fit, the buyers' summary and the page's view in the database, as a
    visit would. The page's first visit after an import then reads them instead of fitting while the
    user waits (10M orders: ~12 s; 1M: ~1.5 s); a visit asking for the same while it runs waits for it
    rather than fitting twice. Once per data version; a failure only leaves the work to the page,
    which reports it."""
    global _prepared
    if not any(r.ok for r in results):
        return
    from .predictions import UNITS
    from .summary import default_as_of
    database = db()
    version, as_of, unit = database.data_version(), default_as_of(database), next(iter(UNITS))
    if as_of is None:
        return
    with _preparing_lock:
        if _prepared is not None and _prepared[0] == version:
            return
        thread = threading.Thread(target=_prepare, args=(database, version, as_of, unit), name="crm-predictions",
                                  daemon=True)
        _prepared = (version, thread, as_of, unit)
    thread.start()


def _prepare(database: Database, version: str, as_of, unit: str) -> None:
    try:
        from . import predictions
        if database.data_version() == version:
            predictions.page_view(database, as_of, unit)     # the fit, the summary and the page's view kept
            predictions.wait_for_kept_summaries()
    except Exception:  # noqa: BLE001 — only a head start: the page fits itself and says what is wrong
        pass


def _wait_for_prepared(version: str, as_of, unit: str) -> None:
    with _preparing_lock:
        prepared = _prepared
    if prepared is not None and (prepared[0], prepared[2], prepared[3]) == (version, as_of, unit):
        prepared[1].join()
