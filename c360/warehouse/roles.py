"""The BI role: `bi_reader` logs in and reads schema `published`, nothing else."""

from __future__ import annotations

import psycopg
from psycopg import sql

BI_ROLE = "bi_reader"
PUBLISHED_SCHEMA = "published"


def ensure_bi_reader(dsn: str, password: str | None) -> None:
    """Create or update the role and its grants; idempotent.

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
        ):
            conn.execute(sql.SQL(statement).format(db=sql.Identifier(database), role=role, schema=schema))
