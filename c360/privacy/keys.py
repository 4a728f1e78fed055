"""The secret behind the keyed hashes of the suppression list, and the SQL that computes them.

A suppression list must recognise an erased person's identifiers without
holding them: it keeps HMAC-SHA256 hashes, computed in the warehouse (pgcrypto)
with a key that lives outside it. The key comes from C360_PRIVACY_KEY, or from
the file C360_PRIVACY_KEY_FILE names; with the embedded default, from a key
generated once beside the cluster's other secrets. An external warehouse needs
one of the two variables: a key generated on one machine and lost would let
erased persons come back unrecognised.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from c360.config import ConfigError, Settings
from c360.privacy.private_files import write_private

GENERATED_KEY_FILE = "privacy_key"


def privacy_key(settings: Settings) -> str:
    from_env = os.environ.get("C360_PRIVACY_KEY")
    if from_env:
        return from_env
    key_file = os.environ.get("C360_PRIVACY_KEY_FILE")
    if key_file:
        return _read_key(Path(key_file))
    if not settings.embedded:
        raise ConfigError(
            "C360_WAREHOUSE_DSN is set but neither C360_PRIVACY_KEY nor C360_PRIVACY_KEY_FILE is: "
            "set one to the secret of the privacy suppression list (keep it; a new key forgets "
            "who was erased)"
        )
    generated = settings.pg_dir / GENERATED_KEY_FILE
    if not generated.exists():
        generated.parent.mkdir(parents=True, exist_ok=True)
        write_private(generated, secrets.token_hex(32) + "\n")
    return _read_key(generated)


def _read_key(path: Path) -> str:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read the privacy key file {path}: {exc.strerror}") from exc
    if len(key) < 16:
        raise ConfigError(f"the privacy key in {path} is too short: use at least 16 characters")
    return key


def keyed_hash_sql(key_type_sql: str, value_sql: str) -> str:
    """SQL for the hex HMAC of '<type>:<value>' with the key bound as %(privacy_key)s.

    The type is part of the message, so an account id and a card number that
    happen to share digits never hash alike."""
    return f"encode(hmac({key_type_sql} || ':' || ({value_sql}), %(privacy_key)s::text, 'sha256'), 'hex')"


def repr_sql(text: str) -> str:
    """A constant as an SQL string literal (only for the module's own constants)."""
    return "'" + text.replace("'", "''") + "'"
