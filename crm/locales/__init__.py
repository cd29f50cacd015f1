"""Translation catalogues, one module per area, each defining ZH and EN dicts. They are merged
in name order; a key defined twice is an error (caught by tests/unit/test_i18n.py)."""
from __future__ import annotations

import importlib
import pkgutil


def load() -> dict[str, dict[str, str]]:
    catalog: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        for lang, table in (("zh", getattr(mod, "ZH", {})), ("en", getattr(mod, "EN", {}))):
            dup = set(table) & set(catalog[lang])
            if dup:
                raise ValueError(f"translation keys defined twice ({info.name}): {sorted(dup)[:5]}")
            catalog[lang].update(table)
    return catalog
