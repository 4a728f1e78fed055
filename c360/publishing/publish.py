"""Write-audit-publish: copy validated candidates into schema `published` in one transaction.

dbt builds the candidates where BI cannot see them; the quality gate validates
them; only then does this module replace the contents of the published tables.
Everything happens in one transaction, so a BI session sees either the previous
publication or the new one, never a mix. The published tables are emptied and
refilled rather than dropped and renamed, so views that BI users built on them
and the grants of `bi_reader` keep working. If anything fails, the transaction
rolls back and the previous publication stays untouched.

BI gets no contact details beyond what activation needs: a campaign reaches a
segment's members by e-mail, so `email` may be published; names, phones,
addresses and birth dates may not, and a candidate carrying them is refused.

Each published table and column carries its candidate's comment, which dbt writes from
the models' descriptions (persist_docs): BI tools show them, and a description changed
since the last night reaches BI with the data.

Publishing `customer_360` also refreshes the lookup's map of keys to customers in
schema `serving`, which BI cannot read (c360/serving/keymap.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

from c360.config import load_settings
from c360.privacy.keys import privacy_key
from c360.serving.keymap import KEYS, publish_lookup_map, sources_built
from c360.warehouse.roles import BI_ROLE, LOOKUP_PUBLISHED, LOOKUP_ROLE, PUBLISHED_SCHEMA

# Contact details and personal data a BI tool never needs; a city or a country is not one of them.
NOT_FOR_BI = frozenset({
    "given_name", "surname", "surname_prefix", "first_name", "last_name", "full_name",
    "phone", "mobile", "street", "house_number", "postal_code", "address",
    "date_of_birth", "birth_date",
})


class PublishError(RuntimeError):
    """A candidate cannot be published; nothing was changed."""


@dataclass(frozen=True)
class Published:
    relation: str
    row_count: int


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        """select a.attname, format_type(a.atttypid, a.atttypmod)
           from pg_attribute a
           join pg_class c on c.oid = a.attrelid
           join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped
           order by a.attnum""",
        (schema, table),
    ).fetchall()


def _publish_one(conn: psycopg.Connection, candidate_schema: str, table: str) -> int:
    candidate = _columns(conn, candidate_schema, table)
    if not candidate:
        raise PublishError(f"candidate {candidate_schema}.{table} does not exist: was it built?")
    personal = sorted(name for name, _ in candidate if name in NOT_FOR_BI)
    if personal:
        raise PublishError(
            f"{candidate_schema}.{table} carries contact details BI must not see: {', '.join(personal)}; "
            "publish a model without them"
        )
    source = sql.Identifier(candidate_schema, table)
    target = sql.Identifier(PUBLISHED_SCHEMA, table)
    current = _columns(conn, PUBLISHED_SCHEMA, table)
    if not current:
        conn.execute(sql.SQL("create table {} as select * from {} with no data").format(target, source))
        _grant_readers(conn, table)
    elif current != candidate:
        # A changed shape is a contract change: refuse rather than silently break BI's views.
        raise PublishError(
            f"{candidate_schema}.{table} has columns {candidate} but published.{table} has {current}; "
            "a change of the published contract needs a migration, not a nightly publish"
        )
    if any(name == "customer_id" for name, _ in candidate):
        # the lookup at contact time reads one customer's rows
        conn.execute(sql.SQL("create index if not exists {} on {} (customer_id)").format(
            sql.Identifier(f"{table}_customer_id_idx"), target))
    conn.execute(sql.SQL("delete from {}").format(target))
    cursor = conn.execute(sql.SQL("insert into {} select * from {}").format(target, source))
    _carry_comments(conn, candidate_schema, table)
    return cursor.rowcount


def _comments(conn: psycopg.Connection, schema: str, table: str) -> tuple[str | None, list[tuple]]:
    """The relation's comment and each column's (name, comment), in column order."""
    [(oid, relation)] = conn.execute(
        "select c.oid, obj_description(c.oid, 'pg_class') from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s and c.relname = %s",
        (schema, table)).fetchall()
    columns = conn.execute(
        "select attname, col_description(attrelid, attnum) from pg_attribute"
        " where attrelid = %s and attnum > 0 and not attisdropped order by attnum", (oid,)).fetchall()
    return relation, columns


def _carry_comments(conn: psycopg.Connection, candidate_schema: str, table: str) -> None:
    """The published table says what its candidate says; a comment the candidate lost is dropped.

    Only changed comments are written: COMMENT needs the table's owner, so a publisher that
    does not own a published table still publishes it as long as its descriptions stand.
    """
    relation, columns = _comments(conn, candidate_schema, table)
    published_relation, published_columns = _comments(conn, PUBLISHED_SCHEMA, table)
    if relation != published_relation:
        conn.execute(sql.SQL("comment on table {} is {}").format(
            sql.Identifier(PUBLISHED_SCHEMA, table), sql.Literal(relation)))
    # the same columns in the same order: _publish_one refused any other shape
    for (column, comment), (_, published) in zip(columns, published_columns, strict=True):
        if comment != published:
            conn.execute(sql.SQL("comment on column {} is {}").format(
                sql.Identifier(PUBLISHED_SCHEMA, table, column), sql.Literal(comment)))


def _grant_readers(conn: psycopg.Connection, table: str) -> None:
    """Let BI, and the lookup if it answers from it, read a table this publication created.

    The schema's default privileges cover tables created by the role that set
    them (roles.ensure_bi_reader); the grant covers a publisher logged in as
    another role. Without the role yet, ensure_bi_reader (ensure_lookup_role) grants it later.
    """
    readers = [BI_ROLE, LOOKUP_ROLE] if table in LOOKUP_PUBLISHED else [BI_ROLE]
    for role in readers:
        if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
            conn.execute(sql.SQL("grant select on {} to {}").format(
                sql.Identifier(PUBLISHED_SCHEMA, table), sql.Identifier(role)))


def publish(
    dsn: str, tables: Sequence[str], candidate_schema: str, business_date: date | None = None
) -> list[Published]:
    """Replace each published table with its candidate, all or nothing."""
    results = []
    with psycopg.connect(dsn) as conn:
        for table in tables:
            rows = _publish_one(conn, candidate_schema, table)
            relation = f"{PUBLISHED_SCHEMA}.{table}"
            conn.execute(
                "insert into ops.publications (business_date, relation, source, row_count)"
                " values (%s, %s, %s, %s)",
                (business_date, relation, f"{candidate_schema}.{table}", rows),
            )
            results.append(Published(relation, rows))
        if "customer_360" in tables and sources_built(conn):
            keys = publish_lookup_map(conn, privacy_key(load_settings()))
            conn.execute(
                "insert into ops.publications (business_date, relation, source, row_count)"
                " values (%s, 'serving.lookup_keys', %s, %s)", (business_date, KEYS, keys))
            results.append(Published("serving.lookup_keys", keys))
    return results
