"""Carry out one erasure: the person's data gone from every schema the warehouse controls.

One transaction per request, so an erasure is done whole or not at all, and a
retry does it again from the start. In order:

1. the keyed hashes of the person's identifiers join the suppression list;
2. their raw rows, in every silo, are deleted or pseudonymized, and quarantined
   records holding their identifiers lose their raw text (relations.py);
3. every table dbt built is scrubbed of them, history, `published` and the
   lookup's map included, and the identity map keeps only hashed keys (derived.py);
   the lookup audit's rows of their keys lose the key's hash;
4. the erasure log gets the request id and the rows changed per relation.
"""

from __future__ import annotations

from datetime import date

import psycopg

from c360.privacy.derived import scrub_dbt_relations
from c360.privacy.matches import RequestMatch
from c360.privacy.person import collect_identifier_hashes, find_person
from c360.privacy.relations import HASHES_TABLE, erase_raw
from c360.serving.audit import forget_erased_keys

Counts = dict[tuple[str, str], int]


def erase(warehouse_dsn: str, privacy_key: str, request: RequestMatch, business_date: date) -> Counts:
    with psycopg.connect(warehouse_dsn) as conn:
        # two erasures of one person must not interleave; the request id serialises retries
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (request.request_id,))
        if already_handled(conn, request.request_id):
            return {}
        if erased_earlier(conn, request.customer_id):
            # a second erasure request of the same person: nothing is left to erase
            record_outcome(conn, request, "erased", business_date)
            return {}
        person = find_person(conn, request.customer_id, request.request_id)
        collect_identifier_hashes(conn, request.customer_id, privacy_key,
                                  extra=(("request", request.request_id),))
        conn.execute(
            f"""insert into ops.privacy_suppressions (identifier_hash, identifier_type, request_id)
                select identifier_hash, identifier_type, %s from {HASHES_TABLE}
                on conflict (identifier_hash) do nothing""",
            (request.request_id,),
        )
        counts = erase_raw(conn, {"privacy_key": privacy_key}, since=False)
        counts |= scrub_dbt_relations(conn, person, privacy_key)
        counts[("ops.lookup_audit", "pseudonymized")] = forget_erased_keys(conn)
        log_counts(conn, request.request_id, business_date, counts)
        record_outcome(conn, request, "erased", business_date)
    return counts


def already_handled(conn: psycopg.Connection, request_id: str) -> bool:
    row = conn.execute("select 1 from ops.privacy_request_log where request_id = %s", (request_id,))
    return row.fetchone() is not None


def erased_earlier(conn: psycopg.Connection, customer_id: str) -> bool:
    row = conn.execute(
        "select 1 from ops.privacy_request_log where customer_id = %s and outcome = 'erased'", (customer_id,))
    return row.fetchone() is not None


def log_counts(conn: psycopg.Connection, request_id: str | None, business_date: date, counts: Counts) -> None:
    """Rows changed per relation; relations left untouched are not listed."""
    with conn.cursor() as cursor:
        cursor.executemany(
            """insert into ops.privacy_erasure_log (request_id, business_date, relation, action, row_count)
               values (%s, %s, %s, %s, %s)""",
            [(request_id, business_date, relation, action, n)
             for (relation, action), n in sorted(counts.items()) if n > 0],
        )


def record_outcome(conn: psycopg.Connection, request: RequestMatch, outcome: str, business_date: date,
                   detail: str | None = None) -> None:
    conn.execute(
        """insert into ops.privacy_request_log
               (request_id, request_type, outcome, customer_id, matched_on, business_date, detail)
           values (%s, %s, %s, %s, %s, %s, %s)
           on conflict (request_id) do nothing""",
        (request.request_id, request.request_type, outcome, request.customer_id, request.matched_on,
         business_date, detail),
    )
