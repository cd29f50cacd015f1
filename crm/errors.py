"""The app-wide validation error: a message key and its placeholders, shown in the user's language."""
from __future__ import annotations

from .i18n import t


class KeyedError(ValueError):
    """A validation problem: `key` is a message key, `params` its placeholders. str() is the key."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.params)
