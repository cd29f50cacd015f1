"""A small SQL builder: SQL text with named parameters, put together from parts.

`Q("… WHERE ordered_at < $as_of::DATE + INTERVAL 1 DAY", as_of=day)` holds the text and the values
of its `$name` parameters (DuckDB's named parameters, bound by the database, never written into the
text). `template.fill(scope=other_q, cols="a, b")` puts parts into a template's `{placeholders}`
and merges their parameters: a name bound twice must have the same value (the same `$as_of`
everywhere), otherwise it is an error, not a silent pick. Plain strings are trusted SQL of our own
(column lists, constants), never user input. `compile()` gives the text and only the parameters the
text uses, as DuckDB wants them.
"""
from __future__ import annotations

import re

_NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class Q:
    __slots__ = ("text", "params")

    def __init__(self, text: str = "", /, **params):
        self.text = text
        self.params = params

    def __repr__(self) -> str:
        return f"Q({self.text!r}, {self.params!r})"

    def __str__(self) -> str:
        return self.text

    def __contains__(self, fragment: str) -> bool:
        return fragment in self.text

    def __iter__(self):
        """`sql, params = q`: the compiled text and parameters."""
        return iter(self.compile())

    def __getitem__(self, i: int):
        return self.compile()[i]

    def bind(self, **params) -> "Q":
        """The same text with more parameters (an error when a name is bound to another value)."""
        return Q(self.text, **_merge(dict(self.params), params))

    def fill(self, **parts: "Q | str") -> "Q":
        """The text with `{name}` replaced by each part's text, and the parts' parameters."""
        params, texts = dict(self.params), {}
        for key, part in parts.items():
            if isinstance(part, Q):
                texts[key] = part.text
                _merge(params, part.params)
            else:
                texts[key] = part
        return Q(self.text.format(**texts), **params)

    def compile(self) -> tuple[str, dict]:
        used = set(_NAME.findall(self.text))
        missing = used - set(self.params)
        if missing:
            raise KeyError(f"SQL parameters without a value: {sorted(missing)}")
        return self.text, {k: v for k, v in self.params.items() if k in used}


def _merge(into: dict, more: dict) -> dict:
    for key, value in more.items():
        if key in into and not _same(into[key], value):
            raise ValueError(f"SQL parameter ${key} bound to two values: {into[key]!r} and {value!r}")
        into[key] = value
    return into


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b or (isinstance(a, (list, tuple)) and list(a) == list(b))


def join(parts: list["Q | str"], sep: str) -> Q:
    """Parts joined by `sep` (' AND ', ', '), with all their parameters."""
    out = Q("")
    params: dict = {}
    texts = []
    for p in parts:
        if isinstance(p, Q):
            texts.append(p.text)
            _merge(params, p.params)
        else:
            texts.append(p)
    out.text, out.params = sep.join(texts), params
    return out
