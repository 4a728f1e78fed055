"""Which fields hold personal data, and how a value of one is shown where it must be named.

A refusal reason, an alert or a gate result names a bad value so that its owner
can see what went wrong; for a personal field it shows the value's shape
(is there an `@`, how many digits) and hides its content. A key that names a
record (an account, a card) shows its last characters only: enough to find it
again, not enough to be the identifier.
"""

from __future__ import annotations

import re
from typing import Any

PERSONAL_FIELDS = frozenset({
    "email", "phone", "caller_email", "caller_phone", "caller_name", "trait_email",
    "first_name", "last_name", "given_name", "surname", "date_of_birth", "birth_date",
    "street", "house_number", "postal_code",
    "account_id", "card_number", "loyalty_card", "customer_ref", "anonymous_id", "user_id", "traits",
})
_WORD_TAIL = re.compile(r"(?<=\w)\w")
KEY_TAIL = 4


def mask(value: Any) -> str:
    """Every letter or digit but the first of each word becomes `*`: 'jan@x.nl' -> 'j**@x.n*'."""
    return _WORD_TAIL.sub("*", str(value))


def shown(field: str, value: str) -> str:
    """`value` of `field` as a message may show it: masked when the field is personal."""
    return mask(value) if field in PERSONAL_FIELDS else value


def masked_key_sql(expression: str) -> str:
    """SQL for a record key with all but its last characters as `*` ('FA1234567' -> '*****4567')."""
    return (f"repeat('*', greatest(length({expression}) - {KEY_TAIL}, 0)) "
            f"|| right({expression}, {KEY_TAIL})")
