"""`c360 privacy export`: an access export by request id or by e-mail address."""

from __future__ import annotations

from pathlib import Path

import psycopg

from c360.config import Settings
from c360.privacy.export import ExportError, export_path, person_document, write_document
from c360.privacy.keys import privacy_key
from c360.privacy.matches import MATCHES
from c360.privacy.person import StaleMatch

EMAIL_HOLDERS_SQL = """
with address as (
    select ops.c360_normalize_email(%(email)s) as email
)
select
    (select email from address) as email,
    array(
        select distinct x.customer_id
        from intermediate.int_identity__record_keys as k
        join marts.customer_xref as x on x.source_system || ':' || x.source_key = k.record_id
        where k.key_type = 'email' and k.key_value = (select email from address)
        order by 1
    ) as customer_ids,
    exists (
        select 1 from intermediate.int_identity__shared_keys
        where key_type = 'email' and key_value = (select email from address)
    ) as is_shared
"""


def export_for_request(settings: Settings, request_id: str, out: Path | None = None) -> Path:
    with psycopg.connect(settings.warehouse_dsn) as conn:
        customer_id = customer_of_request(conn, request_id)
        try:
            document = person_document(conn, customer_id, privacy_key(settings), request_id)
        except StaleMatch as exc:
            raise ExportError(str(exc)) from exc
    document["request_id"] = request_id
    return write_document(document, out or export_path(settings, request_id))


def export_for_email(settings: Settings, email: str, out: Path | None = None) -> Path:
    with psycopg.connect(settings.warehouse_dsn) as conn:
        customer_id = customer_of_email(conn, email)
        document = person_document(conn, customer_id, privacy_key(settings))
    return write_document(document, out or export_path(settings, customer_id))


def customer_of_request(conn: psycopg.Connection, request_id: str) -> str:
    require_built(conn, MATCHES)
    row = conn.execute(
        f"""select status, customer_id, candidate_customers, handled_outcome
            from {MATCHES} where request_id = %s""",
        (request_id,),
    ).fetchone()
    if row is None:
        raise ExportError(f"no request {request_id!r} in {MATCHES}: is it loaded and built?")
    status, customer_id, candidates, outcome = row
    if outcome == "erased":
        raise ExportError(f"request {request_id} names a person erased on request: nothing is held")
    if status != "matched":
        raise ExportError(
            f"request {request_id} is {status} ({candidates} candidate customers): the privacy desk "
            "must identify the person with a key that belongs to them alone"
        )
    return customer_id


def customer_of_email(conn: psycopg.Connection, email: str) -> str:
    require_built(conn, "marts.customer_xref")
    normalized, customers, is_shared = conn.execute(EMAIL_HOLDERS_SQL, {"email": email}).fetchone()
    if normalized is None:
        raise ExportError(f"{email!r} is not an e-mail address")
    if not customers:
        raise ExportError(f"no customer holds the e-mail address {normalized}")
    if len(customers) > 1 or is_shared:
        raise ExportError(
            f"{normalized} is a shared address ({len(customers)} customers hold it, or it looks like "
            "a household's): identify the person by a request with a key of their own"
        )
    return customers[0]


def require_built(conn: psycopg.Connection, relation: str) -> None:
    if conn.execute("select to_regclass(%s)", (relation,)).fetchone()[0] is None:
        raise ExportError(f"{relation} does not exist: run the nightly build first")
