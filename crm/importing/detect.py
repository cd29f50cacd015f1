"""Recognise a file's format from its header, and build the column mapping.

A mapping is `{canonical field: column position}`. It comes from (in order of precedence) the
user's explicit mapping, a mapping saved for this header signature, the best-matching platform
spec, or a guess from common column names (generic).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .errors import Refused
from .specs import (ALL_FIELDS, GENERIC, GENERIC_MEMBERS, SPECS, SPECS_BY_NAME, Spec,
                    normalize_header)

_KNOWN: set[str] = set()
for _s in (*SPECS, GENERIC, GENERIC_MEMBERS):
    for _aliases in _s.fields.values():
        _KNOWN.update(_aliases)


def header_score(cells: list[str]) -> int:
    """How many cells of a row are column names we know: finds the header row."""
    return sum(1 for c in cells if normalize_header(c) in _KNOWN)


def header_signature(header: list[str]) -> str:
    norm = "\x1f".join(normalize_header(h) for h in header)
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()


@dataclass
class Detection:
    spec: Spec
    mapping: dict[str, int]
    guessed: bool = False            # generic guess from column names
    source: str = "spec"             # spec | saved | user | guess
    warnings: list[tuple[str, dict]] = field(default_factory=list)

    def named_mapping(self, header: list[str]) -> dict[str, str]:
        return {f: header[i] for f, i in self.mapping.items()}


def _positions(header: list[str]) -> dict[str, int]:
    """Normalised name → first position (duplicated names keep their first occurrence)."""
    pos: dict[str, int] = {}
    for i, h in enumerate(header):
        n = normalize_header(h)
        if n and n not in pos:
            pos[n] = i
    # `最后交易时间(yyyy-MM-dd HH:mm:ss)`, `Total (CNY)`: also known by the name before the brackets.
    for i, h in enumerate(header):
        base = _BRACKETS.sub("", normalize_header(h)).strip()
        if base and base not in pos:
            pos[base] = i
    return pos


_BRACKETS = re.compile(r"\s*[(（][^()（）]*[)）]$")


def map_spec(spec: Spec, header: list[str]) -> dict[str, int]:
    pos = _positions(header)
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for fld, aliases in spec.fields.items():
        for alias in aliases:
            i = pos.get(alias)
            if i is not None and i not in used:
                mapping[fld] = i
                used.add(i)
                break
    return mapping


def _spec_matches(spec: Spec, header: list[str], mapping: dict[str, int]) -> bool:
    pos = _positions(header)
    if any(sig not in pos for sig in spec.signature):
        return False
    return all(f in mapping for f in spec.required)


def detect(header: list[str], file_name: str = "") -> Detection | None:
    """Best platform spec for this header, or None."""
    name = file_name.lower()
    best: tuple[float, Spec, dict[str, int]] | None = None
    for spec in SPECS:
        mapping = map_spec(spec, header)
        if not _spec_matches(spec, header, mapping):
            continue
        score = len(mapping) + 2 * len(spec.signature)
        if spec.filename_hint and re.search(spec.filename_hint, name):
            score += 5
        if best is None or score > best[0]:
            best = (score, spec, mapping)
    if best is None:
        return None
    det = Detection(spec=best[1], mapping=best[2])
    if best[1].kind == "orders" and "customer_id" not in best[2]:
        det.warnings.append(("warn_no_customer", {}))
    return det


def guess_generic(header: list[str]) -> Detection | None:
    """Column names we know from common tables: an order log, else a member table."""
    mapping = map_spec(GENERIC, header)
    if all(f in mapping for f in ("ordered_at",)) and ("amount" in mapping or
                                                        ("price" in mapping and "quantity" in mapping)):
        if "customer_id" not in mapping:
            return None
        return Detection(spec=GENERIC, mapping=mapping, guessed=True, source="guess")
    if "customer_id" in mapping and "ordered_at" in mapping:
        # An order log without an amount column: refused by check_required, naming what is missing.
        return Detection(spec=GENERIC, mapping=mapping, guessed=True, source="guess")
    mapping = map_spec(GENERIC_MEMBERS, header)
    if "customer_id" in mapping and ({"level", "trade_count", "trade_amount", "last_trade_at"} & set(mapping)):
        return Detection(spec=GENERIC_MEMBERS, mapping=mapping, guessed=True, source="guess")
    return None


def resolve_column(header: list[str], column: str) -> int:
    """A user's column reference: its name (spaces ignored), `columnN`, or a 1-based number."""
    target = normalize_header(column)
    pos = _positions(header)
    if target in pos:
        return pos[target]
    m = re.fullmatch(r"(?:column|col|c)?\s*(\d+)", target)
    if m:
        i = int(m.group(1)) - 1
        if 0 <= i < len(header):
            return i
    raise Refused("refused_unknown_column", column=column,
                  columns=", ".join(h.strip() or f"column{i + 1}" for i, h in enumerate(header)))


def apply_user_mapping(header: list[str], base: Detection | None, user: dict[str, str],
                       format_name: str | None) -> Detection:
    """The user's `--map FIELD=COLUMN` entries on top of the detected or chosen format."""
    if format_name:
        spec = SPECS_BY_NAME.get(format_name)
        if spec is None:
            raise Refused("refused_unknown_format", name=format_name, names=", ".join(SPECS_BY_NAME))
        if base is None or base.spec.name != spec.name:
            base = Detection(spec=spec, mapping=map_spec(spec, header), source="user")
    for fld in user:
        if fld not in ALL_FIELDS:
            raise Refused("refused_unknown_field", field=fld, fields=", ".join(ALL_FIELDS[:13]))
    if base is None:
        kind = "members" if not ({"amount", "ordered_at", "price"} & set(user)) else "orders"
        spec = GENERIC_MEMBERS if kind == "members" else GENERIC
        base = Detection(spec=spec, mapping={}, source="user")
    mapping = dict(base.mapping)
    for fld, col in user.items():
        i = resolve_column(header, col)
        for other, j in list(mapping.items()):
            if j == i and other != fld and other not in user:
                del mapping[other]
        mapping[fld] = i
    return Detection(spec=base.spec, mapping=mapping, source="user", warnings=list(base.warnings))


def check_required(det: Detection, header: list[str]) -> None:
    """Refuse a file whose mapping lacks what its kind needs, naming what is missing."""
    spec = det.spec
    need: list[str] = []
    if spec.kind == "orders":
        if "ordered_at" not in det.mapping and "paid_at" not in det.mapping:
            need.append("ordered_at")
        if "amount" not in det.mapping and not ("price" in det.mapping):
            need.append("amount")
        if spec.platform == "generic" and "customer_id" not in det.mapping:
            need.append("customer_id")
    elif spec.kind == "items":
        need += [f for f in ("order_id", "item_title") if f not in det.mapping]
    else:
        if "customer_id" not in det.mapping:
            need.append("customer_id")
    if need:
        raise Refused("refused_missing_columns", fields=",".join(need),
                      columns=", ".join(h.strip() for h in header if h.strip())[:300])


_ID = re.compile(r"^\d{1,12}$")
_DATE8 = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_DATE = re.compile(r"^(19|20)\d{2}[-/.](0?[1-9]|1[0-2])[-/.](0?[1-9]|[12]\d|3[01])([ T]\d{1,2}:\d{2}(:\d{2})?)?$")
_DECIMAL = re.compile(r"^-?\d+\.\d{1,2}$")
_INT = re.compile(r"^\d{1,4}$")


def guess_by_values(header: list[str], rows: list[list[str]]) -> Detection | None:
    """A file without a header (CDNOW_master.txt: `00001 19970101 1 11.77`): recognise a
    transaction log by what its columns hold — an id, a date, a small count, an amount."""
    if len(rows) < 3:
        return None
    n = len(header)
    cols = [[r[i].strip() for r in rows if i < len(r) and r[i].strip()] for i in range(n)]

    def share(i, pattern):
        return sum(bool(pattern.match(v)) for v in cols[i]) / max(len(cols[i]), 1)
    dates = [i for i in range(n) if cols[i] and (share(i, _DATE8) == 1 or share(i, _DATE) == 1)]
    amounts = [i for i in range(n) if cols[i] and i not in dates and share(i, _DECIMAL) >= 0.9]
    ints = [i for i in range(n) if cols[i] and i not in dates and share(i, _INT) == 1]
    ids = [i for i in range(n) if cols[i] and i not in dates and i not in amounts and share(i, _ID) == 1]
    if len(dates) != 1 or len(amounts) != 1 or not ids:
        return None
    customer = ids[0]
    mapping = {"customer_id": customer, "ordered_at": dates[0], "amount": amounts[0]}
    qty = [i for i in ints if i != customer]
    if qty:
        mapping["quantity"] = qty[0]
    return Detection(spec=GENERIC, mapping=mapping, guessed=True, source="guess")
