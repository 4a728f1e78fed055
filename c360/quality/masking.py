"""Mask contact details in example rows: keep their shape (is there an `@`?), hide their content."""

from __future__ import annotations

import re
from typing import Any

# Columns that hold personal data in the gate's queries; keys (row_key, ids) stay readable.
PERSONAL_COLUMNS = frozenset({
    "email", "phone", "caller_email", "caller_phone", "caller_name", "trait_email",
    "first_name", "last_name", "given_name", "surname", "date_of_birth", "birth_date",
})
_WORD_TAIL = re.compile(r"(?<=\w)\w")


def mask(value: Any) -> str:
    """Every letter or digit but the first of each word becomes `*`: 'jan@x.nl' -> 'j**@x.n*'."""
    return _WORD_TAIL.sub("*", str(value))


def mask_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (mask(value) if key in PERSONAL_COLUMNS and value is not None else value)
        for key, value in row.items()
    }
