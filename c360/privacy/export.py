"""Access requests: everything the warehouse holds about one person, as one JSON document.

By source: the raw rows of every silo that carry the person's identifiers (the
same recognition erasure uses), the payments of their invoices, and quarantined
records holding their identifiers. Then the golden record with its lineage:
which source record gave each attribute, the cross-reference rows, the identity
map's assignments, merges, consent and the golden record's history.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from c360.config import Settings
from c360.privacy.person import Person, collect_identifier_hashes, find_person
from c360.privacy.private_files import write_private
from c360.privacy.relations import QUARANTINE, RAW_RELATIONS, quarantine_matches_sql

FORMAT = "c360.privacy.access_export/1"


class ExportError(RuntimeError):
    """The person cannot be identified unambiguously, or the warehouse is not built."""


def export_dir(settings: Settings) -> Path:
    override = os.environ.get("C360_PRIVACY_EXPORT_DIR")
    return Path(override) if override else settings.home / "privacy" / "exports"


def in_export_folder(settings: Settings, path: Path) -> bool:
    """True when `path`, resolved, is a file name right in the export folder."""
    return path.resolve().parent == export_dir(settings).resolve()


def export_path(settings: Settings, name: str) -> Path:
    """`<export folder>/<name>.json`, refused unless it stays in the export folder: the name
    comes from a request file, and an export holds a person's data."""
    path = (export_dir(settings) / f"{name}.json").resolve()
    if not in_export_folder(settings, path):
        raise ExportError(f"an export named {name!r} would be written outside "
                          f"{export_dir(settings).resolve()}: a request id must be a plain identifier")
    return path


def person_document(conn: psycopg.Connection, customer_id: str, privacy_key: str,
                    request_id: str | None = None) -> dict[str, Any]:
    person = find_person(conn, customer_id, request_id)
    collect_identifier_hashes(conn, customer_id, privacy_key)
    return {
        "format": FORMAT,
        "generated_at": datetime.now(UTC).isoformat(),
        "customer_id": customer_id,
        "customer_ids": list(person.customer_ids),
        "golden_record": one(conn, "select * from marts.dim_customer where customer_id = %s", customer_id),
        "consent": one(conn, "select * from intermediate.int_golden__consent where customer_id = %s",
                       customer_id),
        "lineage": lineage(conn, person),
        "sources": raw_rows(conn, privacy_key),
        "quarantine": rows(conn, f"select * from {QUARANTINE} as q where {quarantine_matches_sql()}",
                           {"privacy_key": privacy_key}),
    }


def lineage(conn: psycopg.Connection, person: Person) -> dict[str, Any]:
    ids = list(person.customer_ids)
    return {
        "attributes": rows(conn, """select attribute, value, source_system, source_key, observed_at
                                    from intermediate.int_golden__survivors
                                    where customer_id = %s order by attribute""", person.customer_id),
        "xref": rows(conn, "select * from marts.customer_xref where customer_id = %s "
                           "order by source_system, source_key", person.customer_id),
        "identity_map": rows(conn, "select * from marts.customer_identity_map where record_id = any(%s) "
                                   "order by run_seq, record_id", list(person.record_ids)),
        "merges": rows(conn, "select * from marts.customer_merges where surviving_customer_id = any(%s) "
                             "or merged_customer_id = any(%s) order by merged_run_seq", ids, ids),
        "history": rows(conn, "select * from snapshots.dim_customer_history where customer_id = any(%s) "
                              "order by dbt_valid_from", ids)
        if exists(conn, "snapshots.dim_customer_history") else [],
    }


def raw_rows(conn: psycopg.Connection, privacy_key: str) -> dict[str, dict[str, list]]:
    params = {"privacy_key": privacy_key}
    sources: dict[str, dict[str, list]] = {}
    for relation in RAW_RELATIONS:
        schema, table = relation.table.split(".")
        found = rows(conn, f"select * from {relation.table} where {relation.matches_sql()}", params)
        sources.setdefault(schema.removeprefix("raw_"), {})[table] = found
    invoices = next(r for r in RAW_RELATIONS if r.table == "raw_finance.invoices")
    sources["finance"]["payments"] = rows(
        conn,
        f"""select * from raw_finance.payments where invoice_id in
            (select invoice_id from raw_finance.invoices where {invoices.matches_sql()})""",
        params,
    )
    return sources


def rows(conn: psycopg.Connection, query: str, *params: Any) -> list[dict[str, Any]]:
    args = params[0] if len(params) == 1 and isinstance(params[0], dict) else params
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(query, args).fetchall()


def one(conn: psycopg.Connection, query: str, *params: Any) -> dict[str, Any] | None:
    found = rows(conn, query, *params)
    return found[0] if found else None


def exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("select to_regclass(%s)", (relation,)).fetchone()[0] is not None


def write_document(document: dict[str, Any], path: Path) -> Path:
    """Write the export readable by its owner only: it is personal data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)  # left by a run that stopped half-way
    write_private(temporary, json.dumps(document, default=str, indent=2, ensure_ascii=False))
    temporary.replace(path)
    return path
