"""The warehouse's login roles. The BI role: `bi_reader` logs in and reads schema `published`,
nothing else; the lookup's role (ensure_lookup_role) is at the end.

Its sessions are read-only and time out (a runaway dashboard query, or a transaction a
BI tool leaves open, must not hold the warehouse: C360_BI_STATEMENT_TIMEOUT, applied
each time roles are set up), and it cannot create objects in `public` either. A warehouse
owner that may not manage roles (no superuser, no CREATEROLE) finds the role
made by its DBA, with those session defaults, and grants it `published`.
"""

from __future__ import annotations

import os

import psycopg
from psycopg import sql

from c360.config import DEFAULT_BI_STATEMENT_TIMEOUT, ConfigError, Settings

BI_ROLE = "bi_reader"
PUBLISHED_SCHEMA = "published"


class RoleError(ConfigError):
    """The BI role cannot be made by the role c360 connects as."""


def ensure_bi_reader(dsn: str, password: str | None,
                     statement_timeout: str = DEFAULT_BI_STATEMENT_TIMEOUT) -> None:
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
                           "alter role {role} set statement_timeout = {timeout}",
                           "alter role {role} set idle_in_transaction_session_timeout = {timeout}"]
        elif not exists:
            raise RoleError(
                f"role {BI_ROLE} does not exist and {user} may not create roles (a warehouse owner "
                f"that is no superuser): have it created with its login, read-only sessions and "
                f"timeouts, as docker/init-roles.sh does, then run c360 up again")
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


LOOKUP_ROLE = "c360_lookup"
# What the lookup answers from in `published`; the later two exist once predictions are published.
LOOKUP_PUBLISHED = ("customer_360", "customer_segments", "customer_propensity", "next_best_activity")
LOOKUP_STATEMENT_TIMEOUT = "2s"


LOOKUP_PASSWORD_FILE = "lookup_password"


def lookup_password(settings: Settings) -> str | None:
    """C360_LOOKUP_PASSWORD, or for the embedded cluster the one `c360 up` generated."""
    from_env = os.environ.get("C360_LOOKUP_PASSWORD")
    if from_env:
        return from_env
    generated = settings.pg_dir / LOOKUP_PASSWORD_FILE
    if settings.embedded and generated.exists():
        return generated.read_text().strip()
    return None


def ensure_lookup_role(dsn: str, password: str | None) -> bool:
    """The lookup's role: it reads the map of keys (schema serving), the published tables it
    answers from and the token hashes, and adds to the audit; nothing else. Sessions time out
    quickly, as a contact-center tool waits on them. Returns False when the role does not
    exist and c360 may not create it (its DBA makes it, like bi_reader, if the lookup is used)."""
    with psycopg.connect(dsn) as conn:
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (LOOKUP_ROLE,)).fetchone()
        manages_roles = conn.execute(
            "select rolsuper or rolcreaterole from pg_roles where rolname = current_user").fetchone()[0]
        role = sql.Identifier(LOOKUP_ROLE)
        if manages_roles:
            login = sql.SQL("login password {}").format(sql.Literal(password)) if password else sql.SQL(
                "nologin")
            verb = sql.SQL("alter" if exists else "create")
            conn.execute(sql.SQL("{} role {} {}").format(verb, role, login))
            conn.execute(sql.SQL("alter role {} set statement_timeout = {}").format(
                role, sql.Literal(LOOKUP_STATEMENT_TIMEOUT)))
        elif not exists:
            return False
        database = conn.execute("select current_database()").fetchone()[0]
        statements = [
            "grant connect on database {db} to {role}",
            "grant usage on schema serving, published, ops to {role}",
            "grant select on serving.lookup_keys, serving.lookup_customers to {role}",
            # who was restricted or erased since the map was published: ids and outcomes only
            "grant select (customer_id, outcome) on ops.privacy_request_log to {role}",
            "grant select (system, token_hash) on ops.lookup_tokens to {role}",
            "grant insert (caller, key_kind, key_hash, result) on ops.lookup_audit to {role}",
            "grant usage on sequence ops.lookup_audit_audit_id_seq to {role}",
        ]
        for statement in statements:
            conn.execute(sql.SQL(statement).format(db=sql.Identifier(database), role=role))
        for table in LOOKUP_PUBLISHED:
            if conn.execute("select to_regclass(%s)", (f"{PUBLISHED_SCHEMA}.{table}",)).fetchone()[0]:
                conn.execute(sql.SQL("grant select on {} to {}").format(
                    sql.Identifier(PUBLISHED_SCHEMA, table), role))
    return True
