"""Bearer tokens, one per system that calls the lookup API, kept only as hashes (ops.lookup_tokens)."""

from __future__ import annotations

import hashlib
import secrets

import psycopg

ACTIVE_TOKENS_SQL = "select token_hash, system from ops.lookup_tokens"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(dsn: str, system: str) -> str:
    """A new token for `system`, replacing any it had; the token itself is returned once and kept nowhere."""
    if not system.strip():
        raise ValueError("a token needs the name of the system that calls with it")
    token = "c360_" + secrets.token_urlsafe(32)
    with psycopg.connect(dsn) as conn:
        conn.execute(
            """insert into ops.lookup_tokens (system, token_hash) values (%s, %s)
               on conflict (system) do update set token_hash = excluded.token_hash, created_at = now()""",
            (system.strip(), token_hash(token)),
        )
    return token


def revoke_token(dsn: str, system: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return conn.execute("delete from ops.lookup_tokens where system = %s", (system,)).rowcount > 0


def bearer_system(authorization: str | None, tokens: dict[str, str]) -> str | None:
    """The system an `Authorization: Bearer <token>` header names, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return tokens.get(token_hash(token.strip()))
