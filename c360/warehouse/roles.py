"""The BI role: `bi_reader` logs in and reads schema `published`, nothing else.

Its sessions are read-only and time out (a runaway dashboard query must not hold
the warehouse), and it cannot create objects in `public` either.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

BI_ROLE = "bi_reader"
PUBLISHED_SCHEMA = "published"


DEFAULT_STATEMENT_TIMEOUT = "5min"


def ensure_bi_reader(dsn: str, password: str | None,
                     statement_timeout: str = DEFAULT_STATEMENT_TIMEOUT) -> None:
    """Create or update the role, its grants and its session defaults; idempotent.

    Without a password the role exists but cannot log in (scram needs one);
    the caller decides where the password comes from (environment, or a
    generated file for the embedded cluster).
    """
    with psycopg.connect(dsn) as conn:
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (BI_ROLE,)).fetchone()
        verb = "alter" if exists else "create"
        login = sql.SQL("login password {}").format(sql.Literal(password)) if password else sql.SQL(
            "nologin"
        )
        conn.execute(sql.SQL("{} role {} {}").format(sql.SQL(verb), sql.Identifier(BI_ROLE), login))
        database = conn.execute("select current_database()").fetchone()[0]
        role, schema = sql.Identifier(BI_ROLE), sql.Identifier(PUBLISHED_SCHEMA)
        for statement in (
            "grant connect on database {db} to {role}",
            "create schema if not exists {schema}",
            "grant usage on schema {schema} to {role}",
            "grant select on all tables in schema {schema} to {role}",
            # Relations published later are readable too, whoever creates them.
            "alter default privileges in schema {schema} grant select on tables to {role}",
            "alter role {role} set default_transaction_read_only = on",
            "alter role {role} set statement_timeout = {timeout}",
        ):
            conn.execute(sql.SQL(statement).format(db=sql.Identifier(database), role=role, schema=schema,
                                                   timeout=sql.Literal(statement_timeout)))
        revoke_create_on_public(conn)


def revoke_create_on_public(conn: psycopg.Connection) -> None:
    """Nobody but the schema's owner creates objects in `public` (PostgreSQL 15's default,
    made explicit for older servers). Where c360 does not own `public`, that is its DBA's."""
    try:
        with conn.transaction():
            conn.execute("revoke create on schema public from public")
    except psycopg.errors.InsufficientPrivilege:
        pass
