"""Every user-facing string exists in both languages, and formatting follows the language."""
import re
from decimal import Decimal
from pathlib import Path

from crm import i18n
from tests.conftest import ROOT


def test_both_languages_have_the_same_keys():
    zh, en = i18n.CATALOG["zh"], i18n.CATALOG["en"]
    assert set(zh) - set(en) == set(), "missing in English"
    assert set(en) - set(zh) == set(), "missing in Chinese"


def test_placeholders_match_between_languages():
    for key, zh in i18n.CATALOG["zh"].items():
        en = i18n.CATALOG["en"][key]
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key


def test_every_key_used_in_code_exists():
    used = set()
    for path in list((ROOT / "crm").rglob("*.py")) + list((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]:
        if "locales" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\btr\(\s*["']([a-z0-9_]*[a-z0-9])["']""", text))
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]*[a-z0-9])["']""", text))
        used |= set(re.findall(r"""["']((?:refused|warn|reason)_[a-z0-9_]+)["']""", text))
    missing = sorted(k for k in used if k not in i18n.CATALOG["en"])
    assert not missing, missing


def test_money_and_numbers():
    assert i18n.fmt_money(Decimal("1234.5"), "zh") == "¥1,234.50"
    assert i18n.fmt_money(Decimal("-3"), "en") == "-¥3.00"
    assert i18n.fmt_big(123456, "zh") == "12.35万" and i18n.fmt_big(123456, "en") == "123.5K"
    assert i18n.fmt_pct(Decimal("0.3521"), "en") == "35.2%"
    assert i18n.pick_lang("zh-CN") == "zh" and i18n.pick_lang("en-US") == "en" and i18n.pick_lang(None) == "zh"


def test_missing_key_is_visible_not_an_error():
    assert i18n.t("no_such_key", "zh") == "no_such_key"
