"""The lookup's map of keys to golden customers, published with each night's publication.

marts.customer_lookup_keys lists every normalized phone, e-mail, card and
account a customer's records carry, and marts.dim_customer who is erased or
restricted. publish() refreshes the map in its own transaction, so the
lookup sees the night BI sees. Keys are stored as keyed hashes; a key several
customers hold maps to each of them, and the lookup shows them as candidates.
"""

from __future__ import annotations

import psycopg

from c360.privacy.keys import keyed_hash_sql

KEYS = "marts.customer_lookup_keys"
GOLDEN = "marts.dim_customer"

_CUSTOMERS_SQL = f"""
    insert into serving.lookup_customers (customer_id, first_name, birth_year, is_restricted)
    select customer_id, nullif(split_part(btrim(given_name), ' ', 1), ''),
           extract(year from date_of_birth)::integer, coalesce(is_restricted, false)
    from {GOLDEN}
    where not coalesce(is_erased, false)
"""

_KEYS_SQL = f"""
    insert into serving.lookup_keys (key_hash, key_kind, customer_id)
    select {keyed_hash_sql('k.key_kind', 'k.key_value')}, k.key_kind, k.customer_id
    from {KEYS} as k
    join serving.lookup_customers as c using (customer_id)
"""


def sources_built(conn: psycopg.Connection) -> bool:
    """True when dbt built what the map is made from (a warehouse before its first build has not)."""
    row = conn.execute("select to_regclass(%s), to_regclass(%s)", (KEYS, GOLDEN))
    return all(row.fetchone())


def publish_lookup_map(conn: psycopg.Connection, privacy_key: str) -> int:
    """Replace the map inside the caller's transaction; returns the keys mapped."""
    conn.execute("delete from serving.lookup_keys")
    conn.execute("delete from serving.lookup_customers")
    conn.execute(_CUSTOMERS_SQL)
    return conn.execute(_KEYS_SQL, {"privacy_key": privacy_key}).rowcount
