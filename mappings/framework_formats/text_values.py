"""Numbers and yes/no flags read from text the same way in YAML and CSV.

Both readers see every value as text (the YAML reader never lets YAML guess types, so a
code like ``1.10`` stays ``1.10``); these turn text into values or refuse it in words a
person can act on. Errors carry no place: the reader adds it with `located`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from mappings.framework import plain_decimal
from pbridge.errors import FrameworkImportError

_YES = {"yes", "true", "y", "1", "on"}
_NO = {"no", "false", "n", "0", "off", ""}


def decimal_from(text: str, *, what: str) -> Decimal:
    """A finite number such as ``3`` or ``2.5``."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise FrameworkImportError(f"the {what} {text!r} is not a number such as 3 or 2.5") from None
    if not value.is_finite():
        raise FrameworkImportError(f"the {what} {text!r} is not a number such as 3 or 2.5")
    return plain_decimal(value)


def flag_from(text: str, *, what: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise FrameworkImportError(f"the {what} {text!r} is not yes or no")


def whole_number_from(text: str, *, what: str) -> int:
    stripped = text.strip()
    if not re.fullmatch(r"[0-9]{1,9}", stripped):
        raise FrameworkImportError(f"the {what} {text!r} is not a whole number such as 1")
    return int(stripped)


def decimal_text(value: Decimal) -> str:
    """How files write a scale value: ``3``, ``2.5``."""
    return format(plain_decimal(value), "f")
