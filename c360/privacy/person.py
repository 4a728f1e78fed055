"""One golden customer as the privacy step sees it: their ids, records and identifiers.

The identifiers are the records' own keys (account id, card number, cookie,
contact id) and the contact keys of those records that no other customer
holds: a household e-mail or landline that someone else uses too, or an account
a caller cited who is someone else, is left out, so erasing one person never
reaches another's records through it. A household-looking key that only this
person holds is theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from c360.privacy.keys import keyed_hash_sql
from c360.privacy.relations import HASHES_TABLE

SOURCE_KEY_TYPES = {
    "finance": "account",
    "store": "card",
    "web": "anonymous_id",
    "contact_center": "interaction_id",
}

PERSON_IDENTIFIERS_SQL = """
with records as (
    select source_system, source_key, source_system || ':' || source_key as record_id
    from marts.customer_xref
    where customer_id = %(customer_id)s
),

own_keys as (
    select case source_system {source_key_types} end as key_type, source_key as key_value
    from records
),

contact_keys as (
    select k.key_type, k.key_value
    from intermediate.int_identity__record_keys as k
    join records using (record_id)
    where not exists (
        select 1
        from intermediate.int_identity__record_keys as other
        join marts.customer_xref as x on x.source_system || ':' || x.source_key = other.record_id
        where other.key_type = k.key_type and other.key_value = k.key_value
            and x.customer_id <> %(customer_id)s
    )
)

select key_type, key_value from own_keys
union
select key_type, key_value from contact_keys
"""


class StaleMatch(RuntimeError):
    """A request names a customer the cross-reference no longer holds: dbt has not run since."""


@dataclass(frozen=True)
class Person:
    customer_id: str
    customer_ids: tuple[str, ...]  # the customer and every id merged into it
    record_ids: tuple[str, ...]  # source_system:source_key of their records
    anonymous_ids: tuple[str, ...]  # their web cookies


def find_person(conn: psycopg.Connection, customer_id: str, request_id: str | None = None) -> Person:
    """The customer's ids and records; with `request_id`, a customer without records is an error
    (the matches are older than the cross-reference), as acting on it would do nothing."""
    merged = conn.execute(
        "select merged_customer_id from marts.customer_merges where surviving_customer_id = %s",
        (customer_id,),
    ).fetchall()
    records = conn.execute(
        "select source_system, source_key from marts.customer_xref where customer_id = %s",
        (customer_id,),
    ).fetchall()
    if request_id and not records:
        raise StaleMatch(
            f"request {request_id} names customer {customer_id}, which marts.customer_xref no longer "
            "holds: run the dbt build (it rebuilds marts.privacy_request_matches), then the privacy step"
        )
    return Person(
        customer_id=customer_id,
        customer_ids=(customer_id, *sorted(m for (m,) in merged)),
        record_ids=tuple(sorted(f"{system}:{key}" for system, key in records)),
        anonymous_ids=tuple(sorted(key for system, key in records if system == "web")),
    )


def collect_identifier_hashes(conn: psycopg.Connection, customer_id: str, privacy_key: str,
                              extra: tuple[tuple[str, str], ...] = ()) -> int:
    """Fill the temporary table `identifier_hashes` with the keyed hashes of the person's identifiers.

    `extra` adds (key_type, value) pairs, e.g. the request's own id. Returns how many."""
    create_hashes_table(conn)
    cases = " ".join(f"when '{system}' then '{key_type}'" for system, key_type in SOURCE_KEY_TYPES.items())
    identifiers = PERSON_IDENTIFIERS_SQL.format(source_key_types=cases)
    conn.execute(
        f"""insert into {HASHES_TABLE} (identifier_hash, identifier_type)
            select distinct {keyed_hash_sql('key_type', 'key_value')}, key_type
            from ({identifiers}) as person
            on conflict do nothing""",
        {"customer_id": customer_id, "privacy_key": privacy_key},
    )
    for key_type, value in extra:
        conn.execute(
            f"""insert into {HASHES_TABLE} (identifier_hash, identifier_type)
                values ({keyed_hash_sql('%(key_type)s::text', '%(value)s::text')}, %(key_type)s)
                on conflict do nothing""",
            {"key_type": key_type, "value": value, "privacy_key": privacy_key},
        )
    return conn.execute(f"select count(*) from {HASHES_TABLE}").fetchone()[0]


def create_hashes_table(conn: psycopg.Connection) -> None:
    """The working set of hashes; dropped with the transaction that uses it."""
    conn.execute(
        f"create temporary table if not exists {HASHES_TABLE} "
        "(identifier_hash text primary key, identifier_type text not null) on commit drop"
    )
    conn.execute(f"truncate {HASHES_TABLE}")
