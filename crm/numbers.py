"""The number helpers every analysis shares: exact money division and JSON-ready rounding."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def div(a, b, q: Decimal = CENT) -> Decimal | None:
    """a ÷ b as a Decimal rounded half-up to `q` (cents by default); None when b is 0 or None."""
    if not b:
        return None
    return (Decimal(a) / Decimal(b)).quantize(q, rounding=ROUND_HALF_UP)


def num(v, places: int = 2) -> float | None:
    """A number for JSON: rounded to `places`; None for a missing, NaN or infinite value. A Decimal is
    rounded as a Decimal (exact), anything else as a float."""
    if v is None:
        return None
    if isinstance(v, Decimal):
        return float(round(v, places)) if v.is_finite() else None
    v = float(v)
    return round(v, places) if math.isfinite(v) else None
