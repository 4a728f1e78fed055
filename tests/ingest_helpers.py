"""Helpers for the ingest tests: hand-made files in each silo's dialect, and ledger reads."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

import orjson
import psycopg

from c360.local.simulator.finance_db import create_billing as create_billing_schema

DAY = date(2026, 11, 21)


def write_delimited(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    delimiter: str = ",",
    line_end: str = "\n",
    bom: bool = False,
) -> Path:
    """A delimited file as a silo writes it; a row may have any number of fields."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, quotechar='"', lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8"))
    return path


def write_jsonl_gz(path: Path, events: Iterable[dict | bytes]) -> Path:
    """A gzip JSON Lines file; a bytes item is written as the line it is."""
    lines = [e if isinstance(e, bytes) else orjson.dumps(e) for e in events]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(b"".join(line + b"\n" for line in lines)))
    return path


def fetch(dsn: str, query: str, params: Sequence = ()) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()


def ledger(dsn: str, source_system: str) -> list[tuple]:
    """(source_name, rows_read, rows_loaded, rows_quarantined, rows_duplicate, status), by name."""
    return fetch(
        dsn,
        """select source_name, rows_read, rows_loaded, rows_quarantined, rows_duplicate, status
           from ops.load_ledger where source_system = %s order by business_date, source_name""",
        (source_system,),
    )


def quarantine(dsn: str, source_system: str) -> list[tuple]:
    """(source_name, line_number, raw_record, reason), in file and line order."""
    return fetch(
        dsn,
        """select source_name, line_number, raw_record, reason from ops.quarantine
           where source_system = %s order by business_date, source_name, line_number""",
        (source_system,),
    )


def assert_balanced(dsn: str, raw_table: str, source_system: str) -> None:
    """Per ledger row: read = loaded + quarantined, the quarantine holds the refused rows,
    and the raw table holds the loaded ones that were not duplicates."""
    rows = fetch(
        dsn,
        f"""select l.source_name, l.rows_read, l.rows_loaded, l.rows_quarantined,
                   l.rows_duplicate, l.status,
                   (select count(*) from {raw_table} r where r._batch_id = l.ledger_id),
                   (select count(*) from ops.quarantine q
                     where q.source_system = l.source_system
                       and q.business_date = l.business_date
                       and q.source_name = l.source_name)
            from ops.load_ledger l where l.source_system = %s""",
        (source_system,),
    )
    assert rows, "no ledger rows"
    for name, read, loaded, refused, duplicate, status, in_raw, in_quarantine in rows:
        assert read == loaded + refused, name
        assert in_raw == loaded - duplicate, name
        if status == "quarantined":
            assert in_quarantine == 1 and loaded == 0, name
        else:
            assert in_quarantine == refused, name


def raw_snapshot(dsn: str, raw_table: str) -> list[tuple]:
    """Every raw row without the load time, sorted: to compare states before and after."""
    columns = [
        r[0] for r in fetch(
            dsn,
            "select column_name from information_schema.columns "
            "where table_schema || '.' || table_name = %s and column_name <> '_loaded_at' "
            "order by ordinal_position",
            (raw_table,),
        )
    ]
    order = ", ".join(str(i) for i in range(1, len(columns) + 1))
    return fetch(dsn, f"select {', '.join(columns)} from {raw_table} order by {order}")


def create_billing(dsn: str) -> None:
    """The contract's billing schema, as the simulator creates it, in a stand-in finance DB."""
    with psycopg.connect(dsn) as conn:
        create_billing_schema(conn)
