"""The audit of every lookup (ops.lookup_audit): who asked, when, for which kind of key, and
what came back. The key is kept as its keyed hash only, and an erasure clears the hashes of
the person's keys, so the audit keeps the count of lookups and none of the person."""

from __future__ import annotations

import getpass

import psycopg

from c360.privacy.relations import HASHES_TABLE

RESULTS = ("found", "candidates", "restricted", "none", "invalid")

# The last part of the lookup's one statement: the row it adds, from its `outcome`.
AUDIT_CTE = """audit as (
    insert into ops.lookup_audit (caller, key_kind, key_hash, result)
    select %(caller)s, %(key_kind)s, %(key_hash)s, result from outcome
)"""


def cli_caller() -> str:
    return f"cli:{getpass.getuser()}"


def forget_erased_keys(conn: psycopg.Connection) -> int:
    """Inside an erasure, once `identifier_hashes` holds the person's keyed hashes: the audit's
    rows of their keys lose the hash. Returns the rows changed."""
    return conn.execute(
        f"update ops.lookup_audit set key_hash = null "
        f"where key_hash in (select identifier_hash from {HASHES_TABLE})").rowcount
