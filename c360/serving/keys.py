"""A key as a caller typed it, normalized exactly as identity resolution's staging does.

The rules are dbt's macros (dbt_project/macros/normalize_identifiers.sql) written
again in Python, so the API hashes a key without a round trip; tests/test_lookup.py
runs the same inputs through the compiled dbt models and through these functions.
A card is what a contact-center agent's customer_ref counts as one: thirteen digits.
"""

from __future__ import annotations

import hashlib
import hmac
import re

KINDS = ("phone", "email", "card", "account")

# PostgreSQL's \s in the macros: the ASCII white space characters.
_SPACE = "[ \t\n\r\f\v]"
COMMON_EMAIL_DOMAINS = (
    "gmail.com", "hotmail.com", "hotmail.nl", "hotmail.be", "outlook.com", "live.nl",
    "live.be", "icloud.com", "yahoo.com", "ziggo.nl", "kpnmail.nl", "planet.nl",
    "xs4all.nl", "home.nl", "telenet.be", "skynet.be", "proximus.be",
)
# fullmatch, not $: PostgreSQL's $ does not match before a final line break, Python's does
_EMAIL = re.compile(r"[^@]+@[^@]+\.[a-z]{2,}")
_ACCOUNT = re.compile(rf"(fa)?{_SPACE}*[0-9]{{1,7}}", re.IGNORECASE)
_CARD = re.compile(r"[0-9]{13}")


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _one_slip_apart(a: str, b: str) -> bool:
    distance = _levenshtein(a, b)
    return distance == 1 or (len(a) == len(b) and distance == 2 and sorted(a) == sorted(b))


def normalize_email(value: str) -> str | None:
    cleaned = re.sub(_SPACE, "", value).lower()
    if not _EMAIL.fullmatch(cleaned):
        return None
    local, domain = cleaned.split("@")
    if domain == "googlemail.com":
        domain = "gmail.com"
    elif domain not in COMMON_EMAIL_DOMAINS:
        near = [known for known in COMMON_EMAIL_DOMAINS if _one_slip_apart(domain, known)]
        if len(near) == 1:
            domain = near[0]
    return f"{local}@{domain}"


def normalize_phone(value: str, country: str | None = None) -> str | None:
    d = re.sub(r"[^0-9+]", "", value.replace("(0)", ""))
    if re.fullmatch(r"(\+|00)31[1-9][0-9]{8}", d):
        return "+31" + d[-9:]
    if m := re.fullmatch(r"(?:\+|00)32([1-9][0-9]{7,8})", d):
        return "+32" + m.group(1)
    if re.fullmatch(r"0[1-9][0-9]{8}", d):
        belgian = country == "BE" or (country != "NL" and re.match(r"04[6-9]", d))
        return ("+32" if belgian else "+31") + d[1:]
    if re.fullmatch(r"0[1-9][0-9]{7}", d) and (country or "BE") == "BE":
        return "+32" + d[1:]
    return None


def normalize_account(value: str) -> str | None:
    if not _ACCOUNT.fullmatch(value.strip(" ")):
        return None
    return "FA" + re.sub(r"[^0-9]", "", value).rjust(7, "0")


def normalize_card(value: str) -> str | None:
    trimmed = value.strip(" ")
    return trimmed if _CARD.fullmatch(trimmed) else None


_NORMALIZERS = {"phone": normalize_phone, "email": normalize_email,
                "card": normalize_card, "account": normalize_account}


def normalize(kind: str, value: str) -> str | None:
    """The key as identity resolution holds it, or None when it is not one of its kind."""
    if kind not in _NORMALIZERS:
        raise ValueError(f"unknown key kind {kind!r}: one of {', '.join(KINDS)}")
    return _NORMALIZERS[kind](value)


def key_hash(secret: str, kind: str, normalized: str) -> str:
    """The keyed hash of a normalized key: the privacy suppression list's own
    (c360.privacy.keys.keyed_hash_sql), so a lookup key and an erased person's key compare."""
    return hmac.new(secret.encode(), f"{kind}:{normalized}".encode(), hashlib.sha256).hexdigest()
