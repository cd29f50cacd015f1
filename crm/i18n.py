"""Translations (Chinese first, English) and number/money formatting for each language.

`t(key, lang, **params)` looks a key up in the catalogue of `lang`, falling back to English, then
to the key itself, so a missing translation is visible but never an error.
"""
from __future__ import annotations

import datetime as dt
import os
from decimal import ROUND_HALF_UP, Decimal

from .locales import load as _load_catalog

CATALOG = _load_catalog()

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


def pick_lang(locale: str | None) -> str:
    """'zh-CN', 'zh_TW.UTF-8' → zh; 'en-US' → en; anything else → Chinese (our first language)."""
    if not locale:
        return DEFAULT_LANG
    low = locale.lower()
    if low.startswith("zh"):
        return "zh"
    if low.startswith("en"):
        return "en"
    return DEFAULT_LANG


def cli_lang() -> str:
    env = os.environ.get("CRM_LANG") or os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    if env.lower().startswith("zh"):
        return "zh"
    if os.environ.get("CRM_LANG"):
        return pick_lang(env)
    return "en"


def t(key: str, lang: str = DEFAULT_LANG, **params) -> str:
    text = CATALOG.get(lang, {}).get(key) or CATALOG["en"].get(key) or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def msg(message: tuple[str, dict] | dict | None, lang: str) -> str:
    """A (key, params) pair or {'key': …, **params} from the engine, in words."""
    if message is None:
        return ""
    if isinstance(message, dict):
        params = dict(message)
        key = params.pop("key")
    else:
        key, params = message
        params = dict(params)
    if "fields" in params and "fields_text" not in params:
        sep = "、" if lang == "zh" else ", "
        params["fields_text"] = sep.join(
            f"{t('field_' + f, lang)} ({f})" for f in str(params["fields"]).split(",") if f)
    if "reasons" in params and "why" not in params:
        params["why"] = _why_rejected(params["reasons"], lang)
    return t(key, lang, **params)


def _why_rejected(reasons: list, lang: str) -> str:
    """[[reason, rows], …] (most common first) → "every amount is unreadable", or the reasons
    with their row counts when there are several."""
    if len(reasons) == 1:
        reason = reasons[0][0]
        own = CATALOG.get(lang, {}).get(f"all_{reason}")
        return own or t("all_rejected_one", lang, reason=t(f"reason_{reason}", lang))
    sep = "；" if lang == "zh" else "; "
    return t("all_rejected_mixed", lang, reasons=sep.join(
        t("all_rejected_item", lang, reason=t(f"reason_{r}", lang), count=fmt_int(n, lang)) for r, n in reasons[:4]))


def fmt_money(value, lang: str = DEFAULT_LANG, decimals: int = 2) -> str:
    if value is None:
        return "—"
    q = Decimal(1).scaleb(-decimals)
    v = Decimal(str(value)).quantize(q, rounding=ROUND_HALF_UP)
    sign = "-" if v < 0 else ""
    return f"{sign}¥{abs(v):,.{decimals}f}"


def fmt_int(value, lang: str = DEFAULT_LANG) -> str:
    if value is None:
        return "—"
    return f"{int(value):,}"


def fmt_big(value, lang: str = DEFAULT_LANG) -> str:
    """Compact big numbers: 12.3万 / 1.2亿 in Chinese, 123.4K / 1.2M in English."""
    if value is None:
        return "—"
    v = float(value)
    if lang == "zh":
        if abs(v) >= 1e8:
            return f"{v / 1e8:.2f}亿"
        if abs(v) >= 1e4:
            return f"{v / 1e4:.2f}万"
        return f"{v:,.0f}"
    if abs(v) >= 1e9:
        return f"{v / 1e9:.2f}B"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.1f}K"
    return f"{v:,.0f}"


def fmt_pct(value, lang: str = DEFAULT_LANG, decimals: int = 1) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.{decimals}f}%"


def fmt_date(value, lang: str = DEFAULT_LANG) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        return value[:10]
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def fmt_datetime(value, lang: str = DEFAULT_LANG) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value[:19]
    return value.strftime("%Y-%m-%d %H:%M")
