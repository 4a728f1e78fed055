"""The BI role: `bi_reader` logs in and reads schema `published`, nothing else.

Its sessions are read-only and time out (a runaway dashboard query must not hold
the warehouse), and it cannot create objects in `public` either. A warehouse
owner that may not manage roles (no superuser, no CREATEROLE) finds the role
made by its DBA, with those session defaults, and grants it `published`.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from c360.config import ConfigError

BI_ROLE = "bi_reader"
PUBLISHED_SCHEMA = "published"


DEFAULT_STATEMENT_TIMEOUT = "5min"


class RoleError(ConfigError):
    """The BI role cannot be made by the role c360 connects as."""


def ensure_bi_reader(dsn: str, password: str | None,
                     statement_timeout: str = DEFAULT_STATEMENT_TIMEOUT) -> None:
    """Create or update the role, its grants and its session defaults; idempotent.

    Without a password the role exists but cannot log in (scram needs one);
    the caller decides where the password comes from (environment, or a
    generated file for the embedded cluster).
    """
    with psycopg.connect(dsn) as conn:
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (BI_ROLE,)).fetchone()
        user, manages_roles = conn.execute(
            "select rolname, rolsuper or rolcreaterole from pg_roles where rolname = current_user").fetchone()
        role, schema = sql.Identifier(BI_ROLE), sql.Identifier(PUBLISHED_SCHEMA)
        statements = [
            "grant connect on database {db} to {role}",
            "create schema if not exists {schema}",
            "grant usage on schema {schema} to {role}",
            "grant select on all tables in schema {schema} to {role}",
            # Relations published later are readable too, whoever creates them.
            "alter default privileges in schema {schema} grant select on tables to {role}",
        ]
        if manages_roles:
            verb = "alter" if exists else "create"
            login = sql.SQL("login password {}").format(sql.Literal(password)) if password else sql.SQL(
                "nologin"
            )
            conn.execute(sql.SQL("{} role {} {}").format(sql.SQL(verb), role, login))
            statements += ["alter role {role} set default_transaction_read_only = on",
                           "alter role {role} set statement_timeout = {timeout}"]
        elif not exists:
            raise RoleError(
                f"role {BI_ROLE} does not exist and {user} may not create roles (a warehouse owner "
                f"that is no superuser): have it created with its login, read-only sessions and "
                f"statement timeout, as docker/init-roles.sh does, then run c360 up again")
        database = conn.execute("select current_database()").fetchone()[0]
        for statement in statements:
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
