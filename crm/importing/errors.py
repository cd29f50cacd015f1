"""Why a file was refused: a message key (see crm/i18n) and its parameters, never a traceback."""
from __future__ import annotations


class Refused(Exception):
    """The whole file is refused; nothing was written."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params

    def __str__(self) -> str:  # for logs; users see the translated message
        return f"{self.key} {self.params}" if self.params else self.key
