"""Web: gzip-compressed JSON Lines event logs, up to 24 files a day (contracts/SOURCES.md, 3).

Each line is checked to be a JSON object in Python (orjson) and streamed as jsonb
with COPY into a temporary table; the format checks run there, set-based, and the
valid events move to raw_web.events with ON CONFLICT DO NOTHING, because delivery
is at least once: an event_id already loaded, from this file or an earlier one,
is kept once. Such a duplicate counts as loaded (the ledger balance holds) and is
also counted in the ledger's rows_duplicate. Unknown event types and late events
(occurred on an earlier day) are kept.
"""

from __future__ import annotations

import gzip
import zlib
from datetime import date
from pathlib import Path

import orjson
import psycopg
from psycopg import sql

from c360.ingest import checks
from c360.ingest.files import Batch, FileKind, FileRefused, ParseOutcome, load_silo_files
from c360.ingest.ledger import RefusedRow
from c360.ingest.report import SiloLoadReport

SOURCE_SYSTEM = "web"
RAW_TABLE = "raw_web.events"
LANDING = sql.Identifier("web_landing")
TEXT_MEMBERS = ("anonymous_id", "user_id", "session_id", "page_url", "referrer")
OBJECT_MEMBERS = ("utm", "traits", "properties")
COPY_CHUNK_LINES = 20_000
# PostgreSQL's jsonb cannot hold the NUL character, which JSON may escape.
NUL_ESCAPE = b"\\u0000"


def _text(member: str) -> sql.Composable:
    return sql.SQL("(doc ->> {})").format(sql.Literal(member))


def _json(member: str) -> sql.Composable:
    return sql.SQL("(doc -> {})").format(sql.Literal(member))


EVENT_CHECKS = (
    checks.matches("event_id", checks.UUID, "a UUID", value=_text("event_id")),
    checks.json_type("event_id", _json("event_id"), ["string"]),
    checks.required("event_type", value=_text("event_type")),
    checks.json_type("event_type", _json("event_type"), ["string"]),
    checks.date_like("occurred_at", checks.ISO_TIMESTAMP_UTC, value=_text("occurred_at")),
    *(checks.json_type(m, _json(m), ["string"]) for m in TEXT_MEMBERS),
    *(checks.json_type(m, _json(m), ["object"]) for m in OBJECT_MEMBERS),
)

INSERT_EVENTS = sql.SQL(
    """insert into raw_web.events
           (event_id, event_type, occurred_at, {text_members}, {object_members},
            _batch_id, _business_date, _source_name, _line_number)
       select doc ->> 'event_id', doc ->> 'event_type', doc ->> 'occurred_at',
              {text_values}, {object_values}, %s, %s, %s, _line_number
       from web_landing
       on conflict (event_id) do nothing"""
    # A sequential scan of the fresh landing table returns lines in file order, so
    # of two copies in one file the first is the one kept.
).format(
    text_members=sql.SQL(", ").join(map(sql.Identifier, TEXT_MEMBERS)),
    object_members=sql.SQL(", ").join(map(sql.Identifier, OBJECT_MEMBERS)),
    text_values=sql.SQL(", ").join(_text(m) for m in TEXT_MEMBERS),
    # a JSON null is stored as SQL NULL
    object_values=sql.SQL(", ").join(
        sql.SQL("nullif({}, 'null'::jsonb)").format(_json(m)) for m in OBJECT_MEMBERS
    ),
)


def decompress(data: bytes) -> bytes:
    try:
        text = gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise FileRefused(f"truncated or corrupt gzip: {exc}") from exc
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = text.count(b"\n", 0, exc.start) + 1
        raise FileRefused(
            f"not UTF-8: byte 0x{text[exc.start]:02x} at offset {exc.start} of the "
            f"decompressed data (line {line}) is not valid UTF-8"
        ) from exc
    return text


def _copy_text(data: bytes) -> list[bytes]:
    """Each line escaped for COPY's text format (JSON holds no raw newline, but may hold
    backslashes, tabs and a trailing CR)."""
    return data.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\r", b"\\r").split(b"\n")


def load_events(conn: psycopg.Connection, data: bytes, batch: Batch) -> ParseOutcome:
    text = decompress(data)
    lines = text.split(b"\n")
    escaped = _copy_text(text)
    conn.execute(
        "create temporary table web_landing (_line_number bigint, doc jsonb) on commit drop"
    )
    refused: list[RefusedRow] = []
    rows_read = 0
    with conn.cursor().copy("copy web_landing (_line_number, doc) from stdin") as copy:
        chunk: list[bytes] = []
        for number, line in enumerate(lines, 1):
            if not line or line.isspace():
                continue
            rows_read += 1
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                refused.append(RefusedRow(number, line.decode(), f"not valid JSON: {exc}"))
                continue
            if type(doc) is not dict:
                refused.append(RefusedRow(number, line.decode(), "not a JSON object"))
            elif NUL_ESCAPE in line:
                refused.append(RefusedRow(number, line.decode(), "holds a \\u0000 character"))
            else:
                chunk.append(b"%d\t%s\n" % (number, escaped[number - 1]))
                if len(chunk) >= COPY_CHUNK_LINES:
                    copy.write(b"".join(chunk))
                    chunk.clear()
        copy.write(b"".join(chunk))

    invalid = checks.remove_invalid_rows(conn, LANDING, sql.SQL("true"), EVENT_CHECKS)
    refused += [RefusedRow(n, lines[n - 1].decode(), reason) for n, reason in invalid]
    refused.sort(key=lambda r: r.line_number)
    source = batch.source
    inserted = conn.execute(
        INSERT_EVENTS, (batch.ledger_id, source.business_date, source.source_name)
    ).rowcount
    valid = rows_read - len(refused)
    conn.execute("drop table web_landing")
    return ParseOutcome(rows_read, valid, refused, rows_duplicate=valid - inserted)


FILE_KINDS = (FileKind("events-*.jsonl.gz", (RAW_TABLE,), load_events),)


def load_business_date(warehouse_dsn: str, landing_dir: Path, business_date: date) -> SiloLoadReport:
    """Load the date's hourly event files, each event once."""
    return load_silo_files(warehouse_dsn, SOURCE_SYSTEM, landing_dir, business_date, FILE_KINDS)
