"""Erase a person from the relations dbt builds, tonight, without waiting for the next build.

Tables rebuilt every night (intermediate, marts, the staging seeds) would lose
the person at the next build anyway; the snapshot's history and `published`
are never rebuilt, and BI reads `published` all day. Every table in these
schemas is scrubbed by the columns that name a person: customer ids, record ids,
(source_system, source_key), web cookies and (key_type, key_value) pairs among
the person's identifiers, so relations other engineers add
(the 360 metrics, segments) are covered without a list to keep up to date.
The persisted identity map and its published copy keep their rows (they reserve
customer ids, so an id is never given to someone else) with record ids and keys
replaced by random tokens.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from c360.privacy.keys import keyed_hash_sql
from c360.privacy.person import Person
from c360.privacy.relations import HASHES_TABLE

# serving: the lookup's map, published with `published` (c360/serving/keymap.py);
# predictions: the propensity scores the build writes beside dbt (c360/prediction)
DBT_SCHEMAS = ("staging", "intermediate", "marts", "snapshots", "published", "serving", "predictions")
CUSTOMER_COLUMNS = ("customer_id", "merged_customer_id", "into_customer_id", "surviving_customer_id")
# A component is named after its smallest record id; other people's rows that carry the
# person's record id as their component's name are dropped too, and recomputed next night.
RECORD_COLUMNS = ("record_id", "record_a", "record_b", "strong_component", "full_component")
IDENTITY_MAPS = {("intermediate", "int_identity__map"), ("marts", "customer_identity_map")}
# Which request named which customer: no personal data, and the proof the request was honoured.
KEPT = {("intermediate", "int_privacy__request_matches"), ("marts", "privacy_request_matches")}


def person_condition(columns: set[str]) -> sql.Composable | None:
    """A condition true for the person's rows, from the person-naming columns a table has."""
    tests = [sql.SQL("{} = any(%(customer_ids)s)").format(sql.Identifier(c))
             for c in CUSTOMER_COLUMNS if c in columns]
    tests += [sql.SQL("{} = any(%(record_ids)s)").format(sql.Identifier(c))
              for c in RECORD_COLUMNS if c in columns]
    if {"source_system", "source_key"} <= columns:
        tests.append(sql.SQL("source_system || ':' || source_key = any(%(record_ids)s)"))
    if "anonymous_id" in columns:
        tests.append(sql.SQL("anonymous_id = any(%(anonymous_ids)s)"))
    if {"key_type", "key_value"} <= columns:  # e.g. a household key only this person held
        hashed = keyed_hash_sql("key_type", "key_value")
        tests.append(sql.SQL(f"{hashed} in (select identifier_hash from {HASHES_TABLE})"))
    return sql.SQL(" or ").join(tests) if tests else None


def dbt_tables(conn: psycopg.Connection) -> dict[tuple[str, str], set[str]]:
    rows = conn.execute(
        """select c.table_schema, c.table_name, array_agg(c.column_name::text)
           from information_schema.columns as c
           join information_schema.tables as t using (table_schema, table_name)
           where t.table_type = 'BASE TABLE' and c.table_schema = any(%s)
           group by 1, 2""",
        (list(DBT_SCHEMAS),),
    ).fetchall()
    return {(schema, table): set(columns) for schema, table, columns in rows}


def scrub_dbt_relations(conn: psycopg.Connection, person: Person, privacy_key: str
                        ) -> dict[tuple[str, str], int]:
    """Delete the person's rows from every dbt-built table; returns rows per (relation, action)."""
    params = {
        "customer_ids": list(person.customer_ids),
        "record_ids": list(person.record_ids),
        "anonymous_ids": list(person.anonymous_ids),
        "privacy_key": privacy_key,
    }
    counts = {}
    for (schema, table), columns in sorted(dbt_tables(conn).items()):
        if (schema, table) in KEPT:
            continue
        relation = f"{schema}.{table}"
        if (schema, table) in IDENTITY_MAPS:
            counts[(relation, "pseudonymized")] = pseudonymize_identity_map(conn, schema, table, params)
            continue
        condition = person_condition(columns)
        if condition is None:
            continue
        cursor = conn.execute(
            sql.SQL("delete from {} where {}").format(sql.Identifier(schema, table), condition), params
        )
        counts[(relation, "deleted")] = cursor.rowcount
    return counts


def pseudonymize_identity_map(conn: psycopg.Connection, schema: str, table: str, params: dict) -> int:
    # a random token, not a keyed hash: nothing may lead back from it to the record
    cursor = conn.execute(
        sql.SQL("""update {} as m set record_id = t.token, source_key = t.token
           from (select record_id, 'erased:' || gen_random_uuid() as token
                 from unnest(%(record_ids)s::text[]) as record_id) as t
           where m.record_id = t.record_id""").format(sql.Identifier(schema, table)),
        params,
    )
    return cursor.rowcount
